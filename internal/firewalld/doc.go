// Package firewalld is firewalld's domain as this project models it, defined
// once for every other package: the rule parser, the store, the compiler,
// the engine, the D-Bus service and client, the migration and both commands.
//
// It is named after what it describes, not after a transport: nothing here
// talks to firewalld (package dbus does), reads its files (store, migrate)
// or knows about backends. It holds
//
//   - Error, firewalld's error as firewall-cmd prints it ("CODE: detail"),
//     with the one table of firewalld's code names and numbers (errors.py;
//     the numbers are firewall-cmd's exit codes). Package dbus maps codes to
//     D-Bus error names, in one place.
//
// Like knftables' one error type shared by the real thing and its fake, every
// layer reports *Error, so a code survives wrapping from the parser to the
// exit status.
package firewalld
