package ipt

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// The names we own. Everything in the mangle table whose chain name starts
// with ChainPrefix is ours, and so is every rule of a built-in chain that
// jumps (or goes) to such a chain; nothing else is ever touched.
const (
	Table       = "mangle"
	ChainPrefix = "MSSCLAMP_"

	// maxChainName is iptables' limit (XT_EXTENSION_MAXNAMELEN - 1).
	maxChainName = 28
	// hashLen base32 characters (50 bits) make a content-addressed name.
	hashLen = 10
	// tagLen bounds the readable part taken from a neutral chain name:
	// ChainPrefix + tag + "_" + hash fits maxChainName.
	tagLen = maxChainName - len(ChainPrefix) - 1 - hashLen
)

// builtin maps a hook to the built-in mangle chain that jumps to it, and to
// the readable tag of its base chain's name.
var builtin = map[backend.Hook]struct{ chain, tag string }{
	backend.HookForward: {"FORWARD", "FWD"},
	backend.HookOutput:  {"OUTPUT", "OUT"},
	backend.HookInput:   {"INPUT", "IN"},
}

var nameEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// chainName is the kernel name of a chain: our prefix, a readable tag (the
// hook for base chains, else the start of the neutral name) and a hash of
// everything the chain holds in both families, its targets' names included.
// A chain whose content changes therefore gets a new name, and so do the
// chains that lead to it, up to the base chain; a chain whose content is
// unchanged keeps its name, its kernel rules and their counters.
func chainName(ch *backend.Chain, content string) string {
	tag := ""
	if b, ok := builtin[ch.Hook]; ok {
		tag = b.tag
	} else {
		tag = readable(ch.Name)
	}
	sum := sha256.Sum256([]byte(ch.Name + "\x00" + string(ch.Hook) + "\x00" + content))
	return ChainPrefix + tag + "_" + nameEncoding.EncodeToString(sum[:])[:hashLen]
}

// readable keeps the start of a neutral name, in characters any iptables
// parser and reader takes without quoting.
func readable(name string) string {
	var b strings.Builder
	for i := 0; i < len(name) && b.Len() < tagLen; i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "chain"
	}
	return b.String()
}

// quote writes a string argument the way iptables-save does
// (xtables_save_string), so that what we load and what the kernel lists read
// the same: bare when it is only letters, digits, '_' and '-', else in double
// quotes, with each double quote, single quote and backslash escaped by a
// backslash.
func quote(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
