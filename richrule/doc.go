// Package richrule is firewalld's rich-rule language: parse, check, print,
// compare and store rules, the same way firewalld 1.3.3 does except where
// listed below.
//
// # Model
//
// A Rule is the typed form of one rule: family, priority, source,
// destination, at most one Element (service, port, protocol, icmp-block,
// icmp-type, masquerade, forward-port, source-port, tcp-mss-clamp), a
// Logger (log or nflog), audit and an Action (accept, reject, drop, mark),
// each of the last three with an optional Limit. Attribute values are kept
// as written, because firewalld compares rules by their text: port="ssh"
// and port="22" are two rules. Only the tcp-mss-clamp value (MSS) and the
// limit rate are numbers.
//
// Parse reads text in three steps that mirror firewalld's rich.py:
// control characters are deleted and the text is split like Python's
// shlex.split (lex.go); firewalld's state machine turns the words into a
// Rule, quirks included (parse.go); then Check runs firewalld's check()
// in its order, so a rule with several faults fails with the code
// firewalld reports (check.go). The number, port, protocol and address
// checks reproduce Python's int(), getservbyname (/etc/services),
// getprotobyname (/etc/protocols) and glibc's inet_pton (pycheck.go,
// netdb.go; the address, MAC and int() checks and shlex are
// internal/firewalld's, shared with the store and the migration).
//
// String prints the canonical form, the one firewall-cmd --list-rich-rules
// shows; Key (that string) and Equal decide whether two rules are the same
// for add, query and remove. *Rule is an xml.Marshaler and
// xml.Unmarshaler for the <rule> element of firewalld's zone and policy
// files (xml.go). Errors are *firewalld.Error: a firewalld code (name and
// number), firewalld's text, and our position and reason.
//
// # Differences from firewalld 1.3.3
//
// Each is shown by a vector in testdata/richrule marked "~".
//
//   - tcp-mss-clamp value is pmtu or a decimal 536..65535; leading zeros
//     are accepted and dropped (00536 is 536), pmtu prints as a bare
//     clamp. 65536, None and non-ASCII digits are INVALID_RULE at once,
//     not COMMAND_FAILED when applied.
//   - tcp-mss-clamp is an element like the others: with a second element
//     it is "more than one element", not a silent replacement.
//   - A limit rate prints as a number ("01/m" is "1/m", as in firewalld
//     2.x) and is at most 4294967295; burst=N (firewalld 2.x) is accepted.
//   - Numbers are ASCII: Python's int() also reads other digits ("٣").
//   - A log or nflog prefix is at most 127 bytes of UTF-8, not 127
//     characters: a longer one crashes firewalld (nft 1.0.6 overflows a
//     buffer) or fails when applied.
//   - A value the canonical form cannot carry back (a double quote, "=", an
//     escaping backslash, a control character; a space in mark set) is
//     INVALID_RULE: firewalld accepts it and lists a rule nobody can type.
//   - Where firewalld fails with an internal error (code 254: an
//     unterminated quote, a trailing backslash, "not" outside source or
//     destination, a second "rule", a port element without port=) we report
//     INVALID_RULE (INVALID_PORT for the port) with the column.
//   - Invalid UTF-8 and U+FFFE/U+FFFF are refused (XML cannot hold them).
package richrule
