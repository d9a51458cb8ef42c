package dbus

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	godbus "github.com/godbus/dbus/v5"
)

func TestMapError(t *testing.T) {
	fwErr := func(text string) error {
		return godbus.Error{Name: fwExceptionName, Body: []any{text}}
	}
	tests := []struct {
		name       string
		in         error
		notRunning bool
		code       string // "" when not a *FirewalldError
		number     int
		text       string // Error() of the *FirewalldError
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
			var fe *FirewalldError
			if !errors.As(err, &fe) {
				if tt.code != "" {
					t.Fatalf("%v is not a *FirewalldError", err)
				}
				var de godbus.Error
				passed := errors.Is(err, godbus.ErrClosed) || errors.As(err, &de) && reflect.DeepEqual(de, tt.in)
				if !tt.notRunning && !passed {
					t.Errorf("%v does not wrap %v", err, tt.in)
				}
				return
			}
			if tt.code == "" {
				t.Fatalf("%v is a *FirewalldError, want none", err)
			}
			if fe.Code != tt.code || fe.Number != tt.number || fe.Error() != tt.text {
				t.Errorf("got {%s %d %q}, want {%s %d %q}", fe.Code, fe.Number, fe.Error(), tt.code, tt.number, tt.text)
			}
			if !errors.Is(err, &FirewalldError{Code: tt.code}) {
				t.Errorf("errors.Is(%v, &FirewalldError{Code: %q}) = false", err, tt.code)
			}
		})
	}
}

func TestErrorNumber(t *testing.T) {
	for code, want := range map[string]int{"INVALID_RULE": 122, "INVALID_ZONE": 112, "NOT_RUNNING": 252, "INVALID_POLICY": 140} {
		if got, ok := ErrorNumber(code); !ok || got != want {
			t.Errorf("ErrorNumber(%q) = %d, %v; want %d", code, got, ok, want)
		}
	}
	if _, ok := ErrorNumber("NO_SUCH_CODE"); ok {
		t.Error("ErrorNumber(NO_SUCH_CODE) found a number")
	}
	if e := NewFirewalldError("NO_SUCH_CODE", "x"); e.Number != 254 {
		t.Errorf("NewFirewalldError(unknown code).Number = %d, want 254", e.Number)
	}
}
