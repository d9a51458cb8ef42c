package richrule

import (
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Ports, protocols, addresses and MACs are checked as firewalld's
// functions.py checks them (check_port, checkProtocol, check_address,
// check_single_address, check_mac), over ASCII.

// getPortID is functions.getPortID: a number (int() rules), else a service
// name; -1 when unknown, -2 when above 65535. Negative numbers come back
// as they are and count as unknown.
func getPortID(port string) int64 {
	if port != "" {
		port = firewalld.PyStrip(port)
	}
	if v, ok := firewalld.PyInt(port); ok {
		if v > 65535 {
			return -2
		}
		return v
	}
	if n, ok := serviceByName(port); ok {
		if n > 65535 {
			return -2
		}
		return int64(n)
	}
	return -1
}

// checkPort is functions.check_port: a port or a range "a-b" of numbers or
// service names (which may contain "-" themselves), unambiguous.
func checkPort(ports string) bool {
	if firewalld.IsDigits(ports) {
		return getPortID(ports) >= 0
	}
	splits := strings.Split(ports, "-")
	if len(splits) == 2 && firewalld.IsDigits(splits[0]) && firewalld.IsDigits(splits[1]) {
		if getPortID(splits[0]) >= 0 && getPortID(splits[1]) >= 0 {
			return true
		}
	}
	matched := 0
	for i := len(splits); i > 0; i-- {
		id1 := getPortID(strings.Join(splits[:i], "-"))
		port2 := strings.Join(splits[i:], "-")
		if port2 != "" {
			if id1 >= 0 && getPortID(port2) >= 0 {
				matched++
			}
		} else if id1 >= 0 {
			matched++
			if i == len(splits) {
				break
			}
		}
	}
	return matched == 1
}

// checkProtocol is functions.checkProtocol: 0..255 or a protocol name.
func checkProtocol(p string) bool {
	if v, ok := firewalld.PyInt(p); ok {
		return v >= 0 && v <= 255
	}
	return protocolByName(p)
}

func checkAddress(family Family, addr string) bool {
	switch family {
	case FamilyIPv4:
		return firewalld.CheckIPnMask(addr)
	case FamilyIPv6:
		return firewalld.CheckIP6nMask(addr)
	}
	return false
}

func checkSingleAddress(family Family, addr string) bool {
	switch family {
	case FamilyIPv4:
		return firewalld.CheckIP4(addr)
	case FamilyIPv6:
		return firewalld.CheckIP6(addr)
	}
	return false
}
