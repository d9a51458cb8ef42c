package richrule

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// ipsets the vectors name; the runtime add of a rule refuses an unknown one.
var vectorIPSets = []string{"foo", "a", "b", "clampset", "dst", "abcdefghijklmnopqrstuvwxyz012345"}

// TestAgainstFirewalld adds every vector to a real firewalld 1.3.3 (own
// namespace, own bus, nftables backend) with addRichRule on zone public:
// an error must carry the vector's code, an accepted rule must be listed
// as the vector's canonical string. Documented differences expect what
// the vector says firewalld does instead; rt!> lines what its runtime
// checks say.
func TestAgainstFirewalld(t *testing.T) {
	systest.RequireRoot(t)
	vs, _ := loadVectors(t)
	fw := systest.StartFirewalldWith(t, nil, nil, systest.FirewalldOptions{Backend: "nftables", Release: vectorRelease})
	for _, name := range vectorIPSets {
		fw.MustCmd(t, "--permanent", "--new-ipset="+name, "--type=hash:ip")
	}
	fw.MustCmd(t, "--reload")
	zone := fw.Bus.Conn(t).Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1")
	const iface = "org.fedoraproject.FirewallD1.zone."

	for _, v := range vs {
		t.Run(v.name(), func(t *testing.T) {
			if v.skip != "" {
				t.Skip(v.skip)
			}
			want := *v.want
			switch {
			case v.rt != nil:
				want = *v.rt
			case v.fw != nil:
				want = *v.fw
			}
			err := addRichRule(t, zone, v.input)
			if err != nil {
				code, msg := firewalldError(err)
				if want.ok || code != want.code || !messageMatches(msg, want.text) {
					t.Fatalf("firewalld addRichRule(%q): %s: %s; vector says %s", v.input, code, msg, want)
				}
				return
			}
			var rules []string
			if err := zone.Call(iface+"getRichRules", 0, "public").Store(&rules); err != nil {
				t.Fatalf("getRichRules: %v", err)
			}
			// Remove with the input: firewalld cannot always read its own listing.
			if err := zone.Call(iface+"removeRichRule", 0, "public", v.input).Err; err != nil {
				t.Errorf("removeRichRule(%q): %v", v.input, err)
			}
			if len(rules) != 1 || !want.ok || rules[0] != want.text {
				t.Fatalf("firewalld accepted %q and lists %q; vector says %s", v.input, rules, want)
			}
		})
	}
}

// addRichRule adds the rule to zone public. firewalld 1.3.3 now and then
// fails an add with COMMAND_FAILED: 'handle' (libnftables' echo output
// lacks the new rule's handle; it does not depend on the rule): such an
// add is tried again.
func addRichRule(t *testing.T, zone dbus.BusObject, rule string) error {
	var err error
	for try := 0; try < 3; try++ {
		err = zone.Call("org.fedoraproject.FirewallD1.zone.addRichRule", 0, "public", rule, int32(0)).Err
		if err == nil {
			return nil
		}
		if code, msg := firewalldError(err); code != firewalld.CommandFailed.Name() || msg != "'handle'" {
			return err
		}
		t.Logf("firewalld: COMMAND_FAILED: 'handle' (its nft handle race); trying again")
		zone.Call("org.fedoraproject.FirewallD1.zone.removeRichRule", 0, "public", rule)
	}
	return err
}

// firewalldError splits firewalld's D-Bus error text "CODE: detail"; a
// text without a known code is an internal error, UNKNOWN_ERROR.
func firewalldError(err error) (code, msg string) {
	var de dbus.Error
	if !errors.As(err, &de) || len(de.Body) == 0 {
		return "NOT_A_FIREWALLD_ERROR", err.Error()
	}
	text := fmt.Sprint(de.Body[0])
	name, rest, found := strings.Cut(text, ":")
	if _, ok := firewalld.CodeByName(name); ok {
		if found {
			return name, strings.TrimPrefix(rest, " ")
		}
		return name, ""
	}
	return firewalld.UnknownError.Name(), text
}
