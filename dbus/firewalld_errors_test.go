package dbus

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

func TestMapError(t *testing.T) {
	fwErr := func(text string) error {
		return godbus.Error{Name: fwExceptionName, Body: []any{text}}
	}
	tests := []struct {
		name       string
		in         error
		notRunning bool
		code       string // "" when not a *firewalld.Error
		number     int
		text       string // Error() of the *firewalld.Error
	}{
		{name: "code and detail", in: fwErr("INVALID_RULE: bad rule"), code: "INVALID_RULE", number: 122, text: "INVALID_RULE: bad rule"},
		{name: "code alone", in: fwErr("INVALID_ZONE"), code: "INVALID_ZONE", number: 112, text: "INVALID_ZONE"},
		{name: "detail with colons", in: fwErr("INVALID_ZONE: a:b"), code: "INVALID_ZONE", number: 112, text: "INVALID_ZONE: a:b"},
		{name: "already enabled", in: fwErr("ALREADY_ENABLED: 'rule' already in 'public'"), code: "ALREADY_ENABLED", number: 11,
			text: "ALREADY_ENABLED: 'rule' already in 'public'"},
		{name: "python exception text", in: fwErr("'NoneType' object is not iterable"), code: "UNKNOWN_ERROR", number: 254,
			text: "'NoneType' object is not iterable"},
		{name: "not authorized", in: godbus.Error{Name: fwNotAuthorizedName, Body: []any{"Not Authorized(addRichRule): org.fedoraproject.FirewallD1.config"}},
			code: "NOT_AUTHORIZED", number: 253, text: "NOT_AUTHORIZED: Not Authorized(addRichRule): org.fedoraproject.FirewallD1.config"},
		{name: "no owner", in: godbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name is not activatable"}}, notRunning: true},
		{name: "name has no owner", in: godbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, notRunning: true},
		{name: "left during call", in: godbus.Error{Name: "org.freedesktop.DBus.Error.NoReply", Body: []any{"Message recipient disconnected"}}, notRunning: true},
		{name: "other bus error", in: godbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied", Body: []any{"Rejected"}}},
		{name: "connection closed", in: godbus.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("context: %w", mapError(tt.in))
			if got := errors.Is(err, ErrNotRunning); got != tt.notRunning {
				t.Errorf("errors.Is(%v, ErrNotRunning) = %v, want %v", err, got, tt.notRunning)
			}
			var fe *firewalld.Error
			if !errors.As(err, &fe) {
				if tt.code != "" {
					t.Fatalf("%v is not a *firewalld.Error", err)
				}
				var de godbus.Error
				passed := errors.Is(err, godbus.ErrClosed) || errors.As(err, &de) && reflect.DeepEqual(de, tt.in)
				if !tt.notRunning && !passed {
					t.Errorf("%v does not wrap %v", err, tt.in)
				}
				return
			}
			if tt.code == "" {
				t.Fatalf("%v is a *firewalld.Error, want none", err)
			}
			if fe.Code.Name() != tt.code || fe.Code.Number() != tt.number || fe.Error() != tt.text {
				t.Errorf("got {%s %d %q}, want {%s %d %q}", fe.Code, fe.Code.Number(), fe.Error(), tt.code, tt.number, tt.text)
			}
			if !errors.Is(err, &firewalld.Error{Code: fe.Code}) {
				t.Errorf("errors.Is(%v, &firewalld.Error{Code: %q}) = false", err, tt.code)
			}
		})
	}
}
