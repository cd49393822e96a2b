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
for d in "$ROOT"/contracts/*/; do
  [ -f "$d/src/bin/schema.rs" ] || continue
  pkg="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$d/Cargo.toml" | head -n1)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && cargo run --quiet --locked --manifest-path "$ROOT/Cargo.toml" -p "$pkg" --bin "$pkg-schema" >/dev/null)
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
if ((drift)); then
  echo "error: schema drift: run scripts/schema.sh and commit schema/" >&2
  exit 1
fi
