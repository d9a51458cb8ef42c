package firewalld

import "slices"

// Pseudo-zones a policy may name in its ingress or egress list.
const (
	ZoneAny  = "ANY"  // every zone
	ZoneHost = "HOST" // this machine: ingress HOST is locally originated traffic
)

// Scope names a zone or a policy: where a rich rule lives. Where a caller
// names a zone, an empty Name means the default zone.
type Scope struct {
	Policy bool   `json:"policy"` // false: a zone
	Name   string `json:"name"`
}

// ZoneScope and PolicyScope name a zone and a policy.
func ZoneScope(name string) Scope   { return Scope{Name: name} }
func PolicyScope(name string) Scope { return Scope{Policy: true, Name: name} }

// Kind is "zone" or "policy".
func (s Scope) Kind() string {
	if s.Policy {
		return "policy"
	}
	return "zone"
}

func (s Scope) String() string { return s.Kind() + " " + s.Name }

// Topology is what firewalld (or, standalone, our own configuration) says
// exists right now: zones with their bindings, policies and ipsets. It holds
// no rules; the compiler takes those beside it.
type Topology struct {
	DefaultZone string // catches every packet no binding claims
	Zones       []Zone
	Policies    []Policy // nil for a firewalld without policies (< 0.9)
	IPSets      []IPSet
}

// Zone is a zone with its bindings.
type Zone struct {
	Name       string
	Interfaces []string
	// Sources are the zone's source bindings in firewalld's spelling: an
	// address or network ("10.0.0.0/8", "fd00::/64"), a MAC address, or
	// "ipset:NAME".
	Sources []string
}

// Policy is a policy: traffic from any ingress zone to any egress zone.
// Zone names may be ZoneAny or ZoneHost.
type Policy struct {
	Name     string
	Priority int // firewalld's default is -1 (DefaultPriority); 0 is reserved
	Ingress  []string
	Egress   []string
	Target   string // "CONTINUE", "ACCEPT", "DROP" or "REJECT"; "" when unknown
}

// DefaultPriority is firewalld's priority of a policy that names none.
const DefaultPriority = -1

// IPSet is an ipset as firewalld reports it.
type IPSet struct {
	Name    string
	Type    string            // "hash:ip", "hash:net", "hash:mac", ...
	Family  string            // "inet" (IPv4, firewalld's default) or "inet6"
	Options map[string]string // firewalld's options as given ("family", "timeout", "maxelem", ...)
	// Entries; firewalld does not track the entries of an ipset with a
	// timeout, so such a set lists none.
	Entries []string
}

// Has reports whether scope s exists (an empty zone name is the default zone).
func (t *Topology) Has(s Scope) bool {
	if s.Policy {
		return slices.ContainsFunc(t.Policies, func(p Policy) bool { return p.Name == s.Name })
	}
	if s.Name == "" {
		s.Name = t.DefaultZone
	}
	return slices.ContainsFunc(t.Zones, func(z Zone) bool { return z.Name == s.Name })
}

// Policy returns the policy called name, or nil.
func (t *Topology) Policy(name string) *Policy {
	if i := slices.IndexFunc(t.Policies, func(p Policy) bool { return p.Name == name }); i >= 0 {
		return &t.Policies[i]
	}
	return nil
}

// Names lists the zones' or (policy) the policies' names, sorted.
func (t *Topology) Names(policy bool) []string {
	var out []string
	if policy {
		for _, p := range t.Policies {
			out = append(out, p.Name)
		}
	} else {
		for _, z := range t.Zones {
			out = append(out, z.Name)
		}
	}
	slices.Sort(out)
	return out
}
