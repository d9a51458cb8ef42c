package main

import (
	"os/exec"
	"testing"
	"time"
)

func TestPackageVersion(t *testing.T) {
	date := time.Date(2026, 12, 4, 23, 59, 0, 0, time.FixedZone("x", -3600))
	for _, c := range []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2", "1.2"},
		{"v1.2.3-rc1", "1.2.3~rc1"},
		{"v1.2.3-4-gabc1234", "1.2.3+git20261205.4.abc1234"},
		{"v1.2.3-rc1-4-gabc1234-dirty", "1.2.3~rc1+git20261205.4.abc1234.dirty"},
		{"9008f32", "0.0.0~git20261205.9008f32"},
		{"9008f32-dirty", "0.0.0~git20261205.9008f32.dirty"},
	} {
		got, err := packageVersion(c.describe, date)
		if err != nil || got != c.want {
			t.Errorf("packageVersion(%q) = %q, %v; want %q", c.describe, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "unknown", "release-1", "v1.2.3-4-gXYZ"} {
		if got, err := packageVersion(bad, date); err == nil {
			t.Errorf("packageVersion(%q) = %q, want an error", bad, got)
		}
	}
}

// TestPackageVersionOrder: dpkg orders the versions as the history goes
// (when dpkg is there to ask).
func TestPackageVersionOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg to compare versions")
	}
	d := func(day int) time.Time { return time.Date(2026, 12, day, 0, 0, 0, 0, time.UTC) }
	history := []struct {
		describe string
		date     time.Time
	}{
		{"abc1234", d(1)}, {"abc1234-dirty", d(1)}, {"def5678", d(2)},
		{"v0.1.0-rc1", d(3)}, {"v0.1.0-rc1-2-g1111111", d(4)}, {"v0.1.0", d(5)},
		{"v0.1.0-1-g2222222", d(6)}, {"v0.1.1", d(7)},
	}
	var prev string
	for _, h := range history {
		v, err := packageVersion(h.describe, h.date)
		if err != nil {
			t.Fatal(err)
		}
		if prev != "" {
			if err := exec.Command("dpkg", "--compare-versions", prev, "lt", v).Run(); err != nil {
				t.Errorf("dpkg: %s is not before %s", prev, v)
			}
		}
		prev = v
	}
}
