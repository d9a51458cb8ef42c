package systest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// nobodyRequestName asks bus for name as uid/gid 65534 with dbus-send and returns its output.
func nobodyRequestName(t *testing.T, b *Bus, name string) (string, error) {
	t.Helper()
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus.RequestName", "string:"+name, "uint32:4")
	cmd.Env = b.Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func requestName(t *testing.T, c *dbus.Conn, name string) {
	t.Helper()
	reply, err := c.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Errorf("root RequestName(%s) = %v, %v; want primary owner", name, reply, err)
	}
}

func TestBus(t *testing.T) {
	RequireRoot(t)
	RequireCommands(t, "setpriv", "dbus-send")
	lo := checkLeftovers(t)

	t.Run("allow all", func(t *testing.T) {
		b := StartBus(t, BusOptions{})
		lo.addBus(b)
		c := b.Conn(t)
		var id string
		if err := c.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&id); err != nil || id == "" {
			t.Errorf("GetId = %q, %v", id, err)
		}
		requestName(t, c, "org.example.Systest")
		if out, err := nobodyRequestName(t, b, fwBusName); err != nil || !strings.Contains(out, "uint32 1") {
			t.Errorf("uid 65534 owning %s on the allow-all bus: %v: %s", fwBusName, err, out)
		}
		if env := b.Env(); env[len(env)-1] != "DBUS_SYSTEM_BUS_ADDRESS="+b.Address {
			t.Errorf("Env ends with %q", env[len(env)-1])
		}
	})

	t.Run("system policy with config dir", func(t *testing.T) {
		dir := t.TempDir()
		conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><policy context="default"><allow own="org.example.Systest"/></policy></busconfig>
`
		if err := os.WriteFile(filepath.Join(dir, "systest.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		b := StartBus(t, BusOptions{SystemPolicy: true, ConfigDirs: []string{dir}})
		lo.addBus(b)
		// firewalld's FirewallD.conf, from its package's tree as StartFirewalld adds it, lets
		// root own firewalld's name ...
		b.allow(t, filepath.Join(OpenFirewalldTree(t, "").Dir, "usr", "share", "dbus-1", "system.d", "FirewallD.conf"))
		requestName(t, b.Conn(t), fwBusName)
		// ... and nobody else; the extra directory opens exactly its one name.
		for name, allowed := range map[string]bool{
			"org.fedoraproject.FirewallD1.config": false,
			"org.example.Systest":                 true,
			"org.example.Other":                   false,
		} {
			out, err := nobodyRequestName(t, b, name)
			if got := err == nil; got != allowed {
				t.Errorf("uid 65534 owning %s: allowed %v, want %v: %s", name, got, allowed, out)
			}
			if !allowed && !strings.Contains(out, "AccessDenied") {
				t.Errorf("uid 65534 owning %s: %s, want AccessDenied", name, out)
			}
		}
	})
}
