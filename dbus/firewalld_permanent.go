package dbus

import (
	"context"
	"slices"
)

// PermanentNames lists the zones and policies of firewalld's permanent
// configuration: a zone created with --permanent --new-zone exists there
// before a reload makes it a runtime zone, and firewall-cmd lets permanent
// rules be added to it meanwhile. policies is nil for a firewalld without
// policies (< 0.9).
func (f *Firewalld) PermanentNames(ctx context.Context) (zones, policies []string, err error) {
	if err := f.call(ctx, fwConfigPath, fwConfigIface, "getZoneNames", nil, &zones); err != nil {
		return nil, nil, err
	}
	if err := f.call(ctx, fwConfigPath, fwConfigIface, "getPolicyNames", nil, &policies); err != nil {
		if !isUnknownMethod(err) {
			return nil, nil, err
		}
		policies = nil
	}
	slices.Sort(zones)
	slices.Sort(policies)
	return zones, policies, nil
}
