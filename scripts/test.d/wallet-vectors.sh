#!/usr/bin/env bash
# Keplr's own ADR-36 signing code (@keplr-wallet/cosmos and @keplr-wallet/crypto, pinned in
# testing/wallet-vectors/package-lock.json) signs what BitHive asks wallets to sign (PayFi
# vouchers v2 and v1, the data vault's key text, a text with escapes and non-ASCII); the result
# must be testing/wallet-vectors/keplr-adr36.json byte for byte, the file the Rust tests check
# their sign bytes, digests and signatures against (packages/payfi-voucher/tests/keplr_vectors.rs).
# npm packages live in a cache outside the clone, reinstalled only when the lockfile changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/testing/wallet-vectors"
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}/wallet-vectors"
mkdir -p "$CACHE"
stamp="$CACHE/node_modules/.bithive-lock.sha256"
want="$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$CACHE/"
  (cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
# ESM resolves imports next to the script: run it from the cache.
cp "$SRC/keplr-adr36.mjs" "$CACHE/keplr-adr36.mjs"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
node "$CACHE/keplr-adr36.mjs" >"$out"
if ! cmp -s "$out" "$SRC/keplr-adr36.json"; then
  echo "Keplr's signatures differ from testing/wallet-vectors/keplr-adr36.json (< committed, > Keplr's code now):" >&2
  diff "$SRC/keplr-adr36.json" "$out" >&2 || true
  exit 1
fi
echo "wallet-vectors: $(grep -c '"name"' "$out") ADR-36 signatures from Keplr's code ($(node -p "require('$CACHE/node_modules/@keplr-wallet/cosmos/package.json').version")) match keplr-adr36.json"
