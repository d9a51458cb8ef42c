package richrule

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Check validates r as firewalld 1.3.3's Rich_Rule.check() does, in the
// same order, so that a rule with several faults fails with the code
// firewalld reports; our stricter tcp-mss-clamp value and the printability
// of values (see doc.go) come on top. It returns nil or a *firewalld.Error.
func (r *Rule) Check() error {
	if err := check(r, nil); err != nil {
		return err
	}
	return nil
}

const (
	priorityMin = -32768
	priorityMax = 32767
	maxPrefix   = 127
	maxIPSet    = 32
	maxBurst    = 10_000_000
)

var rejectTypes = map[Family][]string{
	FamilyIPv4: {"icmp-host-prohibited", "host-prohib", "icmp-net-unreachable", "net-unreach",
		"icmp-host-unreachable", "host-unreach", "icmp-port-unreachable", "port-unreach",
		"icmp-proto-unreachable", "proto-unreach", "icmp-net-prohibited", "net-prohib", "tcp-reset",
		"tcp-rst", "icmp-admin-prohibited", "admin-prohib"},
	FamilyIPv6: {"icmp6-adm-prohibited", "adm-prohibited", "icmp6-no-route", "no-route",
		"icmp6-addr-unreachable", "addr-unreach", "icmp6-port-unreachable", "port-unreach", "tcp-reset"},
}

var logLevels = []string{"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"}

// fail builds an error; terse marks firewalld texts that need our position
// and reason after them.
func fail(m *meta, code firewalld.Code, msg string, terse bool, construct, found, expected string, at ...slot) *firewalld.Error {
	e := &firewalld.Error{Code: code, Msg: msg, Detailed: terse, Construct: construct, Found: found, Expected: expected}
	return m.locate(e, at...)
}

func check(r *Rule, m *meta) *firewalld.Error {
	if r.Family != FamilyAny && r.Family != FamilyIPv4 && r.Family != FamilyIPv6 {
		return fail(m, firewalld.InvalidFamily, string(r.Family), true, "family", quote(string(r.Family)), "ipv4 or ipv6", slotRule)
	}
	if r.Family == FamilyAny {
		if (r.Source != nil && r.Source.Address != "") || r.Destination != nil {
			return fail(m, firewalld.MissingFamily, "", true, "rule", "", `family="ipv4" or family="ipv6" with a source or destination address`,
				slotSrcAddr, slotDest, slotRule)
		}
		if _, ok := r.Element.(*ForwardPort); ok {
			return fail(m, firewalld.MissingFamily, "", true, "forward-port", "", `family="ipv4" or family="ipv6"`, slotElement)
		}
	}
	if r.Priority < priorityMin || r.Priority > priorityMax {
		return fail(m, firewalld.InvalidPriority, "'priority' attribute must be between -32768 and 32767.", false,
			"priority", "", "", slotPriority)
	}
	if r.Element == nil && (r.Log == nil || r.Priority == 0) {
		if r.Action == nil {
			return fail(m, firewalld.InvalidRule, "no element, no action", false, "rule", "", "", slotRule)
		}
		if r.Source == nil && r.Destination == nil && r.Priority == 0 {
			return fail(m, firewalld.InvalidRule, "no element, no source, no destination", false, "rule", "", "", slotRule)
		}
	}
	switch r.Element.(type) {
	case *IcmpBlock, *ForwardPort, *Masquerade, *TCPMSSClamp:
	default:
		if r.Log == nil && r.Audit == nil && r.Action == nil {
			return fail(m, firewalld.InvalidRule, "no action, no log, no audit", false, "rule", "", "", slotRule)
		}
	}
	if err := checkSource(r, m); err != nil {
		return err
	}
	if err := checkDestination(r, m); err != nil {
		return err
	}
	if err := checkElement(r, m); err != nil {
		return err
	}
	if err := checkLog(r, m); err != nil {
		return err
	}
	if r.Audit != nil {
		switch r.Action.(type) {
		case *Accept, *Reject, *Drop:
		default:
			return fail(m, firewalld.InvalidAuditType, pyTypeName(r.Action), true, "audit", "",
				"accept, reject or drop with audit", slotAudit)
		}
		if err := checkLimit(r.Audit.Limit, m, slotAudit); err != nil {
			return err
		}
	}
	if err := checkAction(r, m); err != nil {
		return err
	}
	return checkPrintable(r, m)
}

