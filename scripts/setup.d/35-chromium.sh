# Headless Chromium for the browser package's test (scripts/test.d/bithive-web.sh runs the wasm
# tests in Node and in Chromium). Debian's chromium + chromium-driver; only missing packages.
apt_install chromium chromium-driver
