package richrule

// Rule is one parsed rich rule. Parse fills it and checks it; a Rule built by
// hand should be passed through Check before use.
//
// Attribute values are kept as written (after tokenizing), because firewalld
// prints them back verbatim: port="ssh" and port="22" are different rules to
// firewalld, and so to us. The values we normalise are the tcp-mss-clamp
// value (see MSS) and the limit rate (see Limit).
type Rule struct {
	Priority    int    // -32768..32767; 0 is omitted from the canonical form
	Family      Family // "" (both), "ipv4" or "ipv6"
	Source      *Source
	Destination *Destination
	Element     Element // nil when the rule has none
	Log         Logger  // *Log, *NFLog or nil
	Audit       *Audit
	Action      Action // *Accept, *Reject, *Drop, *Mark or nil
}

// Family restricts a rule to one IP version; the zero value means both.
type Family string

const (
	FamilyAny  Family = ""
	FamilyIPv4 Family = "ipv4"
	FamilyIPv6 Family = "ipv6"
)

// Source matches the packet's source. Exactly one of Address, MAC and IPSet
// is set; MAC is kept upper-case as firewalld keeps it.
type Source struct {
	Invert  bool
	Address string
	MAC     string
	IPSet   string
}

// Destination matches the packet's destination. Exactly one of Address and
// IPSet is set.
type Destination struct {
	Invert  bool
	Address string
	IPSet   string
}

// Element is the one thing a rule is about: a service, a port, a clamp...
type Element interface {
	String() string
	isElement()
}

type (
	Service  struct{ Name string }
	Port     struct{ Port, Protocol string }
	Protocol struct{ Value string }
	// IcmpBlock blocks an ICMP type; it takes no action.
	IcmpBlock  struct{ Name string }
	IcmpType   struct{ Name string }
	Masquerade struct{}
	// ForwardPort needs a family and at least one of ToPort and ToAddr.
	ForwardPort struct{ Port, Protocol, ToPort, ToAddr string }
	SourcePort  struct{ Port, Protocol string }
	// TCPMSSClamp rewrites the MSS option of TCP SYN and SYN-ACK packets.
	TCPMSSClamp struct{ Value MSS }
)

func (*Service) isElement()     {}
func (*Port) isElement()        {}
func (*Protocol) isElement()    {}
func (*IcmpBlock) isElement()   {}
func (*IcmpType) isElement()    {}
func (*Masquerade) isElement()  {}
func (*ForwardPort) isElement() {}
func (*SourcePort) isElement()  {}
func (*TCPMSSClamp) isElement() {}

// MSS is a tcp-mss-clamp value: PMTU (the zero value) clamps to the path MTU
// of the route, anything else is a fixed MSS in MinMSS..MaxMSS. Upstream keeps
// the value as a string, so "pmtu", "" and "00536" are distinct rules there;
// here they are one value each.
type MSS uint16

const (
	PMTU   MSS = 0
	MinMSS MSS = 536 // RFC 879 default MSS; firewalld's lower bound
	MaxMSS MSS = 65535
)

// Logger is a rule's logging part: *Log or *NFLog.
type Logger interface {
	String() string
	isLogger()
}

// Log writes a kernel log line per matched packet.
type Log struct {
	Prefix string
	Level  string // emerg, alert, crit, error, warning, notice, info, debug, or ""
	Limit  *Limit
}

// NFLog sends matched packets to a netlink log group.
type NFLog struct {
	Group     string
	Prefix    string
	QueueSize string
	Limit     *Limit
}

func (*Log) isLogger()   {}
func (*NFLog) isLogger() {}

// Audit writes an audit record; it needs accept, reject or drop.
type Audit struct{ Limit *Limit }

// Limit is a rate limit "Rate/Unit" with an optional burst (firewalld 2.x
// syntax). The rate prints as a number, as in firewalld 2.x: "01/m" and
// "1/m" are one limit.
type Limit struct {
	Rate  uint32
	Unit  byte   // 's', 'm', 'h' or 'd'
	Burst uint32 // 0 when not given
}

// Action is a rule's verdict: *Accept, *Reject, *Drop or *Mark.
type Action interface {
	String() string
	isAction()
	limit() *Limit
}

type (
	Accept struct{ Limit *Limit }
	Reject struct {
		Type  string
		Limit *Limit
	}
	Drop struct{ Limit *Limit }
	// Mark sets the packet mark: "X" or "X/MASK", as written.
	Mark struct {
		Set   string
		Limit *Limit
	}
)

func (*Accept) isAction() {}
func (*Reject) isAction() {}
func (*Drop) isAction()   {}
func (*Mark) isAction()   {}

func (a *Accept) limit() *Limit { return a.Limit }
func (a *Reject) limit() *Limit { return a.Limit }
func (a *Drop) limit() *Limit   { return a.Limit }
func (a *Mark) limit() *Limit   { return a.Limit }

// Clamp returns the rule's tcp-mss-clamp element, or nil when the rule is not
// a clamp rule (and so belongs to firewalld, not to us).
func (r *Rule) Clamp() *TCPMSSClamp {
	c, _ := r.Element.(*TCPMSSClamp)
	return c
}
