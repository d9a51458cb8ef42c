package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
)

// TestRenderCompiled renders what Compile makes of every testdata/compile
// case with both backends, next to the case: NAME.nft (an nft -f script)
// and NAME.ipt (iptables-restore input). Run with -update to rewrite them.
func TestRenderCompiled(t *testing.T) {
	files, err := filepath.Glob("../testdata/compile/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no compile cases: %v", err)
	}
	update := os.Getenv("UPDATE_GOLDEN") != "" || flagUpdate()
	for _, file := range files {
		base := strings.TrimSuffix(file, ".txt")
		t.Run(filepath.Base(base), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, _, _ := strings.Cut(string(data), "\n----\n")
			rs, err := backend.CompileCase(t, input)
			if err != nil {
				t.Skipf("the case is an error case: %v", err)
			}
			iptText, err := ipt.Render(rs)
			if err != nil {
				iptText = "# iptables cannot express this ruleset: " + err.Error() + "\n"
			}
			nftText, err := nft.Render(rs)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range []struct{ ext, got string }{{".nft", nftText}, {".ipt", iptText}} {
				path := base + g.ext
				if update {
					if err := os.WriteFile(path, []byte(g.got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				if string(want) != g.got {
					t.Errorf("%s differs from what the backend renders now (run with -update and review the diff):\n%s", path, g.got)
				}
			}
		})
	}
}

func flagUpdate() bool {
	for _, a := range os.Args {
		if a == "-update" || a == "-test.update" || a == "--update" || a == "-update=true" || a == "-test.update=true" {
			return true
		}
	}
	return false
}
