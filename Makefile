# The one command that runs everything CI runs: `make test`.
GO ?= go

.PHONY: test check unit fuzz fuzz-all bench

test: check unit

check:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) build ./examples/...

# The PostgreSQL store tests need a server: scripts/with-postgres.sh starts a
# throwaway one on loopback (installing it with apt-get when run as root).
# store/postgres runs enrollment's rollout property (100,000 enrollments)
# on each route: more than go test's default 10 minutes on a small machine.
unit:
	scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 30m ./...
	# Allocation counts are only meaningful without the race detector.
	$(GO) test -count=1 -run 'Allocs' ./...
	cd benchmarks && $(GO) vet ./... && $(GO) test -race -count=1 -run . -bench . -benchtime 1x ./...
	# The console in headless Chromium (a nested module, for chromedp), its stores in PostgreSQL.
	scripts/with-postgres.sh sh -c 'cd examples/console/browsertest && $(GO) vet ./... && $(GO) test -race -count=1 ./...'

# Short fuzzing of every parser (FUZZTIME each, 10 s unless set:
# `make fuzz FUZZTIME=1m`; PostgreSQL included); not part of `make test`.
FUZZTIME ?= 10s

fuzz:
	scripts/with-postgres.sh $(MAKE) --no-print-directory fuzz-all

fuzz-all:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
