package ipt

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// checkSets makes sure every ipset the rules name exists in the kernel, of
// the family of the table that uses it, so that a missing set is reported
// with the rule that needs it. In iptables mode firewalld creates these sets;
// we never do.
func (b *Backend) checkSets(ctx context.Context, use [2]map[string]string) error {
	if len(use[ipv4]) == 0 && len(use[ipv6]) == 0 {
		return nil
	}
	path, err := exec.LookPath("ipset")
	if err != nil {
		return fmt.Errorf("iptables backend: the rules match ipsets, and the ipset tool to check them is missing: %w", err)
	}
	res := b.run.run(ctx, path, []string{"list", "-t"}, "")
	if res.err != nil {
		return fmt.Errorf("iptables backend: ipset list -t: %s: %w", strings.TrimSpace(res.stderr), res.err)
	}
	have := parseIPSetList(res.stdout)
	for _, f := range allFamilies {
		names := make([]string, 0, len(use[f]))
		for n := range use[f] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			fam, ok := have[n]
			switch {
			case !ok:
				return fmt.Errorf("iptables backend: %s: ipset %q does not exist in the kernel", use[f][n], n)
			case fam == "inet" && f == ipv6, fam == "inet6" && f == ipv4:
				return fmt.Errorf("iptables backend: %s: ipset %q is of family %s, and %s cannot use it", use[f][n], n, fam, families[f].name)
			}
		}
	}
	return nil
}

// parseIPSetList maps each set of `ipset list -t` to its family ("inet",
// "inet6", or "" for sets without one, such as hash:mac).
func parseIPSetList(out string) map[string]string {
	sets := map[string]string{}
	name := ""
	for _, l := range strings.Split(out, "\n") {
		switch k, v, _ := strings.Cut(l, ":"); k {
		case "Name":
			name = strings.TrimSpace(v)
			sets[name] = ""
		case "Header":
			f := strings.Fields(v)
			if i := slices.Index(f, "family"); i >= 0 && i+1 < len(f) && name != "" {
				sets[name] = f[i+1]
			}
		}
	}
	return sets
}
