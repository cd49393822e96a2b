//! The trained imaging models (issue #47), converted at setup by scripts/setup.d/45-imaging.sh
//! (never committed: their wheels declare no licence): the engine measures on the held-out
//! images what the conversion measured, reads a real chest radiograph in DICOM, and refuses
//! what a chest model was not made for (README "Out-of-domain inputs").
//!
//! The models live in $BITHIVE_IMAGING_DIR (exported by the setup step; the test command always
//! runs it). Without that variable and without the default folder, the tests say how to get
//! the models and pass; with the variable set, missing models fail them.

mod common;

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use bithive_inference::config::InputLimits;
use bithive_inference::error::InputError;
use bithive_inference::evaluation::{evaluate, HeldOutSet};
use bithive_inference::input::{decode_image, prepare};
use bithive_inference::{Engine, EngineConfig, EngineError, InferenceResult, Job, JobInput};
use cosmwasm_std::Decimal;

const CHEST: &str = "chest_xray_xception";
const BRAIN: &str = "brain_mri_xception";

fn imaging_dir() -> Option<PathBuf> {
    let required = std::env::var_os("BITHIVE_IMAGING_DIR");
    let dir = match &required {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
            let cache =
                std::env::var("BITHIVE_CACHE").unwrap_or_else(|_| format!("{home}/.cache/bithive"));
            PathBuf::from(cache).join("imaging")
        }
    };
    let present = [CHEST, BRAIN]
        .iter()
        .all(|m| dir.join("models").join(format!("{m}.toml")).is_file());
    if !present {
        assert!(
            required.is_none(),
            "BITHIVE_IMAGING_DIR={} has no converted models: run `bash scripts/setup.sh models`",
            dir.display()
        );
        eprintln!(
            "imaging models not converted in {}: `bash scripts/setup.sh models` makes them \
             (the test command does); skipping",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

fn engine(dir: &std::path::Path) -> Arc<Engine> {
    let config = EngineConfig {
        runtime: common::runtime_config(),
        models: [CHEST, BRAIN]
            .iter()
            .map(|m| common::entry(dir.join("models").join(format!("{m}.toml"))))
            .collect(),
        ..EngineConfig::default()
    };
    let engine = Engine::with_runtime(common::runtime(), config);
    for m in [CHEST, BRAIN] {
        let s = common::model_status(&engine, m);
        assert!(s.serving, "{m}: {:?}", s.error);
    }
    Arc::new(engine)
}

async fn run(engine: &Engine, model: &str, bytes: Vec<u8>) -> Result<InferenceResult, EngineError> {
    engine
        .infer(&Job::new("imaging-test", model, JobInput::Image(bytes)))
        .await
}

fn dicom(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join("dicom").join(format!("{name}.dcm"))).unwrap()
}

/// The DICOM file's pixels as a tag-less 8-bit PNG: what a user uploading a screenshot sends.
fn as_png(dicom_bytes: &[u8]) -> Vec<u8> {
    let img = decode_image(dicom_bytes, &InputLimits::default()).unwrap();
    let grey: Vec<u8> = img.planes[0]
        .iter()
        .map(|v| (v * 255.0).round() as u8)
        .collect();
    let buf = image::GrayImage::from_raw(img.width as u32, img.height as u32, grey).unwrap();
    let mut out = Cursor::new(Vec::new());
    buf.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn out_of_domain(r: Result<InferenceResult, EngineError>) -> Option<String> {
    match r {
        Err(EngineError::Input(InputError::OutOfDomain { reason, .. })) => Some(reason),
        Err(e) => panic!("expected an out-of-domain refusal, got {e}"),
        Ok(_) => None,
    }
}

/// The engine's own evaluation of each model on its held-out images gives the predictions and
/// the balanced accuracy the conversion measured with TensorFlow (the manifest's evidence), and
/// every held-out image is in domain at full Dquality.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_measures_the_evidence_the_conversion_measured() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    for m in [CHEST, BRAIN] {
        let bytes = std::fs::read(dir.join("models").join(format!("{m}_held_out.json"))).unwrap();
        let set = HeldOutSet::parse(&bytes).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let e = evaluate(&engine, m, &set).await.unwrap();
        let reference: Vec<u32> = serde_json::from_value(v["reference"]["labels"].clone()).unwrap();
        assert_eq!(
            e.predictions, reference,
            "{m}: the engine's labels vs TensorFlow's"
        );
        let manifest = engine.manifest(m).unwrap();
        let diff = if e.balanced_accuracy > manifest.tscore.evidence {
            e.balanced_accuracy - manifest.tscore.evidence
        } else {
            manifest.tscore.evidence - e.balanced_accuracy
        };
        assert!(
            diff < Decimal::from_ratio(1u128, 1_000_000u128),
            "{m}: engine {} vs manifest evidence {}",
            e.balanced_accuracy,
            manifest.tscore.evidence
        );
        let mut lowest = f32::INFINITY;
        for (i, input) in set.inputs.iter().enumerate() {
            let JobInput::Image(b) = input else { panic!() };
            let r = run(&engine, m, b.clone()).await.unwrap();
            assert_eq!(r.trust.inputs.d_quality, Decimal::one(), "{m} image {i}");
            lowest = lowest.min(r.domain_similarity.unwrap());
        }
        println!(
            "{m}: balanced accuracy {} on {} held-out images; lowest similarity {lowest}",
            e.balanced_accuracy,
            e.samples()
        );
    }
}

