package ipt

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// kernelRule is a NEWRULE message as iptables-nft's rules read back: a
// compat comment match (when comment is set), then a counter.
func kernelRule(t *testing.T, chain, comment string, c backend.Counter) netlink.Message {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.String(unix.NFTA_RULE_TABLE, Table)
	ae.String(unix.NFTA_RULE_CHAIN, chain)
	ae.Nested(unix.NFTA_RULE_EXPRESSIONS, func(list *netlink.AttributeEncoder) error {
		if comment != "" {
			list.Nested(unix.NFTA_LIST_ELEM, func(e *netlink.AttributeEncoder) error {
				e.String(unix.NFTA_EXPR_NAME, "match")
				e.Nested(unix.NFTA_EXPR_DATA, func(d *netlink.AttributeEncoder) error {
					d.String(nftaMatchName, "comment")
					d.Uint32(2, 0) // NFTA_MATCH_REV
					info := make([]byte, 256)
					copy(info, comment)
					d.Bytes(nftaMatchInfo, info)
					return nil
				})
				return nil
			})
		}
		list.Nested(unix.NFTA_LIST_ELEM, func(e *netlink.AttributeEncoder) error {
			e.String(unix.NFTA_EXPR_NAME, "counter")
			e.Nested(unix.NFTA_EXPR_DATA, func(d *netlink.AttributeEncoder) error {
				d.Uint64(unix.NFTA_COUNTER_BYTES, c.Bytes)
				d.Uint64(unix.NFTA_COUNTER_PACKETS, c.Packets)
				return nil
			})
			return nil
		})
		return nil
	})
	data, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWRULE)},
		Data:   append([]byte{unix.NFPROTO_IPV4, 0, 0, 0}, data...),
	}
}

// fakeNF answers a generation request with gen, and a rule dump of a chain
// with that chain's rules.
func fakeNF(t *testing.T, gen uint32, rules map[string][]netlink.Message) *nfConn {
	return &nfConn{c: nltest.Dial(func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) == 0 {
			return nil, nil
		}
		req := reqs[0]
		var out []netlink.Message
		switch req.Header.Type & 0xff {
		case unix.NFT_MSG_GETGEN:
			ae := netlink.NewAttributeEncoder()
			ae.ByteOrder = binary.BigEndian
			ae.Uint32(unix.NFTA_GEN_ID, gen)
			data, _ := ae.Encode()
			out = []netlink.Message{{Data: append([]byte{0, 0, 0, 0}, data...)}}
		case unix.NFT_MSG_GETRULE:
			ad, _ := netlink.NewAttributeDecoder(req.Data[4:])
			chain := ""
			for ad.Next() {
				if ad.Type() == unix.NFTA_RULE_CHAIN {
					chain = ad.String()
				}
			}
			out = append(append(out, rules[chain]...), netlink.Message{})
			out, _ = nltest.Multipart(out)
		}
		for i := range out {
			out[i].Header.Sequence, out[i].Header.PID = req.Header.Sequence, nltest.PID
		}
		return out, nil
	})}
}

func TestGeneration(t *testing.T) {
	nf := fakeNF(t, 4711, nil)
	if gen, err := nf.generation(); err != nil || gen != 4711 {
		t.Errorf("generation() = %d, %v; want 4711", gen, err)
	}
}

// counted fills in the counters of the chains asked for, from the kernel's
// listing, and refuses a listing that is not what was loaded.
func TestCounted(t *testing.T) {
	zoneA := &chain{name: "MSSCLAMP_zone_a_x", origin: "chain zone_a", rules: []rule{
		{spec: `-m comment --comment "chain zone_a"`},
		{spec: `-p tcp -m tcp --tcp-flags SYN,RST SYN -m comment --comment "id:abc zone:a" -j TCPMSS --set-mss 1300`, id: "abc", clamp: true},
	}}
	other := &chain{name: "MSSCLAMP_zone_b_y", origin: "chain zone_b", rules: []rule{{spec: `-m comment --comment "chain zone_b"`}}}
	held := &table{chains: []*chain{zoneA, other}, jumps: []jump{{builtin: "FORWARD", target: zoneA.name, spec: "-j " + zoneA.name}}}
	for _, tc := range []struct {
		name    string
		kernel  []netlink.Message
		wantErr string
	}{
		{"as loaded", []netlink.Message{
			kernelRule(t, zoneA.name, "chain zone_a", backend.Counter{Packets: 7, Bytes: 420}),
			kernelRule(t, zoneA.name, "id:abc zone:a", backend.Counter{Packets: 5, Bytes: 300}),
		}, ""},
		{"a rule missing", []netlink.Message{
			kernelRule(t, zoneA.name, "id:abc zone:a", backend.Counter{Packets: 5, Bytes: 300}),
		}, "holds 1 rules, not the 2 loaded"},
		{"another rule", []netlink.Message{
			kernelRule(t, zoneA.name, "chain zone_a", backend.Counter{}),
			kernelRule(t, zoneA.name, "id:abd zone:a", backend.Counter{Packets: 5, Bytes: 300}),
		}, "rule 2 of chain MSSCLAMP_zone_a_x is not the one loaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nf := fakeNF(t, 1, map[string][]netlink.Message{zoneA.name: tc.kernel})
			got, err := nf.counted(held, ipv4, []*chain{zoneA})
			if testutil.WantErr(t, err, tc.wantErr) {
				return
			}
			if c := got.chains[0].rules[1].counter; c == nil || *c != (backend.Counter{Packets: 5, Bytes: 300}) {
				t.Errorf("clamp rule counted %v, want 5 packets, 300 bytes", c)
			}
			if got.chains[1] != other || len(got.jumps) != 1 {
				t.Errorf("counted changed what it was not asked about")
			}
			if zoneA.rules[1].counter != nil {
				t.Errorf("counted changed the table it was given")
			}
		})
	}
}

// The chains whose counters a plan carries over: those that go and hold a
// clamp rule rebuilt elsewhere.
func TestCarrySources(t *testing.T) {
	clamp := rule{spec: `-p tcp -m comment --comment "id:abc zone:a" -j TCPMSS --set-mss 1300`, id: "abc", clamp: true}
	gone := rule{spec: `-p tcp -m comment --comment "id:def zone:a" -j TCPMSS --set-mss 1200`, id: "def", clamp: true}
	old := &chain{name: "MSSCLAMP_zone_a_old", rules: []rule{{spec: "-m comment --comment x"}, clamp, gone}}
	kept := &chain{name: "MSSCLAMP_zone_b_kept", rules: []rule{clamp}}
	cur := &table{chains: []*chain{old, kept}}
	for _, tc := range []struct {
		name string
		want *table
		src  string
	}{
		{"rebuilt under a new name", &table{chains: []*chain{{name: "MSSCLAMP_zone_a_new", rules: []rule{clamp}}, kept}}, old.name},
		{"nothing rebuilt", &table{chains: []*chain{old, kept}}, ""},
		{"only other rules rebuilt", &table{chains: []*chain{{name: "MSSCLAMP_zone_a_new", rules: []rule{{spec: "-j RETURN"}}}, kept}}, ""},
		{"rebuilt with another number of rules", &table{chains: []*chain{{name: old.name, rules: []rule{gone}}, kept}}, old.name},
	} {
		var names []string
		for _, c := range carrySources(cur, tc.want) {
			names = append(names, c.name)
		}
		if got := strings.Join(names, " "); got != tc.src {
			t.Errorf("%s: carrySources = %q, want %q", tc.name, got, tc.src)
		}
	}
}
