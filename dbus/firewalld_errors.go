package dbus

import (
	"errors"
	"fmt"
	"strings"

	godbus "github.com/godbus/dbus/v5"
)

// ErrNotRunning means firewalld is not on the bus (never started, stopped,
// or gone in the middle of a call). firewall-cmd prints "FirewallD is not
// running" and exits with NOT_RUNNING (252).
var ErrNotRunning = errors.New("FirewallD is not running")

// ErrTimeoutNotSupported is returned for a timeout on a rich rule that is
// permanent or in a policy: firewalld supports timeouts only on runtime zone
// rules.
var ErrTimeoutNotSupported = errors.New("a timeout is only supported for runtime zone rules")

// D-Bus error names firewalld sends (firewall/server/dbus.py).
const (
	fwExceptionName     = "org.fedoraproject.FirewallD1.Exception"
	fwNotAuthorizedName = "org.fedoraproject.FirewallD1.NotAuthorizedException"
)

// FirewalldError is an error firewalld reported, e.g. "INVALID_RULE: bad
// rule". firewall-cmd prints it as "Error: " + Error() and exits with Number.
type FirewalldError struct {
	Code   string // firewalld's code name, e.g. "INVALID_RULE"
	Number int    // its value in firewalld's errors.py, e.g. 122
	Detail string // the text after "CODE: "; may be empty

	// verbatim: firewalld's text named no known code (an internal error,
	// reported as UNKNOWN_ERROR); Error returns Detail alone, as
	// firewall-cmd prints it.
	verbatim bool
}

func (e *FirewalldError) Error() string {
	switch {
	case e.verbatim:
		return e.Detail
	case e.Detail == "":
		return e.Code
	}
	return e.Code + ": " + e.Detail
}

// Is makes errors.Is(err, &FirewalldError{Code: "ALREADY_ENABLED"}) true for
// every error with that code.
func (e *FirewalldError) Is(target error) bool {
	t, ok := target.(*FirewalldError)
	return ok && t.Code == e.Code
}

// NewFirewalldError returns the error firewalld would report for code (a
// name from errors.py) and detail; Number is 254 (UNKNOWN_ERROR) for an
// unknown code.
func NewFirewalldError(code, detail string) *FirewalldError {
	n, ok := errorNumbers[code]
	if !ok {
		n = errorNumbers["UNKNOWN_ERROR"]
	}
	return &FirewalldError{Code: code, Number: n, Detail: detail}
}

// ErrorNumber returns the value of firewalld's error code name, e.g. 122 for
// "INVALID_RULE".
func ErrorNumber(code string) (int, bool) {
	n, ok := errorNumbers[code]
	return n, ok
}

// parseFirewalldError splits firewalld's exception text the way firewalld's
// FirewallError.get_code does: the code is what precedes the first colon.
func parseFirewalldError(msg string) *FirewalldError {
	code, detail, found := strings.Cut(msg, ":")
	if n, ok := errorNumbers[code]; ok {
		if found {
			detail = strings.TrimPrefix(detail, " ")
		}
		return &FirewalldError{Code: code, Number: n, Detail: detail}
	}
	return &FirewalldError{Code: "UNKNOWN_ERROR", Number: errorNumbers["UNKNOWN_ERROR"], Detail: msg, verbatim: true}
}

// mapError turns what a call to firewalld returned into ErrNotRunning, a
// *FirewalldError, or err itself.
func mapError(err error) error {
	var de godbus.Error
	if !errors.As(err, &de) {
		return err
	}
	text := de.Name
	if len(de.Body) > 0 {
		if s, ok := de.Body[0].(string); ok {
			text = s
		}
	}
	switch de.Name {
	case fwExceptionName:
		return parseFirewalldError(text)
	case fwNotAuthorizedName:
		return NewFirewalldError("NOT_AUTHORIZED", text)
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return fmt.Errorf("%w (%s)", ErrNotRunning, text)
	case "org.freedesktop.DBus.Error.NoReply":
		// firewalld left the bus before answering, or hangs.
		return fmt.Errorf("%w (%s)", ErrNotRunning, text)
	}
	return err
}

