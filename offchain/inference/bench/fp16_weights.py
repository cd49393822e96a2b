#!/usr/bin/env python3
"""fp16-stored weights for `inference-bench`: a copy of an ONNX model whose float32 initializers
of at least 1024 values are stored as float16, each followed by a Cast back to float32, so the
graph computes in float32 as before (ONNX Runtime folds the casts when it loads the model) but
the file is about half the size. Prints the sha256 of the copy.

usage: fp16_weights.py IN.onnx OUT.onnx"""

import hashlib
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main():
    src, dst = sys.argv[1:3]
    model = onnx.load(src)
    g = model.graph
    kept, casts = [], []
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        if t.data_type == onnx.TensorProto.FLOAT and a.size >= 1024:
            half = numpy_helper.from_array(a.astype(np.float16), t.name + "_fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [t.name], to=onnx.TensorProto.FLOAT))
        else:
            kept.append(t)
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    data = model.SerializeToString()
    with open(dst, "wb") as f:
        f.write(data)
    print(hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    main()
