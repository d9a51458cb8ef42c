// Package store keeps mssclampd's permanent configuration on disk, in
// firewalld's own XML file format, in a directory of its own
// (DefaultDir, /etc/firewalld/mssclamp): never in firewalld's files, whose
// reader in firewalld < 1.0 rejects a tcp-mss-clamp rule.
//
// # Layout
//
//	DIR/zones/NAME.xml       one zone:   <zone>
//	DIR/policies/NAME.xml    one policy: <policy>
//
// The name comes from the file name, as in firewalld, and must pass
// firewalld.ValidZoneName (zones) or firewalld.ValidPolicyName (policies).
// Only NAME.xml files are configuration: NAME.xml.old (the previous version,
// kept by every save and remove as firewalld keeps it), our temporary files
// (".NAME.xml.tmp*") and directories are not read.
//
// A Config is every file; by firewalld.Scope it gives a zone's or policy's
// rules (RulesOf), and SaveRules writes one file with new rules, keeping the
// rest of it. Topology is the world without firewalld that the files
// describe, Rules every rule by scope: together, the compiler's input.
//
// # Format
//
// Files are written byte for byte as firewalld 1.3.3's zone_writer and
// policy_writer write them (testdata/store/firewalld holds files written by
// firewalld itself, and the tests compare):
//
//	<?xml version="1.0" encoding="utf-8"?>
//	<zone>
//	  <short>..</short>
//	  <description>..</description>
//	  <rule family="ipv4">
//	    <source address="10.0.0.0/8"/>
//	    <tcp-mss-clamp value="1200"/>
//	  </rule>
//	  <interface name="eth0"/>
//	  <source address="192.0.2.0/24"/>
//	</zone>
//
// A policy's root is <policy priority="N" target="CONTINUE"> (priority left
// out when it is -1) followed by short, description, rules, <ingress-zone
// name=..>, <egress-zone name=..>. A source binding is written as address=
// (a MAC address too, as firewalld does) or ipset=; mac= is read as well.
// The <rule> element is the richrule package's XML form; this package only
// lays it out as firewalld does (two spaces per level, empty elements as
// <x/>).
//
// Reading accepts the elements in any order. It skips the elements
// firewalld zones and policies have that we do not use — service, port,
// protocol, icmp-block, icmp-type, masquerade, forward-port, source-port,
// forward, icmp-block-inversion — and the root attributes target, version,
// name and immutable (and firewalld 2's ingress-priority, egress-priority);
// none of them survive a save, which is fine because these files only ever
// hold what we wrote. Anything else is a problem: another element or
// attribute (firewalld refuses those too), or text outside <short> and
// <description>. As in firewalld, a line break in <short> or <description>
// reads as a space.
//
// # Problems
//
// Everything wrong with a file is reported as a *FileError with the path
// and the line and column of the offending element (for a rule the richrule
// error is kept, with its position moved to the FileError): XML syntax, an
// unknown element or attribute, a bad value, a rule the richrule package
// refuses, and a duplicate (a rule with the same Key as an earlier one, an
// interface, source or policy zone twice) — never merged silently. A file
// with any problem is left out entirely, so that a caller cannot mistake a
// part for the whole and save it back over the file; the other files still
// load. Load reports every problem of every file; the walk of a file goes on
// after a bad rule and stops at the first syntax error.
//
// Save refuses what the reader would refuse (invalid names, interfaces,
// sources, priority, policy zones, rules that fail Check, duplicates, text
// an XML file cannot hold), so whatever Save writes, Load reads back equal.
// The one exception is firewalld's: a line break in Short or Description
// comes back as a space.
//
// # Writing
//
// A save never leaves a half-written file: the new content goes to a
// temporary file in the same directory, which is synced and renamed over
// NAME.xml, then the directory is synced. Before that the current file is
// copied (by the same write-and-rename) to NAME.xml.old. A crash at any
// point leaves the old or the new NAME.xml, complete; a temporary file a
// crash leaves behind is ignored by Load and deleted by the next save of the
// same file. Remove renames NAME.xml to NAME.xml.old, as firewalld does.
// Directories are created 0750, as firewalld creates /etc/firewalld and its
// sub-directories; a new file is 0644, an existing one keeps its mode.
//
// # Concurrency
//
// A Store holds only its directory path. Reading is safe at any time, and
// saving different files at once is safe, but two writers of the same file
// (two goroutines, or two processes) are not: the engine serialises its
// calls, and only one daemon may use a directory.
package store
