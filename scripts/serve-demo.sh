#!/usr/bin/env bash
# Runs the platform on the embedded defaults (SQLite and a local folder, ./tre-data), seeded
# with demo people and a demo project on first start; prints how to sign in. Extra arguments
# go to `tre serve` (for example --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tre-target}"
ensure_build_tools
cargo build -p tre-server --bin tre
exec "$CARGO_TARGET_DIR/debug/tre" serve --demo "$@"
