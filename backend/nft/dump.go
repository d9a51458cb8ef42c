package nft

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Counters reads the counter of every clamp rule in our table and sums them
// per rule ID (the same rule may sit in several chains).
func (b *Backend) Counters(ctx context.Context) (map[string]backend.Counter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var rules []kRule
	if err := b.use(func(t transport) (err error) {
		rules, err = listRules(t, true)
		return err
	}); err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	out := make(map[string]backend.Counter)
	for _, r := range rules {
		id := backend.IDFromComment(r.comment)
		if id == "" {
			continue
		}
		for _, e := range r.exprs {
			if c, ok := e.(*expr.Counter); ok {
				sum := out[id]
				sum.Packets += c.Packets
				sum.Bytes += c.Bytes
				out[id] = sum
			}
		}
	}
	return out, nil
}

// Dump describes table inet mssclamp as the kernel holds it, in the style of
// `nft list table`: sets and maps with their elements, chains with their
// hooks, and each rule decoded from its expressions with its counter and
// handle. A clamp rule is followed by the rich rule it comes from, when
// this Backend loaded it. Lines starting with "# !" flag what differs from
// the ruleset this Backend last applied, or what it cannot decode.
func (b *Backend) Dump(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out string
	err := b.use(func(t transport) (err error) {
		out, err = b.dump(t)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("nftables: %w", err)
	}
	return out, nil
}

func (b *Backend) dump(t transport) (string, error) {
	if ok, err := tableExists(t); err != nil || !ok {
		if err != nil {
			return "", err
		}
		if b.applied != nil {
			return "# ! table inet " + TableName + " is missing: the applied ruleset is not loaded\n", nil
		}
		return "# table inet " + TableName + " does not exist\n", nil
	}
	chains, err := listChains(t)
	if err != nil {
		return "", err
	}
	sets, err := listSets(t)
	if err != nil {
		return "", err
	}
	rules, err := listRules(t, true)
	if err != nil {
		return "", err
	}
	d := &dumper{st: b.applied}
	var w strings.Builder
	w.WriteString("table inet " + TableName + " {\n")
	first := true
	for _, s := range sets {
		if !first {
			w.WriteByte('\n')
		}
		first = false
		elems, err := listElems(t, s.name)
		if err != nil {
			return "", err
		}
		w.WriteString(d.set(s, elems))
	}
	byChain := make(map[string][]kRule)
	for _, r := range rules {
		byChain[r.chain] = append(byChain[r.chain], r)
	}
	for _, c := range chains {
		if !first {
			w.WriteByte('\n')
		}
		first = false
		w.WriteString(d.chain(c, byChain[c.name]))
	}
	w.WriteString("}\n")
	d.missing(chains, sets)
	if b.applied == nil {
		d.flag("no ruleset applied by this Backend: nothing to compare with")
	}
	for _, p := range d.problems {
		w.WriteString("# ! " + p + "\n")
	}
	return w.String(), nil
}

type dumper struct {
	st       *state
	problems []string
}

func (d *dumper) flag(format string, a ...any) {
	d.problems = append(d.problems, fmt.Sprintf(format, a...))
}

var counterValues = regexp.MustCompile(`counter packets \d+ bytes \d+`)

func (d *dumper) chain(c kChain, rules []kRule) string {
	var want *chainState
	if d.st != nil {
		if want = d.st.chains[c.name]; want == nil {
			d.flag("chain %s is not in the applied ruleset", c.name)
		} else if string(want.hook) != c.hook {
			d.flag("chain %s: hook %q, applied %q", c.name, c.hook, want.hook)
		}
	}
	var w strings.Builder
	w.WriteString("\tchain " + c.name + " {\n")
	if c.hook != "" {
		prio := fmt.Sprint(c.priority)
		if c.priority == basePriority {
			prio = "mangle"
		}
		fmt.Fprintf(&w, "\t\ttype %s hook %s priority %s; policy %s;\n", c.typ, c.hook, prio, c.policy)
	}
	for i, r := range rules {
		text, ok := decodeRule(r.exprs)
		if r.comment != "" {
			text += ` comment "` + r.comment + `"`
		}
		fmt.Fprintf(&w, "\t\t%s # handle %d\n", text, r.handle)
		if !ok {
			d.flag("chain %s handle %d: holds expressions this backend never loads", c.name, r.handle)
		}
		if want == nil {
			continue
		}
		if i >= len(want.rules) {
			d.flag("chain %s handle %d: not in the applied ruleset", c.name, r.handle)
			continue
		}
		k := want.rules[i]
		if k.rule != "" {
			fmt.Fprintf(&w, "\t\t# %s: %s\n", k.scope, k.rule)
		}
		if counterValues.ReplaceAllString(text, "counter") != k.text {
			d.flag("chain %s handle %d differs from the applied rule: %s", c.name, r.handle, k.text)
		}
	}
	if want != nil && len(rules) < len(want.rules) {
		d.flag("chain %s: %d rules, applied %d", c.name, len(rules), len(want.rules))
	}
	w.WriteString("\t}\n")
	return w.String()
}

var keyKinds = map[uint32]keyKind{
	nftables.TypeIPAddr.GetNFTMagic():    keyAddr4,
	nftables.TypeIP6Addr.GetNFTMagic():   keyAddr6,
	nftables.TypeEtherAddr.GetNFTMagic(): keyMAC,
	nftables.TypeIFName.GetNFTMagic():    keyIfname,
}

func (d *dumper) set(s kSet, kelems []kElem) string {
	kind, known := keyKinds[s.keyType]
	if !known {
		d.flag("set %s: key type %d this backend never loads", s.name, s.keyType)
		kind = keyIfname
	}
	sp := &setPlan{name: s.name, kind: kind, isMap: s.isMap}
	elems := kernelElems(kind, kelems)
	if d.st != nil {
		if want := d.st.sets[s.name]; want == nil {
			d.flag("set %s is not in the applied ruleset", s.name)
		} else if applied, err := want.elements(withText); err != nil || !sameTexts(applied, elems) {
			d.flag("set %s: its elements differ from the applied ruleset", s.name)
		}
	}
	if s.flags&unix.NFT_SET_INTERVAL == 0 {
		slices.SortFunc(elems, func(a, b elem) int { return strings.Compare(a.text, b.text) })
	}
	return setBlock(sp, elems)
}

func sameTexts(a, b []elem) bool {
	at := make([]string, len(a))
	bt := make([]string, len(b))
	for i := range a {
		at[i] = a[i].text
	}
	for i := range b {
		bt[i] = b[i].text
	}
	slices.Sort(at)
	slices.Sort(bt)
	return slices.Equal(at, bt)
}

// kernelElems turns netlink elements back into nft's elements: for an
// interval set, each start with the end that follows it (or none: up to
// the last address).
func kernelElems(kind keyKind, kelems []kElem) []elem {
	var out []elem
	text := func(key string, v *expr.Verdict) elem {
		if v != nil {
			key += " : " + verdictName(v)
		}
		return elem{text: key}
	}
	if !kind.interval() {
		for _, e := range kelems {
			switch kind {
			case keyIfname:
				name, _, _ := strings.Cut(string(e.key), "\x00")
				out = append(out, text(`"`+name+`"`, e.verdict))
			case keyMAC:
				out = append(out, text(net.HardwareAddr(e.key).String(), e.verdict))
			}
		}
		return out
	}
	sorted := slices.Clone(kelems)
	slices.SortStableFunc(sorted, func(a, b kElem) int {
		if c := slices.Compare(a.key, b.key); c != 0 {
			return c
		}
		if a.end == b.end {
			return 0
		}
		if a.end { // an end before a start at the same key
			return -1
		}
		return 1
	})
	for i, e := range sorted {
		if e.end {
			continue
		}
		from, _ := netip.AddrFromSlice(e.key)
		to := backend.PrefixRange(netip.PrefixFrom(from, 0)).To
		if i+1 < len(sorted) && sorted[i+1].end {
			end, _ := netip.AddrFromSlice(sorted[i+1].key)
			to = end.Prev()
		}
		out = append(out, text(rangeText(backend.Range{From: from, To: to}), e.verdict))
	}
	return out
}

// missing flags what the applied ruleset has and the kernel lacks.
func (d *dumper) missing(chains []kChain, sets []kSet) {
	if d.st == nil {
		return
	}
	have := make(map[string]bool)
	for _, c := range chains {
		have["chain "+c.name] = true
	}
	for _, s := range sets {
		have["set "+s.name] = true
	}
	for _, n := range d.st.chainOrder {
		if !have["chain "+n] {
			d.flag("chain %s of the applied ruleset is missing", n)
		}
	}
	for _, n := range d.st.setOrder {
		if !have["set "+n] {
			d.flag("set %s of the applied ruleset is missing", n)
		}
	}
}
