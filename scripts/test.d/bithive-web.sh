#!/usr/bin/env bash
# Browser package: build the .wasm with the Debian toolchain and run its tests in Node.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$ROOT/scripts/build-web.sh" "$out"
node "$ROOT/packages/bithive-web/tests/node/run.cjs" "$out"
