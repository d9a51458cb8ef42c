#!/usr/bin/python3
# Writes the files in this directory with firewalld's own zone_writer and
# policy_writer (Debian 12, firewalld 1.3.3): run with /usr/bin/python3 from
# this directory. store's tests save the same content and compare bytes.
import os

from firewall.core.io.zone import Zone, zone_writer
from firewall.core.io.policy import Policy, policy_writer

here = os.path.dirname(os.path.abspath(__file__))
for sub in ("zones", "policies"):
    for f in os.listdir(os.path.join(here, sub)):
        os.remove(os.path.join(here, sub, f))

z = Zone()
z.name = "clamp"
z.forward = False
z.short = "Clamp & <test>"
z.description = "MSS clamping for the \"uplink\" 'zone'."
z.rules_str = [
    'rule tcp-mss-clamp',
    'rule family=ipv4 source address=10.0.0.0/8 destination not address=10.0.0.0/8 tcp-mss-clamp value=1200',
    'rule priority=-10 family=ipv6 source ipset=v6set tcp-mss-clamp value=1400',
    'rule source not mac=00:11:22:33:44:55 tcp-mss-clamp value=536',
    'rule tcp-mss-clamp value=1300 log prefix="say hi" level=info limit value=5/m',
    'rule family=ipv4 destination ipset=dst tcp-mss-clamp nflog group=5 queue-size=10',
]
z.interfaces = ["eth0", "wg-up.1", "q\"x", "q\"'y"]
z.sources = ["192.0.2.0/24", "2001:db8::/32", "00:11:22:33:44:66", "ipset:trusted"]
zone_writer(z, os.path.join(here, "zones"))

empty = Zone()
empty.name = "empty"
empty.forward = False
zone_writer(empty, os.path.join(here, "zones"))

p = Policy()
p.name = "clamp-out"
p.priority = -100
p.short = "Outbound"
p.rich_rules = ['rule tcp-mss-clamp value=1400']
p.ingress_zones = ["HOST"]
p.egress_zones = ["ANY"]
policy_writer(p, os.path.join(here, "policies"))

d = Policy()
d.name = "fwd"
d.rich_rules = ['rule family=ipv6 tcp-mss-clamp', 'rule priority=5 tcp-mss-clamp value=1220']
d.ingress_zones = ["internal", "dmz"]
d.egress_zones = ["external"]
policy_writer(d, os.path.join(here, "policies"))
