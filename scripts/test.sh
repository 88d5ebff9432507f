#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a used one: installs what the tests need
# when it is missing (mold, PostgreSQL, SeaweedFS, Node.js with npm's oidc-provider and
# axe-core, Chromium and chromedriver), starts a throwaway PostgreSQL, an S3 server
# (SeaweedFS), an OpenID provider and chromedriver on loopback ports,
# runs formatting, lints and every test, and stops what it started. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Builds are the scarce resource: share one target folder across clones of this repository.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tre-target}"

ensure_build_tools
ensure_postgres
command -v curl >/dev/null 2>&1 || apt_install curl
ensure_seaweedfs
ensure_oidc_provider
ensure_chromium
export TRE_TEST_AXE
TRE_TEST_AXE=$(ensure_axe)

DATA_DIR=$(mktemp -d)
chmod 755 "$DATA_DIR"
cleanup() {
  stop_chromedriver "$DATA_DIR/chromedriver"
  stop_oidc_provider "$DATA_DIR/oidc"
  stop_seaweedfs "$DATA_DIR"
  stop_postgres "$DATA_DIR"
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

start=$(date +%s)
PG_PORT=$(start_postgres "$DATA_DIR")
export TRE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${PG_PORT}/postgres"
echo "==> PostgreSQL on 127.0.0.1:${PG_PORT}" >&2
S3_PORT=$(start_seaweedfs "$DATA_DIR")
export TRE_TEST_S3_ENDPOINT="http://127.0.0.1:${S3_PORT}"
export TRE_TEST_S3_BUCKET=tre-test
export TRE_TEST_S3_ACCESS_KEY_ID=tre-test-key
export TRE_TEST_S3_SECRET_ACCESS_KEY=tre-test-secret
echo "==> S3 (SeaweedFS) on 127.0.0.1:${S3_PORT}" >&2
TRE_TEST_OIDC_ISSUER=$(start_oidc_provider "$DATA_DIR/oidc")
export TRE_TEST_OIDC_ISSUER
echo "==> OpenID provider at ${TRE_TEST_OIDC_ISSUER}" >&2
WEBDRIVER_PORT=$(start_chromedriver "$DATA_DIR/chromedriver")
export TRE_TEST_WEBDRIVER="http://127.0.0.1:${WEBDRIVER_PORT}"
echo "==> chromedriver on 127.0.0.1:${WEBDRIVER_PORT}" >&2

# Everything the tests write to the temporary folder goes under DATA_DIR and is removed with it.
mkdir -p "$DATA_DIR/tmp"
export TMPDIR="$DATA_DIR/tmp"

echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> cargo clippy" >&2
cargo clippy --workspace --all-targets -- -D warnings
echo "==> cargo test" >&2
cargo test --workspace
echo "==> all checks passed in $(( $(date +%s) - start )) s" >&2
