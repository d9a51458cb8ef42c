package main

import (
	"fmt"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// offlineBackendRules is --offline --list-backend-rules: what mssclampd
// would install for the stored rules, running standalone — the zones,
// bindings and policies of its own files, the default zone catching the
// rest — rendered for the backend it would choose (or the one asked for).
//
// Like the daemon, it leaves out what cannot be used, saying so in a
// warning: a file that does not load, a rule that does not compile (an
// ipset, which only firewalld could describe).
func offlineBackendRules(dir, defaultZone, explicit string, m machine, warn func(string)) (backend.Kind, string, error) {
	sel, err := backend.Select(explicit, backend.SystemProber{Conf: m.firewalldConf, Kernel: m.kernelHasNftables})
	if err != nil {
		return "", "", firewalld.Errorf(firewalld.InvalidValue, "%v", err)
	}
	cfg, problems := store.Open(dir).Load()
	for _, fe := range problems {
		warn(fmt.Sprintf("Warning: %v (file left out)", fe))
	}
	rs, diags, err := backend.Compile(cfg.Topology(defaultZone), cfg.Rules())
	for _, d := range diags {
		warn(fmt.Sprintf("Warning: %v (rule left out)", d))
	}
	if err != nil {
		return "", "", firewalld.Errorf(firewalld.CommandFailed, "compiling the stored rules: %v", err)
	}
	render := nft.Render
	if sel.Kind == backend.KindIptables {
		render = ipt.Render
	}
	text, err := render(rs)
	if err != nil {
		return "", "", firewalld.Errorf(firewalld.CommandFailed, "rendering for %s: %v", sel.Kind, err)
	}
	return sel.Kind, text, nil
}
