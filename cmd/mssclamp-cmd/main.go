// Command mssclamp-cmd is firewall-cmd for rich rules, with tcp-mss-clamp
// working on any firewalld: the same options, output and exit codes as
// firewall-cmd (firewalld 1.3.3), reproduced from its source.
//
// Each rule goes to the daemon that holds it: a rule with tcp-mss-clamp to
// mssclampd (org.mssclamp.MssClamp1), any other rule to firewalld over
// firewalld's own D-Bus API, at runtime or --permanent; --list-rich-rules
// shows both, --reload and --runtime-to-permanent act on both. Both daemons
// are on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). Rules are
// parsed here first, so an invalid rule fails with firewalld's code without
// asking anyone. mssclampd is called through dbus.Client, firewalld through
// dbus.Firewalld; every error is a *firewalld.Error, whose code is the exit
// status.
//
// --offline edits mssclampd's permanent files directly, as
// firewall-offline-cmd edits firewalld's, and --offline
// --list-backend-rules shows what mssclampd would install for them.
//
// --migrate-direct plans (and with --apply carries out) the move of
// firewalld's TCPMSS direct passthroughs to our rules (package migrate);
// --suggest-mss computes the MSS behind an encapsulation (package mss).
// Neither needs mssclampd to make its plan or its numbers.
//
// Where this differs from firewall-cmd, and why, is said where it happens;
// testdata/cli holds transcripts that the system tests also run with
// firewall-cmd and firewall-offline-cmd. The differences: a rule error adds
// where and why in parentheses after firewalld's terse text; value=pmtu and
// no value are one rule (firewalld 1.3.3 keeps them apart, a defect);
// firewall-cmd's hint about active zones other than the default zone is not
// printed (it would cost a call to firewalld on every command); options of
// our own (--list-backend-rules, --output, --offline, --config-dir,
// --backend, counters with --verbose, --migrate-direct, --suggest-mss and
// their options, --list-metrics). argparse's parsing, abbreviations
// and error texts included, is reproduced by internal/argparse, which pflag
// cannot do.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	godbus "github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/buildinfo"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// version is stamped by `make build` (see package buildinfo).
var version = buildinfo.Version()

// callTimeout bounds the whole command: a reload of firewalld can take
// seconds, but a daemon that holds its name and never answers must not
// hang a script forever.
const callTimeout = 2 * time.Minute

// env is what run needs from the world; main passes the real one.
type env struct {
	stdout, stderr io.Writer
	stderrTTY      bool
	dial           func() (*godbus.Conn, error)
	machine        machine
}

