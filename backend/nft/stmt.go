package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// stmts builds one kernel rule statement by statement: the text nft lists
// for it and, when exprs is set, the expressions that make it. Both come
// from the same call so that Render and Apply cannot drift apart. The
// dependencies nft adds on its own (meta nfproto before an ip payload, meta
// l4proto before tcp, meta iiftype before ether) are loaded but, as in nft's
// listing, not shown.
type stmts struct {
	exprs bool
	text  []byte
	e     []expr.Any
}

func (b *stmts) say(parts ...string) {
	if len(b.text) > 0 {
		b.text = append(b.text, ' ')
	}
	for _, p := range parts {
		b.text = append(b.text, p...)
	}
}

func (b *stmts) add(e ...expr.Any) { b.e = append(b.e, e...) }

func (b *stmts) clone() *stmts {
	return &stmts{exprs: b.exprs, text: append([]byte(nil), b.text...), e: append([]expr.Any(nil), b.e...)}
}

func op(invert bool) string {
	if invert {
		return " != "
	}
	return " "
}

func cmpOp(invert bool) expr.CmpOp {
	if invert {
		return expr.CmpOpNeq
	}
	return expr.CmpOpEq
}

// nfproto restricts the rule to one family; shown says whether nft lists it
// (it does not when an ip or ip6 payload of the rule implies it).
func (b *stmts) nfproto(f backend.Family, shown bool) {
	if f == backend.FamilyAny {
		return
	}
	name, proto := "ipv4", byte(unix.NFPROTO_IPV4)
	if f == backend.FamilyIPv6 {
		name, proto = "ipv6", unix.NFPROTO_IPV6
	}
	if shown {
		b.say("meta nfproto ", name)
	}
	if b.exprs {
		b.add(&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: []byte{proto}})
	}
}

// syn matches SYN and SYN-ACK: tcp flags & (syn|rst) == syn.
func (b *stmts) syn() {
	b.say("tcp flags syn / syn,rst")
	if b.exprs {
		b.add(&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{OperationType: expr.PayloadLoad, DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 13, Len: 1},
			&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: 1, Mask: []byte{0x06}, Xor: []byte{0}},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: []byte{0x02}})
	}
}

// iface matches an interface name; a trailing "+" matches any suffix and
// compares only the bytes before it, as nft's "eth*" does.
func (b *stmts) iface(f field, name string, invert bool) error {
	base, wild := strings.CutSuffix(name, "+")
	if err := checkIfname(base); err != nil {
		return err
	}
	if wild && base == "" {
		if invert {
			return errors.New(`interface "+" inverted matches nothing`)
		}
		return nil // every interface
	}
	shown := base
	data := ifnameKey(base)
	if wild {
		shown += "*"
		data = []byte(base)
	}
	b.say(f.info().text, op(invert), `"`+shown+`"`)
	if b.exprs {
		b.add(f.load(0), &expr.Cmp{Op: cmpOp(invert), Register: reg, Data: data})
	}
	return nil
}

func checkIfname(name string) error {
	if len(name) >= ifnameLen {
		return fmt.Errorf("interface name %q is longer than %d bytes", name, ifnameLen-1)
	}
	if strings.ContainsAny(name, "\"\\*\x00 ") {
		return fmt.Errorf("interface name %q holds a character nft cannot quote", name)
	}
	return nil
}

func ifnameKey(name string) []byte {
	k := make([]byte, ifnameLen)
	copy(k, name)
	return k
}

// prefix matches an address prefix the way nft encodes it: a whole-byte
// prefix loads only its bytes; any other loads the address and masks it.
func (b *stmts) prefix(dst bool, p netip.Prefix, invert bool) error {
	if !p.IsValid() {
		return errors.New("invalid address prefix")
	}
	p = p.Masked()
	f := addrField(addrFamily(p.Addr()), dst)
	fi := f.info()
	text := p.String()
	if p.IsSingleIP() {
		text = p.Addr().String()
	}
	b.say(fi.text, op(invert), text)
	if !b.exprs {
		return nil
	}
	addr := p.Addr().AsSlice()
	bits := p.Bits()
	if bits > 0 && bits%8 == 0 {
		b.add(f.load(uint32(bits/8)), &expr.Cmp{Op: cmpOp(invert), Register: reg, Data: addr[:bits/8]})
		return nil
	}
	mask := net.CIDRMask(bits, len(addr)*8)
	b.add(f.load(fi.size),
		&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: fi.size, Mask: mask, Xor: make([]byte, fi.size)},
		&expr.Cmp{Op: cmpOp(invert), Register: reg, Data: addr})
	return nil
}

func addrFamily(a netip.Addr) backend.Family {
	if a.Is4() {
		return backend.FamilyIPv4
	}
	return backend.FamilyIPv6
}

// ether loads the Ethernet source address, behind nft's implicit check
// that the input device is Ethernet.
func (b *stmts) ether() {
	if b.exprs {
		b.add(&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: reg},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg, Data: binaryutil.NativeEndian.PutUint16(unix.ARPHRD_ETHER)},
			fieldEtherSaddr.load(6))
	}
}

func (b *stmts) mac(mac string, invert bool) error {
	hw, err := firewalld.ParseMAC(mac)
	if err != nil {
		return err
	}
	b.say("ether saddr", op(invert), hw.String())
	b.ether()
	if b.exprs {
		b.add(&expr.Cmp{Op: cmpOp(invert), Register: reg, Data: hw})
	}
	return nil
}

// load puts the whole field into the register.
func (b *stmts) load(f field) {
	if f == fieldEtherSaddr {
		b.ether()
		return
	}
	if b.exprs {
		b.add(f.load(f.info().size))
	}
}

