package dbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The engine is the Core, and the service is the engine's Listener.
var (
	_ Core            = (*engine.Engine)(nil)
	_ engine.Listener = (*Service)(nil)
)

// Our bus name, object paths and interfaces. The "1" is the API version, as
// in firewalld's names: an incompatible change gets a new name.
const (
	ServiceName = "org.mssclamp.MssClamp1"

	ServicePath         godbus.ObjectPath = "/org/mssclamp/MssClamp1"
	ServiceConfigPath   godbus.ObjectPath = ServicePath + "/config"
	serviceZonesPath    godbus.ObjectPath = ServiceConfigPath + "/zone"
	servicePoliciesPath godbus.ObjectPath = ServiceConfigPath + "/policy"

	ServiceInterface             = "org.mssclamp.MssClamp1"
	ServiceZoneInterface         = ServiceInterface + ".zone"
	ServicePolicyInterface       = ServiceInterface + ".policy"
	ServiceConfigInterface       = ServiceInterface + ".config"
	ServiceConfigZoneInterface   = ServiceConfigInterface + ".zone"
	ServiceConfigPolicyInterface = ServiceConfigInterface + ".policy"

	introspectableIface = "org.freedesktop.DBus.Introspectable"
)

// Core is what the service needs from the daemon's engine; *engine.Engine
// implements it. Errors are *firewalld.Error where a client should see a
// firewalld code.
type Core interface {
	AddRule(ctx context.Context, t firewalld.Scope, rule string, timeout time.Duration) (string, error)
	RemoveRule(ctx context.Context, t firewalld.Scope, rule string) (string, error)
	QueryRule(ctx context.Context, t firewalld.Scope, rule string) (bool, error)
	Rules(ctx context.Context, t firewalld.Scope) ([]string, error)
	Counters(ctx context.Context, t firewalld.Scope) ([]engine.RuleCounter, error)

	AddPermanentRule(ctx context.Context, t firewalld.Scope, rule string) (string, error)
	RemovePermanentRule(ctx context.Context, t firewalld.Scope, rule string) (string, error)
	QueryPermanentRule(ctx context.Context, t firewalld.Scope, rule string) (bool, error)
	PermanentRules(ctx context.Context, t firewalld.Scope) ([]string, error)

	Reload(ctx context.Context) error
	RuntimeToPermanent(ctx context.Context) error

	DefaultZone() string
	Zones() []string
	Policies() []string
	Mode() string
	Dump(ctx context.Context) (string, error)
}

// Info is what the service says about itself in its properties.
type Info struct {
	Version string // the daemon's version
	Backend string // "nftables" or "iptables"
}

// Service is mssclampd's D-Bus API: the runtime and permanent tcp-mss-clamp
// rules of every zone and policy, with firewalld's method signatures under our
// own name. It is also the engine's Listener and turns changes into signals.
//
// Create it with NewService before the engine (which needs its Listener),
// then Serve the engine.
type Service struct {
	conn *godbus.Conn
	info Info
	log  *slog.Logger
	auth *authorizer

	// ctx bounds the engine calls of handlers; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	core   Core
	served bool // we own ServiceName
}

// NewService returns a service that will answer on conn, a connection to the
// system bus that the caller owns and closes. It emits signals right away;
// it answers calls once Serve has been called.
func NewService(conn *godbus.Conn, info Info, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		conn:   conn,
		info:   info,
		log:    log,
		auth:   busAuthorizer(conn, log),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Serve exports every object over core, then requests ServiceName; it fails
// when another process owns the name (an mssclampd already runs) or the bus
// policy does not let us own it. Serve once.
func (s *Service) Serve(core Core) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.core != nil {
		return errors.New("D-Bus service: Serve called twice")
	}
	s.core = core
	if err := s.publish(); err != nil {
		return err
	}
	s.served = true
	return nil
}

