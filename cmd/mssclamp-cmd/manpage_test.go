package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/manpage"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// The man page mssclamp-cmd(1) is made from its source and the option
// groups of helpText, and committed; `make man` (go test -update) rewrites
// it.
const (
	manSource = "../../dist/man/mssclamp-cmd.1.txt"
	manPage   = "../../dist/man/mssclamp-cmd.1"
)

func TestManPage(t *testing.T) {
	groups, err := manpage.ParseHelp(helpText)
	if err != nil {
		t.Fatal(err)
	}
	got, err := manpage.Render(manSource, groups)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, manPage, string(got))
}

// optionNameRE finds the option names in a synopsis such as "-h, --help"
// or "--zone=<zone>".
var optionNameRE = regexp.MustCompile(`--?[A-Za-z][A-Za-z0-9-]*`)

// TestManPageListsEveryOption reads the committed page as man shows it
// (groff warnings fail the test) and looks for every option --help lists,
// and every option the parser takes.
func TestManPageListsEveryOption(t *testing.T) {
	text := systest.ManText(t, manPage)
	groups, err := manpage.ParseHelp(helpText)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		for _, o := range g.Options {
			names = append(names, optionNameRE.FindAllString(o.Names, -1)...)
		}
	}
	for _, o := range optionTable {
		names = append(names, o.Long)
	}
	for _, n := range names {
		if !regexp.MustCompile(`(^|[\s,\[])` + regexp.QuoteMeta(n) + `\b`).MatchString(text) {
			t.Errorf("man page does not list %s", n)
		}
	}
	if !strings.Contains(text, "mssclamp-cmd - firewall-cmd for tcp-mss-clamp rich rules") {
		t.Errorf("man page has no NAME line:\n%s", text)
	}
}
