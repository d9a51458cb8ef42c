package argparse

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// testOptions is a small command in the shape of firewall-cmd's.
var testOptions = []Option{
	{Long: "--verbose", Short: "-v", Kind: Flag, Group: 1},
	{Long: "--quiet", Short: "-q", Kind: Flag, Group: 1},
	{Long: "--help", Short: "-h", Kind: Flag, Group: 2},
	{Long: "--state", Kind: Flag, Group: 2},
	{Long: "--reload", Kind: Flag, Group: 2},
	{Long: "--permanent", Kind: Flag},
	{Long: "--zone", Kind: Value},
	{Long: "--timeout", Kind: Value},
	{Long: "--add-rich-rule", Kind: Append, Group: 3},
	{Long: "--remove-rich-rule", Kind: Append, Group: 3},
	{Long: "--list-rich-rules", Kind: Flag, Group: 3},
	{Long: "--list-backend-rules", Kind: Flag, Group: 2},
}

// outcome is what a parse gave, comparable with Python's.
type outcome struct {
	Err    string              `json:"err"`
	Flags  map[string]bool     `json:"flags"`
	Values map[string]string   `json:"values"`
	Lists  map[string][]string `json:"lists"`
}

func parseOutcome(args []string) outcome {
	r, err := Parse(testOptions, args)
	if err != nil {
		return outcome{Err: err.Error()}
	}
	o := outcome{Flags: map[string]bool{}, Values: r.Values, Lists: r.Lists}
	for k, v := range r.Flags {
		if v {
			o.Flags[k] = true
		}
	}
	return o
}

// cases are command lines whose outcome the tests check, the expected
// values checked by hand against firewall-cmd 1.3.3.
var cases = []struct {
	name string
	args []string
	want outcome
}{
	{"equals value", []string{"--zone=public", "--list-rich-rules"},
		outcome{Flags: map[string]bool{"--list-rich-rules": true}, Values: map[string]string{"--zone": "public"}}},
	{"separate value", []string{"--zone", "public", "--list-rich-rules"},
		outcome{Flags: map[string]bool{"--list-rich-rules": true}, Values: map[string]string{"--zone": "public"}}},
	{"empty value", []string{"--zone=", "--list-rich-rules"},
		outcome{Flags: map[string]bool{"--list-rich-rules": true}, Values: map[string]string{"--zone": ""}}},
	{"last value wins", []string{"--zone=a", "--zone=b", "--list-rich-rules"},
		outcome{Flags: map[string]bool{"--list-rich-rules": true}, Values: map[string]string{"--zone": "b"}}},
	{"append keeps all", []string{"--add-rich-rule=rule a", "--add-rich-rule", "rule b"},
		outcome{Lists: map[string][]string{"--add-rich-rule": {"rule a", "rule b"}}}},
	{"abbreviation", []string{"--zon=public", "--add-rich=r"},
		outcome{Values: map[string]string{"--zone": "public"}, Lists: map[string][]string{"--add-rich-rule": {"r"}}}},
	{"ambiguous", []string{"--list"},
		outcome{Err: "ambiguous option: --list could match --list-rich-rules, --list-backend-rules"}},
	{"ambiguous with value", []string{"--list=x"},
		outcome{Err: "ambiguous option: --list=x could match --list-rich-rules, --list-backend-rules"}},
	{"missing value", []string{"--zone"},
		outcome{Err: "argument --zone: expected one argument"}},
	{"option is no value", []string{"--add-rich-rule", "-x"},
		outcome{Err: "argument --add-rich-rule: expected one argument"}},
	{"value with space may start with dash", []string{"--add-rich-rule", "-x y"},
		outcome{Lists: map[string][]string{"--add-rich-rule": {"-x y"}}}},
	{"negative number is a value", []string{"--timeout", "-5", "--add-rich-rule=r"},
		outcome{Values: map[string]string{"--timeout": "-5"}, Lists: map[string][]string{"--add-rich-rule": {"r"}}}},
	{"flag with value", []string{"--state=1"},
		outcome{Err: "argument --state: ignored explicit argument '1'"}},
	{"combined short flags conflict", []string{"-qv"},
		outcome{Err: "argument -v/--verbose: not allowed with argument -q/--quiet"}},
	{"short flag unknown rest", []string{"-qx"},
		outcome{Err: "argument -q/--quiet: ignored explicit argument 'x'"}},
	{"group conflict", []string{"--add-rich-rule=a", "--remove-rich-rule=b"},
		outcome{Err: "argument --remove-rich-rule: not allowed with argument --add-rich-rule"}},
	{"group conflict names the first defined", []string{"--reload", "--help", "--state"},
		outcome{Err: "argument -h/--help: not allowed with argument --reload"}},
	{"same option twice is fine", []string{"--state", "--state"},
		outcome{Flags: map[string]bool{"--state": true}}},
	{"unknown", []string{"--bogus", "foo", "--state"},
		outcome{Err: "unrecognized arguments: --bogus foo"}},
	{"error before unknown", []string{"--bogus", "--zone"},
		outcome{Err: "argument --zone: expected one argument"}},
	{"double dash", []string{"--zone=public", "--", "--list-rich-rules"},
		outcome{Err: "unrecognized arguments: -- --list-rich-rules"}},
	{"lone dash", []string{"-"},
		outcome{Err: "unrecognized arguments: -"}},
	{"unknown with equals", []string{"--bogus=1"},
		outcome{Err: "unrecognized arguments: --bogus=1"}},
}

