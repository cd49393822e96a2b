#!/usr/bin/env python3
"""Makes the models shipped with bithive-inference, reproducibly (fixed seeds, pinned versions in
scripts/setup.d/40-inference.sh), and the test vectors the Rust tests compare against.

Clinical risk classifiers: logistic regression, MLP and gradient-boosted trees trained with
scikit-learn on its bundled Wisconsin breast cancer data (load_breast_cancer, real labels), exported
with skl2onnx. Held-out test vectors: the inputs and the outputs of Python onnxruntime on them.

Image classifier: a small CNN built with the onnx helper API with deterministic random weights, for
1x64x64 and 3x224x224 inputs. It is UNTRAINED: it exists to exercise the image path (decoding,
validation, batching, throughput). Test vectors: deterministic tensors, a PNG and a JPEG fixture,
and the CT and MR files that pydicom ships, preprocessed exactly as the engine does (README).

Usage: $BITHIVE_INFERENCE_PYTHON offchain/inference/models/make_models.py
"""

import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pydicom
import pydicom.data
import sklearn
import skl2onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
SEED = 20260101
OPSET = 17
LABELS = ["malignant", "benign"]  # sklearn's target_names order: 0 = malignant, 1 = benign


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def toml_str_list(xs):
    return "[" + ", ".join(json.dumps(x) for x in xs) + "]"


def toml_float_list(xs):
    return "[" + ", ".join(repr(float(x)) for x in xs) + "]"


def write_manifest(name, *, task, input_name, input_shape, labels, version, specialty, weights,
                   evidence, evidence_note, description, feature_min=None, feature_max=None,
                   image=None):
    path = os.path.join(HERE, name + ".onnx")
    lines = [
        f"# Manifest of {name}.onnx, written by make_models.py (do not edit by hand).",
        f"name = {json.dumps(name)}",
        f"version = {json.dumps(version)}",
        f"description = {json.dumps(description)}",
        f"task = {json.dumps(task)}",
        f"sha256 = {json.dumps(sha256_file(path))}",
        f"input_name = {json.dumps(input_name)}",
        f"input_shape = [{', '.join(str(d) for d in input_shape)}]",
        'label_output = "label"',
        'probabilities_output = "probabilities"',
        f"labels = {toml_str_list(labels)}",
        f"specialty = {json.dumps(specialty)}",
    ]
    if feature_min is not None:
        lines.append(f"feature_min = {toml_float_list(feature_min)}")
        lines.append(f"feature_max = {toml_float_list(feature_max)}")
    if image is not None:
        lines.append("")
        lines.append("[image]")
        for k, v in image.items():
            lines.append(f"{k} = {json.dumps(v)}")
    lines += [
        "",
        "[tscore]",
        f'alpha = "{weights[0]}"',
        f'beta = "{weights[1]}"',
        f'gamma = "{weights[2]}"',
        f'evidence = "{evidence}"',
        f"evidence_note = {json.dumps(evidence_note)}",
        "",
    ]
    with open(os.path.join(HERE, name + ".toml"), "w") as f:
        f.write("\n".join(lines))


def ort_run(path, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    label, proba = sess.run(["label", "probabilities"], {sess.get_inputs()[0].name: x})
    return label, proba


def make_tabular():
    data = load_breast_cancer()
    x = data.data.astype(np.float32)
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SEED % 2**32, stratify=y)
    models = {
        "bc_logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=SEED)),
        "bc_mlp": make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=2000,
                                                                random_state=SEED)),
        "bc_gbt": GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=SEED),
    }
    descriptions = {
        "bc_logreg": "Breast cancer (Wisconsin diagnostic) risk: standardized logistic regression",
        "bc_mlp": "Breast cancer (Wisconsin diagnostic) risk: standardized MLP 30-32-16-2",
        "bc_gbt": "Breast cancer (Wisconsin diagnostic) risk: gradient-boosted trees, 100 x depth 3",
    }
    vectors = {"labels": LABELS, "inputs": [[float(v) for v in row] for row in x_test],
               "y_true": [int(v) for v in y_test], "models": {}}
    for name, model in models.items():
        model.fit(x_train, y_train)
        classifier = model.steps[-1][1] if hasattr(model, "steps") else model
        onx = to_onnx(model, x_train[:1], options={id(classifier): {"zipmap": False}},
                      target_opset={"": OPSET, "ai.onnx.ml": 3})
        out_names = [o.name for o in onx.graph.output]
        assert out_names == ["label", "probabilities"], out_names
        path = os.path.join(HERE, name + ".onnx")
        onx.doc_string = f"{name}: made by make_models.py (sklearn {sklearn.__version__}, skl2onnx {skl2onnx.__version__})"
        onnx.save(onx, path)
        label, proba = ort_run(path, x_test)
        acc = float(np.mean(label == y_test))
        bacc = float(balanced_accuracy_score(y_test, label))
        vectors["models"][name] = {
            "sha256": sha256_file(path),
            "labels": [int(v) for v in label],
            "probabilities": [[float(p) for p in row] for row in proba],
            "accuracy": acc,
            "balanced_accuracy": bacc,
            "sklearn_accuracy": float(model.score(x_test, y_test)),
        }
        write_manifest(
            name, task="tabular-classification", input_name=onx.graph.input[0].name, input_shape=[-1, 30],
            labels=LABELS, version="1.0.0", specialty="oncology", weights=("0.5", "0.3", "0.2"),
            evidence=f"{bacc:.6f}",
            evidence_note=f"balanced accuracy on {len(y_test)} held-out rows of load_breast_cancer",
            description=descriptions[name], feature_min=x_train.min(axis=0), feature_max=x_train.max(axis=0))
        print(f"{name}: accuracy {acc:.4f} balanced {bacc:.4f} (sklearn {model.score(x_test, y_test):.4f})")
    with open(os.path.join(HERE, "bc_test_vectors.json"), "w") as f:
        json.dump(vectors, f, separators=(",", ":"))


