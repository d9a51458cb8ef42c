package richrule

import "github.com/firewalld-mssclamp/mssclamp/internal/firewalld"

// Parse reads a rich rule the way firewalld 1.3.3 does and checks it (see
// Check). It returns a *firewalld.Error with firewalld's code when the rule is
// invalid; the deliberate differences are listed in doc.go.
func Parse(s string) (*Rule, error) {
	r, err := parse(s)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func parse(s string) (*Rule, *firewalld.Error) {
	if s == "" {
		// firewalld's constructor skips an empty string; the check when
		// adding it then reports this.
		return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: "no element, no action", Detailed: true,
			Construct: "rule", Found: "an empty rule"}
	}
	in, err := newInput(s)
	if err != nil {
		return nil, err
	}
	var tokBuf [12]token
	p := parser{in: in, r: &Rule{}, dead: -1}
	p.m.in = in
	p.toks, err = in.lex(tokBuf[:0])
	if err != nil {
		return nil, err
	}
	// A rule whose first word is EOL (the marker, or written) is empty to
	// firewalld 1.3.3.
	if t := p.toks[0]; !t.attr && t.name == eolWord {
		return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: "empty rule"}
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	if err := check(p.r, &p.m); err != nil {
		return nil, err
	}
	return p.r, nil
}

// state is what the parser is inside of, one per keyword firewalld pushes
// on its stack.
type state uint8

const (
	stNone state = iota
	stRule
	stSource
	stDestination
	stProtocol
	stService
	stPort
	stIcmpBlock
	stIcmpType
	stMasquerade
	stForwardPort
	stSourcePort
	stTCPMSSClamp
	stLog
	stNFLog
	stAudit
	stAccept
	stDrop
	stReject
	stMark
	stLimit
	// stDead: "not", "NOT" or "EOL" right after "rule". firewalld 1.3.3
	// then ignores every later word and fails with an IndexError at the
	// end; we report INVALID_RULE at the word.
	stDead
)

func keywordState(w string) (state, bool) {
	switch w {
	case "rule":
		return stRule, true
	case "source":
		return stSource, true
	case "destination":
		return stDestination, true
	case "protocol":
		return stProtocol, true
	case "service":
		return stService, true
	case "port":
		return stPort, true
	case "icmp-block":
		return stIcmpBlock, true
	case "icmp-type":
		return stIcmpType, true
	case "masquerade":
		return stMasquerade, true
	case "forward-port":
		return stForwardPort, true
	case "source-port":
		return stSourcePort, true
	case "tcp-mss-clamp":
		return stTCPMSSClamp, true
	case "log":
		return stLog, true
	case "nflog":
		return stNFLog, true
	case "audit":
		return stAudit, true
	case "accept":
		return stAccept, true
	case "drop":
		return stDrop, true
	case "reject":
		return stReject, true
	case "mark":
		return stMark, true
	case "limit":
		return stLimit, true
	case "not", "NOT", eolWord:
		return stDead, true
	}
	return stNone, false
}

func validAttr(name string) bool {
	switch name {
	case "priority", "family", "address", "mac", "ipset", "invert", "value", "port", "protocol",
		"to-port", "to-addr", "name", "group", "prefix", "level", "queue-size", "type", "set", "burst":
		return true
	}
	return false
}

// attrVal is an attribute collected for the element being read.
type attrVal struct {
	v   string
	off int
	set bool
}

// attrSet is firewalld's shared attrs dict: elements collect attributes
// here and clear it when they close. A limit read directly under "rule"
// stays in it until the next element that clears it, and is picked up by
// the next log, audit or action: firewalld does that, so we do too.
type attrSet struct {
	address, mac, ipset, invert, value, port, protocol, toPort, toAddr,
	prefix, level, group, queueSize, typ, set attrVal
	limit *Limit
}

type parser struct {
	in    *input
	toks  []token
	r     *Rule
	m     meta
	a     attrSet
	stack []state

	limValue, limBurst attrVal
	limOff             int

	// dead is the index of the first word after which firewalld 1.3.3
	// can only crash, or -1.
	dead    int
	deadMsg string
}

