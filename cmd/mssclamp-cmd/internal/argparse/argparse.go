// Package argparse parses a command line the way Python's argparse parses
// firewall-cmd's: the same accepted spellings and the same error texts, for
// the small set of option kinds firewall-cmd's rich-rule options use.
//
// What it reproduces, because administrators and scripts rely on it:
//
//   - long options take their value as --opt=VALUE or --opt VALUE; a
//     following argument that looks like an option ("-x", "--y") is not a
//     value ("expected one argument"), one that contains a space or looks
//     like a negative number is;
//   - a long option may be abbreviated to any unique prefix (--zon=public);
//     an ambiguous prefix is an error naming every candidate;
//   - short flags combine (-qv); a flag given a value (--state=1) is an error;
//   - options of one mutually exclusive group may not be combined, but the
//     same option may be repeated; a repeated value option keeps the last
//     value, a repeated list option collects every value;
//   - anything else ("foo", "--", an unknown option) is collected and
//     reported at the end as "unrecognized arguments: ...", after any other
//     error found on the way.
//
// Python's argparse also knows positional arguments, optional values and
// nargs counts; firewall-cmd's rich-rule options use none of them.
package argparse

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind is what an option takes.
type Kind int

const (
	Flag   Kind = iota // no value: store_true
	Value              // one value; the last one given wins
	Append             // one value each time; all are kept, in order
)

// Option is one option of the command.
type Option struct {
	Long  string // "--zone"
	Short string // "-q", or ""
	Kind  Kind
	// Group > 0 puts the option in a mutually exclusive group with every
	// other option of the same Group.
	Group int
}

// name is how argparse names the option in errors: "-q/--quiet".
func (o *Option) name() string {
	if o.Short != "" {
		return o.Short + "/" + o.Long
	}
	return o.Long
}

// Result holds what was given, keyed by the long option name ("--zone").
type Result struct {
	Flags  map[string]bool
	Values map[string]string
	Lists  map[string][]string
}

// Set reports whether the option was given at all.
func (r *Result) Set(long string) bool {
	_, v := r.Values[long]
	return r.Flags[long] || v || len(r.Lists[long]) > 0
}

// Error is a usage error, worded as argparse words it (without the
// "prog: error: " prefix).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// negativeNumber is argparse's _negative_number_matcher: such an argument is
// a value, not an option, as long as no option looks like a number.
var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// parser holds the state of one Parse.
type parser struct {
	opts   []Option
	res    *Result
	seen   []*Option // options given so far, for the group check
	extras []string
}

// Parse parses args (without the program name) against opts.
func Parse(opts []Option, args []string) (*Result, error) {
	p := &parser{
		opts: opts,
		res:  &Result{Flags: map[string]bool{}, Values: map[string]string{}, Lists: map[string][]string{}},
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			// Everything after "--" is positional, and nothing takes positionals.
			p.extras = append(p.extras, args[i:]...)
			break
		}
		opt, optString, explicit, known, err := p.lookup(arg)
		if err != nil {
			return nil, err
		}
		switch {
		case !known:
			p.extras = append(p.extras, arg)
			continue
		case opt == nil:
			// Looks like an option but is none.
			p.extras = append(p.extras, arg)
			continue
		}
		if opt.Kind == Flag {
			if err := p.flag(opt, optString, explicit); err != nil {
				return nil, err
			}
			continue
		}
		var value string
		switch {
		case explicit != nil:
			value = *explicit
		case i+1 < len(args) && !p.looksLikeOption(args[i+1]):
			i++
			value = args[i]
		default:
			return nil, &Error{fmt.Sprintf("argument %s: expected one argument", opt.name())}
		}
		if err := p.take(opt); err != nil {
			return nil, err
		}
		if opt.Kind == Value {
			p.res.Values[opt.Long] = value
		} else {
			p.res.Lists[opt.Long] = append(p.res.Lists[opt.Long], value)
		}
	}
	if len(p.extras) > 0 {
		return nil, &Error{"unrecognized arguments: " + strings.Join(p.extras, " ")}
	}
	return p.res, nil
}

