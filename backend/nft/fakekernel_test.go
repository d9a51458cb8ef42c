package nft

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// fakeKernel stands in for nf_tables in unit tests (through WithTestDial):
// it writes down every request as readable text, answers the ruleset
// generation (which each committed batch moves on), says our table does
// not exist, and acknowledges batches, or refuses one message of them.
type fakeKernel struct {
	mu      sync.Mutex
	gen     uint32
	log     []string
	batches int
	refuse  int  // refuse the refuse-th message of the next batch (1-based)
	silent  bool // answer batches with nothing at all
	quiet   bool // log batches without their messages (for benchmarks)
}

func (k *fakeKernel) dial(req []netlink.Message) ([]netlink.Message, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(req) == 0 {
		return nil, nil
	}
	if req[0].Header.Type == netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN) {
		return k.batch(req[1 : len(req)-1]), nil
	}
	m := req[0]
	typ := int(m.Header.Type) & 0xff
	k.log = append(k.log, "query "+msgNames[typ])
	switch typ {
	case unix.NFT_MSG_GETGEN:
		data := nfgenmsg(unix.AF_UNSPEC, 0)
		attrs, _ := netlink.MarshalAttributes([]netlink.Attribute{{Type: unix.NFTA_GEN_ID, Data: binary.BigEndian.AppendUint32(nil, k.gen)}})
		return []netlink.Message{{Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWGEN)}, Data: append(data, attrs...)}}, nil
	case unix.NFT_MSG_GETTABLE:
		return []netlink.Message{errorReply(m, unix.ENOENT)}, nil
	}
	return []netlink.Message{{Header: netlink.Header{Type: netlink.Done, Flags: netlink.Multi}}}, nil
}

func (k *fakeKernel) batch(msgs []netlink.Message) []netlink.Message {
	k.batches++
	k.log = append(k.log, fmt.Sprintf("batch of %d messages:", len(msgs)))
	var replies []netlink.Message
	failed := false
	for i, m := range msgs {
		if !k.quiet {
			k.log = append(k.log, indent(describe(m)))
		}
		switch {
		case i+1 == k.refuse:
			replies, failed = append(replies, errorReply(m, unix.ENOENT)), true
		case m.Header.Flags&netlink.Acknowledge != 0:
			replies = append(replies, errorReply(m, 0))
		}
	}
	k.refuse = 0
	if k.silent {
		return nil
	}
	if !failed {
		k.gen++
	}
	return replies
}

// take returns the log so far and starts a new one.
func (k *fakeKernel) take() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := strings.Join(k.log, "\n") + "\n"
	k.log = nil
	return s
}

