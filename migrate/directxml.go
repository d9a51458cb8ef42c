package migrate

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// DefaultDirectFile is where firewalld keeps its permanent direct
// configuration.
const DefaultDirectFile = "/etc/firewalld/direct.xml"

// DirectFile is what a direct.xml holds for the migration.
type DirectFile struct {
	// Entries are the passthroughs and rules, in file order, all Permanent.
	Entries []Entry
	// Ignored lists what firewalld itself skips when it loads the file (an
	// element it does not know, a rule without arguments, a bad priority),
	// one line each with its line number.
	Ignored []string
}

// ReadDirectFile reads a direct.xml; a file that does not exist holds
// nothing, as for firewalld.
func ReadDirectFile(path string) (*DirectFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &DirectFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	d, err := ReadDirect(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return d, nil
}

// ReadDirect reads direct.xml as firewalld's direct_ContentHandler
// (firewall/core/io/direct.py) does: <direct> holds <chain>, <rule ipv
// table chain priority> and <passthrough ipv>, whose text is the argument
// list, split like shlex.split. A missing attribute or a rule ipv other
// than ipv4, ipv6 or eb is an error, as it is for firewalld.
func ReadDirect(r io.Reader) (*DirectFile, error) {
	dec := xml.NewDecoder(r)
	out := &DirectFile{}
	var (
		cur    *Entry // the open rule or passthrough
		text   strings.Builder
		direct bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("direct.xml: %w", err)
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			attr := func(name string) (string, error) {
				for _, a := range t.Attr {
					if a.Name.Local == name {
						return a.Value, nil
					}
				}
				return "", fmt.Errorf("direct.xml:%d: <%s> has no %s attribute", line, t.Name.Local, name)
			}
			switch t.Name.Local {
			case "direct":
				if direct {
					return nil, fmt.Errorf("direct.xml:%d: more than one direct tag", line)
				}
				direct = true
			case "chain":
				for _, a := range []string{"ipv", "table", "chain"} {
					if _, err := attr(a); err != nil {
						return nil, err
					}
				}
			case "rule", "passthrough":
				if !direct {
					out.Ignored = append(out.Ignored, fmt.Sprintf("line %d: <%s> outside <direct>", line, t.Name.Local))
					continue
				}
				e := Entry{Kind: Passthrough, Permanent: true}
				if e.IPV, err = attr("ipv"); err != nil {
					return nil, err
				}
				if t.Name.Local == "rule" {
					e.Kind = DirectRule
					if e.IPV != "ipv4" && e.IPV != "ipv6" && e.IPV != "eb" {
						return nil, fmt.Errorf("direct.xml:%d: ipv %q not from {'ipv4'|'ipv6'|'eb'}", line, e.IPV)
					}
					var prio string
					for _, a := range []struct {
						name string
						dst  *string
					}{{"table", &e.Table}, {"chain", &e.Chain}, {"priority", &prio}} {
						if *a.dst, err = attr(a.name); err != nil {
							return nil, err
						}
					}
					if e.Priority, err = strconv.Atoi(strings.TrimSpace(prio)); err != nil {
						out.Ignored = append(out.Ignored, fmt.Sprintf("line %d: rule priority %q is not a number", line, prio))
						continue
					}
				}
				cur = &e
				text.Reset()
			default:
				out.Ignored = append(out.Ignored, fmt.Sprintf("line %d: unknown element <%s>", line, t.Name.Local))
			}
		case xml.CharData:
			if cur != nil {
				text.Write(t)
			}
		case xml.EndElement:
			if cur == nil || t.Name.Local != string(elementOf(cur.Kind)) {
				continue
			}
			args, err := splitArgs(text.String())
			switch {
			case err != nil:
				return nil, fmt.Errorf("direct.xml:%d: %s arguments %q: %w", line, elementOf(cur.Kind), text.String(), err)
			case len(args) == 0:
				out.Ignored = append(out.Ignored, fmt.Sprintf("line %d: %s without arguments", line, elementOf(cur.Kind)))
			default:
				cur.Args = args
				out.Entries = append(out.Entries, *cur)
			}
			cur = nil
		}
	}
	return out, nil
}

func elementOf(k Kind) string {
	if k == DirectRule {
		return "rule"
	}
	return "passthrough"
}
