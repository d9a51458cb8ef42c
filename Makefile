# The README's two commands are `make demo` and `make test`; both install what
# they need first (scripts/deps.sh). CI runs `make test` (.ci/run).

GO := $(shell scripts/deps.sh)
export PATH := $(dir $(GO)):$(PATH)
export CGO_ENABLED := 1

FUZZTIME ?= 60s
BENCHTIME ?= 1x

.PHONY: test vet unit build demo bench fuzz

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

build:
	$(GO) build -o bin/ ./cmd/...

demo: build
	scripts/demo.sh bin

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./richrule