/// An adult chest radiograph (CR, CHEST, MONOCHROME1, 16-bit, 1955x1841) is read and answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chest_model_answers_a_real_chest_radiograph_in_dicom() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    let r = run(&engine, CHEST, dicom(&dir, "RG1_UNCR")).await.unwrap();
    println!(
        "RG1_UNCR: {} {:?} similarity {:?} Tscore {}",
        r.label, r.probabilities, r.domain_similarity, r.tscore
    );
    // An adult's radiograph, for a model trained on children's: inside the guard's margin, so
    // answered with a lowered (not zero, not full) Dquality.
    let guard = engine.manifest(CHEST).unwrap().domain.clone().unwrap();
    let s = r.domain_similarity.unwrap();
    assert!(
        guard.min_similarity <= s && s < guard.full_similarity,
        "{s}"
    );
    assert!(r.trust.inputs.d_quality > Decimal::zero());
    assert!(r.trust.inputs.d_quality < Decimal::one());
}

/// A knee radiograph, a CT slice, an MR image, an ultrasound frame, a brain MRI and a colour
/// image sent to the chest model are refused with a reason, never answered: by their DICOM tags
/// when they have them, and by the feature similarity when the same pixels come without tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chest_model_refuses_what_is_not_a_chest_radiograph() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    for (name, needle) in [
        ("RG3_UNCR", "body part EXTREMITY"),
        ("693_UNCR", "modality CT"),
        ("MR2_UNCR", "modality MR"),
        ("US1_UNCR", "modality US"),
    ] {
        let reason = out_of_domain(run(&engine, CHEST, dicom(&dir, name)).await)
            .unwrap_or_else(|| panic!("{name} was answered"));
        assert!(reason.contains(needle), "{name}: {reason}");
        println!("{name}: {reason}");
    }
    // The same knee, CT and MR pixels as tag-less PNGs: the feature guard refuses them.
    for name in ["RG3_UNCR", "693_UNCR", "MR2_UNCR"] {
        let reason = out_of_domain(run(&engine, CHEST, as_png(&dicom(&dir, name))).await)
            .unwrap_or_else(|| panic!("{name} as PNG was answered"));
        assert!(reason.contains("similar"), "{name}: {reason}");
        println!("{name} as PNG: {reason}");
    }
    // Brain MRI JPEGs (the other model's held-out images).
    let brain = HeldOutSet::parse(
        &std::fs::read(dir.join("models").join(format!("{BRAIN}_held_out.json"))).unwrap(),
    )
    .unwrap();
    for (i, input) in brain.inputs.iter().enumerate() {
        let JobInput::Image(b) = input else { panic!() };
        let reason = out_of_domain(run(&engine, CHEST, b.clone()).await)
            .unwrap_or_else(|| panic!("brain MRI {i} was answered by the chest model"));
        assert!(reason.contains("similar"), "brain MRI {i}: {reason}");
        println!("brain MRI {i}: {reason}");
    }
    // A colour image.
    let colour = std::fs::read(common::fixture("gradient_rgb_256x240.png")).unwrap();
    let reason = out_of_domain(run(&engine, CHEST, colour).await).expect("colour answered");
    assert!(reason.contains("colour"), "{reason}");
}