func (p *parser) top() state {
	if len(p.stack) == 0 {
		return stNone
	}
	return p.stack[len(p.stack)-1]
}

func (p *parser) push(s state) { p.stack = append(p.stack, s) }

func (p *parser) pop() { p.stack = p.stack[:len(p.stack)-1] }

func (p *parser) run() *firewalld.Error {
	for i := 0; ; {
		if i >= len(p.toks) {
			return p.crashed()
		}
		t := &p.toks[i]
		if !t.attr && t.name == eolWord && len(p.stack) == 1 && p.stack[0] == stRule {
			return nil
		}
		if err := p.precheck(t); err != nil {
			return err
		}
		back, err := p.step(t)
		if err != nil {
			return err
		}
		if !back {
			i++
		}
	}
}

// crashed reports the words firewalld 1.3.3 cannot finish (IndexError,
// reported by firewalld as UNKNOWN_ERROR "list index out of range").
func (p *parser) crashed() *firewalld.Error {
	e := p.errAt(&p.toks[p.dead], firewalld.InvalidRule, p.deadMsg)
	e.Construct = "rule"
	e.Detailed = true
	return e
}

func (p *parser) errAt(t *token, code firewalld.Code, msg string) *firewalld.Error {
	e := &firewalld.Error{Code: code, Msg: msg}
	if t != nil {
		e.Column = p.in.column(t.off)
	}
	return e
}

// precheck is what firewalld checks for every word before looking at the
// state: known attribute or keyword, and no second source, destination,
// element, log, audit or action. Unlike firewalld we count tcp-mss-clamp
// as an element here, so it cannot silently replace another one.
func (p *parser) precheck(t *token) *firewalld.Error {
	if t.attr {
		if !validAttr(t.name) {
			return p.errAt(t, firewalld.InvalidRule, "bad attribute '"+t.name+"'")
		}
		return nil
	}
	if _, ok := keywordState(t.name); !ok {
		return p.errAt(t, firewalld.InvalidRule, "unknown element "+t.name)
	}
	r := p.r
	switch t.name {
	case "source":
		if r.Source != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one 'source' element")
		}
	case "destination":
		if r.Destination != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one 'destination' element")
		}
	case "protocol", "service", "port", "icmp-block", "icmp-type", "masquerade", "forward-port",
		"source-port", "tcp-mss-clamp":
		if r.Element != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one element. There cannot be both '"+t.name+
				"' and '"+upstreamElement(r.Element, &p.m)+"' in one rule.")
		}
	case "log", "nflog":
		if r.Log != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one logging element")
		}
	case "audit":
		if r.Audit != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one 'audit' element")
		}
	case "accept", "drop", "reject", "mark":
		if r.Action != nil {
			return p.errAt(t, firewalld.InvalidRule, "more than one 'action' element. There cannot be both '"+t.name+
				"' and '"+upstreamAction(r.Action, &p.m)+"' in one rule.")
		}
	}
	return nil
}

// step handles one word in the current state. back reports that the word
// closed an element and must be read again by the enclosing state.
func (p *parser) step(t *token) (back bool, err *firewalld.Error) {
	switch p.top() {
	case stNone:
		return false, p.stepStart(t)
	case stRule:
		return false, p.stepRule(t)
	case stDead:
		return false, nil
	case stLimit:
		return p.stepLimit(t)
	case stProtocol, stService, stIcmpBlock, stIcmpType:
		return false, p.stepNamed(t)
	case stMasquerade:
		p.r.Element = &Masquerade{}
		p.close()
		return true, nil
	}
	if p.collect(t) {
		return false, nil
	}
	if !t.attr && t.name == "limit" {
		switch p.top() {
		case stLog, stNFLog, stAudit, stAccept, stDrop, stReject, stMark:
			p.startLimit(t)
			return false, nil
		}
	}
	return true, p.closeElement()
}

