package backend

import (
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

type fakeProber struct {
	running, conf       string
	hasRunning, hasConf bool
	nft                 bool
}

func (f fakeProber) RunningFirewalldBackend() (string, bool)    { return f.running, f.hasRunning }
func (f fakeProber) ConfiguredFirewalldBackend() (string, bool) { return f.conf, f.hasConf }
func (f fakeProber) KernelHasNftables() bool                    { return f.nft }

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name     string
		explicit string
		p        fakeProber
		want     Kind
		wantErr  string
	}{
		{name: "explicit nftables beats firewalld", explicit: "nftables", p: fakeProber{running: "iptables", hasRunning: true}, want: KindNftables},
		{name: "explicit iptables", explicit: "iptables", p: fakeProber{nft: true}, want: KindIptables},
		{name: "explicit is case-insensitive", explicit: "IPTables", want: KindIptables},
		{name: "unknown explicit", explicit: "pf", wantErr: `unknown backend "pf"`},
		{name: "running firewalld first", explicit: "auto", p: fakeProber{running: "iptables", hasRunning: true, conf: "nftables", hasConf: true}, want: KindIptables},
		{name: "running firewalld nftables", p: fakeProber{running: "nftables", hasRunning: true, conf: "iptables", hasConf: true}, want: KindNftables},
		{name: "conf when firewalld is not running", p: fakeProber{conf: "iptables", hasConf: true, nft: true}, want: KindIptables},
		{name: "conf value is case-insensitive", p: fakeProber{conf: "IpTables", hasConf: true}, want: KindIptables},
		{name: "invalid conf value means nftables", p: fakeProber{conf: "bogus", hasConf: true}, want: KindNftables},
		{name: "empty conf value means nftables", p: fakeProber{conf: "", hasConf: true}, want: KindNftables},
		{name: "kernel with nf_tables", p: fakeProber{nft: true}, want: KindNftables},
		{name: "kernel without nf_tables", p: fakeProber{}, want: KindIptables},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Select(tc.explicit, tc.p)
			if testutil.WantErr(t, err, tc.wantErr) {
				return
			}
			if sel.Kind != tc.want {
				t.Errorf("Select() = %s (%s), want %s", sel.Kind, sel.Reason, tc.want)
			}
			if sel.Reason == "" {
				t.Error("Select() gave no reason")
			}
		})
	}
}
