package firewalld

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is a firewalld error code (firewall/errors.py): its value is also
// firewall-cmd's exit status.
type Code int

// The codes this project reports or reads; the names of all are in codeNames.
const (
	AlreadyEnabled     Code = 11
	NotEnabled         Code = 12
	CommandFailed      Code = 13
	ZoneAlreadySet     Code = 16
	UnknownInterface   Code = 17
	ParseError         Code = 28
	AccessDenied       Code = 29
	RTToPermFailed     Code = 31
	AlreadySet         Code = 34
	InvalidService     Code = 101
	InvalidPort        Code = 102
	InvalidProtocol    Code = 103
	InvalidInterface   Code = 104
	InvalidAddr        Code = 105
	InvalidIcmpType    Code = 107
	InvalidZone        Code = 112
	InvalidValue       Code = 114
	InvalidName        Code = 116
	InvalidFilename    Code = 117
	InvalidDestination Code = 121
	InvalidRule        Code = 122
	InvalidLimit       Code = 123
	InvalidFamily      Code = 124
	InvalidLogLevel    Code = 125
	InvalidAuditType   Code = 126
	InvalidMark        Code = 127
	InvalidMAC         Code = 134
	InvalidIPSet       Code = 135
	InvalidPriority    Code = 139
	InvalidPolicy      Code = 140
	InvalidLogPrefix   Code = 141
	InvalidNFLogGroup  Code = 142
	InvalidNFLogQueue  Code = 143
	MissingFamily      Code = 207
	NotRunning         Code = 252
	NotAuthorized      Code = 253
	UnknownError       Code = 254
)

// codeNames is firewalld 1.3.3's errors.py, the one table of code names;
// upstream keeps the numbers stable (they are firewall-cmd's exit codes).
var codeNames = map[Code]string{
	11: "ALREADY_ENABLED", 12: "NOT_ENABLED", 13: "COMMAND_FAILED", 14: "NO_IPV6_NAT", 15: "PANIC_MODE",
	16: "ZONE_ALREADY_SET", 17: "UNKNOWN_INTERFACE", 18: "ZONE_CONFLICT", 19: "BUILTIN_CHAIN",
	20: "EBTABLES_NO_REJECT", 21: "NOT_OVERLOADABLE", 22: "NO_DEFAULTS", 23: "BUILTIN_ZONE",
	24: "BUILTIN_SERVICE", 25: "BUILTIN_ICMPTYPE", 26: "NAME_CONFLICT", 27: "NAME_MISMATCH",
	28: "PARSE_ERROR", 29: "ACCESS_DENIED", 30: "UNKNOWN_SOURCE", 31: "RT_TO_PERM_FAILED",
	32: "IPSET_WITH_TIMEOUT", 33: "BUILTIN_IPSET", 34: "ALREADY_SET", 35: "MISSING_IMPORT",
	36: "DBUS_ERROR", 37: "BUILTIN_HELPER", 38: "NOT_APPLIED",
	100: "INVALID_ACTION", 101: "INVALID_SERVICE", 102: "INVALID_PORT", 103: "INVALID_PROTOCOL",
	104: "INVALID_INTERFACE", 105: "INVALID_ADDR", 106: "INVALID_FORWARD", 107: "INVALID_ICMPTYPE",
	108: "INVALID_TABLE", 109: "INVALID_CHAIN", 110: "INVALID_TARGET", 111: "INVALID_IPV",
	112: "INVALID_ZONE", 113: "INVALID_PROPERTY", 114: "INVALID_VALUE", 115: "INVALID_OBJECT",
	116: "INVALID_NAME", 117: "INVALID_FILENAME", 118: "INVALID_DIRECTORY", 119: "INVALID_TYPE",
	120: "INVALID_SETTING", 121: "INVALID_DESTINATION", 122: "INVALID_RULE", 123: "INVALID_LIMIT",
	124: "INVALID_FAMILY", 125: "INVALID_LOG_LEVEL", 126: "INVALID_AUDIT_TYPE", 127: "INVALID_MARK",
	128: "INVALID_CONTEXT", 129: "INVALID_COMMAND", 130: "INVALID_USER", 131: "INVALID_UID",
	132: "INVALID_MODULE", 133: "INVALID_PASSTHROUGH", 134: "INVALID_MAC", 135: "INVALID_IPSET",
	136: "INVALID_ENTRY", 137: "INVALID_OPTION", 138: "INVALID_HELPER", 139: "INVALID_PRIORITY",
	140: "INVALID_POLICY", 141: "INVALID_LOG_PREFIX", 142: "INVALID_NFLOG_GROUP", 143: "INVALID_NFLOG_QUEUE",
	200: "MISSING_TABLE", 201: "MISSING_CHAIN", 202: "MISSING_PORT", 203: "MISSING_PROTOCOL",
	204: "MISSING_ADDR", 205: "MISSING_NAME", 206: "MISSING_SETTING", 207: "MISSING_FAMILY",
	251: "RUNNING_BUT_FAILED", 252: "NOT_RUNNING", 253: "NOT_AUTHORIZED", 254: "UNKNOWN_ERROR",
}

