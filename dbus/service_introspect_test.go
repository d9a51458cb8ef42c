package dbus

import (
	"encoding/xml"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5/introspect"
)

// signatures describes each method as "in:TYPES out:TYPES", keyed by its name
// on the bus.
func signatures(methods []introspect.Method) map[string]string {
	out := map[string]string{}
	for _, m := range methods {
		var in, outArgs []string
		for _, a := range m.Args {
			if a.Direction == "out" {
				outArgs = append(outArgs, a.Type)
			} else {
				in = append(in, a.Type)
			}
		}
		out[m.Name] = "in:" + strings.Join(in, ",") + " out:" + strings.Join(outArgs, ",")
	}
	return out
}

// handlerSignatures is what godbus exports for v on iface.
func handlerSignatures(iface string, v any) map[string]string {
	names := methodNames(iface, v)
	methods := introspect.Methods(v)
	for i := range methods {
		if n, ok := names[methods[i].Name]; ok {
			methods[i].Name = n
		}
	}
	return signatures(methods)
}

// TestIntrospectionMatchesHandlers: the committed introspection data and the
// handlers that serve it declare the same methods with the same signatures.
func TestIntrospectionMatchesHandlers(t *testing.T) {
	peer := signatures(introspect.PeerData.Methods) // godbus answers Peer itself
	files := []struct {
		name     string
		xml      string
		handlers map[string]any
		children []string
	}{
		{"introspect_root.xml", rootXML, map[string]any{
			ServiceInterface:       &rootObject{},
			ServiceZoneInterface:   &zoneObject{},
			ServicePolicyInterface: &policyObject{},
			propertiesIface:        &properties{},
			introspectableIface:    rootIntrospectable,
		}, []string{"config"}},
		{"introspect_config.xml", configXML, map[string]any{
			ServiceConfigInterface: &configObject{},
			introspectableIface:    configIntrospectable,
		}, []string{"zone", "policy"}},
		{"introspect_config_zone.xml", configZoneXML, map[string]any{
			ServiceConfigZoneInterface: &configRules{},
			introspectableIface:        &subtreeIntrospectable{},
		}, nil},
		{"introspect_config_policy.xml", configPolicyXML, map[string]any{
			ServiceConfigPolicyInterface: &configRules{policy: true},
			introspectableIface:          &subtreeIntrospectable{policy: true},
		}, nil},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			if !strings.HasPrefix(f.xml, introspectDoctype+"\n") {
				t.Errorf("does not start with the introspection DOCTYPE")
			}
			var node introspect.Node
			if err := xml.Unmarshal([]byte(f.xml), &node); err != nil {
				t.Fatal(err)
			}
			var children []string
			for _, c := range node.Children {
				children = append(children, c.Name)
			}
			if !slices.Equal(children, f.children) {
				t.Errorf("children %q, want %q", children, f.children)
			}
			seen := map[string]bool{}
			for _, iface := range node.Interfaces {
				seen[iface.Name] = true
				got := signatures(iface.Methods)
				want := peer
				if iface.Name != "org.freedesktop.DBus.Peer" {
					h, ok := f.handlers[iface.Name]
					if !ok {
						t.Errorf("interface %s has no handler", iface.Name)
						continue
					}
					want = handlerSignatures(iface.Name, h)
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s: committed methods\n%v\nhandler methods\n%v", iface.Name, got, want)
				}
			}
			for name := range f.handlers {
				if !seen[name] {
					t.Errorf("handler for %s is not in the file", name)
				}
			}
		})
	}
}

func TestIntrospectSubtree(t *testing.T) {
	s := newTestService(t, newFakeCore(), nil)
	zones := &subtreeIntrospectable{s: s}
	got, err := zones.Introspect(at(serviceZonesPath))
	if err != nil {
		t.Fatal(err)
	}
	var node introspect.Node
	if err := xml.Unmarshal([]byte(got), &node); err != nil {
		t.Fatalf("%v in\n%s", err, got)
	}
	var children []string
	for _, c := range node.Children {
		children = append(children, c.Name)
	}
	if want := []string{"internal", "my_2dzone", "public"}; !slices.Equal(children, want) {
		t.Errorf("children %q, want %q", children, want)
	}
	if got, _ := zones.Introspect(at(ConfigZonePath("my-zone"))); got != configZoneXML {
		t.Errorf("zone object introspects as\n%s", got)
	}
	if got, _ := (&subtreeIntrospectable{s: s, policy: true}).Introspect(at(ConfigPolicyPath("allow-out"))); got != configPolicyXML {
		t.Errorf("policy object introspects as\n%s", got)
	}
	if got, _ := zones.Introspect(at(serviceZonesPath + "/a/b")); strings.Contains(got, "interface") {
		t.Errorf("a path below a zone introspects as\n%s", got)
	}
}
