package nft

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// hashSeed keys chain hashes; they are compared only within this process.
var hashSeed = maphash.MakeSeed()

// chainHasher hashes everything a Ruleset chain holds, and the type of the
// sets it refers to: when a chain hashes as it did at the last Apply, its
// rules and maps are taken from then, without encoding it again. (A 64-bit
// collision between two versions of one chain is the only way a change
// could go unseen.)
type chainHasher struct {
	h      maphash.Hash
	ipsets map[string]*setPlan
	buf    [8]byte
}

func newChainHasher(ipsets map[string]*setPlan) *chainHasher {
	c := &chainHasher{ipsets: ipsets}
	c.h.SetSeed(hashSeed)
	return c
}

func (c *chainHasher) int(v int) {
	binary.LittleEndian.PutUint64(c.buf[:], uint64(v))
	c.h.Write(c.buf[:])
}

func (c *chainHasher) str(s string) {
	c.int(len(s))
	c.h.WriteString(s)
}

func (c *chainHasher) bool(v bool) {
	if v {
		c.h.WriteByte(1)
	} else {
		c.h.WriteByte(0)
	}
}

func (c *chainHasher) addr(a netip.Addr) {
	b := a.As16()
	c.int(a.BitLen())
	c.h.Write(b[:])
}

func (c *chainHasher) chain(ch *backend.Chain) uint64 {
	c.h.Reset()
	c.str(ch.Name)
	c.str(string(ch.Hook))
	c.int(len(ch.Rules))
	for _, r := range ch.Rules {
		c.rule(r)
	}
	return c.h.Sum64()
}

func (c *chainHasher) rule(r *backend.Rule) {
	c.int(int(r.Family))
	c.int(len(r.Matches))
	for _, m := range r.Matches {
		c.int(int(m.Kind))
		c.bool(m.Invert)
		c.str(m.Iface)
		c.addr(m.Prefix.Addr())
		c.int(m.Prefix.Bits())
		c.str(m.MAC)
		c.str(m.Set)
		if s := c.ipsets[m.Set]; s != nil {
			c.int(int(s.kind))
		} else {
			c.int(-1)
		}
	}
	c.str(r.Jump)
	c.str(r.Goto)
	c.bool(r.Return)
	c.bool(r.Clamp != nil)
	if k := r.Clamp; k != nil {
		c.str(k.ID)
		c.bool(k.Scope.Policy)
		c.str(k.Scope.Name)
		c.str(k.Rule)
		c.int(int(k.MSS))
		c.bool(k.Log != nil)
		if l := k.Log; l != nil {
			c.bool(l.NFLog)
			c.str(l.Prefix)
			c.str(l.Level)
			c.int(int(l.Group))
			c.int(int(l.QueueSize))
			c.bool(l.Limit != nil)
			if l.Limit != nil {
				c.int(int(l.Limit.Rate))
				c.int(int(l.Limit.Unit))
				c.int(int(l.Limit.Burst))
			}
		}
	}
	c.bool(r.Dispatch != nil)
	if d := r.Dispatch; d != nil {
		c.int(int(d.Key))
		c.int(len(d.Elements))
		for _, e := range d.Elements {
			c.str(e.Iface)
			c.addr(e.Range.From)
			c.addr(e.Range.To)
			c.str(e.MAC)
			c.int(int(e.Verdict.Kind))
			c.str(e.Verdict.Chain)
		}
	}
}
