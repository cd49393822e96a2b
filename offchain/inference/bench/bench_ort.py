#!/usr/bin/env python3
"""Reference for `inference-bench`: Python onnxruntime on the same ONNX file, same input, same
threads and batch size, timed the way a Python user would serve it (sess.run on a numpy array).

One measurement: bench_ort.py --model M.onnx --batch B [--threads T] [--seconds S] [--rows JSON]
prints one JSON object. With --serve it reads such requests as JSON lines on stdin and answers
each with a JSON line, keeping sessions open: the Rust bench alternates rounds with it."""

import argparse
import json
import sys
import time

import numpy as np
import onnxruntime as ort

_sessions = {}
_inputs = {}


def session(model, threads):
    key = (model, threads)
    if key not in _sessions:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        _sessions[key] = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    return _sessions[key]


def batch_input(sess, model, batch, rows):
    key = (model, batch)
    if key not in _inputs:
        inp = sess.get_inputs()[0]
        if rows:
            with open(rows) as f:
                data = np.asarray(json.load(f)["inputs"], dtype=np.float32)
            x = np.resize(data, (batch, data.shape[1])).astype(np.float32)
        else:
            shape = [batch] + [int(d) for d in inp.shape[1:]]
            # Same pattern as the Rust bench: i * 0.618034 mod 1 over the flattened tensor.
            n = int(np.prod(shape))
            x = (np.arange(n, dtype=np.float64) * 0.618034 % 1.0).astype(np.float32).reshape(shape)
        _inputs[key] = {inp.name: np.ascontiguousarray(x)}
    return _inputs[key]


def measure(model, batch, threads=1, seconds=1.0, rows=None, warmup=0.1):
    sess = session(model, threads)
    feed = batch_input(sess, model, batch, rows)
    warm_until = time.perf_counter() + warmup
    while time.perf_counter() < warm_until:
        sess.run(None, feed)
    lat = []
    start = time.perf_counter()
    end = start + seconds
    now = start
    while now < end:
        t0 = time.perf_counter()
        sess.run(None, feed)
        now = time.perf_counter()
        lat.append(now - t0)
    elapsed = now - start
    lat.sort()
    return {
        "runs": len(lat),
        "items_per_s": len(lat) * batch / elapsed,
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "onnxruntime": ort.__version__,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--model")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rows", help="bc_test_vectors.json for tabular models")
    args = ap.parse_args()
    if not args.serve:
        print(json.dumps(measure(args.model, args.batch, args.threads, args.seconds, args.rows)))
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        print(json.dumps(measure(req["model"], req["batch"], req.get("threads", 1),
                                 req.get("seconds", 1.0), req.get("rows"), req.get("warmup", 0.1))),
              flush=True)


if __name__ == "__main__":
    main()
