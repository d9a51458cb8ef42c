package migrate

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestSystemMigrate migrates real passthroughs and a direct rule of the
// real firewalld 1.3.3 (nftables backend) on the router of a client --
// router -- server topology to mssclampd's rules, and checks with packets
// that the clamp is the same before and after.
func TestSystemMigrate(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "go", "dbus-daemon", "iptables", "ip6tables")
	t.Parallel()
	daemon := systest.Build(t, "../cmd/mssclampd")

	tp := systest.NewTopology(t, 1400)
	bus := systest.StartBus(t, systest.BusOptions{})
	fw := systest.StartFirewalld(t, bus, tp.Router, "nftables")

	// Permanent: the bindings, the ANY -> ANY policy the plan will ask
	// for, a passthrough and a direct rule to migrate, a passthrough to
	// keep. The reload makes them runtime too.
	keep := []string{"ipv4", "-t", "filter", "-I", "INPUT", "-p", "udp", "--dport", "9", "-j", "DROP"}
	for _, args := range [][]string{
		{"--permanent", "--zone=trusted", "--add-interface=" + tp.RouterClientIf},
		{"--permanent", "--zone=public", "--add-interface=" + tp.RouterServerIf},
		{"--permanent", "--new-policy=mss-fwd"},
		{"--permanent", "--policy=mss-fwd", "--add-ingress-zone=ANY"},
		{"--permanent", "--policy=mss-fwd", "--add-egress-zone=ANY"},
		append([]string{"--permanent", "--direct", "--add-passthrough"}, strings.Fields("ipv4 -t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")...),
		append([]string{"--permanent", "--direct", "--add-rule"}, strings.Fields("ipv4 mangle FORWARD 0 -s "+tp.ClientAddr4b.String()+" -p tcp --syn -j TCPMSS --set-mss 1300")...),
		append([]string{"--permanent", "--direct", "--add-passthrough"}, keep...),
		{"--reload"},
		// Runtime only.
		append([]string{"--direct", "--add-passthrough"}, strings.Fields("ipv6 -t mangle -A FORWARD -i "+tp.RouterClientIf+" -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200")...),
	} {
		fw.MustCmd(t, args...)
	}
	startDaemon(t, daemon, bus, tp.Router, filepath.Join(fw.ConfigDir, "firewalld.conf"))

	probes := []struct {
		name string
		o    systest.ProbeOptions
		want systest.ProbeResult
	}{
		// pmtu on both: MTU 1400 towards the server.
		{"ipv4", systest.ProbeOptions{}, systest.ProbeResult{SynMSS: 1360, SynAckMSS: 1360}},
		// The direct rule lowers the SYN of the second client address.
		{"ipv4 from the second address", systest.ProbeOptions{Source: tp.ClientAddr4b}, systest.ProbeResult{SynMSS: 1300, SynAckMSS: 1360}},
		// Only the SYN enters through rc0; nothing clamps IPv6 with pmtu.
		{"ipv6", systest.ProbeOptions{IPv6: true}, systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1340}},
	}
	probeAll := func(when string) {
		t.Helper()
		for _, p := range probes {
			if got := tp.Probe(t, p.o); got != p.want {
				t.Errorf("%s, %s: probe %+v, want %+v", when, p.name, got, p.want)
			}
		}
	}
	probeAll("before the migration")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn := bus.Conn(t)
	direct := FirewalldDirect{FW: mdbus.NewFirewalld(conn)}
	plan := planRunning(ctx, t, direct)
	if r, k, o := plan.Counts(); r != 3 || k != 0 || o != 1 || len(plan.NewPolicies) != 0 {
		t.Fatalf("plan: %d replace, %d keep, %d other, new policies %v:\n%s", r, k, o, plan.NewPolicies, plan.Text())
	}
	t.Logf("plan:\n%s", plan.Text())

	rules := mdbus.NewClient(conn)
	res, err := Apply(ctx, plan, rules, direct)
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, res.Text())
	}
	t.Logf("applied:\n%s", res.Text())
	if len(res.Added) != 5 || len(res.Removed) != 5 {
		t.Errorf("added %d rules, removed %d entries; want 5 and 5", len(res.Added), len(res.Removed))
	}

	// firewalld lists only the passthrough that is not TCPMSS, runtime and
	// permanent, and no direct rule.
	wantPT := strings.Join(keep, " ") + "\n"
	for _, place := range [][]string{nil, {"--permanent"}} {
		if got := fw.MustCmd(t, append(place, "--direct", "--get-all-passthroughs")...); got != wantPT {
			t.Errorf("%v --get-all-passthroughs: %q, want %q", place, got, wantPT)
		}
		if got := fw.MustCmd(t, append(place, "--direct", "--get-all-rules")...); strings.TrimSpace(got) != "" {
			t.Errorf("%v --get-all-rules: %q", place, got)
		}
	}
	// The kernel holds no TCPMSS rule any more: the packets below are
	// clamped by mssclampd alone.
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		if out := tp.Router.Run(t, save); strings.Contains(out, "TCPMSS") {
			t.Errorf("%s still has a TCPMSS rule:\n%s", save, out)
		}
	}
	// Our rules are there, where the entries were.
	for _, c := range res.Added {
		if found, err := rules.QueryRule(ctx, c.Target, c.Permanent, c.Rule); err != nil || !found {
			t.Errorf("%s: query %v, %v", c, found, err)
		}
	}
	probeAll("after the migration")

	// A reload brings back no passthrough: the permanent ones are gone too.
	fw.MustCmd(t, "--reload")
	if got := fw.MustCmd(t, "--direct", "--get-all-passthroughs"); got != wantPT {
		t.Errorf("after --reload, --get-all-passthroughs: %q, want %q", got, wantPT)
	}
	perm, err := direct.Entries(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := direct.FW.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := Make(perm, ViewOf(st)); !slices.ContainsFunc(p.Items, func(it Item) bool { return it.Status == Other }) || len(p.Items) != 1 {
		t.Errorf("permanent entries after the migration:\n%s", p.Text())
	}
}

