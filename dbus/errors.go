package dbus

import (
	"errors"
	"fmt"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// This file is the one place where firewalld's error codes meet D-Bus error
// names, both ways: what our service returns, and what firewalld sends us.

// ServiceErrorPrefix starts the D-Bus error name of every error the service
// returns; the rest is the firewalld code name, e.g.
// "org.mssclamp.MssClamp1.Error.INVALID_RULE". The body is one string,
// firewalld's "CODE: detail" text.
const ServiceErrorPrefix = ServiceInterface + ".Error."

// Errors of the object tree itself, named as the D-Bus specification does.
const (
	errUnknownObject    = "org.freedesktop.DBus.Error.UnknownObject"
	errUnknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
	errUnknownProperty  = "org.freedesktop.DBus.Error.UnknownProperty"
	errPropertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
)

// D-Bus error names firewalld sends (firewall/server/dbus.py).
const (
	fwExceptionName     = "org.fedoraproject.FirewallD1.Exception"
	fwNotAuthorizedName = "org.fedoraproject.FirewallD1.NotAuthorizedException"
)

// ErrNotRunning means firewalld is not on the bus (never started, stopped,
// or gone in the middle of a call). firewall-cmd prints "FirewallD is not
// running" and exits with NOT_RUNNING (252).
var ErrNotRunning = errors.New("FirewallD is not running")

// ErrTimeoutNotSupported is returned for a timeout on a rich rule that is
// permanent or in a policy: firewalld supports timeouts only on runtime zone
// rules.
var ErrTimeoutNotSupported = errors.New("a timeout is only supported for runtime zone rules")

// ErrorName is the D-Bus error name the service uses for code.
func ErrorName(code firewalld.Code) string {
	return ServiceErrorPrefix + code.Name()
}

// serviceError is the one translation from a Go error to what a client sees.
// An error carrying a firewalld code (a *firewalld.Error anywhere in its
// chain) keeps its code and text; anything else is COMMAND_FAILED, and a code
// firewalld has no name for is UNKNOWN_ERROR, both with the error's text
// after the code so the client's "CODE: detail" parsing still works.
func serviceError(err error) *godbus.Error {
	if err == nil {
		return nil
	}
	code := firewalld.CommandFailed
	var re *firewalld.Error
	if errors.As(err, &re) {
		code = re.Code
		if !code.Named() {
			code = firewalld.UnknownError
		}
	}
	text := err.Error()
	if text != code.Name() && !strings.HasPrefix(text, code.Name()+": ") {
		text = code.Name() + ": " + text
	}
	return godbus.NewError(ErrorName(code), []any{text})
}

// objectError is an error about the object tree rather than the firewall.
func objectError(name, text string) *godbus.Error {
	return godbus.NewError(name, []any{text})
}

// errorText is the text of a D-Bus error: its first string, else its name.
func errorText(de godbus.Error) string {
	if len(de.Body) > 0 {
		if s, ok := de.Body[0].(string); ok {
			return s
		}
	}
	return de.Name
}

// mapError turns what a call to firewalld returned into ErrNotRunning, a
// *firewalld.Error, or err itself.
func mapError(err error) error {
	var de godbus.Error
	if !errors.As(err, &de) {
		return err
	}
	text := errorText(de)
	switch {
	case de.Name == fwExceptionName:
		return firewalld.Parse(text)
	case de.Name == fwNotAuthorizedName:
		return &firewalld.Error{Code: firewalld.NotAuthorized, Msg: text}
	case de.Name == "org.freedesktop.DBus.Error.ServiceUnknown", de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		// firewalld left the bus before answering, or hangs.
		de.Name == "org.freedesktop.DBus.Error.NoReply":
		return fmt.Errorf("%w (%s)", ErrNotRunning, text)
	}
	return err
}

// mapServiceError reads mssclampd's errors for Client: the code is in the
// error name (ServiceErrorPrefix + CODE) and the text is firewalld's "CODE:
// detail". The bus's own errors mean mssclampd is gone, or that the bus
// policy kept us from asking.
func mapServiceError(err error) error {
	var de godbus.Error
	if !errors.As(err, &de) {
		return firewalld.Unknown("calling mssclampd: " + err.Error())
	}
	text := errorText(de)
	if name, ok := strings.CutPrefix(de.Name, ServiceErrorPrefix); ok {
		code, known := firewalld.CodeByName(name)
		if !known {
			return firewalld.Parse(text)
		}
		if !strings.HasPrefix(text, name) {
			text = name + ": " + text
		}
		return &firewalld.Error{Code: code, Msg: text, Bare: true}
	}
	switch de.Name {
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
		"org.freedesktop.DBus.Error.NoReply":
		return ErrServiceNotRunning
	case "org.freedesktop.DBus.Error.AccessDenied":
		return firewalld.Errorf(firewalld.NotAuthorized, "%s", text)
	}
	return firewalld.Unknown(text)
}
