package store

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

const xmlHead = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// TestBadFiles: every problem is reported at its line and column, and the
// file is left out.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		policy bool
		text   string
		want   []string // "LINE:COL: text in the error"
	}{
		{"empty file", false, "", []string{"1:1: PARSE_ERROR: no <zone> element"}},
		{"syntax: unclosed", false, xmlHead + "<zone>\n  <rule>\n    <tcp-mss-clamp/>\n</zone>\n",
			[]string{"5:8: XML syntax error: element <rule> closed by </zone>"}},
		{"syntax: bad attribute", false, xmlHead + "<zone>\n  <interface name=eth0/>\n</zone>\n",
			[]string{"3:20: XML syntax error: unquoted or missing attribute value in element"}},
		{"syntax: truncated", false, xmlHead + "<zone>\n  <rule>\n    <tcp-mss-cl",
			[]string{"4:16: XML syntax error: unexpected EOF"}},
		{"wrong root", false, xmlHead + "<policy target=\"CONTINUE\">\n</policy>\n",
			[]string{"2:1: PARSE_ERROR: root element is <policy>, expected <zone>"}},
		{"second root", false, xmlHead + "<zone>\n</zone>\n<zone>\n</zone>\n",
			[]string{"4:1: PARSE_ERROR: content after </zone>"}},
		{"text in zone", false, xmlHead + "<zone>\n  hello\n</zone>\n",
			[]string{"2:7: PARSE_ERROR: text in <zone>"}},
		{"unknown element", false, xmlHead + "<zone>\n  <rul>\n    <tcp-mss-clamp/>\n  </rul>\n</zone>\n",
			[]string{"3:3: PARSE_ERROR: Unexpected element rul in <zone>"}},
		{"unknown root attribute", false, xmlHead + "<zone colour=\"red\">\n</zone>\n",
			[]string{"2:1: PARSE_ERROR: zone: Unexpected attribute colour"}},
		{"interface without name", false, xmlHead + "<zone>\n  <interface/>\n</zone>\n",
			[]string{"3:3: PARSE_ERROR: Missing attribute name for interface"}},
		{"bad interface", false, xmlHead + "<zone>\n  <interface name=\"a*\"/>\n</zone>\n",
			[]string{"3:3: INVALID_INTERFACE: invalid interface 'a*'"}},
		{"interface twice", false, xmlHead + "<zone>\n  <interface name=\"a\"/>\n  <interface name=\"a\"/>\n</zone>\n",
			[]string{"4:3: ALREADY_ENABLED: interface 'a' already set"}},
		{"bad source", false, xmlHead + "<zone>\n  <source address=\"10.0.0.256\"/>\n</zone>\n",
			[]string{"3:3: INVALID_ADDR: invalid source '10.0.0.256'"}},
		{"source with two kinds", false, xmlHead + "<zone>\n  <source address=\"10.0.0.1\" ipset=\"x\"/>\n</zone>\n",
			[]string{"3:3: INVALID_ADDR: Invalid source: exactly one of address, mac and ipset"}},
		{"inverted binding", false, xmlHead + "<zone>\n  <source address=\"10.0.0.1\" invert=\"True\"/>\n</zone>\n",
			[]string{"3:3: INVALID_ADDR: Invalid source: Invertion not allowed here."}},
		{"bad mac", false, xmlHead + "<zone>\n  <source mac=\"10.0.0.1\"/>\n</zone>\n",
			[]string{"3:3: INVALID_MAC: 10.0.0.1"}},
		{"child in interface", false, xmlHead + "<zone>\n  <interface name=\"a\"><x/></interface>\n</zone>\n",
			[]string{"3:23: PARSE_ERROR: unexpected element <x> in <interface>"}},
		{"element in short", false, xmlHead + "<zone>\n  <short>a<b>c</b></short>\n</zone>\n",
			[]string{"3:11: PARSE_ERROR: unexpected element <b> in <short>"}},
		{"rule value too small", false, xmlHead + "<zone>\n  <rule>\n    <tcp-mss-clamp value=\"535\"/>\n  </rule>\n</zone>\n",
			[]string{"4:33: INVALID_RULE: 535 (<tcp-mss-clamp> tcp-mss-clamp value: found \"535\", expected pmtu or a number 536..65535)"}},
		{"rule value on the rule line", false, xmlHead + "<zone>\n  <rule><tcp-mss-clamp value=\"70000\"/></rule>\n</zone>\n",
			[]string{"3:39: INVALID_RULE: 70000"}},
		{"rule unknown attribute", false, xmlHead + "<zone>\n  <rule>\n    <tcp-mss-clamp mss=\"1200\"/>\n  </rule>\n</zone>\n",
			[]string{"4:32: PARSE_ERROR: tcp-mss-clamp: Unexpected attribute mss"}},
		{"rule with audit", false, xmlHead + "<zone>\n  <rule>\n    <tcp-mss-clamp/>\n    <audit/>\n  </rule>\n</zone>\n",
			[]string{"INVALID_AUDIT_TYPE"}},
		{"every bad rule", false, xmlHead + "<zone>\n" +
			"  <rule>\n    <tcp-mss-clamp value=\"1\"/>\n  </rule>\n" +
			"  <rule>\n    <tcp-mss-clamp/>\n  </rule>\n" +
			"  <rule>\n    <tcp-mss-clamp value=\"2\"/>\n  </rule>\n" +
			"  <rule>\n    <tcp-mss-clamp value=\"pmtu\"/>\n  </rule>\n" +
			"</zone>\n",
			[]string{"4:31: INVALID_RULE: 1", "10:31: INVALID_RULE: 2",
				`12:3: ALREADY_ENABLED: rule 'rule tcp-mss-clamp' already at line 6`}},
		{"bad family", false, xmlHead + "<zone>\n  <rule family=\"ipv5\">\n    <tcp-mss-clamp/>\n  </rule>\n</zone>\n",
			[]string{"INVALID_FAMILY"}},
		{"policy priority", true, xmlHead + "<policy priority=\"high\" target=\"CONTINUE\">\n</policy>\n",
			[]string{"2:1: INVALID_PRIORITY: 'high' is not an integer"}},
		{"policy priority 0", true, xmlHead + "<policy priority=\"0\" target=\"CONTINUE\">\n</policy>\n",
			[]string{"2:1: INVALID_PRIORITY: 0 is invalid priority"}},
		{"policy ANY and zone", true, xmlHead + "<policy target=\"CONTINUE\">\n  <ingress-zone name=\"ANY\"/>\n  <ingress-zone name=\"public\"/>\n</policy>\n",
			[]string{"4:3: INVALID_ZONE: 'ingress_zones' may only contain one of: many regular zones, ANY, or HOST"}},
		{"policy HOST both sides", true, xmlHead + "<policy target=\"CONTINUE\">\n  <egress-zone name=\"HOST\"/>\n  <ingress-zone name=\"HOST\"/>\n</policy>\n",
			[]string{"4:3: INVALID_ZONE: 'HOST' can only appear in either ingress or egress zones, but not both"}},
		{"policy zone name", true, xmlHead + "<policy target=\"CONTINUE\">\n  <egress-zone name=\"a.b\"/>\n</policy>\n",
			[]string{"3:3: INVALID_ZONE: egress zone 'a.b': INVALID_NAME: '.' is not allowed in 'a.b'"}},
		{"policy element in zone", false, xmlHead + "<zone>\n  <ingress-zone name=\"ANY\"/>\n</zone>\n",
			[]string{"3:3: PARSE_ERROR: Unexpected element ingress-zone in <zone>"}},
		{"encoding", false, `<?xml version="1.0" encoding="iso-8859-1"?>` + "\n<zone/>\n",
			[]string{`1:44: xml: encoding "iso-8859-1" declared`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []*FileError
			if tt.policy {
				p, fes := decodePolicy("f.xml", "p", []byte(tt.text))
				if p != nil {
					t.Errorf("policy loaded: %+v", p)
				}
				errs = fes
			} else {
				z, fes := decodeZone("f.xml", "z", []byte(tt.text))
				if z != nil {
					t.Errorf("zone loaded: %+v", z)
				}
				errs = fes
			}
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), "f.xml:"))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("error %d: %s\nwant it to contain: %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestErrorKinds: the causes stay reachable through the FileError.
func TestErrorKinds(t *testing.T) {
	_, errs := decodeZone("f.xml", "z", []byte("<zone><rule><tcp-mss-clamp value=\"9\"/></rule><x>"))
	if len(errs) != 3 {
		t.Fatalf("errors %v, want 3", errs)
	}
	var re *firewalld.Error
	if !errors.As(errs[0], &re) || re.Code != firewalld.InvalidRule || re.Line != 0 {
		t.Errorf("%v: want a *firewalld.Error INVALID_RULE without its own position", errs[0])
	}
	if !errors.Is(errs[1], &firewalld.Error{Code: firewalld.ParseError}) {
		t.Errorf("%v: want PARSE_ERROR", errs[1])
	}
	var se *xml.SyntaxError
	if !errors.As(errs[2], &se) {
		t.Errorf("%v: want an *xml.SyntaxError inside", errs[2])
	}
}

// TestLoadSurvivesBadFiles: a corrupted file among good ones is reported
// with its path and line, the others load.
func TestLoadSurvivesBadFiles(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	for _, name := range []string{"a", "c"} {
		if err := s.SaveZone(&Zone{Name: name, Rules: rules(t, "rule tcp-mss-clamp")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SavePolicy(&Policy{Name: "p", Priority: 10, Rules: rules(t, "rule tcp-mss-clamp")}); err != nil {
		t.Fatal(err)
	}
	good := readString(t, s.zonePath("a"))
	writeFile(t, s.zonePath("b"), good[:len(good)-20]) // cut short, as by a full disk
	writeFile(t, s.zonePath("bad.name"), good)
	writeFile(t, s.policyPath("q"), good)
	writeFile(t, filepath.Join(dir, "zones", "notes.txt"), "not configuration")
	if err := os.Mkdir(filepath.Join(dir, "zones", "sub.xml"), 0o755); err != nil {
		t.Fatal(err)
	}

	cfg, errs := s.Load()
	var names []string
	for _, z := range cfg.Zones {
		names = append(names, z.Name)
	}
	for _, p := range cfg.Policies {
		names = append(names, "policy "+p.Name)
	}
	if got := strings.Join(names, ","); got != "a,c,policy p" {
		t.Errorf("loaded %s, want a,c,policy p", got)
	}
	var got []string
	for _, e := range errs {
		got = append(got, strings.TrimPrefix(e.Error(), dir+"/"))
	}
	want := []string{
		"zones/b.xml:4:20: XML syntax error: unexpected EOF",
		`zones/bad.name.xml: zone name: INVALID_NAME: '.' is not allowed in 'bad.name'`,
		"policies/q.xml:2:1: PARSE_ERROR: root element is <zone>, expected <policy>",
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: %s\nwant: %s...", i, got[i], want[i])
		}
	}
	if _, err := s.LoadZone("b"); err == nil || !strings.Contains(err.Error(), "b.xml:4:20:") {
		t.Errorf("LoadZone(b): %v", err)
	}
}

func TestFileErrorText(t *testing.T) {
	err := fmt.Errorf("x")
	for _, tt := range []struct {
		e    FileError
		want string
	}{
		{FileError{Path: "p", Err: err}, "p: x"},
		{FileError{Path: "p", Line: 3, Err: err}, "p:3: x"},
		{FileError{Path: "p", Line: 3, Column: 7, Err: err}, "p:3:7: x"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
		if !errors.Is(&tt.e, err) {
			t.Errorf("%v does not unwrap", tt.e)
		}
	}
}
