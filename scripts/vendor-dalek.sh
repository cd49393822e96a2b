#!/usr/bin/env bash
# vendor/curve25519-dalek is curve25519-dalek 5.0.0 exactly as published on crates.io (checksum
# pinned below, the one Cargo.lock recorded) with vendor/curve25519-dalek.patch applied, and
# nothing else. This script rebuilds it from those two inputs:
#   bash scripts/vendor-dalek.sh          # (re)write vendor/curve25519-dalek
#   bash scripts/vendor-dalek.sh --check  # fail if the committed tree differs (run by scripts/test.sh)
# Upgrading dalek: change VERSION and SHA256, run without --check, fix the patch if it no longer
# applies, and rerun the matching tests (see vendor/README.md).
set -euo pipefail
NAME=curve25519-dalek
VERSION=5.0.0
SHA256=b5eed333089e2e1c1ac8c6c0398e5e2497b4c9926ca6d0365ed1e099afa5bc23

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/vendor/$NAME"
patch_file="$root/vendor/$NAME.patch"
mode="${1:-write}"
case "$mode" in write | --check) ;; *) echo "usage: $0 [--check]" >&2; exit 2 ;; esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
crate="$work/$NAME-$VERSION.crate"
cached="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$NAME-$VERSION.crate" 2>/dev/null | head -1 || true)"
if [[ -n "$cached" ]]; then
  cp "$cached" "$crate"
else
  curl -fsSL --retry 3 -o "$crate" "https://static.crates.io/crates/$NAME/$NAME-$VERSION.crate"
fi
echo "$SHA256  $crate" | sha256sum --check --quiet - || {
  echo "vendor-dalek: $NAME-$VERSION.crate does not match the pinned checksum" >&2
  exit 1
}
tar -xzf "$crate" -C "$work"
patch --quiet --forward --no-backup-if-mismatch -p1 -d "$work/$NAME-$VERSION" < "$patch_file"

if [[ "$mode" == --check ]]; then
  if ! diff -r "$work/$NAME-$VERSION" "$dest" > "$work/diff"; then
    head -40 "$work/diff" >&2
    echo "vendor-dalek: vendor/$NAME is not $NAME $VERSION + vendor/$NAME.patch;" \
      "run: bash scripts/vendor-dalek.sh" >&2
    exit 1
  fi
  echo "vendor/$NAME = $NAME $VERSION (sha256 ${SHA256:0:12}...) + vendor/$NAME.patch"
else
  rm -rf "$dest"
  cp -r "$work/$NAME-$VERSION" "$dest"
  echo "wrote vendor/$NAME ($NAME $VERSION + vendor/$NAME.patch)"
fi
