package ipt

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// synMatch is MatchSYN: SYN and SYN-ACK. The TCPMSS target refuses a rule
// without it, so every clamp rule carries it even when an earlier chain
// already checked.
const synMatch = "-m tcp --tcp-flags SYN,RST SYN"

// spec collects one iptables rule in iptables-save's order: the address,
// interface and protocol part first, then the matches as given, then the
// target. Rendering in that order makes what we load and what the kernel
// lists back read the same.
type spec struct {
	src, dst, in, out string
	tcp               bool
	syn               string // synMatch, "! "-negated, or ""
	matches           []string
}

func (s spec) with(target string) string {
	var parts []string
	for _, p := range []string{s.src, s.dst, s.in, s.out} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if s.tcp {
		parts = append(parts, "-p tcp")
	}
	if s.syn != "" {
		parts = append(parts, s.syn)
	}
	parts = append(parts, s.matches...)
	parts = append(parts, target)
	return strings.Join(parts, " ")
}

func neg(invert bool, arg string) string {
	if invert {
		return "! " + arg
	}
	return arg
}

// rule renders rule i of ch into the rules of each family it applies to.
func (b *builder) rule(ch *backend.Chain, i int, r *backend.Rule) ([2][]rule, error) {
	var out [2][]rule
	origin := fmt.Sprintf("rule %d of chain %s", i+1, ch.Name)
	if r.Clamp != nil {
		origin = clampOrigin(r.Clamp)
	}
	fail := func(err error) ([2][]rule, error) {
		return out, fmt.Errorf("%s: %w", origin, err)
	}
	verdicts := 0
	for _, set := range []bool{r.Clamp != nil, r.Jump != "", r.Goto != "", r.Return, r.Dispatch != nil} {
		if set {
			verdicts++
		}
	}
	if verdicts != 1 {
		return fail(fmt.Errorf("has %d verdicts, want exactly one", verdicts))
	}
	fams, err := b.families(r)
	if err != nil {
		return fail(err)
	}
	hooks := b.hooks[ch.Name]
	for _, f := range allFamilies {
		if !fams[f] {
			continue
		}
		var s spec
		for _, m := range r.Matches {
			if err := b.match(&s, m, hooks); err != nil {
				return fail(err)
			}
			if (m.Kind == backend.MatchSrcSet || m.Kind == backend.MatchDstSet) && b.reach[ch.Name][f] {
				if _, seen := b.setUse[f][m.Set]; !seen {
					b.setUse[f][m.Set] = origin
				}
			}
		}
		switch {
		case r.Clamp != nil:
			rules, err := clamp(s, r.Clamp, hooks)
			if err != nil {
				return fail(err)
			}
			for _, cr := range rules {
				cr.origin = origin
				out[f] = append(out[f], cr)
			}
		case r.Dispatch != nil:
			rules, err := b.dispatch(s, r.Dispatch, f, hooks, origin)
			if err != nil {
				return fail(err)
			}
			out[f] = append(out[f], rules...)
		default:
			v, err := b.verdict(backend.Verdict{Kind: verdictKind(r), Chain: r.Jump + r.Goto})
			if err != nil {
				return fail(err)
			}
			out[f] = append(out[f], rule{spec: s.with(v), origin: origin})
		}
	}
	return out, nil
}

func verdictKind(r *backend.Rule) backend.VerdictKind {
	switch {
	case r.Jump != "":
		return backend.VerdictJump
	case r.Goto != "":
		return backend.VerdictGoto
	}
	return backend.VerdictReturn
}

func clampOrigin(c *backend.Clamp) string {
	if c.Rule == "" {
		return fmt.Sprintf("rule id:%s in %s", c.ID, c.Scope)
	}
	return fmt.Sprintf("rule '%s' in %s", c.Rule, c.Scope)
}

