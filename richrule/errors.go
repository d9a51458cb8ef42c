package richrule

import (
	"strconv"
	"strings"
)

// Code is a firewalld error code (firewall/errors.py). The D-Bus service and
// the CLI map it to error names ("CODE: detail") and exit codes (Number).
type Code int

// Every code of firewalld's errors.py, with its number.
const (
	AlreadyEnabled   Code = 11
	NotEnabled       Code = 12
	CommandFailed    Code = 13
	NoIPv6NAT        Code = 14
	PanicMode        Code = 15
	ZoneAlreadySet   Code = 16
	UnknownInterface Code = 17
	ZoneConflict     Code = 18
	BuiltinChain     Code = 19
	EbtablesNoReject Code = 20
	NotOverloadable  Code = 21
	NoDefaults       Code = 22
	BuiltinZone      Code = 23
	BuiltinService   Code = 24
	BuiltinIcmpType  Code = 25
	NameConflict     Code = 26
	NameMismatch     Code = 27
	ParseError       Code = 28
	AccessDenied     Code = 29
	UnknownSource    Code = 30
	RTToPermFailed   Code = 31
	IPSetWithTimeout Code = 32
	BuiltinIPSet     Code = 33
	AlreadySet       Code = 34
	MissingImport    Code = 35
	DBusError        Code = 36
	BuiltinHelper    Code = 37
	NotApplied       Code = 38

	InvalidAction      Code = 100
	InvalidService     Code = 101
	InvalidPort        Code = 102
	InvalidProtocol    Code = 103
	InvalidInterface   Code = 104
	InvalidAddr        Code = 105
	InvalidForward     Code = 106
	InvalidIcmpType    Code = 107
	InvalidTable       Code = 108
	InvalidChain       Code = 109
	InvalidTarget      Code = 110
	InvalidIPV         Code = 111
	InvalidZone        Code = 112
	InvalidProperty    Code = 113
	InvalidValue       Code = 114
	InvalidObject      Code = 115
	InvalidName        Code = 116
	InvalidFilename    Code = 117
	InvalidDirectory   Code = 118
	InvalidType        Code = 119
	InvalidSetting     Code = 120
	InvalidDestination Code = 121
	InvalidRule        Code = 122
	InvalidLimit       Code = 123
	InvalidFamily      Code = 124
	InvalidLogLevel    Code = 125
	InvalidAuditType   Code = 126
	InvalidMark        Code = 127
	InvalidContext     Code = 128
	InvalidCommand     Code = 129
	InvalidUser        Code = 130
	InvalidUID         Code = 131
	InvalidModule      Code = 132
	InvalidPassthrough Code = 133
	InvalidMAC         Code = 134
	InvalidIPSet       Code = 135
	InvalidEntry       Code = 136
	InvalidOption      Code = 137
	InvalidHelper      Code = 138
	InvalidPriority    Code = 139
	InvalidPolicy      Code = 140
	InvalidLogPrefix   Code = 141
	InvalidNFLogGroup  Code = 142
	InvalidNFLogQueue  Code = 143

	MissingTable    Code = 200
	MissingChain    Code = 201
	MissingPort     Code = 202
	MissingProtocol Code = 203
	MissingAddr     Code = 204
	MissingName     Code = 205
	MissingSetting  Code = 206
	MissingFamily   Code = 207

	RunningButFailed Code = 251
	NotRunning       Code = 252
	NotAuthorized    Code = 253
	UnknownError     Code = 254
)

