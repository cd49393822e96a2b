# Browser package (offchain/browser): Node and wasm-bindgen-cli 0.2.130.
# profile: test
# wasm-bindgen-cli is pinned to the wasm-bindgen crate version in Cargo.lock (0.2.130); Node runs
# the wasm tests. Reuses the Debian wasm toolchain of 10-wasm.sh. Not --locked: the CLI's lockfile
# pins webpki-roots 1.0.11, absent from the registry index here; without TLS features (not needed:
# we never download a browser driver) that dependency is not built at all.
apt_install nodejs
if ! command -v wasm-bindgen >/dev/null 2>&1 || ! wasm-bindgen --version 2>/dev/null | grep -q "0.2.130" \
  || [ "$(tool_built_at wasm-bindgen)" != "$(tool_opt_level wasm-bindgen)" ]; then
  log "cargo install wasm-bindgen-cli@0.2.130 at opt-level $(tool_opt_level wasm-bindgen) (one-off, a minute or two; cargo's progress follows)"
  tool_cargo_install wasm-bindgen wasm-bindgen-cli \
    --version "=0.2.130" --no-default-features
else
  log "wasm-bindgen-cli 0.2.130 already installed"
fi
# The web app (web/, scripts/build-webapp.sh, test.d/web-app.sh): npm (some Node packages ship
# it, Debian's does not); its Playwright test drives Debian's Chromium (35-chromium.sh), never a
# downloaded browser.
command -v npm >/dev/null 2>&1 || apt_install npm
