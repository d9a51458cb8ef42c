package mss

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

const vectorDir = "../testdata/mss"

type vector struct {
	line int
	req  Request
	want int
}

// readVectors reads testdata/mss/vectors.txt.
func readVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorDir, "vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, want, ok := strings.Cut(line, "=>")
		fields := strings.Fields(in)
		if !ok || len(fields) < 3 || len(fields) > 4 {
			t.Fatalf("vectors.txt:%d: want LINK-MTU ENCAP FAMILY [conservative] => MSS", n)
		}
		mtu, err1 := strconv.Atoi(fields[0])
		mss, err2 := strconv.Atoi(strings.TrimSpace(want))
		enc, err3 := ParseEncap(fields[1])
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("vectors.txt:%d: %v", n, err)
		}
		v := vector{line: n, want: mss, req: Request{LinkMTU: mtu, Encap: enc, Family: Family(fields[2])}}
		if len(fields) == 4 {
			if fields[3] != "conservative" {
				t.Fatalf("vectors.txt:%d: unknown flag %q", n, fields[3])
			}
			v.req.Conservative = true
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVectors checks every MSS of vectors.txt, that the steps add up, that
// the rule carries the MSS and parses back to itself, and renders all of
// them into suggest.golden.
func TestVectors(t *testing.T) {
	var results []*Result
	for _, v := range readVectors(t) {
		r, err := Compute(v.req)
		if err != nil {
			t.Errorf("vectors.txt:%d: %v", v.line, err)
			continue
		}
		if r.MSS != v.want {
			t.Errorf("vectors.txt:%d: %s %s mtu %d: MSS %d, want %d\n%s", v.line, r.Encap, r.Family, r.LinkMTU, r.MSS, v.want, r.Text())
		}
		if got := r.LinkMTU - sum(r.Overhead) - sum(r.Headers); got != r.MSS {
			t.Errorf("vectors.txt:%d: steps add up to %d, MSS says %d", v.line, got, r.MSS)
		}
		checkRule(t, r)
		results = append(results, r)
	}
	golden(t, "suggest.golden", Text(results))
}

// checkRule: the rule parses, is canonical, and clamps to the MSS for the family.
func checkRule(t *testing.T, r *Result) {
	t.Helper()
	if r.MSS < int(richrule.MinMSS) {
		if r.Rule != "" {
			t.Errorf("MSS %d below the minimum, yet rule %q", r.MSS, r.Rule)
		}
		return
	}
	rule, err := richrule.Parse(r.Rule)
	if err != nil {
		t.Errorf("rule %q does not parse: %v", r.Rule, err)
		return
	}
	if rule.String() != r.Rule {
		t.Errorf("rule %q is not canonical: %q", r.Rule, rule.String())
	}
	if c := rule.Clamp(); c == nil || int(c.Value) != r.MSS || string(rule.Family) != string(r.Family) {
		t.Errorf("rule %q does not clamp %s to %d", r.Rule, r.Family, r.MSS)
	}
}

func TestSuggestBothFamilies(t *testing.T) {
	tests := []struct {
		encap string
		want  []Family
	}{
		{"pppoe", []Family{IPv4, IPv6}},
		{"6in4", []Family{IPv6}},
		{"ipip", []Family{IPv4}},
		{"ipip,ipv6", []Family{IPv4, IPv6}},
	}
	for _, tt := range tests {
		t.Run(tt.encap, func(t *testing.T) {
			e, err := ParseEncap(tt.encap)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Suggest(Request{LinkMTU: 1500, Encap: e})
			if err != nil {
				t.Fatal(err)
			}
			var got []Family
			for _, r := range rs {
				got = append(got, r.Family)
			}
			if strings.Join(fams(got), " ") != strings.Join(fams(tt.want), " ") {
				t.Errorf("families %v, want %v", got, tt.want)
			}
		})
	}
}

func fams(fs []Family) []string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return s
}

