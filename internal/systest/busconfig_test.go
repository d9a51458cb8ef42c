package systest

import (
	"strings"
	"testing"
)

func TestBusConfig(t *testing.T) {
	const sample = `<busconfig>
  <type>system</type>
  <user>messagebus</user>
  <fork/>
  <standard_system_servicedirs/>
  <servicehelper>/usr/lib/dbus-1.0/dbus-daemon-launch-helper</servicehelper>
  <pidfile>/run/dbus/pid</pidfile>
  <syslog/>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <policy context="default"><deny own="*"/></policy>
  <includedir>system.d</includedir>
</busconfig>
`
	t.Run("allow all", func(t *testing.T) {
		got, err := busConfig("/tmp/b&d/bus.sock", false, "", []string{"/x/dist"})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"<listen>unix:path=/tmp/b&amp;d/bus.sock</listen>", `<allow own="*"/>`,
			"<includedir>/x/dist</includedir>\n</busconfig>"} {
			if !strings.Contains(got, want) {
				t.Errorf("config lacks %q:\n%s", want, got)
			}
		}
	})
	t.Run("system policy", func(t *testing.T) {
		got, err := busConfig("/tmp/b/bus.sock", true, sample, []string{"/x/dist", "/y"})
		if err != nil {
			t.Fatal(err)
		}
		for _, gone := range []string{"messagebus", "<fork", "servicedirs", "servicehelper", "pidfile", "syslog", "/run/dbus"} {
			if strings.Contains(got, gone) {
				t.Errorf("config still has %q:\n%s", gone, got)
			}
		}
		for _, want := range []string{"<listen>unix:path=/tmp/b/bus.sock</listen>", `<deny own="*"/>`,
			"<includedir>/usr/share/dbus-1/system.d</includedir>",
			"<includedir>/x/dist</includedir>\n  <includedir>/y</includedir>\n</busconfig>"} {
			if !strings.Contains(got, want) {
				t.Errorf("config lacks %q:\n%s", want, got)
			}
		}
	})
	t.Run("unexpected system config", func(t *testing.T) {
		if _, err := busConfig("/s", true, "<busconfig/>", nil); err == nil {
			t.Error("no error for a config without <listen>")
		}
	})
	for name, system := range map[string]func() (string, error){
		"this host's system config": systemBusConfigText,
		"Debian 12's system config": func() (string, error) { return debian12SystemConf, nil },
	} {
		t.Run(name, func(t *testing.T) {
			system, err := system()
			if err != nil {
				t.Fatal(err)
			}
			got, err := busConfig("/tmp/b/bus.sock", true, system, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, gone := range []string{"<user>", "<pidfile>", "<servicehelper>", "<standard_system_servicedirs", "<includedir>system.d<"} {
				if strings.Contains(got, gone) {
					t.Errorf("derived config still has %q", gone)
				}
			}
		})
	}
}
