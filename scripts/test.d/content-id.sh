#!/usr/bin/env bash
# Content ids (packages/content-id) against a real IPFS implementation: Helia's @helia/unixfs
# (pinned in testing/helia/package-lock.json, run offline over a memory blockstore) and the Rust
# crate compute CIDs of the same deterministic files (0 B to 43.5 MiB + 1, three import
# profiles, up to two DAG levels at 256 KiB x 174 and five at 1000 B x 3); the lists must match.
# npm packages live in a cache outside the clone, reinstalled only when the lockfile changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}/helia"
mkdir -p "$CACHE"
stamp="$CACHE/node_modules/.bithive-lock.sha256"
want="$(sha256sum "$ROOT/testing/helia/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  cp "$ROOT/testing/helia/package.json" "$ROOT/testing/helia/package-lock.json" "$CACHE/"
  (cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
# ESM resolves imports next to the script: run it from the cache.
cp "$ROOT/testing/helia/cids.mjs" "$CACHE/cids.mjs"
helia="$(node "$CACHE/cids.mjs")"
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
workspace_build
rust="$("$(workspace_target)/examples/cid_vectors")"
if [ "$helia" != "$rust" ]; then
  echo "content ids differ from Helia's (< Helia, > bithive-content-id):" >&2
  diff <(echo "$helia") <(echo "$rust") >&2 || true
  exit 1
fi
echo "$helia"
echo "content-id: $(echo "$helia" | wc -l) CIDs identical to Helia @helia/unixfs $(node -p "require('$CACHE/node_modules/@helia/unixfs/package.json').version")"
