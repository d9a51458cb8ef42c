package dbus

import (
	"math"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The service is the engine's Listener: the engine calls it after every
// change is in the kernel (including a timed rule expiring and a reload),
// from the goroutine that made the change and before that call returns, so a
// client sees the signal before the reply to its own call, as with
// firewalld. Signals are sent from ServicePath like firewalld's.

// RuleAdded emits RichRuleAdded(s zone, s rule, i timeout) on the zone or
// policy interface.
func (s *Service) RuleAdded(sc firewalld.Scope, rule string, timeout time.Duration) {
	s.emit(runtimeInterface(sc)+".RichRuleAdded", sc.Name, rule, timeoutSeconds(timeout))
}

// RuleRemoved emits RichRuleRemoved(s zone, s rule) on the zone or policy
// interface.
func (s *Service) RuleRemoved(sc firewalld.Scope, rule string) {
	s.emit(runtimeInterface(sc)+".RichRuleRemoved", sc.Name, rule)
}

// Reloaded emits Reloaded() once the permanent rules are applied again.
func (s *Service) Reloaded() {
	s.emit(ServiceInterface + ".Reloaded")
}

// emit sends a signal. A signal that cannot be sent (the connection is gone)
// is logged: the change itself has happened.
func (s *Service) emit(name string, args ...any) {
	if err := s.conn.Emit(ServicePath, name, args...); err != nil {
		s.log.Warn("emitting D-Bus signal", "signal", name, "err", err)
	}
}

func runtimeInterface(sc firewalld.Scope) string {
	if sc.Policy {
		return ServicePolicyInterface
	}
	return ServiceZoneInterface
}

// timeoutSeconds is a timeout as the signal carries it: whole seconds,
// rounded up so that a timed rule never looks permanent (0).
func timeoutSeconds(d time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	return int32(min((d+time.Second-1)/time.Second, math.MaxInt32))
}
