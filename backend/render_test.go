package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// TestRenderCompiled renders what Compile makes of every testdata/compile
// case with both backends, next to the case: NAME.nft (an nft -f script)
// and NAME.ipt (iptables-restore input). Run with -update to rewrite them.
func TestRenderCompiled(t *testing.T) {
	files, err := filepath.Glob("../testdata/compile/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no compile cases: %v", err)
	}
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
			testutil.Golden(t, base+".nft", nftText)
			testutil.Golden(t, base+".ipt", iptText)
		})
	}
}
