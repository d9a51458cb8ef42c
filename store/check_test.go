package store

import (
	"testing"
)

func TestQuoteAttr(t *testing.T) {
	// saxutils.quoteattr's outputs.
	tests := map[string]string{
		`a`:       `"a"`,
		`a"b`:     `'a"b'`,
		`a"'b`:    `"a&quot;'b"`,
		"<&>":     `"&lt;&amp;&gt;"`,
		"a\nb\tc": `"a&#10;b&#9;c"`,
		`it's`:    `"it's"`,
	}
	for in, want := range tests {
		if got := quoteAttr(in); got != want {
			t.Errorf("quoteAttr(%q) = %s, want %s", in, got, want)
		}
	}
}