func errorReply(m netlink.Message, errno unix.Errno) netlink.Message {
	data := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	data = binary.NativeEndian.AppendUint32(data, m.Header.Length)
	data = binary.NativeEndian.AppendUint16(data, uint16(m.Header.Type))
	data = binary.NativeEndian.AppendUint16(data, uint16(m.Header.Flags))
	data = binary.NativeEndian.AppendUint32(data, m.Header.Sequence)
	data = binary.NativeEndian.AppendUint32(data, m.Header.PID)
	return netlink.Message{Header: netlink.Header{Type: netlink.Error, Sequence: m.Header.Sequence}, Data: data}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

var msgNames = map[int]string{
	unix.NFT_MSG_NEWTABLE: "NEWTABLE", unix.NFT_MSG_GETTABLE: "GETTABLE", unix.NFT_MSG_DELTABLE: "DELTABLE",
	unix.NFT_MSG_NEWCHAIN: "NEWCHAIN", unix.NFT_MSG_GETCHAIN: "GETCHAIN", unix.NFT_MSG_DELCHAIN: "DELCHAIN",
	unix.NFT_MSG_NEWRULE: "NEWRULE", unix.NFT_MSG_GETRULE: "GETRULE", unix.NFT_MSG_DELRULE: "DELRULE",
	unix.NFT_MSG_NEWSET: "NEWSET", unix.NFT_MSG_GETSET: "GETSET", unix.NFT_MSG_DELSET: "DELSET",
	unix.NFT_MSG_NEWSETELEM: "NEWSETELEM", unix.NFT_MSG_GETSETELEM: "GETSETELEM", unix.NFT_MSG_DELSETELEM: "DELSETELEM",
	unix.NFT_MSG_GETGEN: "GETGEN",
}

// describe writes a batch message as text, in the style of nft --debug=netlink.
func describe(m netlink.Message) string {
	typ := int(m.Header.Type) & 0xff
	var b, body strings.Builder
	b.WriteString(msgNames[typ])
	switch typ {
	case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE:
		b.WriteString(" inet " + TableName)
	case unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN:
		_, c, err := parseChain(m)
		check(&b, err)
		b.WriteString(" " + c.name)
		if c.hook != "" {
			fmt.Fprintf(&b, " type %s hook %s priority %d policy %s", c.typ, c.hook, c.priority, c.policy)
		}
	case unix.NFT_MSG_NEWRULE, unix.NFT_MSG_DELRULE:
		_, r, err := parseRule(m, true)
		check(&b, err)
		b.WriteString(" " + r.chain)
		if typ == unix.NFT_MSG_DELRULE && r.handle == 0 {
			b.WriteString(" (all rules: flush)")
		}
		for _, e := range r.exprs {
			body.WriteString("\n  " + exprString(e))
		}
		if r.comment != "" {
			body.WriteString("\n  comment " + fmt.Sprintf("%q", r.comment))
		}
	case unix.NFT_MSG_NEWSET, unix.NFT_MSG_DELSET:
		_, s, err := parseSet(m)
		check(&b, err)
		b.WriteString(" " + s.name)
		if typ == unix.NFT_MSG_NEWSET {
			fmt.Fprintf(&b, " key type %d flags %#x", s.keyType, s.flags)
		}
	case unix.NFT_MSG_NEWSETELEM, unix.NFT_MSG_DELSETELEM:
		set, elems, err := parseElems(m)
		check(&b, err)
		b.WriteString(" " + set)
		for _, e := range elems {
			body.WriteString("\n  element " + keyString(e.key))
			if e.end {
				body.WriteString(" [end]")
			}
			if e.verdict != nil {
				body.WriteString(" : " + verdictName(e.verdict))
			}
		}
	}
	for _, f := range []struct {
		flag netlink.HeaderFlags
		name string
	}{{netlink.Create, "create"}, {netlink.Excl, "excl"}, {netlink.Acknowledge, "ack"}} {
		if m.Header.Flags&f.flag != 0 {
			b.WriteString(" [" + f.name + "]")
		}
	}
	return b.String() + body.String()
}

func check(b *strings.Builder, err error) {
	if err != nil {
		b.WriteString(" PARSE ERROR " + err.Error())
	}
}

// keyString shows a set key as what it most likely is.
func keyString(k []byte) string {
	switch len(k) {
	case 4:
		a, _ := netip.AddrFromSlice(k)
		return a.String()
	case 6:
		return net.HardwareAddr(k).String()
	case 16:
		if name, _, ok := strings.Cut(string(k), "\x00"); ok && name != "" {
			return fmt.Sprintf("%q", name)
		}
		a, _ := netip.AddrFromSlice(k)
		return a.String()
	}
	return hex.EncodeToString(k)
}

var metaKeys = map[expr.MetaKey]string{expr.MetaKeyNFPROTO: "nfproto", expr.MetaKeyL4PROTO: "l4proto",
	expr.MetaKeyIIFNAME: "iifname", expr.MetaKeyOIFNAME: "oifname", expr.MetaKeyIIFTYPE: "iiftype"}

var payloadBases = map[expr.PayloadBase]string{expr.PayloadBaseLLHeader: "link",
	expr.PayloadBaseNetworkHeader: "network", expr.PayloadBaseTransportHeader: "transport"}

func exprString(e expr.Any) string {
	var s string
	switch e := e.(type) {
	case *expr.Meta:
		s = fmt.Sprintf("meta load %s => reg %d", metaKeys[e.Key], e.Register)
	case *expr.Cmp:
		s = fmt.Sprintf("cmp %s reg %d %x", map[expr.CmpOp]string{expr.CmpOpEq: "eq", expr.CmpOpNeq: "neq"}[e.Op], e.Register, e.Data)
	case *expr.Payload:
		s = fmt.Sprintf("payload load %db @ %s header + %d => reg %d", e.Len, payloadBases[e.Base], e.Offset, e.DestRegister)
	case *expr.Bitwise:
		s = fmt.Sprintf("bitwise reg %d = (reg %d & %x) ^ %x", e.DestRegister, e.SourceRegister, e.Mask, e.Xor)
	case *expr.Lookup:
		s = fmt.Sprintf("lookup reg %d set %s id %d", e.SourceRegister, e.SetName, e.SetID)
		if e.IsDestRegSet {
			s += fmt.Sprintf(" dreg %d", e.DestRegister)
		}
		if e.Invert {
			s += " inverted"
		}
	case *expr.Verdict:
		s = "immediate reg 0 " + verdictName(e)
	case *expr.Immediate:
		s = fmt.Sprintf("immediate reg %d %x", e.Register, e.Data)
	case *expr.Counter:
		s = "counter"
	case *expr.Rt:
		s = fmt.Sprintf("rt load key %d => reg %d", e.Key, e.Register)
	case *expr.Byteorder:
		s = fmt.Sprintf("byteorder reg %d = op %d(reg %d, %d, %d)", e.DestRegister, e.Op, e.SourceRegister, e.Len, e.Size)
	case *expr.Exthdr:
		s = fmt.Sprintf("exthdr write op %d type %d reg %d => %db @ %d", e.Op, e.Type, e.SourceRegister, e.Len, e.Offset)
	case *expr.Limit:
		s = fmt.Sprintf("limit rate %d/%ds burst %d type %d", e.Rate, e.Unit, e.Burst, e.Type)
	case *expr.Log:
		s = fmt.Sprintf("log attrs %#x prefix %q level %d group %d qthreshold %d", e.Key, e.Data, e.Level, e.Group, e.QThreshold)
	default:
		s = fmt.Sprintf("%T", e)
	}
	return "[ " + s + " ]"
}
