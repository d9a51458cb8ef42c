package richrule

import "testing"

var benchRules = []string{
	`rule tcp-mss-clamp`,
	`rule tcp-mss-clamp value=1200`,
	`rule family="ipv4" source address="10.0.0.0/8" destination NOT address="10.0.0.0/8" tcp-mss-clamp value="1200"`,
	`rule priority="-10" family="ipv6" source address="fd00::/8" tcp-mss-clamp value="pmtu"`,
}

// BenchmarkParse parses typical tcp-mss-clamp rules (the target is 300,000
// rules/s on one core).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(benchRules[i%len(benchRules)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rules/s")
}

func BenchmarkString(b *testing.B) {
	r, err := Parse(benchRules[2])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = r.String()
	}
}