// publish exports and then takes the name, so no call can arrive before
// every object is there.
func (s *Service) publish() error {
	if err := s.exportAll(); err != nil {
		return err
	}
	reply, err := s.conn.RequestName(ServiceName, godbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting bus name %s: %w", ServiceName, err)
	}
	if reply != godbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("requesting bus name %s: %s (is another mssclampd running?)", ServiceName, requestNameReplyText(reply))
	}
	return nil
}

// Close releases the name and cancels engine calls in progress. The objects
// stay on the connection until the caller closes it: godbus cannot remove
// them safely while it may be answering an introspection of another path.
func (s *Service) Close() error {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.served {
		return nil
	}
	s.served = false
	if _, err := s.conn.ReleaseName(ServiceName); err != nil {
		return fmt.Errorf("releasing bus name %s: %w", ServiceName, err)
	}
	return nil
}

// exportAll puts every object on the connection: the main object (runtime
// interfaces and properties), the config object, and the per-zone and
// per-policy config objects, which are one subtree each so that zones can
// come and go with firewalld without exporting anything.
func (s *Service) exportAll() error {
	for _, e := range []struct {
		path    godbus.ObjectPath
		iface   string
		v       any
		subtree bool
	}{
		{ServicePath, ServiceInterface, &rootObject{s: s}, false},
		{ServicePath, ServiceZoneInterface, &zoneObject{runtimeRules{s: s}}, false},
		{ServicePath, ServicePolicyInterface, &policyObject{runtimeRules{s: s, policy: true}}, false},
		{ServicePath, propertiesIface, &properties{s: s}, false},
		{ServicePath, introspectableIface, rootIntrospectable, false},
		{ServiceConfigPath, ServiceConfigInterface, &configObject{s: s}, false},
		{ServiceConfigPath, introspectableIface, configIntrospectable, false},
		{serviceZonesPath, ServiceConfigZoneInterface, &configRules{s: s}, true},
		{serviceZonesPath, introspectableIface, &subtreeIntrospectable{s: s}, true},
		{servicePoliciesPath, ServiceConfigPolicyInterface, &configRules{s: s, policy: true}, true},
		{servicePoliciesPath, introspectableIface, &subtreeIntrospectable{s: s, policy: true}, true},
	} {
		do := s.conn.ExportWithMap
		if e.subtree {
			do = s.conn.ExportSubtreeWithMap
		}
		if err := do(e.v, methodNames(e.iface, e.v), e.path, e.iface); err != nil {
			return fmt.Errorf("exporting %s on %s: %w", e.iface, e.path, err)
		}
	}
	return nil
}

// engine returns the core being served; handlers only run after Serve.
func (s *Service) engine() Core {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core
}

func requestNameReplyText(r godbus.RequestNameReply) string {
	switch r {
	case godbus.RequestNameReplyInQueue:
		return "queued behind the owner"
	case godbus.RequestNameReplyExists:
		return "owned by another connection"
	case godbus.RequestNameReplyAlreadyOwner:
		return "already owned by this connection"
	}
	return fmt.Sprintf("reply %d", r)
}

// authorize lets a change through or returns NOT_AUTHORIZED.
func (s *Service) authorize(sender godbus.Sender) *godbus.Error {
	if err := s.auth.authorize(s.ctx, string(sender)); err != nil {
		return serviceError(err)
	}
	return nil
}

// result maps what the Core returned for method to what the caller sees. The
// engine logs what it changed; here only what a caller could not do is
// logged, and failures without a firewalld code (which say something broke
// rather than that the request was wrong) loudly.
func (s *Service) result(method string, err error) *godbus.Error {
	if err == nil {
		return nil
	}
	var coded *firewalld.Error
	if errors.As(err, &coded) {
		s.log.Debug("D-Bus call refused", "method", method, "err", err)
	} else {
		s.log.Error("D-Bus call failed", "method", method, "err", err)
	}
	return serviceError(err)
}
