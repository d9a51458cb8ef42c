package backend

import "testing"

// CompileCase lets the external tests (render goldens, packets) compile a
// case of testdata/compile; a rule left out is an error here, as the cases
// name one rule each.
func CompileCase(t testing.TB, text string) (*Ruleset, error) {
	rs, diags, err := Compile(parseCase(t, text))
	if err == nil && len(diags) > 0 {
		err = diags[0]
	}
	return rs, err
}
