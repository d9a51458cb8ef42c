package nft

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// batch collects the messages of one transaction, with a label per message
// saying what it does, so that a kernel error can name the object it failed
// on. Rules and chains, the bulk of a large batch, are encoded here (with
// the expressions of identical rules encoded once); the rest by an
// nftables.Conn that only records its messages.
type batch struct {
	c      *nftables.Conn
	rec    *recorder
	table  *nftables.Table
	msgs   []netlink.Message
	labels []label
	exprs  map[string][]byte // encoded expressions by rule text, comment left out
	buf    attrs             // holds the data of the messages encoded here
	mark   int               // where the message being encoded starts in buf
}

// label says what a message does; it is formatted only for an error.
type label struct {
	op    string // "creating chain", "adding rule", ...
	name  string // the object, quoted in the text; "" for the table
	rule  int    // for a rule: its index in the Ruleset chain
	extra string // shown in parentheses: the rule's text, the set's origin
}

func (l label) String() string {
	switch {
	case l.name == "":
		return l.op
	case l.op == "adding rule" || l.op == "adding log rule":
		return fmt.Sprintf("%s %d of chain %q (%s)", l.op, l.rule, l.name, l.extra)
	case l.extra != "":
		return fmt.Sprintf("%s %q (%s)", l.op, l.name, l.extra)
	}
	return fmt.Sprintf("%s %q", l.op, l.name)
}

// recorder is the nftables.Conn's "kernel": it keeps the messages of each
// Flush, without the batch begin and end, and answers nothing.
type recorder struct{ msgs []netlink.Message }

func (r *recorder) dial(req []netlink.Message) ([]netlink.Message, error) {
	if len(req) > 2 {
		r.msgs = append(r.msgs, req[1:len(req)-1]...)
	}
	return nil, nil
}

func newBatch() (*batch, error) {
	rec := &recorder{}
	c, err := nftables.New(nftables.WithTestDial(rec.dial), nftables.AsLasting())
	if err != nil {
		return nil, err
	}
	return &batch{c: c, rec: rec, table: &nftables.Table{Name: TableName, Family: tableFamily}, exprs: map[string][]byte{}}, nil
}

func (b *batch) empty() bool { return len(b.labels) == 0 }

func (b *batch) label(op, name string) { b.labels = append(b.labels, label{op: op, name: name}) }

// sync moves what the nftables.Conn encoded so far into the batch, so that
// the messages stay in the order they were queued.
func (b *batch) sync() error {
	if err := b.c.Flush(); err != nil {
		return fmt.Errorf("encoding the batch: %w", err)
	}
	b.msgs = append(b.msgs, b.rec.msgs...)
	b.rec.msgs = nil
	return nil
}

// start begins the data of a message to our table, in buf. buf is used
// in chunks, each large enough for any message, so that a message never
// makes append copy the messages before it.
func (b *batch) start() attrs {
	const chunk, room = 1 << 20, 1 << 16
	if cap(b.buf)-len(b.buf) < room {
		b.buf = make(attrs, 0, chunk)
	}
	b.mark = len(b.buf)
	return append(b.buf, nfgenmsg(uint8(tableFamily), 0)...)
}

// own queues the message whose data a, from start, holds.
func (b *batch) own(typ int, flags netlink.HeaderFlags, a attrs, l label) error {
	if err := b.sync(); err != nil {
		return err
	}
	b.buf = a
	b.msgs = append(b.msgs, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | flags},
		Data:   a[b.mark:len(a):len(a)],
	})
	b.labels = append(b.labels, l)
	return nil
}

func (b *batch) addTable() {
	b.c.AddTable(b.table)
	b.label("creating table inet "+TableName, "")
}

func (b *batch) delTable() {
	b.c.DelTable(b.table)
	b.label("deleting table inet "+TableName, "")
}

func (b *batch) chain(name string) *nftables.Chain {
	return &nftables.Chain{Name: name, Table: b.table}
}

func (b *batch) addChain(c *chainPlan) error {
	a := b.start().str(unix.NFTA_CHAIN_TABLE, TableName).str(unix.NFTA_CHAIN_NAME, c.name())
	if hook := hooks[c.hook()]; hook != nil {
		prio := int32(basePriority)
		a = a.nested(unix.NFTA_CHAIN_HOOK, func(a attrs) attrs {
			return a.u32(unix.NFTA_HOOK_HOOKNUM, uint32(*hook)).u32(unix.NFTA_HOOK_PRIORITY, uint32(prio))
		})
		a = a.u32(unix.NFTA_CHAIN_POLICY, uint32(nftables.ChainPolicyAccept)).str(unix.NFTA_CHAIN_TYPE, string(nftables.ChainTypeFilter))
	}
	return b.own(unix.NFT_MSG_NEWCHAIN, netlink.Create, a, label{op: "creating chain", name: c.name()})
}

func (b *batch) flushChain(name string) {
	b.c.FlushChain(b.chain(name))
	b.label("flushing chain", name)
}

func (b *batch) delChain(name string) {
	b.c.DelChain(b.chain(name))
	b.label("deleting chain", name)
}