func main() {
	os.Exit(run(os.Args[1:], env{
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stderrTTY: isTerminal(os.Stderr),
		dial:      func() (*godbus.Conn, error) { return godbus.ConnectSystemBus() },
		machine:   defaultMachine,
	}))
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// run is the command; it returns the exit status.
func run(args []string, e env) int {
	o, err := parseOptions(args)
	if err != nil {
		// argparse prints its errors whatever --quiet says.
		fmt.Fprintf(e.stderr, "%smssclamp-cmd: error: %v\n", usageLine, err)
		return 2
	}
	p := &printer{out: e.stdout, err: e.stderr, color: e.stderrTTY, quiet: o.quiet, verbose: o.verbose}
	timeout, status := checkOptions(o, p)
	if status != proceed {
		return status
	}
	if o.help {
		fmt.Fprint(e.stdout, helpText)
		return 0
	}
	if o.suggestMSS {
		return runSuggest(o, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if o.migrateDirect {
		return runMigrate(ctx, o, p, e)
	}
	if o.listMetrics {
		return runMetrics(ctx, o, p, e.dial)
	}
	if o.offline {
		return runOffline(ctx, o, p, e.machine)
	}
	return runOnline(ctx, o, p, e.dial, timeout)
}

// checkOptions refuses the combinations firewall-cmd refuses, with its
// words and in its order, after ours (options firewall-cmd does not have).
// It returns the timeout in seconds, and proceed or an exit status.
func checkOptions(o *options, p *printer) (int32, int) {
	switch {
	case o.offline && (o.state || o.reload || o.runtimeToPermanent):
		return 0, p.usage("Can't use --offline with --state, --reload or --runtime-to-permanent.")
	case o.configDir != "" && !o.offline:
		return 0, p.usage("--config-dir is only usable with --offline.")
	case o.backend != "" && !(o.offline && o.listBackendRules):
		return 0, p.usage("--backend is only usable with --offline --list-backend-rules.")
	case o.offline && (o.migrateDirect || o.suggestMSS):
		return 0, p.usage("Can't use --offline with --migrate-direct or --suggest-mss.")
	case len(o.migrateGiven) > 0 && !o.migrateDirect:
		return 0, p.usage(o.migrateGiven[0] + " is only usable with --migrate-direct.")
	case len(o.suggestGiven) > 0 && !o.suggestMSS:
		return 0, p.usage(o.suggestGiven[0] + " is only usable with --suggest-mss.")
	case o.suggestMSS && !slices.Contains(o.suggestGiven, "--mtu") && !slices.Contains(o.suggestGiven, "--mtu-of"):
		return 0, p.usage("--suggest-mss needs --mtu or --mtu-of.")
	case o.json && !(o.list || o.listBackendRules || o.migrateDirect || o.suggestMSS):
		return 0, p.usage("--output=json is only usable with --list-rich-rules, --list-backend-rules, --migrate-direct and --suggest-mss.")
	case o.standalone() && (o.zoneOrPolicy() || o.permanent):
		return 0, p.usage("Can't use stand-alone options with other options.")
	}
	timeout, ok := parseTimeout(o.timeout)
	switch {
	case !ok:
		return 0, p.usage(fmt.Sprintf("'%s' is wrong timeout value. Use for example '2m' or '1h'", o.timeout))
	case timeout != 0 && len(o.add) == 0:
		return 0, p.usage("Wrong --timeout usage")
	case timeout != 0 && (o.permanent || o.offline):
		return 0, p.usage("Can't specify timeout for permanent action.")
	case o.quiet && o.listGet():
		// firewall-cmd says this one even though --quiet was given.
		p.quiet = false
		return 0, p.exit("-q/--quiet can't be used with this option(s)", 2)
	case o.zone != "" && o.policy != "":
		return 0, p.usage("Can't use --zone with --policy.")
	}
	return timeout, proceed
}

// theTarget is the zone or policy the options name.
func theTarget(o *options) target {
	if o.policy != "" {
		return target{firewalld.PolicyScope(o.policy), o.permanent || o.offline}
	}
	return target{firewalld.ZoneScope(o.zone), o.permanent || o.offline}
}

// runOnline talks to mssclampd and, for rules that are not tcp-mss-clamp,
// to firewalld.
func runOnline(ctx context.Context, o *options, p *printer, dial func() (*godbus.Conn, error), timeout int32) int {
	conn, err := dial()
	if err != nil {
		if o.state {
			return p.exit("not running", firewalld.NotRunning.Number())
		}
		return p.fail(firewalld.Errorf(firewalld.NotRunning, "cannot connect to the system bus: %v", err))
	}
	defer conn.Close()
	ours := &daemon{mdbus.NewClient(conn)}
	running, err := ours.Running(ctx)
	if err != nil {
		return p.fail(err)
	}
	if !(o.standalone() || o.zoneOps() || o.policy != "" || o.timeout != "0") {
		state := "State: not running"
		if running {
			state = "State: running"
		}
		return p.exit(state+"\n\nNo options specified\n"+strings.TrimSuffix(usageLine, "\n"), 2)
	}
	if !running {
		if o.state {
			return p.exit("not running", firewalld.NotRunning.Number())
		}
		return p.fail(mdbus.ErrServiceNotRunning)
	}
	h := &onlineHost{ours: ours, fw: mdbus.NewFirewalld(conn)}
	switch {
	case o.version:
		v, err := ours.Property(ctx, "version")
		if err != nil {
			return p.fail(err)
		}
		return p.exit(v, 0)
	case o.state:
		return p.exit("running", 0)
	case o.reload:
		err = h.reload(ctx)
	case o.runtimeToPermanent:
		err = h.runtimeToPermanent(ctx)
	case o.listBackendRules:
		return printBackendRules(ctx, o, p, ours)
	default:
		t := theTarget(o)
		if o.zoneOps() && t.Name == "" && !t.Policy && !o.json && p.verbose {
			zone, err := h.defaultZone(ctx)
			if err != nil {
				return p.fail(err)
			}
			p.info(fmt.Sprintf("No zone specified, using default zone, i.e. '%s'", zone))
		}
		if status := zoneOps(ctx, o, p, h, t, timeout); status != proceed {
			return status
		}
	}
	if err != nil {
		return p.fail(err)
	}
	return p.exit("success", 0)
}

// runOffline edits mssclampd's files as firewall-offline-cmd edits
// firewalld's.
func runOffline(ctx context.Context, o *options, p *printer, m machine) int {
	if !(o.version || o.listBackendRules || o.zoneOps() || o.zone != "" || o.policy != "") {
		return p.usage("No option specified.")
	}
	if o.version {
		return p.exit(version, 0)
	}
	dir := o.configDir
	if dir == "" {
		dir = store.DefaultDir
	}
	h, err := newOfflineHost(dir, m)
	if err != nil {
		return p.fail(err)
	}
	if o.listBackendRules {
		kind, text, err := offlineBackendRules(dir, h.defaultName, o.backend, m, p.warn)
		if err != nil {
			return p.fail(err)
		}
		return printRendered(p, o.json, string(kind), text)
	}
	t := theTarget(o)
	if err := h.open(t); err != nil {
		fe := firewalld.AsError(err)
		if fe.Code == firewalld.CommandFailed {
			return p.fail(fe)
		}
		// firewall-offline-cmd's lookups fail outside its sequences, where
		// errors are printed without "Error: ".
		return p.exit(fe.Error(), fe.Code.Number())
	}
	if status := zoneOps(ctx, o, p, h, t, 0); status != proceed {
		return status
	}
	if err := h.commit(); err != nil {
		return p.fail(err)
	}
	return p.exit("success", 0)
}

// zoneOps runs the rich-rule action on t. It returns proceed when the
// command goes on to print "success".
func zoneOps(ctx context.Context, o *options, p *printer, h ruleHost, t target, timeout int32) int {
	switch {
	case o.list:
		return printList(ctx, o, p, h, t)
	case len(o.add) > 0:
		return sequence(p, o.add, func(r ruleArg) error { return h.add(ctx, t, r, timeout) })
	case len(o.remove) > 0:
		return sequence(p, o.remove, func(r ruleArg) error { return h.remove(ctx, t, r) })
	case len(o.query) > 0:
		return querySequence(p, o.query, func(r ruleArg) (bool, error) { return h.query(ctx, t, r) })
	}
	// --policy alone: firewall-cmd reads the policy, so a missing one fails.
	if err := h.check(ctx, t); err != nil {
		return p.fail(err)
	}
	return proceed
}
