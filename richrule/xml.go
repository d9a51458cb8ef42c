package richrule

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The XML form is the <rule> element of firewalld's zone and policy files
// (firewall/core/io/policy.py): attributes family and priority, then
// <source>, <destination>, the element, <log>|<nflog>, <audit> and the
// action, each of the last four with an optional <limit value="R/U"/>
// child (burst="N" as in firewalld 2.x). Our writer differs from
// firewalld's only in writing empty elements as <x></x> (encoding/xml has
// no self-closing form) and in always writing a clamp value it was given
// as a number; both forms read back the same.

// MarshalXML writes the rule; it refuses a rule that fails Check.
func (r *Rule) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := check(r, nil); err != nil {
		return fmt.Errorf("writing rule %q: %w", r.String(), err)
	}
	start.Attr = start.Attr[:0]
	if r.Family != FamilyAny {
		start.Attr = appendAttr(start.Attr, "family", string(r.Family))
	}
	if r.Priority != 0 {
		start.Attr = appendAttr(start.Attr, "priority", strconv.Itoa(r.Priority))
	}
	w := xmlWriter{e: e}
	w.token(start)
	if s := r.Source; s != nil {
		w.leaf("source", nil, "address", s.Address, "mac", s.MAC, "ipset", s.IPSet, "invert", invertAttr(s.Invert))
	}
	if d := r.Destination; d != nil {
		w.leaf("destination", nil, "address", d.Address, "ipset", d.IPSet, "invert", invertAttr(d.Invert))
	}
	switch el := r.Element.(type) {
	case *Service:
		w.leaf("service", nil, "name", el.Name)
	case *Port:
		w.leaf("port", nil, "port", el.Port, "protocol", el.Protocol)
	case *Protocol:
		w.leaf("protocol", nil, "value", el.Value)
	case *TCPMSSClamp:
		v := ""
		if el.Value != PMTU {
			v = el.Value.String()
		}
		w.leaf("tcp-mss-clamp", nil, "value", v)
	case *Masquerade:
		w.leaf("masquerade", nil)
	case *IcmpBlock:
		w.leaf("icmp-block", nil, "name", el.Name)
	case *IcmpType:
		w.leaf("icmp-type", nil, "name", el.Name)
	case *ForwardPort:
		w.leaf("forward-port", nil, "port", el.Port, "protocol", el.Protocol, "to-port", el.ToPort, "to-addr", el.ToAddr)
	case *SourcePort:
		w.leaf("source-port", nil, "port", el.Port, "protocol", el.Protocol)
	}
	switch l := r.Log.(type) {
	case *Log:
		w.leaf("log", l.Limit, "prefix", l.Prefix, "level", l.Level)
	case *NFLog:
		w.leaf("nflog", l.Limit, "group", l.Group, "prefix", l.Prefix, "queue-size", l.QueueSize)
	}
	if r.Audit != nil {
		w.leaf("audit", r.Audit.Limit)
	}
	switch a := r.Action.(type) {
	case *Accept:
		w.leaf("accept", a.Limit)
	case *Reject:
		w.leaf("reject", a.Limit, "type", a.Type)
	case *Drop:
		w.leaf("drop", a.Limit)
	case *Mark:
		w.leaf("mark", a.Limit, "set", a.Set)
	}
	w.token(start.End())
	return w.err
}

func invertAttr(inv bool) string {
	if inv {
		return "True"
	}
	return ""
}

func appendAttr(attrs []xml.Attr, name, value string) []xml.Attr {
	return append(attrs, xml.Attr{Name: xml.Name{Local: name}, Value: value})
}

type xmlWriter struct {
	e   *xml.Encoder
	err error
}

func (w *xmlWriter) token(t xml.Token) {
	if w.err == nil {
		w.err = w.e.EncodeToken(t)
	}
}

// leaf writes <name k="v".../> for the non-empty values kv (name, value
// pairs), with a <limit> child when lim is set.
func (w *xmlWriter) leaf(name string, lim *Limit, kv ...string) {
	start := xml.StartElement{Name: xml.Name{Local: name}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			start.Attr = appendAttr(start.Attr, kv[i], kv[i+1])
		}
	}
	w.token(start)
	if lim != nil {
		l := xml.StartElement{Name: xml.Name{Local: "limit"}}
		l.Attr = appendAttr(l.Attr, "value", lim.valueString())
		if lim.Burst != 0 {
			l.Attr = appendAttr(l.Attr, "burst", strconv.FormatUint(uint64(lim.Burst), 10))
		}
		w.token(l)
		w.token(l.End())
	}
	w.token(start.End())
}

