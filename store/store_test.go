package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

const testdata = "../testdata/store"

func rules(t *testing.T, texts ...string) []*richrule.Rule {
	t.Helper()
	var list []*richrule.Rule
	for _, s := range texts {
		r, err := richrule.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		list = append(list, r)
	}
	return list
}

func ruleStrings(list []*richrule.Rule) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.String()
	}
	return out
}

// sameZone compares zones, rules by canonical text.
func sameZone(t *testing.T, got, want *Zone) {
	t.Helper()
	if got.Name != want.Name || got.Short != want.Short || got.Description != want.Description ||
		!slices.Equal(got.Interfaces, want.Interfaces) || !slices.Equal(got.Sources, want.Sources) ||
		!slices.Equal(ruleStrings(got.Rules), ruleStrings(want.Rules)) {
		t.Errorf("zone:\n got %+v rules %q\nwant %+v rules %q", *got, ruleStrings(got.Rules), *want, ruleStrings(want.Rules))
	}
}

func samePolicy(t *testing.T, got, want *Policy) {
	t.Helper()
	if got.Name != want.Name || got.Short != want.Short || got.Description != want.Description ||
		got.Priority != want.Priority || !slices.Equal(got.Ingress, want.Ingress) || !slices.Equal(got.Egress, want.Egress) ||
		!slices.Equal(ruleStrings(got.Rules), ruleStrings(want.Rules)) {
		t.Errorf("policy:\n got %+v rules %q\nwant %+v rules %q", *got, ruleStrings(got.Rules), *want, ruleStrings(want.Rules))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden compares a saved file with testdata/store/golden/REL.
func golden(t *testing.T, got []byte, rel string) {
	t.Helper()
	testutil.Golden(t, filepath.Join(testdata, "golden", rel), string(got))
}

func goldenZones(t *testing.T) []*Zone {
	return []*Zone{
		{Name: "empty"},
		{
			Name:        "uplink",
			Short:       "Uplink",
			Description: "PPPoE <uplink> & VPN",
			Interfaces:  []string{"ppp0", "wg0"},
			Sources:     []string{"10.1.0.0/16", "fd00::/8", "02:00:00:00:00:01", "ipset:vpn-peers"},
			Rules: rules(t,
				"rule tcp-mss-clamp",
				"rule family=ipv4 source address=10.0.0.0/8 destination not address=10.0.0.0/8 tcp-mss-clamp value=1200",
				"rule priority=-5 family=ipv6 tcp-mss-clamp value=1380 log prefix=mss level=debug limit value=1/s",
			),
		},
		{Name: "bindings-only", Interfaces: []string{"eth9"}},
	}
}

func goldenPolicies(t *testing.T) []*Policy {
	return []*Policy{
		{Name: "host-out", Priority: DefaultPriority, Ingress: []string{firewalld.ZoneHost}, Egress: []string{firewalld.ZoneAny},
			Rules: rules(t, "rule tcp-mss-clamp value=1400")},
		{Name: "lan-to-wan", Short: "LAN to WAN", Priority: 100, Ingress: []string{"internal", "dmz"}, Egress: []string{"external"},
			Rules: rules(t, "rule family=ipv6 tcp-mss-clamp", "rule family=ipv4 source ipset=clients tcp-mss-clamp value=1360")},
	}
}

func TestRoundTrip(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "etc", "firewalld", "mssclamp"))
	zones, policies := goldenZones(t), goldenPolicies(t)
	for _, z := range zones {
		if err := s.SaveZone(z); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range policies {
		if err := s.SavePolicy(p); err != nil {
			t.Fatal(err)
		}
	}
	cfg, errs := s.Load()
	if errs != nil {
		t.Fatalf("Load: %v", errs)
	}
	slices.SortFunc(zones, func(a, b *Zone) int { return strings.Compare(a.Name, b.Name) })
	if len(cfg.Zones) != len(zones) || len(cfg.Policies) != len(policies) {
		t.Fatalf("loaded %d zones, %d policies; want %d, %d", len(cfg.Zones), len(cfg.Policies), len(zones), len(policies))
	}
	for i := range zones {
		sameZone(t, cfg.Zones[i], zones[i])
		golden(t, []byte(readString(t, s.zonePath(zones[i].Name))), "zones/"+zones[i].Name+".xml")
	}
	for i := range policies {
		samePolicy(t, cfg.Policies[i], policies[i])
		golden(t, []byte(readString(t, s.policyPath(policies[i].Name))), "policies/"+policies[i].Name+".xml")
	}
	z, err := s.LoadZone("uplink")
	if err != nil {
		t.Fatal(err)
	}
	sameZone(t, z, zones[2])
	p, err := s.LoadPolicy("lan-to-wan")
	if err != nil {
		t.Fatal(err)
	}
	samePolicy(t, p, policies[1])
}

func TestPermissions(t *testing.T) {
	root := t.TempDir()
	s := Open(filepath.Join(root, "mssclamp"))
	if err := s.SaveZone(&Zone{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	check := func(path string, want fs.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want&^currentUmask(t) {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	check(s.Dir(), dirMode)
	check(filepath.Join(s.Dir(), "zones"), dirMode)
	check(s.zonePath("a"), fileMode)

	// An administrator's chmod survives a save, as with firewalld.
	if err := os.Chmod(s.zonePath("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveZone(&Zone{Name: "a", Short: "A"}); err != nil {
		t.Fatal(err)
	}
	check(s.zonePath("a"), 0o600)
	check(s.zonePath("a")+".old", 0o600)
}

// currentUmask reads the umask from a file created with 0777.
func currentUmask(t *testing.T) fs.FileMode {
	path := filepath.Join(t.TempDir(), "probe")
	if err := os.Mkdir(path, 0o777); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ fi.Mode().Perm()
}

func TestKeepOld(t *testing.T) {
	s := Open(t.TempDir())
	z := &Zone{Name: "wan", Rules: rules(t, "rule tcp-mss-clamp")}
	if err := s.SaveZone(z); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.zonePath("wan") + ".old"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("first save made a .old: %v", err)
	}
	first := readString(t, s.zonePath("wan"))
	z.Rules = rules(t, "rule tcp-mss-clamp value=1200")
	if err := s.SaveZone(z); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, s.zonePath("wan")+".old"); got != first {
		t.Errorf(".old after the second save:\n%s\nwant the first version:\n%s", got, first)
	}
	second := readString(t, s.zonePath("wan"))

	if err := s.RemoveZone("wan"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.zonePath("wan")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there after RemoveZone: %v", err)
	}
	if got := readString(t, s.zonePath("wan")+".old"); got != second {
		t.Errorf(".old after remove:\n%s\nwant the removed version:\n%s", got, second)
	}
	cfg, errs := s.Load()
	if errs != nil || len(cfg.Zones) != 0 {
		t.Errorf("Load after remove: %v, %v; want nothing (a .old is not configuration)", cfg.Zones, errs)
	}

	if err := s.RemoveZone("wan"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second RemoveZone: %v, want fs.ErrNotExist", err)
	}
	if err := s.RemovePolicy("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemovePolicy of a missing policy: %v, want fs.ErrNotExist", err)
	}
}

func TestMissing(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "absent"))
	cfg, errs := s.Load()
	if errs != nil || cfg == nil || len(cfg.Zones)+len(cfg.Policies) != 0 {
		t.Errorf("Load of a missing directory: %+v, %v; want an empty config", cfg, errs)
	}
	z, err := s.LoadZone("public")
	if z != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadZone of a missing file: %v, %v; want fs.ErrNotExist", z, err)
	}
	p, err := s.LoadPolicy("p")
	if p != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadPolicy of a missing file: %v, %v; want fs.ErrNotExist", p, err)
	}
	if _, err := s.LoadZone("../x"); err == nil {
		t.Error("LoadZone accepted the name ../x")
	}
}

