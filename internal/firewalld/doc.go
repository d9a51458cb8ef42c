// Package firewalld is firewalld's domain as this project models it, defined
// once for every other package: the rule parser, the store, the compiler,
// the engine, the D-Bus service and clients, the migration and both
// commands.
//
// It is named after what it describes, not after a transport: nothing here
// talks to firewalld (package dbus does), reads its zone files (store,
// migrate) or knows about backends. It holds
//
//   - Error, firewalld's error as firewall-cmd prints it ("CODE: detail"),
//     with the one table of firewalld's code names and numbers (errors.py;
//     the numbers are firewall-cmd's exit codes). Package dbus maps codes to
//     D-Bus error names, in one place.
//   - Scope, a zone or a policy: where a rich rule lives.
//   - Topology: zones with their interface and source bindings, policies
//     (ingress and egress zones, ZoneAny and ZoneHost), ipsets and the
//     default zone — what firewalld, or our own files standalone, say exists.
//   - firewalld's value checks, one implementation each at the fidelity of
//     firewalld's functions.py: zone and policy names, interfaces, sources,
//     addresses (glibc's inet_pton, Python's int() for masks), MAC
//     addresses, priorities, XML text; and the Python built-ins they rest on
//     (int(), int(x, 0), isdigit).
//   - shlex (Split, Quote, Join), as firewalld splits rules and direct
//     arguments, and firewalld.conf (ParseConf, ReadConf).
//
// Like knftables' one error type shared by the real thing and its fake, every
// layer reports *Error, so a code survives wrapping from the parser to the
// exit status.
package firewalld
