# Shared helpers of the project's scripts: install what is missing from Debian's packages,
# start and stop the services the tests need. Sourced, never run.

APT_UPDATED=${APT_UPDATED:-}

apt_install() {
  # Installs Debian packages, running `apt-get update` once per script.
  if [ -z "$APT_UPDATED" ]; then
    echo "==> apt-get update" >&2
    apt-get update -qq >&2
    APT_UPDATED=1
  fi
  echo "==> apt-get install $*" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

ensure_build_tools() {
  # mold is the linker named in .cargo/config.toml.
  command -v mold >/dev/null 2>&1 || apt_install mold
  command -v cc >/dev/null 2>&1 || apt_install gcc
}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

ensure_postgres() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    apt_install postgresql
  fi
}

free_port() {
  # A port nothing listens on now, starting from $1.
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

start_postgres() {
  # Starts a throwaway PostgreSQL cluster in $1 on a loopback port; prints the port.
  local dir=$1 bin port
  bin=$(pg_bin)
  port=$(free_port 55432)
  mkdir -p "$dir/pg"
  chown -R postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/pg" -U postgres --auth=trust -N \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >&2
  echo "$port"
}

stop_postgres() {
  local dir=$1
  [ -f "$dir/pg/postmaster.pid" ] || return 0
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
}