// UnmarshalXML reads a <rule> element as firewalld 1.3.3 writes it
// (<tcp-mss-clamp/>, value="None", invert="True", limits as children) and
// runs Check. Errors are *firewalld.Error: PARSE_ERROR for the XML structure (the
// texts of firewalld's reader), the Check codes for the content, with the
// line and column of the element.
func (r *Rule) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	x := xmlReader{d: d, r: &Rule{}, m: &meta{tags: new([nSlots]string)}}
	if err := x.read(start); err != nil {
		return err
	}
	if err := check(x.r, x.m); err != nil {
		return err
	}
	*r = *x.r
	return nil
}

type xmlReader struct {
	d *xml.Decoder
	r *Rule
	m *meta
}

// attrs are an element's attributes by local name.
type attrs map[string]string

func (x *xmlReader) pos() pos {
	line, col := x.d.InputPos()
	return pos{line: int32(line), col: int32(col)}
}

func (x *xmlReader) errf(code firewalld.Code, construct, msg string) *firewalld.Error {
	e := &firewalld.Error{Code: code, Msg: msg, Construct: construct, Detailed: true}
	p := x.pos()
	e.Line, e.Column = int(p.line), int(p.col)
	return e
}

func (x *xmlReader) at(s slot, tag string) {
	x.m.pos[s] = x.pos()
	x.m.tags[s] = tag
}

// elementAttrs checks an element's attributes against firewalld's
// PARSER_REQUIRED_ELEMENT_ATTRS and PARSER_OPTIONAL_ELEMENT_ATTRS.
func (x *xmlReader) elementAttrs(el xml.StartElement, required, optional []string) (attrs, *firewalld.Error) {
	a := make(attrs, len(el.Attr))
	for _, at := range el.Attr {
		a[at.Name.Local] = at.Value
	}
	name := el.Name.Local
	for _, k := range required {
		if _, ok := a[k]; !ok {
			return nil, x.errf(firewalld.ParseError, "<"+name+">", "Missing attribute "+k+" for "+name)
		}
	}
	for _, at := range el.Attr {
		if !contains(required, at.Name.Local) && !contains(optional, at.Name.Local) {
			return nil, x.errf(firewalld.ParseError, "<"+name+">", name+": Unexpected attribute "+at.Name.Local)
		}
	}
	return a, nil
}

func (x *xmlReader) read(start xml.StartElement) error {
	a, aerr := x.elementAttrs(start, nil, []string{"family", "priority"})
	if aerr != nil {
		return aerr
	}
	x.at(slotRule, "rule")
	r := x.r
	r.Family = Family(a["family"])
	if p, ok := a["priority"]; ok {
		v, ok := firewalld.PyInt(p)
		if !ok {
			return x.errf(firewalld.InvalidPriority, "<rule>", "invalid 'priority' attribute value '"+p+"'.")
		}
		r.Priority = int(v)
		x.at(slotPriority, "rule")
	}
	for {
		tok, err := x.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading rule: %w", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := x.child(t); err != nil {
				return err
			}
		}
	}
}

// child reads one element inside <rule>.
func (x *xmlReader) child(el xml.StartElement) error {
	name := el.Name.Local
	spec, ok := xmlElements[name]
	if !ok {
		return x.errf(firewalld.ParseError, "<"+name+">", "Unexpected element "+name)
	}
	a, aerr := x.elementAttrs(el, spec.required, spec.optional)
	if aerr != nil {
		return aerr
	}
	if derr := x.duplicate(name, spec.kind); derr != nil {
		return derr
	}
	lim, err := x.limitChild(name, spec.kind)
	if err != nil {
		return err
	}
	return x.build(name, a, lim)
}

type xmlKind uint8

const (
	kindSource xmlKind = iota
	kindDest
	kindElement
	kindLog
	kindAudit
	kindAction
)

type xmlSpec struct {
	kind               xmlKind
	required, optional []string
}

