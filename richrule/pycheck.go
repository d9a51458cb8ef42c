package richrule

import "strings"

// Ports, protocols, addresses and MACs are checked as firewalld's
// functions.py checks them (check_port, checkProtocol, check_address,
// check_single_address, check_mac), over ASCII.

// getPortID is functions.getPortID: a number (int() rules), else a service
// name; -1 when unknown, -2 when above 65535. Negative numbers come back
// as they are and count as unknown.
func getPortID(port string) int64 {
	if port != "" {
		port = pyStrip(port)
	}
	if v, ok := pyInt10(port); ok {
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
	if isDigits(ports) {
		return getPortID(ports) >= 0
	}
	splits := strings.Split(ports, "-")
	if len(splits) == 2 && isDigits(splits[0]) && isDigits(splits[1]) {
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
	if v, ok := pyInt10(p); ok {
		return v >= 0 && v <= 255
	}
	return protocolByName(p)
}

func checkAddress(family Family, addr string) bool {
	switch family {
	case FamilyIPv4:
		return checkIPnMask(addr)
	case FamilyIPv6:
		return checkIP6nMask(addr)
	}
	return false
}

func checkSingleAddress(family Family, addr string) bool {
	switch family {
	case FamilyIPv4:
		return inetPton4(addr)
	case FamilyIPv6:
		return checkIP6(addr)
	}
	return false
}

// splitMask splits "addr/mask"; ok is false when a "/" leaves either side
// empty.
func splitMask(s string) (addr, mask string, ok bool) {
	i := strings.IndexByte(s, '/')
	if i < 0 {
		return s, "", true
	}
	addr, mask = s[:i], s[i+1:]
	return addr, mask, addr != "" && mask != ""
}

func checkIPnMask(s string) bool {
	addr, mask, ok := splitMask(s)
	if !ok || !inetPton4(addr) {
		return false
	}
	if mask == "" {
		return true
	}
	if strings.Contains(mask, ".") {
		return inetPton4(mask)
	}
	v, ok := pyInt10(mask)
	return ok && v >= 0 && v <= 32
}

func checkIP6nMask(s string) bool {
	addr, mask, ok := splitMask(s)
	if !ok || !checkIP6(addr) {
		return false
	}
	if mask == "" {
		return true
	}
	v, ok := pyInt10(mask)
	return ok && v >= 0 && v <= 128
}

// checkIP6 strips URL brackets like functions.normalizeIP6 (any run of "["
// and "]" at either end) before the check.
func checkIP6(s string) bool { return inetPton6(strings.Trim(s, "[]")) }

// inetPton4 is glibc's inet_pton(AF_INET): exactly four decimal octets,
// no leading zeros.
func inetPton4(s string) bool {
	octets, sawDigit, cur := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if sawDigit && cur == 0 {
				return false
			}
			cur = cur*10 + int(c-'0')
			if cur > 255 {
				return false
			}
			if !sawDigit {
				octets++
				if octets > 4 {
					return false
				}
				sawDigit = true
			}
		case c == '.' && sawDigit:
			if octets == 4 {
				return false
			}
			cur, sawDigit = 0, false
		default:
			return false
		}
	}
	return octets == 4
}

// inetPton6 is glibc's inet_pton(AF_INET6), including a trailing dotted
// IPv4 part and the rule that "::" must stand for at least one group.
func inetPton6(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == ':' {
		if len(s) < 2 || s[1] != ':' {
			return false
		}
		i = 1
	}
	const size = 16
	tp := 0      // bytes written
	colonp := -1 // where "::" was
	curtok := i  // start of the current group
	xdigits := 0 // hex digits in the current group
	val := 0
	for i < len(s) {
		c := s[i]
		i++
		if d := hexVal(c); d >= 0 {
			if xdigits == 4 {
				return false
			}
			val = val<<4 | d
			xdigits++
			continue
		}
		if c == ':' {
			curtok = i
			if xdigits == 0 {
				if colonp >= 0 {
					return false
				}
				colonp = tp
				continue
			}
			if i == len(s) || tp+2 > size {
				return false
			}
			tp += 2
			xdigits, val = 0, 0
			continue
		}
		if c == '.' && tp+4 <= size && inetPton4(s[curtok:]) {
			tp += 4
			xdigits = 0
			break
		}
		return false
	}
	if xdigits > 0 {
		if tp+2 > size {
			return false
		}
		tp += 2
	}
	if colonp >= 0 {
		if tp == size {
			return false
		}
		tp = size
	}
	return tp == size
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// checkMAC is functions.check_mac: six colon-separated pairs of hex digits.
func checkMAC(mac string) bool {
	if len(mac) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if mac[i] != ':' {
				return false
			}
		} else if hexVal(mac[i]) < 0 {
			return false
		}
	}
	return true
}