// addRule queues r, whose expressions are encoded already.
func (b *batch) addRule(chain string, r kernelRule, exprs []byte) error {
	a := b.start().str(unix.NFTA_RULE_TABLE, TableName).str(unix.NFTA_RULE_CHAIN, chain).
		bytes(unix.NLA_F_NESTED|unix.NFTA_RULE_EXPRESSIONS, exprs)
	if r.comment != "" {
		a = a.bytes(unix.NFTA_RULE_USERDATA, commentData(r.comment))
	}
	op := "adding rule"
	if r.log {
		op = "adding log rule"
	}
	return b.own(unix.NFT_MSG_NEWRULE, netlink.Create|netlink.Append, a, label{op: op, name: chain, rule: r.index, extra: r.text})
}

// encodeExprs is the content of a rule's NFTA_RULE_EXPRESSIONS.
func encodeExprs(exprs []expr.Any) ([]byte, error) {
	var a attrs
	for _, e := range exprs {
		data, err := expr.Marshal(byte(tableFamily), e)
		if err != nil {
			return nil, err
		}
		a = a.bytes(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
	}
	return a, nil
}

func (b *batch) set(s *setPlan) *nftables.Set {
	ns := &nftables.Set{Table: b.table, ID: s.id, Name: s.name, Interval: s.kind.interval(), KeyByteOrder: binaryutil.BigEndian}
	switch s.kind {
	case keyAddr4:
		ns.KeyType = nftables.TypeIPAddr
	case keyAddr6:
		ns.KeyType = nftables.TypeIP6Addr
	case keyMAC:
		ns.KeyType = nftables.TypeEtherAddr
	case keyIfname:
		// nft lists an ifname key of any other byte order as "".
		ns.KeyType, ns.KeyByteOrder = nftables.TypeIFName, binaryutil.NativeEndian
	}
	if s.isMap {
		ns.IsMap, ns.DataType = true, nftables.TypeVerdict
	}
	return ns
}

func (s *setPlan) kw() string {
	if s.isMap {
		return "map"
	}
	return "set"
}

func (s *setPlan) what() string { return fmt.Sprintf("%s %q", s.kw(), s.name) }

// addSet creates the set with its elements.
func (b *batch) addSet(s *setPlan, elems []elem) error {
	if err := b.c.AddSet(b.set(s), nil); err != nil {
		return fmt.Errorf("%s: %w", s.what(), err)
	}
	b.labels = append(b.labels, label{op: "creating " + s.kw(), name: s.name, extra: s.owner})
	return b.addElems(s, elems)
}

func (b *batch) addElems(s *setPlan, elems []elem) error {
	return b.elems(unix.NFT_MSG_NEWSETELEM, netlink.Create, "adding elements to "+s.kw(), s, elems)
}

// delElems deletes elements by their keys (and interval flags).
func (b *batch) delElems(s *setPlan, elems []elem) error {
	return b.elems(unix.NFT_MSG_DELSETELEM, 0, "deleting elements from "+s.kw(), s, elems)
}

// maxElemBytes bounds the element list of one message: it is one netlink
// attribute, whose length has 16 bits.
const maxElemBytes = 32 << 10

func (b *batch) elems(typ int, flags netlink.HeaderFlags, op string, s *setPlan, elems []elem) error {
	withData := typ == unix.NFT_MSG_NEWSETELEM
	i := 0
	for i < len(elems) {
		a := b.start().str(unix.NFTA_SET_ELEM_LIST_TABLE, TableName).str(unix.NFTA_SET_ELEM_LIST_SET, s.name).
			u32(unix.NFTA_SET_ELEM_LIST_SET_ID, s.id)
		a = a.nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(a attrs) attrs {
			from := len(a)
			for ; i < len(elems) && len(a)-from < maxElemBytes; i++ {
				for _, n := range elems[i].nl {
					a = a.nested(unix.NFTA_LIST_ELEM, func(a attrs) attrs {
						if n.IntervalEnd {
							a = a.u32(unix.NFTA_SET_ELEM_FLAGS, unix.NFT_SET_ELEM_INTERVAL_END)
						}
						a = a.nested(unix.NFTA_SET_ELEM_KEY, func(a attrs) attrs { return a.bytes(unix.NFTA_DATA_VALUE, n.Key) })
						if v := n.VerdictData; v != nil && withData {
							a = a.nested(unix.NFTA_SET_ELEM_DATA, func(a attrs) attrs {
								return a.nested(unix.NFTA_DATA_VERDICT, func(a attrs) attrs {
									a = a.u32(unix.NFTA_VERDICT_CODE, uint32(int32(v.Kind)))
									if v.Chain != "" {
										a = a.str(unix.NFTA_VERDICT_CHAIN, v.Chain)
									}
									return a
								})
							})
						}
						return a
					})
				}
			}
			return a
		})
		if err := b.own(typ, flags, a, label{op: op, name: s.name}); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) delSet(name string) {
	b.c.DelSet(&nftables.Set{Table: b.table, Name: name})
	b.label("deleting set", name)
}

// messages are the batch's messages, one per label.
func (b *batch) messages() ([]netlink.Message, error) {
	if err := b.sync(); err != nil {
		return nil, err
	}
	if len(b.msgs) != len(b.labels) {
		return nil, fmt.Errorf("encoding the batch: %d messages for %d objects", len(b.msgs), len(b.labels))
	}
	return b.msgs, nil
}
