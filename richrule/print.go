package richrule

import (
	"strconv"
	"strings"
)

// String prints the rule in firewalld's canonical form, the one
// `firewall-cmd --list-rich-rules` shows: parts in a fixed order, attribute
// values in double quotes (except burst and mark set), priority 0 omitted.
func (r *Rule) String() string {
	var b strings.Builder
	b.Grow(64)
	b.WriteString("rule")
	if r.Priority != 0 {
		b.WriteString(` priority="`)
		b.WriteString(strconv.Itoa(r.Priority))
		b.WriteByte('"')
	}
	if r.Family != FamilyAny {
		attr(&b, "family", string(r.Family))
	}
	if r.Source != nil {
		b.WriteByte(' ')
		b.WriteString(r.Source.String())
	}
	if r.Destination != nil {
		b.WriteByte(' ')
		b.WriteString(r.Destination.String())
	}
	for _, part := range []interface{ String() string }{r.Element, r.Log, r.Audit, r.Action} {
		if !isNil(part) {
			b.WriteByte(' ')
			b.WriteString(part.String())
		}
	}
	return b.String()
}

// isNil reports whether an interface holds nothing or a nil pointer, so that
// a *Audit(nil) is skipped like a nil Element.
func isNil(v interface{ String() string }) bool {
	switch p := v.(type) {
	case nil:
		return true
	case *Audit:
		return p == nil
	}
	return false
}

func attr(b *strings.Builder, name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.WriteString(value)
	b.WriteByte('"')
}

func (s *Source) String() string {
	var b strings.Builder
	b.WriteString("source")
	if s.Invert {
		b.WriteString(" NOT")
	}
	switch {
	case s.Address != "":
		attr(&b, "address", s.Address)
	case s.MAC != "":
		attr(&b, "mac", s.MAC)
	default:
		attr(&b, "ipset", s.IPSet)
	}
	return b.String()
}

func (d *Destination) String() string {
	var b strings.Builder
	b.WriteString("destination")
	if d.Invert {
		b.WriteString(" NOT")
	}
	if d.Address != "" {
		attr(&b, "address", d.Address)
	} else {
		attr(&b, "ipset", d.IPSet)
	}
	return b.String()
}

func (e *Service) String() string   { return `service name="` + e.Name + `"` }
func (e *Protocol) String() string  { return `protocol value="` + e.Value + `"` }
func (e *IcmpBlock) String() string { return `icmp-block name="` + e.Name + `"` }
func (e *IcmpType) String() string  { return `icmp-type name="` + e.Name + `"` }
func (*Masquerade) String() string  { return "masquerade" }

func (e *Port) String() string {
	return `port port="` + e.Port + `" protocol="` + e.Protocol + `"`
}

func (e *SourcePort) String() string {
	return `source-port port="` + e.Port + `" protocol="` + e.Protocol + `"`
}

func (e *ForwardPort) String() string {
	var b strings.Builder
	b.WriteString(`forward-port port="` + e.Port + `" protocol="` + e.Protocol + `"`)
	if e.ToPort != "" {
		attr(&b, "to-port", e.ToPort)
	}
	if e.ToAddr != "" {
		attr(&b, "to-addr", e.ToAddr)
	}
	return b.String()
}

// String prints the clamp. PMTU prints bare, as upstream prints a clamp
// written without a value; a rule written with value="pmtu" is the same rule
// here and prints the same.
func (e *TCPMSSClamp) String() string {
	if e.Value == PMTU {
		return "tcp-mss-clamp"
	}
	return `tcp-mss-clamp value="` + e.Value.String() + `"`
}

// String gives "pmtu" or the decimal value.
func (m MSS) String() string {
	if m == PMTU {
		return "pmtu"
	}
	return strconv.Itoa(int(m))
}

func (l *Log) String() string {
	var b strings.Builder
	b.WriteString("log")
	if l.Prefix != "" {
		attr(&b, "prefix", l.Prefix)
	}
	if l.Level != "" {
		attr(&b, "level", l.Level)
	}
	writeLimit(&b, l.Limit)
	return b.String()
}

func (l *NFLog) String() string {
	var b strings.Builder
	b.WriteString("nflog")
	if l.Group != "" {
		attr(&b, "group", l.Group)
	}
	if l.Prefix != "" {
		attr(&b, "prefix", l.Prefix)
	}
	if l.QueueSize != "" {
		attr(&b, "queue-size", l.QueueSize)
	}
	writeLimit(&b, l.Limit)
	return b.String()
}

func (a *Audit) String() string {
	var b strings.Builder
	b.WriteString("audit")
	writeLimit(&b, a.Limit)
	return b.String()
}

func (a *Accept) String() string { return "accept" + limitSuffix(a.Limit) }
func (a *Drop) String() string   { return "drop" + limitSuffix(a.Limit) }

func (a *Reject) String() string {
	s := "reject"
	if a.Type != "" {
		s += ` type="` + a.Type + `"`
	}
	return s + limitSuffix(a.Limit)
}

func (a *Mark) String() string { return "mark set=" + a.Set + limitSuffix(a.Limit) }

// String prints `limit value="R/U"` and ` burst=N` when a burst was given.
func (l *Limit) String() string {
	s := `limit value="` + strconv.FormatUint(uint64(l.Rate), 10) + "/" + string(l.Unit) + `"`
	if l.Burst != 0 {
		s += " burst=" + strconv.FormatUint(uint64(l.Burst), 10)
	}
	return s
}

func writeLimit(b *strings.Builder, l *Limit) {
	if l != nil {
		b.WriteByte(' ')
		b.WriteString(l.String())
	}
}

func limitSuffix(l *Limit) string {
	if l == nil {
		return ""
	}
	return " " + l.String()
}
