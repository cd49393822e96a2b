# Headless Chromium (chromium, chromium-driver) for the browser package's test.
# profile: test
# scripts/test.d/browser-package.sh runs the wasm tests in Node and in Chromium; only missing packages.
apt_install chromium chromium-driver
