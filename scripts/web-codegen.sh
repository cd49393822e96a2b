#!/usr/bin/env bash
# Typed contract clients of the web app (web/src/contracts/, committed) from the committed JSON
# schemas (schema/, scripts/schema.sh) with @cosmwasm/ts-codegen (web/codegen.mjs).
#   scripts/web-codegen.sh           regenerate
#   scripts/web-codegen.sh --check   fail when web/src/contracts/ drifted from schema/
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-write}"
"$ROOT/scripts/build-webapp.sh" --deps-only
cd "$ROOT/web"
if [ "$mode" = "--check" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  node codegen.mjs "$tmp/contracts" >/dev/null
  if ! diff -r src/contracts "$tmp/contracts" >/dev/null 2>&1; then
    echo "web/src/contracts drifted from schema/:" >&2
    diff -r src/contracts "$tmp/contracts" 2>&1 | head -n 20 | sed 's/^/    /' >&2 || true
    echo "error: run scripts/web-codegen.sh and commit web/src/contracts/" >&2
    exit 1
  fi
  echo "web/src/contracts matches schema/"
else
  rm -rf src/contracts
  node codegen.mjs
fi
