package dbus

import (
	godbus "github.com/godbus/dbus/v5"
)

// stateRunning is the state property while the service answers: firewalld's
// value for the same state. The service is not on the bus in any other.
const stateRunning = "RUNNING"

// properties is org.freedesktop.DBus.Properties on ServicePath: version,
// state, mode and backend of ServiceInterface, all read-only. mode is read
// from the Core on every call; the others never change while we run.
type properties struct{ s *Service }

// Get returns one property.
func (p *properties) Get(iface, name string) (godbus.Variant, *godbus.Error) {
	all, err := p.GetAll(iface)
	if err != nil {
		return godbus.Variant{}, err
	}
	v, ok := all[name]
	if !ok {
		return godbus.Variant{}, objectError(errUnknownProperty, "no property "+name+" in "+iface)
	}
	return v, nil
}

// GetAll returns every property of iface; "" means ServiceInterface, the
// only interface here with properties.
func (p *properties) GetAll(iface string) (map[string]godbus.Variant, *godbus.Error) {
	switch iface {
	case "", ServiceInterface:
		return map[string]godbus.Variant{
			"version": godbus.MakeVariant(p.s.info.Version),
			"state":   godbus.MakeVariant(stateRunning),
			"mode":    godbus.MakeVariant(p.s.engine().Mode()),
			"backend": godbus.MakeVariant(p.s.info.Backend),
		}, nil
	case ServiceZoneInterface, ServicePolicyInterface, propertiesIface, introspectableIface:
		return map[string]godbus.Variant{}, nil
	}
	return nil, objectError(errUnknownInterface, "no interface "+iface+" at "+string(ServicePath))
}

// Set refuses: every property is read-only.
func (p *properties) Set(iface, name string, _ godbus.Variant) *godbus.Error {
	if _, err := p.Get(iface, name); err != nil {
		return err
	}
	return objectError(errPropertyReadOnly, "property "+name+" of "+iface+" is read-only")
}

// ModeChanged tells clients that the mode property changed (firewalld came
// or went); the daemon calls it after switching the engine's environment.
func (s *Service) ModeChanged() {
	core := s.engine()
	if core == nil {
		return
	}
	s.emit(propertiesIface+".PropertiesChanged", ServiceInterface,
		map[string]godbus.Variant{"mode": godbus.MakeVariant(core.Mode())}, []string{})
}
