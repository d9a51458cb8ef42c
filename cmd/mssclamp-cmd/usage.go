package main

// usageLine is what argparse prints before a usage error, as firewall-cmd's
// parser.format_usage() does.
const usageLine = "usage: 'mssclamp-cmd --help' for usage information or see mssclamp-cmd(1) man page\n"

// helpText is --help, laid out like firewall-cmd's, with the options this
// command has. [P] marks options that take --permanent, [Z] --zone, [O]
// --policy, [T] --timeout, as in firewall-cmd's help.
const helpText = `
Usage: mssclamp-cmd [OPTIONS...]

firewall-cmd for rich rules: tcp-mss-clamp rules go to mssclampd, all other
rich rules to firewalld; both are listed together.

General Options
  -h, --help           Prints a short help text and exits
  -V, --version        Print the version string of mssclampd
  -q, --quiet          Do not print status messages
  -v, --verbose        Print more: the default zone used, per-rule counters

Status Options
  --state              Return and print mssclampd state
  --reload             Reload mssclampd and firewalld: runtime rules are
                       dropped, permanent rules applied
  --runtime-to-permanent
                       Create permanent from runtime configuration
  --list-backend-rules Print what the kernel holds for mssclampd (with
                       counters), or offline what would be installed
  --list-metrics       Print per-rule packet and byte counters, rule counts,
                       mode and backend in Prometheus' text format (for
                       node_exporter's textfile collector); no root needed

Permanent Options
  --permanent          Set an option permanently
                       Usable for options marked with [P]

Zone and Policy Options
  --zone=<zone>        Use this zone to set or query options, else default zone
                       Usable for options marked with [Z]
  --policy=<policy>    Use this policy to set or query options
                       Usable for options marked with [O]
  --timeout=<timeval>  Enable an option for timeval time, where timeval is
                       a number followed by one of letters 's' or 'm' or 'h'
                       Usable for options marked with [T]

Rich Language Options
  --list-rich-rules    List rich language rules added [P] [Z] [O]
  --add-rich-rule=<rule>
                       Add rich language rule 'rule' [P] [Z] [O] [T]
  --remove-rich-rule=<rule>
                       Remove rich language rule 'rule' [P] [Z] [O]
  --query-rich-rule=<rule>
                       Return whether a rich language rule 'rule' has been
                       added [P] [Z] [O]

Output Options
  --output=text|json   Print --list-rich-rules, --list-backend-rules,
                       --migrate-direct and --suggest-mss as JSON, for scripts

Direct Migration Options (firewalld's direct interface is deprecated)
  --migrate-direct     Print the plan that replaces firewalld's TCPMSS
                       passthroughs and direct rules with tcp-mss-clamp rich
                       rules, with every difference in meaning; change nothing
  --from=<file>        Plan from this direct.xml instead of firewalld's
                       permanent direct configuration (read over D-Bus, or
                       from /etc/firewalld/direct.xml when firewalld is not
                       running)
  --apply              Carry the plan out: add the rich rules (runtime and
                       permanent), then remove the entries they replace; if
                       anything fails, all of it is undone. Needs firewalld
                       and mssclampd running

MSS Calculator Options (no daemon needed)
  --suggest-mss        Print the MSS to clamp to behind an encapsulation, the
                       arithmetic line by line, and the rich rule to add
  --mtu=<mtu>          MTU of the link the encapsulated packets leave by
  --mtu-of=<interface> Take that MTU from interface
  --encap=<kind>[,<option>...]
                       none (default), pppoe, gre, ipip, 6in4, wireguard,
                       vxlan, geneve, ipsec, openvpn-udp; options: ipv4 or
                       ipv6 (the underlay, default ipv4), aes-cbc+sha1,
                       aes-cbc+sha256 or aes-gcm (ipsec: required), nat-t
                       (ipsec)
  --family=ipv4|ipv6   TCP over this family only (default: both)
  --conservative       Also subtract 40 bytes of TCP options, as some vendors'
                       figures do (RFC 6691 leaves them out)

Offline Options (like firewall-offline-cmd: no daemon, permanent only)
  --offline            Edit the permanent tcp-mss-clamp rules on disk
  --config-dir=<dir>   mssclampd's configuration directory
                       (default /etc/firewalld/mssclamp)
  --backend=nftables|iptables
                       With --list-backend-rules: the backend to render for
                       (default: as mssclampd would choose)
`