func (p *parser) stepStart(t *token) *firewalld.Error {
	switch {
	case t.attr && t.name == "family":
		return p.errAt(t, firewalld.InvalidRule, "'family' outside of rule. Use 'rule family=...'.")
	case t.attr && t.name == "priority":
		return p.errAt(t, firewalld.InvalidRule, "'priority' outside of rule. Use 'rule priority=...'.")
	case t.attr:
		return p.errAt(t, firewalld.InvalidRule, "'"+t.name+"' outside of any element. Use 'rule <element> "+t.name+"= ...'.")
	case t.name != "rule":
		return p.errAt(t, firewalld.InvalidRule, "'"+t.name+"' outside of rule. Use 'rule ... "+t.name+" ...'.")
	}
	p.push(stRule)
	p.m.set(slotRule, t.off)
	return nil
}

func (p *parser) stepRule(t *token) *firewalld.Error {
	if t.attr {
		switch t.name {
		case "family":
			if t.value != "ipv4" && t.value != "ipv6" {
				return p.errAt(t, firewalld.InvalidRule, "'family' attribute cannot have '"+t.value+
					"' value. Use 'ipv4' or 'ipv6' instead.")
			}
			p.r.Family = Family(t.value)
		case "priority":
			v, ok := firewalld.PyInt(t.value)
			if !ok {
				e := p.errAt(t, firewalld.InvalidPriority, "invalid 'priority' attribute value '"+t.value+"'.")
				return e
			}
			p.r.Priority = int(v)
			p.m.set(slotPriority, t.off)
		case "protocol":
			return p.errAt(t, firewalld.InvalidRule, "wrong 'protocol' usage. Use either 'rule protocol value=...' or  'rule [forward-]port protocol=...'.")
		default:
			return p.errAt(t, firewalld.InvalidRule, "attribute '"+t.name+"' outside of any element. Use 'rule <element> "+t.name+"= ...'.")
		}
		return nil
	}
	st, _ := keywordState(t.name)
	switch st {
	case stDead, stRule:
		if p.dead < 0 {
			p.dead = p.index(t)
			if st == stRule {
				p.deadMsg = "'rule' may only start the rule"
			} else {
				p.deadMsg = "'" + t.name + "' must follow 'source' or 'destination'"
			}
		}
	case stSource:
		p.m.set(slotSource, t.off)
	case stDestination:
		p.m.set(slotDest, t.off)
	case stLog, stNFLog:
		p.m.set(slotLog, t.off)
	case stAudit:
		p.m.set(slotAudit, t.off)
	case stAccept, stDrop, stReject, stMark:
		p.m.set(slotAction, t.off)
	case stLimit:
		p.startLimit(t)
		return nil
	default:
		p.m.set(slotElement, t.off)
	}
	p.push(st)
	return nil
}

// stepNamed reads the single attribute of protocol, service, icmp-block
// and icmp-type; firewalld closes those at once.
func (p *parser) stepNamed(t *token) *firewalld.Error {
	st := p.top()
	want, kw := "name", ""
	switch st {
	case stProtocol:
		want, kw = "value", "protocol"
	case stService:
		kw = "service"
	case stIcmpBlock:
		kw = "icmp-block"
	case stIcmpType:
		kw = "icmp-type"
	}
	if !t.attr || t.name != want {
		e := p.errAt(t, firewalld.InvalidRule, "invalid '"+kw+"' element")
		e.Detailed, e.Construct, e.Expected = true, kw, want+"=..."
		if t.name == eolWord && !t.attr {
			e.Found = "end of rule"
		} else {
			e.Found = quote(tokenText(t))
		}
		return e
	}
	p.m.set(slotElemName, t.off)
	switch st {
	case stProtocol:
		p.r.Element = &Protocol{Value: t.value}
	case stService:
		p.r.Element = &Service{Name: t.value}
	case stIcmpBlock:
		p.r.Element = &IcmpBlock{Name: t.value}
	case stIcmpType:
		p.r.Element = &IcmpType{Name: t.value}
	}
	p.pop()
	return nil
}

