package firewalld

import (
	"strings"
	"testing"
)

// TestValidName: firewalld 1.3.3's Zone/Policy.check_name verdicts
// (checked with its Python code), except '/' which we refuse.
func TestValidName(t *testing.T) {
	tests := []struct {
		name         string
		zone, policy bool
	}{
		{"", false, false},
		{"public", true, true},
		{"zone_1-x", true, true},
		{"-", true, true},
		{"ANY", true, true},
		{strings.Repeat("a", 17), true, true},
		{strings.Repeat("a", 18), false, true},
		{strings.Repeat("a", 19), false, false},
		{strings.Repeat("é", 17), true, true}, // characters, not bytes
		{"zoné", true, true},
		{"区域", true, true},
		{"١٢", true, true}, // Python's isalnum: any Unicode digit or number
		{"½", true, true},
		{"Ⅻ", true, true},
		{"a/b", false, false}, // firewalld: a zone in a sub-directory
		{"/a", false, false},
		{".", false, false},
		{"..", false, false},
		{"a.b", false, false},
		{"a b", false, false},
		{"a+b", false, false},
		{"a\x00", false, false},
		{"a\u200bb", false, false},
		{"a\xff", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidZoneName(tt.name); (err == nil) != tt.zone {
				t.Errorf("ValidZoneName(%q) = %v, want ok=%v", tt.name, err, tt.zone)
			}
			if err := ValidPolicyName(tt.name); (err == nil) != tt.policy {
				t.Errorf("ValidPolicyName(%q) = %v, want ok=%v", tt.name, err, tt.policy)
			}
		})
	}
}

func TestCheckSource(t *testing.T) {
	tests := []struct {
		src string
		ok  bool
	}{
		{"10.0.0.1", true},
		{"10.0.0.0/8", true},
		{"10.0.0.0/255.0.0.0", true},
		{"10.0.0.0/0", true},
		{"10.0.0.0/33", false},
		{"10.0.0.0/", false},
		{"/8", false},
		{"10.0.0.256", false},
		{"010.0.0.1", false}, // inet_pton refuses leading zeros
		{"2001:db8::/32", true},
		{"[2001:db8::1]", true},
		{"2001:db8::/129", false},
		{"fe80::1%eth0", false},
		{"::ffff:10.0.0.1", true},
		{"00:11:22:aa:BB:cc", true},
		{"00:11:22:aa:BB", false},
		{"00-11-22-aa-bb-cc", false},
		{"ipset:peers", true},
		{"ipset:", false},
		{"host.example", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := CheckSource(tt.src); (err == nil) != tt.ok {
			t.Errorf("CheckSource(%q) = %v, want ok=%v", tt.src, err, tt.ok)
		}
	}
}

func TestCheckInterface(t *testing.T) {
	tests := []struct {
		iface string
		ok    bool
	}{
		{"eth0", true},
		{"wg-up.1", true},
		{"eth+", true},
		{`q"x`, true},
		{strings.Repeat("x", 16), true},
		{strings.Repeat("x", 17), false},
		{"", false},
		{"a b", false},
		{"a/b", false},
		{"a!", false},
		{"a*", false},
		{"a\x01", false},
	}
	for _, tt := range tests {
		if err := CheckInterface(tt.iface); (err == nil) != tt.ok {
			t.Errorf("CheckInterface(%q) = %v, want ok=%v", tt.iface, err, tt.ok)
		}
	}
}
