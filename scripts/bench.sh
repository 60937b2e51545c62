#!/usr/bin/env bash
# Runs the side-by-side benchmarks (the nested benchmarks/ module: ours
# against pquerna/otp, sethvargo/go-password, raw crypto/hmac and raw
# go-qrcode) and the in-package benchmarks of servicepass and qr, then prints
# the machine and a Markdown table of each ratio (ours / peer, medians over
# COUNT runs, with the spread of the samples as a noise indicator).
#
# Then, unless FLOOR=0, the PostgreSQL floor benchmark
# (store/postgres/internal/floorbench) under a throwaway server and
# PgBouncer: each hot server operation through its service beside its floor
# (the minimal SQL doing the same work), at FLOOR_WORKERS callers (default
# 1,16,64) over a pool of 16, directly and through PgBouncer, FLOOR_N calls
# per measurement (default 2000), the median of FLOOR_ROUNDS alternating
# rounds (default 3).
#
# Then, unless FLEET=0, the PostgreSQL fleet-scale benchmark
# (store/postgres/internal/fleetbench) under a throwaway server: it
# bulk-loads the volumes of issue 16 with COPY and prints p50/p99 of every
# hot store operation at each level (FLEET_LEVELS, default 0.001,0.1,1:
# 1,000 devices, 100,000 and the full 1,000,000; the full load takes a
# while on a small machine), each level loaded once and measured FLEET_RUNS
# times (default 3), and the worst operation's p99 ratio, last level over
# first, as the median of the runs. The throwaway server gets
# shared_buffers=1GB, the sizing store/postgres/doc.go advises for a
# million devices (room for the indexes the hot operations look up by key,
# about 310 MB at full size; fleetbench prints their size), unless
# FLEET_PG_OPTS gives other options: FLEET_PG_OPTS= (empty) measures
# PostgreSQL's built-in 128 MB, less than half of those indexes.
#
# Usage: scripts/bench.sh [COUNT] [BENCHTIME]
#   COUNT      runs of each benchmark (default 5)
#   BENCHTIME  go test -benchtime (default 1s)
# Environment: GO (default go), OUT (a file to keep the raw output; default
# a temporary file, removed on exit), FLOOR, FLOOR_WORKERS, FLOOR_N,
# FLOOR_ROUNDS, FLEET, FLEET_LEVELS, FLEET_N (calls of
# each operation per round, default 2000), FLEET_ROUNDS (rounds per run,
# default 5), FLEET_RUNS (runs per level, default 3), FLEET_PG_OPTS (server
# options, default "-c shared_buffers=1GB"; empty for PostgreSQL's
# defaults).
set -euo pipefail

count="${1:-5}"
benchtime="${2:-1s}"
GO="${GO:-go}"
root="$(cd "$(dirname "$0")/.." && pwd)"

raw="${OUT:-}"
if [[ -z "$raw" ]]; then
	raw="$(mktemp)"
	trap 'rm -f "$raw"' EXIT
fi
: >"$raw"

bench() { # dir, packages...
	local dir="$1"
	shift
	echo "== go test -bench in ${dir#"$root"/}: $* (count $count, benchtime $benchtime)" >&2
	(cd "$dir" && "$GO" test -run '^$' -bench . -benchmem -count "$count" -benchtime "$benchtime" -timeout 60m "$@") | tee -a "$raw" >&2
}

bench "$root/benchmarks" .
bench "$root" ./servicepass ./qr

cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $("$GO" env GOOS)/$("$GO" env GOARCH), $("$GO" version | awk '{print $3}')"
echo "Medians of $count runs of $benchtime each; ± is half the range of the runs over the median;"
echo "the \"fastest runs\" ratio compares the minimums, which other load on a shared machine disturbs least."
echo
(cd "$root/benchmarks" && "$GO" run ./cmd/ratios) <"$raw"

if [[ "${FLOOR:-1}" != 0 ]]; then
	echo
	echo "== PostgreSQL operations beside their floors (callers ${FLOOR_WORKERS:-1,16,64})" >&2
	(cd "$root" && scripts/with-postgres.sh "$GO" run ./store/postgres/internal/floorbench \
		-workers "${FLOOR_WORKERS:-1,16,64}" -n "${FLOOR_N:-2000}" -rounds "${FLOOR_ROUNDS:-3}")
fi

if [[ "${FLEET:-1}" != 0 ]]; then
	echo
	echo "== PostgreSQL fleet scale (levels ${FLEET_LEVELS:-0.001,0.1,1})" >&2
	(cd "$root" && MDMCRED_POSTGRES_OPTS="${FLEET_PG_OPTS--c shared_buffers=1GB}" scripts/with-postgres.sh "$GO" run ./store/postgres/internal/fleetbench \
		-levels "${FLEET_LEVELS:-0.001,0.1,1}" -n "${FLEET_N:-2000}" -rounds "${FLEET_ROUNDS:-5}" -runs "${FLEET_RUNS:-3}")
fi
