package firewalld

import "testing"

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
