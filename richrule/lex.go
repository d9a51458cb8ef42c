package richrule

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The tokenizer follows firewalld 1.3.3: delete control characters (code
// points 0-31 and 127-159), split like Python's shlex.split (POSIX mode:
// single and double quotes, backslash escapes, whitespace " \t\r\n"), then
// cut each word at "=" into an attribute or keep it as an element keyword.

// token is a word of the rule: an element keyword (name only) or an
// attribute name=value. off is the byte offset of the word's first
// character in the cleaned text.
type token struct {
	name, value string
	attr        bool
	off         int
}

// eolWord is the marker firewalld appends after the last word. firewalld
// 1.3.3 compares words against it as a string, so a literal EOL in the rule
// ends it too; we keep that.
const eolWord = "EOL"

// input is the rule text after control characters are deleted, with what
// is needed to map an offset back to a column of the original text.
type input struct {
	orig  string
	text  string
	clean bool // text == orig: offsets map to columns directly
	ascii bool
}

func newInput(s string) (*input, *firewalld.Error) {
	in := &input{orig: s, text: s, clean: true, ascii: true}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			in.ascii = false
			break
		}
		if c < 32 || c == 127 {
			in.clean = false
		}
	}
	if in.ascii && in.clean {
		return in, nil
	}
	var b strings.Builder
	col := 0
	for i, r := range s {
		col++
		switch {
		case r == utf8.RuneError && isBadUTF8(s[i:]):
			return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: "invalid UTF-8", Column: col, Detailed: true,
				Construct: "rule text", Expected: "UTF-8 text"}
		case r == 0xFFFE || r == 0xFFFF:
			return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: "character " + quoteRune(r) + " cannot be stored",
				Column: col, Detailed: true, Construct: "rule text", Expected: "characters XML can hold"}
		case r < 32 || (r >= 127 && r < 160):
			in.clean = false
		default:
			b.WriteRune(r)
		}
	}
	if !in.clean {
		in.text = b.String()
	}
	return in, nil
}

func isBadUTF8(s string) bool {
	_, n := utf8.DecodeRuneInString(s)
	return n <= 1
}

func quoteRune(r rune) string {
	const hex = "0123456789ABCDEF"
	return "U+" + string([]byte{hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15]})
}

// column gives the 1-based column in the original text of byte offset off
// of the cleaned text.
func (in *input) column(off int) int {
	if in.clean && in.ascii {
		return off + 1
	}
	// Walk the original, skipping deleted characters, until off bytes of
	// cleaned text have been passed.
	col, seen := 0, 0
	for _, r := range in.orig {
		col++
		if r < 32 || (r >= 127 && r < 160) {
			continue
		}
		if seen >= off {
			return col
		}
		seen += utf8.RuneLen(r)
	}
	return col + 1
}

// words splits like shlex.split(text); an unterminated quote or a trailing
// backslash is located in the rule text.
func (in *input) words(dst []token) ([]token, *firewalld.Error) {
	err := firewalld.Split(in.text, func(w string, off int) { dst = append(dst, token{name: w, off: off}) })
	var se *firewalld.ShlexError
	switch {
	case err == nil:
		return dst, nil
	case !errors.As(err, &se):
		return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: err.Error()}
	case se.Quote != 0:
		return nil, in.lexError(se.Msg, se.Off, "quoted text", "a closing "+string(se.Quote))
	}
	return nil, in.lexError(se.Msg, se.Off, "escape", "a character after the backslash")
}

func (in *input) lexError(msg string, off int, construct, expected string) *firewalld.Error {
	return &firewalld.Error{Code: firewalld.InvalidRule, Msg: msg, Column: in.column(off), Detailed: true,
		Construct: construct, Expected: expected}
}

// lex turns the text into tokens, ending with the EOL marker. It reports
// the first word with a bad "=" the way firewalld's _lexer does, before
// any parsing.
func (in *input) lex(dst []token) ([]token, *firewalld.Error) {
	toks, err := in.words(dst)
	if err != nil {
		return nil, err
	}
	for k := range toks {
		t := &toks[k]
		eq := strings.IndexByte(t.name, '=')
		if eq < 0 {
			continue
		}
		name, value := t.name[:eq], t.name[eq+1:]
		if name == "" || value == "" || strings.IndexByte(value, '=') >= 0 {
			return nil, &firewalld.Error{Code: firewalld.InvalidRule, Msg: "internal error in _lexer(): " + t.name,
				Column: in.column(t.off), Detailed: true, Construct: "attribute",
				Found: quote(t.name), Expected: "name=value with a non-empty name and value and one '='"}
		}
		t.name, t.value, t.attr = name, value, true
	}
	return append(toks, token{name: eolWord, off: len(in.text)}), nil
}

func quote(s string) string { return `"` + s + `"` }
