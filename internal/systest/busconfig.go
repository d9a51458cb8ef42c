package systest

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// systemBusConfig is the real system bus configuration the SystemPolicy bus derives from.
const systemBusConfig = "/usr/share/dbus-1/system.conf"

// debian12SystemConf is Debian 12's systemBusConfig (dbus 1.14.10), for hosts without it: the
// tests need only dbus-daemon, and the package holding the file (dbus-system-bus-common) would
// enable the system bus socket.
//
//go:embed debian12-system.conf
var debian12SystemConf string

// systemBusConfigText returns the text of systemBusConfig, or debian12SystemConf when the host
// has none.
func systemBusConfigText() (string, error) {
	data, err := os.ReadFile(systemBusConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return debian12SystemConf, nil
	}
	return string(data), err
}

// allowAllConfig is a bus anyone may connect to, own any name on and call anything on.
const allowAllConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
%s</busconfig>
`

// Elements of the system configuration a private bus must not keep: it runs as the invoking
// user without forking, pidfile or syslog, and never activates services (activation would start
// the real system services, outside any test namespace).
var systemConfigDrop = []*regexp.Regexp{
	regexp.MustCompile(`<user>[^<]*</user>`),
	regexp.MustCompile(`<fork\s*/>`),
	regexp.MustCompile(`<pidfile>[^<]*</pidfile>`),
	regexp.MustCompile(`<syslog\s*/>`),
	regexp.MustCompile(`<standard_system_servicedirs\s*/>`),
	regexp.MustCompile(`<servicehelper>[^<]*</servicehelper>`),
	regexp.MustCompile(`<servicedir>[^<]*</servicedir>`),
}

var (
	listenRE        = regexp.MustCompile(`<listen>[^<]*</listen>`)
	relativeDirRE   = regexp.MustCompile(`<includedir>system\.d</includedir>`)
	closeBusconfRE  = regexp.MustCompile(`</busconfig>\s*$`)
	systemIncludeTo = "<includedir>/usr/share/dbus-1/system.d</includedir>"
)

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer cannot fail
	return b.String()
}

func includeDirs(dirs []string) string {
	var b strings.Builder
	for _, d := range dirs {
		fmt.Fprintf(&b, "  <includedir>%s</includedir>\n", xmlText(d))
	}
	return b.String()
}

// busConfig returns the configuration file text for a bus listening on socket. With
// systemPolicy it is system (the text of /usr/share/dbus-1/system.conf) with its policy kept
// and the daemon settings above removed; extra directories are included last so they override.
func busConfig(socket string, systemPolicy bool, system string, extraDirs []string) (string, error) {
	if !systemPolicy {
		return fmt.Sprintf(allowAllConfig, xmlText(socket), includeDirs(extraDirs)), nil
	}
	if !listenRE.MatchString(system) || !closeBusconfRE.MatchString(system) {
		return "", fmt.Errorf("system bus config %s: no <listen> or </busconfig> to replace", systemBusConfig)
	}
	for _, re := range systemConfigDrop {
		system = re.ReplaceAllString(system, "")
	}
	system = listenRE.ReplaceAllLiteralString(system, "<listen>unix:path="+xmlText(socket)+"</listen>")
	// dbus-daemon resolves a relative includedir against the config file's directory, which is
	// now ours.
	system = relativeDirRE.ReplaceAllLiteralString(system, systemIncludeTo)
	return closeBusconfRE.ReplaceAllLiteralString(system, includeDirs(extraDirs)+"</busconfig>\n"), nil
}