var codesByName = func() map[string]Code {
	m := make(map[string]Code, len(codeNames))
	for c, n := range codeNames {
		m[n] = c
	}
	return m
}()

// Name is the code's name in firewalld's errors.py, e.g. "INVALID_RULE".
func (c Code) Name() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "CODE_" + strconv.Itoa(int(c))
}

// Number is the code's value, also firewall-cmd's exit status for it.
func (c Code) Number() int { return int(c) }

func (c Code) String() string { return c.Name() }

// Named reports whether errors.py has a name for c.
func (c Code) Named() bool {
	_, ok := codeNames[c]
	return ok
}

// CodeByName returns the code named name ("INVALID_RULE"), as firewalld's
// FirewallError.get_code does for the text before the first colon.
func CodeByName(name string) (Code, bool) {
	c, ok := codesByName[name]
	return c, ok
}

// Error is an error as firewalld reports it: Error() reads "CODE: Msg".
// Where firewalld's text is terse (a bare value, or nothing) and Detailed is
// set, the position and the reason follow in parentheses: "INVALID_RULE: 535
// (column 20, tcp-mss-clamp value: found "535", expected pmtu or a number
// 536..65535)". The rule parser, the store, the engine, the D-Bus client of
// firewalld and the CLI all report this one type.
type Error struct {
	Code Code
	// Msg is firewalld's own detail text, empty where firewalld gives none.
	Msg string
	// Line and Column locate the problem: Column is 1-based and counts
	// characters of the rule text (Line is 0); for XML both come from the
	// decoder. Zero when unknown.
	Line, Column int
	// Construct names what was being read, e.g. "tcp-mss-clamp value",
	// "limit", "source" or, in XML, "<tcp-mss-clamp>".
	Construct string
	Found     string // what was found there, if anything
	Expected  string // what would have been valid
	// Detailed: Msg alone is terse, so Error() adds the position and reason.
	Detailed bool
	// Bare: Msg is the whole text, printed as it is: firewalld's internal
	// errors (UNKNOWN_ERROR, no code in front), or a text that carries its
	// code already.
	Bare bool
}

// Errorf is an error with code and firewalld's detail text.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Unknown is an unexpected failure: firewall-cmd prints it as it is,
// without a code in front, and exits with UNKNOWN_ERROR.
func Unknown(text string) *Error {
	return &Error{Code: UnknownError, Msg: text, Bare: true}
}

// Parse splits firewalld's error text the way FirewallError.get_code does:
// the code is what precedes the first colon; text without a known code is
// UNKNOWN_ERROR, kept as it is.
func Parse(text string) *Error {
	name, detail, found := strings.Cut(text, ":")
	c, ok := codesByName[name]
	if !ok {
		return Unknown(text)
	}
	if found {
		detail = strings.TrimPrefix(detail, " ")
	}
	if e := (&Error{Code: c, Msg: detail}); e.Error() == text {
		return e
	}
	return &Error{Code: c, Msg: text, Bare: true} // kept as it was written

}

// AsError gives any error a code: an *Error anywhere in its chain is
// returned as it is; anything else is UNKNOWN_ERROR with err's text, as
// firewall-cmd reports an exception.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Unknown(err.Error())
}

func (e *Error) Error() string {
	if e.Bare {
		return e.Msg
	}
	var b strings.Builder
	b.WriteString(e.Code.Name())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if !e.Detailed {
		return b.String()
	}
	d := e.Detail()
	if d == "" {
		return b.String()
	}
	if e.Msg == "" {
		b.WriteString(": ")
		b.WriteString(d)
	} else {
		b.WriteString(" (")
		b.WriteString(d)
		b.WriteByte(')')
	}
	return b.String()
}

// Detail describes where and why: "column 20, tcp-mss-clamp value: found
// "535", expected pmtu or a number 536..65535".
func (e *Error) Detail() string {
	var parts []string
	switch {
	case e.Line > 0:
		parts = append(parts, "line "+strconv.Itoa(e.Line)+" column "+strconv.Itoa(e.Column))
	case e.Column > 0:
		parts = append(parts, "column "+strconv.Itoa(e.Column))
	}
	var what []string
	if e.Found != "" {
		what = append(what, "found "+e.Found)
	}
	if e.Expected != "" {
		what = append(what, "expected "+e.Expected)
	}
	s := e.Construct
	if len(what) > 0 {
		if s != "" {
			s += ": "
		}
		s += strings.Join(what, ", ")
	}
	if s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// Is makes errors.Is(err, &Error{Code: InvalidRule}) match every error with
// that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}
