package store

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// ignored are the elements firewalld zones and policies have that mean
// nothing to us (services, ports, ...): read past, never written.
var ignored = map[string]bool{
	"service": true, "port": true, "protocol": true, "icmp-block": true, "icmp-type": true,
	"masquerade": true, "forward-port": true, "source-port": true, "forward": true,
	"icmp-block-inversion": true,
}

// rootAttrs are the attributes firewalld knows on the root element; we read
// priority and ignore the rest (firewalld ≥ 2.0 adds the zone priorities).
var rootAttrs = map[string][]string{
	"zone":   {"name", "immutable", "target", "version", "ingress-priority", "egress-priority"},
	"policy": {"version", "priority", "target"},
}

// position is a place in the file.
type position struct{ line, col int }

// reader walks one file's tokens, keeping the position of each token start
// and collecting problems.
type reader struct {
	path string
	data []byte
	d    *xml.Decoder
	at   position // where the last token returned by next began
	off  int64    // byte offset of that token
	errs []*FileError
}

func newReader(path string, data []byte) *reader {
	return &reader{path: path, data: data, d: xml.NewDecoder(bytes.NewReader(data))}
}

// next returns the next token, or nil at the end of the file. A syntax
// error is recorded and ends the walk.
func (r *reader) next() xml.Token {
	r.off = r.d.InputOffset()
	r.at.line, r.at.col = r.d.InputPos()
	tok, err := r.d.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		r.syntaxError(err)
		return nil
	}
	return tok
}

func (r *reader) syntaxError(err error) {
	line, col := r.d.InputPos()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		err = syntaxError{se}
	}
	r.errs = append(r.errs, &FileError{Path: r.path, Line: line, Column: col, Err: err})
}

// syntaxError shows an XML syntax error without its line: FileError has it.
type syntaxError struct{ *xml.SyntaxError }

func (e syntaxError) Error() string { return "XML syntax error: " + e.Msg }
func (e syntaxError) Unwrap() error { return e.SyntaxError }

func (r *reader) errorAt(p position, err error) {
	r.errs = append(r.errs, &FileError{Path: r.path, Line: p.line, Column: p.col, Err: err})
}

func parseError(format string, args ...any) error {
	return &firewalld.Error{Code: firewalld.ParseError, Msg: fmt.Sprintf(format, args...)}
}

// skip reads past the element just started, reporting syntax errors.
func (r *reader) skip() bool {
	if err := r.d.Skip(); err != nil {
		r.syntaxError(err)
		return false
	}
	return true
}

// root finds the document element, which must be want.
func (r *reader) root(want string) (*xml.StartElement, bool) {
	for {
		tok := r.next()
		switch t := tok.(type) {
		case nil:
			if len(r.errs) == 0 {
				r.errorAt(r.at, parseError("no <%s> element", want))
			}
			return nil, false
		case xml.StartElement:
			if t.Name.Space != "" || t.Name.Local != want {
				r.errorAt(r.at, parseError("root element is <%s>, expected <%s>", t.Name.Local, want))
				return nil, false
			}
			return &t, true
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				r.errorAt(r.at, parseError("text before <%s>", want))
				return nil, false
			}
		}
	}
}

// children calls child for each element inside the root, then checks that
// nothing but comments follows the root. child must consume its element.
func (r *reader) children(root string, child func(xml.StartElement, position) bool) {
	for {
		tok := r.next()
		switch t := tok.(type) {
		case nil:
			return
		case xml.StartElement:
			if !child(t, r.at) {
				return
			}
		case xml.EndElement:
			r.end(root)
			return
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				r.errorAt(r.at, parseError("text in <%s>", root))
			}
		}
	}
}

// end checks what follows the root element.
func (r *reader) end(root string) {
	for {
		tok := r.next()
		switch t := tok.(type) {
		case nil:
			return
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				r.errorAt(r.at, parseError("text after </%s>", root))
				return
			}
		case xml.StartElement, xml.EndElement, xml.Directive:
			r.errorAt(r.at, parseError("content after </%s>", root))
			return
		}
	}
}

