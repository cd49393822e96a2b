# Inference engine (offchain/inference): ONNX Runtime shared library and the Python tools that make
# the shipped models and run the reference benchmark, all from PyPI wheels in a private venv.
# Exports ORT_DYLIB_PATH (the libonnxruntime.so the engine loads at run time; `ort` is built with
# load-dynamic) and BITHIVE_INFERENCE_PYTHON (used by tests to find pydicom's DICOM test files).
# On a GPU host, install onnxruntime-gpu into the venv instead and rebuild the engine with the
# matching api-NN feature (see offchain/inference/README.md).
BITHIVE_INFERENCE_VENV="${BITHIVE_INFERENCE_VENV:-$BITHIVE_CACHE/py-inference}"
BITHIVE_INFERENCE_PY_PINS=(
  onnxruntime==1.31.1
  onnx==1.23.2
  skl2onnx==1.20.0
  scikit-learn==1.9.1
  numpy==2.4.6
  scipy==1.17.1
  pydicom==3.0.2
  pillow==13.0.0
)
if [ ! -x "$BITHIVE_INFERENCE_VENV/bin/python" ]; then
  log "python venv for the inference engine: $BITHIVE_INFERENCE_VENV"
  python3 -m venv "$BITHIVE_INFERENCE_VENV" || { apt_install python3-venv python3-pip && python3 -m venv "$BITHIVE_INFERENCE_VENV"; }
fi
# Fast path: pip is only called when a pin is not satisfied.
if ! "$BITHIVE_INFERENCE_VENV/bin/python" - "${BITHIVE_INFERENCE_PY_PINS[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
PY
  log "pip: installing ${BITHIVE_INFERENCE_PY_PINS[*]}"
  "$BITHIVE_INFERENCE_VENV/bin/pip" install --quiet --disable-pip-version-check "${BITHIVE_INFERENCE_PY_PINS[@]}"
fi
export BITHIVE_INFERENCE_PYTHON="$BITHIVE_INFERENCE_VENV/bin/python"
if [ -z "${ORT_DYLIB_PATH:-}" ]; then
  ORT_DYLIB_PATH="$("$BITHIVE_INFERENCE_PYTHON" -c 'import glob, os, onnxruntime; d = os.path.join(os.path.dirname(onnxruntime.__file__), "capi"); print(sorted(glob.glob(os.path.join(d, "libonnxruntime.so*")))[0])')"
  export ORT_DYLIB_PATH
fi
