package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/migrate"
)

// runMigrate is --migrate-direct: it plans the move of firewalld's TCPMSS
// passthroughs and direct rules to our rich rules and prints the plan
// (package migrate); with --apply it carries the plan out.
//
// The plan needs no daemon: with firewalld running, the entries and the
// zones, bindings and policies come from it over D-Bus; without it (or
// without a system bus at all), from its permanent configuration on disk.
// --from replaces the permanent entries by a direct.xml of the caller's.
// --apply needs both daemons, and checks that before it plans, so that a
// plan it prints is one it can try.
func runMigrate(ctx context.Context, o *options, p *printer, e env) int {
	var fw *mdbus.Firewalld
	var ours *daemon
	running := false
	conn, dialErr := e.dial()
	if dialErr == nil {
		defer conn.Close()
		fw, ours = mdbus.NewFirewalld(conn), &daemon{mdbus.NewClient(conn)}
		running = fw.Running(ctx)
	}
	if o.apply {
		switch {
		case dialErr != nil:
			return p.fail(firewalld.Errorf(firewalld.NotRunning, "cannot connect to the system bus: %v", dialErr))
		case !running:
			return p.fail(firewalld.Errorf(firewalld.NotRunning, "FirewallD is not running: --apply needs it to remove the passthroughs"))
		}
		up, err := ours.Running(ctx)
		if err != nil {
			return p.fail(err)
		}
		if !up {
			return p.fail(mdbus.ErrServiceNotRunning)
		}
	}
	plan, err := makePlan(ctx, o.from, e.machine, fw, running)
	if err != nil {
		return p.fail(err)
	}
	if !o.apply {
		return printPlan(p, o.json, plan)
	}
	return applyPlan(ctx, p, o.json, plan, migrate.FirewalldDirect{FW: fw}, ours.Client)
}

// makePlan reads the direct configuration and the view of the firewall and
// plans. fw is nil when there is no system bus. What the plan is made from
// and could not read in full becomes its warnings.
func makePlan(ctx context.Context, from string, m machine, fw *mdbus.Firewalld, running bool) (*migrate.Plan, error) {
	var warnings []string
	if !running {
		warnings = append(warnings, fmt.Sprintf("firewalld is not running: the plan is made from its permanent configuration (%s); runtime-only entries and bindings are not seen",
			strings.Join(m.firewalldDirs, ", ")))
	}
	direct := migrate.FirewalldDirect{FW: fw}
	var perm, rt []migrate.Entry
	if from != "" || !running {
		path := from
		if path == "" {
			path = m.directFile
		} else if _, err := os.Stat(path); err != nil {
			// migrate reads a missing direct.xml as empty, as firewalld
			// does; a file named on the command line is meant to exist.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, firewalld.Errorf(firewalld.InvalidFilename, "%s: %v", path, err)
		}
		f, err := migrate.ReadDirectFile(path)
		if err != nil {
			return nil, firewalld.Errorf(firewalld.CommandFailed, "%v", err)
		}
		for _, w := range f.Ignored {
			warnings = append(warnings, path+" "+w+" (firewalld skips it too)")
		}
		perm = f.Entries
	} else {
		var err error
		if perm, err = direct.Entries(ctx, true); err != nil {
			return nil, firewalldError(err, nil)
		}
	}
	var view migrate.View
	if running {
		var err error
		if rt, err = direct.Entries(ctx, false); err != nil {
			return nil, firewalldError(err, nil)
		}
		st, err := fw.Snapshot(ctx)
		if err != nil {
			return nil, firewalldError(err, nil)
		}
		view = migrate.ViewOf(st)
	} else {
		var problems []error
		view, problems = migrate.ConfigView(m.firewalldDirs[0], m.firewalldDirs[len(m.firewalldDirs)-1])
		for _, err := range problems {
			warnings = append(warnings, fmt.Sprintf("%v: not loaded, so the plan does not know what it binds", err))
		}
	}
	plan := migrate.Make(migrate.Merge(perm, rt), view)
	plan.Warnings = warnings
	return plan, nil
}

func printPlan(p *printer, asJSON bool, plan *migrate.Plan) int {
	if !asJSON {
		return p.exit(strings.TrimSuffix(plan.Text(), "\n"), 0)
	}
	data, err := plan.JSON()
	if err != nil {
		return p.fail(err)
	}
	return p.exit(strings.TrimSuffix(string(data), "\n"), 0)
}

// jsonMigration is --migrate-direct --apply --output=json: the plan, what
// was done (and undone), and the error as "CODE: detail" when it failed.
type jsonMigration struct {
	Plan   *migrate.Plan   `json:"plan"`
	Result *migrate.Result `json:"result"`
	Error  string          `json:"error,omitempty"`
}

// applyPlan carries the plan out, then prints it with what was changed:
// after a failure, that is what was done and undone again, followed by the
// error.
func applyPlan(ctx context.Context, p *printer, asJSON bool, plan *migrate.Plan, direct migrate.Direct, rules migrate.Rules) int {
	res, err := migrate.Apply(ctx, plan, rules, direct)
	var fe *firewalld.Error
	if err != nil {
		fe = applyError(err)
	}
	if asJSON {
		// Lists as lists, also when empty, for scripts.
		for _, l := range []*[]migrate.Change{&res.Added, &res.Present} {
			if *l == nil {
				*l = []migrate.Change{}
			}
		}
		if res.Removed == nil {
			res.Removed = []migrate.Removal{}
		}
		out := jsonMigration{Plan: plan, Result: res}
		if fe != nil {
			out.Error = fe.Error()
		}
		data, jerr := json.MarshalIndent(out, "", "  ")
		if jerr != nil {
			return p.fail(jerr)
		}
		p.msg(string(data))
	} else {
		p.msg(plan.Text() + "\n" + strings.TrimSuffix(changes(res, err), "\n"))
	}
	if fe != nil {
		return p.fail(fe)
	}
	return 0
}

// changes is the part of --apply's output after the plan.
func changes(res *migrate.Result, err error) string {
	text := res.Text()
	switch {
	case text != "":
		return "Changes:\n" + indent(text)
	case err != nil:
		return "Changes: none"
	}
	return "Changes: none (no entry to replace)"
}

func indent(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

// applyError gives an error of migrate.Apply its code: mssclampd's and
// firewalld's own, kept through the wrapping that says what Apply was
// doing. A plan that needs policies first, or that the direct
// configuration no longer matches, is not something to retry: the
// administrator needs a new plan, and the text says so.
func applyError(err error) *firewalld.Error {
	var code firewalld.Code
	hint := ""
	switch {
	case errors.Is(err, migrate.ErrPoliciesMissing):
		code = firewalld.InvalidPolicy
		hint = "; nothing was changed: create them with the firewall-cmd commands the plan lists, then run mssclamp-cmd --migrate-direct again for a new plan"
	case errors.Is(err, migrate.ErrStale):
		code = firewalld.CommandFailed
		hint = "; nothing was changed: run mssclamp-cmd --migrate-direct again for a new plan"
	default:
		// mssclampd's errors (and the rule parser's) first, then
		// firewalld's.
		if code = firewalld.AsError(err).Code; code == firewalld.UnknownError {
			code = firewalld.AsError(firewalldError(err, nil)).Code
		}
	}
	text := err.Error() + hint
	if code == firewalld.UnknownError || strings.HasPrefix(text, code.Name()+":") {
		return coded(code, text)
	}
	return coded(code, code.Name()+": "+text)
}
