package dbus

import (
	"errors"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

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

// ErrorName is the D-Bus error name the service uses for code.
func ErrorName(code richrule.Code) string {
	return ServiceErrorPrefix + code.Name()
}

// serviceError is the one translation from a Go error to what a client sees.
// An error carrying a firewalld code (a *richrule.Error anywhere in its
// chain) keeps its code and text; anything else is COMMAND_FAILED, and a code
// firewalld has no name for is UNKNOWN_ERROR, both with the error's text
// after the code so the client's "CODE: detail" parsing still works.
func serviceError(err error) *godbus.Error {
	if err == nil {
		return nil
	}
	code := richrule.CommandFailed
	var re *richrule.Error
	if errors.As(err, &re) {
		code = re.Code
		if _, named := richrule.CodeByName(code.Name()); !named {
			code = richrule.UnknownError
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