// pyTypeName is what firewalld prints for type(action) in
// INVALID_AUDIT_TYPE.
func pyTypeName(a Action) string {
	if _, ok := a.(*Mark); ok {
		return "<class 'firewall.core.rich.Rich_Mark'>"
	}
	return "<class 'NoneType'>"
}

func checkSource(r *Rule, m *meta) *firewalld.Error {
	s := r.Source
	switch {
	case s == nil:
	case s.Address != "":
		if r.Family == FamilyAny {
			return fail(m, firewalld.InvalidFamily, "", true, "source address", "", "a rule family", slotSrcAddr)
		}
		if s.MAC != "" {
			return fail(m, firewalld.InvalidRule, "address and mac", false, "source", "", "", slotSrcMAC, slotSource)
		}
		if s.IPSet != "" {
			return fail(m, firewalld.InvalidRule, "address and ipset", false, "source", "", "", slotSrcIPSet, slotSource)
		}
		if !checkAddress(r.Family, s.Address) {
			return fail(m, firewalld.InvalidAddr, s.Address, true, "source address", quote(s.Address),
				"an "+string(r.Family)+" address or network", slotSrcAddr)
		}
	case s.MAC != "":
		if s.IPSet != "" {
			return fail(m, firewalld.InvalidRule, "mac and ipset", false, "source", "", "", slotSrcIPSet, slotSource)
		}
		if !firewalld.CheckMAC(s.MAC) {
			return fail(m, firewalld.InvalidMAC, s.MAC, true, "source mac", quote(s.MAC), "XX:XX:XX:XX:XX:XX", slotSrcMAC)
		}
	case s.IPSet != "":
		if utf8.RuneCountInString(s.IPSet) > maxIPSet {
			return fail(m, firewalld.InvalidIPSet, s.IPSet, true, "source ipset", quote(s.IPSet), "a name of at most 32 characters", slotSrcIPSet)
		}
	default:
		return fail(m, firewalld.InvalidRule, "no address, mac and ipset", false, "source", "", "", slotSource)
	}
	return nil
}

func checkDestination(r *Rule, m *meta) *firewalld.Error {
	d := r.Destination
	switch {
	case d == nil:
	case d.Address != "":
		if r.Family == FamilyAny {
			return fail(m, firewalld.InvalidFamily, "", true, "destination address", "", "a rule family", slotDstAddr)
		}
		if d.IPSet != "" {
			return fail(m, firewalld.InvalidDestination, "address and ipset", false, "destination", "", "", slotDstIPSet, slotDest)
		}
		if !checkAddress(r.Family, d.Address) {
			return fail(m, firewalld.InvalidAddr, d.Address, true, "destination address", quote(d.Address),
				"an "+string(r.Family)+" address or network", slotDstAddr)
		}
	case d.IPSet != "":
		if utf8.RuneCountInString(d.IPSet) > maxIPSet {
			return fail(m, firewalld.InvalidIPSet, d.IPSet, true, "destination ipset", quote(d.IPSet), "a name of at most 32 characters", slotDstIPSet)
		}
	default:
		return fail(m, firewalld.InvalidRule, "no address and ipset", false, "destination", "", "", slotDest)
	}
	return nil
}

