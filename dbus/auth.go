package dbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// PolkitAction is the polkit action a caller other than root needs to change
// anything. It is firewalld's own action for changing its configuration, so
// the polkit rules an administrator wrote for firewalld apply to us as well.
const PolkitAction = "org.fedoraproject.FirewallD1.config"

const (
	polkitName  = "org.freedesktop.PolicyKit1"
	polkitPath  = godbus.ObjectPath("/org/freedesktop/PolicyKit1/Authority")
	polkitIface = "org.freedesktop.PolicyKit1.Authority"

	// authTimeout bounds the questions to the bus and to polkit, so that a
	// hanging polkit cannot hold a caller forever.
	authTimeout = 10 * time.Second
)

// errNoPolkit means polkit is neither running nor activatable on the bus.
var errNoPolkit = errors.New("polkit is not on the bus")

// authorizer decides whether a caller may change something. Reading needs
// no authorization.
//
// Root may always change; anyone else only when polkit is on the bus and
// grants PolkitAction without interaction (a D-Bus call cannot wait for a
// password prompt). This is firewalld's rule, with one difference: root is
// asked about first, so root keeps working when polkit is broken.
type authorizer struct {
	uid    func(ctx context.Context, sender string) (uint32, error)
	polkit func(ctx context.Context, sender string) (bool, error) // errNoPolkit when absent
	log    *slog.Logger
}

// authorize returns nil or a NOT_AUTHORIZED *firewalld.Error that says why.
func (a *authorizer) authorize(ctx context.Context, sender string) error {
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	uid, uidErr := a.uid(ctx, sender)
	if uidErr == nil && uid == 0 {
		return nil
	}
	allowed, pkErr := a.polkit(ctx, sender)
	if pkErr == nil && allowed {
		return nil
	}

	who := fmt.Sprintf("uid %d", uid)
	if uidErr != nil {
		a.log.Warn("looking up the uid of a D-Bus caller", "sender", sender, "err", uidErr)
		who = "caller " + sender
	}
	var why string
	switch {
	case errors.Is(pkErr, errNoPolkit):
		why = "only root may, as polkit is not running"
	case pkErr != nil:
		a.log.Warn("asking polkit", "sender", sender, "action", PolkitAction, "err", pkErr)
		why = "polkit did not answer: " + pkErr.Error()
	default:
		why = "polkit denied " + PolkitAction
	}
	a.log.Info("not authorized", "sender", sender, "who", who, "reason", why)
	return &firewalld.Error{Code: firewalld.NotAuthorized, Msg: who + " may not change mssclamp rules: " + why}
}

// busAuthorizer asks the bus who the caller is and polkit what it may do.
func busAuthorizer(conn *godbus.Conn, log *slog.Logger) *authorizer {
	return &authorizer{
		uid: func(ctx context.Context, sender string) (uint32, error) {
			var uid uint32
			err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixUser", 0, sender).Store(&uid)
			if err != nil {
				return 0, fmt.Errorf("GetConnectionUnixUser(%s): %w", sender, err)
			}
			return uid, nil
		},
		polkit: func(ctx context.Context, sender string) (bool, error) {
			return checkPolkit(ctx, conn, sender)
		},
		log: log,
	}
}

// polkitSubject is polkit's (sa{sv}) subject: the caller's bus name, as
// firewalld passes it.
type polkitSubject struct {
	Kind    string
	Details map[string]godbus.Variant
}

// polkitResult is polkit's (bba{ss}) authorization result.
type polkitResult struct {
	Authorized bool
	Challenge  bool
	Details    map[string]string
}

// checkPolkit calls CheckAuthorization without interaction. A polkit that is
// installed but not running is started by the bus (D-Bus activation), so
// only a system without polkit falls back to root alone.
func checkPolkit(ctx context.Context, conn *godbus.Conn, sender string) (bool, error) {
	subject := polkitSubject{Kind: "system-bus-name", Details: map[string]godbus.Variant{"name": godbus.MakeVariant(sender)}}
	var res polkitResult
	err := conn.Object(polkitName, polkitPath).CallWithContext(ctx, polkitIface+".CheckAuthorization", 0,
		subject, PolkitAction, map[string]string{}, uint32(0), "").Store(&res)
	var de godbus.Error
	if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return false, errNoPolkit
	}
	if err != nil {
		return false, fmt.Errorf("CheckAuthorization(%s, %s): %w", sender, PolkitAction, err)
	}
	return res.Authorized, nil
}
