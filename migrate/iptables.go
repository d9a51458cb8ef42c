package migrate

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// tcpFlag bits as iptables' tcp match names them (linux/netfilter/xt_tcpudp.h).
const (
	flagFIN uint8 = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
	flagURG
	flagALL = flagFIN | flagSYN | flagRST | flagPSH | flagACK | flagURG
)

var flagNames = []struct {
	name string
	bit  uint8
}{{"FIN", flagFIN}, {"SYN", flagSYN}, {"RST", flagRST}, {"PSH", flagPSH}, {"ACK", flagACK}, {"URG", flagURG}}

// iface is an -i or -o match; a trailing "+" is iptables' prefix wildcard.
type iface struct {
	name   string
	invert bool
}

// clamp is an iptables rule with target TCPMSS, as far as the conversion
// needs it.
type clamp struct {
	table, chain string
	insert       bool // -I (else -A)
	position     int  // -I CHAIN N; 0 when not given
	proto        string
	protoInvert  bool
	// tcp flags: synOpt is --syn (mask FIN,SYN,RST,ACK, comp SYN).
	flagsSet, synOpt bool
	mask, comp       uint8
	flagsInvert      bool
	in, out          *iface
	src, dst         []string // as written, comma lists split
	srcInv, dstInv   bool
	pmtu             bool
	setMSS           string // --set-mss value as written
	bothMSS          bool   // both TCPMSS options given; the last one counts
	comment          string
	target           string
	// malformed: iptables cannot even parse the list (a missing value, an
	// unknown flag name); nothing else is worth checking.
	malformed bool
}

// parseIptables reads an iptables argument list. For a direct rule table
// and chain come from the entry and the list holds only matches and the
// target. It returns the rule and the reasons it cannot be converted (an
// option nobody can express as a rich rule, or one iptables itself would
// refuse); the caller checks the target first, so that a rule that is not
// TCPMSS is reported as such whatever else it holds.
func parseIptables(e Entry) (*clamp, []string) {
	c := &clamp{table: "filter"}
	var why []string
	if e.Kind == DirectRule {
		c.table, c.chain = e.Table, e.Chain
	}
	args := e.Args
	invert := false
	skipping := "" // inside the options of a match or target we do not read
	for i := 0; i < len(args); i++ {
		opt, inline, hasInline := args[i], "", false
		if strings.HasPrefix(opt, "--") {
			if o, v, ok := strings.Cut(opt, "="); ok {
				opt, inline, hasInline = o, v, true
			}
		}
		value := func() (string, bool) {
			if hasInline {
				return inline, true
			}
			if i+1 >= len(args) {
				why = append(why, fmt.Sprintf("%s without a value", opt))
				c.malformed = true
				return "", false
			}
			i++
			return args[i], true
		}
		// negated takes "! -x v" and the old "-x ! v".
		negated := func() bool {
			n := invert
			invert = false
			if !hasInline && i+1 < len(args) && args[i+1] == "!" {
				i++
				n = !n
			}
			return n
		}
		if opt == "!" {
			// Inside skipped options a "!" belongs to them, unless a
			// general option follows.
			if skipping == "" || i+1 < len(args) && knownOption[args[i+1]] {
				invert = !invert
			}
			continue
		}
		if skipping != "" && !knownOption[opt] {
			continue
		}
		skipping = ""
		switch opt {
		case "-t", "--table":
			if e.Kind == DirectRule {
				why = append(why, "a direct rule names its table in the entry, not with -t")
			}
			c.table, _ = value()
		case "-A", "--append", "-I", "--insert":
			if e.Kind == DirectRule {
				why = append(why, "a direct rule names its chain in the entry, not with "+opt)
			}
			c.insert = opt == "-I" || opt == "--insert"
			c.chain, _ = value()
			if c.insert && i+1 < len(args) {
				if n, err := strconv.Atoi(args[i+1]); err == nil {
					c.position = n
					i++
				}
			}
		case "-D", "--delete", "-R", "--replace", "-C", "--check", "-N", "--new-chain", "-X", "--delete-chain",
			"-F", "--flush", "-Z", "--zero", "-P", "--policy", "-L", "--list", "-S", "--list-rules", "-E", "--rename-chain":
			return nil, []string{"command " + opt + " adds no rule"}
		case "-p", "--protocol":
			c.protoInvert = negated()
			c.proto, _ = value()
		case "-s", "--source", "--src":
			c.srcInv = negated()
			v, _ := value()
			c.src = append(c.src, strings.Split(v, ",")...)
		case "-d", "--destination", "--dst":
			c.dstInv = negated()
			v, _ := value()
			c.dst = append(c.dst, strings.Split(v, ",")...)
		case "-i", "--in-interface", "-o", "--out-interface":
			f := &iface{invert: negated()}
			f.name, _ = value()
			if opt == "-i" || opt == "--in-interface" {
				c.in = f
			} else {
				c.out = f
			}
		case "-m", "--match":
			name, _ := value()
			switch strings.ToLower(name) {
			case "tcp", "comment":
			default:
				why = append(why, matchReason(name))
				skipping = name
			}
		case "--syn":
			c.flagsSet, c.synOpt = true, true
			c.flagsInvert, invert = invert, false
			c.mask, c.comp = flagFIN|flagSYN|flagRST|flagACK, flagSYN
		case "--tcp-flags":
			c.flagsSet = true
			c.flagsInvert = negated()
			m, _ := value()
			v, ok := value()
			var err1, err2 error
			c.mask, err1 = parseFlags(m)
			c.comp, err2 = parseFlags(v)
			if ok && (err1 != nil || err2 != nil) {
				why = append(why, fmt.Sprintf("--tcp-flags %s %s: %v", m, v, errors.Join(err1, err2)))
				c.malformed = true
			}
		case "--sport", "--source-port", "--dport", "--destination-port", "--tcp-option":
			why = append(why, opt+": a tcp-mss-clamp rule cannot also match ports or TCP options")
			_, _ = value()
		case "--comment":
			c.comment, _ = value()
		case "-j", "--jump", "-g", "--goto":
			c.target, _ = value()
			if c.target != "TCPMSS" {
				skipping = c.target
			}
		// libxt_TCPMSS keeps the last of the two.
		case "--clamp-mss-to-pmtu":
			c.bothMSS = c.bothMSS || c.setMSS != ""
			c.pmtu, c.setMSS = true, ""
		case "--set-mss":
			c.bothMSS = c.bothMSS || c.pmtu
			c.setMSS, _ = value()
			c.pmtu = false
		case "-w", "--wait", "-W", "--wait-interval":
			// firewalld passes its own -w; a value may follow.
			if i+1 < len(args) && firewalld.IsDigits(args[i+1]) {
				i++
			}
		default:
			why = append(why, "unknown option "+opt)
			skipping = opt
		}
		if invert {
			why = append(why, "! before "+opt)
			invert = false
		}
	}
	return c, why
}

