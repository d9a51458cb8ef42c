package backend

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// DefaultFirewalldConf is where firewalld keeps its configuration.
const DefaultFirewalldConf = "/etc/firewalld/firewalld.conf"

// Prober answers the questions backend selection asks of the system. Each
// answer is optional: ok=false means "cannot tell", and selection moves on.
type Prober interface {
	// RunningFirewalldBackend is the FirewallBackend property of a running
	// firewalld (D-Bus, /org/fedoraproject/FirewallD1/config).
	RunningFirewalldBackend() (value string, ok bool)
	// ConfiguredFirewalldBackend is FirewallBackend from firewalld.conf.
	ConfiguredFirewalldBackend() (value string, ok bool)
	// KernelHasNftables reports whether the kernel answers nf_tables netlink.
	KernelHasNftables() bool
}

// Selection is a chosen backend and why it was chosen, for the log.
type Selection struct {
	Kind   Kind
	Reason string
}

// Select chooses the backend: an explicit choice ("nftables" or "iptables";
// "" or "auto" means none), else what the running firewalld uses, else what
// firewalld.conf says, else nftables when the kernel has it, else iptables.
// We follow firewalld so our objects live where its own do (iptables mode
// flushes every iptables table on reload; we re-apply after it).
func Select(explicit string, p Prober) (Selection, error) {
	switch strings.ToLower(explicit) {
	case "", "auto":
	case string(KindNftables):
		return Selection{KindNftables, "chosen explicitly"}, nil
	case string(KindIptables):
		return Selection{KindIptables, "chosen explicitly"}, nil
	default:
		return Selection{}, fmt.Errorf("unknown backend %q: use auto, nftables or iptables", explicit)
	}
	if v, ok := p.RunningFirewalldBackend(); ok {
		return Selection{firewalldKind(v), fmt.Sprintf("running firewalld uses FirewallBackend=%s", v)}, nil
	}
	if v, ok := p.ConfiguredFirewalldBackend(); ok {
		return Selection{firewalldKind(v), fmt.Sprintf("firewalld.conf says FirewallBackend=%s", v)}, nil
	}
	if p.KernelHasNftables() {
		return Selection{KindNftables, "no firewalld backend configured; the kernel has nf_tables"}, nil
	}
	return Selection{KindIptables, "no firewalld backend configured; the kernel has no nf_tables"}, nil
}

// firewalldKind reads a FirewallBackend value as firewalld does: case does
// not matter, and anything but iptables means nftables.
func firewalldKind(v string) Kind {
	if strings.EqualFold(strings.TrimSpace(v), string(KindIptables)) {
		return KindIptables
	}
	return KindNftables
}

// ParseFirewalldConf reads a firewalld.conf as firewalld does: KEY=VALUE
// lines, comments and blank lines ignored, the last setting of a key winning.
func ParseFirewalldConf(r io.Reader) (map[string]string, error) {
	conf := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			conf[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return conf, nil
}

// ReadFirewalldConf is ParseFirewalldConf on a file; a missing file is an
// empty configuration.
func ReadFirewalldConf(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	conf, err := ParseFirewalldConf(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return conf, nil
}
