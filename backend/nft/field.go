package nft

import (
	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/google/nftables/expr"
)

// field is a part of the packet (or its metadata) a rule compares or looks
// up: how nft spells it and how it is loaded into register 1.
type field uint8

const (
	fieldIifname field = iota + 1
	fieldOifname
	fieldIPSaddr
	fieldIPDaddr
	fieldIP6Saddr
	fieldIP6Daddr
	fieldEtherSaddr
)

// reg is the register every rule loads into, as nft does.
const reg = 1

type fieldInfo struct {
	text   string
	meta   expr.MetaKey // for meta fields
	base   expr.PayloadBase
	offset uint32
	size   uint32
	family backend.Family // the nfproto the payload needs, if any
}

var fields = map[field]fieldInfo{
	fieldIifname:    {text: "iifname", meta: expr.MetaKeyIIFNAME, size: ifnameLen},
	fieldOifname:    {text: "oifname", meta: expr.MetaKeyOIFNAME, size: ifnameLen},
	fieldIPSaddr:    {text: "ip saddr", base: expr.PayloadBaseNetworkHeader, offset: 12, size: 4, family: backend.FamilyIPv4},
	fieldIPDaddr:    {text: "ip daddr", base: expr.PayloadBaseNetworkHeader, offset: 16, size: 4, family: backend.FamilyIPv4},
	fieldIP6Saddr:   {text: "ip6 saddr", base: expr.PayloadBaseNetworkHeader, offset: 8, size: 16, family: backend.FamilyIPv6},
	fieldIP6Daddr:   {text: "ip6 daddr", base: expr.PayloadBaseNetworkHeader, offset: 24, size: 16, family: backend.FamilyIPv6},
	fieldEtherSaddr: {text: "ether saddr", base: expr.PayloadBaseLLHeader, offset: 6, size: 6},
}

func (f field) info() fieldInfo { return fields[f] }

// load reads the first n bytes of the field into the register.
func (f field) load(n uint32) expr.Any {
	fi := f.info()
	if fi.meta != 0 {
		return &expr.Meta{Key: fi.meta, Register: reg}
	}
	return &expr.Payload{OperationType: expr.PayloadLoad, DestRegister: reg, Base: fi.base, Offset: fi.offset, Len: n}
}

// addrField is the address field of a family and direction.
func addrField(f backend.Family, dst bool) field {
	switch {
	case f == backend.FamilyIPv6 && dst:
		return fieldIP6Daddr
	case f == backend.FamilyIPv6:
		return fieldIP6Saddr
	case dst:
		return fieldIPDaddr
	}
	return fieldIPSaddr
}