// attrs checks an element's attributes against allowed and returns them by
// name; an unknown attribute is a problem, as in firewalld's parser.
func (r *reader) attrs(el xml.StartElement, at position, allowed ...string) (map[string]string, bool) {
	m := make(map[string]string, len(el.Attr))
	ok := true
	for _, a := range el.Attr {
		known := false
		for _, name := range allowed {
			known = known || (a.Name.Space == "" && a.Name.Local == name)
		}
		if !known {
			r.errorAt(at, parseError("%s: Unexpected attribute %s", el.Name.Local, attrName(a.Name)))
			ok = false
			continue
		}
		m[a.Name.Local] = a.Value
	}
	return m, ok
}

func attrName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// require returns a mandatory attribute.
func (r *reader) require(m map[string]string, el string, name string, at position) (string, bool) {
	v, ok := m[name]
	if !ok {
		r.errorAt(at, parseError("Missing attribute %s for %s", name, el))
	}
	return v, ok
}

// empty reads to the end of an element that must have no content.
func (r *reader) empty(el xml.StartElement) bool {
	for {
		tok := r.next()
		switch t := tok.(type) {
		case nil:
			return false
		case xml.EndElement:
			return true
		case xml.StartElement:
			r.errorAt(r.at, parseError("unexpected element <%s> in <%s>", t.Name.Local, el.Name.Local))
			return r.skip() && r.empty(el)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				r.errorAt(r.at, parseError("text in <%s>", el.Name.Local))
			}
		}
	}
}

// text reads the content of <short> or <description>. Like firewalld, a
// newline becomes a space.
func (r *reader) text(el xml.StartElement, at position) (string, bool) {
	r.attrs(el, at)
	var b strings.Builder
	for {
		tok := r.next()
		switch t := tok.(type) {
		case nil:
			return "", false
		case xml.EndElement:
			return strings.ReplaceAll(b.String(), "\n", " "), true
		case xml.StartElement:
			r.errorAt(r.at, parseError("unexpected element <%s> in <%s>", t.Name.Local, el.Name.Local))
			if !r.skip() {
				return "", false
			}
		case xml.CharData:
			b.Write(t)
		}
	}
}

// ruleSet collects the rules of a file and finds duplicates.
type ruleSet struct {
	list  []*richrule.Rule
	first map[string]int // key -> line of its first occurrence
}

// rule decodes the <rule> element just started. It is read on its own,
// from its bytes, so that a rule the richrule package refuses leaves the
// walk of the file intact and every bad rule is reported.
func (r *reader) rule(at position, rs *ruleSet) bool {
	start := r.off
	if !r.skip() {
		return false
	}
	d := xml.NewDecoder(bytes.NewReader(r.data[start:r.d.InputOffset()]))
	tok, err := d.Token()
	if err == nil {
		rule := new(richrule.Rule)
		se := tok.(xml.StartElement)
		if err = d.DecodeElement(rule, &se); err == nil {
			r.addRule(rule, at, rs)
			return true
		}
	}
	var re *firewalld.Error
	if errors.As(err, &re) && re.Line > 0 {
		// Move the position from the rule's text to the file, and from the
		// error's text to the FileError's prefix.
		base := at
		at = position{line: base.line + re.Line - 1, col: re.Column}
		if re.Line == 1 {
			at.col += base.col - 1
		}
		moved := *re
		moved.Line, moved.Column = 0, 0
		err = &moved
	}
	r.errorAt(at, err)
	return true
}

func (r *reader) addRule(rule *richrule.Rule, at position, rs *ruleSet) {
	key := rule.Key()
	if line, dup := rs.first[key]; dup {
		r.errorAt(at, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf(
			"rule '%s' already at line %d", rule, line)})
		return
	}
	if rs.first == nil {
		rs.first = map[string]int{}
	}
	rs.first[key] = at.line
	rs.list = append(rs.list, rule)
}

// other handles an element that is neither ours nor a rule: firewalld's
// elements we do not use are skipped, anything else is a problem.
func (r *reader) other(el xml.StartElement, at position, root string) bool {
	if el.Name.Space != "" || !ignored[el.Name.Local] {
		r.errorAt(at, parseError("Unexpected element %s in <%s>", el.Name.Local, root))
	}
	return r.skip()
}
