# The README's two commands are `make demo` and `make test`; both install what
# they need first (scripts/deps.sh). CI runs `make test` (.ci/run).

GO := $(shell scripts/deps.sh)
export PATH := $(dir $(GO)):$(PATH)
export CGO_ENABLED := 1

FUZZTIME ?= 60s

# The version is what git says about the checkout (a tag vX.Y.Z, else the
# commit, -dirty with uncommitted changes); packages derive theirs from it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
LDFLAGS = -s -w -X github.com/firewalld-mssclamp/mssclamp/internal/buildinfo.stamped=$(VERSION)

.PHONY: test vet unit build demo bench fuzz man install package

test: vet unit

vet:
	@test -n "$(GO)" || { echo "no Go toolchain" >&2; exit 1; }
	$(GO) vet ./...
	@bad=$$(find . -name '*.go' -not -path './.git/*' | xargs gofmt -l); \
	 if [ -n "$$bad" ]; then echo "gofmt wants to rewrite: $$bad" >&2; exit 1; fi

# Unit tests run anywhere; system tests (real kernel in namespaces, a private
# dbus-daemon, real firewalld) run in the same packages when root and skip
# with a reason otherwise.
unit:
	$(GO) test -race -count=1 -timeout 9m ./...

# Release binaries: stamped with the version, stripped, without build paths,
# and static (CGO_ENABLED=0), so that one build runs on every distribution
# the packages are for, whatever its C library.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# The man pages in dist/man are generated from dist/man/*.txt and from the
# options the commands print with --help (internal/manpage), and committed;
# the commands' tests fail when they differ. This rewrites them.
man:
	$(GO) test -count=1 -run '^TestManPage$$' ./cmd/mssclamp-cmd ./cmd/mssclampd -args -update

demo: build
	scripts/demo.sh bin

# Micro benchmarks run for the usual time; the system benchmarks (real
# firewalld, 10,000 kernel rules, traffic through a router) set up once and
# measure a series of their own, so they run once (-benchtime 1x).
MICRO = Parse|String|Compile.*|ApplyOneChange|ApplyUnchanged|Render.*|Encode.*|Apply100|Reapply.*|Recovery1000|AddRule|QueryInProcess|ServiceAddRemove|Probe
SYSTEM = Throughput|HandshakeRate|AddRichRule|ReloadRecovery|DaemonRSS|QueryRichRule|Apply10000|ApplyFull|ApplyFullReplace

bench:
	$(GO) test -run '^$$' -benchmem -bench '^Benchmark($(MICRO))$$' ./...
	$(GO) test -run '^$$' -benchmem -benchtime 1x -bench '^Benchmark($(SYSTEM))$$' ./...

fuzz:
	$(GO) test -run '^$$' -timeout 0 -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./richrule
