package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// attrs appends netlink attributes to a message in place. The bulk of a
// large batch (chains, rules, set elements) is encoded with it, without an
// allocation per attribute as netlink.MarshalAttributes would make.
// Attribute headers are in host order, nf_tables values big-endian.
type attrs []byte

func (a attrs) header(typ uint16, n int) attrs {
	a = binary.NativeEndian.AppendUint16(a, uint16(unix.NLA_HDRLEN+n))
	return binary.NativeEndian.AppendUint16(a, typ)
}

func (a attrs) pad() attrs {
	for len(a)%unix.NLA_ALIGNTO != 0 {
		a = append(a, 0)
	}
	return a
}

func (a attrs) bytes(typ uint16, data []byte) attrs {
	return append(a.header(typ, len(data)), data...).pad()
}

// str is a NUL-terminated string.
func (a attrs) str(typ uint16, s string) attrs {
	return append(append(a.header(typ, len(s)+1), s...), 0).pad()
}

func (a attrs) u32(typ uint16, v uint32) attrs {
	return binary.BigEndian.AppendUint32(a.header(typ, 4), v)
}

// nested wraps what fn appends in an attribute of type typ.
func (a attrs) nested(typ uint16, fn func(attrs) attrs) attrs {
	start := len(a)
	a = fn(a.header(typ|unix.NLA_F_NESTED, 0))
	binary.NativeEndian.PutUint16(a[start:], uint16(len(a)-start))
	return a
}