// flag handles a flag. A single-dash flag may carry more short flags
// ("-qv" is -q with "v" after it); any other value is refused. Short options
// here are all flags, so "-qVALUE" never means a value.
func (p *parser) flag(opt *Option, optString string, explicit *string) error {
	for {
		if err := p.take(opt); err != nil {
			return err
		}
		p.res.Flags[opt.Long] = true
		if explicit == nil {
			return nil
		}
		var next *Option
		if !strings.HasPrefix(optString, "--") && *explicit != "" {
			next = p.short("-" + (*explicit)[:1])
		}
		if next == nil || next.Kind != Flag {
			return &Error{fmt.Sprintf("argument %s: ignored explicit argument %s", opt.name(), pyRepr(*explicit))}
		}
		rest := (*explicit)[1:]
		opt, optString, explicit = next, next.Short, nil
		if rest != "" {
			explicit = &rest
		}
	}
}

// take records that opt was given and refuses it when another option of its
// group was given before; like argparse, it names the first such option in
// the order the options are defined.
func (p *parser) take(opt *Option) error {
	if opt.Group > 0 {
		for i := range p.opts {
			o := &p.opts[i]
			if o != opt && o.Group == opt.Group && slices.Contains(p.seen, o) {
				return &Error{fmt.Sprintf("argument %s: not allowed with argument %s", opt.name(), o.name())}
			}
		}
	}
	if !slices.Contains(p.seen, opt) {
		p.seen = append(p.seen, opt)
	}
	return nil
}

// lookup classifies arg as argparse's _parse_optional does. known is false
// for a positional argument; opt is nil for something that looks like an
// option but is none. explicit is the value after "=" (or, for a short
// option, the rest of the argument).
func (p *parser) lookup(arg string) (opt *Option, optString string, explicit *string, known bool, err error) {
	if arg == "" || arg[0] != '-' {
		return nil, "", nil, false, nil
	}
	if o := p.exact(arg); o != nil {
		return o, arg, nil, true, nil
	}
	if len(arg) == 1 {
		return nil, "", nil, false, nil
	}
	if name, value, ok := strings.Cut(arg, "="); ok {
		if o := p.exact(name); o != nil {
			return o, name, &value, true, nil
		}
	}
	matches := p.prefixMatches(arg)
	if len(matches) > 1 {
		names := make([]string, len(matches))
		for i, m := range matches {
			names[i] = m.optString
		}
		return nil, "", nil, false, &Error{fmt.Sprintf("ambiguous option: %s could match %s", arg, strings.Join(names, ", "))}
	}
	if len(matches) == 1 {
		m := matches[0]
		return m.opt, m.optString, m.explicit, true, nil
	}
	if negativeNumber.MatchString(arg) || strings.Contains(arg, " ") {
		return nil, "", nil, false, nil
	}
	return nil, arg, nil, true, nil
}

// looksLikeOption is argparse's test of whether the argument after a value
// option is its value ("A") or another option ("O").
func (p *parser) looksLikeOption(arg string) bool {
	if arg == "--" {
		return true
	}
	_, _, _, known, err := p.lookup(arg)
	return known || err != nil
}

type match struct {
	opt       *Option
	optString string
	explicit  *string
}

// prefixMatches is argparse's _get_option_tuples: a "--" argument matches
// every long option it is a prefix of (up to "="); a single-dash argument
// matches a short option with the rest as its explicit argument, or long
// options it is a prefix of.
func (p *parser) prefixMatches(arg string) []match {
	var out []match
	if strings.HasPrefix(arg, "--") {
		prefix, value, hasValue := strings.Cut(arg, "=")
		for i := range p.opts {
			o := &p.opts[i]
			if strings.HasPrefix(o.Long, prefix) {
				m := match{opt: o, optString: o.Long}
				if hasValue {
					v := value
					m.explicit = &v
				}
				out = append(out, m)
			}
		}
		return out
	}
	shortPrefix, rest := arg[:2], arg[2:]
	for i := range p.opts {
		o := &p.opts[i]
		switch {
		case o.Short != "" && o.Short == shortPrefix:
			r := rest
			out = append(out, match{opt: o, optString: o.Short, explicit: &r})
		case strings.HasPrefix(o.Long, arg):
			out = append(out, match{opt: o, optString: o.Long})
		}
	}
	return out
}

func (p *parser) exact(s string) *Option {
	for i := range p.opts {
		if p.opts[i].Long == s || (p.opts[i].Short != "" && p.opts[i].Short == s) {
			return &p.opts[i]
		}
	}
	return nil
}

func (p *parser) short(s string) *Option {
	for i := range p.opts {
		if p.opts[i].Short == s {
			return &p.opts[i]
		}
	}
	return nil
}

// pyRepr quotes s as Python's repr does for the plain strings that reach
// it here.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
