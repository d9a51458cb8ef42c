package nft

import (
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/internal/nfnl"
)

// Parsers of nf_tables messages: the kernel's replies, and in tests the
// messages of our own batches.

func parseChain(m netlink.Message) (table string, c kChain, err error) {
	ad, err := nfnl.Attributes(m)
	if err != nil {
		return "", c, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_CHAIN_TABLE:
			table = ad.String()
		case unix.NFTA_CHAIN_NAME:
			c.name = ad.String()
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

func parseSet(m netlink.Message) (table string, s kSet, err error) {
	ad, err := nfnl.Attributes(m)
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

// parseElems parses a set element message: the set's name and its elements.
func parseElems(m netlink.Message) (set string, out []kElem, err error) {
	ad, err := nfnl.Attributes(m)
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

func parseRule(m netlink.Message, exprs bool) (table string, r kRule, err error) {
	ad, err := nfnl.Attributes(m)
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
				nfnl.Exprs(ad, func(name string, data []byte) { r.exprs = append(r.exprs, decodeExpr(name, data)) })
			}
		}
	}
	return table, r, ad.Err()
}

// decodeExpr decodes one expression: with the library's decoders for most,
// and here for rt and byteorder, which the library cannot decode.
func decodeExpr(name string, data []byte) expr.Any {
	fam := byte(tableFamily)
	var e expr.Any
	switch name {
	case "rt":
		rt := &expr.Rt{}
		nfnl.ForAttrs(data, func(typ uint16, ad *netlink.AttributeDecoder) {
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
		nfnl.ForAttrs(data, func(typ uint16, ad *netlink.AttributeDecoder) {
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
