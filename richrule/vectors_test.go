package richrule

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

const vectorDir = "../testdata/richrule"

// outcome is an expected result: a canonical string, or a code and a
// fragment of the error text.
type outcome struct {
	ok   bool
	text string // canonical form, or the fragment
	code string
}

func parseOutcome(s string) outcome {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 && isCodeName(s[:i]) {
		return outcome{code: s[:i], text: strings.TrimSpace(s[i+1:])}
	}
	if isCodeName(s) {
		return outcome{code: s}
	}
	// "CODE fragment" without a colon
	code, rest, _ := strings.Cut(s, " ")
	return outcome{code: code, text: rest}
}

func isCodeName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

func (o outcome) String() string {
	if o.ok {
		return "=> " + o.text
	}
	return "!> " + o.code + ": " + o.text
}

type vector struct {
	file    string
	line    int    // of the input
	input   string // as the parser gets it
	want    *outcome
	differs string   // "~" reason
	skip    string   // "skip:" why the running firewalld cannot be asked
	fw      *outcome // firewalld 1.3.3 instead (with differs)
	rt      *outcome // firewalld's runtime add refuses it
}

func (v *vector) name() string { return filepath.Base(v.file) + ":" + strconv.Itoa(v.line) }

// loadVectors reads every vector file; lines keeps each file's text for
// -update.
func loadVectors(t testing.TB) ([]*vector, map[string][]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files in %s: %v", vectorDir, err)
	}
	var vs []*vector
	texts := map[string][]string{}
	for _, f := range files {
		if filepath.Base(f) == "identity.txt" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		texts[f] = lines
		var cur *vector
		for i, l := range lines {
			switch {
			case strings.TrimSpace(l) == "":
				cur = nil
			case strings.HasPrefix(l, "#"):
			case strings.HasPrefix(l, "=> "), strings.HasPrefix(l, "!> "), strings.HasPrefix(l, "~ "),
				strings.HasPrefix(l, "fw=> "), strings.HasPrefix(l, "fw!> "), strings.HasPrefix(l, "rt!> "),
				strings.HasPrefix(l, "skip: "):
				if cur == nil {
					t.Fatalf("%s:%d: result line without an input", f, i+1)
				}
				o := &outcome{}
				switch {
				case strings.HasPrefix(l, "=> "):
					o.ok, o.text = true, l[3:]
					cur.want = o
				case strings.HasPrefix(l, "!> "):
					*o = parseOutcome(l[3:])
					cur.want = o
				case strings.HasPrefix(l, "~ "):
					cur.differs = l[2:]
				case strings.HasPrefix(l, "skip: "):
					cur.skip = l[6:]
				case strings.HasPrefix(l, "fw=> "):
					o.ok, o.text = true, l[5:]
					cur.fw = o
				case strings.HasPrefix(l, "fw!> "):
					*o = parseOutcome(l[5:])
					cur.fw = o
				default:
					*o = parseOutcome(l[5:])
					cur.rt = o
				}
			default:
				if cur != nil {
					t.Fatalf("%s:%d: second input in one vector (blank line missing?)", f, i+1)
				}
				in := l
				if strings.HasPrefix(l, "q:") {
					s, err := strconv.Unquote(l[2:])
					if err != nil {
						t.Fatalf("%s:%d: %v", f, i+1, err)
					}
					in = s
				}
				cur = &vector{file: f, line: i + 1, input: in}
				vs = append(vs, cur)
			}
		}
	}
	return vs, texts
}

// result is what our parser does with the input, as a vector line.
func result(input string) (outcome, *Rule, *firewalld.Error) {
	r, err := Parse(input)
	if err != nil {
		var e *firewalld.Error
		if !errors.As(err, &e) {
			return outcome{code: "NOT_AN_ERROR", text: err.Error()}, nil, nil
		}
		text := strings.TrimPrefix(strings.TrimPrefix(e.Error(), e.Code.Name()), ": ")
		// A vector line holds the first line of a multi-line message.
		text, _, _ = strings.Cut(text, "\n")
		return outcome{code: e.Code.Name(), text: text}, nil, e
	}
	return outcome{ok: true, text: r.String()}, r, nil
}