/// The brain model given chest X-rays: each is refused, or answered with a lowered Dquality.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brain_model_refuses_or_discounts_chest_x_rays() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    let chest = HeldOutSet::parse(
        &std::fs::read(dir.join("models").join(format!("{CHEST}_held_out.json"))).unwrap(),
    )
    .unwrap();
    let mut refused = 0;
    for (i, input) in chest.inputs.iter().enumerate() {
        let JobInput::Image(b) = input else { panic!() };
        match run(&engine, BRAIN, b.clone()).await {
            Err(EngineError::Input(InputError::OutOfDomain { reason, .. })) => {
                assert!(reason.contains("similar"), "chest X-ray {i}: {reason}");
                println!("chest X-ray {i}: {reason}");
                refused += 1
            }
            Ok(r) => {
                println!(
                    "chest X-ray {i}: answered, similarity {:?}, Dquality {}",
                    r.domain_similarity, r.trust.inputs.d_quality
                );
                assert!(
                    r.trust.inputs.d_quality < Decimal::one(),
                    "chest X-ray {i} answered by the brain model at full Dquality"
                )
            }
            Err(e) => panic!("chest X-ray {i}: {e}"),
        }
    }
    assert!(refused > chest.inputs.len() / 2, "{refused} refused");
    // DICOM tags: an abdominal MR is MR, but not a head.
    let reason =
        out_of_domain(run(&engine, BRAIN, dicom(&dir, "MR-SIEMENS-DICOM-WithOverlays")).await)
            .expect("abdomen answered");
    assert!(reason.contains("body part ABDOMEN"), "{reason}");
}

