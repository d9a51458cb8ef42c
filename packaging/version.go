package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// describeRE is what `git describe --tags --always --dirty` prints: a tag
// (vX.Y.Z, with an optional pre-release "-rc1"), commits since the tag and
// the commit ("-N-gHASH"), or only the commit; and "-dirty".
var describeRE = regexp.MustCompile(`^(?:v?(\d+(?:\.\d+)*)(?:-([A-Za-z][A-Za-z0-9.]*))?(?:-(\d+)-g([0-9a-f]+))?|([0-9a-f]{4,40}))(-dirty)?$`)

// packageRE is a version both dpkg and rpm take and order alike: it starts
// with a digit and holds no '-' (dpkg's revision and rpm's release
// separator) nor ':' (an epoch).
var packageRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

// packageVersion derives the version of the packages from git describe's
// output and the date of the commit, so that later builds sort later:
//
//	v1.2.3              1.2.3
//	v1.2.3-rc1          1.2.3~rc1                     (before 1.2.3)
//	v1.2.3-4-gabc1234   1.2.3+git20261204.4.abc1234   (after 1.2.3)
//	abc1234             0.0.0~git20261204.abc1234     (no tag yet)
//	...-dirty           ... .dirty
//
// A plain version (VERSION=1.2.3 given to make) is taken as it is.
func packageVersion(describe string, commit time.Time) (string, error) {
	m := describeRE.FindStringSubmatch(describe)
	if m == nil {
		return "", fmt.Errorf("version %q is neither git describe's output nor a version like 1.2.3: build from a git checkout or give VERSION=", describe)
	}
	release, pre, since, hash, bare, dirty := m[1], m[2], m[3], m[4], m[5], m[6]
	date := commit.UTC().Format("20060102")
	var v string
	switch {
	case bare != "":
		v = "0.0.0~git" + date + "." + bare
	default:
		v = release
		if pre != "" {
			v += "~" + pre
		}
		if since != "" {
			v += "+git" + date + "." + since + "." + hash
		}
	}
	if dirty != "" {
		v += ".dirty"
	}
	if !packageRE.MatchString(v) || strings.Contains(v, "..") {
		return "", fmt.Errorf("version %q makes %q, which dpkg or rpm would refuse", describe, v)
	}
	return v, nil
}