func norm(o outcome) outcome {
	if o.Err != "" {
		return outcome{Err: o.Err}
	}
	if len(o.Flags) == 0 {
		o.Flags = nil
	}
	if len(o.Values) == 0 {
		o.Values = nil
	}
	if len(o.Lists) == 0 {
		o.Lists = nil
	}
	return o
}

func TestParse(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := norm(parseOutcome(c.args))
			if want := norm(c.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.args, got, want)
			}
		})
	}
}

// pythonParser builds testOptions as a Python argparse parser, as
// firewall-cmd builds its own, and prints one JSON outcome per command line.
const pythonParser = `
import argparse, json, sys

class Failed(Exception):
    pass

class P(argparse.ArgumentParser):
    def error(self, message):
        raise Failed(message)

opts = json.loads(sys.argv[1])
lines = json.loads(sys.argv[2])
p = P(add_help=False)
groups = {}
dests = {}
for o in opts:
    target = p
    if o["Group"]:
        target = groups.setdefault(o["Group"], p.add_mutually_exclusive_group())
    names = [o["Short"], o["Long"]] if o["Short"] else [o["Long"]]
    kw = {0: {"action": "store_true"}, 1: {}, 2: {"action": "append"}}[o["Kind"]]
    a = target.add_argument(*names, **kw)
    dests[a.dest] = o
for args in lines:
    out = {"err": "", "flags": {}, "values": {}, "lists": {}}
    try:
        ns = p.parse_args(args)
        for dest, o in dests.items():
            v = getattr(ns, dest)
            if o["Kind"] == 0 and v:
                out["flags"][o["Long"]] = True
            elif o["Kind"] == 1 and v is not None:
                out["values"][o["Long"]] = v
            elif o["Kind"] == 2 and v:
                out["lists"][o["Long"]] = v
    except Failed as e:
        out = {"err": str(e)}
    print(json.dumps(out))
`

// TestAgainstPython gives every case to Python's argparse, configured as
// firewall-cmd configures it: argparse is the reference.
func TestAgainstPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: argparse is the reference")
	}
	type pyOption struct {
		Long, Short string
		Kind, Group int
	}
	var opts []pyOption
	for _, o := range testOptions {
		opts = append(opts, pyOption{o.Long, o.Short, int(o.Kind), o.Group})
	}
	var lines [][]string
	for _, c := range cases {
		lines = append(lines, c.args)
	}
	optsJSON, _ := json.Marshal(opts)
	linesJSON, _ := json.Marshal(lines)
	out, err := exec.Command("python3", "-c", pythonParser, string(optsJSON), string(linesJSON)).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	results := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(results) != len(cases) {
		t.Fatalf("python3 printed %d outcomes for %d cases", len(results), len(cases))
	}
	for i, c := range cases {
		var py outcome
		if err := json.Unmarshal([]byte(results[i]), &py); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := norm(parseOutcome(c.args))
		if !reflect.DeepEqual(got, norm(py)) {
			t.Errorf("%s: Parse(%q)\n    got %s\n python %s", c.name, c.args, fmt.Sprint(got), fmt.Sprint(norm(py)))
		}
	}
}