func checkPortProto(kw, port, proto string, m *meta) *firewalld.Error {
	missingPort := m != nil && m.noPort
	if missingPort || !checkPort(port) {
		// firewalld 1.3.3 crashes on a missing port (AttributeError); we
		// report INVALID_PORT, the code of a bad one.
		found := quote(port)
		if missingPort {
			found = "no port= attribute"
		}
		return fail(m, firewalld.InvalidPort, port, true, kw+" port", found,
			"a port, a range a-b or a service name", slotElemName, slotElement)
	}
	switch proto {
	case "tcp", "udp", "sctp", "dccp":
		return nil
	}
	found := quote(proto)
	if m != nil && m.noProto {
		found = "no protocol= attribute"
	}
	return fail(m, firewalld.InvalidProtocol, proto, true, kw+" protocol", found, "tcp, udp, sctp or dccp", slotElemProto, slotElement)
}

func checkElement(r *Rule, m *meta) *firewalld.Error {
	switch e := r.Element.(type) {
	case *Service:
		if e.Name == "" {
			return fail(m, firewalld.InvalidService, "", true, "service", "", "name=", slotElement)
		}
	case *Port:
		return checkPortProto("port", e.Port, e.Protocol, m)
	case *Protocol:
		if !checkProtocol(e.Value) {
			return fail(m, firewalld.InvalidProtocol, e.Value, true, "protocol value", quote(e.Value),
				"0..255 or a name from /etc/protocols", slotElemName, slotElement)
		}
	case *Masquerade:
		if r.Action != nil {
			return fail(m, firewalld.InvalidRule, "masquerade and action", false, "masquerade", "", "", slotAction)
		}
		if r.Source != nil && r.Source.MAC != "" {
			return fail(m, firewalld.InvalidRule, "masquerade and mac source", false, "masquerade", "", "", slotSrcMAC)
		}
	case *IcmpBlock:
		if e.Name == "" {
			return fail(m, firewalld.InvalidIcmpType, "", true, "icmp-block", "", "name=", slotElement)
		}
		if r.Action != nil {
			return fail(m, firewalld.InvalidRule, "icmp-block and action", false, "icmp-block", "", "", slotAction)
		}
	case *IcmpType:
		if e.Name == "" {
			return fail(m, firewalld.InvalidIcmpType, "", true, "icmp-type", "", "name=", slotElement)
		}
	case *ForwardPort:
		if err := checkPortProto("forward-port", e.Port, e.Protocol, m); err != nil {
			return err
		}
		if e.ToPort == "" && e.ToAddr == "" {
			return fail(m, firewalld.InvalidPort, "", true, "forward-port", "", "to-port= or to-addr=", slotElement)
		}
		if e.ToPort != "" && !checkPort(e.ToPort) {
			return fail(m, firewalld.InvalidPort, e.ToPort, true, "forward-port to-port", quote(e.ToPort),
				"a port, a range a-b or a service name", slotToPort)
		}
		if e.ToAddr != "" && !checkSingleAddress(r.Family, e.ToAddr) {
			return fail(m, firewalld.InvalidAddr, e.ToAddr, true, "forward-port to-addr", quote(e.ToAddr),
				"a single "+string(r.Family)+" address", slotToAddr)
		}
		if r.Family == FamilyAny {
			return fail(m, firewalld.InvalidFamily, "", true, "forward-port", "", "a rule family", slotElement)
		}
		if r.Action != nil {
			return fail(m, firewalld.InvalidRule, "forward-port and action", false, "forward-port", "", "", slotAction)
		}
	case *SourcePort:
		return checkPortProto("source-port", e.Port, e.Protocol, m)
	case *TCPMSSClamp:
		if r.Action != nil {
			return fail(m, firewalld.InvalidRule, "tcp-mss-clamp and "+upstreamAction(r.Action, m)+" are mutually exclusive",
				false, "tcp-mss-clamp", "", "", slotAction)
		}
		return checkMSS(e, m)
	}
	return nil
}

