package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/mss"
)

// The shell completions of mssclamp-cmd, installed by make install and the
// packages.
const (
	bashCompletion = "../../dist/completion/mssclamp-cmd.bash"
	zshCompletion  = "../../dist/completion/_mssclamp-cmd"
)

var longOptionRE = regexp.MustCompile(`--[a-z][a-z-]*`)

// completionOptions is the set of long options in the part of a completion
// script that lists them: from the line that matches start to the end.
func completionOptions(t *testing.T, path, start string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), start)
	if i < 0 {
		t.Fatalf("%s: no %q", path, start)
	}
	names := longOptionRE.FindAllString(string(data[i:]), -1)
	slices.Sort(names)
	return slices.Compact(names)
}

// TestCompletionsListEveryOption: both completions offer exactly the
// options the parser takes, and every encapsulation for --encap.
func TestCompletionsListEveryOption(t *testing.T) {
	var want []string
	for _, o := range optionTable {
		want = append(want, o.Long)
	}
	slices.Sort(want)
	for path, start := range map[string]string{bashCompletion: `	*)`, zshCompletion: "_arguments"} {
		if got := completionOptions(t, path, start); !slices.Equal(got, want) {
			t.Errorf("%s offers %v\nthe command takes %v", path, got, want)
		}
		data, _ := os.ReadFile(path)
		for _, k := range mss.Kinds {
			if !regexp.MustCompile(`[\s"(]` + regexp.QuoteMeta(string(k)) + `[\s")]`).Match(data) {
				t.Errorf("%s does not offer --encap=%s", path, k)
			}
		}
	}
}

// TestBashCompletion runs the bash completion as bash-completion does.
func TestBashCompletion(t *testing.T) {
	tree := systest.DebianTree(t, "", "bash-completion")
	for _, c := range []struct {
		words []string // the last is being completed
		want  string
	}{
		{[]string{"--enc"}, "--encap="},
		{[]string{"--list-r"}, "--list-rich-rules"},
		{[]string{"--family", "i"}, "ipv4 ipv6"},
		{[]string{"--output", "=", "j"}, "json"},
		{[]string{"--backend", "="}, "auto nftables iptables"},
	} {
		words := append([]string{"mssclamp-cmd"}, c.words...)
		// The command line as typed: bash splits "--output=j" into three
		// words at the "=".
		var line strings.Builder
		for i, w := range words {
			if i > 0 && w != "=" && words[i-1] != "=" {
				line.WriteByte(' ')
			}
			line.WriteString(w)
		}
		// compopt works only inside a completion bash runs itself.
		script := `. "$1"/usr/share/bash-completion/bash_completion
. "$2"; shift 2
compopt() { :; }
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_POINT=${#COMP_LINE}
_mssclamp_cmd mssclamp-cmd "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
echo "${COMPREPLY[*]}"`
		cmd := exec.Command("bash", append([]string{"-c", script, "bash", tree, bashCompletion}, words...)...)
		cmd.Env = append(os.Environ(), "COMP_LINE="+line.String())
		out, err := cmd.CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
			t.Errorf("completing %q: %q, %v; want %q", line.String(), got, err, c.want)
		}
	}
}

// TestZshCompletionSyntax: zsh reads the completion function (when zsh is
// there: it is not installed for this alone).
func TestZshCompletionSyntax(t *testing.T) {
	systest.RequireCommands(t, "zsh")
	if out, err := exec.Command("zsh", "-n", zshCompletion).CombinedOutput(); err != nil {
		t.Errorf("zsh -n %s: %v\n%s", zshCompletion, err, out)
	}
}
