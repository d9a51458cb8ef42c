package ipt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// parseSave reads `iptables-save -t mangle -c` output and keeps what is
// ours: chains named ChainPrefix*, their rules with counters, and the rules
// of built-in chains that lead to them. Rules appear in the kernel's order.
func parseSave(out string) (*table, error) {
	t := &table{}
	chains := map[string]*chain{}
	builtins := map[string]bool{}
	in := false
	for n, text := range strings.Split(out, "\n") {
		text = strings.TrimSpace(text)
		switch {
		case text == "" || text[0] == '#':
		case text[0] == '*':
			in = text[1:] == Table
		case !in:
		case text == "COMMIT":
			in = false
		case text[0] == ':':
			f := strings.Fields(text[1:])
			if len(f) < 2 {
				return nil, fmt.Errorf("line %d: bad chain line %q", n+1, text)
			}
			if f[1] != "-" {
				builtins[f[0]] = true
			} else if strings.HasPrefix(f[0], ChainPrefix) {
				c := &chain{name: f[0], origin: "chain " + f[0]}
				chains[c.name] = c
				t.chains = append(t.chains, c)
			}
		default:
			cnt, rest, err := splitCounter(text)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			f := strings.SplitN(rest, " ", 3)
			if len(f) < 2 || f[0] != "-A" {
				return nil, fmt.Errorf("line %d: not a rule: %q", n+1, text)
			}
			name, spec := f[1], ""
			if len(f) == 3 {
				spec = f[2]
			}
			args, err := splitArgs(spec)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			target, comment := targetOf(args), argAfter(args, "--comment")
			switch c := chains[name]; {
			case c != nil:
				c.rules = append(c.rules, rule{
					spec:    spec,
					origin:  fmt.Sprintf("rule %d of %s", len(c.rules)+1, name),
					id:      backend.IDFromComment(comment),
					clamp:   target == "TCPMSS",
					counter: cnt,
				})
			case builtins[name] && strings.HasPrefix(target, ChainPrefix):
				t.jumps = append(t.jumps, jump{builtin: name, target: target, spec: spec, counter: cnt})
			}
		}
	}
	return t, nil
}

// splitCounter takes the "[packets:bytes] " prefix off a rule line.
func splitCounter(text string) (*backend.Counter, string, error) {
	if !strings.HasPrefix(text, "[") {
		return nil, text, nil
	}
	end := strings.Index(text, "] ")
	if end < 0 {
		return nil, "", fmt.Errorf("bad counter in %q", text)
	}
	p, b, ok := strings.Cut(text[1:end], ":")
	pk, err1 := strconv.ParseUint(p, 10, 64)
	by, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, "", fmt.Errorf("bad counter in %q", text)
	}
	return &backend.Counter{Packets: pk, Bytes: by}, text[end+2:], nil
}

// splitArgs splits a rule the way iptables-restore does: on spaces, with
// double quotes grouping and a backslash escaping the next character.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	quoted, escaped, started := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped, started = true, true
		case c == '"':
			quoted, started = !quoted, true
		case c == ' ' && !quoted:
			if started {
				args = append(args, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if quoted || escaped {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if started {
		args = append(args, cur.String())
	}
	return args, nil
}

// argAfter returns the argument that follows the first flag, or "".
func argAfter(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// targetOf returns a rule's -j or -g target, not mistaking a comment or log
// prefix that reads "-j" for one.
func targetOf(args []string) string {
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--comment", "--log-prefix", "--nflog-prefix":
			i++
		case "-j", "-g":
			return args[i+1]
		}
	}
	return ""
}
