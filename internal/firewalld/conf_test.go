package firewalld

import (
	"strings"
	"testing"
)

func TestParseConf(t *testing.T) {
	for _, tc := range []struct {
		name, conf, want string
		found            bool
	}{
		{name: "debian default", conf: "# comment\nDefaultZone=public\nFirewallBackend=nftables\n", want: "nftables", found: true},
		{name: "spaces", conf: "  FirewallBackend = iptables  \n", want: "iptables", found: true},
		{name: "commented out", conf: "#FirewallBackend=iptables\n", found: false},
		{name: "last wins", conf: "FirewallBackend=iptables\nFirewallBackend=nftables\n", want: "nftables", found: true},
		{name: "absent", conf: "DefaultZone=public\n", found: false},
		{name: "empty value", conf: "FirewallBackend=\n", want: "", found: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := ParseConf(strings.NewReader(tc.conf))
			if err != nil {
				t.Fatal(err)
			}
			got, found := conf["FirewallBackend"]
			if got != tc.want || found != tc.found {
				t.Errorf("ParseConf() = %q, %v; want %q, %v", got, found, tc.want, tc.found)
			}
		})
	}
}
