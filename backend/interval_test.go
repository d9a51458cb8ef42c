package backend

import (
	"net/netip"
	"slices"
	"testing"
)

func rng(t *testing.T, s string) Range {
	t.Helper()
	r, err := parseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPaint(t *testing.T) {
	in := []labelled[string]{
		{r: rng(t, "10.0.0.0/8"), label: "a", rank: -8},
		{r: rng(t, "10.1.0.0/16"), label: "b", rank: -16},
		{r: rng(t, "10.255.255.255"), label: "c", rank: -32},
		{r: rng(t, "11.0.0.0/8"), label: "a", rank: -8},
	}
	var got []string
	for _, s := range paint(in) {
		got = append(got, s.r.String()+"="+s.labels[0])
	}
	want := []string{
		"10.0.0.0/16=a",
		"10.1.0.0/16=b",
		"10.2.0.0-10.255.255.254=a",
		"10.255.255.255=c",
		"11.0.0.0/8=a",
	}
	if !slices.Equal(got, want) {
		t.Errorf("paint() =\n%q\nwant\n%q", got, want)
	}
}

func TestPaintMergesAdjacentAndKeepsAllLabels(t *testing.T) {
	in := []labelled[string]{
		{r: rng(t, "10.0.0.0/25"), label: "x", rank: 0},
		{r: rng(t, "10.0.0.128/25"), label: "x", rank: 0},
		{r: rng(t, "10.0.0.0/24"), label: "y", rank: 1},
		{r: rng(t, "::/0"), label: "z", rank: 0},
	}
	segs := paint(in[:3])
	if len(segs) != 1 || segs[0].r.String() != "10.0.0.0/24" || !slices.Equal(segs[0].labels, []string{"x", "y"}) {
		t.Errorf("paint() = %+v", segs)
	}
	all := paint(in[3:])
	if len(all) != 1 || all[0].r.String() != "::/0" {
		t.Errorf("paint(::/0) = %+v", all)
	}
}

func TestRangePrefixes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"10.0.0.1-10.0.0.6", []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}},
		{"0.0.0.0-255.255.255.255", []string{"0.0.0.0/0"}},
		{"fd00::1-fd00::2", []string{"fd00::1/128", "fd00::2/128"}},
	} {
		var got []string
		for _, p := range rng(t, tc.in).Prefixes() {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s.Prefixes() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1":           "10.0.0.1/32",
		"10.1.2.3/8":         "10.0.0.0/8",
		"10.0.0.0/255.0.0.0": "10.0.0.0/8",
		"[fd00::1]":          "fd00::1/128",
		"fd00::/64":          "fd00::/64",
	} {
		p, err := parsePrefix(in)
		if err != nil || p != netip.MustParsePrefix(want) {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.0/255.0.255.0", "nonsense", "fe80::1%eth0"} {
		if _, err := parsePrefix(bad); err == nil {
			t.Errorf("parsePrefix(%q) succeeded", bad)
		}
	}
}