/// Issue #47 item 5: the engine's JPEG decoder (zune-jpeg, through the image crate) against
/// Pillow's (libjpeg-turbo), which the models were trained and measured with, on the 33 real
/// held-out JPEGs. Measured cause of the difference: the two integer IDCTs round differently, so
/// about 0.4 % of pixels differ by exactly one level (grey and colour files alike: it is not
/// the chroma upsampling). Tolerances, written in the README: model input within 1/255 per
/// value, probabilities within 5e-3 (2.84e-3 is the largest seen on these 33 files), the same
/// label.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_decoding_agrees_with_pillow_on_real_images() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for m in [CHEST, BRAIN] {
        let set = HeldOutSet::parse(
            &std::fs::read(dir.join("models").join(format!("{m}_held_out.json"))).unwrap(),
        )
        .unwrap();
        for (i, input) in set.inputs.iter().enumerate() {
            let JobInput::Image(b) = input else { panic!() };
            let path = tmp.path().join(format!("{m}-{i:02}.jpg"));
            std::fs::write(&path, b).unwrap();
            files.push((m, path, b.clone()));
        }
    }
    // Pillow's tensors and onnxruntime's probabilities on them, one line of JSON per file.
    let list: Vec<String> = files
        .iter()
        .map(|(m, p, _)| {
            format!(
                "({:?}, {:?})",
                dir.join("models").join(format!("{m}.onnx")),
                p
            )
        })
        .collect();
    let code = format!(
        "import json, numpy as np, onnxruntime as ort\n\
         from PIL import Image\n\
         sessions = {{}}\n\
         for model, path in [{}]:\n\
         \x20   s = sessions.setdefault(model, ort.InferenceSession(model))\n\
         \x20   im = Image.open(path).convert('RGB').resize((150, 150), Image.NEAREST)\n\
         \x20   x = np.asarray(im, dtype=np.float32).transpose(2, 0, 1)[None] / 255.0\n\
         \x20   x.astype('<f4').tofile(path + '.f32')\n\
         \x20   p = s.run(['probabilities'], {{'image': x}})[0][0]\n\
         \x20   print(json.dumps([float(v) for v in p]))",
        list.join(", ")
    );
    let out = common::python_output(&code);
    let limits = InputLimits::default();
    let (mut worst_input, mut worst_prob) = (0f32, 0f32);
    for ((m, path, bytes), line) in files.iter().zip(out.lines()) {
        let pillow: Vec<f32> = serde_json::from_str(line).unwrap();
        let manifest = engine.manifest(m).unwrap();
        let ours = prepare(manifest, &JobInput::Image(bytes.clone()), &limits).unwrap();
        let theirs: Vec<f32> = std::fs::read(path.with_extension("jpg.f32"))
            .unwrap()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(ours.tensor.len(), theirs.len());
        let d_in = ours
            .tensor
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let r = run(&engine, m, bytes.clone()).await.unwrap();
        let d_p = r
            .probabilities
            .iter()
            .zip(&pillow)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let label = pillow
            .iter()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |best, (i, &v)| if v > best.1 { (i, v) } else { best },
            )
            .0;
        assert!(
            d_in <= 1.0 / 255.0 + 1e-6,
            "{}: input differs by {d_in}",
            path.display()
        );
        println!(
            "{}: input within {d_in}, probabilities within {d_p}",
            path.file_name().unwrap().to_string_lossy()
        );
        assert!(
            d_p <= 5e-3,
            "{}: probabilities differ by {d_p}",
            path.display()
        );
        assert_eq!(r.label_index as usize, label, "{}", path.display());
        worst_input = worst_input.max(d_in);
        worst_prob = worst_prob.max(d_p);
    }
    println!(
        "{} real JPEGs: model input within {worst_input} (1/255 = {}), probabilities within \
         {worst_prob}",
        files.len(),
        1.0 / 255.0
    );
}

/// An explained image result: an 8x8 occlusion map of the label, its hash inside the result
/// hash (the result verifies, and does not without the map), the same map every time; an
/// unexplained job of the same image has no map and hashes as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explained_results_carry_an_occlusion_map_in_their_hash() {
    let Some(dir) = imaging_dir() else { return };
    let engine = engine(&dir);
    let set = HeldOutSet::parse(
        &std::fs::read(dir.join("models").join(format!("{CHEST}_held_out.json"))).unwrap(),
    )
    .unwrap();
    let input = set.inputs[8].clone();
    let job = Job::new("explain-1", CHEST, input.clone()).explained();
    let r = engine.infer(&job).await.unwrap();
    let s = r.saliency.clone().expect("a saliency map");
    assert_eq!((s.grid, s.cells.len()), (8, 64));
    assert_eq!(s.label_index, r.label_index);
    assert_eq!(s.cells.iter().copied().max(), Some(255));
    assert!(r.verify());
    let mut stripped = r.clone();
    stripped.saliency = None;
    assert!(!stripped.verify(), "the map is inside the result hash");
    assert_eq!(engine.infer(&job).await.unwrap().saliency, Some(s.clone()));
    let plain = engine
        .infer(&Job::new("explain-1", CHEST, input))
        .await
        .unwrap();
    assert!(plain.saliency.is_none() && plain.verify());
    assert_eq!(plain.probabilities, r.probabilities);
    let hot: Vec<usize> = (0..64).filter(|&i| s.cells[i] > 128).collect();
    println!(
        "{} {:.3}: largest drop {} ppm; cells above half: {hot:?}",
        r.label, r.probabilities[r.label_index as usize], s.max_drop_ppm
    );
}
