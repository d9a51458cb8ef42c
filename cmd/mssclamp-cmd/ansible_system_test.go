package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// The mssclamp.firewall collection (contrib/ansible_collections) is tested
// with Debian's ansible-core, unpacked by the harness, against the built
// mssclamp-cmd and mssclampd.

// collectionsDir is the collection path that holds ansible_collections/.
const collectionsDir = "../../contrib"

// ansible runs ansible-core's commands with a private home and the
// collection on its path.
type ansible struct {
	root string // the tree systest.DebianTree unpacked ansible-core into
	dir  string // working directory, ANSIBLE_HOME, playbooks and results
	env  []string
}

func newAnsible(t testing.TB, env []string) *ansible {
	t.Helper()
	systest.RequireCommands(t, "/usr/bin/python3")
	a := &ansible{root: systest.DebianTree(t, "", "ansible-core"), dir: t.TempDir()}
	collections, err := filepath.Abs(collectionsDir)
	if err != nil {
		t.Fatal(err)
	}
	a.env = append(env,
		"ANSIBLE_HOME="+a.dir,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(a.dir, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(a.dir, "tmp"),
		"ANSIBLE_COLLECTIONS_PATH="+collections,
		"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_RETRY_FILES_ENABLED=false",
		"ANSIBLE_PIPELINING=true", // one python per task, no module file written
	)
	a.env = append(a.env, "PYTHONPATH="+filepath.Join(a.root, "usr/lib/python3/dist-packages"))
	return a
}

// bin is the path of one of ansible-core's programs.
func (a *ansible) bin(program string) string { return filepath.Join(a.root, "usr/bin", program) }

// python runs Debian's python3 (which the unpacked libraries are built
// for, whatever python3 PATH finds first) with args, in a's environment.
// Anything on stderr (ansible's warnings) is an error too.
func (a *ansible) python(args ...string) (stdout string, err error) {
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Dir, cmd.Env = a.dir, a.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if err != nil || errOut.Len() > 0 {
		return out.String(), fmt.Errorf("python3 %q: %v\n%s%s", args, err, out.String(), errOut.String())
	}
	return out.String(), nil
}

// task is one task of a test playbook: the module with args, or a command
// (argv) whose answer the test reads; check and diff set the task's modes,
// env adds to its environment.
type task struct {
	name        string
	args        map[string]any // mssclamp.firewall.rich_rule's arguments
	argv        []string       // or a command, mssclamp-cmd's arguments
	check, diff bool
	env         map[string]string
}

// playbook runs tasks on localhost in one ansible-playbook run and returns
// each task's registered result, and the default callback's output.
func (a *ansible) playbook(t testing.TB, cmdPath string, tasks []task) ([]map[string]any, string) {
	t.Helper()
	results := filepath.Join(a.dir, "results.json")
	var play []map[string]any
	var names []string
	for i, tk := range tasks {
		reg := fmt.Sprintf("r%d", i)
		names = append(names, reg)
		pt := map[string]any{"name": tk.name, "register": reg, "ignore_errors": true,
			"check_mode": tk.check, "diff": tk.diff}
		if tk.env != nil {
			pt["environment"] = tk.env
		}
		if tk.argv != nil {
			// raw, not command: no Python module to start, a tenth of the time.
			pt["ansible.builtin.raw"] = shellQuote(append([]string{cmdPath}, tk.argv...))
			pt["failed_when"], pt["changed_when"] = false, false
		} else {
			pt["mssclamp.firewall.rich_rule"] = tk.args
		}
		play = append(play, pt)
	}
	play = append(play, map[string]any{"name": "save the results", "check_mode": false,
		"ansible.builtin.copy": map[string]any{"dest": results, "content": "{{ [" + strings.Join(names, ", ") + "] | to_json }}"}})
	// JSON is YAML: the playbook is written as JSON.
	pb, err := json.Marshal([]map[string]any{{"hosts": "localhost", "gather_facts": false, "tasks": play}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(a.dir, "playbook.yml")
	if err := os.WriteFile(path, pb, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(results)
	out, err := a.python(a.bin("ansible-playbook"), "-i", "localhost,", "-c", "local", path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(results)
	if err != nil {
		t.Fatalf("reading the results: %v\n%s", err, out)
	}
	var got []map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("results: %v\n%s", err, data)
	}
	return got, out
}

// shellQuote joins args into a command line for /bin/sh.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// want is what a task's result must show: changed and failed, and what
// named result fields hold (see fieldMatches).
type want struct {
	changed, failed bool
	fields          map[string]string
}

func checkResults(t *testing.T, tasks []task, got []map[string]any, wants []want) {
	t.Helper()
	if len(got) != len(tasks) || len(wants) != len(tasks) {
		t.Fatalf("%d results, %d wants for %d tasks", len(got), len(wants), len(tasks))
	}
	for i, r := range got {
		w := wants[i]
		changed, _ := r["changed"].(bool)
		failed, _ := r["failed"].(bool)
		if tasks[i].argv != nil {
			changed, failed = w.changed, w.failed // a command's answer is in rc and stdout
		}
		ok := changed == w.changed && failed == w.failed
		for field, sub := range w.fields {
			ok = ok && fieldMatches(r[field], sub)
		}
		if !ok {
			res, _ := json.MarshalIndent(r, "", "  ")
			t.Errorf("task %d %q: want changed=%v failed=%v and %q, got:\n%s", i, tasks[i].name, w.changed, w.failed, w.fields, res)
		}
	}
}

// fieldMatches: a string field contains want; a list or map field, as
// JSON, contains want; any other field is want, as JSON.
func fieldMatches(v any, want string) bool {
	if s, ok := v.(string); ok {
		return strings.Contains(s, want)
	}
	j, err := json.Marshal(v)
	switch v.(type) {
	case []any, map[string]any:
		return err == nil && strings.Contains(string(j), want)
	}
	return err == nil && string(j) == want
}

// TestSystemAnsibleRichRule runs the module against mssclampd standalone in
// a namespace: check mode, idempotence, state absent, permanent across
// --reload, policies, the default zone and firewalld's error texts; then,
// on a bus without mssclampd, offline changes to a configuration directory.
// One playbook does it all: ansible-playbook's start is the slow part.
func TestSystemAnsibleRichRule(t *testing.T) {
	t.Parallel()
	w := newSysWorld(t)
	w.startDaemon(t, "--firewalld=off")
	a := newAnsible(t, append(w.bus.Env(), "MSSCLAMP_CMD="+w.cmd))
	offlineDir := t.TempDir()
	seedStore(t, offlineDir)
	noDaemon := map[string]string{"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=" + filepath.Join(offlineDir, "no-bus")}

	const (
		r1      = "rule family=ipv4 tcp-mss-clamp value=1300"
		r1canon = `rule family="ipv4" tcp-mss-clamp value="1300"`
		r2      = "rule tcp-mss-clamp value=1400"
		r3      = "rule family=ipv6 tcp-mss-clamp"
		r4      = "rule tcp-mss-clamp value=1452"
	)
	internal := func(rule, state string, more ...any) map[string]any {
		m := map[string]any{"zone": "internal", "rule": rule, "state": state}
		for i := 0; i+1 < len(more); i += 2 {
			m[more[i].(string)] = more[i+1]
		}
		return m
	}
	offline := func(rule string, more ...any) map[string]any {
		return internal(rule, "present", append([]any{"config_dir", offlineDir}, more...)...)
	}
	query := func(args ...string) []string { return append([]string{"--zone=internal"}, args...) }
	steps := []struct {
		task
		want
	}{
		{task{name: "check mode: would add", args: internal(r1, "present"), check: true, diff: true},
			want{changed: true, fields: map[string]string{"diff": `"after":"` + r1 + `\n"`}}},
		{task{name: "check mode changed nothing", argv: query("--query-rich-rule=" + r1)},
			want{fields: map[string]string{"rc": "1", "stdout": "no"}}},
		{task{name: "add", args: internal(r1, "present"), diff: true},
			want{changed: true, fields: map[string]string{"diff": `"after":"` + strings.ReplaceAll(r1canon, `"`, `\"`) + `\n"`,
				"msg": "Non-permanent operation, Changed rich_rule " + r1 + " to present", "zone": "internal"}}},
		{task{name: "it is there", argv: query("--query-rich-rule=" + r1)},
			want{fields: map[string]string{"rc": "0", "stdout": "yes"}}},
		{task{name: "add again", args: internal(r1, "present"), diff: true},
			want{fields: map[string]string{"msg": "Non-permanent operation"}}},
		{task{name: "add again, spelled as listed", args: internal(r1canon, "enabled")}, want{}},
		{task{name: "check mode: would remove", args: internal(r1, "absent"), check: true, diff: true},
			want{changed: true, fields: map[string]string{"diff": `"after":""`}}},
		{task{name: "remove", args: internal(r1, "absent")}, want{changed: true}},
		{task{name: "it is gone", argv: query("--query-rich-rule=" + r1)},
			want{fields: map[string]string{"rc": "1"}}},
		{task{name: "remove again", args: internal(r1, "absent")}, want{}},
		{task{name: "permanent only", args: internal(r2, "present", "permanent", true)},
			want{changed: true, fields: map[string]string{"msg": "Permanent operation, Changed rich_rule"}}},
		{task{name: "not at runtime", argv: query("--query-rich-rule=" + r2)}, want{fields: map[string]string{"rc": "1"}}},
		{task{name: "permanent", argv: query("--permanent", "--query-rich-rule="+r2)}, want{fields: map[string]string{"rc": "0"}}},
		{task{name: "reload", argv: []string{"--reload"}}, want{fields: map[string]string{"rc": "0", "stdout": "success"}}},
		{task{name: "at runtime after the reload", argv: query("--query-rich-rule=" + r2)}, want{fields: map[string]string{"rc": "0"}}},
		{task{name: "remove from both", args: internal(r2, "absent", "permanent", true, "immediate", true), diff: true},
			want{changed: true, fields: map[string]string{"msg": "Permanent and Non-Permanent(immediate) operation",
				"diff": `"before_header":"zone internal (permanent)"`}}},
		{task{name: "gone from both", argv: query("--list-rich-rules")}, want{fields: map[string]string{"stdout_lines": `[""]`}}},
		{task{name: "an invalid rule", args: internal("rule tcp-mss-clamp value=100", "present")},
			want{failed: true, fields: map[string]string{"msg": "INVALID_RULE: 100 (column 20", "rc": "122"}}},
		{task{name: "a zone that does not exist", args: map[string]any{"zone": "nosuch", "rule": r1, "state": "present"}},
			want{failed: true, fields: map[string]string{"msg": "INVALID_ZONE: nosuch"}}},
		{task{name: "a policy, with a timeout", args: map[string]any{"policy": "fwd", "rule": r3, "state": "present", "timeout": 600}},
			want{changed: true, fields: map[string]string{"policy": "fwd"}}},
		{task{name: "the policy has it", argv: []string{"--policy=fwd", "--list-rich-rules"}},
			want{fields: map[string]string{"stdout": `rule family="ipv6" tcp-mss-clamp`}}},
		{task{name: "the default zone", args: map[string]any{"rule": r1, "state": "present"}},
			want{changed: true, fields: map[string]string{"zone": "public"}}},

		{task{name: "not running", args: offline(r4, "permanent", true), env: noDaemon},
			want{failed: true, fields: map[string]string{"msg": "mssclampd service must be running, or try with offline=true"}}},
		{task{name: "offline, immediate", args: offline(r4, "offline", true), env: noDaemon},
			want{failed: true, fields: map[string]string{"msg": "unable to perform immediate actions without a running mssclampd daemon"}}},
		{task{name: "offline, permanent", args: offline(r4, "offline", true, "permanent", true), diff: true, env: noDaemon},
			want{changed: true, fields: map[string]string{"offline": "true", "diff": `"after":"rule tcp-mss-clamp value=\"1452\"\n"`}}},
		{task{name: "in the files", argv: []string{"--offline", "--config-dir=" + offlineDir, "--zone=internal", "--list-rich-rules"}},
			want{fields: map[string]string{"stdout": `rule tcp-mss-clamp value="1452"`}}},
	}
	var tasks []task
	var wants []want
	for _, s := range steps {
		tasks, wants = append(tasks, s.task), append(wants, s.want)
	}
	got, log := a.playbook(t, w.cmd, tasks)
	t.Logf("ansible-playbook said:\n%s", log)
	checkResults(t, tasks, got, wants)
	// The default callback shows the diff as a unified diff of the listing.
	if !strings.Contains(log, "+++ after: zone internal (runtime)\n@@ -0,0 +1 @@\n+"+r1canon+"\n") {
		t.Errorf("ansible-playbook's diff output lacks the added rule:\n%s", log)
	}
}

// TestSystemAnsibleDoc: ansible-doc shows the module's documentation, the
// documented options are the module's arguments (names, types, defaults,
// choices, aliases), and ansible-galaxy builds the collection.
func TestSystemAnsibleDoc(t *testing.T) {
	t.Parallel()
	a := newAnsible(t, os.Environ())
	out, err := a.python(a.bin("ansible-doc"), "mssclamp.firewall.rich_rule")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"> MSSCLAMP.FIREWALL.RICH_RULE", "INVALID_RULE", "EXAMPLES:", "RETURN VALUES:"} {
		if !strings.Contains(out, s) {
			t.Errorf("ansible-doc lacks %q:\n%s", s, out)
		}
	}
	docJSON, err := a.python(a.bin("ansible-doc"), "--json", "mssclamp.firewall.rich_rule")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]struct {
		Doc struct {
			Options map[string]argSpec `json:"options"`
		} `json:"doc"`
	}
	if err := json.Unmarshal([]byte(docJSON), &doc); err != nil {
		t.Fatalf("ansible-doc --json: %v", err)
	}
	collection, err := filepath.Abs(filepath.Join(collectionsDir, "ansible_collections/mssclamp/firewall"))
	if err != nil {
		t.Fatal(err)
	}
	// fallback holds a function: repr it, it is not compared.
	specJSON, err := a.python("-c", fmt.Sprintf("import json, sys; sys.path.insert(0, %q); import rich_rule; "+
		"print(json.dumps(rich_rule.ARGUMENT_SPEC, default=repr))", filepath.Join(collection, "plugins/modules")))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]argSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		t.Fatalf("ARGUMENT_SPEC: %v\n%s", err, specJSON)
	}
	documented := doc["mssclamp.firewall.rich_rule"].Doc.Options
	for name, s := range spec {
		d, ok := documented[name]
		if !ok {
			t.Errorf("option %s is not documented", name)
			continue
		}
		if d.key() != s.key() {
			t.Errorf("option %s: documented %s, argument spec %s", name, d.key(), s.key())
		}
	}
	for name := range documented {
		if _, ok := spec[name]; !ok {
			t.Errorf("documented option %s is not an argument", name)
		}
	}
	if _, err := a.python(a.bin("ansible-galaxy"), "collection", "build", "--output-path", a.dir, collection); err != nil {
		t.Error(err)
	}
}

// argSpec is what the documentation and the argument spec both say of an
// option.
type argSpec struct {
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Default  any      `json:"default"`
	Choices  []string `json:"choices"`
	Aliases  []string `json:"aliases"`
}

func (s argSpec) key() string {
	b, _ := json.Marshal(s)
	return string(b)
}
