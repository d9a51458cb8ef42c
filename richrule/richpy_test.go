package richrule

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// vectorRelease is the firewalld release whose behaviour the vectors record
// (later releases check more at parse time, with other messages).
const vectorRelease = "1.3.3"

// richPy runs firewalld's own parser (testdata/richpy.py over
// firewall.core.rich of vectorRelease's tree, never an installed one) on the
// inputs.
func richPy(t *testing.T, inputs []string) []outcome {
	t.Helper()
	tree := systest.OpenFirewalldTree(t, vectorRelease)
	var in strings.Builder
	for _, s := range inputs {
		b, _ := json.Marshal(s)
		in.Write(b)
		in.WriteByte('\n')
	}
	cmd := tree.Python("testdata/richpy.py")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("richpy.py: %v", err)
	}
	var res []outcome
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		switch {
		case m["ok"] != "" || len(m) == 1 && m["code"] == "" && m["crash"] == "":
			res = append(res, outcome{ok: true, text: m["ok"]})
		case m["crash"] != "":
			// firewalld sends str(exception), reported as UNKNOWN_ERROR.
			_, msg, _ := strings.Cut(m["crash"], ": ")
			res = append(res, outcome{code: "UNKNOWN_ERROR", text: msg})
		default:
			res = append(res, outcome{code: m["code"], text: m["msg"]})
		}
	}
	if len(res) != len(inputs) {
		t.Fatalf("richpy.py answered %d of %d rules", len(res), len(inputs))
	}
	return res
}

// TestAgainstRichPy compares every vector with what firewalld 1.3.3's own
// rich.py does (its parse and check, not the runtime checks): the same
// canonical string or the same code and message, or, for a documented
// difference, what the vector says firewalld does instead.
func TestAgainstRichPy(t *testing.T) {
	vs, _ := loadVectors(t)
	var inputs []string
	var compared []*vector
	for _, v := range vs {
		// Skipped vectors still go to rich.py when they say what firewalld does.
		if v.skip == "" || v.fw != nil {
			inputs = append(inputs, v.input)
			compared = append(compared, v)
		}
	}
	got := richPy(t, inputs)
	for i, v := range compared {
		t.Run(v.name(), func(t *testing.T) {
			want := *v.want
			if v.fw != nil {
				want = *v.fw
			}
			g := got[i]
			switch {
			case want.ok != g.ok:
				t.Fatalf("firewalld's rich.py on %q: %s, vector says %s", v.input, g, want)
			case g.ok && g.text != want.text:
				t.Fatalf("firewalld's rich.py on %q:\n got %s\nwant %s", v.input, g.text, want.text)
			case !g.ok && (g.code != want.code || !messageMatches(g.text, want.text)):
				t.Fatalf("firewalld's rich.py on %q: %s, vector says %s", v.input, g, want)
			}
		})
	}
}

// messageMatches: our texts are firewalld's message, maybe followed by our
// position and reason in parentheses, or (for an empty firewalld message)
// our detail alone.
func messageMatches(fw, ours string) bool {
	fw = strings.TrimSpace(fw)
	switch {
	case fw == "":
		return true
	case strings.HasPrefix(ours, fw):
		return true
	}
	// A vector holds only the first line of a multi-line message.
	first, _, _ := strings.Cut(fw, "\n")
	return first == ours || strings.Contains(fw, ours)
}
