package migrate

import (
	"errors"
	"strings"
)

// firewalld stores the arguments of a passthrough or direct rule in
// direct.xml as one string, joined with shlex.quote and read back with
// shlex.split (firewall/functions.py joinArgs, splitArgs). These two do the
// same, so an entry read from the file equals the one firewalld holds.

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscaped      = errors.New("no escaped character")
)

func isShellSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// splitArgs splits like Python's shlex.split (POSIX mode, no comments).
func splitArgs(s string) ([]string, error) {
	var (
		out  []string
		word strings.Builder
		in   bool // inside a word (an empty quoted word counts)
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isShellSpace(c):
			if in {
				out = append(out, word.String())
				word.Reset()
				in = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errNoEscaped
			}
			i++
			word.WriteByte(s[i])
			in = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errNoClosingQuote
			}
			word.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; ; i++ {
				if i >= len(s) {
					return nil, errNoClosingQuote
				}
				if s[i] == '"' {
					break
				}
				// Inside double quotes a backslash escapes only " and \.
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				word.WriteByte(s[i])
			}
			in = true
		default:
			word.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, word.String())
	}
	return out, nil
}

// quoteArg quotes like Python's shlex.quote.
func quoteArg(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./-_", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// joinArgs joins like firewalld's joinArgs.
func joinArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}