// lookup matches when the field is (or, inverted, is not) in a set.
func (b *stmts) lookup(f field, s *setPlan, invert bool) {
	b.say(f.info().text, op(invert), "@", s.name)
	b.load(f)
	if b.exprs {
		b.add(&expr.Lookup{SourceRegister: reg, SetName: s.name, SetID: s.id, Invert: invert})
	}
}

// vmap applies the verdict the field maps to in a verdict map.
func (b *stmts) vmap(f field, m *setPlan) {
	b.say(f.info().text, " vmap @", m.name)
	b.load(f)
	if b.exprs {
		b.add(&expr.Lookup{SourceRegister: reg, IsDestRegSet: true, DestRegister: 0, SetName: m.name, SetID: m.id})
	}
}

func (b *stmts) verdict(kind expr.VerdictKind, chain string) {
	b.say(verdictText(kind, chain))
	if b.exprs {
		b.add(&expr.Verdict{Kind: kind, Chain: chain})
	}
}

func verdictText(kind expr.VerdictKind, chain string) string {
	switch kind {
	case expr.VerdictJump:
		return "jump " + chain
	case expr.VerdictGoto:
		return "goto " + chain
	}
	return "return"
}

// clamp counts the packet and lowers its MSS option to the route's MTU
// minus the headers (rt mtu) or to a fixed value.
func (b *stmts) clamp(mss richrule.MSS) {
	value := "rt mtu"
	if mss != richrule.PMTU {
		value = strconv.Itoa(int(mss))
	}
	b.say("counter tcp option maxseg size set ", value)
	if !b.exprs {
		return
	}
	b.add(&expr.Counter{})
	if mss == richrule.PMTU {
		b.add(&expr.Rt{Register: reg, Key: expr.RtTCPMSS},
			&expr.Byteorder{SourceRegister: reg, DestRegister: reg, Op: expr.ByteorderHton, Len: 2, Size: 2})
	} else {
		b.add(&expr.Immediate{Register: reg, Data: binary.BigEndian.AppendUint16(nil, uint16(mss))})
	}
	b.add(&expr.Exthdr{SourceRegister: reg, Op: expr.ExthdrOpTcpopt, Type: 2, Offset: 2, Len: 2})
}

var limitUnits = map[byte]struct {
	text string
	unit expr.LimitTime
}{
	's': {"second", expr.LimitTimeSecond},
	'm': {"minute", expr.LimitTimeMinute},
	'h': {"hour", expr.LimitTimeHour},
	'd': {"day", expr.LimitTimeDay},
}

// logLevels maps firewalld's level names to nft's (and the kernel's).
var logLevels = map[string]struct {
	text  string
	level expr.LogLevel
}{
	"":        {"warn", expr.LogLevelWarning},
	"emerg":   {"emerg", expr.LogLevelEmerg},
	"alert":   {"alert", expr.LogLevelAlert},
	"crit":    {"crit", expr.LogLevelCrit},
	"error":   {"err", expr.LogLevelErr},
	"err":     {"err", expr.LogLevelErr},
	"warning": {"warn", expr.LogLevelWarning},
	"warn":    {"warn", expr.LogLevelWarning},
	"notice":  {"notice", expr.LogLevelNotice},
	"info":    {"info", expr.LogLevelInfo},
	"debug":   {"debug", expr.LogLevelDebug},
}

// log logs the packet, at most at the limit's rate.
func (b *stmts) log(l *backend.Log) error {
	if lim := l.Limit; lim != nil {
		u, ok := limitUnits[lim.Unit]
		if !ok || lim.Rate == 0 {
			return fmt.Errorf("invalid log limit %d/%c", lim.Rate, lim.Unit)
		}
		burst := lim.Burst
		if burst == 0 {
			burst = defaultBurst
		}
		b.say("limit rate ", strconv.FormatUint(uint64(lim.Rate), 10), "/", u.text)
		if burst != defaultBurst {
			b.say("burst ", strconv.FormatUint(uint64(burst), 10), " packets")
		}
		if b.exprs {
			b.add(&expr.Limit{Type: expr.LimitTypePkts, Rate: uint64(lim.Rate), Unit: u.unit, Burst: burst})
		}
	}
	if strings.ContainsAny(l.Prefix, "\"\x00") {
		return fmt.Errorf("log prefix %q holds a character nft cannot quote", l.Prefix)
	}
	e := &expr.Log{Data: []byte(l.Prefix)}
	b.say("log")
	if l.Prefix != "" {
		b.say("prefix ", `"`+l.Prefix+`"`)
		e.Key |= 1 << unix.NFTA_LOG_PREFIX
	}
	if l.NFLog {
		b.say("group ", strconv.Itoa(int(l.Group)))
		e.Key |= 1 << unix.NFTA_LOG_GROUP
		e.Group = l.Group
		if l.QueueSize > 0 {
			b.say("queue-threshold ", strconv.Itoa(int(l.QueueSize)))
			e.Key |= 1 << unix.NFTA_LOG_QTHRESHOLD
			e.QThreshold = l.QueueSize
		}
	} else {
		lv, ok := logLevels[l.Level]
		if !ok {
			return fmt.Errorf("invalid log level %q", l.Level)
		}
		if lv.level != expr.LogLevelWarning {
			b.say("level ", lv.text)
		}
		e.Key |= 1 << unix.NFTA_LOG_LEVEL
		e.Level = lv.level
	}
	if b.exprs {
		b.add(e)
	}
	return nil
}

// commentData is a rule comment as nft stores it: user data TLV, NUL-ended.
func commentData(comment string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, comment)
}
