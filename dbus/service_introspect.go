package dbus

import (
	_ "embed"
	"encoding/xml"
	"reflect"
	"strings"

	godbus "github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

// The introspection data is written by hand, committed next to the code and
// served as it is: it is the API's reference, with argument names and
// property annotations that Go signatures cannot carry. A test keeps every
// method in it equal to the handler that serves it.
var (
	//go:embed introspect_root.xml
	rootXML string
	//go:embed introspect_config.xml
	configXML string
	//go:embed introspect_config_zone.xml
	configZoneXML string
	//go:embed introspect_config_policy.xml
	configPolicyXML string

	rootIntrospectable   = introspect.Introspectable(rootXML)
	configIntrospectable = introspect.Introspectable(configXML)
)

// subtreeIntrospectable introspects serviceZonesPath (or
// servicePoliciesPath), whose children are the zones (policies) that exist
// now, and each child, which is a config zone (policy) object.
type subtreeIntrospectable struct {
	s      *Service
	policy bool
}

// Introspect implements org.freedesktop.DBus.Introspectable.
func (i *subtreeIntrospectable) Introspect(msg godbus.Message) (string, *godbus.Error) {
	path, _ := msg.Headers[godbus.FieldPath].Value().(godbus.ObjectPath)
	base := configBase(i.policy)
	if path != base {
		if _, ok := nameOfPath(base, path); !ok {
			return introspectionOf(introspect.Node{}), nil
		}
		if i.policy {
			return configPolicyXML, nil
		}
		return configZoneXML, nil
	}
	names := i.s.engine().Zones()
	if i.policy {
		names = i.s.engine().Policies()
	}
	node := introspect.Node{Interfaces: []introspect.Interface{introspect.IntrospectData, introspect.PeerData}}
	for _, n := range names {
		node.Children = append(node.Children, introspect.Node{Name: escapePathElement(n)})
	}
	return introspectionOf(node), nil
}

// introspectionOf renders a generated node the way the committed files look.
func introspectionOf(n introspect.Node) string {
	b, err := xml.MarshalIndent(n, "", "  ")
	if err != nil {
		// A Node holds only strings: marshalling cannot fail.
		panic(err)
	}
	return introspectDoctype + "\n" + string(b) + "\n"
}

// introspectDoctype starts every introspection document, the committed ones
// included.
const introspectDoctype = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">`

// methodNames maps the Go names of v's methods to the names on the bus:
// firewalld's lower camel case on our interfaces; the standard interfaces
// keep theirs (Get, Introspect).
func methodNames(iface string, v any) map[string]string {
	if !strings.HasPrefix(iface, ServiceInterface) {
		return nil
	}
	t := reflect.TypeOf(v)
	names := make(map[string]string, t.NumMethod())
	for i := range t.NumMethod() {
		name := t.Method(i).Name
		names[name] = strings.ToLower(name[:1]) + name[1:]
	}
	return names
}
