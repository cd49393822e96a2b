#!/usr/bin/env bash
# The attestation contract's optimized artifact in cosmwasm-vm (submit + dispatch to the
# payfi-escrow artifact, BLS/secp quorums with the VM's host functions, message fuzzer). Behind
# the crate's `vm` feature because it links wasmer; needs artifacts/ (scripts/build-wasm.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cargo test --locked -p bithive-attestation --features vm --test vm
