#!/usr/bin/env bash
# with-postgres.sh CMD...: runs CMD with a throwaway PostgreSQL server on
# loopback and MDMCRED_POSTGRES_DSN pointing at it; stops the server and
# removes its data when CMD ends. If no server can be had (no initdb and no
# root to install one), CMD still runs and the PostgreSQL tests say why they
# did not run. Set MDMCRED_POSTGRES_DSN yourself to use an existing server.
set -euo pipefail

if [ -n "${MDMCRED_POSTGRES_DSN:-}" ]; then
  exec "$@"
fi

find_bin() {
  local name=$1 p
  p=$(command -v "$name" 2>/dev/null || true)
  if [ -z "$p" ]; then
    p=$(ls -1d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -1 || true)
  fi
  echo "$p"
}

INITDB=$(find_bin initdb)
if [ -z "$INITDB" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "with-postgres: installing postgresql" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  INITDB=$(find_bin initdb)
fi
PG_CTL=$(find_bin pg_ctl)
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
  echo "with-postgres: no PostgreSQL server binaries (initdb); running without PostgreSQL" >&2
  exec "$@"
fi

DIR=$(mktemp -d /tmp/mdmcred-pg.XXXXXX)
RUN=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: run the server as the postgres user (made
  # by the Debian package) or a throwaway one.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$DIR"
  RUN=(runuser -u postgres --)
fi
PORT=${MDMCRED_POSTGRES_PORT:-$(( 20000 + RANDOM % 20000 ))}

cleanup() {
  "${RUN[@]}" "$PG_CTL" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${RUN[@]}" "$INITDB" -D "$DIR/data" -U mdmcred --auth=trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
"${RUN[@]}" "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$DIR/server.log" >&2; exit 1; }

export MDMCRED_POSTGRES_DSN="postgres://mdmcred@127.0.0.1:$PORT/postgres?sslmode=disable"
echo "with-postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
