package store

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// writer produces XML byte for byte as firewalld's IO_Object_XMLGenerator
// does: 2-space indentation, empty elements as <x/>, attributes quoted by
// Python's saxutils.quoteattr, text escaped by saxutils.escape.
type writer struct{ b bytes.Buffer }

func (w *writer) header() { w.b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n") }

func (w *writer) tag(indent int, name string, attrs []xml.Attr, close string) {
	w.b.WriteString(strings.Repeat(" ", indent))
	w.b.WriteString("<" + name)
	for _, a := range attrs {
		w.b.WriteString(" " + a.Name.Local + "=" + quoteAttr(a.Value))
	}
	w.b.WriteString(close)
}

func (w *writer) open(indent int, name string, attrs ...xml.Attr) { w.tag(indent, name, attrs, ">\n") }
func (w *writer) empty(indent int, name string, attrs ...xml.Attr) {
	w.tag(indent, name, attrs, "/>\n")
}
func (w *writer) close(indent int, name string) {
	w.b.WriteString(strings.Repeat(" ", indent) + "</" + name + ">\n")
}

// text writes <name>s</name>; firewalld writes nothing for an empty string.
func (w *writer) text(name, s string) {
	if s != "" {
		w.b.WriteString("  <" + name + ">" + escapeText(s) + "</" + name + ">\n")
	}
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

// escapeText is saxutils.escape.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// quoteAttr is saxutils.quoteattr: escaped, newlines and tabs as character
// references, and single quotes around a value with a double quote in it.
func quoteAttr(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\n", "&#10;", "\r", "&#13;", "\t", "&#9;").Replace(s)
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + strings.ReplaceAll(s, `"`, "&quot;") + `"`
}

// rules writes each rule at indentation 2, in firewalld's layout. The XML
// form itself is the richrule package's; it is re-read here only to lay it
// out as firewalld does.
func (w *writer) rules(list []*richrule.Rule) error {
	seen := make(map[string]bool, len(list))
	for i, r := range list {
		if r == nil {
			return fmt.Errorf("rule %d is nil", i+1)
		}
		if err := r.Check(); err != nil {
			return fmt.Errorf("rule '%s': %w", r, err)
		}
		key := r.Key()
		if seen[key] {
			return &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("rule '%s' twice", r)}
		}
		seen[key] = true
		var buf bytes.Buffer
		e := xml.NewEncoder(&buf)
		if err := e.EncodeElement(r, xml.StartElement{Name: xml.Name{Local: "rule"}}); err != nil {
			return fmt.Errorf("rule '%s': %w", r, err)
		}
		if err := e.Close(); err != nil {
			return fmt.Errorf("rule '%s': %w", r, err)
		}
		if err := w.element(xml.NewDecoder(&buf), 2); err != nil {
			return fmt.Errorf("rule '%s': %w", r, err)
		}
	}
	return nil
}

// element lays out the next element of d and everything in it.
func (w *writer) element(d *xml.Decoder, indent int) error {
	start, err := nextStart(d)
	if err != nil {
		return err
	}
	// Peek: an element without children is written empty.
	var children []xml.Token
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return fmt.Errorf("text in <%s> is not firewalld's form", start.Name.Local)
			}
			continue
		}
		if depth < 0 {
			break
		}
		children = append(children, xml.CopyToken(tok))
	}
	if len(children) == 0 {
		w.empty(indent, start.Name.Local, start.Attr...)
		return nil
	}
	w.open(indent, start.Name.Local, start.Attr...)
	sub := xml.NewTokenDecoder(&tokens{list: children})
	for {
		if err := w.element(sub, indent+2); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	w.close(indent, start.Name.Local)
	return nil
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			for _, a := range s.Attr {
				if a.Name.Space != "" {
					return s, errors.New("namespaced attribute is not firewalld's form")
				}
			}
			return s, nil
		}
	}
}

// tokens replays a token list.
type tokens struct{ list []xml.Token }

func (t *tokens) Token() (xml.Token, error) {
	if len(t.list) == 0 {
		return nil, io.EOF
	}
	tok := t.list[0]
	t.list = t.list[1:]
	return tok, nil
}

// checkText refuses what cannot be written into the file and read back.
func checkText(what, s string) error {
	if !firewalld.IsXMLText(s) {
		return fmt.Errorf("%s %q has characters an XML file cannot hold", what, s)
	}
	return nil
}

// checkHead checks what zone and policy files share: the name (nameErr),
// short and description.
func checkHead(nameErr error, short, desc string) error {
	if nameErr != nil {
		return nameErr
	}
	if err := checkText("short", short); err != nil {
		return err
	}
	return checkText("description", desc)
}

// start writes what zone and policy files share: the root, short,
// description and rules.
func (w *writer) start(root string, short, desc string, rules []*richrule.Rule, attrs ...xml.Attr) error {
	w.header()
	w.open(0, root, attrs...)
	w.text("short", short)
	w.text("description", desc)
	return w.rules(rules)
}

// encodeZone checks z and writes its file in firewalld's order: short,
// description, rules, interfaces, sources (zone_writer).
func encodeZone(z *Zone) ([]byte, error) {
	var w writer
	if err := checkHead(firewalld.ValidZoneName(z.Name), z.Short, z.Description); err != nil {
		return nil, err
	}
	if err := w.start("zone", z.Short, z.Description, z.Rules); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, i := range z.Interfaces {
		if err := firewalld.CheckInterface(i); err != nil {
			return nil, err
		}
		if seen[i] {
			return nil, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("interface '%s' twice", i)}
		}
		seen[i] = true
		w.empty(2, "interface", attr("name", i))
	}
	clear(seen)
	for _, s := range z.Sources {
		if err := firewalld.CheckSource(s); err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("source '%s' twice", s)}
		}
		seen[s] = true
		// firewalld writes a MAC address as address= too.
		if set, ok := strings.CutPrefix(s, "ipset:"); ok {
			w.empty(2, "source", attr("ipset", set))
		} else {
			w.empty(2, "source", attr("address", s))
		}
	}
	w.b.WriteString("</zone>\n")
	return w.b.Bytes(), nil
}

// encodePolicy checks p and writes its file in firewalld's order: short,
// description, rules, ingress zones, egress zones (policy_writer). The
// target is always firewalld's default, CONTINUE.
func encodePolicy(p *Policy) ([]byte, error) {
	nameErr := firewalld.ValidPolicyName(p.Name)
	if nameErr == nil {
		nameErr = firewalld.CheckPriority(p.Priority)
	}
	if err := checkHead(nameErr, p.Short, p.Description); err != nil {
		return nil, err
	}
	var ingress, egress []string
	var err error
	for _, z := range p.Ingress {
		if ingress, err = addZoneRef(ingress, z, p.Egress, "ingress"); err != nil {
			return nil, err
		}
	}
	for _, z := range p.Egress {
		if egress, err = addZoneRef(egress, z, p.Ingress, "egress"); err != nil {
			return nil, err
		}
	}
	var attrs []xml.Attr
	if p.Priority != DefaultPriority {
		attrs = append(attrs, attr("priority", strconv.Itoa(p.Priority)))
	}
	var w writer
	if err := w.start("policy", p.Short, p.Description, p.Rules, append(attrs, attr("target", "CONTINUE"))...); err != nil {
		return nil, err
	}
	for _, z := range ingress {
		w.empty(2, "ingress-zone", attr("name", z))
	}
	for _, z := range egress {
		w.empty(2, "egress-zone", attr("name", z))
	}
	w.b.WriteString("</policy>\n")
	return w.b.Bytes(), nil
}
