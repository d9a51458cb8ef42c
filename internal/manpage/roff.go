package manpage

import (
	"fmt"
	"regexp"
	"strings"
)

// glyphs maps the non-ASCII characters a source may use to roff escapes
// that render on every output device; anything else is refused so that a
// page never depends on the reader's locale.
var glyphs = map[rune]string{
	'—': `\(em`,
	'–': `\(en`,
	'≥': `\(>=`,
	'≤': `\(<=`,
	'→': `\(->`,
	'×': `\(mu`,
	'−': `\-`,
}

// escape makes s literal roff text: no requests, no escapes, minus signs
// and ASCII quotes.
func escape(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\'':
			b.WriteString(`\(aq`)
		case r == '`':
			b.WriteString(`\(ga`)
		case r == '~':
			b.WriteString(`\(ti`)
		case r == '^':
			b.WriteString(`\(ha`)
		case r == '\t':
			b.WriteString("        ")
		case r < 0x80:
			b.WriteRune(r)
		default:
			g, ok := glyphs[r]
			if !ok {
				return "", fmt.Errorf("character %q has no roff glyph here: use ASCII", r)
			}
			b.WriteString(g)
		}
	}
	return b.String(), nil
}

// line protects a line of output text that starts with a control character
// (a leading dot or apostrophe would be read as a request).
func line(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, `\(aq`) {
		return `\&` + s
	}
	return s
}

// inlineRE finds the inline markup of running text: `code`, *word*,
// <placeholder> and page references name(N).
var inlineRE = regexp.MustCompile("`[^`]+`|\\*[A-Za-z][^*]*\\*|<[A-Za-z][A-Za-z0-9_.-]*>|\\b[a-z][a-z0-9_.-]*\\([1-8]\\)")

// inline renders running text with its markup.
func inline(s string) (string, error) {
	return markup(s, inlineRE, func(tok string) (font, text, suffix string) {
		switch tok[0] {
		case '`':
			return "B", tok[1 : len(tok)-1], ""
		case '*', '<':
			return "I", tok[1 : len(tok)-1], ""
		}
		i := strings.IndexByte(tok, '(')
		return "B", tok[:i], tok[i:]
	})
}

// optionRE finds, in an option's synopsis ("-h, --help", "--zone=<zone>",
// "--encap=<kind>[,<option>...]"), the option names and the placeholders.
var optionRE = regexp.MustCompile(`--?[A-Za-z0-9][A-Za-z0-9-]*|<[^>]+>`)

// synopsis renders an option's names: options bold, placeholders italic,
// literal values and punctuation as they are.
func synopsis(s string) (string, error) {
	return markup(s, optionRE, func(tok string) (font, text, suffix string) {
		if tok[0] == '<' {
			return "I", tok[1 : len(tok)-1], ""
		}
		return "B", tok, ""
	})
}

// markup escapes s, setting each match of re in the font style says,
// followed by suffix in the regular font.
func markup(s string, re *regexp.Regexp, style func(tok string) (font, text, suffix string)) (string, error) {
	var b strings.Builder
	last := 0
	for _, m := range append(re.FindAllStringIndex(s, -1), []int{len(s), len(s)}) {
		plain, err := escape(s[last:m[0]])
		if err != nil {
			return "", err
		}
		b.WriteString(plain)
		if m[0] == len(s) {
			break
		}
		font, text, suffix := style(s[m[0]:m[1]])
		e, err := escape(text)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, `\f%s%s\fR%s`, font, e, suffix)
		last = m[1]
	}
	return b.String(), nil
}
