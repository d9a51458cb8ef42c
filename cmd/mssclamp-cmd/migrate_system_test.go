package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestSystemMigrateDirect runs the built mssclamp-cmd --migrate-direct
// --apply against firewalld 1.3.3 (nftables backend) and the built
// mssclampd in a namespace on a private bus, as an administrator would:
// the first --apply is refused for a missing policy, the commands the plan
// gives create it, the second --apply moves a permanent and a runtime-only
// TCPMSS passthrough to our rules and leaves the other passthrough alone.
func TestSystemMigrateDirect(t *testing.T) {
	w := newSysWorld(t)
	systest.RequireCommands(t, "iptables-save")
	fw := systest.StartFirewalld(t, w.bus, w.ns, "nftables")
	clamp := "ipv4 -t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"
	keep := "ipv4 -t filter -I INPUT -p udp --dport 9 -j DROP"
	runtimeClamp := "ipv6 -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200"
	passthrough := func(pt string, permanent bool) {
		args := append([]string{"--direct", "--add-passthrough"}, strings.Fields(pt)...)
		if permanent {
			args = append([]string{"--permanent"}, args...)
		}
		fw.MustCmd(t, args...)
	}
	passthrough(clamp, true)
	passthrough(keep, true)
	fw.MustCmd(t, "--reload")
	passthrough(runtimeClamp, false)
	w.startDaemon(t, "--firewalld=auto", "--firewalld-conf="+filepath.Join(fw.ConfigDir, "firewalld.conf"))

	// No policy from ANY to ANY yet: refused before anything changes, with
	// the commands that create it.
	got := w.run([]string{"--migrate-direct", "--apply"})
	if got.code != 140 || !strings.HasPrefix(got.stderr, "Error: INVALID_POLICY: the plan needs policies that do not exist yet: mss-fwd;") ||
		!strings.Contains(got.stdout, "    firewall-cmd --permanent --new-policy=mss-fwd\n") {
		t.Fatalf("first --apply: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	newAnyPolicy(t, fw, "mss-fwd")
	// The reload dropped the runtime-only passthrough, as the plan warned.
	passthrough(runtimeClamp, false)
	waitFor(t, "mssclampd to follow firewalld's new policy", func() bool {
		return w.run([]string{"--policy=mss-fwd", "--list-rich-rules"}).code == 0
	})

	got = w.run([]string{"--migrate-direct", "--apply"})
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("--apply: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	t.Logf("--migrate-direct --apply:\n%s", got.stdout)
	for _, want := range []string{
		"Direct configuration: 3 entries; 2 to replace, 0 left alone, 1 not TCPMSS.\n",
		"\nChanges:\n" +
			"  added runtime policy mss-fwd: rule family=\"ipv4\" tcp-mss-clamp\n" +
			"  added permanent policy mss-fwd: rule family=\"ipv4\" tcp-mss-clamp\n" +
			"  added runtime policy mss-fwd: rule family=\"ipv6\" tcp-mss-clamp value=\"1200\"\n" +
			"  removed permanent passthrough " + clamp + "\n" +
			"  removed runtime passthrough " + clamp + "\n" +
			"  removed runtime passthrough " + runtimeClamp + "\n",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("--apply does not say\n%s", want)
		}
	}

	// firewalld lists only the passthrough that is not TCPMSS, and the
	// kernel holds no TCPMSS rule any more.
	for _, place := range [][]string{nil, {"--permanent"}} {
		if got := fw.MustCmd(t, append(place, "--direct", "--get-all-passthroughs")...); got != keep+"\n" {
			t.Errorf("firewall-cmd %v --direct --get-all-passthroughs: %q, want %q", place, got, keep+"\n")
		}
	}
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		if out := w.ns.Run(t, save); strings.Contains(out, "TCPMSS") {
			t.Errorf("%s still has a TCPMSS rule:\n%s", save, out)
		}
	}
	// Our rules are there, where the passthroughs were, and in the kernel.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--policy=mss-fwd", "--list-rich-rules"}, "rule family=\"ipv4\" tcp-mss-clamp\nrule family=\"ipv6\" tcp-mss-clamp value=\"1200\"\n"},
		{[]string{"--permanent", "--policy=mss-fwd", "--list-rich-rules"}, "rule family=\"ipv4\" tcp-mss-clamp\n"},
	} {
		if got := w.run(c.args); got != (result{c.want, "", 0}) {
			t.Errorf("mssclamp-cmd %q: %q, want %q", c.args, got, c.want)
		}
	}
	if got := w.run([]string{"--list-backend-rules"}); !strings.Contains(got.stdout, "maxseg size set 1200") {
		t.Errorf("--list-backend-rules: %q", got)
	}
	// A new plan finds nothing left to replace.
	if got := w.run([]string{"--migrate-direct"}); got.code != 0 ||
		!strings.HasPrefix(got.stdout, "Direct configuration: 1 entry; 0 to replace, 0 left alone, 1 not TCPMSS.\n") {
		t.Errorf("--migrate-direct after --apply: %q", got)
	}
}

// TestSystemSuggestMTUOf: --suggest-mss --mtu-of reads the MTU of an
// interface of the namespace the command runs in.
func TestSystemSuggestMTUOf(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "go", "ip")
	ns := systest.NewNS(t)
	ns.Run(t, "ip", "link", "add", "wg9", "mtu", "1420", "type", "veth", "peer", "name", "wg9p")
	bin := buildCmd(t)
	got := runBinary(ns.Command(bin, "--suggest-mss", "--mtu-of=wg9", "--family=ipv6"),
		&systest.Bus{Address: "unix:path=" + filepath.Join(t.TempDir(), "none")})
	if got.code != 0 || !strings.Contains(got.stdout, "\n  =  1360  MSS\n") || !strings.HasPrefix(got.stdout, "none over a link MTU of 1420, TCP over ipv6") {
		t.Errorf("--suggest-mss --mtu-of=wg9: %q", got)
	}
}
