#!/usr/bin/env bash
# Start a local PostgreSQL for the SQL-connector tests and print its URL on stdout (everything else goes
# to stderr), so CI can do:  export ASSISTANT_TEST_POSTGRES_URL="$(.ci/postgres.sh)"
# Idempotent: installs PostgreSQL only when missing, creates a cluster only when none exists, starts it
# only when down, and (re)sets the test role's password so a re-run always leaves a working login.
set -euo pipefail

ROLE=assistant
PASSWORD=assistant
DATABASE=assistant_test

log() { echo "postgres.sh: $*" >&2; }

# Root runs everything directly (CI containers); a developer account goes through sudo.
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  log "expected to run as root or with sudo available, found neither; rerun as root"
  exit 1
fi

installed_version() {
  # The highest major version with a server binary; empty when none is installed.
  local dir
  # Version directories are plain numbers ("15", "16"), so word-splitting the listing is safe.
  for dir in $(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V -r); do
    if [ -x "/usr/lib/postgresql/$dir/bin/postgres" ]; then
      echo "$dir"
      return
    fi
  done
}

VERSION="$(installed_version)"
if [ -z "$VERSION" ]; then
  log "PostgreSQL not installed; installing it with apt"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq postgresql >/dev/null
  VERSION="$(installed_version)"
  if [ -z "$VERSION" ]; then
    log "expected a server under /usr/lib/postgresql/*/bin after installing, found none; check apt output"
    exit 1
  fi
fi

cluster_field() {
  # pg_lsclusters columns: version cluster port status owner datadir logfile.
  pg_lsclusters --no-header 2>/dev/null | awk -v v="$VERSION" '$1 == v { print $'"$1"'; exit }'
}

CLUSTER="$(cluster_field 2)"
if [ -z "$CLUSTER" ]; then
  # A container image may skip the Debian post-install cluster; C.UTF-8 always exists on Debian, and
  # without an explicit locale an unset LANG would give an SQL_ASCII cluster.
  log "no PostgreSQL $VERSION cluster; creating 'main'"
  "${SUDO[@]}" pg_createcluster "$VERSION" main --locale C.UTF-8 >&2
  CLUSTER=main
fi
PORT="$(cluster_field 3)"

if [ "$(cluster_field 4)" != "online" ]; then
  log "starting cluster $VERSION/$CLUSTER on port $PORT"
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    break
  fi
  sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  log "expected the server to accept connections on 127.0.0.1:$PORT within 30 s, it does not;" \
      "see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
  exit 1
fi

# Run as the postgres superuser over the Unix socket (peer auth); cd / so psql does not warn about a
# working directory the postgres account cannot read.
as_postgres() { (cd / && "${SUDO[@]}" runuser -u postgres -- "$@"); }
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
else
  psql_admin -c "ALTER ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD'"
fi

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
  log "creating database $DATABASE"
  # UTF8 from template0 whatever the cluster default is: the tests store non-ASCII text.
  as_postgres createdb -p "$PORT" -O "$ROLE" -E UTF8 -T template0 --locale C.UTF-8 "$DATABASE"
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
