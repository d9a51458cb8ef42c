package richrule

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckBuilt checks rules built in Go, which carry typed values only.
func TestCheckBuilt(t *testing.T) {
	lim := func(rate uint32, unit byte, burst uint32) *Limit { return &Limit{Rate: rate, Unit: unit, Burst: burst} }
	tests := []struct {
		name string
		r    Rule
		code Code // 0: valid
		text string
	}{
		{"clamp pmtu", Rule{Element: &TCPMSSClamp{}}, 0, ""},
		{"clamp 536", Rule{Element: &TCPMSSClamp{Value: MinMSS}}, 0, ""},
		{"clamp 65535", Rule{Element: &TCPMSSClamp{Value: MaxMSS}}, 0, ""},
		{"clamp 535", Rule{Element: &TCPMSSClamp{Value: 535}}, InvalidRule, "INVALID_RULE: 535 (tcp-mss-clamp value"},
		{"clamp and drop", Rule{Element: &TCPMSSClamp{}, Action: &Drop{}}, InvalidRule, "INVALID_RULE: tcp-mss-clamp and drop are mutually exclusive"},
		{"bad family", Rule{Family: "inet", Element: &TCPMSSClamp{}}, InvalidFamily, "INVALID_FAMILY: inet"},
		{"address without family", Rule{Source: &Source{Address: "10.0.0.1"}, Element: &TCPMSSClamp{}}, MissingFamily, "MISSING_FAMILY"},
		{"priority", Rule{Priority: 32768, Element: &TCPMSSClamp{}}, InvalidPriority, "between -32768 and 32767"},
		{"empty source", Rule{Source: &Source{Invert: true}, Element: &TCPMSSClamp{}}, InvalidRule, "no address, mac and ipset"},
		{"empty destination", Rule{Family: FamilyIPv4, Destination: &Destination{}, Element: &TCPMSSClamp{}}, InvalidRule, "no address and ipset"},
		{"service without name", Rule{Element: &Service{}, Action: &Accept{}}, InvalidService, "INVALID_SERVICE"},
		{"icmp-block without name", Rule{Element: &IcmpBlock{}}, InvalidIcmpType, "INVALID_ICMPTYPE"},
		{"icmp-type without name", Rule{Element: &IcmpType{}, Action: &Drop{}}, InvalidIcmpType, "INVALID_ICMPTYPE"},
		{"port", Rule{Element: &Port{Port: "22", Protocol: "tcp"}, Action: &Accept{}}, 0, ""},
		{"port empty", Rule{Element: &Port{Protocol: "tcp"}, Action: &Accept{}}, InvalidPort, "INVALID_PORT"},
		{"forward-port without family", Rule{Element: &ForwardPort{Port: "80", Protocol: "tcp", ToPort: "81"}}, MissingFamily, "MISSING_FAMILY"},
		{"forward-port", Rule{Family: FamilyIPv6, Element: &ForwardPort{Port: "80", Protocol: "tcp", ToAddr: "::1"}}, 0, ""},
		{"limit", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'm', 0)}}, 0, ""},
		{"limit burst", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'm', 20)}}, 0, ""},
		{"limit zero rate", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(0, 'm', 0)}}, InvalidLimit, "INVALID_LIMIT: 0/m"},
		{"limit bad unit", Rule{Element: &Service{Name: "ssh"}, Action: &Accept{Limit: lim(1, 'w', 0)}}, InvalidLimit, "INVALID_LIMIT: 1/w"},
		{"limit 1/d", Rule{Element: &Service{Name: "ssh"}, Audit: &Audit{Limit: lim(1, 'd', 0)}, Action: &Accept{}}, InvalidLimit, "1/d too slow"},
		{"limit burst too big", Rule{Element: &Service{Name: "ssh"}, Log: &Log{Limit: lim(1, 's', 10_000_001)}, Action: &Accept{}}, InvalidLimit, "10000001"},
		{"mark empty", Rule{Element: &Service{Name: "ssh"}, Action: &Mark{}}, InvalidMark, "no value set"},
		{"unprintable", Rule{Element: &Service{Name: `a"b`}, Action: &Accept{}}, InvalidRule, "cannot print back"},
		{"unprintable mark", Rule{Element: &Service{Name: "ssh"}, Action: &Mark{Set: " 1"}}, InvalidRule, "cannot print back"},
		{"newline", Rule{Element: &Service{Name: "ssh"}, Log: &Log{Prefix: "a\nb"}, Action: &Accept{}}, InvalidRule, "U+000A"},
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
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || !strings.Contains(e.Error(), tt.text) {
				t.Errorf("Check(%q) = %v, want %s containing %q", &tt.r, err, tt.code.Name(), tt.text)
			}
		})
	}
}

func TestCodes(t *testing.T) {
	for _, tt := range []struct {
		c    Code
		name string
		num  int
	}{{InvalidRule, "INVALID_RULE", 122}, {MissingFamily, "MISSING_FAMILY", 207}, {InvalidAuditType, "INVALID_AUDIT_TYPE", 126},
		{ParseError, "PARSE_ERROR", 28}, {UnknownError, "UNKNOWN_ERROR", 254}, {InvalidNFLogQueue, "INVALID_NFLOG_QUEUE", 143},
		{AlreadyEnabled, "ALREADY_ENABLED", 11}, {NotAuthorized, "NOT_AUTHORIZED", 253}} {
		if tt.c.Name() != tt.name || tt.c.Number() != tt.num {
			t.Errorf("%d: Name %q Number %d, want %q %d", tt.c, tt.c.Name(), tt.c.Number(), tt.name, tt.num)
		}
		if c, ok := CodeByName(tt.name); !ok || c != tt.c {
			t.Errorf("CodeByName(%q) = %v, %v", tt.name, c, ok)
		}
	}
	if len(codeNames) != 84 {
		t.Errorf("%d codes, firewalld 1.3.3's errors.py has 84", len(codeNames))
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("rule tcp-mss-clamp value=535")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not a *Error: %v", err)
	}
	if got, want := e.Error(), `INVALID_RULE: 535 (column 20, tcp-mss-clamp value: found "535", expected pmtu or a number 536..65535)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Column != 20 || e.Construct != "tcp-mss-clamp value" || e.Found != `"535"` || e.Msg != "535" {
		t.Errorf("fields: %+v", e)
	}
	if !errors.Is(err, &Error{Code: InvalidRule}) || errors.Is(err, &Error{Code: InvalidPort}) {
		t.Errorf("errors.Is by code does not work")
	}
	// Columns count characters of the original text, deleted ones included.
	_, err = Parse("rule\x01 tcp-mss-clamp vålue=1")
	if errors.As(err, &e); e.Column != 21 {
		t.Errorf("column %d, want 21: %v", e.Column, err)
	}
}
