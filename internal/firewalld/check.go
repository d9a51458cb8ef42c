package firewalld

import (
	"fmt"
	"net"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name limits of firewalld 1.3.3, as its functions.max_zone_name_len and
// max_policy_name_len compute them: an iptables chain name has at most 28
// characters, and the longest chains firewalld builds from a name are
// POST_<zone>_allow (28-11) and POST_<policy>_allow with the policy's empty
// chain prefix (28-10).
const (
	MaxZoneNameLen   = 17
	MaxPolicyNameLen = 18
)

// ValidZoneName checks a zone name as firewalld's Zone.check_name does, except
// that '/' (firewalld's zones in sub-directories) is refused so that the
// name is always a plain file name: non-empty, at most MaxZoneNameLen
// characters, each a letter or digit (Unicode, as Python's isalnum) or '_'
// or '-'. This also rules out "." and "..".
func ValidZoneName(name string) error { return validName(name, MaxZoneNameLen) }

// ValidPolicyName checks a policy name as firewalld's Policy.check_name
// does, with the same restriction as ValidZoneName; the limit is
// MaxPolicyNameLen.
func ValidPolicyName(name string) error { return validName(name, MaxPolicyNameLen) }

func validName(name string, limit int) error {
	if name == "" {
		return &Error{Code: InvalidName, Msg: "name can't be empty"}
	}
	if !utf8.ValidString(name) {
		return &Error{Code: InvalidName, Msg: fmt.Sprintf("%q is not valid UTF-8", name)}
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsNumber(c) && c != '_' && c != '-' {
			return &Error{Code: InvalidName, Msg: fmt.Sprintf("'%c' is not allowed in '%s'", c, name)}
		}
	}
	if n := utf8.RuneCountInString(name); n > limit {
		return &Error{Code: InvalidName, Msg: fmt.Sprintf("'%s': name has %d chars, max is %d", name, n, limit)}
	}
	return nil
}

// CheckInterface is firewalld's functions.CheckInterface.
func CheckInterface(iface string) error {
	if iface == "" || utf8.RuneCountInString(iface) > 16 || strings.ContainsAny(iface, " /!*") || !IsXMLText(iface) {
		return &Error{Code: InvalidInterface, Msg: fmt.Sprintf("invalid interface '%s'", iface)}
	}
	return nil
}

// CheckSource accepts what firewalld's Zone check accepts as a source: an
// IPv4 or IPv6 address or network, a MAC address or "ipset:NAME".
func CheckSource(src string) error {
	if !IsXMLText(src) {
		return &Error{Code: InvalidAddr, Msg: fmt.Sprintf("invalid source %q", src)}
	}
	if set, ok := strings.CutPrefix(src, "ipset:"); ok {
		if set != "" {
			return nil
		}
	} else if CheckIPnMask(src) || CheckIP6nMask(src) || CheckMAC(src) {
		return nil
	}
	return &Error{Code: InvalidAddr, Msg: fmt.Sprintf("invalid source '%s'", src)}
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

// CheckIPnMask and CheckIP6nMask are functions.checkIPnMask and
// checkIP6nMask: an address, optionally with a prefix length (Python's int())
// or, for IPv4, a dotted netmask.
func CheckIPnMask(s string) bool  { return checkNMask(s, CheckIP4, 32) }
func CheckIP6nMask(s string) bool { return checkNMask(s, CheckIP6, 128) }

func checkNMask(s string, addrOK func(string) bool, bits int64) bool {
	addr, mask, ok := splitMask(s)
	switch {
	case !ok || !addrOK(addr):
		return false
	case mask == "":
		return true
	case bits == 32 && strings.Contains(mask, "."):
		return CheckIP4(mask)
	}
	v, ok := PyInt(mask)
	return ok && v >= 0 && v <= bits
}

// CheckIP6 strips URL brackets like functions.normalizeIP6 (any run of "["
// and "]" at either end) before the check.
func CheckIP6(s string) bool { return checkIP6Text(strings.Trim(s, "[]")) }

// CheckIP4 is glibc's inet_pton(AF_INET): exactly four decimal octets,
// no leading zeros.
func CheckIP4(s string) bool {
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

// checkIP6Text is glibc's inet_pton(AF_INET6), including a trailing dotted
// IPv4 part and the rule that "::" must stand for at least one group.
func checkIP6Text(s string) bool {
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
		if c == '.' && tp+4 <= size && CheckIP4(s[curtok:]) {
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

// CheckMAC is functions.check_mac: six colon-separated pairs of hex digits.
func CheckMAC(mac string) bool {
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

// CheckPriority is firewalld's policy priority check.
func CheckPriority(p int) error {
	if p == 0 || p < -32768 || p > 32767 {
		return &Error{Code: InvalidPriority, Msg: fmt.Sprintf(
			"%d is invalid priority. Must be in range [-32768, 32767]. The following are reserved: [0]", p)}
	}
	return nil
}

// IsXMLText reports whether s can be written into an XML 1.0 file and read
// back: valid UTF-8 of XML characters only.
func IsXMLText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF {
			return false
		}
	}
	return true
}

// ParseMAC reads a MAC address in firewalld's form (CheckMAC).
func ParseMAC(s string) (net.HardwareAddr, error) {
	if !CheckMAC(s) {
		return nil, fmt.Errorf("invalid MAC address %q", s)
	}
	return net.ParseMAC(s)
}
