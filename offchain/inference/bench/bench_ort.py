#!/usr/bin/env python3
"""Reference for `inference-bench`: Python onnxruntime on the same ONNX file, same input, same
threads and batch size, timed the way a Python user would serve it (sess.run on a numpy array).
Prints one JSON object. Run by the Rust bench binary, interleaved with its own measurements."""

import argparse
import json
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rows", help="bc_test_vectors.json for tabular models")
    args = ap.parse_args()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    if args.rows:
        with open(args.rows) as f:
            rows = np.asarray(json.load(f)["inputs"], dtype=np.float32)
        x = np.resize(rows, (args.batch, rows.shape[1])).astype(np.float32)
    else:
        shape = [args.batch] + [int(d) for d in inp.shape[1:]]
        # Same pattern as the Rust bench: i * 0.618034 mod 1 over the flattened tensor.
        x = (np.arange(int(np.prod(shape)), dtype=np.float64) * 0.618034 % 1.0).astype(np.float32).reshape(shape)
    feed = {inp.name: x}

    warm_until = time.perf_counter() + min(0.2, args.seconds / 5)
    while time.perf_counter() < warm_until:
        sess.run(None, feed)
    lat = []
    start = time.perf_counter()
    end = start + args.seconds
    now = start
    while now < end:
        t0 = time.perf_counter()
        sess.run(None, feed)
        now = time.perf_counter()
        lat.append(now - t0)
    elapsed = now - start
    lat.sort()
    print(json.dumps({
        "runs": len(lat),
        "items_per_s": len(lat) * args.batch / elapsed,
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "onnxruntime": ort.__version__,
    }))


if __name__ == "__main__":
    main()
