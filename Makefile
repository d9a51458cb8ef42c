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

.PHONY: test vet unit build demo bench fuzz have-go test-deps demo-deps

test: vet unit

have-go:
	@test -n "$(GO)" || { echo "make: no Go toolchain (scripts/go.sh said why)" >&2; exit 1; }

test-deps:
	scripts/deps.sh test

demo-deps:
	scripts/deps.sh demo

vet: have-go
	$(GO) vet ./...
	@bad=$$(find . -name '*.go' -not -path './.git/*' | xargs gofmt -l); \
	 if [ -n "$$bad" ]; then echo "gofmt wants to rewrite: $$bad" >&2; exit 1; fi

# Unit tests run anywhere; system tests (real kernel in namespaces, a private
# dbus-daemon, Debian's firewalld releases unpacked into private trees) run in
# the same packages when root and skip with a reason otherwise. As root they
# run where the host's own firewalld (if any) is hidden, so none can use it.
unit: have-go test-deps
	scripts/hide-host-firewalld.sh $(GO) test -race -count=1 -timeout 9m ./...

build: have-go
	$(GO) build -o bin/ ./cmd/...

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
