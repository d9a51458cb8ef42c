package firewalld

import "strings"

// This file reproduces the Python built-ins firewalld's checks rest on, for
// ASCII input: int(s), int(s, 0) and str.strip(). Python also accepts
// non-ASCII digits and spaces there (int("٣") == 3); we do not, on purpose.

// pyMaxStrDigits is CPython's limit on decimal digits in int() (3.11+).
const pyMaxStrDigits = 4300

// pySaturate bounds the integers we keep: anything beyond is out of every
// range firewalld checks (the largest is 2^32-1), so the exact value of a
// bigger number never matters.
const pySaturate = 1 << 62

// PyStrip removes the ASCII whitespace str.strip() removes. Control
// characters never reach it (the tokenizer deletes them), so only the space
// is left in practice.
func PyStrip(s string) string { return strings.Trim(s, " \t\n\v\f\r\x1c\x1d\x1e\x1f") }

// PyInt is int(s): optional whitespace and sign, decimal digits with single
// underscores between them, leading zeros allowed. The result saturates at
// ±pySaturate.
func PyInt(s string) (int64, bool) {
	s = PyStrip(s)
	neg, s := pySign(s)
	v, ok := pyDigits(s, 10, true)
	if !ok {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// PyInt0 is int(s, 0): like int(s) but with 0x/0o/0b prefixes, and a decimal
// number may not start with 0 unless it is all zeros.
func PyInt0(s string) (int64, bool) {
	s = PyStrip(s)
	neg, s := pySign(s)
	base := 10
	if len(s) >= 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
	}
	var v int64
	var ok bool
	if base != 10 {
		rest := s[2:]
		// One underscore may follow the prefix: int("0x_1f", 0) == 31.
		if strings.HasPrefix(rest, "_") {
			rest = rest[1:]
		}
		v, ok = pyDigits(rest, base, false)
	} else {
		v, ok = pyDigits(s, 10, true)
		if ok && v != 0 && s[0] == '0' {
			ok = false
		}
		if ok && v == 0 && strings.Trim(s, "0_") != "" {
			ok = false
		}
	}
	if !ok {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func pySign(s string) (bool, string) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[0] == '-', s[1:]
	}
	return false, s
}

// pyDigits parses digits of base with single underscores between them.
// limited applies CPython's cap on decimal digit count.
func pyDigits(s string, base int, limited bool) (int64, bool) {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return 0, false
	}
	var v int64
	n := 0
	prevUnderscore := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		}
		prevUnderscore = false
		d := digitVal(c)
		if d < 0 || d >= base {
			return 0, false
		}
		n++
		if v < pySaturate {
			v = v*int64(base) + int64(d)
			if v > pySaturate {
				v = pySaturate
			}
		}
	}
	if limited && n > pyMaxStrDigits {
		return 0, false
	}
	return v, true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// IsDigits is str.isdigit() for ASCII: non-empty and only 0-9.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CheckUINT16 and CheckUINT32 are firewalld's functions of the same name.
func CheckUINT16(s string) bool {
	v, ok := PyInt0(s)
	return ok && v >= 0 && v <= 65535
}

func CheckUINT32(s string) bool {
	v, ok := PyInt0(s)
	return ok && v >= 0 && v <= 4294967295
}
