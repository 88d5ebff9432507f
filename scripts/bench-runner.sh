#!/usr/bin/env bash
# The runner's benchmark: evidence overhead, DuckDB on the same Parquet, spilling under a
# small pool. Installs DuckDB (PyPI) into the tools' virtual environment when missing.
#   scripts/bench-runner.sh [--persons N] [--runs R]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tre-target}"
ensure_build_tools
ensure_seaweedfs   # creates the tools' virtual environment
"$TOOLS_VENV/bin/python" -c "import duckdb" 2>/dev/null || "$TOOLS_VENV/bin/pip" install -q duckdb >&2
cargo build --release -p workspace-runner --bin tre-runner -p tre-server --bin tre-bench >&2
TRE_BENCH_PYTHON="$TOOLS_VENV/bin/python" "$CARGO_TARGET_DIR/release/tre-bench" runner "$@"
