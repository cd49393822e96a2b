# Sourced by the wasmd test steps (scripts/test.d/wasmd.sh, wasmd-networks.sh) after
# scripts/lib/wasmd-tx.sh, from the repository root. Not run on its own. It builds (or reuses)
# the pinned wasmd (WASMD_BIN), builds bithive and takes a private copy of it (BITHIVE, and
# BITHIVE_EXE for the demo's roles), makes the step's temp dir $H, and stops every chain started
# under $H when the step ends; a failed step prints each node's last log lines and keeps $H.

WASMD_BIN="$(scripts/wasmd-build.sh)"
export WASMD_BIN
say "wasmd version --long:"
"$WASMD_BIN" version --long 2>&1 | grep -vE '^- |^build_deps:' | sed 's/^/    /' >&2

# shellcheck source=workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
H="$(mktemp -d "${TMPDIR:-/tmp}/bithive-wasmd.XXXXXX")"
# A private copy of the binary, for the step and the demo's roles (BITHIVE_EXE).
workspace_binary bithive "$H/bithive"
BITHIVE="$H/bithive"
export BITHIVE_EXE="$BITHIVE"
wasmd_step_cleanup() {
  local rc=$? home
  # Every chain of the step: $H itself or a folder of it (wasmd-net.sh stop on a stopped one is
  # a no-op).
  for home in "$H"/*/ "$H"; do
    if [ -f "${home%/}/wasmd-net.env" ]; then scripts/wasmd-net.sh stop "${home%/}" 2>/dev/null || true; fi
  done
  if [ "$rc" = 0 ]; then rm -rf "$H"; else
    # CI keeps nothing of $H: the nodes' last words go to the output (a full disk, a panic).
    for log in "$H"/wasmd.log "$H"/*/wasmd.log "$H"/*/wasmd[0-9]*.log; do
      [ -s "$log" ] || continue
      say "last lines of $log:"; tail -n 15 "$log" | sed 's/^/    /' >&2
    done
    say "disk: $(df -h --output=avail,pcent "$H" | tail -n 1) free/used where the nodes write"
    say "kept $H (node logs: $H/wasmd.log, $H/*/wasmd*.log)"
  fi
}
trap wasmd_step_cleanup EXIT
