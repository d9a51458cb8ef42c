package nft

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

func newFake(t *testing.T) (*fakeKernel, *Backend) {
	k := &fakeKernel{gen: 7}
	be, _ := New(WithTestDial(k.dial))
	return k, be
}

func mustApply(t *testing.T, b *Backend, rs *backend.Ruleset) {
	t.Helper()
	if err := b.Apply(context.Background(), rs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// The first Apply builds the whole table in one batch.
func TestNetlinkFirstApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		rs   *backend.Ruleset
	}{{"basic", rulesetBasic()}, {"clamp", rulesetClamp()}, {"matches", rulesetMatches()}} {
		t.Run(tc.name, func(t *testing.T) {
			k, b := newFake(t)
			mustApply(t, b, tc.rs)
			golden(t, "netlink/"+tc.name+".txt", k.take())
		})
	}
}

// A second Apply of the same ruleset only reads the ruleset generation.
func TestNetlinkSecondApplySendsNothing(t *testing.T) {
	k, b := newFake(t)
	mustApply(t, b, rulesetMatches())
	k.take()
	mustApply(t, b, rulesetMatches())
	if got := k.take(); got != "query GETGEN\n" || k.batches != 1 {
		t.Errorf("second Apply sent:\n%s", got)
	}
}

// A change sends only itself; the golden files show each batch.
func TestNetlinkChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(rs *backend.Ruleset)
	}{
		{"one clamp", func(rs *backend.Ruleset) { rs.Chains[2].Rules[0].Clamp.MSS = 1300 }},
		{"elements", func(rs *backend.Ruleset) {
			rs.Chains[1].Rules[0].Dispatch.Elements = []backend.Element{
				{Iface: "eth0", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_internal"}},
				{Iface: "eth1", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_internal"}},
				{Iface: "eth2", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_public"}},
			}
		}},
		{"new zone", func(rs *backend.Ruleset) {
			d := rs.Chains[1].Rules[0].Dispatch
			d.Elements = append(d.Elements, backend.Element{Iface: "eth3", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_dmz"}})
			rs.Chains = append(rs.Chains, &backend.Chain{Name: "zone_dmz", Rules: []*backend.Rule{clampRule("r9", "dmz", 1400, nil)}})
		}},
		{"zone gone", func(rs *backend.Ruleset) {
			rs.Chains[1].Rules[0].Dispatch.Elements = rs.Chains[1].Rules[0].Dispatch.Elements[:1]
			rs.Chains = rs.Chains[:3]
		}},
		{"dispatch moves", func(rs *backend.Ruleset) {
			rs.Chains[1].Rules = append([]*backend.Rule{{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "lo"}}, Return: true}}, rs.Chains[1].Rules...)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, b := newFake(t)
			mustApply(t, b, rulesetBasic())
			k.take()
			rs := rulesetBasic()
			tc.change(rs)
			mustApply(t, b, rs)
			got := k.take()
			if strings.Contains(got, "NEWTABLE") {
				t.Errorf("a change rebuilt the table")
			}
			golden(t, "netlink/change-"+strings.ReplaceAll(tc.name, " ", "-")+".txt", got)
		})
	}
}

// When someone else committed and our table is gone, Apply rebuilds it.
func TestNetlinkDriftRebuilds(t *testing.T) {
	k, b := newFake(t)
	mustApply(t, b, rulesetBasic())
	k.take()
	k.gen += 3
	mustApply(t, b, rulesetBasic())
	got := k.take()
	if !strings.HasPrefix(got, "query GETGEN\nquery GETTABLE\nbatch of 13 messages:\n  NEWTABLE inet mssclamp [create]\n  DELTABLE inet mssclamp\n  NEWTABLE") {
		t.Errorf("Apply after drift did not rebuild:\n%s", got)
	}
}

// A refused message fails the Apply with an error naming the object, and
// the Backend still knows what the kernel holds.
func TestNetlinkKernelErrorNamesObject(t *testing.T) {
	tests := []struct {
		refuse int
		want   string
	}{
		{5, `creating chain "fwd_dispatch"`},
		{8, `creating map "fwd_dispatch_0_iif" (the map of chain "fwd_dispatch" rule 0)`},
		{9, `adding elements to map "fwd_dispatch_0_iif"`},
		{12, `adding rule 0 of chain "zone_public" (counter tcp option maxseg size set 1200 comment "id:r1 zone:public")`},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.refuse), func(t *testing.T) {
			k, b := newFake(t)
			k.refuse = tc.refuse
			err := b.Apply(context.Background(), rulesetBasic())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, unix.ENOENT) {
				t.Fatalf("Apply = %v, want an ENOENT naming %s", err, tc.want)
			}
			mustApply(t, b, rulesetBasic())
			mustApply(t, b, rulesetMatches())
			k.take()
			mustApply(t, b, rulesetMatches())
			if got := k.take(); got != "query GETGEN\n" {
				t.Errorf("after recovering, the same ruleset sent:\n%s", got)
			}
		})
	}
}

// Without the kernel's answer the state is unknown: the next Apply rebuilds.
func TestNetlinkNoAnswerRebuilds(t *testing.T) {
	k, b := newFake(t)
	mustApply(t, b, rulesetBasic())
	k.silent = true
	err := b.Apply(context.Background(), rulesetMatches())
	if err == nil || !strings.Contains(err.Error(), "cannot tell whether the kernel applied the batch") {
		t.Fatalf("Apply = %v, want an uncertain failure", err)
	}
	k.silent = false
	k.take()
	mustApply(t, b, rulesetMatches())
	if got := k.take(); !strings.Contains(got, "DELTABLE") {
		t.Errorf("Apply after an unanswered batch did not rebuild:\n%s", got)
	}
}

// Large sets are split over several element messages.
func TestNetlinkLargeSet(t *testing.T) {
	s := &backend.Set{Name: "big", Family: backend.FamilyIPv4}
	for i := 0; i < 3000; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i % 256)})
		s.Elements = append(s.Elements, backend.Range{From: a, To: a})
	}
	rs := &backend.Ruleset{Sets: []*backend.Set{s}}
	k, b := newFake(t)
	mustApply(t, b, rs)
	got := k.take()
	// 3000 addresses are 6000 netlink elements (start and end), 20 bytes
	// each on average: 120 kB, in messages of at most 32 kB.
	if n := strings.Count(got, "NEWSETELEM ipset_big"); n != 4 {
		t.Errorf("%d element messages, want 4", n)
	}
	// Removing one address deletes its start and end, and nothing else.
	rs.Sets[0].Elements = append(rs.Sets[0].Elements[:10:10], rs.Sets[0].Elements[11:]...)
	mustApply(t, b, rs)
	want := "query GETGEN\nbatch of 1 messages:\n  DELSETELEM ipset_big [ack]\n    element 10.0.0.10\n    element 10.0.0.11 [end]\nquery GETGEN\n"
	if got := k.take(); got != want {
		t.Errorf("removing one element sent:\n%s\nwant:\n%s", got, want)
	}
}

func TestNetlinkFlush(t *testing.T) {
	k, b := newFake(t)
	mustApply(t, b, rulesetBasic())
	k.take()
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "batch of 2 messages:\n  NEWTABLE inet mssclamp [create]\n  DELTABLE inet mssclamp [ack]\n"
	if got := k.take(); got != want {
		t.Errorf("Flush sent:\n%s", got)
	}
	mustApply(t, b, rulesetBasic())
	if got := k.take(); !strings.Contains(got, "DELTABLE") {
		t.Errorf("Apply after Flush did not rebuild:\n%s", got)
	}
}
