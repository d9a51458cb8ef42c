package backend

import (
	"fmt"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

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

// SystemProber is the Prober of a running system: a running firewalld's
// answer (Running, nil when there is no firewalld to ask), firewalld.conf
// (Conf), and the kernel (Kernel, e.g. nft.KernelHasNftables).
type SystemProber struct {
	Running func() (string, bool)
	Conf    string
	Kernel  func() bool
}

func (p SystemProber) RunningFirewalldBackend() (string, bool) {
	if p.Running == nil {
		return "", false
	}
	return p.Running()
}

func (p SystemProber) ConfiguredFirewalldBackend() (string, bool) {
	conf, err := firewalld.ReadConf(p.Conf)
	if err != nil {
		return "", false
	}
	v, ok := conf["FirewallBackend"]
	return v, ok
}

func (p SystemProber) KernelHasNftables() bool { return p.Kernel() }

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
