package store

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

func readFile(path string) ([]byte, string, []*FileError) {
	name, _ := strings.CutSuffix(filepath.Base(path), fileSuffix)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, name, []*FileError{{Path: path, Err: err}}
	}
	return data, name, nil
}

func readZone(path string) (*Zone, []*FileError) {
	data, name, fes := readFile(path)
	if fes != nil {
		return nil, fes
	}
	if err := firewalld.ValidZoneName(name); err != nil {
		return nil, []*FileError{{Path: path, Err: fmt.Errorf("zone name: %w", err)}}
	}
	return decodeZone(path, name, data)
}

func readPolicy(path string) (*Policy, []*FileError) {
	data, name, fes := readFile(path)
	if fes != nil {
		return nil, fes
	}
	if err := firewalld.ValidPolicyName(name); err != nil {
		return nil, []*FileError{{Path: path, Err: fmt.Errorf("policy name: %w", err)}}
	}
	return decodePolicy(path, name, data)
}

// decodeZone reads a zone file; path is only for the errors.
func decodeZone(path, name string, data []byte) (*Zone, []*FileError) {
	r := newReader(path, data)
	root, ok := r.root("zone")
	if !ok {
		return nil, r.errs
	}
	r.attrs(*root, r.at, rootAttrs["zone"]...)
	z := &Zone{Name: name}
	var rs ruleSet
	r.children("zone", func(el xml.StartElement, at position) bool {
		if el.Name.Space != "" {
			return r.other(el, at, "zone")
		}
		switch el.Name.Local {
		case "short":
			text, ok := r.text(el, at)
			z.Short = text
			return ok
		case "description":
			text, ok := r.text(el, at)
			z.Description = text
			return ok
		case "interface":
			r.zoneInterface(el, at, z)
			return r.empty(el)
		case "source":
			r.zoneSource(el, at, z)
			return r.empty(el)
		case "rule":
			return r.rule(at, &rs)
		}
		return r.other(el, at, "zone")
	})
	if r.errs != nil {
		return nil, r.errs
	}
	z.Rules = rs.list
	return z, nil
}

func (r *reader) zoneInterface(el xml.StartElement, at position, z *Zone) {
	m, _ := r.attrs(el, at, "name")
	name, ok := r.require(m, "interface", "name", at)
	if !ok {
		return
	}
	if err := firewalld.CheckInterface(name); err != nil {
		r.errorAt(at, err)
		return
	}
	for _, i := range z.Interfaces {
		if i == name {
			r.errorAt(at, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("interface '%s' already set", name)})
			return
		}
	}
	z.Interfaces = append(z.Interfaces, name)
}

// zoneSource reads a zone binding <source address|mac|ipset=...>; family is
// deprecated and ignored as in firewalld; invert makes no sense here.
func (r *reader) zoneSource(el xml.StartElement, at position, z *Zone) {
	m, ok := r.attrs(el, at, "address", "mac", "ipset", "family", "invert")
	if !ok {
		return
	}
	if _, inv := m["invert"]; inv {
		r.errorAt(at, &firewalld.Error{Code: firewalld.InvalidAddr, Msg: "Invalid source: Invertion not allowed here."})
		return
	}
	var src string
	n := 0
	for _, a := range []string{"address", "mac", "ipset"} {
		if v, ok := m[a]; ok {
			n++
			src = v
			if a == "ipset" {
				src = "ipset:" + v
			}
		}
	}
	if n != 1 {
		r.errorAt(at, &firewalld.Error{Code: firewalld.InvalidAddr, Msg: "Invalid source: exactly one of address, mac and ipset"})
		return
	}
	if _, isMAC := m["mac"]; isMAC && !firewalld.CheckMAC(src) {
		r.errorAt(at, &firewalld.Error{Code: firewalld.InvalidMAC, Msg: src})
		return
	}
	if err := firewalld.CheckSource(src); err != nil {
		r.errorAt(at, err)
		return
	}
	for _, s := range z.Sources {
		if s == src {
			r.errorAt(at, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("source '%s' already set", src)})
			return
		}
	}
	z.Sources = append(z.Sources, src)
}

// decodePolicy reads a policy file; path is only for the errors.
func decodePolicy(path, name string, data []byte) (*Policy, []*FileError) {
	r := newReader(path, data)
	root, ok := r.root("policy")
	if !ok {
		return nil, r.errs
	}
	p := &Policy{Name: name, Priority: DefaultPriority}
	m, _ := r.attrs(*root, r.at, rootAttrs["policy"]...)
	if v, ok := m["priority"]; ok {
		prio, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			r.errorAt(r.at, &firewalld.Error{Code: firewalld.InvalidPriority, Msg: fmt.Sprintf("'%s' is not an integer", v)})
		} else if err := firewalld.CheckPriority(prio); err != nil {
			r.errorAt(r.at, err)
		}
		p.Priority = prio
	}
	var rs ruleSet
	r.children("policy", func(el xml.StartElement, at position) bool {
		if el.Name.Space != "" {
			return r.other(el, at, "policy")
		}
		switch el.Name.Local {
		case "short":
			text, ok := r.text(el, at)
			p.Short = text
			return ok
		case "description":
			text, ok := r.text(el, at)
			p.Description = text
			return ok
		case "ingress-zone":
			p.Ingress = r.zoneRef(el, at, p.Ingress, p.Egress, "ingress")
			return r.empty(el)
		case "egress-zone":
			p.Egress = r.zoneRef(el, at, p.Egress, p.Ingress, "egress")
			return r.empty(el)
		case "rule":
			return r.rule(at, &rs)
		}
		return r.other(el, at, "policy")
	})
	if r.errs != nil {
		return nil, r.errs
	}
	p.Rules = rs.list
	return p, nil
}

func (r *reader) zoneRef(el xml.StartElement, at position, list, other []string, side string) []string {
	m, _ := r.attrs(el, at, "name")
	name, ok := r.require(m, el.Name.Local, "name", at)
	if !ok {
		return list
	}
	list, err := addZoneRef(list, name, other, side)
	if err != nil {
		r.errorAt(at, err)
	}
	return list
}
