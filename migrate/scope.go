package migrate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// View is what the planner knows of the firewall: the zones with their
// interface and source bindings, the default zone and the policies that
// exist (rules in it are ignored). It is the daemon's compiler input, so a
// plan can be made from a firewalld snapshot, a standalone configuration
// or a test table alike.
type View struct {
	Topology firewalld.Topology
	// NoPolicies is firewalld < 0.9, which has no policies: only zone
	// rules can replace a passthrough.
	NoPolicies bool
}

// zoneMatch is the zone an interface is bound to and how.
type zoneMatch struct {
	zone    *firewalld.Zone
	pattern string // the wildcard binding that matched ("ppp+"), or ""
}

// zoneOfInterface finds the zone of an interface as firewalld dispatches
// it: an exact binding first, then wildcard bindings ("eth+"), the longest
// first. An iptables wildcard (name ending in "+") only matches the same
// pattern bound as such.
func (v *View) zoneOfInterface(name string) (zoneMatch, bool) {
	zones := v.Topology.Zones
	for i := range zones {
		if slices.Contains(zones[i].Interfaces, name) {
			return zoneMatch{zone: &zones[i]}, true
		}
	}
	if strings.HasSuffix(name, "+") {
		return zoneMatch{}, false
	}
	var best zoneMatch
	for i := range zones {
		for _, b := range zones[i].Interfaces {
			prefix, ok := strings.CutSuffix(b, "+")
			if ok && strings.HasPrefix(name, prefix) && len(b) > len(best.pattern) {
				best = zoneMatch{zone: &zones[i], pattern: b}
			}
		}
	}
	return best, best.zone != nil
}

// sourcesFor lists a zone's source bindings that can claim packets of
// family ipv in the given direction: ingress (source address, MAC, ipset)
// or egress (destination address or ipset; a MAC is never a destination).
// With addrs (not inverted), an address binding that overlaps none of them
// cannot claim a matching packet and is left out.
func (v *View) sourcesFor(z *firewalld.Zone, ipv string, egress bool, addrs []string, inverted bool) []string {
	var out []string
	for _, s := range z.Sources {
		switch {
		case strings.HasPrefix(s, "ipset:"):
			fam, mac := v.ipsetFamily(strings.TrimPrefix(s, "ipset:"))
			if (fam == "" || fam == ipv) && !(mac && egress) {
				out = append(out, s)
			}
		case firewalld.CheckMAC(s):
			if !egress {
				out = append(out, s)
			}
		default:
			p, ok := parsePrefix(s)
			if !ok || (ipv == "ipv6") != p.Addr().Is6() {
				continue
			}
			if len(addrs) > 0 && !inverted && !overlapsAny(p, addrs) {
				continue
			}
			out = append(out, s)
		}
	}
	return out
}

