package main

import (
	"regexp"
	"testing"

	"github.com/spf13/pflag"

	"github.com/firewalld-mssclamp/mssclamp/internal/manpage"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// The man pages mssclampd(8), with the options of its flag set, and
// mssclamp.xml(5), the format of the files it reads, are made from their
// sources and committed; `make man` (go test -update) rewrites them.
const (
	daemonPage = "../../dist/man/mssclampd.8"
	formatPage = "../../dist/man/mssclamp.xml.5"
)

func flagOptions() []manpage.Group {
	var o options
	fs, _, _ := newFlags(&o)
	return []manpage.Group{{Options: manpage.Flags(fs)}}
}

func TestManPage(t *testing.T) {
	for page, groups := range map[string][]manpage.Group{
		daemonPage: flagOptions(),
		formatPage: nil,
	} {
		got, err := manpage.Render(page+".txt", groups)
		if err != nil {
			t.Fatal(err)
		}
		testutil.Golden(t, page, string(got))
	}
}

// TestManPageListsEveryFlag reads the committed pages as man shows them
// (groff warnings fail the test) and looks for every flag of mssclampd in
// its page.
func TestManPageListsEveryFlag(t *testing.T) {
	text := systest.ManText(t, daemonPage)
	systest.ManText(t, formatPage)
	var o options
	fs, _, _ := newFlags(&o)
	fs.VisitAll(func(f *pflag.Flag) {
		if !regexp.MustCompile(`(^|\s)--` + regexp.QuoteMeta(f.Name) + `\b`).MatchString(text) {
			t.Errorf("%s does not list --%s", daemonPage, f.Name)
		}
	})
}

// TestExamplesLoad: the example configuration shipped in
// /usr/share/doc/mssclamp/examples (and shown in mssclamp.xml(5)) is read
// by mssclampd without a problem.
func TestExamplesLoad(t *testing.T) {
	cfg, errs := store.Open("../../dist/examples").Load()
	for _, e := range errs {
		t.Error(e)
	}
	if len(cfg.Zones) != 1 || cfg.Zones[0].Name != "vpn" || len(cfg.Zones[0].Rules) != 1 ||
		len(cfg.Policies) != 1 || cfg.Policies[0].Name != "lan-to-wan" || len(cfg.Policies[0].Rules) != 2 {
		t.Errorf("examples: %d zones, %d policies; want zone vpn with 1 rule and policy lan-to-wan with 2", len(cfg.Zones), len(cfg.Policies))
	}
}
