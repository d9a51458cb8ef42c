package nft

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Reads of what the kernel holds, parsed here rather than by nftables.Conn:
// its rule decoder drops rt and byteorder expressions (so a PMTU clamp
// reads back wrong), and it cannot dump all rules of a table at once.

func request(typ int, flags netlink.HeaderFlags, family uint8, attrs ...netlink.Attribute) netlink.Message {
	data := nfgenmsg(family, 0)
	if len(attrs) > 0 {
		b, err := netlink.MarshalAttributes(attrs)
		if err != nil {
			panic(err) // only strings and integers of ours: cannot fail
		}
		data = append(data, b...)
	}
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | flags},
		Data:   data,
	}
}

func strAttr(typ uint16, s string) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: append([]byte(s), 0)}
}

func decoder(m netlink.Message) (*netlink.AttributeDecoder, error) {
	if len(m.Data) < 4 {
		return nil, errors.New("short nf_tables message")
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

// getGen is the ruleset generation: it changes with every commit, anyone's.
func getGen(t transport) (uint32, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETGEN, 0, unix.AF_UNSPEC))
	if err != nil {
		return 0, fmt.Errorf("reading the ruleset generation: %w", err)
	}
	for _, m := range replies {
		ad, err := decoder(m)
		if err != nil {
			return 0, err
		}
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				return ad.Uint32(), nil
			}
		}
	}
	return 0, errors.New("reading the ruleset generation: no generation in the reply")
}

// tableExists reports whether our table is there.
func tableExists(t transport) (bool, error) {
	_, err := t.execute(request(unix.NFT_MSG_GETTABLE, 0, uint8(tableFamily), strAttr(unix.NFTA_TABLE_NAME, TableName)))
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading table inet %s: %w", TableName, err)
	}
	return true, nil
}

// kChain is a chain of our table as the kernel holds it.
type kChain struct {
	name     string
	handle   uint64
	hook     string // "" for a regular chain
	priority int32
	typ      string
	policy   string
}

var hookNames = map[uint32]string{
	unix.NF_INET_PRE_ROUTING: "prerouting", unix.NF_INET_LOCAL_IN: "input", unix.NF_INET_FORWARD: "forward",
	unix.NF_INET_LOCAL_OUT: "output", unix.NF_INET_POST_ROUTING: "postrouting",
}

// listChains lists the chains of our table, in the kernel's order. The
// kernel cannot filter a chain dump by table: it sends every inet chain.
func listChains(t transport) ([]kChain, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETCHAIN, netlink.Dump, uint8(tableFamily)))
	if err != nil {
		return nil, fmt.Errorf("listing chains: %w", err)
	}
	var out []kChain
	for _, m := range replies {
		table, c, err := parseChain(m)
		if err != nil {
			return nil, fmt.Errorf("listing chains: %w", err)
		}
		if table == TableName {
			out = append(out, c)
		}
	}
	return out, nil
}

func parseChain(m netlink.Message) (table string, c kChain, err error) {
	ad, err := decoder(m)
	if err != nil {
		return "", c, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_CHAIN_TABLE:
			table = ad.String()
		case unix.NFTA_CHAIN_NAME:
			c.name = ad.String()
		case unix.NFTA_CHAIN_HANDLE:
			c.handle = ad.Uint64()
		case unix.NFTA_CHAIN_TYPE:
			c.typ = ad.String()
		case unix.NFTA_CHAIN_POLICY:
			c.policy = map[uint32]string{0: "drop", 1: "accept"}[ad.Uint32()]
		case unix.NFTA_CHAIN_HOOK:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case unix.NFTA_HOOK_HOOKNUM:
						c.hook = hookNames[nad.Uint32()]
					case unix.NFTA_HOOK_PRIORITY:
						c.priority = int32(nad.Uint32())
					}
				}
				return nil
			})
		}
	}
	return table, c, ad.Err()
}

// kSet is a set or map of our table as the kernel holds it.
type kSet struct {
	name    string
	flags   uint32
	keyType uint32
	isMap   bool
}

