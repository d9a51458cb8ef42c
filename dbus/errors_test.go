package dbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// TestServiceErrorEveryCode: every firewalld code becomes its own D-Bus
// error name, with the engine's text unchanged as the body.
func TestServiceErrorEveryCode(t *testing.T) {
	n := 0
	for c := firewalld.Code(0); c < 300; c++ {
		if _, named := firewalld.CodeByName(c.Name()); !named {
			continue
		}
		n++
		for _, msg := range []string{"", "detail: with a colon"} {
			err := &firewalld.Error{Code: c, Msg: msg}
			got := serviceError(err)
			if got.Name != "org.mssclamp.MssClamp1.Error."+c.Name() {
				t.Errorf("%s: name %q", c.Name(), got.Name)
			}
			if len(got.Body) != 1 || got.Body[0] != err.Error() {
				t.Errorf("%s: body %q, want [%q]", c.Name(), got.Body, err.Error())
			}
		}
	}
	if n < 80 {
		t.Errorf("only %d named codes: richrule's list shrank?", n)
	}
}

func TestServiceError(t *testing.T) {
	parseErr := &firewalld.Error{Code: firewalld.InvalidRule, Msg: "535", Column: 20, Construct: "tcp-mss-clamp value"}
	tests := []struct {
		name     string
		err      error
		wantName string
		wantText string
	}{
		{"nil", nil, "", ""},
		{"coded", &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: "'R' already in 'public'"},
			"org.mssclamp.MssClamp1.Error.ALREADY_ENABLED", "ALREADY_ENABLED: 'R' already in 'public'"},
		{"coded with position", parseErr, "org.mssclamp.MssClamp1.Error.INVALID_RULE", parseErr.Error()},
		{"wrapped coded", fmt.Errorf("saving zone %q: %w", "public", &firewalld.Error{Code: firewalld.CommandFailed, Msg: "disk full"}),
			"org.mssclamp.MssClamp1.Error.COMMAND_FAILED", `COMMAND_FAILED: saving zone "public": COMMAND_FAILED: disk full`},
		{"plain", errors.New("reading zones from firewalld: no reply"),
			"org.mssclamp.MssClamp1.Error.COMMAND_FAILED", "COMMAND_FAILED: reading zones from firewalld: no reply"},
		{"cancelled", context.Canceled, "org.mssclamp.MssClamp1.Error.COMMAND_FAILED", "COMMAND_FAILED: context canceled"},
		{"code without a name", &firewalld.Error{Code: 999, Msg: "odd"},
			"org.mssclamp.MssClamp1.Error.UNKNOWN_ERROR", "UNKNOWN_ERROR: CODE_999: odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serviceError(tt.err)
			if tt.wantName == "" {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if got.Name != tt.wantName || len(got.Body) != 1 || got.Body[0] != tt.wantText {
				t.Errorf("got %s %q, want %s [%q]", got.Name, got.Body, tt.wantName, tt.wantText)
			}
			// What a client does with it: the text before the first colon is
			// the code, as firewalld's FirewallError.get_code reads it.
			code, _, _ := strings.Cut(got.Body[0].(string), ":")
			if got.Name != ServiceErrorPrefix+code {
				t.Errorf("body code %q does not match name %s", code, got.Name)
			}
			var de godbus.Error = *got
			if de.Error() != tt.wantText {
				t.Errorf("Error() = %q", de.Error())
			}
		})
	}
}

func TestMapServiceError(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want testutil.Coded
	}{
		{"coded", godbus.Error{Name: ServiceErrorPrefix + "INVALID_ZONE", Body: []any{"INVALID_ZONE: nope"}},
			testutil.Coded{Code: firewalld.InvalidZone, Text: "INVALID_ZONE: nope"}},
		{"name wins over text", godbus.Error{Name: ServiceErrorPrefix + "NOT_AUTHORIZED", Body: []any{"uid 1000 may not"}},
			testutil.Coded{Code: firewalld.NotAuthorized, Text: "NOT_AUTHORIZED: uid 1000 may not"}},
		{"unknown name", godbus.Error{Name: ServiceErrorPrefix + "NEW_CODE", Body: []any{"INVALID_RULE: x"}},
			testutil.Coded{Code: firewalld.InvalidRule, Text: "INVALID_RULE: x"}},
		{"gone", godbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name is not activatable"}},
			testutil.Coded{Code: firewalld.NotRunning, Text: ErrServiceNotRunning.Error()}},
		{"no reply", godbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, testutil.Coded{Code: firewalld.NotRunning, Text: ErrServiceNotRunning.Error()}},
		{"bus policy", godbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied", Body: []any{"Rejected send message"}},
			testutil.Coded{Code: firewalld.NotAuthorized, Text: "NOT_AUTHORIZED: Rejected send message"}},
		{"other bus error", godbus.Error{Name: "org.freedesktop.DBus.Error.UnknownMethod", Body: []any{"No such method"}},
			testutil.Coded{Code: firewalld.UnknownError, Text: "No such method"}},
		{"not a bus error", fmt.Errorf("connection closed"), testutil.Coded{Code: firewalld.UnknownError, Text: "calling mssclampd: connection closed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := testutil.CodedOf(mapServiceError(c.err))
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
