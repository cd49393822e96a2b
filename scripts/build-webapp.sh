#!/usr/bin/env bash
# Builds the web app into web/dist (served by `bithive web`): npm ci when web/package-lock.json
# changed since the last install (a stamp in node_modules), the typed contract clients
# (web/src/contracts, from schema/ with @cosmwasm/ts-codegen) when the schemas or the generator
# changed (a stamp there), the browser package (offchain/browser,
# wasm) into web/src/pkg when its sources changed since the last build (a stamp there), then
# type-check and bundle (vite). The researcher screen loads the package lazily (its own chunk and
# the .wasm beside it), so the first screen's bundle does not carry it.
# Idempotent: a second run reuses node_modules and web/src/pkg and rebuilds dist/.
#   scripts/build-webapp.sh              install, clients, browser package (each if needed), build
#   scripts/build-webapp.sh --deps-only  install (if needed) only
#   scripts/build-webapp.sh --clients    install and clients (if needed) only
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/web"
# Tests drive Debian's Chromium (/usr/bin/chromium): never download a browser build.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp=node_modules/.bithive-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
[ "${1:-}" = "--deps-only" ] && exit 0

# The typed contract clients (git-ignored: generated, like the browser package). The type-check
# of `npm run build` holds the app and its tests to them, so a schema change that breaks a call
# fails the build.
clients=src/contracts
clients_stamp="$clients/.bithive-schema.sha256"
clients_want="$(cd "$ROOT" && {
  find schema -type f -name '*.json' -print0 | sort -z | xargs -0 sha256sum
  sha256sum web/codegen.mjs web/package-lock.json
} | sha256sum | cut -d' ' -f1)"
if [ ! -f "$clients_stamp" ] || [ "$(cat "$clients_stamp")" != "$clients_want" ]; then
  rm -rf "$clients.new"
  node codegen.mjs "$clients.new"
  echo "$clients_want" >"$clients.new/.bithive-schema.sha256"
  rm -rf "$clients"
  mv "$clients.new" "$clients"
fi
[ "${1:-}" = "--clients" ] && exit 0

# The browser package (git-ignored in web/.gitignore): rebuilt when the sources of bithive-browser
# and of the workspace crates it is built from, Cargo.lock or the build script changed.
pkg="$ROOT/web/src/pkg"
pkg_stamp="$pkg/.bithive-sources.sha256"
pkg_want="$(cd "$ROOT" && {
  find offchain/browser offchain/matching offchain/bitchat-seal offchain/content-store packages/dgkbe packages/secret-file \
    packages/deploy-plan packages/interface packages/formulas packages/signed-attestation packages/cw-common \
    packages/content-id packages/inference-result \
    -type f \( -name '*.rs' -o -name 'Cargo.toml' \) -not -path '*/target/*' -print0 | sort -z | xargs -0 sha256sum
  sha256sum Cargo.lock scripts/build-web.sh
} | sha256sum | cut -d' ' -f1)"
if [ ! -f "$pkg_stamp" ] || [ "$(cat "$pkg_stamp")" != "$pkg_want" ] || [ ! -f "$pkg/bithive_browser_bg.wasm" ]; then
  for tool in /usr/bin/rustc /usr/bin/cargo wasm-ld wasm-opt wasm-bindgen; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "the web app's browser package needs $tool (Debian's rustc-web toolchain and the wasm tools): run scripts/setup.sh" >&2
      exit 1
    }
  done
  # Built beside, then swapped in: a failed build leaves the last package (and no stamp match).
  rm -rf "$pkg.new"
  "$ROOT/scripts/build-web.sh" "$pkg.new" --target web
  echo "$pkg_want" >"$pkg.new/.bithive-sources.sha256"
  rm -rf "$pkg"
  mv "$pkg.new" "$pkg"
fi

npm run --silent build
echo "web app built: $ROOT/web/dist"
