# The README's two commands are `make demo` and `make test`; CI runs `make test`
# (.ci/run).
#
# Every target needs only Go: scripts/go.sh finds a toolchain (or fetches one
# into a private directory) and installs nothing system-wide, so `make build`
# changes nothing outside this tree. Only `make test`, `make bench` and `make
# demo` install the Debian packages they drive, as root (scripts/deps.sh:
# tools and libraries, never firewalld, and no service started or enabled).

GO := $(shell scripts/go.sh)
ifneq ($(GO),)
export PATH := $(dir $(GO)):$(PATH)
endif
export CGO_ENABLED := 1

FUZZTIME ?= 60s

# The version is what git says about the checkout (a tag vX.Y.Z, else the
# commit, -dirty with uncommitted changes); packages derive theirs from it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
LDFLAGS = -s -w -X github.com/firewalld-mssclamp/mssclamp/internal/buildinfo.stamped=$(VERSION)

.PHONY: test vet unit build demo bench fuzz have-go test-deps demo-deps man install uninstall package

test: vet unit

have-go:
	@test -n "$(GO)" || { echo "make: no Go toolchain (scripts/go.sh said why)" >&2; exit 1; }

test-deps:
	scripts/deps.sh test

demo-deps:
	scripts/deps.sh demo

vet: have-go
	$(GO) vet ./...
	cd packaging && $(GO) vet ./...
	@bad=$$(find . -name '*.go' -not -path './.git/*' | xargs gofmt -l); \
	 if [ -n "$$bad" ]; then echo "gofmt wants to rewrite: $$bad" >&2; exit 1; fi

# Unit tests run anywhere; system tests (real kernel in namespaces, a private
# dbus-daemon, Debian's firewalld releases unpacked into private trees) run in
# the same packages when root and skip with a reason otherwise. As root they
# run where the host's own firewalld (if any) is hidden, so none can use it.
# packaging/ (make package's program) is a module of its own.
unit: have-go test-deps
	scripts/hide-host-firewalld.sh $(GO) test -race -count=1 -timeout 9m ./...
	cd packaging && $(GO) test -count=1 ./...

# Release binaries: stamped with the version, stripped, without build paths,
# and without cgo (CGO_ENABLED=0: no shared library needed), so that one
# build runs on every distribution the packages are for, whatever its C
# library's version. Position-independent, so that the kernel places the
# root daemon at a random address (ASLR), as distributions build daemons.
build: have-go
	CGO_ENABLED=0 $(GO) build -buildmode=pie -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# make install lays out what the packages hold (PREFIX=/usr is the packages'
# layout, save each distribution's own directories; DESTDIR stages it
# elsewhere). It installs nothing that changes
# behaviour: no rules (the examples go to the documentation), the unit is
# neither enabled nor started, and an existing /etc/default/mssclampd is
# kept. dbus-daemon reads bus policies only from /usr/share and /etc, hence
# DBUSPOLICYDIR.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/mssclamp
LICENSEDIR ?= $(DATADIR)/licenses/mssclamp
UNITDIR ?= $(PREFIX)/lib/systemd/system
DBUSSERVICEDIR ?= $(DATADIR)/dbus-1/system-services
DBUSPOLICYDIR ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/dbus-1/system.d,$(SYSCONFDIR)/dbus-1/system.d)
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
DEFAULTSDIR ?= $(SYSCONFDIR)/default

BUSNAME = org.mssclamp.MssClamp1
INSTALLED = $(BINDIR)/mssclamp-cmd $(SBINDIR)/mssclampd $(UNITDIR)/mssclampd.service \
	$(DBUSSERVICEDIR)/$(BUSNAME).service $(DBUSPOLICYDIR)/$(BUSNAME).conf \
	$(MANDIR)/man1/mssclamp-cmd.1 $(MANDIR)/man8/mssclampd.8 $(MANDIR)/man5/mssclamp.xml.5 \
	$(BASHCOMPDIR)/mssclamp-cmd $(ZSHCOMPDIR)/_mssclamp-cmd $(DOCDIR)/README.md \
	$(DOCDIR)/examples/README $(DOCDIR)/examples/zones/vpn.xml \
	$(DOCDIR)/examples/policies/lan-to-wan.xml $(if $(LICENSEDIR),$(LICENSEDIR)/LICENSE)

