package store

import (
	"fmt"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// addZoneRef appends zone to a policy's ingress (or egress) list, checking
// firewalld's rules: a zone name, ANY or HOST; ANY and HOST alone; HOST not
// on both sides. other is the opposite list as far as known.
func addZoneRef(list []string, zone string, other []string, side string) ([]string, error) {
	if zone != firewalld.ZoneAny && zone != firewalld.ZoneHost {
		if err := firewalld.ValidZoneName(zone); err != nil {
			return list, &firewalld.Error{Code: firewalld.InvalidZone, Msg: fmt.Sprintf("%s zone '%s': %v", side, zone, err)}
		}
	}
	for _, z := range list {
		if z == zone {
			return list, &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: fmt.Sprintf("%s zone '%s' already set", side, zone)}
		}
		if z == firewalld.ZoneAny || z == firewalld.ZoneHost || zone == firewalld.ZoneAny || zone == firewalld.ZoneHost {
			return list, &firewalld.Error{Code: firewalld.InvalidZone, Msg: fmt.Sprintf(
				"'%s_zones' may only contain one of: many regular zones, ANY, or HOST", side)}
		}
	}
	if zone == firewalld.ZoneHost {
		for _, z := range other {
			if z == firewalld.ZoneHost {
				return list, &firewalld.Error{Code: firewalld.InvalidZone, Msg: "'HOST' can only appear in either ingress or egress zones, but not both"}
			}
		}
	}
	return append(list, zone), nil
}
