// Command mssclampd keeps tcp-mss-clamp rich rules in the kernel beside
// firewalld: it serves a firewalld-shaped D-Bus API, stores permanent rules
// in firewalld's XML form, follows firewalld's zones and bindings, and puts
// its rules back after every firewalld reload or restart. Without firewalld
// it runs standalone on its own zone configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/buildinfo"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// version is stamped by `make build` (see package buildinfo).
var version = buildinfo.Version()

type options struct {
	configDir     string
	firewalldConf string
	backend       string
	firewalld     string
	logLevel      string
}

func main() {
	// A router daemon should stay small: collect garbage before the heap
	// passes this soft limit rather than letting it double (GOMEMLIMIT in
	// the environment still wins).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:]))
}

// memoryLimit is the daemon's soft heap limit; with 1,000 rules the live
// heap is a few MiB.
const memoryLimit = 14 << 20

func run(args []string) int {
	var o options
	fs, help, showVersion := newFlags(&o)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "mssclampd: %v (see mssclampd --help)\n", err)
		return 2
	}
	if *help {
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return 0
	}
	if *showVersion {
		fmt.Println(version)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "mssclampd: --log-level: %v\n", err)
		return 2
	}
	if o.firewalld != "auto" && o.firewalld != "off" {
		fmt.Fprintf(os.Stderr, "mssclampd: --firewalld must be auto or off, not %q\n", o.firewalld)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := serve(o, log); err != nil {
		log.Error("exiting", "err", err)
		return 1
	}
	return 0
}

// serve runs the daemon until SIGTERM or SIGINT.
func serve(o options, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	conn, err := godbus.ConnectSystemBus()
	if err != nil {
		return fmt.Errorf("connecting to the system bus: %w", err)
	}
	defer conn.Close()

	var fw *mdbus.Firewalld
	var events <-chan mdbus.Event
	if o.firewalld == "auto" {
		fw = mdbus.NewFirewalld(conn)
		// Subscribe before the first snapshot, so no change falls between.
		w, err := fw.Watch(ctx)
		if err != nil {
			return fmt.Errorf("watching firewalld: %w", err)
		}
		defer w.Close()
		events = w.Events()
	}

	sel, err := backend.Select(o.backend, backend.SystemProber{Running: runningBackend(ctx, fw), Conf: o.firewalldConf, Kernel: nft.KernelHasNftables})
	if err != nil {
		return err
	}
	be, err := newBackend(sel.Kind)
	if err != nil {
		return err
	}
	log.Info("backend chosen", "backend", sel.Kind, "why", sel.Reason)

	svc := mdbus.NewService(conn, mdbus.Info{Version: version, Backend: string(sel.Kind)}, log)
	eng := engine.New(engine.Config{Backend: be, Store: store.Open(o.configDir), Log: log, Listener: svc})
	env := currentEnv(ctx, fw)
	if err := eng.Start(ctx, env); err != nil {
		return fmt.Errorf("starting: %w", err)
	}
	log.Info("rules applied", "mode", eng.Mode(), "config", o.configDir)
	if err := svc.Serve(eng); err != nil {
		return err
	}
	defer svc.Close()
	log.Info("serving", "name", mdbus.ServiceName)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := eng.Reload(ctx); err != nil {
					log.Error("reload", "err", err)
				} else {
					log.Info("reloaded", "signal", "SIGHUP")
				}
				continue
			}
			cleanup := cleanupOnExit(o.firewalldConf, log)
			log.Info("stopping", "signal", sig.String(), "cleanup", cleanup)
			shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			return eng.Shutdown(shutdownCtx, cleanup)
		case ev, ok := <-events:
			if !ok {
				return errors.New("lost the system bus")
			}
			follow(ctx, eng, svc, fw, drain(ev, events), log)
		case <-conn.Context().Done():
			// Without firewalld there are no events to tell us; a daemon
			// nobody can reach must exit so that it gets restarted.
			return errors.New("lost the system bus")
		}
	}
}

// newBackend builds the chosen backend for the namespace we run in.
func newBackend(k backend.Kind) (backend.Backend, error) {
	var b backend.Backend
	var err error
	if k == backend.KindIptables {
		b, err = ipt.New() // its errors say "iptables backend: ..."
	} else {
		b, err = nft.New()
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// cleanupOnExit follows firewalld's CleanupOnExit (default yes): on a
// normal stop we remove our kernel objects unless it says no.
func cleanupOnExit(path string, log *slog.Logger) bool {
	conf, err := firewalld.ReadConf(path)
	if err != nil {
		log.Warn("reading firewalld.conf; cleaning up on exit", "err", err)
		return true
	}
	switch strings.ToLower(conf["CleanupOnExit"]) {
	case "no", "false", "0":
		return false
	}
	return true
}
