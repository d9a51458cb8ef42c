package richrule

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Port and protocol names resolve like firewalld's getservbyname(name) (any
// protocol) and getprotobyname(name): exact, case-sensitive matches of a
// name or alias in /etc/services and /etc/protocols. When a file is missing
// a small built-in table of the common names stands in.

var (
	netdbOnce sync.Once
	services  map[string]int
	protocols map[string]int
)

func loadNetDB() {
	netdbOnce.Do(func() {
		services = readNetDB("/etc/services", true)
		if services == nil {
			services = fallbackServices
		}
		protocols = readNetDB("/etc/protocols", false)
		if protocols == nil {
			protocols = fallbackProtocols
		}
	})
}

// readNetDB reads "name number[/proto] alias... # comment" lines; the first
// entry for a name wins, as in a sequential nss_files lookup.
func readNetDB(path string, withProto bool) map[string]int {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseNetDB(f, withProto)
}

func parseNetDB(r io.Reader, withProto bool) map[string]int {
	m := make(map[string]int)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		num := f[1]
		if withProto {
			n, _, ok := strings.Cut(num, "/")
			if !ok {
				continue
			}
			num = n
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			continue
		}
		for _, name := range append(f[:1:1], f[2:]...) {
			if _, dup := m[name]; !dup {
				m[name] = n
			}
		}
	}
	return m
}

func serviceByName(name string) (int, bool) {
	loadNetDB()
	n, ok := services[name]
	return n, ok
}

func protocolByName(name string) bool {
	loadNetDB()
	_, ok := protocols[name]
	return ok
}

var fallbackServices = map[string]int{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "tftp": 69,
	"http": 80, "www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "ntp": 123, "imap2": 143,
	"imap": 143, "snmp": 161, "ldap": 389, "https": 443, "microsoft-ds": 445, "submission": 587,
	"ldaps": 636, "imaps": 993, "pop3s": 995, "mysql": 3306, "postgresql": 5432, "http-alt": 8080,
}

var fallbackProtocols = map[string]int{
	"ip": 0, "IP": 0, "icmp": 1, "ICMP": 1, "igmp": 2, "IGMP": 2, "tcp": 6, "TCP": 6, "udp": 17,
	"UDP": 17, "ipv6": 41, "IPv6": 41, "gre": 47, "GRE": 47, "esp": 50, "IPSEC-ESP": 50, "ah": 51,
	"IPSEC-AH": 51, "ipv6-icmp": 58, "IPv6-ICMP": 58, "sctp": 132, "SCTP": 132, "dccp": 33, "DCCP": 33,
	"udplite": 136, "UDPLite": 136,
}
