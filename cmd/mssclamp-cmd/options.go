package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/cmd/mssclamp-cmd/internal/argparse"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Mutually exclusive groups, as in firewall-cmd's parser: -v/-q; the
// stand-alone actions; the per-zone (or per-policy) actions; and ours, the
// two ways of giving --suggest-mss its link MTU.
const (
	groupOutput = iota + 1
	groupStandalone
	groupZoneOrPolicy
	groupMTU
)

// optionTable lists the options in firewall-cmd's order of definition,
// which decides which option an argparse error names; ours come last.
var optionTable = []argparse.Option{
	{Long: "--verbose", Short: "-v", Kind: argparse.Flag, Group: groupOutput},
	{Long: "--quiet", Short: "-q", Kind: argparse.Flag, Group: groupOutput},
	{Long: "--help", Short: "-h", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--version", Short: "-V", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--state", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--reload", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--runtime-to-permanent", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--list-backend-rules", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--permanent", Kind: argparse.Flag},
	{Long: "--zone", Kind: argparse.Value},
	{Long: "--policy", Kind: argparse.Value},
	{Long: "--timeout", Kind: argparse.Value},
	{Long: "--add-rich-rule", Kind: argparse.Append, Group: groupZoneOrPolicy},
	{Long: "--remove-rich-rule", Kind: argparse.Append, Group: groupZoneOrPolicy},
	{Long: "--query-rich-rule", Kind: argparse.Append, Group: groupZoneOrPolicy},
	{Long: "--list-rich-rules", Kind: argparse.Flag, Group: groupZoneOrPolicy},
	{Long: "--offline", Kind: argparse.Flag},
	{Long: "--config-dir", Kind: argparse.Value},
	{Long: "--output", Kind: argparse.Value},
	{Long: "--backend", Kind: argparse.Value},
	{Long: "--migrate-direct", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--from", Kind: argparse.Value},
	{Long: "--apply", Kind: argparse.Flag},
	{Long: "--suggest-mss", Kind: argparse.Flag, Group: groupStandalone},
	{Long: "--mtu", Kind: argparse.Value, Group: groupMTU},
	{Long: "--mtu-of", Kind: argparse.Value, Group: groupMTU},
	{Long: "--encap", Kind: argparse.Value},
	{Long: "--family", Kind: argparse.Value},
	{Long: "--conservative", Kind: argparse.Flag},
	{Long: "--list-metrics", Kind: argparse.Flag, Group: groupStandalone},
}

// migrateOptions and suggestOptions are the options that only
// --migrate-direct and only --suggest-mss take.
var (
	migrateOptions = []string{"--from", "--apply"}
	suggestOptions = []string{"--mtu", "--mtu-of", "--encap", "--family", "--conservative"}
)

// options is a parsed command line.
type options struct {
	verbose, quiet bool

	help, version, state, reload, runtimeToPermanent, listBackendRules bool

	permanent bool
	zone      string
	policy    string
	timeout   string // as given; "0" when not given, as firewall-cmd keeps it

	add, remove, query []string
	list               bool

	offline   bool
	configDir string // "" when not given
	json      bool   // --output=json
	backend   string // --backend, "" when not given

	migrateDirect bool
	from          string // --from, "" when not given
	apply         bool

	suggestMSS   bool
	mtu          int    // --mtu, 0 when not given
	mtuOf        string // --mtu-of, "" when not given
	encap        string // --encap, "none" when not given
	family       string // --family, "" (both) when not given
	conservative bool

	listMetrics bool // --list-metrics (metrics.go)

	// migrateGiven and suggestGiven list the options of migrateOptions and
	// suggestOptions that were given, for checkOptions.
	migrateGiven, suggestGiven []string
}

func parseOptions(args []string) (*options, error) {
	r, err := argparse.Parse(optionTable, args)
	if err != nil {
		return nil, err
	}
	o := &options{
		verbose:            r.Flags["--verbose"],
		quiet:              r.Flags["--quiet"],
		help:               r.Flags["--help"],
		version:            r.Flags["--version"],
		state:              r.Flags["--state"],
		reload:             r.Flags["--reload"],
		runtimeToPermanent: r.Flags["--runtime-to-permanent"],
		listBackendRules:   r.Flags["--list-backend-rules"],
		permanent:          r.Flags["--permanent"],
		zone:               r.Values["--zone"],
		policy:             r.Values["--policy"],
		timeout:            "0",
		add:                r.Lists["--add-rich-rule"],
		remove:             r.Lists["--remove-rich-rule"],
		query:              r.Lists["--query-rich-rule"],
		list:               r.Flags["--list-rich-rules"],
		offline:            r.Flags["--offline"],
		configDir:          r.Values["--config-dir"],
		backend:            r.Values["--backend"],
		migrateDirect:      r.Flags["--migrate-direct"],
		from:               r.Values["--from"],
		apply:              r.Flags["--apply"],
		suggestMSS:         r.Flags["--suggest-mss"],
		mtuOf:              r.Values["--mtu-of"],
		encap:              "none",
		family:             r.Values["--family"],
		conservative:       r.Flags["--conservative"],
		listMetrics:        r.Flags["--list-metrics"],
	}
	for _, name := range migrateOptions {
		if r.Set(name) {
			o.migrateGiven = append(o.migrateGiven, name)
		}
	}
	for _, name := range suggestOptions {
		if r.Set(name) {
			o.suggestGiven = append(o.suggestGiven, name)
		}
	}
	if v, ok := r.Values["--encap"]; ok {
		o.encap = v
	}
	if v, ok := r.Values["--mtu"]; ok {
		// argparse's type=int: Python's int() also takes surrounding
		// blanks and a sign; the range is checked with the calculation.
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, &argparse.Error{Msg: fmt.Sprintf("argument --mtu: invalid int value: '%s'", v)}
		}
		o.mtu = n
	}
	switch o.family {
	case "", "ipv4", "ipv6":
	default:
		return nil, &argparse.Error{Msg: fmt.Sprintf("argument --family: invalid choice: '%s' (choose from 'ipv4', 'ipv6')", o.family)}
	}
	if v, ok := r.Values["--timeout"]; ok {
		o.timeout = v
	}
	switch o.backend {
	case "", "auto", "nftables", "iptables":
	default:
		return nil, &argparse.Error{Msg: fmt.Sprintf("argument --backend: invalid choice: '%s' (choose from 'auto', 'nftables', 'iptables')", o.backend)}
	}
	if v, ok := r.Values["--output"]; ok {
		switch v {
		case "json":
			o.json = true
		case "text":
		default:
			return nil, &argparse.Error{Msg: fmt.Sprintf("argument --output: invalid choice: '%s' (choose from 'text', 'json')", v)}
		}
	}
	return o, nil
}