func listSets(t transport) ([]kSet, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETSET, netlink.Dump, uint8(tableFamily), strAttr(unix.NFTA_SET_TABLE, TableName)))
	if err != nil {
		return nil, fmt.Errorf("listing sets: %w", err)
	}
	var out []kSet
	for _, m := range replies {
		table, k, err := parseSet(m)
		if err != nil {
			return nil, fmt.Errorf("listing sets: %w", err)
		}
		if table == TableName {
			out = append(out, k)
		}
	}
	return out, nil
}

func parseSet(m netlink.Message) (table string, s kSet, err error) {
	ad, err := decoder(m)
	if err != nil {
		return "", s, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_TABLE:
			table = ad.String()
		case unix.NFTA_SET_NAME:
			s.name = ad.String()
		case unix.NFTA_SET_FLAGS:
			s.flags = ad.Uint32()
		case unix.NFTA_SET_KEY_TYPE:
			s.keyType = ad.Uint32()
		}
	}
	s.isMap = s.flags&unix.NFT_SET_MAP != 0
	return table, s, ad.Err()
}

// kElem is one netlink element of a set.
type kElem struct {
	key     []byte
	end     bool // an interval end
	verdict *expr.Verdict
}

func listElems(t transport, set string) ([]kElem, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETSETELEM, netlink.Dump, uint8(tableFamily),
		strAttr(unix.NFTA_SET_ELEM_LIST_TABLE, TableName), strAttr(unix.NFTA_SET_ELEM_LIST_SET, set)))
	if err != nil {
		return nil, fmt.Errorf("listing the elements of %q: %w", set, err)
	}
	var out []kElem
	for _, m := range replies {
		_, elems, err := parseElems(m)
		if err != nil {
			return nil, fmt.Errorf("listing the elements of %q: %w", set, err)
		}
		out = append(out, elems...)
	}
	return out, nil
}

// parseElems parses a set element message: the set's name and its elements.
func parseElems(m netlink.Message) (set string, out []kElem, err error) {
	ad, err := decoder(m)
	if err != nil {
		return "", nil, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_ELEM_LIST_SET:
			set = ad.String()
		case unix.NFTA_SET_ELEM_LIST_ELEMENTS:
			ad.Nested(func(list *netlink.AttributeDecoder) error {
				for list.Next() {
					var e kElem
					list.Nested(func(ed *netlink.AttributeDecoder) error {
						for ed.Next() {
							switch ed.Type() {
							case unix.NFTA_SET_ELEM_KEY:
								ed.Nested(func(d *netlink.AttributeDecoder) error {
									for d.Next() {
										if d.Type() == unix.NFTA_DATA_VALUE {
											e.key = d.Bytes()
										}
									}
									return nil
								})
							case unix.NFTA_SET_ELEM_FLAGS:
								e.end = ed.Uint32()&unix.NFT_SET_ELEM_INTERVAL_END != 0
							case unix.NFTA_SET_ELEM_DATA:
								ed.Nested(func(d *netlink.AttributeDecoder) error {
									e.verdict = decodeVerdictData(d)
									return nil
								})
							}
						}
						return nil
					})
					out = append(out, e)
				}
				return nil
			})
		}
	}
	return set, out, ad.Err()
}

func decodeVerdictData(d *netlink.AttributeDecoder) *expr.Verdict {
	var v *expr.Verdict
	for d.Next() {
		if d.Type() != unix.NFTA_DATA_VERDICT {
			continue
		}
		v = &expr.Verdict{}
		d.Nested(func(vd *netlink.AttributeDecoder) error {
			for vd.Next() {
				switch vd.Type() {
				case unix.NFTA_VERDICT_CODE:
					v.Kind = expr.VerdictKind(int32(vd.Uint32()))
				case unix.NFTA_VERDICT_CHAIN:
					v.Chain = vd.String()
				}
			}
			return nil
		})
	}
	return v
}

// kRule is a rule of our table as the kernel holds it.
type kRule struct {
	chain   string
	handle  uint64
	comment string
	exprs   []expr.Any
}

// unknownExpr stands for an expression this package never loads.
type unknownExpr struct {
	expr.Any
	name string
}

