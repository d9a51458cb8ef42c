package richrule

import (
	"strings"
	"unicode/utf8"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Some of firewalld's messages quote a part of the rule as firewalld holds
// it at that moment: values as written (a limit "01/m"), and "None" for a
// missing attribute. These print the same, so the messages match.

func upstreamElement(e Element, m *meta) string {
	none := func(s string, missing bool) string {
		if missing {
			return "None"
		}
		return s
	}
	switch e := e.(type) {
	case *TCPMSSClamp:
		if m != nil && m.hasMSS {
			return `tcp-mss-clamp value="` + m.mss + `"`
		}
	case *Port:
		if m != nil {
			return `port port="` + none(e.Port, m.noPort) + `" protocol="` + none(e.Protocol, m.noProto) + `"`
		}
	case *SourcePort:
		if m != nil {
			return `source-port port="` + none(e.Port, m.noPort) + `" protocol="` + none(e.Protocol, m.noProto) + `"`
		}
	case *ForwardPort:
		if m != nil {
			c := *e
			c.Port, c.Protocol = none(e.Port, m.noPort), none(e.Protocol, m.noProto)
			return c.String()
		}
	}
	return e.String()
}

func upstreamAction(a Action, m *meta) string {
	var s string
	switch a := a.(type) {
	case *Accept:
		s = "accept"
	case *Drop:
		s = "drop"
	case *Reject:
		s = "reject"
		if a.Type != "" {
			s += ` type="` + a.Type + `"`
		}
	case *Mark:
		set := a.Set
		if m != nil && m.noSet {
			set = "None"
		}
		s = "mark set=" + set
	}
	return s + upstreamLimit(a.limit(), m)
}

func upstreamLimit(l *Limit, m *meta) string {
	if l == nil {
		return ""
	}
	raw := m.raw(l)
	if raw == nil {
		return " " + l.String()
	}
	s := ` limit value="` + raw.value + `"`
	if raw.hasBurst {
		s += " burst=" + raw.burst
	}
	return s
}

// checkPrintable refuses values that the canonical form cannot carry: it
// prints them in double quotes (mark set bare), and a value holding a
// quote, "=", an escaping backslash or a control character would read back
// as a different rule, or not at all. firewalld 1.3.3 accepts such values
// and then lists a rule nobody can type back (not even to remove it).
func checkPrintable(r *Rule, m *meta) *firewalld.Error {
	type field struct {
		what, v string
		at      slot
	}
	fields := make([]field, 0, 8)
	add := func(what, v string, at slot) {
		if v != "" {
			fields = append(fields, field{what, v, at})
		}
	}
	if s := r.Source; s != nil {
		add("source address", s.Address, slotSrcAddr)
		add("source mac", s.MAC, slotSrcMAC)
		add("source ipset", s.IPSet, slotSrcIPSet)
	}
	if d := r.Destination; d != nil {
		add("destination address", d.Address, slotDstAddr)
		add("destination ipset", d.IPSet, slotDstIPSet)
	}
	switch e := r.Element.(type) {
	case *Service:
		add("service name", e.Name, slotElemName)
	case *Port:
		add("port port", e.Port, slotElemName)
		add("port protocol", e.Protocol, slotElemProto)
	case *SourcePort:
		add("source-port port", e.Port, slotElemName)
		add("source-port protocol", e.Protocol, slotElemProto)
	case *ForwardPort:
		add("forward-port port", e.Port, slotElemName)
		add("forward-port protocol", e.Protocol, slotElemProto)
		add("forward-port to-port", e.ToPort, slotToPort)
		add("forward-port to-addr", e.ToAddr, slotToAddr)
	case *Protocol:
		add("protocol value", e.Value, slotElemName)
	case *IcmpBlock:
		add("icmp-block name", e.Name, slotElemName)
	case *IcmpType:
		add("icmp-type name", e.Name, slotElemName)
	}
	switch l := r.Log.(type) {
	case *Log:
		add("log prefix", l.Prefix, slotLogPrefix)
		add("log level", l.Level, slotLogLevel)
	case *NFLog:
		add("nflog group", l.Group, slotLogLevel)
		add("nflog prefix", l.Prefix, slotLogPrefix)
		add("nflog queue-size", l.QueueSize, slotLogQueue)
	}
	switch a := r.Action.(type) {
	case *Reject:
		add("reject type", a.Type, slotActionAttr)
	case *Mark:
		if bad := unprintable(a.Set, false); bad != "" {
			return unprintableError(m, "mark set", a.Set, bad, slotActionAttr)
		}
	}
	for _, f := range fields {
		if bad := unprintable(f.v, true); bad != "" {
			return unprintableError(m, f.what, f.v, bad, f.at)
		}
	}
	return nil
}

func unprintableError(m *meta, what, v, bad string, at slot) *firewalld.Error {
	return fail(m, firewalld.InvalidRule, what+" value "+quoteAny(v)+" contains "+bad+
		", which the rule syntax cannot print back", true, what, bad, "a value without it", at)
}

// unprintable names the first character of v that does not survive being
// printed (in double quotes when quoted) and read back, or returns "".
func unprintable(v string, quoted bool) string {
	for i, r := range v {
		switch {
		case r == '"' || r == '=':
			return "'" + string(r) + "'"
		case r < 32 || (r >= 127 && r < 160) || r == 0xFFFE || r == 0xFFFF:
			return quoteRune(r)
		case r == utf8.RuneError && isBadUTF8(v[i:]):
			return "invalid UTF-8"
		case r == '\\' && quoted && (i+1 == len(v) || v[i+1] == '\\'):
			return "a backslash that escapes"
		case !quoted && (r == '\\' || r == '\'' || r == ' '):
			return "'" + string(r) + "'"
		}
	}
	return ""
}

func quoteAny(s string) string {
	if strings.ContainsAny(s, `"`) {
		return "'" + s + "'"
	}
	return quote(s)
}
