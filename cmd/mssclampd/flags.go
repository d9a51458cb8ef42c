package main

import (
	"fmt"

	flag "github.com/spf13/pflag"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// newFlags defines mssclampd's options into o; the man page mssclampd(8)
// lists the same flag set (see manpage_test.go).
func newFlags(o *options) (fs *flag.FlagSet, help, showVersion *bool) {
	fs = flag.NewFlagSet("mssclampd", flag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.configDir, "config-dir", store.DefaultDir, "the `directory` of the permanent configuration: zones/*.xml, policies/*.xml")
	fs.StringVar(&o.firewalldConf, "firewalld-conf", firewalld.DefaultConf, "firewalld's configuration `file`, read for FirewallBackend and CleanupOnExit")
	fs.StringVar(&o.backend, "backend", "auto", "the kernel `interface` to use: auto, nftables or iptables")
	fs.StringVar(&o.firewalld, "firewalld", "auto", "auto `mode` follows firewalld whenever it runs, off never does")
	fs.StringVar(&o.logLevel, "log-level", "info", "log lines less important than this `level` are left out: debug, info, warn or error")
	help = fs.BoolP("help", "h", false, "print this help and exit")
	showVersion = fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mssclampd [OPTIONS...]\n\nOptions:\n%s", fs.FlagUsages())
	}
	return fs, help, showVersion
}