func TestVectors(t *testing.T) {
	vs, texts := loadVectors(t)
	if len(vs) < 200 {
		t.Errorf("only %d vectors, want at least 200", len(vs))
	}
	if *testutil.Update {
		rewriteVectors(t, vs, texts)
		vs, _ = loadVectors(t)
	}
	codes := map[string]bool{}
	for _, v := range vs {
		t.Run(v.name(), func(t *testing.T) {
			if v.want == nil {
				t.Fatalf("no => or !> line (run with -*testutil.Update)")
			}
			if (v.differs != "") != (v.fw != nil) {
				t.Errorf("a difference (~) needs what firewalld does (fw=>/fw!>), and the other way round")
			}
			got, r, e := result(v.input)
			if !v.want.ok {
				codes[v.want.code] = true
			}
			switch {
			case v.want.ok != got.ok:
				t.Fatalf("Parse(%q): got %s, want %s", v.input, got, v.want)
			case got.ok && got.text != v.want.text:
				t.Fatalf("Parse(%q).String():\n got %s\nwant %s", v.input, got.text, v.want.text)
			case !got.ok && (got.code != v.want.code || !strings.Contains(e.Error(), v.want.text)):
				t.Fatalf("Parse(%q): got %s, want %s", v.input, got, v.want)
			}
			if r != nil {
				checkRoundTrips(t, r)
			}
		})
	}
	for _, c := range []firewalld.Code{firewalld.InvalidRule, firewalld.InvalidPriority, firewalld.MissingFamily, firewalld.InvalidAddr, firewalld.InvalidMAC, firewalld.InvalidIPSet,
		firewalld.InvalidDestination, firewalld.InvalidPort, firewalld.InvalidProtocol, firewalld.InvalidLogPrefix, firewalld.InvalidLogLevel, firewalld.InvalidNFLogGroup,
		firewalld.InvalidNFLogQueue, firewalld.InvalidAuditType, firewalld.InvalidMark, firewalld.InvalidLimit} {
		if !codes[c.Name()] {
			t.Errorf("no vector produces %s", c.Name())
		}
	}
}

// checkRoundTrips: the canonical string reads back as the same rule and
// prints the same; the XML form reads back as the same rule; Check agrees.
func checkRoundTrips(t *testing.T, r *Rule) {
	t.Helper()
	if err := r.Check(); err != nil {
		t.Errorf("Check() of a parsed rule: %v", err)
	}
	s := r.String()
	r2, err := Parse(s)
	if err != nil {
		t.Fatalf("canonical %q does not parse: %v", s, err)
	}
	if !r2.Equal(r) || r2.String() != s {
		t.Errorf("canonical %q reads back as %q", s, r2)
	}
	b, err := xml.Marshal(r)
	if err != nil {
		t.Fatalf("xml.Marshal(%q): %v", s, err)
	}
	var r3 Rule
	if err := xml.Unmarshal(b, &r3); err != nil {
		t.Fatalf("xml.Unmarshal(%s): %v", b, err)
	}
	if !r3.Equal(r) {
		t.Errorf("XML %s reads back as %q, want %q", b, &r3, s)
	}
}

func rewriteVectors(t *testing.T, vs []*vector, texts map[string][]string) {
	byFile := map[string]map[int]*vector{}
	for _, v := range vs {
		if byFile[v.file] == nil {
			byFile[v.file] = map[int]*vector{}
		}
		byFile[v.file][v.line] = v
	}
	for f, lines := range texts {
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		for i, l := range lines {
			if strings.HasPrefix(l, "=> ") || strings.HasPrefix(l, "!> ") {
				continue
			}
			w.WriteString(l + "\n")
			if v := byFile[f][i+1]; v != nil {
				got, _, _ := result(v.input)
				w.WriteString(got.String() + "\n")
			}
		}
		w.Flush()
		if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIdentity(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectorDir, "identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		same := true
		a, b, ok := strings.Cut(l, "  ==  ")
		if !ok {
			same = false
			if a, b, ok = strings.Cut(l, "  !=  "); !ok {
				t.Fatalf("identity.txt:%d: no '  ==  ' or '  !=  '", i+1)
			}
		}
		n++
		ra, err := Parse(a)
		if err != nil {
			t.Fatalf("identity.txt:%d: %q: %v", i+1, a, err)
		}
		rb, err := Parse(b)
		if err != nil {
			t.Fatalf("identity.txt:%d: %q: %v", i+1, b, err)
		}
		if ra.Equal(rb) != same || (ra.Key() == rb.Key()) != same {
			t.Errorf("identity.txt:%d: Equal(%q, %q) = %v, want %v", i+1, a, b, !same, same)
		}
	}
	if n < 20 {
		t.Errorf("only %d identity pairs", n)
	}
}