// checkMSS is our rule for the clamp value (firewalld 1.3.3 lets 65536,
// "None" and non-ASCII digits through, to fail when applied): pmtu or a
// decimal 536..65535, leading zeros allowed. The error has firewalld's
// code and text ("INVALID_RULE: 535").
func checkMSS(e *TCPMSSClamp, m *meta) *firewalld.Error {
	raw := e.Value.String()
	if m != nil && m.hasMSS {
		raw = m.mss
	} else if e.Value == PMTU {
		return nil
	}
	if _, ok := parseMSS(raw); ok {
		return nil
	}
	return fail(m, firewalld.InvalidRule, raw, true, "tcp-mss-clamp value", quote(raw),
		"pmtu or a number 536..65535", slotElemName, slotElement)
}

// parseMSS reads a clamp value as written; "" (no value) is pmtu.
func parseMSS(s string) (MSS, bool) {
	if s == "" || s == "pmtu" {
		return PMTU, true
	}
	if !firewalld.IsDigits(s) {
		return 0, false
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 5 {
		return 0, false
	}
	v, _ := strconv.Atoi(s)
	if v < int(MinMSS) || v > int(MaxMSS) {
		return 0, false
	}
	return MSS(v), true
}

func checkLog(r *Rule, m *meta) *firewalld.Error {
	switch l := r.Log.(type) {
	case *Log:
		if err := checkPrefix("log", l.Prefix, m); err != nil {
			return err
		}
		if l.Level != "" && !contains(logLevels, l.Level) {
			return fail(m, firewalld.InvalidLogLevel, l.Level, true, "log level", quote(l.Level), strings.Join(logLevels, ", "), slotLogLevel, slotLog)
		}
		return checkLimit(l.Limit, m, slotLog)
	case *NFLog:
		if l.Group != "" && !firewalld.CheckUINT16(l.Group) {
			return fail(m, firewalld.InvalidNFLogGroup, "nflog 'group' must be an integer between 0 and 65535.", false, "nflog group", "", "", slotLogLevel, slotLog)
		}
		if err := checkPrefix("nflog", l.Prefix, m); err != nil {
			return err
		}
		if l.QueueSize != "" && !firewalld.CheckUINT16(l.QueueSize) {
			return fail(m, firewalld.InvalidNFLogQueue, "nflog 'queue-size' must be an integer between 0 and 65535.", false, "nflog queue-size", "", "", slotLogQueue, slotLog)
		}
		return checkLimit(l.Limit, m, slotLog)
	}
	return nil
}

// checkPrefix limits a prefix to 127 bytes, the kernel's limit.
// firewalld 1.3.3 counts characters: a longer non-ASCII prefix crashes
// firewalld with the log (nft 1.0.6 overflows a buffer) and fails late with
// nflog (ERANGE).
func checkPrefix(kw, prefix string, m *meta) *firewalld.Error {
	if len(prefix) <= maxPrefix {
		return nil
	}
	terse := utf8.RuneCountInString(prefix) <= maxPrefix
	return fail(m, firewalld.InvalidLogPrefix, "maximum accepted length of 'prefix' is 127.", terse, kw+" prefix",
		strconv.Itoa(len(prefix))+" bytes", "at most 127 bytes of UTF-8", slotLogPrefix, slotLog)
}

func checkAction(r *Rule, m *meta) *firewalld.Error {
	switch a := r.Action.(type) {
	case nil:
		return nil
	case *Reject:
		if a.Type != "" {
			if r.Family == FamilyAny {
				return fail(m, firewalld.InvalidRule, "When using reject type you must specify also rule family.", false,
					"reject type", "", "", slotActionAttr, slotAction)
			}
			if types := rejectTypes[r.Family]; !contains(types, a.Type) {
				return fail(m, firewalld.InvalidRule, "Wrong reject type "+a.Type+".\nUse one of: "+strings.Join(types, ", ")+".",
					false, "reject type", "", "", slotActionAttr, slotAction)
			}
		}
	case *Mark:
		if err := checkMark(a, m); err != nil {
			return err
		}
	}
	return checkLimit(r.Action.limit(), m, slotAction)
}

func checkMark(a *Mark, m *meta) *firewalld.Error {
	if a.Set == "" {
		return fail(m, firewalld.InvalidMark, "no value set", false, "mark", "", "set=VALUE[/MASK]", slotAction)
	}
	ok := true
	if strings.Contains(a.Set, "/") {
		v, mask, _ := strings.Cut(a.Set, "/")
		ok = !strings.Contains(mask, "/") && firewalld.CheckUINT32(v) && firewalld.CheckUINT32(mask)
	} else {
		ok = firewalld.CheckUINT32(a.Set)
	}
	if !ok {
		return fail(m, firewalld.InvalidMark, a.Set, true, "mark set", quote(a.Set), "VALUE[/MASK], each 0..4294967295", slotActionAttr)
	}
	return nil
}

// normalizeLimitUnit is what firewalld's Rich_Limit constructor does:
// "1/minute" becomes "1/m".
func normalizeLimitUnit(v string) string {
	rate, unit, ok := strings.Cut(v, "/")
	if !ok || strings.Contains(unit, "/") {
		return v
	}
	switch unit {
	case "second", "minute", "hour", "day":
		return rate + "/" + unit[:1]
	}
	return v
}

// limitError is why a limit is invalid: firewalld's message and ours.
type limitError struct {
	msg, reason string
	burst       bool // the burst is wrong, not the value
}

func (e *limitError) Error() string { return e.msg }

// parseLimit is Rich_Limit.check of firewalld 1.3.3 plus burst (2.x) and
// our bound on the rate, which the typed Limit holds in 32 bits.
func parseLimit(value, burst string, hasBurst bool) (Limit, *limitError) {
	bad := &limitError{msg: value, reason: "RATE/UNIT, RATE >= 1, UNIT one of s m h d"}
	rate, unit, ok := strings.Cut(value, "/")
	if !ok || strings.Contains(unit, "/") {
		return Limit{}, bad
	}
	n, ok := firewalld.PyInt(rate)
	if !ok || n < 1 || len(unit) != 1 || !strings.Contains("smhd", unit) {
		return Limit{}, bad
	}
	if n > 1<<32-1 {
		return Limit{}, &limitError{msg: value + " too fast", reason: "a rate of at most 4294967295"}
	}
	if n == 1 && unit == "d" {
		return Limit{}, &limitError{msg: value + " too slow", reason: "more than 1/d"}
	}
	l := Limit{Rate: uint32(n), Unit: unit[0]}
	if hasBurst {
		b, ok := firewalld.PyInt(burst)
		if !ok || b < 0 || b > maxBurst {
			return Limit{}, &limitError{msg: burst, reason: "a burst 0..10000000", burst: true}
		}
		l.Burst = uint32(b)
	}
	return l, nil
}

func checkLimit(l *Limit, m *meta, owner slot) *firewalld.Error {
	if l == nil {
		return nil
	}
	var err *limitError
	var at pos
	if raw := m.raw(l); raw != nil {
		_, err = parseLimit(raw.value, raw.burst, raw.hasBurst)
		at = raw.at
		if err != nil && err.burst && raw.burstAt.col != 0 {
			at = raw.burstAt
		}
	} else {
		_, err = parseLimit(l.valueString(), strconv.FormatUint(uint64(l.Burst), 10), l.Burst != 0)
	}
	if err == nil {
		return nil
	}
	e := &firewalld.Error{Code: firewalld.InvalidLimit, Msg: err.msg, Detailed: true, Construct: "limit", Expected: err.reason}
	if at.col != 0 {
		m.place(e, at)
		if at.line != 0 {
			e.Construct = "<limit>"
		}
		return e
	}
	return m.locate(e, owner)
}

func (l *Limit) valueString() string {
	return strconv.FormatUint(uint64(l.Rate), 10) + "/" + string(rune(l.Unit))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
