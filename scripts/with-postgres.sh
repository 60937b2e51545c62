#!/usr/bin/env bash
# with-postgres.sh CMD...: runs CMD with a throwaway PostgreSQL server on
# loopback and, beside it, PgBouncer in transaction pooling mode; stops both
# and removes their data when CMD ends. It exports
#
#   MDMCRED_POSTGRES_DSN   the server, directly
#   MDMCRED_PGBOUNCER_DSN  the same server through PgBouncer (pool_mode =
#                          transaction; any database name is passed through)
#   MDMCRED_PG_CTL         the command that runs pg_ctl on this server (as the
#                          postgres user when run as root), for the restart
#                          test: $MDMCRED_PG_CTL restart -m fast
#
# Run as root, it installs the Debian postgresql and pgbouncer packages with
# apt-get when they are missing. If no server can be had (no initdb and no
# root to install one), CMD still runs and the PostgreSQL tests say why they
# did not run (or fail, under CI=true). Set MDMCRED_POSTGRES_DSN yourself to
# use an existing server (and MDMCRED_PGBOUNCER_DSN for a pooler in front).
# The server preloads pg_stat_statements (store/postgres's statement-count
# test reads it). MDMCRED_POSTGRES_OPTS adds server options to the throwaway server's
# command line (for example "-c shared_buffers=4GB"; scripts/bench.sh sets
# it for the fleet benchmark).
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
find_pgbouncer() {
  local p
  p=$(find_bin pgbouncer)
  [ -z "$p" ] && [ -x /usr/sbin/pgbouncer ] && p=/usr/sbin/pgbouncer
  echo "$p"
}
PGBOUNCER=$(find_pgbouncer)
if [ -z "$PGBOUNCER" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "with-postgres: installing pgbouncer" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; } >/dev/null 2>&1 || true
  PGBOUNCER=$(find_pgbouncer)
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
  if [ -s "$DIR/pgbouncer.pid" ]; then kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true; fi
  "${RUN[@]}" "$PG_CTL" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${RUN[@]}" "$INITDB" -D "$DIR/data" -U mdmcred --auth=trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
"${RUN[@]}" "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements ${MDMCRED_POSTGRES_OPTS:-}" start >/dev/null ||
  { cat "$DIR/server.log" >&2; exit 1; }

export MDMCRED_POSTGRES_DSN="postgres://mdmcred@127.0.0.1:$PORT/postgres?sslmode=disable"
echo "with-postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
# pg_ctl for the restart test; pg_ctl restart reuses the server options
# kept in data/postmaster.opts.
export MDMCRED_PG_CTL="${RUN[*]} $PG_CTL -D $DIR/data -l $DIR/server.log -w -t 60"

if [ -n "$PGBOUNCER" ]; then
  BPORT=$(( PORT + 20000 ))
  echo '"mdmcred" ""' >"$DIR/userlist.txt"
  cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
max_db_connections = 60
server_login_retry = 1
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/pgbouncer.ini" "$DIR/userlist.txt"
  if "${RUN[@]}" "$PGBOUNCER" -d "$DIR/pgbouncer.ini" >"$DIR/pgbouncer.out" 2>&1; then
    for _ in $(seq 50); do [ -s "$DIR/pgbouncer.pid" ] && break; sleep 0.1; done
    # pgx must not use named prepared statements through a transaction
    # pooler: default_query_exec_mode=exec (see the package documentation).
    export MDMCRED_PGBOUNCER_DSN="postgres://mdmcred@127.0.0.1:$BPORT/postgres?sslmode=disable&default_query_exec_mode=exec"
    echo "with-postgres: PgBouncer (transaction pooling) on 127.0.0.1:$BPORT" >&2
  else
    cat "$DIR/pgbouncer.out" >&2 || true
    echo "with-postgres: PgBouncer did not start; running without it" >&2
  fi
else
  echo "with-postgres: no pgbouncer binary; running without PgBouncer" >&2
fi
set +e
"$@"
status=$?
set -e
exit $status
