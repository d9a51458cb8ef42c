package backend

import "github.com/firewalld-mssclamp/mssclamp/richrule"

// Pseudo-zones a policy may name in its ingress or egress list.
const (
	ZoneAny  = "ANY"  // every zone
	ZoneHost = "HOST" // this machine: ingress HOST is locally originated traffic
)

// Input is the desired state Compile turns into a Ruleset: zones with their
// bindings, policies, and the tcp-mss-clamp rules of each. It is what
// firewalld (or, standalone, our own configuration) says right now.
type Input struct {
	DefaultZone string // catches every packet no binding claims
	Zones       []Zone
	Policies    []Policy
	IPSets      []IPSet // ipsets named by bindings or rules
}

// Zone is a firewalld zone with its bindings and our rules in it.
type Zone struct {
	Name       string
	Interfaces []string
	// Sources are the zone's source bindings in firewalld's spelling: an
	// address or network ("10.0.0.0/8", "fd00::/64"), a MAC address, or
	// "ipset:NAME".
	Sources []string
	Rules   []*richrule.Rule
}

// Policy is a firewalld policy: traffic from any ingress zone to any egress
// zone. Zone names may be ZoneAny or ZoneHost.
type Policy struct {
	Name     string
	Priority int
	Ingress  []string
	Egress   []string
	Rules    []*richrule.Rule
}

// IPSet is the content of an ipset as firewalld reports it.
type IPSet struct {
	Name    string
	Type    string // "hash:ip", "hash:net", "hash:mac", ...
	Family  string // "inet" (IPv4, firewalld's default) or "inet6"
	Entries []string
}
