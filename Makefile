# The one command that runs everything CI runs: `make test`.
GO ?= go

.PHONY: test check unit fips fuzz fuzz-all bench

test: check unit fips

check:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) build ./examples/...

# The PostgreSQL store tests need a server: scripts/with-postgres.sh starts a
# throwaway one on loopback (installing it with apt-get when run as root).
unit:
	scripts/with-postgres.sh $(GO) test -race -count=1 ./...
	# Allocation counts are only meaningful without the race detector.
	$(GO) test -count=1 -run 'Allocs' ./...
	cd benchmarks && $(GO) vet ./... && $(GO) test -race -count=1 -run . -bench . -benchtime 1x ./...
	# Android Enterprise through Google's AMAPI client (a nested module), against a local fake AMAPI server.
	cd android/amapi && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	# Apple MDM through NanoMDM in process (a nested module, for nanomdm and howett.net/plist).
	cd apple/nanomdm && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	# The console in headless Chromium (a nested module, for chromedp), its stores in PostgreSQL.
	scripts/with-postgres.sh sh -c 'cd examples/console/browsertest && $(GO) vet ./... && $(GO) test -race -count=1 ./...'
	# Key custody backends, each a nested module: PKCS#11 against SoftHSM2.
	cd custody/pkcs11 && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	# AWS KMS against nsmithuk/local-kms, in process on loopback.
	cd custody/awskms && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	# Vault Transit against a fake of its HTTP API on loopback.
	cd custody/vault && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	# Envelope keys with gocloud.dev keepers: the local keeper and local-kms.
	cd custody/envelope && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# The whole suite of the main module a second time with the Go
# Cryptographic Module in FIPS 140-3 only mode (docs/keys.md, "The FIPS
# 140-3 profile"): refused algorithms panic or fail, and the tests assert
# each mode's behaviour. Without -race, to keep CI time down (the race pass
# above runs the same code); so the allocation tests run here too, and
# assert FIPS mode's counts. The nested modules (benchmarks against peer
# libraries that use SHA-1, the browser test) run in the default mode only.
fips:
	scripts/with-postgres.sh env GODEBUG=fips140=only $(GO) test -count=1 ./...

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
