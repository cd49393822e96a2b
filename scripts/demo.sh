#!/usr/bin/env bash
# The main job. For now: build and check every contract artifact, then print sizes and checksums.
# (The relayer/devnet issue turns this into the end-to-end demo on the embedded local chain.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$BITHIVE_ROOT"
scripts/build-wasm.sh --out "$BITHIVE_CACHE/demo-artifacts"
echo
echo "committed artifacts/checksums.txt:"
cat artifacts/checksums.txt
