package richrule

import (
	"errors"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// TestCheckBuilt checks rules built in Go, which carry typed values only.
func TestCheckBuilt(t *testing.T) {
	lim := func(rate uint32, unit byte, burst uint32) *Limit { return &Limit{Rate: rate, Unit: unit, Burst: burst} }
	tests := []struct {
		name string
		r    Rule
		code firewalld.Code // 0: valid
		text string
	}{
		{"clamp pmtu", Rule{Element: &TCPMSSClamp{}}, 0, ""},
		{"clamp 536", Rule{Element: &TCPMSSClamp{Value: MinMSS}}, 0, ""},
		{"clamp 65535", Rule{Element: &TCPMSSClamp{Value: MaxMSS}}, 0, ""},
		{"clamp 535", Rule{Element: &TCPMSSClamp{Value: 535}}, firewalld.InvalidRule, "INVALID_RULE: 535 (tcp-mss-clamp value"},
		{"clamp and drop", Rule{Element: &TCPMSSClamp{}, Action: &Drop{}}, firewalld.InvalidRule, "INVALID_RULE: tcp-mss-clamp and drop are mutually exclusive"},
		{"bad family", Rule{Family: "inet", Element: &TCPMSSClamp{}}, firewalld.InvalidFamily, "INVALID_FAMILY: inet"},
		{"address without family", Rule{Source: &Source{Address: "10.0.0.1"}, Element: &TCPMSSClamp{}}, firewalld.MissingFamily, "MISSING_FAMILY"},
		{"priority", Rule{Priority: 32768, Element: &TCPMSSClamp{}}, firewalld.InvalidPriority, "between -32768 and 32767"},
		{"empty source", Rule{Source: &Source{Invert: true}, Element: &TCPMSSClamp{}}, firewalld.InvalidRule, "no address, mac and ipset"},
		{"empty destination", Rule{Family: FamilyIPv4, Destination: &Destination{}, Element: &TCPMSSClamp{}}, firewalld.InvalidRule, "no address and ipset"},
		{"service without name", Rule{Element: &Service{}, Action: &Accept{}}, firewalld.InvalidService, "INVALID_SERVICE"},
		{"icmp-block without name", Rule{Element: &IcmpBlock{}}, firewalld.InvalidIcmpType, "INVALID_ICMPTYPE"},
		{"icmp-type without name", Rule{Element: &IcmpType{}, Action: &Drop{}}, firewalld.InvalidIcmpType, "INVALID_ICMPTYPE"},
		{"port", Rule{Element: &Port{Port: "22", Protocol: "tcp"}, Action: &Accept{}}, 0, ""},
		{"port empty", Rule{Element: &Port{Protocol: "tcp"}, Action: &Accept{}}, firewalld.InvalidPort, "INVALID_PORT"},
		{"forward-port without family", Rule{Element: &ForwardPort{Port: "80", Protocol: "tcp", ToPort: "81"}}, firewalld.MissingFamily, "MISSING_FAMILY"},
		{"forward-port", Rule{Family: FamilyIPv6, Element: &ForwardPort{Port: "80", Protocol: "tcp", ToAddr: "::1"}}, 0, ""},
		{"limit", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'm', 0)}}, 0, ""},
		{"limit burst", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'm', 20)}}, 0, ""},
		{"limit zero rate", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(0, 'm', 0)}}, firewalld.InvalidLimit, "INVALID_LIMIT: 0/m"},
		{"limit bad unit", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'w', 0)}}, firewalld.InvalidLimit, "INVALID_LIMIT: 1/w"},
		{"limit 1/d", Rule{Element: &Service{Name: "ssh"}, Audit: &Audit{Limit: lim(1, 'd', 0)}, Action: &Accept{}}, firewalld.InvalidLimit, "1/d too slow"},
		{"limit burst too big", Rule{Element: &Service{Name: "ssh"}, Log: &Log{Limit: lim(1, 's', 10_000_001)}, Action: &Accept{}}, firewalld.InvalidLimit, "10000001"},
		{"mark empty", Rule{Element: &Service{Name: "ssh"}, Action: &Mark{}}, firewalld.InvalidMark, "no value set"},
		{"unprintable", Rule{Element: &Service{Name: `a"b`}, Action: &Accept{}}, firewalld.InvalidRule, "cannot print back"},
		{"unprintable mark", Rule{Element: &Service{Name: "ssh"}, Action: &Mark{Set: " 1"}}, firewalld.InvalidRule, "cannot print back"},
		{"newline", Rule{Element: &Service{Name: "ssh"}, Log: &Log{Prefix: "a\nb"}, Action: &Accept{}}, firewalld.InvalidRule, "U+000A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Check()
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("Check(%q) = %v", &tt.r, err)
				}
				if _, perr := Parse(tt.r.String()); perr != nil {
					t.Errorf("valid rule prints as %q, which does not parse: %v", &tt.r, perr)
				}
				return
			}
			var e *firewalld.Error
			if !errors.As(err, &e) || e.Code != tt.code || !strings.Contains(e.Error(), tt.text) {
				t.Errorf("Check(%q) = %v, want %s containing %q", &tt.r, err, tt.code.Name(), tt.text)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("rule tcp-mss-clamp value=535")
	var e *firewalld.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a *firewalld.Error: %v", err)
	}
	if got, want := e.Error(), `INVALID_RULE: 535 (column 20, tcp-mss-clamp value: found "535", expected pmtu or a number 536..65535)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Column != 20 || e.Construct != "tcp-mss-clamp value" || e.Found != `"535"` || e.Msg != "535" {
		t.Errorf("fields: %+v", e)
	}
	if !errors.Is(err, &firewalld.Error{Code: firewalld.InvalidRule}) || errors.Is(err, &firewalld.Error{Code: firewalld.InvalidPort}) {
		t.Errorf("errors.Is by code does not work")
	}
	// Columns count characters of the original text, deleted ones included.
	_, err = Parse("rule\x01 tcp-mss-clamp vålue=1")
	if errors.As(err, &e); e.Column != 21 {
		t.Errorf("column %d, want 21: %v", e.Column, err)
	}
}
