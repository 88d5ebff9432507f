#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a used one: installs what the tests need
# when it is missing (mold, PostgreSQL), starts a throwaway PostgreSQL on a loopback port,
# runs formatting, lints and every test, and stops what it started. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Builds are the scarce resource: share one target folder across clones of this repository.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tre-target}"

ensure_build_tools
ensure_postgres

DATA_DIR=$(mktemp -d)
chmod 755 "$DATA_DIR"
cleanup() {
  stop_postgres "$DATA_DIR"
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

start=$(date +%s)
PG_PORT=$(start_postgres "$DATA_DIR")
export TRE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${PG_PORT}/postgres"
echo "==> PostgreSQL on 127.0.0.1:${PG_PORT}" >&2

echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> cargo clippy" >&2
cargo clippy --workspace --all-targets -- -D warnings
echo "==> cargo test" >&2
cargo test --workspace
echo "==> all checks passed in $(( $(date +%s) - start )) s" >&2
