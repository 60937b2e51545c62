# The one command that runs everything CI runs: `make test`.
GO ?= go

.PHONY: test check unit fips fuzz fuzz-all bench mutation

test: check unit fips
	@$(SUMMARY) -report $(SKIPS)

# Every go test run below goes through scripts/testsummary, which prints
# what go test would and records the tests that skipped (a tool missing on
# this machine) with their reason; `make test` lists them at the end.
SUMMARY = .cache/testsummary
SKIPS = .cache/skipped

check:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) build ./examples/...

# The PostgreSQL store tests need a server: scripts/with-postgres.sh starts a
# throwaway one on loopback (installing it with apt-get when run as root).
# store/postgres runs enrollment's rollout property (100,000 enrollments)
# on each route: more than go test's default 10 minutes on a small machine.
unit:
	@mkdir -p .cache && rm -f $(SKIPS) && $(GO) build -o $(SUMMARY) ./scripts/testsummary
	scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 30m -json ./... | $(SUMMARY) -skips $(SKIPS)
	# Allocation counts are only meaningful without the race detector.
	$(GO) test -count=1 -json -run 'Allocs' ./... | $(SUMMARY) -skips $(SKIPS)
	cd benchmarks && $(GO) vet ./... && $(GO) test -race -count=1 -json -run . -bench . -benchtime 1x ./... | ../$(SUMMARY) -skips ../$(SKIPS)
	# Android Enterprise through Google's AMAPI client (a nested module), against a local fake AMAPI server.
	cd android/amapi && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	# Apple MDM through NanoMDM in process (a nested module, for nanomdm and howett.net/plist).
	cd apple/nanomdm && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	# The console in headless Chromium (a nested module, for chromedp), its stores in PostgreSQL.
	scripts/with-postgres.sh sh -c 'cd examples/console/browsertest && $(GO) vet ./... && $(GO) test -race -count=1 -json ./...' | $(SUMMARY) -skips $(SKIPS)
	# The servicepass mobile facade through gomobile's gobind, its Java compiled by javac
	# (a nested module, for golang.org/x/mobile). The C ABI's test (servicepass/capi: a
	# c-shared build and a C program over the vectors, with gcc) runs in ./... above.
	cd servicepass/mobile/bindtest && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../../$(SUMMARY) -skips ../../../$(SKIPS)
	# Key custody backends, each a nested module: PKCS#11 against SoftHSM2.
	cd custody/pkcs11 && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	# AWS KMS against nsmithuk/local-kms, in process on loopback.
	cd custody/awskms && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	# Vault Transit against a fake of its HTTP API on loopback.
	cd custody/vault && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	# Envelope keys with gocloud.dev keepers: the local keeper and local-kms.
	cd custody/envelope && $(GO) vet ./... && $(GO) test -race -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)

# The whole suite of the main module a second time with the Go
# Cryptographic Module in FIPS 140-3 only mode (docs/keys.md, "The FIPS
# 140-3 profile"): refused algorithms panic or fail, and the tests assert
# each mode's behaviour. Without -race, to keep CI time down (the race pass
# above runs the same code); so the allocation tests run here too, and
# assert FIPS mode's counts. Of the nested modules, those below run in FIPS
# mode too; the others (benchmarks against peer libraries that use SHA-1,
# NanoMDM, whose device identity uses SHA-1, the KMS emulator, the browser
# test) run in the default mode only.
fips:
	scripts/with-postgres.sh env GODEBUG=fips140=only $(GO) test -count=1 -timeout 30m -json ./... | $(SUMMARY) -skips $(SKIPS)
	# The nested modules whose tests need no non-FIPS peer: the PKCS#11 and
	# Vault Transit custody backends and the AMAPI adapter. custody/awskms and
	# custody/envelope run local-kms in their test process, and the emulator
	# itself seals with GCM under caller-chosen IVs, which FIPS mode refuses.
	cd custody/pkcs11 && GODEBUG=fips140=only $(GO) test -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	cd custody/vault && GODEBUG=fips140=only $(GO) test -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)
	cd android/amapi && GODEBUG=fips140=only $(GO) test -count=1 -json ./... | ../../$(SUMMARY) -skips ../../$(SKIPS)

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

# Mutation testing with gremlins (github.com/go-gremlins/gremlins, installed
# through the module proxy on first use) over the shared security mechanisms
# under internal/, each with its own tests: a few minutes per package on one
# core. MUTATION_PKGS chooses others (`make mutation MUTATION_PKGS='./otp
# ./passcode ./enrollment' THRESHOLD=90`); THRESHOLD fails at or below that
# efficacy (killed / (killed + lived)), MCOVER at or below that mutator
# coverage (mutants the package's tests reach). Only a package's own files
# are mutated: MUTATION_EXCLUDE (a regexp over file paths relative to the
# package's directory, default the test-kit subpackages such as
# otp/otptest) keeps the rest out; to measure some files of a package,
# exclude the others by name: MUTATION_EXCLUDE='[a-z]test/|^(pin|totp)\.go$'
# (on the make command line, write $$ for the $). MUTATION_RUN (a -run
# regexp, default all) runs a faster subset of the tests for each mutant.
# Each mutant's tests may take MUTATION_TIMEOUT times the
# uncached coverage run (GOFLAGS=-count=1: a cached one made every mutant
# time out). gremlins' --test-cpu is not used: v0.6.0 passes "-cpu N" as
# one argument, which every test binary refuses, so every mutant was
# reported killed.
GREMLINS_VERSION ?= v0.6.0
MUTATION_PKGS ?= ./internal/randcode ./internal/keyedhash ./internal/ident ./internal/attempt
THRESHOLD ?= 95
MCOVER ?= 0
MUTATION_EXCLUDE ?= [a-z]test/
MUTATION_RUN ?=
MUTATION_TIMEOUT ?= 10

mutation:
	@command -v gremlins >/dev/null || $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	@for p in $(MUTATION_PKGS); do \
	  echo "== $$p"; \
	  GOFLAGS="-count=1 $(if $(MUTATION_RUN),-run=$(MUTATION_RUN))" PATH="$$($(GO) env GOPATH)/bin:$$PATH" \
	    gremlins unleash --workers 1 --timeout-coefficient $(MUTATION_TIMEOUT) \
	    $(if $(MUTATION_EXCLUDE),-E '$(MUTATION_EXCLUDE)') \
	    --threshold-efficacy $(THRESHOLD) --threshold-mcover $(MCOVER) -S lt $$p || exit 1; \
	done