// families says which tables a rule goes to: its Family, narrowed by the
// family of its addresses, address sets and address lookup.
func (b *builder) families(r *backend.Rule) ([2]bool, error) {
	fams := [2]bool{true, true}
	narrow := func(f backend.Family) {
		switch f {
		case backend.FamilyIPv4:
			fams[ipv6] = false
		case backend.FamilyIPv6:
			fams[ipv4] = false
		}
	}
	narrow(r.Family)
	for _, m := range r.Matches {
		switch m.Kind {
		case backend.MatchSrcAddr, backend.MatchDstAddr:
			if !m.Prefix.IsValid() {
				return fams, fmt.Errorf("address match without an address")
			}
			narrow(prefixFamily(m.Prefix))
		case backend.MatchSrcSet, backend.MatchDstSet:
			set, ok := b.sets[m.Set]
			if !ok {
				return fams, fmt.Errorf("ipset %q is not in the ruleset", m.Set)
			}
			narrow(set.Family)
		}
	}
	if d := r.Dispatch; d != nil {
		switch d.Key {
		case backend.KeySrcAddr4, backend.KeyDstAddr4:
			narrow(backend.FamilyIPv4)
		case backend.KeySrcAddr6, backend.KeyDstAddr6:
			narrow(backend.FamilyIPv6)
		}
	}
	if !fams[ipv4] && !fams[ipv6] {
		return fams, fmt.Errorf("mixes IPv4 and IPv6 conditions: it can never match")
	}
	return fams, nil
}

func prefixFamily(p netip.Prefix) backend.Family {
	if p.Addr().Is4() {
		return backend.FamilyIPv4
	}
	return backend.FamilyIPv6
}

// match adds one Match to s.
func (b *builder) match(s *spec, m backend.Match, hooks map[backend.Hook]bool) error {
	switch m.Kind {
	case backend.MatchSYN:
		want := "-m tcp " + neg(m.Invert, "--tcp-flags SYN,RST SYN")
		if s.syn != "" && s.syn != want {
			return unsupported("matches SYN and not SYN at once")
		}
		s.tcp, s.syn = true, want
	case backend.MatchInIface, backend.MatchOutIface:
		if err := checkIface(m.Iface, true); err != nil {
			return err
		}
		flag, slot := "-i ", &s.in
		if m.Kind == backend.MatchOutIface {
			flag, slot = "-o ", &s.out
		}
		if *slot != "" {
			return unsupported("matches two %s interfaces in one rule", map[string]string{"-i ": "input", "-o ": "output"}[flag])
		}
		*slot = neg(m.Invert, flag+m.Iface)
	case backend.MatchSrcAddr, backend.MatchDstAddr:
		src := m.Kind == backend.MatchSrcAddr
		p := m.Prefix.Masked()
		addAddr(s, src, m.Invert, backend.Range{From: p.Addr(), To: lastAddr(p)})
	case backend.MatchSrcMAC:
		mac, err := checkMAC(m.MAC)
		if err != nil {
			return err
		}
		if hooks[backend.HookOutput] {
			return unsupported("matches a source MAC, which the output hook does not have")
		}
		s.matches = append(s.matches, "-m mac "+neg(m.Invert, "--mac-source "+mac))
	case backend.MatchSrcSet, backend.MatchDstSet:
		if err := checkSetName(m.Set); err != nil {
			return err
		}
		dir := "src"
		if m.Kind == backend.MatchDstSet {
			dir = "dst"
		}
		s.matches = append(s.matches, "-m set "+neg(m.Invert, "--match-set "+m.Set+" "+dir))
	default:
		return fmt.Errorf("unknown match kind %d", m.Kind)
	}
	return nil
}

