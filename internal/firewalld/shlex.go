package firewalld

import (
	"strings"
	"unicode/utf8"
)

// firewalld splits rich rules, and the arguments of direct passthroughs and
// rules in direct.xml, with Python's shlex.split (POSIX mode, no comments),
// and joins arguments with shlex.quote (functions.py splitArgs, joinArgs).

// ShlexError is where and why shlex.split gives up: Msg is Python's text,
// "No closing quotation" (Quote is the quote left open) or "No escaped
// character" (a trailing backslash; Quote is 0).
type ShlexError struct {
	Msg   string
	Off   int // byte offset of the open quote or the backslash
	Quote byte
}

func (e *ShlexError) Error() string { return e.Msg }

func isShellSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Split splits s like shlex.split, calling word for each word with the byte
// offset where it starts. A word that is one unquoted run of s is a
// substring of it; others are built.
func Split(s string, word func(w string, off int)) error {
	var buf []byte
	i := 0
	for {
		for i < len(s) && isShellSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return nil
		}
		start := i
		// Fast path: a plain word.
		for i < len(s) && !isShellSpace(s[i]) && s[i] != '"' && s[i] != '\'' && s[i] != '\\' {
			i++
		}
		if i >= len(s) || isShellSpace(s[i]) {
			word(s[start:i], start)
			continue
		}
		buf = append(buf[:0], s[start:i]...)
		for i < len(s) && !isShellSpace(s[i]) {
			switch c := s[i]; c {
			case '\\':
				if i+1 >= len(s) {
					return &ShlexError{Msg: "No escaped character", Off: i}
				}
				// The escaped character may be multi-byte: copy it whole.
				_, n := utf8.DecodeRuneInString(s[i+1:])
				buf = append(buf, s[i+1:i+1+n]...)
				i += 1 + n
			case '\'':
				j := strings.IndexByte(s[i+1:], '\'')
				if j < 0 {
					return &ShlexError{Msg: "No closing quotation", Off: i, Quote: '\''}
				}
				buf = append(buf, s[i+1:i+1+j]...)
				i += j + 2
			case '"':
				q := i
				i++
				for {
					if i >= len(s) {
						return &ShlexError{Msg: "No closing quotation", Off: q, Quote: '"'}
					}
					c := s[i]
					if c == '"' {
						i++
						break
					}
					if c == '\\' {
						if i+1 >= len(s) {
							return &ShlexError{Msg: "No escaped character", Off: i}
						}
						// Inside double quotes a backslash escapes only " and \.
						if n := s[i+1]; n == '"' || n == '\\' {
							buf = append(buf, n)
							i += 2
							continue
						}
					}
					buf = append(buf, c)
					i++
				}
			default:
				buf = append(buf, c)
				i++
			}
		}
		word(string(buf), start)
	}
}

// Quote quotes like Python's shlex.quote.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./-_", c) >= 0) {
			return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
		}
	}
	return s
}

// Join joins like firewalld's joinArgs: each argument quoted, then spaces.
func Join(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