// TestSystemMigrateRollback: firewalld refuses to remove a runtime
// passthrough whose kernel rule someone deleted behind its back; Apply puts
// back the permanent passthrough it had already removed and takes out the
// rules it added.
func TestSystemMigrateRollback(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "go", "dbus-daemon", "iptables")
	t.Parallel()
	daemon := systest.Build(t, "../cmd/mssclampd")
	bus := systest.StartBus(t, systest.BusOptions{})
	fw := systest.StartFirewalld(t, bus, nil, "nftables")
	pt := strings.Fields("-t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
	for _, args := range [][]string{
		{"--permanent", "--new-policy=mss-fwd"},
		{"--permanent", "--policy=mss-fwd", "--add-ingress-zone=ANY"},
		{"--permanent", "--policy=mss-fwd", "--add-egress-zone=ANY"},
		append([]string{"--permanent", "--direct", "--add-passthrough", "ipv4"}, pt...),
		{"--reload"},
	} {
		fw.MustCmd(t, args...)
	}
	startDaemon(t, daemon, bus, fw.NS, filepath.Join(fw.ConfigDir, "firewalld.conf"))
	// Delete the kernel rule: firewalld still lists the passthrough, but
	// its reverse (-D) now fails.
	fw.NS.Run(t, "iptables", append([]string{"-t", "mangle", "-D", "FORWARD"}, pt[4:]...)...)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn := bus.Conn(t)
	direct := FirewalldDirect{FW: mdbus.NewFirewalld(conn)}
	plan := planRunning(ctx, t, direct)
	rules := mdbus.NewClient(conn)
	res, err := Apply(ctx, plan, rules, direct)
	if err == nil || !strings.Contains(err.Error(), "removing runtime passthrough") || !strings.Contains(err.Error(), "everything was undone") {
		t.Fatalf("Apply: %v\n%s", err, res.Text())
	}
	t.Logf("Apply: %v\n%s", err, res.Text())
	want := "ipv4 " + strings.Join(pt, " ") + "\n"
	for _, place := range [][]string{nil, {"--permanent"}} {
		if got := fw.MustCmd(t, append(place, "--direct", "--get-all-passthroughs")...); got != want {
			t.Errorf("%v --get-all-passthroughs: %q, want %q", place, got, want)
		}
	}
	for _, c := range res.Added {
		if found, err := rules.QueryRule(ctx, c.Target, c.Permanent, c.Rule); err != nil || found {
			t.Errorf("%s: still there (%v, %v)", c, found, err)
		}
	}
}

// startDaemon runs mssclampd in ns on bus, following firewalld, until the
// test ends; it waits until mssclampd owns its bus name.
func startDaemon(t *testing.T, bin string, bus *systest.Bus, ns *systest.NS, firewalldConf string) {
	t.Helper()
	systest.StartMssclampd(t, bin, bus, ns, "--config-dir="+filepath.Join(t.TempDir(), "config"), "--firewalld=auto", "--firewalld-conf="+firewalldConf)
}

// planRunning plans from a running firewalld: its direct entries, runtime
// and permanent, and its runtime zones.
func planRunning(ctx context.Context, t *testing.T, direct FirewalldDirect) *Plan {
	t.Helper()
	st, err := direct.FW.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perm, err1 := direct.Entries(ctx, true)
	rt, err2 := direct.Entries(ctx, false)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return Make(Merge(perm, rt), ViewOf(st))
}
