package nft

import (
	"strconv"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/google/nftables"
)

// Every kernel object this package owns lives in one table; the names below
// are the only ones it makes up itself. Chain names come from the Ruleset.
const (
	// TableName is our table, in the inet family.
	TableName = "mssclamp"
	// tableFamily is the family of TableName.
	tableFamily = nftables.TableFamilyINet
	// setPrefix starts the name of the set holding a Ruleset Set.
	setPrefix = "ipset_"
	// basePriority is where our base chains run: mangle (-150), before
	// every filter chain (0), so an accept there cannot skip the clamp.
	basePriority = -150
	// ifnameLen is IFNAMSIZ: interface names are compared as 16 bytes.
	ifnameLen = 16
	// defaultBurst is what nft uses when a limit has no burst.
	defaultBurst = 5
)

// setName is the name of the nft set that holds the Ruleset Set name.
func setName(name string) string { return setPrefix + name }

// mapName is the name of the verdict map of a Dispatch: the chain, the
// position of the rule in it and the key, so that the same Dispatch keeps
// its map (and re-apply only diffs the elements).
func mapName(chain string, rule int, key backend.DispatchKey) string {
	return chain + "_" + strconv.Itoa(rule) + "_" + keyNames[key].suffix
}

// keyKind is what a set or map is keyed by.
type keyKind uint8

const (
	keyAddr4 keyKind = iota + 1
	keyAddr6
	keyMAC
	keyIfname
)

// nftType is the key type as nft lists it.
func (k keyKind) nftType() string {
	switch k {
	case keyAddr4:
		return "ipv4_addr"
	case keyAddr6:
		return "ipv6_addr"
	case keyMAC:
		return "ether_addr"
	}
	return "ifname"
}

// interval is whether the set holds address ranges.
func (k keyKind) interval() bool { return k == keyAddr4 || k == keyAddr6 }

// keyInfo describes one DispatchKey: what it loads and how nft names it.
type keyInfo struct {
	suffix string // in the map name
	kind   keyKind
	field  field
}

var keyNames = map[backend.DispatchKey]keyInfo{
	backend.KeyInIface:  {"iif", keyIfname, fieldIifname},
	backend.KeyOutIface: {"oif", keyIfname, fieldOifname},
	backend.KeySrcAddr4: {"saddr4", keyAddr4, fieldIPSaddr},
	backend.KeySrcAddr6: {"saddr6", keyAddr6, fieldIP6Saddr},
	backend.KeyDstAddr4: {"daddr4", keyAddr4, fieldIPDaddr},
	backend.KeyDstAddr6: {"daddr6", keyAddr6, fieldIP6Daddr},
	backend.KeySrcMAC:   {"smac", keyMAC, fieldEtherSaddr},
}

// hooks maps the Ruleset's hooks to netfilter's; HookNone is a regular chain.
var hooks = map[backend.Hook]*nftables.ChainHook{
	backend.HookNone:    nil,
	backend.HookForward: nftables.ChainHookForward,
	backend.HookOutput:  nftables.ChainHookOutput,
	backend.HookInput:   nftables.ChainHookInput,
}