// errorNumbers is firewalld 1.3.3's errors.py; upstream keeps the numbers
// stable (they are firewall-cmd's exit codes).
var errorNumbers = map[string]int{
	"ALREADY_ENABLED":     11,
	"NOT_ENABLED":         12,
	"COMMAND_FAILED":      13,
	"NO_IPV6_NAT":         14,
	"PANIC_MODE":          15,
	"ZONE_ALREADY_SET":    16,
	"UNKNOWN_INTERFACE":   17,
	"ZONE_CONFLICT":       18,
	"BUILTIN_CHAIN":       19,
	"EBTABLES_NO_REJECT":  20,
	"NOT_OVERLOADABLE":    21,
	"NO_DEFAULTS":         22,
	"BUILTIN_ZONE":        23,
	"BUILTIN_SERVICE":     24,
	"BUILTIN_ICMPTYPE":    25,
	"NAME_CONFLICT":       26,
	"NAME_MISMATCH":       27,
	"PARSE_ERROR":         28,
	"ACCESS_DENIED":       29,
	"UNKNOWN_SOURCE":      30,
	"RT_TO_PERM_FAILED":   31,
	"IPSET_WITH_TIMEOUT":  32,
	"BUILTIN_IPSET":       33,
	"ALREADY_SET":         34,
	"MISSING_IMPORT":      35,
	"DBUS_ERROR":          36,
	"BUILTIN_HELPER":      37,
	"NOT_APPLIED":         38,
	"INVALID_ACTION":      100,
	"INVALID_SERVICE":     101,
	"INVALID_PORT":        102,
	"INVALID_PROTOCOL":    103,
	"INVALID_INTERFACE":   104,
	"INVALID_ADDR":        105,
	"INVALID_FORWARD":     106,
	"INVALID_ICMPTYPE":    107,
	"INVALID_TABLE":       108,
	"INVALID_CHAIN":       109,
	"INVALID_TARGET":      110,
	"INVALID_IPV":         111,
	"INVALID_ZONE":        112,
	"INVALID_PROPERTY":    113,
	"INVALID_VALUE":       114,
	"INVALID_OBJECT":      115,
	"INVALID_NAME":        116,
	"INVALID_FILENAME":    117,
	"INVALID_DIRECTORY":   118,
	"INVALID_TYPE":        119,
	"INVALID_SETTING":     120,
	"INVALID_DESTINATION": 121,
	"INVALID_RULE":        122,
	"INVALID_LIMIT":       123,
	"INVALID_FAMILY":      124,
	"INVALID_LOG_LEVEL":   125,
	"INVALID_AUDIT_TYPE":  126,
	"INVALID_MARK":        127,
	"INVALID_CONTEXT":     128,
	"INVALID_COMMAND":     129,
	"INVALID_USER":        130,
	"INVALID_UID":         131,
	"INVALID_MODULE":      132,
	"INVALID_PASSTHROUGH": 133,
	"INVALID_MAC":         134,
	"INVALID_IPSET":       135,
	"INVALID_ENTRY":       136,
	"INVALID_OPTION":      137,
	"INVALID_HELPER":      138,
	"INVALID_PRIORITY":    139,
	"INVALID_POLICY":      140,
	"INVALID_LOG_PREFIX":  141,
	"INVALID_NFLOG_GROUP": 142,
	"INVALID_NFLOG_QUEUE": 143,
	"MISSING_TABLE":       200,
	"MISSING_CHAIN":       201,
	"MISSING_PORT":        202,
	"MISSING_PROTOCOL":    203,
	"MISSING_ADDR":        204,
	"MISSING_NAME":        205,
	"MISSING_SETTING":     206,
	"MISSING_FAMILY":      207,
	"RUNNING_BUT_FAILED":  251,
	"NOT_RUNNING":         252,
	"NOT_AUTHORIZED":      253,
	"UNKNOWN_ERROR":       254,
}