var xmlElements = map[string]xmlSpec{
	"source":        {kindSource, nil, []string{"address", "mac", "invert", "family", "ipset"}},
	"destination":   {kindDest, nil, []string{"address", "invert", "ipset"}},
	"service":       {kindElement, []string{"name"}, nil},
	"port":          {kindElement, []string{"port", "protocol"}, nil},
	"protocol":      {kindElement, []string{"value"}, nil},
	"tcp-mss-clamp": {kindElement, nil, []string{"value"}},
	"icmp-block":    {kindElement, []string{"name"}, nil},
	"icmp-type":     {kindElement, []string{"name"}, nil},
	"masquerade":    {kindElement, nil, nil},
	"forward-port":  {kindElement, []string{"port", "protocol"}, []string{"to-port", "to-addr"}},
	"source-port":   {kindElement, []string{"port", "protocol"}, nil},
	"log":           {kindLog, nil, []string{"prefix", "level"}},
	"nflog":         {kindLog, nil, []string{"group", "prefix", "queue-size"}},
	"audit":         {kindAudit, nil, nil},
	"accept":        {kindAction, nil, nil},
	"reject":        {kindAction, nil, []string{"type"}},
	"drop":          {kindAction, nil, nil},
	"mark":          {kindAction, []string{"set"}, nil},
}

func (x *xmlReader) duplicate(name string, kind xmlKind) *firewalld.Error {
	r := x.r
	var msg string
	switch {
	case kind == kindSource && r.Source != nil:
		msg = "more than one 'source' element"
	case kind == kindDest && r.Destination != nil:
		msg = "more than one 'destination' element"
	case kind == kindElement && r.Element != nil:
		msg = "more than one element. There cannot be both '" + name + "' and '" + r.Element.String() + "' in one rule."
	case kind == kindLog && r.Log != nil:
		msg = "more than one logging element"
	case kind == kindAudit && r.Audit != nil:
		msg = "more than one 'audit' element"
	case kind == kindAction && r.Action != nil:
		msg = "more than one 'action' element. There cannot be both '" + name + "' and '" + r.Action.String() + "' in one rule."
	default:
		return nil
	}
	return x.errf(firewalld.InvalidRule, "<"+name+">", msg)
}

// limitChild reads the content of an element up to its end: a <limit>
// for log, nflog, audit and actions, nothing for the others.
func (x *xmlReader) limitChild(name string, kind xmlKind) (*Limit, error) {
	var lim *Limit
	for {
		tok, err := x.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading <%s>: %w", name, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return lim, nil
		case xml.StartElement:
			if t.Name.Local != "limit" || kind < kindLog {
				return nil, x.errf(firewalld.ParseError, "<"+name+">", "Unexpected element "+t.Name.Local+" in "+name)
			}
			if lim != nil {
				return nil, x.errf(firewalld.InvalidRule, "<limit>", "more than one limit in '"+name+"'")
			}
			a, aerr := x.elementAttrs(t, []string{"value"}, []string{"burst"})
			if aerr != nil {
				return nil, aerr
			}
			lim = &Limit{}
			burst, hasBurst := a["burst"]
			raw := rawLimit{l: lim, value: normalizeLimitUnit(a["value"]), burst: burst, hasBurst: hasBurst, at: x.pos()}
			if v, err := parseLimit(raw.value, raw.burst, raw.hasBurst); err == nil {
				*lim = v
			}
			x.m.limits = append(x.m.limits, raw)
			if err := x.d.Skip(); err != nil {
				return nil, fmt.Errorf("reading <limit>: %w", err)
			}
		}
	}
}

