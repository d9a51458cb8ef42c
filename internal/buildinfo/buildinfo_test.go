package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	for _, c := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install at a tag", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "9008f32c0ffee"}, {Key: "vcs.modified", Value: "false"}}}, "9008f32"},
		{"dirty checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "9008f32c0ffee"}, {Key: "vcs.modified", Value: "true"}}}, "9008f32-dirty"},
		{"nothing recorded", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fromBuildInfo(&c.bi); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestStampedWins(t *testing.T) {
	defer func(s string) { stamped = s }(stamped)
	stamped = "v0.1.0-3-gabcdef1"
	if got := Version(); got != stamped {
		t.Errorf("Version() = %q", got)
	}
}
