package main

import (
	"fmt"
	"io"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// printer writes as firewall-cmd's FirewallCommand does: messages to
// stdout, warnings and errors to stderr (in red on a terminal), and with
// --quiet nothing at all but the verbose lines.
type printer struct {
	out, err io.Writer
	color    bool // stderr is a terminal
	quiet    bool
	verbose  bool
}

// msg prints a status line (print_msg).
func (p *printer) msg(s string) {
	if !p.quiet {
		fmt.Fprintln(p.out, s)
	}
}

// warn prints a warning or an error (print_warning).
func (p *printer) warn(s string) {
	if p.quiet {
		return
	}
	if p.color {
		s = "\033[91m" + s + "\033[00m"
	}
	fmt.Fprintln(p.err, s)
}

// info prints a line only with --verbose (print_if_verbose), even with
// --quiet, which argparse already keeps from being combined with it.
func (p *printer) info(s string) {
	if p.verbose {
		fmt.Fprintln(p.out, s)
	}
}

// exit prints s as firewall-cmd's print_and_exit does — on stdout for
// status 0 and 1, as a warning otherwise — and returns the status.
func (p *printer) exit(s string, status int) int {
	if status > 1 {
		p.warn(s)
	} else {
		p.msg(s)
	}
	return status
}

// usage fails like firewall-cmd's cmd.fail(parser.format_usage() + msg).
func (p *printer) usage(msg string) int {
	return p.exit(usageLine+msg, 2)
}

// fail reports err as "Error: CODE: detail" and returns its exit status;
// NOT_AUTHORIZED gets firewall-cmd's own text instead.
func (p *printer) fail(err error) int {
	fe := firewalld.AsError(err)
	if fe.Code == firewalld.NotAuthorized {
		return p.exit(authFailedText, fe.Code.Number())
	}
	return p.exit("Error: "+fe.Error(), fe.Code.Number())
}
