package backend

// ParseCase lets the external tests (render goldens, packets) read the
// input language of testdata/compile.
var ParseCase = parseCase
