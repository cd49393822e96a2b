# wasmd test step (scripts/test.d/wasmd.sh): Go >= 1.24, gcc for wasmvm's cgo, jq and curl.
# profile: test
# Go comes with the machine (/usr/local/go); Debian's golang-go is too old for wasmd v0.61.
apt_install gcc libc6-dev jq curl
if ! PATH="/usr/local/go/bin:$PATH" go version 2>/dev/null | grep -qE 'go1\.(2[4-9]|[3-9][0-9])'; then
  log "wasmd needs Go >= 1.24 at /usr/local/go/bin or on PATH (found: $(PATH="/usr/local/go/bin:$PATH" go version 2>&1 || true))"
  return 1
fi
log "$(PATH="/usr/local/go/bin:$PATH" go version); wasmd is built (once, cached) by scripts/wasmd-build.sh"
