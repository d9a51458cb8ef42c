// Package dbus connects mssclamp to the rest of the system over D-Bus: it is
// mssclampd's own D-Bus service (Service), the one client of that service
// (Client: mssclamp-cmd and --migrate-direct), and a client of firewalld
// (Firewalld). errors.go is the one place where firewalld's error codes
// (internal/firewalld) meet D-Bus error names, both ways.
//
// # The service
//
// Service is a thin layer over the daemon's engine (the Core interface):
// every handler authorizes (when it changes something), decodes its
// arguments, calls the Core and maps the error. It owns the well-known name
// org.mssclamp.MssClamp1 on the system bus (never firewalld's), and its
// runtime interfaces have firewalld's method signatures, so a firewalld
// client only changes the bus name. The committed introspect_*.xml files are
// the reference, served as they are.
//
// Object /org/mssclamp/MssClamp1:
//
//	interface org.mssclamp.MssClamp1
//	  reload()                        runtime := permanent; timed rules go
//	  runtimeToPermanent()            permanent := runtime (without timed rules)
//	  getDefaultZone() → s
//	  getBackendRules() → s           what the kernel holds for us, with counters
//	  signal Reloaded()
//	  properties (read-only, org.freedesktop.DBus.Properties):
//	    version s, state s ("RUNNING"), mode s ("firewalld" | "standalone";
//	    PropertiesChanged when it changes), backend s
//	interface org.mssclamp.MssClamp1.zone
//	  addRichRule(s zone, s rule, i timeout) → s   zone "" = default zone;
//	                                               timeout > 0 seconds expires it
//	  removeRichRule(s zone, s rule) → s           both return the zone used
//	  queryRichRule(s zone, s rule) → b
//	  getRichRules(s zone) → as                    canonical form, oldest first
//	  getZones() → as
//	  getRichRuleCounters(s zone) → a(stt)         (rule, packets, bytes)
//	  signal RichRuleAdded(s zone, s rule, i timeout)
//	  signal RichRuleRemoved(s zone, s rule)       also when a timed rule expires
//	interface org.mssclamp.MssClamp1.policy
//	  the same with a policy name (never defaulted) and getPolicies() → as
//
// Object /org/mssclamp/MssClamp1/config, interface
// org.mssclamp.MssClamp1.config: getZoneByName(s) → o, getPolicyByName(s) → o,
// getZoneNames() → as, getPolicyNames() → as. The objects it returns,
// /org/mssclamp/MssClamp1/config/zone/NAME and .../config/policy/NAME (NAME
// escaped as systemd's sd_bus_path_encode does: "my-zone" is "my_2dzone"),
// have interface org.mssclamp.MssClamp1.config.zone (or .config.policy) with
// firewalld's config.zone rich-rule signatures: addRichRule(s rule),
// removeRichRule(s rule), queryRichRule(s rule) → b, getRichRules() → as.
// They change the permanent configuration only.
//
// Errors are named org.mssclamp.MssClamp1.Error.CODE, one per firewalld error
// code (…Error.INVALID_RULE, …Error.ALREADY_ENABLED for a duplicate add,
// …Error.NOT_ENABLED for removing a missing rule, …Error.INVALID_ZONE,
// …Error.INVALID_POLICY, …Error.NOT_AUTHORIZED), and carry one string,
// firewalld's "CODE: detail" text exactly as the engine produced it. A
// failure without a code is COMMAND_FAILED. Calls on a path that names no
// zone or policy get org.freedesktop.DBus.Error.UnknownObject.
//
// Reading is open to everyone. A change needs the caller to be root
// (org.freedesktop.DBus.GetConnectionUnixUser of the sender), or polkit to
// grant it firewalld's own action org.fedoraproject.FirewallD1.config for the
// subject ("system-bus-name", {"name": sender}) without interaction, so the
// polkit rules administrators wrote for firewalld apply. Without polkit on
// the bus only root may change anything. The bus policy
// (dist/dbus-1/system.d) lets only root own the name and anyone call.
//
// The service is also the engine's Listener: the engine reports every change
// after it is in the kernel, and the service emits the signal before the
// changing call is answered.
//
// # The firewalld client
//
// Firewalld talks to a running upstream firewalld (0.9 .. 2.x) on the system
// bus: Snapshot reads the runtime zones with their interface and source
// bindings, the policies, the ipsets, the default zone and the backend, which
// is everything the compiler needs to know besides our own rules; Watch
// reports every change to that state (and firewalld starting, stopping and
// reloading) so the daemon can take a new Snapshot; the rich-rule methods
// pass the rules that are not tcp-mss-clamp through to firewalld for the
// command-line client.
//
// firewalld executes one D-Bus call at a time and emits the signal of a
// change before it answers the next call, so a Snapshot taken after Watch has
// subscribed is either consistent or followed by an event.
//
// Errors from firewalld come back as *firewalld.Error (firewalld's error code
// and text); a firewalld that is not on the bus is ErrNotRunning. Its
// rich-rule methods take a firewalld.Scope and whether the change is
// permanent, as Client's do.
//
// # The mssclampd client
//
// Client calls Service as firewall-cmd would call firewalld, never starting
// mssclampd (NoAutoStart): runtime rules on the zone and policy interfaces,
// permanent ones on the config objects, the reload and backend methods, the
// counters. Its errors carry the code of the error name and the service's
// text; mssclampd missing from the bus is ErrServiceNotRunning. It is
// migrate.Rules, so a migration applies through it.
package dbus
