package dbus

import "testing"

// TestAddedRule: the rule a policy gained is found wherever firewalld lists it
// (2.x lists a runtime policy's rules in no fixed order), and a duplicate
// shows as a rule before already had.
func TestAddedRule(t *testing.T) {
	for _, c := range []struct {
		name          string
		before, after []string
		want          string
		ok            bool
	}{
		{"appended", []string{"a"}, []string{"a", "b"}, "b", true},
		{"listed first", []string{"a", "c"}, []string{"b", "c", "a"}, "b", true},
		{"duplicate", []string{"a", "b"}, []string{"b", "a", "a"}, "a", true},
		{"into empty", nil, []string{"a"}, "a", true},
		{"nothing added", []string{"a"}, []string{"a"}, "", false},
		{"replaced", []string{"a", "b"}, []string{"a", "c", "d"}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := addedRule(c.before, c.after)
			if got != c.want || ok != c.ok {
				t.Errorf("addedRule(%q, %q) = %q, %v; want %q, %v", c.before, c.after, got, ok, c.want, c.ok)
			}
		})
	}
}