# The unit names /usr/sbin/mssclampd: another SBINDIR is written into it.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DBUSSERVICEDIR) $(DESTDIR)$(DBUSPOLICYDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples/zones \
		$(DESTDIR)$(DOCDIR)/examples/policies $(DESTDIR)$(DEFAULTSDIR)
	install -m 0755 bin/mssclamp-cmd $(DESTDIR)$(BINDIR)/mssclamp-cmd
	install -m 0755 bin/mssclampd $(DESTDIR)$(SBINDIR)/mssclampd
	sed 's|/usr/sbin/mssclampd|$(SBINDIR)/mssclampd|' dist/systemd/mssclampd.service >$(DESTDIR)$(UNITDIR)/mssclampd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mssclampd.service
	install -m 0644 dist/dbus-1/system-services/$(BUSNAME).service $(DESTDIR)$(DBUSSERVICEDIR)/$(BUSNAME).service
	install -m 0644 dist/dbus-1/system.d/$(BUSNAME).conf $(DESTDIR)$(DBUSPOLICYDIR)/$(BUSNAME).conf
	install -m 0644 dist/man/mssclamp-cmd.1 $(DESTDIR)$(MANDIR)/man1/mssclamp-cmd.1
	install -m 0644 dist/man/mssclamp.xml.5 $(DESTDIR)$(MANDIR)/man5/mssclamp.xml.5
	install -m 0644 dist/man/mssclampd.8 $(DESTDIR)$(MANDIR)/man8/mssclampd.8
	install -m 0644 dist/completion/mssclamp-cmd.bash $(DESTDIR)$(BASHCOMPDIR)/mssclamp-cmd
	install -m 0644 dist/completion/_mssclamp-cmd $(DESTDIR)$(ZSHCOMPDIR)/_mssclamp-cmd
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 dist/examples/README $(DESTDIR)$(DOCDIR)/examples/README
	install -m 0644 dist/examples/zones/vpn.xml $(DESTDIR)$(DOCDIR)/examples/zones/vpn.xml
	install -m 0644 dist/examples/policies/lan-to-wan.xml $(DESTDIR)$(DOCDIR)/examples/policies/lan-to-wan.xml
	$(if $(LICENSEDIR),install -D -m 0644 LICENSE $(DESTDIR)$(LICENSEDIR)/LICENSE)
	test -e $(DESTDIR)$(DEFAULTSDIR)/mssclampd || install -m 0644 dist/default/mssclampd $(DESTDIR)$(DEFAULTSDIR)/mssclampd

# Leaves $(DEFAULTSDIR)/mssclampd (the administrator's) and the rules in
# /etc/firewalld/mssclamp.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples/zones $(DESTDIR)$(DOCDIR)/examples/policies \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) $(if $(LICENSEDIR),$(DESTDIR)$(LICENSEDIR)) 2>/dev/null

# make package writes bin/mssclamp_VERSION_ARCH.deb and
# bin/mssclamp-VERSION-1.ARCH.rpm from packaging/nfpm.yaml (each
# distribution's directories, dependencies and scripts) with nfpm, through
# packaging/, a Go module of its own so that nfpm's dependencies stay out of
# the daemon's module.
package: build
	rm -rf bin/pkgroot bin/mssclamp_*.deb bin/mssclamp-*.rpm
	cd packaging && SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)} \
		$(GO) run . -version '$(VERSION)'

# The man pages in dist/man are generated from dist/man/*.txt and from the
# options the commands print with --help (internal/manpage), and committed;
# the commands' tests fail when they differ. This rewrites them.
man: have-go
	$(GO) test -count=1 -run '^TestManPage$$' ./cmd/mssclamp-cmd ./cmd/mssclampd -args -update

demo: demo-deps build
	scripts/demo.sh bin

# Micro benchmarks run for the usual time; the system benchmarks (real
# firewalld, 10,000 kernel rules, traffic through a router) set up once and
# measure a series of their own, so they run once (-benchtime 1x).
MICRO = Parse|String|Compile.*|ApplyOneChange|ApplyUnchanged|Render.*|Encode.*|Apply100|Reapply.*|Recovery1000|AddRule|QueryInProcess|ServiceAddRemove|Probe
SYSTEM = Throughput|HandshakeRate|AddRichRule|ReloadRecovery|DaemonRSS|QueryRichRule|Apply10000|ApplyFull|ApplyFullReplace

bench: have-go test-deps
	$(GO) test -run '^$$' -benchmem -bench '^Benchmark($(MICRO))$$' ./...
	$(GO) test -run '^$$' -benchmem -benchtime 1x -bench '^Benchmark($(SYSTEM))$$' ./...

fuzz: have-go
	$(GO) test -run '^$$' -timeout 0 -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./richrule
