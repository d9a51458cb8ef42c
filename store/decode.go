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

// readFile reads a zone (or policy) file whose name valid accepts.
func readFile(path, kind string, valid func(string) error) ([]byte, string, []*FileError) {
	name, _ := strings.CutSuffix(filepath.Base(path), fileSuffix)
	data, err := os.ReadFile(path)
	if err == nil {
		err = valid(name)
		if err != nil {
			err = fmt.Errorf("%s name: %w", kind, err)
		}
	}
	if err != nil {
		return nil, name, []*FileError{{Path: path, Err: err}}
	}
	return data, name, nil
}

func readZone(path string) (*Zone, []*FileError) {
	data, name, fes := readFile(path, "zone", firewalld.ValidZoneName)
	if fes != nil {
		return nil, fes
	}
	return decodeZone(path, name, data)
}

func readPolicy(path string) (*Policy, []*FileError) {
	data, name, fes := readFile(path, "policy", firewalld.ValidPolicyName)
	if fes != nil {
		return nil, fes
	}
	return decodePolicy(path, name, data)
}

// body reads the children of a zone or policy root: short, description and
// rules here, the others through own (mine false: not one of its elements).
func (r *reader) body(root string, short, desc *string, rs *ruleSet, own func(el xml.StartElement, at position) (ok, mine bool)) {
	r.children(root, func(el xml.StartElement, at position) bool {
		if el.Name.Space != "" {
			return r.other(el, at, root)
		}
		switch el.Name.Local {
		case "short", "description":
			dst := short
			if el.Name.Local == "description" {
				dst = desc
			}
			var ok bool
			*dst, ok = r.text(el, at)
			return ok
		case "rule":
			return r.rule(at, rs)
		}
		if ok, mine := own(el, at); mine {
			return ok
		}
		return r.other(el, at, root)
	})
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
	r.body("zone", &z.Short, &z.Description, &rs, func(el xml.StartElement, at position) (bool, bool) {
		switch el.Name.Local {
		case "interface":
			r.zoneInterface(el, at, z)
		case "source":
			r.zoneSource(el, at, z)
		default:
			return false, false
		}
		return r.empty(el), true
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
	r.body("policy", &p.Short, &p.Description, &rs, func(el xml.StartElement, at position) (bool, bool) {
		switch el.Name.Local {
		case "ingress-zone":
			p.Ingress = r.zoneRef(el, at, p.Ingress, p.Egress, "ingress")
		case "egress-zone":
			p.Egress = r.zoneRef(el, at, p.Egress, p.Ingress, "egress")
		default:
			return false, false
		}
		return r.empty(el), true
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