// addAddr matches an address range: as -s/-d when it is a prefix and the
// rule has no other address on that side (iptables allows one), else with
// the iprange match.
func addAddr(s *spec, src, invert bool, r backend.Range) {
	slot, flag, rangeFlag := &s.dst, "-d ", "--dst-range "
	if src {
		slot, flag, rangeFlag = &s.src, "-s ", "--src-range "
	}
	if p, ok := rangePrefix(r); ok && *slot == "" {
		*slot = neg(invert, flag+p.String())
		return
	}
	s.matches = append(s.matches, "-m iprange "+neg(invert, rangeFlag+r.From.String()+"-"+r.To.String()))
}

// dispatch renders a lookup as one rule per element, each with the rule's
// own matches; or, when it is a long address lookup, as one rule standing
// for the search tree assemble builds (see tree.go).
func (b *builder) dispatch(s spec, d *backend.Dispatch, f family, hooks map[backend.Hook]bool, origin string) ([]rule, error) {
	src := d.Key == backend.KeySrcAddr4 || d.Key == backend.KeySrcAddr6
	dst := d.Key == backend.KeyDstAddr4 || d.Key == backend.KeyDstAddr6
	tree := (src || dst) && len(d.Elements) >= b.shape.treeMin
	lk := &lookup{entry: s, src: src, origin: origin}
	var out []rule
	for i, e := range d.Elements {
		// A tree checks the rule's own matches once, on the way in.
		var es spec
		if !tree {
			es = s
			es.matches = append([]string(nil), s.matches...)
		}
		what, err := element(&es, d.Key, e, f, hooks)
		if err != nil {
			return nil, err
		}
		v, err := b.verdict(e.Verdict)
		if err != nil {
			return nil, err
		}
		eo := origin + ", element " + what
		if tree {
			// A list would take the first element that holds the address; a
			// tree finds the only one.
			if i > 0 {
				if prev := d.Elements[i-1].Range; !prev.To.Less(e.Range.From) {
					return nil, fmt.Errorf("address lookup elements %s-%s and %s-%s are not sorted and disjoint", prev.From, prev.To, e.Range.From, e.Range.To)
				}
			}
			lk.elems = append(lk.elems, leaf{r: e.Range, match: es, v: e.Verdict, origin: eo})
			continue
		}
		out = append(out, rule{spec: es.with(v), origin: eo})
	}
	if tree {
		return []rule{{tree: lk, origin: origin}}, nil
	}
	return out, nil
}

// element adds the match of one lookup element to es and says what it is.
func element(es *spec, key backend.DispatchKey, e backend.Element, f family, hooks map[backend.Hook]bool) (string, error) {
	switch key {
	case backend.KeyInIface, backend.KeyOutIface:
		if err := checkIface(e.Iface, false); err != nil {
			return "", err
		}
		slot, flag := &es.in, "-i "
		if key == backend.KeyOutIface {
			slot, flag = &es.out, "-o "
		}
		if *slot != "" {
			return "", unsupported("looks up an interface in a rule that already matches one")
		}
		*slot = flag + e.Iface
		return "interface " + e.Iface, nil
	case backend.KeySrcAddr4, backend.KeySrcAddr6, backend.KeyDstAddr4, backend.KeyDstAddr6:
		if !e.Range.From.IsValid() || !e.Range.To.IsValid() || e.Range.From.Is4() != (f == ipv4) || e.Range.To.Is4() != (f == ipv4) || e.Range.To.Less(e.Range.From) {
			return "", fmt.Errorf("address lookup element %s-%s is not a range of the key's family", e.Range.From, e.Range.To)
		}
		addAddr(es, key == backend.KeySrcAddr4 || key == backend.KeySrcAddr6, false, e.Range)
		what := "address " + e.Range.From.String()
		if e.Range.To != e.Range.From {
			what += "-" + e.Range.To.String()
		}
		return what, nil
	case backend.KeySrcMAC:
		mac, err := checkMAC(e.MAC)
		if err != nil {
			return "", err
		}
		if hooks[backend.HookOutput] {
			return "", unsupported("looks up a source MAC, which the output hook does not have")
		}
		es.matches = append(es.matches, "-m mac --mac-source "+mac)
		return "MAC " + e.MAC, nil
	}
	return "", fmt.Errorf("unknown lookup key %d", key)
}

