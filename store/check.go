package store

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
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

// ValidName checks a zone name as firewalld's Zone.check_name does, except
// that '/' (firewalld's zones in sub-directories) is refused so that the
// name is always a plain file name: non-empty, at most MaxZoneNameLen
// characters, each a letter or digit (Unicode, as Python's isalnum) or '_'
// or '-'. This also rules out "." and "..".
func ValidName(name string) error { return validName(name, MaxZoneNameLen) }

// ValidPolicyName checks a policy name as firewalld's Policy.check_name
// does, with the same restriction as ValidName; the limit is
// MaxPolicyNameLen.
func ValidPolicyName(name string) error { return validName(name, MaxPolicyNameLen) }

func validName(name string, limit int) error {
	if name == "" {
		return &firewalld.Error{Code: firewalld.InvalidName, Msg: "name can't be empty"}
	}
	if !utf8.ValidString(name) {
		return &firewalld.Error{Code: firewalld.InvalidName, Msg: fmt.Sprintf("%q is not valid UTF-8", name)}
	}
	for _, c := range name {
		if !unicode.IsLetter(c) && !unicode.IsNumber(c) && c != '_' && c != '-' {
			return &firewalld.Error{Code: firewalld.InvalidName, Msg: fmt.Sprintf("'%c' is not allowed in '%s'", c, name)}
		}
	}
	if n := utf8.RuneCountInString(name); n > limit {
		return &firewalld.Error{Code: firewalld.InvalidName, Msg: fmt.Sprintf("'%s': name has %d chars, max is %d", name, n, limit)}
	}
	return nil
}

// checkInterface is firewalld's functions.checkInterface.
func checkInterface(iface string) error {
	if iface == "" || utf8.RuneCountInString(iface) > 16 || strings.ContainsAny(iface, " /!*") || !isXMLText(iface) {
		return &firewalld.Error{Code: firewalld.InvalidInterface, Msg: fmt.Sprintf("invalid interface '%s'", iface)}
	}
	return nil
}

// checkSource accepts what firewalld's Zone check accepts as a source: an
// IPv4 or IPv6 address or network, a MAC address or "ipset:NAME".
func checkSource(src string) error {
	if !isXMLText(src) {
		return &firewalld.Error{Code: firewalld.InvalidAddr, Msg: fmt.Sprintf("invalid source %q", src)}
	}
	if set, ok := strings.CutPrefix(src, "ipset:"); ok {
		if set != "" {
			return nil
		}
	} else if checkIPnMask(src) || checkIP6nMask(src) || checkMAC(src) {
		return nil
	}
	return &firewalld.Error{Code: firewalld.InvalidAddr, Msg: fmt.Sprintf("invalid source '%s'", src)}
}

func splitMask(s string) (addr, mask string, ok bool) {
	addr, mask, found := strings.Cut(s, "/")
	if found && (addr == "" || mask == "") {
		return "", "", false
	}
	return addr, mask, true
}

// maskLen reads a prefix length; firewalld uses Python's int(), we accept
// plain decimal digits only.
func maskLen(s string, max int) bool {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n <= max
}

// checkIP4 is inet_pton(AF_INET): four decimal octets, no leading zeros.
func checkIP4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// checkIP6 is firewalld's checkIP6: brackets stripped, then
// inet_pton(AF_INET6), which knows no zone suffix.
func checkIP6(s string) bool {
	s = strings.Trim(s, "[]")
	a, err := netip.ParseAddr(s)
	return err == nil && strings.Contains(s, ":") && a.Zone() == ""
}

func checkIPnMask(s string) bool {
	addr, mask, ok := splitMask(s)
	if !ok || !checkIP4(addr) {
		return false
	}
	if mask == "" {
		return true
	}
	if strings.Contains(mask, ".") {
		return checkIP4(mask)
	}
	return maskLen(mask, 32)
}

func checkIP6nMask(s string) bool {
	addr, mask, ok := splitMask(s)
	if !ok || !checkIP6(addr) {
		return false
	}
	return mask == "" || maskLen(mask, 128)
}

// checkMAC is firewalld's check_mac: six colon-separated hex pairs.
func checkMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i%3 == 2 {
			if s[i] != ':' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkPriority is firewalld's policy priority check.
func checkPriority(p int) error {
	if p == 0 || p < -32768 || p > 32767 {
		return &firewalld.Error{Code: firewalld.InvalidPriority, Msg: fmt.Sprintf(
			"%d is invalid priority. Must be in range [-32768, 32767]. The following are reserved: [0]", p)}
	}
	return nil
}

// addZoneRef appends zone to a policy's ingress (or egress) list, checking
// firewalld's rules: a zone name, ANY or HOST; ANY and HOST alone; HOST not
// on both sides. other is the opposite list as far as known.
func addZoneRef(list []string, zone string, other []string, side string) ([]string, error) {
	if zone != firewalld.ZoneAny && zone != firewalld.ZoneHost {
		if err := ValidName(zone); err != nil {
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

// isXMLText reports whether s can be written into an XML 1.0 file and read
// back: valid UTF-8 of XML characters only.
func isXMLText(s string) bool {
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
