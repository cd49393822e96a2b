#!/usr/bin/env bash
# Generates the JSON schema of every contract into schema/<contract>/ (one command for all).
#   scripts/schema.sh           regenerate
#   scripts/schema.sh --check   fail when the committed schema drifted from the code
# A contract takes part by having src/bin/schema.rs (cosmwasm-schema's write_api!), declared in its
# Cargo.toml as the bin `<package>-schema` (unique names: same-named bins collide in target/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-write}"
drift=0
# The schema tools come from the workspace's one build (lib/workspace-build.sh): a `cargo run -p`
# per contract resolved features per contract and compiled shared dependencies again (issue #49).
# shellcheck source=lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
workspace_build
bins="$(workspace_target)"
for d in "$ROOT"/contracts/*/; do
  [ -f "$d/src/bin/schema.rs" ] || continue
  pkg="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$d/Cargo.toml" | head -n1)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && "$bins/$pkg-schema" >/dev/null)
  dest="$ROOT/schema/$pkg"
  if [ "$mode" = "--check" ]; then
    if ! diff -r "$tmp/schema" "$dest" >/dev/null 2>&1; then
      echo "schema/$pkg drifted from the code of $pkg:" >&2
      diff -r "$dest" "$tmp/schema" 2>&1 | head -n 20 | sed 's/^/    /' >&2 || true
      drift=1
    fi
  else
    rm -rf "$dest" && mkdir -p "$(dirname "$dest")" && mv "$tmp/schema" "$dest"
    echo "wrote schema/$pkg"
  fi
  rm -rf "$tmp"
done
# The deployment's own format (packages/deploy-plan: `Deployment`, deployment.json), from which
# the web app's `Deployment` type is generated (web/codegen.mjs).
tmp="$(mktemp -d)"
(cd "$tmp" && "$bins/bithive-deploy-plan-schema" >/dev/null)
if [ "$mode" = "--check" ]; then
  if ! diff "$tmp/schema/deployment.json" "$ROOT/schema/deployment.json" >/dev/null 2>&1; then
    echo "schema/deployment.json drifted from bithive-deploy-plan's Deployment:" >&2
    diff "$ROOT/schema/deployment.json" "$tmp/schema/deployment.json" 2>&1 | head -n 20 | sed 's/^/    /' >&2 || true
    drift=1
  fi
else
  mv "$tmp/schema/deployment.json" "$ROOT/schema/deployment.json"
  echo "wrote schema/deployment.json"
fi
rm -rf "$tmp"
# DAO DAO's contracts (contracts/dao-dao wraps them unchanged): the schema each crate publishes,
# of the version contracts/dao-dao/Cargo.lock pins, for the web app's clients (web/codegen.mjs).
# Copied, not generated: the crates are built on cosmwasm-std 1.5, which stays out of the main
# workspace (ADR 009).
cargo fetch --quiet --locked --manifest-path "$ROOT/contracts/dao-dao/Cargo.toml"
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
for crate in dao-dao-core dao-proposal-single; do
  ver="$(awk -v n="$crate" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$ROOT/contracts/dao-dao/Cargo.lock")"
  src="$(ls -d "$registry"/*/"$crate-$ver"/schema/"$crate".json 2>/dev/null | head -n1)"
  [ -n "$ver" ] && [ -f "$src" ] || { echo "no published schema of $crate $ver under $registry" >&2; exit 1; }
  dest="$ROOT/schema/$crate/$crate.json"
  if [ "$mode" = "--check" ]; then
    if ! cmp -s "$src" "$dest"; then
      echo "schema/$crate differs from $crate $ver's published schema" >&2
      drift=1
    fi
  else
    rm -rf "$ROOT/schema/$crate" && mkdir -p "$ROOT/schema/$crate" && cp "$src" "$dest"
    echo "wrote schema/$crate ($crate $ver)"
  fi
done
if ((drift)); then
  echo "error: schema drift: run scripts/schema.sh and commit schema/" >&2
  exit 1
fi