func TestParseEncap(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "pppoe", want: "pppoe"},
		{in: "PPPoE", want: "pppoe"},
		{in: "wireguard", want: "wireguard,ipv4"},
		{in: "wireguard,ipv6", want: "wireguard,ipv6"},
		{in: "ipsec,aes-cbc+sha1", want: "ipsec,ipv4,aes-cbc+sha1"},
		{in: "ipsec-esp,nat-t,aes-gcm,ipv6", want: "ipsec,ipv6,aes-gcm,nat-t"},
		{in: "esp,aes-cbc-sha256", want: "ipsec,ipv4,aes-cbc+sha256"},
		{in: "openvpn", want: "openvpn-udp,ipv4"},
		{in: "6in4", want: "6in4"},
		{in: "none", want: "none"},
		{in: "l2tp", err: `unknown kind "l2tp"`},
		{in: "ipsec", err: "ipsec needs a cipher"},
		{in: "ipsec,aes-ccm", err: `unknown option "aes-ccm"`},
		{in: "ipsec,aes-gcm,aes-gcm", err: "cipher is given twice"},
		{in: "pppoe,ipv6", err: "pppoe has no IP underlay"},
		{in: "none,ipv4", err: "none has no IP underlay"},
		{in: "gre,nat-t", err: "nat-t applies to ipsec only"},
		{in: "gre,aes-gcm", err: "a cipher applies to ipsec only"},
		{in: "6in4,ipv6", err: "6in4 runs over IPv4 only"},
		{in: "vxlan,ipv4,ipv6", err: "underlay is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := ParseEncap(tt.in)
			if testutil.WantErr(t, err, tt.err) {
				return
			}
			if e.String() != tt.want {
				t.Errorf("%q reads as %q, want %q", tt.in, e.String(), tt.want)
			}
			back, err := ParseEncap(e.String())
			if err != nil || back != e {
				t.Errorf("%q does not read back: %+v, %v", e.String(), back, err)
			}
		})
	}
}

func TestComputeErrors(t *testing.T) {
	ipip, _ := ParseEncap("ipip")
	sit, _ := ParseEncap("6in4")
	tests := []struct {
		name string
		req  Request
		err  string
	}{
		{"MTU below 68", Request{LinkMTU: 67, Family: IPv4}, "want 68..65536"},
		{"MTU above 65536", Request{LinkMTU: 65537, Family: IPv4}, "want 68..65536"},
		{"no family", Request{LinkMTU: 1500}, `family ""`},
		{"IPv6 through ipip over IPv4", Request{LinkMTU: 1500, Encap: ipip, Family: IPv6}, "cannot carry ipv6"},
		{"IPv4 through 6in4", Request{LinkMTU: 1500, Encap: sit, Family: IPv4}, "cannot carry ipv4"},
		{"headers do not fit", Request{LinkMTU: 80, Encap: sit, Family: IPv6}, ErrTooSmall.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestSmallMTU: below 536 there is no rule, and IPv6 below 1280 is noted.
func TestSmallMTU(t *testing.T) {
	r, err := Compute(Request{LinkMTU: 500, Family: IPv4})
	if err != nil {
		t.Fatal(err)
	}
	if r.MSS != 460 || r.Rule != "" || !strings.Contains(strings.Join(r.Notes, "\n"), "no rule suggested") {
		t.Errorf("MTU 500: %+v", r)
	}
	r, err = Compute(Request{LinkMTU: 1200, Family: IPv6})
	if err != nil {
		t.Fatal(err)
	}
	if r.MSS != 1140 || !strings.Contains(strings.Join(r.Notes, "\n"), "RFC 8200 §5") {
		t.Errorf("IPv6 MTU 1200: %+v", r)
	}
	checkRule(t, r)
}

func TestJSON(t *testing.T) {
	e, err := ParseEncap("ipsec,aes-cbc+sha1")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Suggest(Request{LinkMTU: 1500, Encap: e, Conservative: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := JSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sophos.json", string(out))
	if out, _ := JSON(nil); string(out) != "[]\n" {
		t.Errorf("JSON(nil) = %q", out)
	}
}

func TestInterfaceMTU(t *testing.T) {
	if mtu, err := InterfaceMTU("lo"); err != nil || mtu < MinLinkMTU {
		t.Errorf("InterfaceMTU(lo) = %d, %v", mtu, err)
	}
	if _, err := InterfaceMTU("no-such-if0"); err == nil || !strings.Contains(err.Error(), `"no-such-if0"`) {
		t.Errorf("InterfaceMTU(no-such-if0): %v", err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join(vectorDir, name), got)
}

// TestLoopbackMTU: loopback's MTU (65536) is more than an IP packet can be;
// the packet, not the link, is the limit.
func TestLoopbackMTU(t *testing.T) {
	res, err := Compute(Request{LinkMTU: 65536, Family: IPv4})
	if err != nil {
		t.Fatal(err)
	}
	if res.MSS != 65535-40 {
		t.Errorf("MSS over loopback = %d, want %d", res.MSS, 65535-40)
	}
}
