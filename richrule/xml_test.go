package richrule

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// zoneFile is the part of a firewalld zone or policy file we read: its
// rules, as the permanent store embeds them.
type zoneFile struct {
	XMLName xml.Name `xml:"zone"`
	Rules   []*Rule  `xml:"rule"`
}

const xmlDir = "../testdata/richrule/xml"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join(xmlDir, name), string(got))
}

// TestXMLReadFirewalld reads a zone file written by firewalld 1.3.3's own
// zone_writer (<tcp-mss-clamp/>, value="None", invert="True", limits as
// children, every element). The golden .lists file is what we list for
// it; firewalld-1.3.3-zone.firewalld-lists is what firewalld lists.
func TestXMLReadFirewalld(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(xmlDir, "firewalld-1.3.3-zone.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var z zoneFile
	if err := xml.Unmarshal(data, &z); err != nil {
		t.Fatalf("reading firewalld's file: %v", err)
	}
	var out strings.Builder
	for _, r := range z.Rules {
		out.WriteString(r.String() + "\n")
	}
	golden(t, "firewalld-1.3.3-zone.lists", []byte(out.String()))

	// firewalld turns <tcp-mss-clamp/> into value="pmtu" on reading; the
	// same rule is one rule here, whichever way it was written.
	bare, _ := Parse("rule tcp-mss-clamp")
	if !z.Rules[0].Equal(bare) || !z.Rules[1].Equal(bare) {
		t.Errorf("<tcp-mss-clamp/> read as %q and %q, want %q", z.Rules[0], z.Rules[1], bare)
	}
	if last := z.Rules[len(z.Rules)-1]; last.Clamp() == nil || last.Clamp().Value != PMTU {
		t.Errorf(`value="None" read as %q, want a pmtu clamp`, last)
	}

	// Our writer, and back.
	b, err := xml.MarshalIndent(z, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ours-zone.xml", append(b, '\n'))
	var z2 zoneFile
	if err := xml.Unmarshal(b, &z2); err != nil {
		t.Fatal(err)
	}
	if len(z2.Rules) != len(z.Rules) {
		t.Fatalf("%d rules read back, want %d", len(z2.Rules), len(z.Rules))
	}
	for i := range z.Rules {
		if !z2.Rules[i].Equal(z.Rules[i]) {
			t.Errorf("rule %d: wrote %q, read back %q", i, z.Rules[i], z2.Rules[i])
		}
	}
}

func TestXMLErrors(t *testing.T) {
	tests := []struct {
		name, xml, code, text string
	}{
		{"clamp too big", `<tcp-mss-clamp value="70000"/>`, "INVALID_RULE", `70000 (line 1 column 37, <tcp-mss-clamp> tcp-mss-clamp value`},
		{"clamp too small", `<tcp-mss-clamp value="535"/>`, "INVALID_RULE", "535"},
		{"clamp PMTU", `<tcp-mss-clamp value="PMTU"/>`, "INVALID_RULE", "PMTU"},
		{"clamp and action", `<tcp-mss-clamp/><accept/>`, "INVALID_RULE", "tcp-mss-clamp and accept are mutually exclusive"},
		{"bad family", `<tcp-mss-clamp/>`, "INVALID_FAMILY", "ipv5"},
		{"priority not a number", `<tcp-mss-clamp/>`, "INVALID_PRIORITY", "invalid 'priority' attribute value 'x'."},
		{"priority out of range", `<tcp-mss-clamp/>`, "INVALID_PRIORITY", "must be between"},
		{"empty service", `<service name=""/><accept/>`, "INVALID_SERVICE", ""},
		{"empty icmp-block", `<icmp-block name=""/>`, "INVALID_ICMPTYPE", ""},
		{"empty icmp-type", `<icmp-type name=""/><accept/>`, "INVALID_ICMPTYPE", ""},
		{"missing attribute", `<port port="22"/><accept/>`, "PARSE_ERROR", "Missing attribute protocol for port"},
		{"unexpected attribute", `<tcp-mss-clamp mss="1200"/>`, "PARSE_ERROR", "tcp-mss-clamp: Unexpected attribute mss"},
		{"unexpected element", `<clamp/>`, "PARSE_ERROR", "Unexpected element clamp"},
		{"limit in element", `<service name="ssh"><limit value="1/m"/></service><accept/>`, "PARSE_ERROR", "Unexpected element limit in service"},
		{"two limits", `<service name="ssh"/><accept><limit value="1/m"/><limit value="2/m"/></accept>`, "INVALID_RULE", "more than one limit"},
		{"bad limit", `<service name="ssh"/><accept><limit value="0/m"/></accept>`, "INVALID_LIMIT", "0/m (line 1 column"},
		{"bad burst", `<service name="ssh"/><accept><limit value="1/m" burst="x"/></accept>`, "INVALID_LIMIT", "x"},
		{"two elements", `<service name="ssh"/><tcp-mss-clamp/>`, "INVALID_RULE", "more than one element"},
		{"two actions", `<service name="ssh"/><accept/><drop/>`, "INVALID_RULE", "more than one 'action' element"},
		{"two sources", `<source ipset="a"/><source ipset="b"/><tcp-mss-clamp/>`, "INVALID_RULE", "more than one 'source' element"},
		{"empty source", `<source/><tcp-mss-clamp/>`, "INVALID_RULE", "no address, mac and ipset"},
		{"empty destination", `<destination invert="True"/><tcp-mss-clamp/>`, "INVALID_RULE", "no address and ipset"},
		{"address without family", `<source address="10.0.0.1"/><tcp-mss-clamp/>`, "MISSING_FAMILY", "<source>"},
		{"bad address", `<source address="10.0.0.300"/><tcp-mss-clamp/>`, "INVALID_ADDR", "10.0.0.300"},
		{"bad mac", `<source mac="00:11"/><tcp-mss-clamp/>`, "INVALID_MAC", "00:11"},
		{"empty log prefix", `<service name="ssh"/><log prefix=""/><accept/>`, "INVALID_LOG_PREFIX", "empty prefix"},
		{"bad log level", `<service name="ssh"/><log level="loud"/><accept/>`, "INVALID_LOG_LEVEL", "loud"},
		{"empty nflog group", `<service name="ssh"/><nflog group=""/><accept/>`, "INVALID_NFLOG_GROUP", "empty group"},
		{"bad nflog queue", `<service name="ssh"/><nflog queue-size="70000"/><accept/>`, "INVALID_NFLOG_QUEUE", "queue-size"},
		{"mark without set", `<service name="ssh"/><mark/>`, "PARSE_ERROR", "Missing attribute set for mark"},
		{"bad mark", `<service name="ssh"/><mark set="x"/>`, "INVALID_MARK", "x"},
		{"audit without action", `<service name="ssh"/><audit/>`, "INVALID_AUDIT_TYPE", "NoneType"},
		{"reject type without family", `<service name="ssh"/><reject type="tcp-reset"/>`, "INVALID_RULE", "When using reject type"},
		{"unprintable prefix", `<service name="ssh"/><log prefix="a=b"/><accept/>`, "INVALID_RULE", "cannot print back"},
		{"control character", `<service name="ssh"/><log prefix="a&#9;b"/><accept/>`, "INVALID_RULE", "U+0009"},
	}
	ruleAttrs := map[string]string{
		"bad family": ` family="ipv5"`, "priority not a number": ` priority="x"`, "priority out of range": ` priority="40000"`,
		"bad address": ` family="ipv4"`, "reject type without family": ``,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "<rule" + ruleAttrs[tt.name] + ">" + tt.xml + "</rule>"
			var r Rule
			err := xml.Unmarshal([]byte(doc), &r)
			var e *firewalld.Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal(%s) = %v, want a *firewalld.Error", doc, err)
			}
			if e.Code.Name() != tt.code || !strings.Contains(e.Error(), tt.text) {
				t.Errorf("Unmarshal(%s) = %q, want %s containing %q", doc, e, tt.code, tt.text)
			}
			if e.Line == 0 {
				t.Errorf("error %q has no position", e)
			}
		})
	}
}

func TestXMLInvert(t *testing.T) {
	for _, tt := range []struct {
		invert string
		want   bool
	}{{"True", true}, {"true", true}, {"yes", true}, {"YES", true}, {"False", false}, {"no", false}, {"1", false}, {"", false}} {
		doc := `<rule family="ipv4"><source address="10.0.0.1" invert="` + tt.invert + `"/><tcp-mss-clamp/></rule>`
		var r Rule
		if err := xml.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatal(err)
		}
		if r.Source.Invert != tt.want {
			t.Errorf("invert=%q read as %v, want %v (firewalld: yes or true, any case)", tt.invert, r.Source.Invert, tt.want)
		}
	}
}

func TestXMLWriteInvalid(t *testing.T) {
	r := &Rule{Element: &TCPMSSClamp{Value: 100}}
	_, err := xml.Marshal(r)
	var e *firewalld.Error
	if !errors.As(err, &e) || e.Code != firewalld.InvalidRule {
		t.Errorf("Marshal of an invalid rule = %v, want INVALID_RULE", err)
	}
}
