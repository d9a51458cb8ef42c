package richrule

import (
	"encoding/xml"
	"errors"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// FuzzParse: no input panics; an error is always a *firewalld.Error with a known
// code; an accepted rule prints a canonical string that parses back to an
// equal rule printing the same, and survives the XML round trip. The seed
// corpus in testdata/fuzz/FuzzParse holds every vector's input.
func FuzzParse(f *testing.F) {
	f.Add("rule tcp-mss-clamp value=1200")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			var e *firewalld.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T %v is not a *firewalld.Error", s, err, err)
			}
			if !e.Code.Named() {
				t.Fatalf("Parse(%q): unknown code %d", s, e.Code)
			}
			_ = e.Error()
			return
		}
		c := r.String()
		r2, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) prints %q, which does not parse: %v", s, c, err)
		}
		if !r2.Equal(r) || r2.String() != c {
			t.Fatalf("Parse(%q) prints %q, which reads back as %q", s, c, r2)
		}
		if err := r.Check(); err != nil {
			t.Fatalf("Parse(%q) accepted a rule Check refuses: %v", s, err)
		}
		b, err := xml.Marshal(r)
		if err != nil {
			t.Fatalf("xml.Marshal(%q): %v", c, err)
		}
		var r3 Rule
		if err := xml.Unmarshal(b, &r3); err != nil {
			t.Fatalf("xml.Unmarshal(%s): %v", b, err)
		}
		if !r3.Equal(r) {
			t.Fatalf("XML %s reads back as %q, want %q", b, &r3, c)
		}
	})
}