// verdict renders a verdict; name has already named every chain it leads to.
func (b *builder) verdict(v backend.Verdict) (string, error) {
	switch v.Kind {
	case backend.VerdictReturn:
		return "-j RETURN", nil
	case backend.VerdictJump:
		return "-j " + b.names[v.Chain], nil
	case backend.VerdictGoto:
		return "-g " + b.names[v.Chain], nil
	}
	return "", fmt.Errorf("unknown verdict kind %d", v.Kind)
}

// clamp renders a Clamp: the log rule, if any, then the TCPMSS rule. Both
// carry the clamp's comment; the limit sits on the log rule only, so it
// never keeps a packet from being clamped.
func clamp(s spec, c *backend.Clamp, hooks map[backend.Hook]bool) ([]rule, error) {
	if s.syn != "" && s.syn != synMatch {
		return nil, unsupported("clamps packets that are not SYN: the TCPMSS target only takes SYN packets")
	}
	s.tcp, s.syn = true, synMatch
	comment := c.Comment()
	if err := checkText("comment", comment, 255); err != nil {
		return nil, err
	}
	s.matches = append(s.matches, "-m comment --comment "+quote(comment))
	var out []rule
	if c.Log != nil {
		l, err := logRule(s, c.Log)
		if err != nil {
			return nil, err
		}
		out = append(out, rule{spec: l, id: c.ID})
	}
	target := "-j TCPMSS --clamp-mss-to-pmtu"
	if c.MSS != richrule.PMTU {
		target = "-j TCPMSS --set-mss " + strconv.Itoa(int(c.MSS))
	} else if hooks[backend.HookInput] {
		return nil, unsupported("clamps to the path MTU in the input hook, where there is no route yet (TCPMSS --clamp-mss-to-pmtu works in FORWARD, OUTPUT and POSTROUTING only)")
	}
	return append(out, rule{spec: s.with(target), id: c.ID, clamp: true}), nil
}

// logLevels maps firewalld's level names to the numbers iptables-save prints.
var logLevels = map[string]int{
	"emerg": 0, "alert": 1, "crit": 2, "error": 3, "err": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

func logRule(s spec, l *backend.Log) (string, error) {
	if l.Limit != nil {
		lim, err := limitMatch(l.Limit)
		if err != nil {
			return "", err
		}
		s.matches = append(append([]string(nil), s.matches...), lim)
	}
	var t strings.Builder
	if l.NFLog {
		t.WriteString("-j NFLOG")
		if l.Prefix != "" {
			if err := checkText("nflog prefix", l.Prefix, 63); err != nil {
				return "", err
			}
			t.WriteString(" --nflog-prefix " + quote(l.Prefix))
		}
		if l.Group != 0 {
			t.WriteString(" --nflog-group " + strconv.Itoa(int(l.Group)))
		}
		if l.QueueSize > 1 {
			t.WriteString(" --nflog-threshold " + strconv.Itoa(int(l.QueueSize)))
		}
		return s.with(t.String()), nil
	}
	t.WriteString("-j LOG")
	if l.Prefix != "" {
		// The LOG target holds 29 bytes (nft's log statement more, but the
		// legacy kernel target does not).
		if err := checkText("log prefix", l.Prefix, 29); err != nil {
			return "", err
		}
		t.WriteString(" --log-prefix " + quote(l.Prefix))
	}
	level := 4
	if l.Level != "" {
		n, ok := logLevels[l.Level]
		if !ok {
			return "", fmt.Errorf("unknown log level %q", l.Level)
		}
		level = n
	}
	if level != 4 {
		t.WriteString(" --log-level " + strconv.Itoa(level))
	}
	return s.with(t.String()), nil
}