def conv_weight(rng, out_c, in_c, k):
    fan_in = in_c * k * k
    return (rng.standard_normal((out_c, in_c, k, k)) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def make_cnn(name, channels, size):
    """Conv3x3/2 (C->16) ReLU, Conv3x3/2 (16->32) ReLU, Conv3x3/2 (32->64) ReLU, GlobalAveragePool,
    Gemm (64->2), Softmax, ArgMax. Deterministic He-normal weights from a fixed seed."""
    rng = np.random.default_rng(SEED + channels * 1000 + size)
    widths = [channels, 16, 32, 64]
    inits, nodes = [], []
    prev = "image"
    for i in range(3):
        w = conv_weight(rng, widths[i + 1], widths[i], 3)
        b = (rng.standard_normal(widths[i + 1]) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"conv{i}_w"), numpy_helper.from_array(b, f"conv{i}_b")]
        nodes.append(helper.make_node("Conv", [prev, f"conv{i}_w", f"conv{i}_b"], [f"conv{i}"],
                                      kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]))
        prev = f"relu{i}"
    fc_w = (rng.standard_normal((64, 2)) * np.sqrt(2.0 / 64)).astype(np.float32)
    fc_b = np.zeros(2, dtype=np.float32)
    inits += [numpy_helper.from_array(fc_w, "fc_w"), numpy_helper.from_array(fc_b, "fc_b"),
              numpy_helper.from_array(np.array([-1, 64], dtype=np.int64), "flat_shape")]
    nodes += [
        helper.make_node("GlobalAveragePool", [prev], ["gap"]),
        helper.make_node("Reshape", ["gap", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", channels, size, size])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="bithive make_models.py")
    model.ir_version = 8
    model.doc_string = f"{name}: UNTRAINED CNN with deterministic weights, exercises the image path only"
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    write_manifest(
        name, task="image-classification", input_name="image", input_shape=[-1, channels, size, size],
        labels=["class_0", "class_1"], version="0.1.0-untrained", specialty="radiology",
        weights=("0.4", "0.4", "0.2"), evidence="0",
        evidence_note="untrained: deterministic random weights, no clinical evidence",
        description=f"UNTRAINED {channels}x{size}x{size} CNN (deterministic weights) exercising the image path",
        image={"normalization": "min-max", "resize": "bilinear-half-pixel"})
    return path


# Image preprocessing, exactly as documented in the README and implemented in src/input/image.rs.
def minmax(a):
    a = a.astype(np.float64)
    lo, hi = a.min(), a.max()
    if hi > lo:
        return ((a - lo) / (hi - lo)).astype(np.float32)
    return np.zeros_like(a, dtype=np.float32)


def resize_bilinear(a, out_h, out_w):
    """Bilinear with half-pixel centres, edge clamp, computed in f32 like the Rust code."""
    in_h, in_w = a.shape
    if (in_h, in_w) == (out_h, out_w):
        return a.astype(np.float32)
    out = np.empty((out_h, out_w), dtype=np.float32)
    sy, sx = np.float32(in_h / out_h), np.float32(in_w / out_w)
    for oy in range(out_h):
        fy = max(np.float32((oy + 0.5) * sy - 0.5), np.float32(0))
        y0 = min(int(np.floor(fy)), in_h - 1)
        y1 = min(y0 + 1, in_h - 1)
        wy = np.float32(fy - y0)
        for ox in range(out_w):
            fx = max(np.float32((ox + 0.5) * sx - 0.5), np.float32(0))
            x0 = min(int(np.floor(fx)), in_w - 1)
            x1 = min(x0 + 1, in_w - 1)
            wx = np.float32(fx - x0)
            top = a[y0, x0] * (1 - wx) + a[y0, x1] * wx
            bot = a[y1, x0] * (1 - wx) + a[y1, x1] * wx
            out[oy, ox] = top * (1 - wy) + bot * wy
    return out


def to_tensor(planes, channels, size):
    """planes: list of 2-D float arrays (1 for grey, 3 for RGB), already min-max normalized."""
    resized = [resize_bilinear(p, size, size) for p in planes]
    if len(resized) == 1 and channels == 3:
        resized = resized * 3
    if len(resized) == 3 and channels == 1:
        # ITU-R BT.601 luma, the conversion the README documents.
        resized = [np.float32(0.299) * resized[0] + np.float32(0.587) * resized[1] + np.float32(0.114) * resized[2]]
    return np.stack(resized)[None].astype(np.float32)


def image_planes_from_pil(img):
    arr = np.asarray(img)
    if arr.ndim == 2:
        return [minmax(arr)]
    arr = arr[..., :3].astype(np.float64)
    lo, hi = arr.min(), arr.max()
    norm = ((arr - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.zeros_like(arr, dtype=np.float32)
    return [norm[..., c] for c in range(3)]


def dicom_planes(path):
    ds = pydicom.dcmread(path)
    px = ds.pixel_array.astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1.0))
    intercept = float(getattr(ds, "RescaleIntercept", 0.0))
    return [minmax(px * slope + intercept)]


def make_images():
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.default_rng(SEED)
    # A synthetic phantom (disc on a gradient) as PNG (lossless) and a colour one as JPEG.
    yy, xx = np.mgrid[0:96, 0:80]
    phantom = (xx * 2 + ((yy - 48) ** 2 + (xx - 40) ** 2 < 400) * 90).astype(np.uint8)
    Image.fromarray(phantom, mode="L").save(os.path.join(FIXTURES, "phantom_gray_80x96.png"))
    yy, xx = np.mgrid[0:240, 0:256]
    rgb = np.stack([(xx % 256), (yy % 256), ((xx + yy) // 2 % 256)], axis=-1).astype(np.uint8)
    Image.fromarray(rgb, mode="RGB").save(os.path.join(FIXTURES, "gradient_rgb_256x240.jpg"), quality=95)
    Image.fromarray(rgb, mode="RGB").save(os.path.join(FIXTURES, "gradient_rgb_256x240.png"))

    vectors = {"models": {}}
    for name, channels, size in [("img_cnn_1x64", 1, 64), ("img_cnn_3x224", 3, 224)]:
        path = make_cnn(name, channels, size)
        cases = {}
        if size == 64:
            # Raw little-endian f32 tensor (4 images): exact inputs for the tolerance test.
            x = rng.random((4, channels, size, size), dtype=np.float32)
            x.astype("<f4").tofile(os.path.join(FIXTURES, "random_4x1x64x64.f32"))
            label, proba = ort_run(path, x)
            cases["random_4x1x64x64.f32"] = {"labels": label.tolist(), "probabilities": proba.tolist()}
        files = {
            "phantom_gray_80x96.png": image_planes_from_pil(Image.open(os.path.join(FIXTURES, "phantom_gray_80x96.png"))),
            "gradient_rgb_256x240.png": image_planes_from_pil(Image.open(os.path.join(FIXTURES, "gradient_rgb_256x240.png"))),
            "gradient_rgb_256x240.jpg": image_planes_from_pil(Image.open(os.path.join(FIXTURES, "gradient_rgb_256x240.jpg"))),
            "pydicom:CT_small.dcm": dicom_planes(pydicom.data.get_testdata_file("CT_small.dcm")),
            "pydicom:MR_small.dcm": dicom_planes(pydicom.data.get_testdata_file("MR_small.dcm")),
        }
        for fname, planes in files.items():
            t = to_tensor(planes, channels, size)
            label, proba = ort_run(path, t)
            cases[fname] = {"labels": label.tolist(), "probabilities": proba.tolist(),
                            "input_sum": float(t.astype(np.float64).sum()),
                            "input_head": t.ravel()[:16].tolist()}
        vectors["models"][name] = {"sha256": sha256_file(path), "cases": cases}
        print(f"{name}: {os.path.getsize(path)} bytes")
    with open(os.path.join(HERE, "img_test_vectors.json"), "w") as f:
        json.dump(vectors, f, separators=(",", ":"))


def main():
    print(f"sklearn {sklearn.__version__}, skl2onnx {skl2onnx.__version__}, onnx {onnx.__version__}, "
          f"onnxruntime {ort.__version__}, numpy {np.__version__}", file=sys.stderr)
    make_tabular()
    make_images()


if __name__ == "__main__":
    main()