// ipsetFamily is "ipv4" or "ipv6" for an ipset of the view that holds
// addresses, "" for one that holds MAC addresses (mac: both families) or
// that the view does not know (it could hold either).
func (v *View) ipsetFamily(name string) (family string, mac bool) {
	for _, s := range v.Topology.IPSets {
		if s.Name == name {
			switch {
			case strings.HasPrefix(s.Type, "hash:mac"):
				return "", true
			case s.Family == "inet6":
				return "ipv6", false
			}
			return "ipv4", false
		}
	}
	return "", false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func overlapsAny(p netip.Prefix, addrs []string) bool {
	for _, a := range addrs {
		if q, ok := parsePrefix(a); ok && q.Overlaps(p) {
			return true
		}
	}
	return false
}

// side is one end of a flow: every zone (ANY), this machine (HOST) or
// some zones.
type side struct {
	any, host bool
	zones     []string
}

func (s side) names() []string {
	switch {
	case s.host:
		return []string{firewalld.ZoneHost}
	case s.any:
		return []string{firewalld.ZoneAny}
	}
	return s.zones
}

// resolveIface turns -i IF (egress false) or -o IF (egress true) into the
// zones whose traffic it is. The zone holding IF is not all: a packet whose
// address is bound as a source of another zone belongs to that zone
// (firewalld dispatches by sources first), so such zones are added, which
// is broader, and said. What cannot be expressed at all is a reason.
func (v *View) resolveIface(f *iface, ipv string, egress bool, addrs []string, inverted bool) (zones, diffs []string, why string) {
	opt, through, of := "-i", "entering through", "from"
	if egress {
		opt, through, of = "-o", "leaving through", "to"
	}
	if f.invert {
		return nil, nil, fmt.Sprintf("! %s %s: no zone or policy means every interface but one", opt, f.name)
	}
	m, ok := v.zoneOfInterface(f.name)
	if !ok {
		if strings.HasSuffix(f.name, "+") {
			return nil, nil, fmt.Sprintf("%s %s: no zone binds the interface pattern %s", opt, f.name, f.name)
		}
		return nil, nil, fmt.Sprintf("%s %s: the interface is in no zone; bind it (firewall-cmd --permanent --zone=ZONE --add-interface=%s, and at runtime) and plan again", opt, f.name, f.name)
	}
	z := m.zone
	zones = []string{z.Name}
	if m.pattern != "" {
		diffs = append(diffs, fmt.Sprintf("%s is in zone %s through the pattern %s: traffic %s every interface it matches is clamped too", f.name, z.Name, m.pattern, through))
	}
	if others := slices.DeleteFunc(slices.Clone(z.Interfaces), func(n string) bool { return n == f.name || n == m.pattern }); len(others) > 0 {
		diffs = append(diffs, fmt.Sprintf("zone %s also holds %s: traffic %s them is clamped too", z.Name, strings.Join(others, ", "), through))
	}
	if own := v.sourcesFor(z, ipv, egress, nil, false); len(own) > 0 {
		diffs = append(diffs, fmt.Sprintf("zone %s also binds the sources %s: traffic %s them is clamped whatever interface it uses", z.Name, strings.Join(own, ", "), of))
	}
	if z.Name == v.Topology.DefaultZone {
		diffs = append(diffs, fmt.Sprintf("%s is the default zone: traffic %s interfaces bound to no zone is clamped too", z.Name, through))
	}
	for i := range v.Topology.Zones {
		y := &v.Topology.Zones[i]
		if y.Name == z.Name {
			continue
		}
		if srcs := v.sourcesFor(y, ipv, egress, addrs, inverted); len(srcs) > 0 {
			zones = append(zones, y.Name)
			diffs = append(diffs, fmt.Sprintf("zone %s binds the sources %s, which take packets %s them %s %s away from zone %s: %s gets the rule too, so traffic %s them is clamped on every interface",
				y.Name, strings.Join(srcs, ", "), of, through, f.name, z.Name, y.Name, of))
		}
	}
	return zones, diffs, ""
}

// allZones lists every zone of the view, sorted.
func (v *View) allZones() []string {
	var out []string
	for _, z := range v.Topology.Zones {
		out = append(out, z.Name)
	}
	slices.Sort(out)
	return out
}

// existingPolicy finds a policy with exactly these ingress and egress
// zones; of several, one named like ours, then the first by name.
func (v *View) existingPolicy(ingress, egress []string) (string, bool) {
	var found []string
	for _, p := range v.Topology.Policies {
		if sameSet(p.Ingress, ingress) && sameSet(p.Egress, egress) {
			found = append(found, p.Name)
		}
	}
	if len(found) == 0 {
		return "", false
	}
	slices.SortFunc(found, func(a, b string) int {
		ao, bo := strings.HasPrefix(a, policyPrefix), strings.HasPrefix(b, policyPrefix)
		if ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return found[0], true
}

func (v *View) hasPolicy(name string) bool {
	return slices.ContainsFunc(v.Topology.Policies, func(p firewalld.Policy) bool { return p.Name == name })
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
