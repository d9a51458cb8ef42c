package migrate

import (
	"errors"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// firewalld stores the arguments of a passthrough or direct rule in
// direct.xml as one string, joined with shlex.quote and read back with
// shlex.split (firewall/functions.py joinArgs, splitArgs); firewalld.Split
// and firewalld.Join do the same, so an entry read from the file equals the
// one firewalld holds.

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscaped      = errors.New("no escaped character")
)

// splitArgs splits like Python's shlex.split.
func splitArgs(s string) ([]string, error) {
	var out []string
	err := firewalld.Split(s, func(w string, _ int) { out = append(out, w) })
	var se *firewalld.ShlexError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &se) && se.Quote != 0:
		return nil, errNoClosingQuote
	case errors.As(err, &se):
		return nil, errNoEscaped
	}
	return nil, err
}
