package dbus

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// TestFirewalldDirectSystem adds, lists and removes passthroughs and direct
// rules of the real firewalld, runtime and permanent, and checks with
// firewall-cmd.
func TestFirewalldDirectSystem(t *testing.T) {
	t.Parallel()
	e := startFirewalld(t, "nftables")
	ctx := ctxFor(t)
	pt := DirectPassthrough{IPV: "ipv4", Args: strings.Fields("-t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")}
	rule := DirectRule{IPV: "ipv6", Table: "mangle", Chain: "FORWARD", Priority: 3,
		Args: []string{"-p", "tcp", "-m", "comment", "--comment", "a b", "--syn", "-j", "TCPMSS", "--set-mss", "1300"}}

	for _, permanent := range []bool{false, true} {
		var flag []string
		if permanent {
			flag = []string{"--permanent"}
		}
		if err := e.c.AddDirectPassthrough(ctx, permanent, pt); err != nil {
			t.Fatal(err)
		}
		if err := e.c.AddDirectRule(ctx, permanent, rule); err != nil {
			t.Fatal(err)
		}
		if got := e.cmd(t, append(flag, "--direct", "--get-all-passthroughs")...); got != "ipv4 "+strings.Join(pt.Args, " ") {
			t.Errorf("%v --get-all-passthroughs: %q", flag, got)
		}
		if got := e.cmd(t, append(flag, "--direct", "--get-all-rules")...); got != "ipv6 mangle FORWARD 3 -p tcp -m comment --comment 'a b' --syn -j TCPMSS --set-mss 1300" {
			t.Errorf("%v --get-all-rules: %q", flag, got)
		}
		pts, err := e.c.DirectPassthroughs(ctx, permanent)
		if err != nil || !reflect.DeepEqual(pts, []DirectPassthrough{pt}) {
			t.Errorf("DirectPassthroughs(%v) = %+v, %v", permanent, pts, err)
		}
		rules, err := e.c.DirectRules(ctx, permanent)
		if err != nil || !reflect.DeepEqual(rules, []DirectRule{rule}) {
			t.Errorf("DirectRules(%v) = %+v, %v", permanent, rules, err)
		}
		if err := e.c.RemoveDirectPassthrough(ctx, permanent, pt); err != nil {
			t.Fatal(err)
		}
		if err := e.c.RemoveDirectRule(ctx, permanent, rule); err != nil {
			t.Fatal(err)
		}
		err = e.c.RemoveDirectPassthrough(ctx, permanent, pt)
		if !errors.Is(err, &firewalld.Error{Code: firewalld.NotEnabled}) {
			t.Errorf("removing a missing passthrough (permanent %v): %v", permanent, err)
		}
		if pts, err := e.c.DirectPassthroughs(ctx, permanent); err != nil || len(pts) != 0 {
			t.Errorf("after removal: %+v, %v", pts, err)
		}
		if rules, err := e.c.DirectRules(ctx, permanent); err != nil || len(rules) != 0 {
			t.Errorf("after removal: %+v, %v", rules, err)
		}
	}
}
