package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// target is the zone or policy a call is about (an empty zone name is the
// default zone), at runtime or permanently.
type target struct {
	firewalld.Scope
	permanent bool
}

// ruleArg is one rule as typed and as parsed.
type ruleArg struct {
	typed string
	rule  *richrule.Rule
}

// ours reports whether mssclampd holds the rule: it has tcp-mss-clamp.
func (r ruleArg) ours() bool { return r.rule.Clamp() != nil }

// listed is one rule of a listing.
type listed struct {
	rule    string
	owner   string           // ownerFirewalld or ownerOurs
	counter *backend.Counter // our runtime rules, when counters were asked for
}

const (
	ownerFirewalld = "firewalld"
	ownerOurs      = "mssclampd"
)

// ruleHost is where the rich rules of a call live: the two daemons
// (online), or mssclampd's files (offline). Errors carry firewalld codes
// (a *firewalld.Error).
type ruleHost interface {
	add(ctx context.Context, t target, r ruleArg, timeout int32) error
	remove(ctx context.Context, t target, r ruleArg) error
	query(ctx context.Context, t target, r ruleArg) (bool, error)
	list(ctx context.Context, t target, counters bool) ([]listed, error)
	// check fails when the zone or policy does not exist.
	check(ctx context.Context, t target) error
	defaultZone(ctx context.Context) (string, error)
}

// parseRule parses one rule of the command line; an invalid rule fails
// here, with firewalld's code, before anything is asked of a daemon.
func parseRule(typed string) (ruleArg, error) {
	r, err := richrule.Parse(typed)
	if err != nil {
		return ruleArg{}, err
	}
	return ruleArg{typed: typed, rule: r}, nil
}

// proceed is what a sequence returns when the command goes on to print
// "success".
const proceed = -1

// sequence runs do for each rule of --add-rich-rule or --remove-rich-rule as
// firewall-cmd's __cmd_sequence does. One rule: AlreadyEnabled and
// NotEnabled are a warning, anything else an error with its exit status.
// Several: every failure is a warning, and the command succeeds when at
// least one rule did or one failure was only a warning; otherwise it exits
// with the one code all failures had, or UNKNOWN_ERROR for a mix.
func sequence(p *printer, items []string, do func(ruleArg) error) int {
	var codes []int
	failed := 0
	for _, typed := range items {
		r, err := parseRule(typed)
		if err == nil {
			err = do(r)
		}
		if err == nil {
			continue
		}
		fe := firewalld.AsError(err)
		if fe.Code == firewalld.NotAuthorized {
			return p.fail(fe)
		}
		code := fe.Code.Number()
		if warningOnly(fe.Code) {
			code = 0
		}
		switch {
		case len(items) > 1:
			p.warn("Warning: " + fe.Error())
		case code == 0:
			p.warn("Warning: " + fe.Error())
			return proceed
		default:
			return p.fail(fe)
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
		failed++
	}
	switch {
	case len(items) > failed || slices.Contains(codes, 0):
		return proceed
	case len(codes) == 1:
		return codes[0]
	}
	return firewalld.UnknownError.Number()
}

// querySequence runs --query-rich-rule as firewall-cmd's __query_sequence
// does: one rule prints yes (exit 0) or no (exit 1); several print
// "'RULE': yes|no" each, with the rule as typed, failures as warnings, and
// exit 0.
func querySequence(p *printer, items []string, query func(ruleArg) (bool, error)) int {
	for _, typed := range items {
		r, err := parseRule(typed)
		var found bool
		if err == nil {
			found, err = query(r)
		}
		if err != nil {
			fe := firewalld.AsError(err)
			if len(items) == 1 || fe.Code == firewalld.NotAuthorized {
				return p.fail(fe)
			}
			p.warn("Warning: " + fe.Error())
			continue
		}
		switch {
		case len(items) > 1:
			p.msg(fmt.Sprintf("'%s': %s", typed, yesNo(found)))
		case found:
			return p.exit("yes", 0)
		default:
			return p.exit("no", 1)
		}
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