// index is the position of t in p.toks.
func (p *parser) index(t *token) int {
	for i := range p.toks {
		if &p.toks[i] == t {
			return i
		}
	}
	return -1
}

func tokenText(t *token) string {
	if t.attr {
		return t.name + "=" + t.value
	}
	return t.name
}

// collect stores an attribute (or "not") the current element takes.
func (p *parser) collect(t *token) bool {
	a := &p.a
	var f *attrVal
	switch p.top() {
	case stSource, stDestination:
		if !t.attr && (t.name == "not" || t.name == "NOT") {
			a.invert = attrVal{v: "True", off: t.off, set: true}
			return true
		}
		switch {
		case t.name == "address" || t.name == "ipset" || t.name == "invert":
			f = a.field(t.name)
		case t.name == "mac" && p.top() == stSource:
			f = &a.mac
		}
	case stTCPMSSClamp:
		if t.name == "value" {
			f = &a.value
		}
	case stPort, stSourcePort:
		if t.name == "port" || t.name == "protocol" {
			f = a.field(t.name)
		}
	case stForwardPort:
		switch t.name {
		case "port", "protocol", "to-port", "to-addr":
			f = a.field(t.name)
		}
	case stLog:
		if t.name == "prefix" || t.name == "level" {
			f = a.field(t.name)
		}
	case stNFLog:
		switch t.name {
		case "group", "prefix", "queue-size":
			f = a.field(t.name)
		}
	case stReject:
		if t.name == "type" {
			f = &a.typ
		}
	case stMark:
		if t.name == "set" {
			f = &a.set
		}
	}
	if f == nil || !t.attr {
		return false
	}
	*f = attrVal{v: t.value, off: t.off, set: true}
	return true
}

func (a *attrSet) field(name string) *attrVal {
	switch name {
	case "address":
		return &a.address
	case "mac":
		return &a.mac
	case "ipset":
		return &a.ipset
	case "invert":
		return &a.invert
	case "port":
		return &a.port
	case "protocol":
		return &a.protocol
	case "to-port":
		return &a.toPort
	case "to-addr":
		return &a.toAddr
	case "prefix":
		return &a.prefix
	case "level":
		return &a.level
	case "group":
		return &a.group
	case "queue-size":
		return &a.queueSize
	}
	return nil
}

func (p *parser) close() {
	p.pop()
	p.a = attrSet{}
}

func (p *parser) mark(s slot, v attrVal) {
	if v.set {
		p.m.set(s, v.off)
	}
}

