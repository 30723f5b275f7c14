# Sourced by scripts that need PostgreSQL: exports TEST_DATABASE_URL, using the one given, else
# the local server, else a private throwaway cluster (Debian's PostgreSQL) that is stopped on exit.
pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if pg_isready -q -d "$pg_url" 2>/dev/null; then
  export TEST_DATABASE_URL="$pg_url"
else
  echo "starting a private PostgreSQL cluster"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_dir="$CARGO_TARGET_DIR/pg-test"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$pg_dir" && mkdir -p "$pg_dir"
  run_pg() { if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$pg_dir"; runuser -u postgres -- "$@"; else "$@"; fi; }
  run_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" \
    -l "$pg_dir/log" -w start >/dev/null
  trap 'run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
fi
# Databases left by earlier runs (each test and benchmark makes its own).
if command -v psql >/dev/null; then
  psql -q -d "$TEST_DATABASE_URL" -Atc "select datname from pg_database where datname like 'crm_test_%'" 2>/dev/null |
    while read -r db; do psql -q -d "$TEST_DATABASE_URL" -c "drop database if exists $db" >/dev/null 2>&1 || true; done
fi
