#!/usr/bin/env bash
# Browser package: build the .wasm with the Debian toolchain and run its tests in Node
# (--target nodejs) and in headless Chromium (--target web, page served on localhost).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT
"$ROOT/scripts/build-web.sh" "$out/node"
node "$ROOT/offchain/browser/tests/node/run.cjs" "$out/node"

chrome="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$chrome" ] || { echo "chromium not found: run scripts/setup.sh (setup.d/35-chromium.sh)" >&2; exit 1; }
site="$out/site"
mkdir -p "$site"
"$ROOT/scripts/build-web.sh" "$site/pkg" --target web
cp "$ROOT"/offchain/browser/tests/browser/{index.html,test.mjs} "$site/"
cp -r "$ROOT/packages/dgkbe/tests/vectors" "$site/vectors"
cp -r "$ROOT/offchain/browser/tests/node" "$site/node"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/index.html')" 2>/dev/null && break
  sleep 0.1
done
profile="$out/profile"
dom="$(timeout 300 "$chrome" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --user-data-dir="$profile" --virtual-time-budget=120000 --dump-dom \
  "http://127.0.0.1:$port/index.html" 2>/dev/null)"
result="$(printf '%s' "$dom" | tr '\n' ' ' | sed -n 's/.*<pre id="result">\(.*\)<\/pre>.*/\1/p')"
echo "# chromium: $result"
case "$result" in
  PASS*) ;;
  *) echo "headless Chromium test failed: ${result:-no result in the DOM}" >&2; exit 1 ;;
esac
