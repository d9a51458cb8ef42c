package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// decodeRule turns the expressions of a kernel rule back into the text
// Render gives it (the inverse of stmts, for the shapes this package loads),
// with the counters' values. ok is false when the rule holds something this
// package never loads; the text then shows it in brackets.
func decodeRule(exprs []expr.Any) (text string, ok bool) {
	d := &ruleDecoder{exprs: exprs, ok: true}
	d.run()
	// nft does not show a dependency that a later payload implies.
	var out []string
	for i, s := range d.out {
		if s.dep != "" && d.implied(i, s.dep) {
			continue
		}
		out = append(out, s.text)
	}
	return strings.Join(out, " "), d.ok
}

type decoded struct {
	text string
	dep  string // "ip", "ether": a dependency hidden when that payload follows
	uses string // the payload protocol this statement loads
}

type ruleDecoder struct {
	exprs []expr.Any
	i     int
	out   []decoded
	ok    bool
	value string // what register 1 holds, for the MSS write
}

func (d *ruleDecoder) implied(i int, proto string) bool {
	for _, s := range d.out[i+1:] {
		if s.uses == proto {
			return true
		}
	}
	return false
}

func (d *ruleDecoder) next() expr.Any {
	if d.i >= len(d.exprs) {
		return nil
	}
	e := d.exprs[d.i]
	d.i++
	return e
}

func (d *ruleDecoder) peek() expr.Any {
	if d.i >= len(d.exprs) {
		return nil
	}
	return d.exprs[d.i]
}

func (d *ruleDecoder) say(s decoded) { d.out = append(d.out, s) }

func (d *ruleDecoder) unknown(e expr.Any) {
	d.ok = false
	name := fmt.Sprintf("%T", e)
	if u, isUnknown := e.(*unknownExpr); isUnknown {
		name = u.name
	}
	d.say(decoded{text: "[" + strings.TrimPrefix(name, "*expr.") + "]"})
}

func (d *ruleDecoder) run() {
	for e := d.next(); e != nil; e = d.next() {
		switch e := e.(type) {
		case *expr.Meta:
			d.meta(e)
		case *expr.Payload:
			d.payload(e)
		case *expr.Counter:
			d.say(decoded{text: fmt.Sprintf("counter packets %d bytes %d", e.Packets, e.Bytes)})
		case *expr.Rt:
			d.value = "rt mtu"
			if e.Key != expr.RtTCPMSS {
				d.unknown(e)
			}
		case *expr.Byteorder:
		case *expr.Immediate:
			d.value = "?"
			if len(e.Data) == 2 {
				d.value = strconv.Itoa(int(binary.BigEndian.Uint16(e.Data)))
			}
		case *expr.Exthdr:
			if e.Op != expr.ExthdrOpTcpopt || e.Type != 2 || e.SourceRegister == 0 {
				d.unknown(e)
				continue
			}
			d.say(decoded{text: "tcp option maxseg size set " + d.value})
		case *expr.Limit:
			d.say(decoded{text: limitText(e)})
		case *expr.Log:
			d.say(decoded{text: logText(e)})
		case *expr.Verdict:
			d.say(decoded{text: verdictName(e)})
		default:
			d.unknown(e)
		}
	}
}

func (d *ruleDecoder) meta(m *expr.Meta) {
	switch m.Key {
	case expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME:
		f := fieldIifname
		if m.Key == expr.MetaKeyOIFNAME {
			f = fieldOifname
		}
		d.operand(f, 0)
		return
	}
	c, isCmp := d.peek().(*expr.Cmp)
	if !isCmp {
		d.unknown(m)
		return
	}
	d.next()
	switch {
	case m.Key == expr.MetaKeyNFPROTO && len(c.Data) == 1:
		name := map[byte]string{unix.NFPROTO_IPV4: "ipv4", unix.NFPROTO_IPV6: "ipv6"}[c.Data[0]]
		d.say(decoded{text: "meta nfproto " + name, dep: "ip"})
	case m.Key == expr.MetaKeyL4PROTO && bytes.Equal(c.Data, []byte{unix.IPPROTO_TCP}):
		d.say(decoded{text: "meta l4proto tcp", dep: "tcp"})
	case m.Key == expr.MetaKeyIIFTYPE && len(c.Data) == 2 && binary.NativeEndian.Uint16(c.Data) == unix.ARPHRD_ETHER:
		d.say(decoded{text: "meta iiftype ether", dep: "ether"})
	default:
		d.unknown(m)
	}
}

// payloadFields finds a field by where it is loaded from.
func payloadField(p *expr.Payload) (field, bool) {
	for f, fi := range fields {
		if fi.meta == 0 && fi.base == p.Base && fi.offset == p.Offset && p.Len <= fi.size {
			return f, true
		}
	}
	return 0, false
}