func (x *xmlReader) build(name string, a attrs, lim *Limit) error {
	r, m := x.r, x.m
	switch name {
	case "source":
		s := &Source{Invert: xmlTrue(a["invert"]), Address: a["address"], MAC: upperASCII(a["mac"]), IPSet: a["ipset"]}
		x.at(slotSource, name)
		x.attrAt(a, "address", slotSrcAddr, name)
		x.attrAt(a, "mac", slotSrcMAC, name)
		x.attrAt(a, "ipset", slotSrcIPSet, name)
		if s.Address == "" && s.MAC == "" && s.IPSet == "" {
			return x.errf(firewalld.InvalidRule, "<source>", "no address, mac and ipset")
		}
		r.Source = s
	case "destination":
		d := &Destination{Invert: xmlTrue(a["invert"]), Address: a["address"], IPSet: a["ipset"]}
		x.at(slotDest, name)
		x.attrAt(a, "address", slotDstAddr, name)
		x.attrAt(a, "ipset", slotDstIPSet, name)
		if d.Address == "" && d.IPSet == "" {
			return x.errf(firewalld.InvalidRule, "<destination>", "no address and ipset")
		}
		r.Destination = d
	case "log", "nflog":
		return x.buildLog(name, a, lim)
	case "audit":
		x.at(slotAudit, name)
		r.Audit = &Audit{Limit: lim}
	case "accept", "reject", "drop", "mark":
		x.at(slotAction, name)
		x.attrAt(a, "type", slotActionAttr, name)
		x.attrAt(a, "set", slotActionAttr, name)
		switch name {
		case "accept":
			r.Action = &Accept{Limit: lim}
		case "reject":
			r.Action = &Reject{Type: a["type"], Limit: lim}
		case "drop":
			r.Action = &Drop{Limit: lim}
		default:
			r.Action = &Mark{Set: a["set"], Limit: lim}
		}
	default:
		x.at(slotElement, name)
		for _, k := range []string{"name", "value", "port"} {
			x.attrAt(a, k, slotElemName, name)
		}
		x.attrAt(a, "protocol", slotElemProto, name)
		x.attrAt(a, "to-port", slotToPort, name)
		x.attrAt(a, "to-addr", slotToAddr, name)
		r.Element = xmlElement(name, a, m)
	}
	return nil
}

func (x *xmlReader) buildLog(name string, a attrs, lim *Limit) error {
	x.at(slotLog, name)
	x.attrAt(a, "prefix", slotLogPrefix, name)
	x.attrAt(a, "level", slotLogLevel, name)
	x.attrAt(a, "group", slotLogLevel, name)
	x.attrAt(a, "queue-size", slotLogQueue, name)
	// firewalld's reader refuses empty values that the rule text cannot
	// even express.
	for _, k := range []string{"prefix", "group", "queue-size"} {
		if v, ok := a[k]; ok && v == "" {
			code := firewalld.InvalidLogPrefix
			switch k {
			case "group":
				code = firewalld.InvalidNFLogGroup
			case "queue-size":
				code = firewalld.InvalidNFLogQueue
			}
			e := x.errf(code, "<"+name+">", "")
			e.Found, e.Expected = "an empty "+k, "a value or no "+k+" attribute"
			return e
		}
	}
	if name == "log" {
		x.r.Log = &Log{Prefix: a["prefix"], Level: a["level"], Limit: lim}
	} else {
		x.r.Log = &NFLog{Group: a["group"], Prefix: a["prefix"], QueueSize: a["queue-size"], Limit: lim}
	}
	return nil
}

func (x *xmlReader) attrAt(a attrs, k string, s slot, tag string) {
	if _, ok := a[k]; ok {
		x.at(s, tag)
	}
}

func xmlElement(name string, a attrs, m *meta) Element {
	switch name {
	case "service":
		return &Service{Name: a["name"]}
	case "port":
		return &Port{Port: a["port"], Protocol: a["protocol"]}
	case "protocol":
		return &Protocol{Value: a["value"]}
	case "tcp-mss-clamp":
		// firewalld 1.3.3 writes no value for pmtu and may hold "None".
		v := a["value"]
		if v == "None" || v == "pmtu" {
			v = ""
		}
		mss, _ := parseMSS(v)
		m.mss, m.hasMSS = v, v != ""
		return &TCPMSSClamp{Value: mss}
	case "icmp-block":
		return &IcmpBlock{Name: a["name"]}
	case "icmp-type":
		return &IcmpType{Name: a["name"]}
	case "masquerade":
		return &Masquerade{}
	case "forward-port":
		return &ForwardPort{Port: a["port"], Protocol: a["protocol"], ToPort: a["to-port"], ToAddr: a["to-addr"]}
	}
	return &SourcePort{Port: a["port"], Protocol: a["protocol"]}
}

// xmlTrue is firewalld's reading of invert: "yes" or "true", any case.
func xmlTrue(s string) bool {
	s = strings.ToLower(s)
	return s == "yes" || s == "true"
}