// closeElement builds the element the collected attributes describe.
func (p *parser) closeElement() *firewalld.Error {
	a, r, m := &p.a, p.r, &p.m
	switch p.top() {
	case stSource:
		if !a.address.set && !a.mac.set && !a.ipset.set {
			e := &firewalld.Error{Code: firewalld.InvalidRule, Msg: "no address, mac and ipset", Detailed: true,
				Construct: "source", Expected: "address=, mac= or ipset="}
			return m.locate(e, slotSource)
		}
		r.Source = &Source{Invert: a.invert.set, Address: a.address.v, MAC: upperASCII(a.mac.v), IPSet: a.ipset.v}
		p.mark(slotSrcAddr, a.address)
		p.mark(slotSrcMAC, a.mac)
		p.mark(slotSrcIPSet, a.ipset)
	case stDestination:
		if !a.address.set && !a.ipset.set {
			e := &firewalld.Error{Code: firewalld.InvalidRule, Msg: "no address and ipset", Detailed: true,
				Construct: "destination", Expected: "address= or ipset="}
			return m.locate(e, slotDest)
		}
		r.Destination = &Destination{Invert: a.invert.set, Address: a.address.v, IPSet: a.ipset.v}
		p.mark(slotDstAddr, a.address)
		p.mark(slotDstIPSet, a.ipset)
	case stTCPMSSClamp:
		v, _ := parseMSS(a.value.v)
		r.Element = &TCPMSSClamp{Value: v}
		m.mss, m.hasMSS = a.value.v, a.value.set
		p.mark(slotElemName, a.value)
	case stPort, stSourcePort, stForwardPort:
		switch p.top() {
		case stPort:
			r.Element = &Port{Port: a.port.v, Protocol: a.protocol.v}
		case stSourcePort:
			r.Element = &SourcePort{Port: a.port.v, Protocol: a.protocol.v}
		default:
			r.Element = &ForwardPort{Port: a.port.v, Protocol: a.protocol.v, ToPort: a.toPort.v, ToAddr: a.toAddr.v}
			p.mark(slotToPort, a.toPort)
			p.mark(slotToAddr, a.toAddr)
		}
		m.noPort, m.noProto = !a.port.set, !a.protocol.set
		p.mark(slotElemName, a.port)
		p.mark(slotElemProto, a.protocol)
	case stLog:
		r.Log = &Log{Prefix: a.prefix.v, Level: a.level.v, Limit: a.limit}
		p.mark(slotLogPrefix, a.prefix)
		p.mark(slotLogLevel, a.level)
	case stNFLog:
		r.Log = &NFLog{Group: a.group.v, Prefix: a.prefix.v, QueueSize: a.queueSize.v, Limit: a.limit}
		p.mark(slotLogPrefix, a.prefix)
		p.mark(slotLogLevel, a.group)
		p.mark(slotLogQueue, a.queueSize)
	case stAudit:
		r.Audit = &Audit{Limit: a.limit}
	case stAccept:
		r.Action = &Accept{Limit: a.limit}
	case stDrop:
		r.Action = &Drop{Limit: a.limit}
	case stReject:
		r.Action = &Reject{Type: a.typ.v, Limit: a.limit}
		p.mark(slotActionAttr, a.typ)
	case stMark:
		r.Action = &Mark{Set: a.set.v, Limit: a.limit}
		m.noSet = !a.set.set
		p.mark(slotActionAttr, a.set)
	}
	p.close()
	return nil
}

func (p *parser) startLimit(t *token) {
	p.push(stLimit)
	p.limValue, p.limBurst, p.limOff = attrVal{}, attrVal{}, t.off
}

// stepLimit reads "limit value=R/U [burst=N]". firewalld 1.3.3 takes
// exactly one value= and knows no burst; 2.x takes both in any order. We
// take each once, in any order, and close on the first other word.
func (p *parser) stepLimit(t *token) (bool, *firewalld.Error) {
	if t.attr {
		switch {
		case t.name == "value" && !p.limValue.set:
			p.limValue = attrVal{v: t.value, off: t.off, set: true}
			return false, nil
		case t.name == "burst" && !p.limBurst.set:
			p.limBurst = attrVal{v: t.value, off: t.off, set: true}
			return false, nil
		}
	}
	if !p.limValue.set {
		e := p.errAt(t, firewalld.InvalidRule, "invalid 'limit' element")
		e.Detailed, e.Construct, e.Expected = true, "limit", `value="RATE/UNIT"`
		if !t.attr && t.name == eolWord {
			e.Found = "end of rule"
		} else {
			e.Found = quote(tokenText(t))
		}
		return false, e
	}
	value := normalizeLimitUnit(p.limValue.v)
	l := &Limit{}
	if v, err := parseLimit(value, p.limBurst.v, p.limBurst.set); err == nil {
		*l = v
	}
	p.m.limits = append(p.m.limits, rawLimit{l: l, value: value, burst: p.limBurst.v,
		hasBurst: p.limBurst.set, at: pos{col: int32(p.limValue.off + 1)}})
	if p.limBurst.set {
		p.m.limits[len(p.m.limits)-1].burstAt = pos{col: int32(p.limBurst.off + 1)}
	}
	p.a.limit = l
	p.pop()
	return true, nil
}

// upperASCII is str.upper() for the MAC; non-ASCII MACs are invalid anyway.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
