#!/usr/bin/env bash
# BitChat as people use it (issue #46): `bithive chat` in tmux sessions, typed into and read
# from the screen. A relay and two people (their identities are their chain keys): Alice adds
# Bob, Bob accepts, they talk, Alice sends a file and Bob saves it; Bob quits, Alice writes while he is away (left at the relay),
# Bob comes back and reads it; then every file either of them or the relay wrote is checked:
# no message in clear, modes 0600. The story runs twice: over BitChat nodes at known addresses
# (Alice adds Bob by his card, the relay named by its card), and over libp2p (Alice knows only
# Bob's chain address, bithive1..., and finds him through the DHT of a public node, which is also
# the relay; by BitChat id the same lookup is tested by bitchat-nat.sh and the crate's tests).
# With $BITHIVE_CHAT_SCREENS set, the final screens are kept there (the README quotes them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
command -v tmux >/dev/null || { echo "chat-tmux: tmux is missing (scripts/setup.sh installs it)" >&2; exit 1; }
cargo build --quiet --locked -p bithive-cli --bin bithive
H="$(mktemp -d "${TMPDIR:-/tmp}/bithive-chat.XXXXXX")"
# A private copy: the test command relinks target/debug/bithive beside this step.
cp "${CARGO_TARGET_DIR:-$ROOT/target}/debug/bithive" "$H/bithive"
B="$H/bithive"
SOCK="$H/tmux.sock"
t() { tmux -S "$SOCK" "$@"; }
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    for s in relay alice bob; do
      echo "--- screen of $s:" >&2
      t capture-pane -p -J -t "$s" 2>/dev/null | grep -v '^$' >&2 || true
    done
  fi
  t kill-server 2>/dev/null || true
  rm -rf "$H"
  exit "$rc"
}
trap cleanup EXIT
cd "$H"
# Three BIP-39 test mnemonics (public test vectors; nothing of value).
echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about" | "$B" keys add alice --keyring alice.json >/dev/null
echo "legal winner thank year wave sausage worth useful legal winner thank yellow" | "$B" keys add bob --keyring bob.json >/dev/null
echo "letter advice cage absurd amount doctor acoustic avoid letter advice cage above" | "$B" keys add relay --keyring relay.json >/dev/null

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
screen() { t capture-pane -p -J -t "$1" | grep -v '^$' || true; }
# wait_for SESSION TEXT [SECONDS]: until TEXT is on SESSION's screen.
wait_for() {
  local s="$1" text="$2" limit="${3:-30}" i
  for ((i = 0; i < limit * 5; i++)); do
    if screen "$s" | grep -qF -- "$text"; then return 0; fi
    sleep 0.2
  done
  echo "chat-tmux: '$text' did not appear on $s's screen within ${limit}s" >&2
  return 1
}
type_in() { t send-keys -t "$1" -l -- "$2"; t send-keys -t "$1" Enter; }
card_of() { screen "$1" | grep -o 'bitchat1[0-9a-f]*' | head -n1; }

