// Package backend turns the desired state (zones, bindings, policies and their
// tcp-mss-clamp rules) into a backend-neutral Ruleset, and chooses the backend
// that makes the kernel hold it.
//
// Compile is pure: the same Input always gives the same Ruleset, and it never
// looks at the kernel. The sub-packages nft and ipt each implement Backend for
// one kernel interface.
package backend
