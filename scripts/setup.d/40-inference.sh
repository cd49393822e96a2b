# Inference engine (offchain/inference): ONNX Runtime from PyPI in a private venv (ORT_DYLIB_PATH).
# profile: demo
# The demo needs only the runtime's shared library: the models are shipped files, so the demo
# profile installs the onnxruntime wheel alone (--no-deps: its Python deps, numpy included, are
# not needed to load the .so). The test profile adds the Python tools that make the shipped models
# and run the reference benchmark (pip then fills in onnxruntime's deps too).
# Exports ORT_DYLIB_PATH (the libonnxruntime.so the engine loads at run time; `ort` is built with
# load-dynamic) and BITHIVE_INFERENCE_PYTHON (used by tests to find pydicom's DICOM test files).
# On a GPU host, install onnxruntime-gpu into the venv instead and rebuild the engine with the
# matching api-NN feature (see offchain/inference/README.md).
BITHIVE_INFERENCE_VENV="${BITHIVE_INFERENCE_VENV:-$BITHIVE_CACHE/py-inference}"
BITHIVE_INFERENCE_PY_PINS=(onnxruntime==1.31.1)
BITHIVE_INFERENCE_PIP_ARGS=(--no-deps)
if [ "$BITHIVE_SETUP_PROFILE" = test ]; then
  BITHIVE_INFERENCE_PY_PINS+=(
    onnx==1.23.2
    skl2onnx==1.20.0
    scikit-learn==1.9.1
    numpy==2.4.6
    scipy==1.17.1
    pydicom==3.0.2
    pillow==13.0.0
  )
  BITHIVE_INFERENCE_PIP_ARGS=()
fi
if [ ! -x "$BITHIVE_INFERENCE_VENV/bin/python" ]; then
  log "python venv for the inference engine: $BITHIVE_INFERENCE_VENV"
  python3 -m venv "$BITHIVE_INFERENCE_VENV" || { apt_install python3-venv python3-pip && python3 -m venv "$BITHIVE_INFERENCE_VENV"; }
fi
# Fast path: pip is only called when a pin is not satisfied (or, for test, a dependency is missing).
if ! "$BITHIVE_INFERENCE_VENV/bin/python" - "$BITHIVE_SETUP_PROFILE" "${BITHIVE_INFERENCE_PY_PINS[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for pin in sys.argv[2:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
if sys.argv[1] == "test":
    import onnxruntime  # fails while a --no-deps install from the demo profile lacks its deps
PY
  log "pip: installing ${BITHIVE_INFERENCE_PY_PINS[*]}${BITHIVE_INFERENCE_PIP_ARGS[*]:+ (${BITHIVE_INFERENCE_PIP_ARGS[*]})}"
  "$BITHIVE_INFERENCE_VENV/bin/pip" install --disable-pip-version-check --progress-bar off \
    "${BITHIVE_INFERENCE_PIP_ARGS[@]}" "${BITHIVE_INFERENCE_PY_PINS[@]}"
else
  log "pip: already installed: ${BITHIVE_INFERENCE_PY_PINS[*]}"
fi
export BITHIVE_INFERENCE_PYTHON="$BITHIVE_INFERENCE_VENV/bin/python"
if [ -z "${ORT_DYLIB_PATH:-}" ]; then
  # find_spec locates the package without importing it (a --no-deps install cannot import).
  ORT_DYLIB_PATH="$("$BITHIVE_INFERENCE_PYTHON" -c 'import glob, importlib.util, os; d = os.path.join(importlib.util.find_spec("onnxruntime").submodule_search_locations[0], "capi"); print(sorted(glob.glob(os.path.join(d, "libonnxruntime.so*")))[0])')"
  export ORT_DYLIB_PATH
fi
