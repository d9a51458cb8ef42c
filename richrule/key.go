package richrule

// Key identifies a rule for add, query and remove: two rules are the same
// rule exactly when their keys are equal. It is the canonical string, as
// firewalld identifies rules by str(rule); since our canonical form also
// normalises the clamp value and limit rates, "rule tcp-mss-clamp" and
// "rule tcp-mss-clamp value=pmtu" are one rule, as are value=00536 and 536.
func (r *Rule) Key() string { return r.String() }

// Equal reports whether r and o are the same rule (equal keys).
func (r *Rule) Equal(o *Rule) bool {
	if r == nil || o == nil {
		return r == o
	}
	return r.Key() == o.Key()
}