func (d *ruleDecoder) payload(p *expr.Payload) {
	if p.Base == expr.PayloadBaseTransportHeader && p.Offset == 13 && p.Len == 1 {
		bw, ok1 := d.peek().(*expr.Bitwise)
		if ok1 && bytes.Equal(bw.Mask, []byte{0x06}) {
			d.next()
			if c, ok2 := d.next().(*expr.Cmp); ok2 && bytes.Equal(c.Data, []byte{0x02}) {
				d.say(decoded{text: "tcp flags syn / syn,rst", uses: "tcp"})
				return
			}
		}
		d.unknown(p)
		return
	}
	f, ok := payloadField(p)
	if !ok {
		d.unknown(p)
		return
	}
	d.operand(f, p.Len)
}

// operand decodes what follows the load of a field: a comparison, a mask
// and a comparison, a range, a set lookup or a verdict map.
func (d *ruleDecoder) operand(f field, n uint32) {
	fi := f.info()
	uses := "ip"
	switch {
	case fi.meta != 0:
		uses = ""
	case f == fieldEtherSaddr:
		uses = "ether"
	}
	var mask []byte
	if bw, isBitwise := d.peek().(*expr.Bitwise); isBitwise {
		d.next()
		mask = bw.Mask
	}
	switch e := d.next().(type) {
	case *expr.Cmp:
		d.say(decoded{text: fi.text + op(e.Op == expr.CmpOpNeq) + valueText(f, e.Data, mask), uses: uses})
	case *expr.Range:
		d.say(decoded{text: fi.text + op(e.Op == expr.CmpOpNeq) + valueText(f, e.FromData, nil) + "-" + valueText(f, e.ToData, nil), uses: uses})
	case *expr.Lookup:
		if e.IsDestRegSet {
			d.say(decoded{text: fi.text + " vmap @" + e.SetName, uses: uses})
		} else {
			d.say(decoded{text: fi.text + op(e.Invert) + "@" + e.SetName, uses: uses})
		}
	default:
		d.unknown(e)
	}
}

// valueText shows a compared value: a quoted interface name ("eth*" when
// only a prefix is compared), a MAC address, or an address or prefix.
func valueText(f field, data, mask []byte) string {
	fi := f.info()
	switch {
	case fi.meta != 0:
		name, _, full := bytes.Cut(data, []byte{0})
		if !full && len(data) < ifnameLen {
			return `"` + string(name) + `*"`
		}
		return `"` + string(name) + `"`
	case f == fieldEtherSaddr:
		return net.HardwareAddr(data).String()
	}
	bitsLen := len(data) * 8
	full := make([]byte, fi.size)
	copy(full, data)
	if mask != nil {
		bitsLen = 0
		for _, m := range mask {
			bitsLen += bits.OnesCount8(m)
		}
	}
	a, _ := netip.AddrFromSlice(full)
	if bitsLen == int(fi.size)*8 {
		return a.String()
	}
	return netip.PrefixFrom(a, bitsLen).String()
}

func limitText(l *expr.Limit) string {
	unit := map[expr.LimitTime]string{expr.LimitTimeSecond: "second", expr.LimitTimeMinute: "minute",
		expr.LimitTimeHour: "hour", expr.LimitTimeDay: "day", expr.LimitTimeWeek: "week"}[l.Unit]
	s := "limit rate "
	if l.Over {
		s += "over "
	}
	s += fmt.Sprintf("%d/%s", l.Rate, unit)
	if l.Burst != defaultBurst && l.Burst != 0 {
		s += fmt.Sprintf(" burst %d packets", l.Burst)
	}
	return s
}

func logText(l *expr.Log) string {
	s := "log"
	if l.Key&(1<<unix.NFTA_LOG_PREFIX) != 0 {
		s += ` prefix "` + string(bytes.TrimRight(l.Data, "\x00")) + `"`
	}
	if l.Key&(1<<unix.NFTA_LOG_GROUP) != 0 {
		s += fmt.Sprintf(" group %d", l.Group)
		if l.Key&(1<<unix.NFTA_LOG_QTHRESHOLD) != 0 && l.QThreshold > 0 {
			s += fmt.Sprintf(" queue-threshold %d", l.QThreshold)
		}
		return s
	}
	if l.Key&(1<<unix.NFTA_LOG_LEVEL) != 0 && l.Level != expr.LogLevelWarning {
		for _, lv := range logLevels {
			if lv.level == l.Level {
				return s + " level " + lv.text
			}
		}
	}
	return s
}

func verdictName(v *expr.Verdict) string {
	switch v.Kind {
	case expr.VerdictJump, expr.VerdictGoto, expr.VerdictReturn:
		return verdictText(v.Kind, v.Chain)
	case expr.VerdictAccept:
		return "accept"
	case expr.VerdictDrop:
		return "drop"
	case expr.VerdictContinue:
		return "continue"
	}
	return fmt.Sprintf("verdict %d", v.Kind)
}