var codeNames = map[Code]string{
	AlreadyEnabled: "ALREADY_ENABLED", NotEnabled: "NOT_ENABLED", CommandFailed: "COMMAND_FAILED",
	NoIPv6NAT: "NO_IPV6_NAT", PanicMode: "PANIC_MODE", ZoneAlreadySet: "ZONE_ALREADY_SET",
	UnknownInterface: "UNKNOWN_INTERFACE", ZoneConflict: "ZONE_CONFLICT", BuiltinChain: "BUILTIN_CHAIN",
	EbtablesNoReject: "EBTABLES_NO_REJECT", NotOverloadable: "NOT_OVERLOADABLE", NoDefaults: "NO_DEFAULTS",
	BuiltinZone: "BUILTIN_ZONE", BuiltinService: "BUILTIN_SERVICE", BuiltinIcmpType: "BUILTIN_ICMPTYPE",
	NameConflict: "NAME_CONFLICT", NameMismatch: "NAME_MISMATCH", ParseError: "PARSE_ERROR",
	AccessDenied: "ACCESS_DENIED", UnknownSource: "UNKNOWN_SOURCE", RTToPermFailed: "RT_TO_PERM_FAILED",
	IPSetWithTimeout: "IPSET_WITH_TIMEOUT", BuiltinIPSet: "BUILTIN_IPSET", AlreadySet: "ALREADY_SET",
	MissingImport: "MISSING_IMPORT", DBusError: "DBUS_ERROR", BuiltinHelper: "BUILTIN_HELPER",
	NotApplied: "NOT_APPLIED",

	InvalidAction: "INVALID_ACTION", InvalidService: "INVALID_SERVICE", InvalidPort: "INVALID_PORT",
	InvalidProtocol: "INVALID_PROTOCOL", InvalidInterface: "INVALID_INTERFACE", InvalidAddr: "INVALID_ADDR",
	InvalidForward: "INVALID_FORWARD", InvalidIcmpType: "INVALID_ICMPTYPE", InvalidTable: "INVALID_TABLE",
	InvalidChain: "INVALID_CHAIN", InvalidTarget: "INVALID_TARGET", InvalidIPV: "INVALID_IPV",
	InvalidZone: "INVALID_ZONE", InvalidProperty: "INVALID_PROPERTY", InvalidValue: "INVALID_VALUE",
	InvalidObject: "INVALID_OBJECT", InvalidName: "INVALID_NAME", InvalidFilename: "INVALID_FILENAME",
	InvalidDirectory: "INVALID_DIRECTORY", InvalidType: "INVALID_TYPE", InvalidSetting: "INVALID_SETTING",
	InvalidDestination: "INVALID_DESTINATION", InvalidRule: "INVALID_RULE", InvalidLimit: "INVALID_LIMIT",
	InvalidFamily: "INVALID_FAMILY", InvalidLogLevel: "INVALID_LOG_LEVEL", InvalidAuditType: "INVALID_AUDIT_TYPE",
	InvalidMark: "INVALID_MARK", InvalidContext: "INVALID_CONTEXT", InvalidCommand: "INVALID_COMMAND",
	InvalidUser: "INVALID_USER", InvalidUID: "INVALID_UID", InvalidModule: "INVALID_MODULE",
	InvalidPassthrough: "INVALID_PASSTHROUGH", InvalidMAC: "INVALID_MAC", InvalidIPSet: "INVALID_IPSET",
	InvalidEntry: "INVALID_ENTRY", InvalidOption: "INVALID_OPTION", InvalidHelper: "INVALID_HELPER",
	InvalidPriority: "INVALID_PRIORITY", InvalidPolicy: "INVALID_POLICY", InvalidLogPrefix: "INVALID_LOG_PREFIX",
	InvalidNFLogGroup: "INVALID_NFLOG_GROUP", InvalidNFLogQueue: "INVALID_NFLOG_QUEUE",

	MissingTable: "MISSING_TABLE", MissingChain: "MISSING_CHAIN", MissingPort: "MISSING_PORT",
	MissingProtocol: "MISSING_PROTOCOL", MissingAddr: "MISSING_ADDR", MissingName: "MISSING_NAME",
	MissingSetting: "MISSING_SETTING", MissingFamily: "MISSING_FAMILY",

	RunningButFailed: "RUNNING_BUT_FAILED", NotRunning: "NOT_RUNNING", NotAuthorized: "NOT_AUTHORIZED",
	UnknownError: "UNKNOWN_ERROR",
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

// CodeByName returns the code named name ("INVALID_RULE"), as firewalld's
// FirewallError.get_code does for the text before the first colon.
func CodeByName(name string) (Code, bool) {
	c, ok := codesByName[name]
	return c, ok
}

// Error is a rule that firewalld would refuse, or that we refuse on purpose.
//
// Error() reads "CODE: Msg" exactly as firewalld reports it. Where firewalld's
// text is terse (a bare value, or nothing) the position and the reason follow
// in parentheses: "INVALID_RULE: 535 (column 20, tcp-mss-clamp value: found
// "535", expected pmtu or a number 536..65535)".
type Error struct {
	Code Code
	// Msg is firewalld's own detail text, empty where firewalld gives none.
	Msg string
	// Line and Column locate the problem: Column is 1-based and counts
	// characters of the rule text (Line is 0); for XML both come from the
	// decoder. Zero when unknown (a Rule built in Go).
	Line, Column int
	// Construct names what was being read, e.g. "tcp-mss-clamp value",
	// "limit", "source" or, in XML, "<tcp-mss-clamp>".
	Construct string
	Found     string // what was found there, if anything
	Expected  string // what would have been valid
	// verbose: Msg alone is terse, so Error() adds the position and reason.
	verbose bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code.Name())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if !e.verbose {
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