func TestSaveRefuses(t *testing.T) {
	s := Open(t.TempDir())
	tests := []struct {
		name string
		save func() error
		code firewalld.Code // 0: any error
	}{
		{"bad zone name", func() error { return s.SaveZone(&Zone{Name: "a/b"}) }, firewalld.InvalidName},
		{"long zone name", func() error { return s.SaveZone(&Zone{Name: "abcdefghijklmnopqr"}) }, firewalld.InvalidName},
		{"bad interface", func() error { return s.SaveZone(&Zone{Name: "z", Interfaces: []string{"a b"}}) }, firewalld.InvalidInterface},
		{"interface twice", func() error { return s.SaveZone(&Zone{Name: "z", Interfaces: []string{"a", "a"}}) }, firewalld.AlreadyEnabled},
		{"bad source", func() error { return s.SaveZone(&Zone{Name: "z", Sources: []string{"10.0.0.0/33"}}) }, firewalld.InvalidAddr},
		{"source twice", func() error { return s.SaveZone(&Zone{Name: "z", Sources: []string{"ipset:a", "ipset:a"}}) }, firewalld.AlreadyEnabled},
		{"rule twice", func() error {
			return s.SaveZone(&Zone{Name: "z", Rules: rules(t, "rule tcp-mss-clamp", "rule tcp-mss-clamp value=pmtu")})
		}, firewalld.AlreadyEnabled},
		{"nil rule", func() error { return s.SaveZone(&Zone{Name: "z", Rules: []*richrule.Rule{nil}}) }, 0},
		{"bad rule", func() error {
			return s.SaveZone(&Zone{Name: "z", Rules: []*richrule.Rule{{Element: &richrule.TCPMSSClamp{Value: 100}}}})
		}, 0},
		{"control character", func() error { return s.SaveZone(&Zone{Name: "z", Short: "a\x01"}) }, 0},
		{"priority 0", func() error { return s.SavePolicy(&Policy{Name: "p"}) }, firewalld.InvalidPriority},
		{"long policy name", func() error { return s.SavePolicy(&Policy{Name: "abcdefghijklmnopqrs", Priority: -1}) }, firewalld.InvalidName},
		{"ANY with a zone", func() error {
			return s.SavePolicy(&Policy{Name: "p", Priority: -1, Ingress: []string{"ANY", "public"}})
		}, firewalld.InvalidZone},
		{"HOST on both sides", func() error {
			return s.SavePolicy(&Policy{Name: "p", Priority: -1, Ingress: []string{"HOST"}, Egress: []string{"HOST"}})
		}, firewalld.InvalidZone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.save()
			if err == nil {
				t.Fatal("saved")
			}
			if tt.code != 0 && !errors.Is(err, &firewalld.Error{Code: tt.code}) {
				t.Errorf("error %v, want code %v", err, tt.code)
			}
		})
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "zones"))
	entries2, _ := os.ReadDir(filepath.Join(s.Dir(), "policies"))
	if len(entries)+len(entries2) != 0 {
		t.Errorf("refused saves left files: %v %v", entries, entries2)
	}
	// 18 characters are fine for a policy.
	if err := s.SavePolicy(&Policy{Name: "abcdefghijklmnopqr", Priority: -1}); err != nil {
		t.Error(err)
	}
}
