package store

import (
	"path/filepath"
	"testing"
)

// TestFirewalldWriter loads the files firewalld 1.3.3's own zone_writer and
// policy_writer wrote (testdata/store/firewalld/gen.py), saves what it
// read, and expects the same bytes.
func TestFirewalldWriter(t *testing.T) {
	src := Open(filepath.Join(testdata, "firewalld"))
	cfg, errs := src.Load()
	if errs != nil {
		t.Fatalf("Load: %v", errs)
	}
	if len(cfg.Zones) != 2 || len(cfg.Policies) != 2 {
		t.Fatalf("loaded %d zones and %d policies, want 2 and 2", len(cfg.Zones), len(cfg.Policies))
	}
	dst := Open(t.TempDir())
	for _, z := range cfg.Zones {
		if err := dst.SaveZone(z); err != nil {
			t.Fatal(err)
		}
		if got, want := readString(t, dst.zonePath(z.Name)), readString(t, src.zonePath(z.Name)); got != want {
			t.Errorf("zone %s:\n--- we write\n%s--- firewalld writes\n%s", z.Name, got, want)
		}
	}
	for _, p := range cfg.Policies {
		if err := dst.SavePolicy(p); err != nil {
			t.Fatal(err)
		}
		if got, want := readString(t, dst.policyPath(p.Name)), readString(t, src.policyPath(p.Name)); got != want {
			t.Errorf("policy %s:\n--- we write\n%s--- firewalld writes\n%s", p.Name, got, want)
		}
	}
	sameZone(t, cfg.Zones[0], &Zone{
		Name:        "clamp",
		Short:       "Clamp & <test>",
		Description: `MSS clamping for the "uplink" 'zone'.`,
		Interfaces:  []string{"eth0", "wg-up.1", `q"x`, `q"'y`},
		Sources:     []string{"192.0.2.0/24", "2001:db8::/32", "00:11:22:33:44:66", "ipset:trusted"},
		Rules: rules(t,
			`rule tcp-mss-clamp`,
			`rule family=ipv4 source address=10.0.0.0/8 destination not address=10.0.0.0/8 tcp-mss-clamp value=1200`,
			`rule priority=-10 family=ipv6 source ipset=v6set tcp-mss-clamp value=1400`,
			`rule source not mac=00:11:22:33:44:55 tcp-mss-clamp value=536`,
			`rule tcp-mss-clamp value=1300 log prefix="say hi" level=info limit value=5/m`,
			`rule family=ipv4 destination ipset=dst tcp-mss-clamp nflog group=5 queue-size=10`,
		),
	})
}

// TestFirewalld133Files reads zone and policy files as firewalld 1.3.3 ships
// and writes them, with tcp-mss-clamp rules in the forms it has (no value,
// value="None", invert="True") and the elements we ignore.
func TestFirewalld133Files(t *testing.T) {
	cfg, errs := Open(filepath.Join(testdata, "fw133")).Load()
	if errs != nil {
		t.Fatalf("Load: %v", errs)
	}
	if len(cfg.Zones) != 2 || len(cfg.Policies) != 1 {
		t.Fatalf("loaded %d zones and %d policies, want 2 and 1", len(cfg.Zones), len(cfg.Policies))
	}
	sameZone(t, cfg.Zones[0], &Zone{
		Name:  "none",
		Short: "None",
		Rules: rules(t,
			`rule family=ipv6 destination not address=2001:db8::/32 tcp-mss-clamp`,
			`rule service name=http accept`,
		),
		Interfaces: []string{"eth1"},
	})
	sameZone(t, cfg.Zones[1], &Zone{
		Name:  "public",
		Short: "Public",
		Description: "For use in public areas. You do not trust the other computers on networks to not harm your computer. " +
			"Only selected incoming connections are accepted.",
		Rules: rules(t,
			`rule tcp-mss-clamp value=pmtu`,
			`rule family=ipv4 source NOT address=10.0.0.0/8 tcp-mss-clamp value=1200`,
		),
	})
	samePolicy(t, cfg.Policies[0], &Policy{
		Name:        "allow-host-ipv6",
		Short:       "Allow host IPv6",
		Priority:    -15000,
		Ingress:     []string{"ANY"},
		Egress:      []string{"HOST"},
		Description: "Allows basic IPv6 functionality for the host running firewalld.",
		Rules: rules(t,
			`rule family="ipv6" icmp-type name="neighbour-advertisement" accept`,
			`rule family="ipv6" icmp-type name="neighbour-solicitation" accept`,
			`rule family="ipv6" icmp-type name="router-advertisement" accept`,
			`rule family="ipv6" icmp-type name="redirect" accept`,
		),
	})
}

// TestPMTUForms: <tcp-mss-clamp/>, value="pmtu" and value="None" are one
// rule (upstream defect 4), so a file holding two of them is reported.
func TestPMTUForms(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zones", "z.xml")
	writeFile(t, path, `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <rule>
    <tcp-mss-clamp/>
  </rule>
  <rule>
    <tcp-mss-clamp value="None"/>
  </rule>
</zone>
`)
	_, errs := Open(dir).Load()
	if len(errs) != 1 || errs[0].Line != 6 {
		t.Fatalf("errors %v, want one duplicate at line 6", errs)
	}
}