// The option groups firewall-cmd's checks are written in terms of.

// standalone: the actions that take no zone.
func (o *options) standalone() bool {
	return o.help || o.version || o.state || o.reload || o.runtimeToPermanent || o.listBackendRules ||
		o.migrateDirect || o.suggestMSS || o.listMetrics
}

// zoneOps: the actions on a zone's or policy's rules.
func (o *options) zoneOps() bool {
	return len(o.add) > 0 || len(o.remove) > 0 || len(o.query) > 0 || o.list
}

// zoneOrPolicy is firewall-cmd's options_zone (or options_policy): a
// timeout that is not literally "0" counts, even "00".
func (o *options) zoneOrPolicy() bool {
	return o.zone != "" || o.policy != "" || o.timeout != "0" || o.zoneOps()
}

// listGet: the actions that only print, where --quiet makes no sense.
// --migrate-direct --apply changes something, so it may be quiet.
func (o *options) listGet() bool {
	return o.help || o.version || o.list || o.listBackendRules || o.suggestMSS || o.listMetrics || (o.migrateDirect && !o.apply)
}

// parseTimeout reads firewall-cmd's --timeout: "N", "Ns", "Nm" or "Nh"
// (the unit in either case), N a decimal. It returns seconds, or false with
// firewall-cmd's complaint. Like firewall-cmd, "0" means no timeout.
func parseTimeout(s string) (int32, bool) {
	if s == "0" {
		return 0, true
	}
	digits, unit := s, byte('s')
	if len(s) > 1 && !firewalld.IsDigits(s) {
		digits, unit = s[:len(s)-1], s[len(s)-1]|0x20
	}
	if !firewalld.IsDigits(digits) {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil {
		return 0, false
	}
	mult := map[byte]int64{'s': 1, 'm': 60, 'h': 3600}[unit]
	if mult == 0 || n*mult > 1<<31-1 {
		return 0, false
	}
	return int32(n * mult), true
}
