package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/rpm"
)

type options struct {
	describe         string
	debRoot, rpmRoot string
	out              string
	arch             string
	date             time.Time
}

// Who the packages are from. The Debian maintainer field needs an address.
const (
	maintainer = "firewalld-mssclamp developers <mssclamp@users.noreply.github.com>"
	homepage   = "https://github.com/firewalld-mssclamp/mssclamp"
	summary    = "TCP MSS clamping as a firewalld rich rule, on every firewalld"
	// description is the extended description, one paragraph.
	description = `mssclampd keeps tcp-mss-clamp rich rules in its own nftables table or
iptables chains, beside firewalld and without touching firewalld's own
rules, so that TCP through VPN tunnels, PPPoE links and IPsec gateways does
not hang when path MTU discovery fails. It follows firewalld's zones,
bindings and policies over D-Bus and puts its rules back after every
firewalld reload; without firewalld it runs standalone. mssclamp-cmd is
firewall-cmd for rich rules, with the same options, output and exit codes,
and also plans the move off firewalld's deprecated direct passthroughs and
computes the MSS behind an encapsulation. The daemon is not enabled on
installation: systemctl enable --now mssclampd.`
)

// The maintainer scripts, per format (see scripts/).
var (
	//go:embed scripts/deb/postinst
	debPostinst string
	//go:embed scripts/deb/prerm
	debPrerm string
	//go:embed scripts/deb/postrm
	debPostrm string
	//go:embed scripts/rpm/post
	rpmPost string
	//go:embed scripts/rpm/preun
	rpmPreun string
	//go:embed scripts/rpm/postun
	rpmPostun string
)

// build writes both packages and returns their paths.
func build(o options) ([]string, error) {
	version, err := packageVersion(o.describe, o.date)
	if err != nil {
		return nil, err
	}
	scripts, err := os.MkdirTemp("", "mssclamp-scripts")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scripts)
	script := func(name, text string) (string, error) {
		path := filepath.Join(scripts, name)
		return path, os.WriteFile(path, []byte(text), 0o755)
	}

	if err := addDebianDocs(o.debRoot, version, o.describe, o.date); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		root     string
		packager nfpm.Packager
		deps     []string
		recs     []string
		desc     string
		scripts  [3]string // after install, before removal, after removal
		names    [3]string
	}{
		// Debian's Description starts with the summary line.
		{o.debRoot, deb.Default, []string{"dbus"}, []string{"nftables | iptables"}, summary + "\n" + description,
			[3]string{debPostinst, debPrerm, debPostrm}, [3]string{"postinst", "prerm", "postrm"}},
		{o.rpmRoot, rpm.DefaultRPM, []string{"dbus"}, []string{"(nftables or iptables)"}, description,
			[3]string{rpmPost, rpmPreun, rpmPostun}, [3]string{"post", "preun", "postun"}},
	} {
		contents, err := treeContents(f.root, o.date)
		if err != nil {
			return nil, err
		}
		var s [3]string
		for i := range s {
			if s[i], err = script(f.names[i], f.scripts[i]); err != nil {
				return nil, err
			}
		}
		info := &nfpm.Info{
			Name:          "mssclamp",
			Arch:          o.arch,
			Platform:      "linux",
			Version:       version,
			VersionSchema: "none",
			Section:       "net",
			Priority:      "optional",
			Maintainer:    maintainer,
			Description:   f.desc,
			Vendor:        "firewalld-mssclamp",
			Homepage:      homepage,
			License:       "GPL-2.0-or-later",
			MTime:         o.date,
			Overridables: nfpm.Overridables{
				Depends:    f.deps,
				Recommends: f.recs,
				Suggests:   []string{"firewalld"},
				Contents:   contents,
				Scripts:    nfpm.Scripts{PostInstall: s[0], PreRemove: s[1], PostRemove: s[2]},
				RPM:        nfpm.RPM{Summary: summary, Group: "System Environment/Daemons"},
			},
		}
		info = nfpm.WithDefaults(info)
		if err := nfpm.Validate(info); err != nil {
			return nil, fmt.Errorf("%s: %w", f.root, err)
		}
		name := f.packager.ConventionalFileName(info)
		path := filepath.Join(o.out, name)
		if err := write(path, f.packager, info); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// write packs info into the file path.
func write(path string, p nfpm.Packager, info *nfpm.Info) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if err := p.Package(info, f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