// knownOption lists the options read above. Inside the options of a match
// or target that is skipped, iptables still hands these to their owners
// (the implicit tcp match, TCPMSS), so they end the skipping.
var knownOption = map[string]bool{}

func init() {
	for _, o := range strings.Fields(`-t --table -A --append -I --insert -p --protocol
		-s --source --src -d --destination --dst -i --in-interface -o --out-interface
		-m --match -j --jump -g --goto --syn --tcp-flags --sport --source-port --dport
		--destination-port --tcp-option --comment --clamp-mss-to-pmtu --set-mss
		-w --wait -W --wait-interval`) {
		knownOption[o] = true
	}
}

// matchReason says why a match module has no rich-rule equivalent.
func matchReason(name string) string {
	switch strings.ToLower(name) {
	case "policy":
		return "-m policy matches by IPsec policy (e.g. decrypted traffic only); a rich rule cannot"
	case "tcpmss":
		return "-m tcpmss matches by the MSS the packet carries; a rich rule clamps every SYN, so it would also lower MSS values outside the range"
	case "conntrack", "state":
		return "-m " + name + " matches by connection state; a rich rule cannot"
	case "multiport":
		return "-m multiport: a tcp-mss-clamp rule cannot also match ports"
	}
	return "-m " + name + ": no rich-rule equivalent"
}

func parseFlags(s string) (uint8, error) {
	var bits uint8
	for _, f := range strings.Split(s, ",") {
		switch u := strings.ToUpper(f); u {
		case "ALL":
			bits |= flagALL
		case "NONE":
		default:
			found := false
			for _, n := range flagNames {
				if n.name == u {
					bits |= n.bit
					found = true
				}
			}
			if !found {
				return 0, fmt.Errorf("unknown TCP flag %q", f)
			}
		}
	}
	return bits, nil
}

func flagList(bits uint8) string {
	var s []string
	for _, n := range flagNames {
		if bits&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if len(s) == 0 {
		return "NONE"
	}
	return strings.Join(s, ",")
}

// parseAddr reads an iptables address for family ipv: an address, a
// network with a prefix length or (IPv4) a dotted mask. iptables stores the
// network with the host bits cleared; so does the result, and a single
// address is written without a length, as rich rules are usually written.
func parseAddr(s, ipv string) (string, error) {
	full := 32
	if ipv == "ipv6" {
		full = 128
	}
	addrPart, lenPart, hasLen := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addrPart)
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("%q is not an IP address (iptables resolves a host name once, when the rule is added)", s)
	}
	if (ipv == "ipv6") != a.Is6() || a.Is4In6() {
		return "", fmt.Errorf("%q is not an %s address", s, strings.ToUpper(ipv[:2])+ipv[2:])
	}
	bits := full
	if hasLen {
		if n, err := strconv.Atoi(lenPart); err == nil && firewalld.IsDigits(lenPart) {
			bits = n
		} else if m, err := netip.ParseAddr(lenPart); err == nil && m.Is4() && ipv == "ipv4" {
			bits = maskBits(m)
		} else {
			bits = -1
		}
		if bits < 0 || bits > full {
			return "", fmt.Errorf("%q: bad prefix length or mask", s)
		}
	}
	if bits == full {
		return a.String(), nil
	}
	return netip.PrefixFrom(a, bits).Masked().String(), nil
}

// maskBits is the length of a contiguous IPv4 mask, or -1.
func maskBits(m netip.Addr) int {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return -1
	}
	return n
}
