package nft

import (
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

func renderCases() []struct {
	name string
	rs   *backend.Ruleset
} {
	return []struct {
		name string
		rs   *backend.Ruleset
	}{
		{"empty", &backend.Ruleset{}},
		{"basic", rulesetBasic()},
		{"matches", rulesetMatches()},
		{"dispatch", rulesetDispatch()},
		{"clamp", rulesetClamp()},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "render/"+tc.name+".nft", mustRender(t, tc.rs))
		})
	}
}

func TestRenderRefusesInvalid(t *testing.T) {
	tests := []struct {
		name string
		rs   *backend.Ruleset
		want string
	}{
		{"duplicate chain", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a"}, {Name: "a"}}}, `chain "a" listed twice`},
		{"two verdicts", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{{Jump: "b", Return: true}}}}}, `chain "a" rule 0: has 2 verdicts`},
		{"unknown set", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{
			{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "x"}}, Return: true}}}}}, `refers to set "x"`},
		{"mixed families", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{
			{Family: backend.FamilyIPv6, Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("10.0.0.0/8")}}, Return: true}}}}}, "mixes IPv4 and IPv6"},
		{"long interface", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{
			{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "0123456789abcdef"}}, Return: true}}}}}, "longer than 15 bytes"},
		{"wildcard element", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{{Iface: "eth+", Verdict: backend.Verdict{Kind: backend.VerdictReturn}}}}}}}}}, "is not an interface name"},
		{"wrong family element", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr6, Elements: []backend.Element{{Range: rng("10.0.0.1", "10.0.0.1"), Verdict: backend.Verdict{Kind: backend.VerdictReturn}}}}}}}}}, "wrong family"},
		{"set name clash", &backend.Ruleset{Sets: []*backend.Set{{Name: "a_0_iif", Family: backend.FamilyIPv4}}, Chains: []*backend.Chain{{Name: "ipset_a", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeyInIface}}}}}}, `both need the nft set "ipset_a_0_iif"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.rs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render = %q, %v; want a refusal mentioning %q", got, err, tc.want)
			}
		})
	}
}

func mustRender(t testing.TB, rs *backend.Ruleset) string {
	t.Helper()
	s, err := Render(rs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