# story MODE: MODE is "cards" (BitChat nodes at known addresses) or "p2p" (libp2p).
story() {
MODE="$1"
RP="$(port)"; AP="$(port)"; BP="$(port)"
cd "$H"; rm -rf "$MODE"; mkdir "$MODE"; cd "$MODE"
if [ "$MODE" = p2p ]; then
  RUST_LOG=warn t new-session -d -s relay -x 200 -y 50 \
    "$B chat relay --p2p --allow-loopback --keyring ../relay.json --key relay --home relay-home --listen 127.0.0.1:$RP"
  wait_for relay "bootstrap: /ip4"
  WAY="--bootstrap $(screen relay | sed -n 's/^bootstrap: //p' | head -n1) --allow-loopback"
else
  RUST_LOG=warn t new-session -d -s relay -x 200 -y 50 \
    "$B chat relay --keyring ../relay.json --key relay --home relay-home --listen 127.0.0.1:$RP"
  wait_for relay "card: bitchat1"
  WAY="--relay $(card_of relay)"
fi
t set-option -t relay remain-on-exit on >/dev/null
start() { # start NAME PORT
  t new-session -d -s "$1" -x 200 -y 50 \
    "$B chat run --keyring ../$1.json --key $1 --home $1-home --listen 127.0.0.1:$2 $WAY"
  t set-option -t "$1" remain-on-exit on >/dev/null
  wait_for "$1" "type /help for commands"
  if [ "$MODE" = p2p ]; then wait_for "$1" "people can now find you by your BitChat id"; fi
}
start alice "$AP"
start bob "$BP"
BOB="$(screen bob | sed -n 's/^BitChat: you are \([a-z0-9]*\),.*/\1/p')"
ALICE="$(screen alice | sed -n 's/^BitChat: you are \([a-z0-9]*\),.*/\1/p')"
if [ "$MODE" = p2p ]; then
  # Alice knows only Bob's chain address.
  BWHO="$BOB"
else
  BWHO="$(card_of bob)"
fi

type_in alice "/contact $BWHO"
wait_for alice "asked $BOB to talk"
wait_for bob "$ALICE asks to talk"
type_in bob "/accept 1"
wait_for bob "now talk in #"
wait_for alice "you joined #"
type_in bob "Hello Alice, Bob here."
wait_for alice "$BOB: Hello Alice, Bob here."
type_in alice "Hi Bob! Lab results are in."
wait_for bob "$ALICE: Hi Bob! Lab results are in."
# Bob has the conversation open: Alice learns he read it.
wait_for alice "$BOB read: Hi Bob! Lab results are in."
type_in alice "/list"
wait_for alice "with $BOB"
# A file: Alice sends her lab report; Bob saves it (fetched as encrypted chunks, opened).
printf 'Lab report\nHbA1c 6.1 %%, fasting glucose 5.4 mmol/L\n' > "$PWD/lab-report.txt"
type_in alice "/file $PWD/lab-report.txt"
wait_for alice "you: file lab-report.txt"
wait_for bob "$ALICE: file lab-report.txt (51 bytes): /save 1"
type_in bob "/save 1 $PWD/bob-downloads"
wait_for bob "saved file lab-report.txt"
cmp lab-report.txt bob-downloads/lab-report.txt
[ "$(stat -c %a bob-downloads/lab-report.txt)" = 600 ]

# Bob leaves; Alice writes; the message waits at the relay; Bob returns and reads it.
type_in bob "/quit"
wait_for bob "bye"
t kill-session -t bob
CONV="$(screen alice | grep -o '#[0-9a-f]\{6\}' | head -n1)"
type_in alice "While you were away: the appointment moved to Friday."
wait_for alice "you: While you were away" 60
if [ "$MODE" = p2p ]; then wait_for alice "moved to Friday. (waiting at a relay for 1)"; fi
start bob "$BP"
wait_for bob "$ALICE: While you were away: the appointment moved to Friday." 60
type_in bob "/open $CONV"
type_in bob "/history"
wait_for bob "$BOB: Hello Alice, Bob here."

if [ -n "${BITHIVE_CHAT_SCREENS:-}" ]; then
  mkdir -p "$BITHIVE_CHAT_SCREENS"
  suffix=""; [ "$MODE" = p2p ] && suffix="-p2p"
  screen alice >"$BITHIVE_CHAT_SCREENS/alice$suffix.txt"
  screen bob >"$BITHIVE_CHAT_SCREENS/bob$suffix.txt"
fi
type_in alice "/quit"; type_in bob "/quit"
wait_for alice "bye"; wait_for bob "bye"
t send-keys -t relay C-c
wait_for relay "stopping"
sleep 1
for s in relay alice bob; do t kill-session -t "$s" 2>/dev/null || true; done

# Nothing any of them wrote holds a message in clear; every file is 0600.
bad=0
while IFS= read -r -d '' f; do
  mode="$(stat -c %a "$f")"
  if [ "$mode" != 600 ]; then echo "chat-tmux: $f has mode $mode, not 600" >&2; bad=1; fi
  for needle in "Lab results" "appointment moved" "Bob here" "HbA1c 6.1"; do
    hexed="$(printf '%s' "$needle" | od -An -tx1 | tr -d ' \n')"
    if grep -qF -- "$needle" "$f" || grep -qF -- "$hexed" "$f"; then
      echo "chat-tmux: $f holds \"$needle\" in clear" >&2; bad=1
    fi
  done
done < <(find alice-home bob-home relay-home -type f -print0)
[ "$bad" = 0 ]
n="$(find alice-home bob-home relay-home -type f | wc -l)"
echo "chat-tmux ($MODE): Alice and Bob talked through bithive chat in tmux, a message waited at the relay while Bob was away; $n files scanned: sealed, 0600"
}

story cards
story p2p
