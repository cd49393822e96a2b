#!/usr/bin/env bash
# Inference engine benchmark: Rust engine vs Python onnxruntime on the same ONNX files, threads,
# batch sizes and inputs, in one run (the Rust binary runs the Python reference interleaved with
# its own measurements and prints the ratios), then the job path under load.
# Usage: scripts/bench-inference.sh [--seconds S] [--threads T]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$BITHIVE_ROOT"
cargo build --release --locked --quiet -p bithive-inference --bin inference-bench
"$CARGO_TARGET_DIR/release/inference-bench" --python "$BITHIVE_INFERENCE_PYTHON" "$@"
