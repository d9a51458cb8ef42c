package migrate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The expected values are what Python's shlex.split and shlex.quote give.
func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`a b`, []string{"a", "b"}, nil},
		{"  a   b  ", []string{"a", "b"}, nil},
		{`a"b c"d`, []string{"ab cd"}, nil},
		{`'it'"'"'s'`, []string{"it's"}, nil},
		{`a\ b`, []string{"a b"}, nil},
		{`"a\"b\c"`, []string{`a"b\c`}, nil},
		{`''`, []string{""}, nil},
		{`x "" y`, []string{"x", "", "y"}, nil},
		{"a\nb\tc", []string{"a", "b", "c"}, nil},
		{`"\n"`, []string{`\n`}, nil},
		{``, nil, nil},
		{`"open`, nil, errNoClosingQuote},
		{`'open`, nil, errNoClosingQuote},
		{`trailing\`, nil, errNoEscaped},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if err != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestQuoteArg(t *testing.T) {
	for in, want := range map[string]string{
		"": "''", "abc": "abc", "a b": "'a b'", "it's": `'it'"'"'s'`, "!": "'!'",
		"a_b@%+=:,./-": "a_b@%+=:,./-", "é": "'é'",
	} {
		if got := firewalld.Quote(in); got != want {
			t.Errorf("firewalld.Quote(%q) = %s, want %s", in, got, want)
		}
		if back, err := splitArgs(firewalld.Quote(in)); err != nil || len(back) != 1 || back[0] != in {
			t.Errorf("firewalld.Quote(%q) does not split back: %q, %v", in, back, err)
		}
	}
}

func TestReadDirectErrors(t *testing.T) {
	tests := []struct{ name, xml, err string }{
		{"passthrough without ipv", `<direct><passthrough>-j ACCEPT</passthrough></direct>`, "<passthrough> has no ipv attribute"},
		{"rule without priority", `<direct><rule ipv="ipv4" table="filter" chain="INPUT">-j ACCEPT</rule></direct>`, "has no priority attribute"},
		{"rule with a bad ipv", `<direct><rule ipv="ipv5" table="filter" chain="INPUT" priority="0">-j ACCEPT</rule></direct>`, `ipv "ipv5" not from`},
		{"chain without table", `<direct><chain ipv="ipv4" chain="X"/></direct>`, "<chain> has no table attribute"},
		{"two direct tags", `<direct></direct><direct></direct>`, "more than one direct tag"},
		{"unclosed quote", `<direct><passthrough ipv="ipv4">-m comment --comment "x</passthrough></direct>`, "no closing quotation"},
		{"not XML", `<direct><passthrough ipv="ipv4">`, "XML syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadDirect(strings.NewReader(tt.xml))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestReadDirectFile(t *testing.T) {
	d, err := ReadDirectFile(filepath.Join(t.TempDir(), "direct.xml"))
	if err != nil || len(d.Entries)+len(d.Ignored) != 0 {
		t.Fatalf("missing file: %+v, %v", d, err)
	}
	path := filepath.Join(t.TempDir(), "direct.xml")
	xml := `<?xml version="1.0" encoding="utf-8"?>
<direct>
  <passthrough ipv="ipv6">-t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu</passthrough>
</direct>
`
	if err := os.WriteFile(path, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = ReadDirectFile(path)
	if err != nil || len(d.Entries) != 1 || !d.Entries[0].Permanent || d.Entries[0].Runtime ||
		d.Entries[0].String() != "ipv6 -t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu" {
		t.Fatalf("ReadDirectFile = %+v, %v", d, err)
	}
	if err := os.WriteFile(path, []byte("<direct>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDirectFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("broken file: %v", err)
	}
}

func TestMerge(t *testing.T) {
	a := pt("ipv4", "-A FORWARD -j ACCEPT")
	b := pt("ipv4", "-A FORWARD -j DROP")
	c := Entry{Kind: DirectRule, IPV: "ipv4", Table: "filter", Chain: "FORWARD", Args: []string{"-j", "ACCEPT"}}
	got := Merge([]Entry{a, c}, []Entry{b, a, a})
	want := []Entry{inPlace(a, true, true), inPlace(c, false, true), inPlace(b, true, false)}
	if len(got) != len(want) {
		t.Fatalf("Merge = %+v", got)
	}
	for i := range want {
		if !got[i].same(want[i]) || got[i].Runtime != want[i].Runtime || got[i].Permanent != want[i].Permanent {
			t.Errorf("Merge[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[1].String() != "ipv4 filter FORWARD 0 -j ACCEPT" || got[0].Where() != "runtime, permanent" {
		t.Errorf("String %q, Where %q", got[1].String(), got[0].Where())
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct{ in, ipv, want, err string }{
		{"10.1.2.3", "ipv4", "10.1.2.3", ""},
		{"10.1.2.3/32", "ipv4", "10.1.2.3", ""},
		{"10.1.2.3/8", "ipv4", "10.0.0.0/8", ""},
		{"10.1.2.3/255.255.0.0", "ipv4", "10.1.0.0/16", ""},
		{"0.0.0.0/0", "ipv4", "0.0.0.0/0", ""},
		{"2001:db8::1/64", "ipv6", "2001:db8::/64", ""},
		{"2001:DB8::1", "ipv6", "2001:db8::1", ""},
		{"::ffff:10.0.0.1", "ipv6", "", "not an IPv6 address"},
		{"10.0.0.1", "ipv6", "", "not an IPv6 address"},
		{"fe80::1%eth0", "ipv6", "", "not an IP address"},
		{"host.example", "ipv4", "", "host name"},
		{"10.0.0.0/255.0.255.0", "ipv4", "", "bad prefix length or mask"},
		{"10.0.0.0/-1", "ipv4", "", "bad prefix length or mask"},
		{"2001:db8::/129", "ipv6", "", "bad prefix length or mask"},
		{"2001:db8::/ffff::", "ipv6", "", "bad prefix length or mask"},
	}
	for _, tt := range tests {
		got, err := parseAddr(tt.in, tt.ipv)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseAddr(%q, %s) = %q, %v; want error %q", tt.in, tt.ipv, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseAddr(%q, %s) = %q, %v; want %q", tt.in, tt.ipv, got, err, tt.want)
		}
	}
}

// TestConfigView reads zones and policies from a system and a
// configuration directory, the latter winning, as firewalld does.
func TestConfigView(t *testing.T) {
	sys, etc := t.TempDir(), t.TempDir()
	write := func(dir, rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(sys, "zones/public.xml", `<zone><short>Public</short><service name="ssh"/></zone>`)
	write(sys, "zones/internal.xml", `<zone/>`)
	write(sys, "policies/allow-host-ipv6.xml", `<policy priority="-15000"><ingress-zone name="ANY"/><egress-zone name="HOST"/></policy>`)
	write(etc, "zones/public.xml", `<zone><interface name="eth0"/><source address="10.0.0.0/8"/></zone>`)
	write(etc, "zones/broken.xml", `<zone><bogus/></zone>`)
	write(etc, "firewalld.conf", "DefaultZone=internal\n")
	v, problems := ConfigView(sys, etc)
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "broken.xml") {
		t.Errorf("problems %v, want broken.xml", problems)
	}
	if v.Topology.DefaultZone != "internal" || len(v.Topology.Zones) != 2 || len(v.Topology.Policies) != 1 {
		t.Fatalf("view %+v", v)
	}
	m, ok := v.zoneOfInterface("eth0")
	if !ok || m.zone.Name != "public" || !slices.Equal(m.zone.Sources, []string{"10.0.0.0/8"}) {
		t.Errorf("eth0 in %+v", m)
	}
	if name, ok := v.existingPolicy([]string{"ANY"}, []string{"HOST"}); !ok || name != "allow-host-ipv6" {
		t.Errorf("ANY -> HOST: %q %v", name, ok)
	}
	v, _ = ConfigView(sys, t.TempDir())
	if v.Topology.DefaultZone != "public" {
		t.Errorf("default zone without firewalld.conf: %q", v.Topology.DefaultZone)
	}
}
