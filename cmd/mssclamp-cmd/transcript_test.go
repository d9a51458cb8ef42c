package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// transcriptDir holds the transcripts: see its README.
const transcriptDir = "../../testdata/cli"

// step is one command of a transcript and what it is expected to do.
type step struct {
	lineNo  int
	before  []string // comment and blank lines before the command
	command string   // as written after "$ "
	want    result
}

// readTranscript reads a transcript file: "$ ARGS" runs the command, "1> "
// and "2> " lines are its stdout and stderr, "exit N" its status; "#" lines
// and blank lines are comments, kept by -update.
func readTranscript(t testing.TB, path string) (steps []*step, trailer []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cur *step
	var pending []string
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case line == "$" || strings.HasPrefix(line, "$ "):
			cur = &step{lineNo: i + 1, before: pending, command: strings.TrimPrefix(line[1:], " "), want: result{code: -1}}
			pending = nil
			steps = append(steps, cur)
		case line == "" || strings.HasPrefix(line, "#"):
			pending = append(pending, line)
		case cur == nil:
			t.Fatalf("%s:%d: output before the first command", path, i+1)
		case line == "1>" || strings.HasPrefix(line, "1> "):
			cur.want.stdout += strings.TrimPrefix(strings.TrimPrefix(line, "1>"), " ") + "\n"
		case line == "2>" || strings.HasPrefix(line, "2> "):
			cur.want.stderr += strings.TrimPrefix(strings.TrimPrefix(line, "2>"), " ") + "\n"
		case strings.HasPrefix(line, "exit "):
			n, err := strconv.Atoi(line[5:])
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+1, err)
			}
			cur.want.code = n
		default:
			t.Fatalf("%s:%d: cannot read %q", path, i+1, line)
		}
	}
	return steps, pending
}

// runTranscript runs every step of the transcript with run, in order, and
// compares. vars are replaced in the commands ($NAME) and, the other way
// round, in the output, so that temporary paths do not show.
func runTranscript(t *testing.T, path string, run runner, vars map[string]string) {
	t.Helper()
	steps, trailer := readTranscript(t, path)
	for _, s := range steps {
		cmd := s.command
		for k, v := range vars {
			cmd = strings.ReplaceAll(cmd, "$"+k, v)
		}
		args, err := splitWords(cmd)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, s.lineNo, err)
		}
		got := run(args)
		for k, v := range vars {
			got.stdout = strings.ReplaceAll(got.stdout, v, "$"+k)
			got.stderr = strings.ReplaceAll(got.stderr, v, "$"+k)
		}
		if *testutil.Update {
			s.want = got
			continue
		}
		if got != s.want {
			t.Errorf("%s:%d: $ mssclamp-cmd %s\n got:\n%s\nwant:\n%s", filepath.Base(path), s.lineNo, s.command,
				formatResult(got), formatResult(s.want))
		}
	}
	if *testutil.Update {
		writeTranscript(t, path, steps, trailer)
	}
}

func formatResult(r result) string {
	var b strings.Builder
	for _, l := range lines(r.stdout) {
		b.WriteString(strings.TrimRight("1> "+l, " ") + "\n")
	}
	for _, l := range lines(r.stderr) {
		b.WriteString(strings.TrimRight("2> "+l, " ") + "\n")
	}
	fmt.Fprintf(&b, "exit %d\n", r.code)
	return b.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func writeTranscript(t *testing.T, path string, steps []*step, trailer []string) {
	var b strings.Builder
	for _, s := range steps {
		for _, l := range s.before {
			b.WriteString(l + "\n")
		}
		b.WriteString(strings.TrimRight("$ "+s.command, " ") + "\n")
		b.WriteString(formatResult(s.want))
	}
	for _, l := range trailer {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// splitWords splits a command line as a POSIX shell would split words
// without expansions: single quotes, double quotes (with \" \\ \$ \`
// escapes) and backslashes outside quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
