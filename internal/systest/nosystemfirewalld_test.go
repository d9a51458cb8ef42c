package systest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostFirewalldPaths are where an installed firewalld keeps its programs, configuration and
// Python code; no test may read or run them.
var hostFirewalldPaths = []string{
	"/usr/sbin/firewalld", "/usr/bin/firewall-", "/usr/lib/firewalld", "/etc/firewalld",
	"/usr/lib/python3/dist-packages/firewall", "/usr/share/dbus-1/system.d/FirewallD.conf",
}

// runningCalls run the program their string argument names; readingCalls (and they) read the
// path.
var (
	runningCalls = map[string]bool{"Command": true, "CommandContext": true, "LookPath": true, "Exec": true,
		"Run": true, "RequireCommands": true}
	readingCalls = map[string]bool{"ReadFile": true, "ReadDir": true, "Open": true, "Stat": true, "Lstat": true,
		"Join": true, "Glob": true, "WalkDir": true, "copyTree": true, "CopyFS": true, "DirFS": true}
)

// TestNoHostFirewalld is the static half of the proof that no test uses the host's firewalld
// (the other half is `make test`, which runs every test with the host's firewalld hidden): in
// every test file of the module and in this harness, no call that runs or reads something is
// given the name of one of firewalld's programs or one of the host's firewalld paths.
func TestNoHostFirewalld(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		harness := filepath.Dir(path) == filepath.Join(root, "internal", "systest")
		if d.IsDir() || !strings.HasSuffix(path, ".go") || !(harness || strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		checked++
		for _, f := range hostFirewalldUses(t, path) {
			t.Errorf("%s: %s", strings.TrimPrefix(path, root+"/"), f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files under %s", checked, root)
	}
}

// hostFirewalldUses returns the offending calls in one Go file.
func hostFirewalldUses(t *testing.T, path string) []string {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var name string
		switch fn := call.Fun.(type) {
		case *ast.Ident:
			name = fn.Name
		case *ast.SelectorExpr:
			name = fn.Sel.Name
		}
		if !runningCalls[name] && !readingCalls[name] {
			return true
		}
		for _, arg := range call.Args {
			lit, ok := arg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				continue
			}
			if hostFirewalldPath(s) || runningCalls[name] && firewalldProgram(s) {
				found = append(found, fmt.Sprintf("line %d: %s(%q): the host's firewalld; use systest.StartFirewalld or OpenFirewalldTree",
					fset.Position(lit.Pos()).Line, name, s))
			}
		}
		return true
	})
	return found
}

func firewalldProgram(s string) bool {
	return s == "firewalld" || s == "firewall-cmd" || s == "firewall-offline-cmd"
}

func hostFirewalldPath(s string) bool {
	for _, p := range hostFirewalldPaths {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