// listRules dumps every rule of our table; exprs says whether to decode
// the expressions too.
func listRules(t transport, exprs bool) ([]kRule, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETRULE, netlink.Dump, uint8(tableFamily), strAttr(unix.NFTA_RULE_TABLE, TableName)))
	if err != nil {
		return nil, fmt.Errorf("listing rules: %w", err)
	}
	out := make([]kRule, 0, len(replies))
	for _, m := range replies {
		table, r, err := parseRule(m, exprs)
		if err != nil {
			return nil, fmt.Errorf("listing rules: %w", err)
		}
		if table == TableName {
			out = append(out, r)
		}
	}
	return out, nil
}

func parseRule(m netlink.Message, exprs bool) (table string, r kRule, err error) {
	ad, err := decoder(m)
	if err != nil {
		return "", r, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_RULE_TABLE:
			table = ad.String()
		case unix.NFTA_RULE_CHAIN:
			r.chain = ad.String()
		case unix.NFTA_RULE_HANDLE:
			r.handle = ad.Uint64()
		case unix.NFTA_RULE_USERDATA:
			r.comment, _ = userdata.GetString(ad.Bytes(), userdata.TypeComment)
		case unix.NFTA_RULE_EXPRESSIONS:
			if exprs {
				ad.Nested(func(list *netlink.AttributeDecoder) error {
					for list.Next() {
						list.Nested(func(ed *netlink.AttributeDecoder) error {
							r.exprs = append(r.exprs, decodeExpr(ed))
							return nil
						})
					}
					return nil
				})
			}
		}
	}
	return table, r, ad.Err()
}

// decodeExpr decodes one expression: with the library's decoders for most,
// and here for rt and byteorder, which the library cannot decode.
func decodeExpr(ed *netlink.AttributeDecoder) expr.Any {
	var name string
	var data []byte
	for ed.Next() {
		switch ed.Type() {
		case unix.NFTA_EXPR_NAME:
			name = ed.String()
		case unix.NFTA_EXPR_DATA:
			data = ed.Bytes()
		}
	}
	fam := byte(tableFamily)
	var e expr.Any
	switch name {
	case "rt":
		rt := &expr.Rt{}
		forAttrs(data, func(typ uint16, ad *netlink.AttributeDecoder) {
			switch typ {
			case unix.NFTA_RT_KEY:
				rt.Key = expr.RtKey(ad.Uint32())
			case unix.NFTA_RT_DREG:
				rt.Register = ad.Uint32()
			}
		})
		return rt
	case "byteorder":
		bo := &expr.Byteorder{}
		forAttrs(data, func(typ uint16, ad *netlink.AttributeDecoder) {
			switch typ {
			case unix.NFTA_BYTEORDER_SREG:
				bo.SourceRegister = ad.Uint32()
			case unix.NFTA_BYTEORDER_DREG:
				bo.DestRegister = ad.Uint32()
			case unix.NFTA_BYTEORDER_OP:
				bo.Op = expr.ByteorderOp(ad.Uint32())
			case unix.NFTA_BYTEORDER_LEN:
				bo.Len = ad.Uint32()
			case unix.NFTA_BYTEORDER_SIZE:
				bo.Size = ad.Uint32()
			}
		})
		return bo
	case "immediate":
		imm := &expr.Immediate{}
		if expr.Unmarshal(fam, data, imm) == nil && imm.Register != 0 {
			return imm
		}
		e = &expr.Verdict{}
	case "meta":
		e = &expr.Meta{}
	case "cmp":
		e = &expr.Cmp{}
	case "payload":
		e = &expr.Payload{}
	case "bitwise":
		e = &expr.Bitwise{}
	case "lookup":
		e = &expr.Lookup{}
	case "range":
		e = &expr.Range{}
	case "counter":
		e = &expr.Counter{}
	case "limit":
		e = &expr.Limit{}
	case "log":
		e = &expr.Log{}
	case "exthdr":
		e = &expr.Exthdr{}
	default:
		return &unknownExpr{name: name}
	}
	if err := expr.Unmarshal(fam, data, e); err != nil {
		return &unknownExpr{name: name}
	}
	return e
}

func forAttrs(data []byte, fn func(typ uint16, ad *netlink.AttributeDecoder)) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		fn(ad.Type(), ad)
	}
}
