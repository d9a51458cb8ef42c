// Package buildinfo says which build of mssclamp is running, for the
// --version of both commands and the daemon's D-Bus version property.
//
// `make build` stamps `git describe --tags --always --dirty` into the
// binaries with -ldflags -X (the Makefile's LDFLAGS). A build
// without the stamp (go build, go install, go test) falls back to what the
// Go toolchain recorded: the module version for `go install ...@vX.Y.Z`,
// else the VCS revision, else "unknown".
package buildinfo

import "runtime/debug"

// stamped is set at link time:
// -X github.com/firewalld-mssclamp/mssclamp/internal/buildinfo.stamped=...
var stamped string

// Version is the version of this build.
func Version() string {
	if stamped != "" {
		return stamped
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	// git describe --always abbreviates to 7 characters.
	if len(rev) > 7 {
		rev = rev[:7]
	}
	return rev + dirty
}
