//! Inference engine benchmark. In one run, for each shipped model and batch size, it measures
//! the engine's model execution (`batcher::execute`, what the workers call: ONNX Runtime run on
//! the batch and outputs copied out) against Python onnxruntime on the same ONNX file with the
//! same threads, batch and input (bench/bench_ort.py, `sess.run` on a numpy array), alternating
//! rounds between the two and keeping each side's best round; it prints both and the ratio. Then
//! it loads the full job path (validation, queue, batching, Tscore, result hash) with concurrent
//! closed-loop clients, with and without dynamic batching, and prints throughput, the batching
//! gain and p50/p99 latency.
//!
//! With the imaging models converted (`scripts/setup.d/45-imaging.sh`, `$BITHIVE_IMAGING_DIR`),
//! a last section does the same for them, fp32 and with fp16-stored weights
//! (bench/fp16_weights.py), and prints their held-out accuracy and balanced accuracy with 95 %
//! intervals and the job path on a real X-ray JPEG.
//!
//! Usage: inference-bench [--seconds S] [--rounds R] [--threads T] [--python PATH]
//!        [--imaging-only]
//! (ORT_DYLIB_PATH and BITHIVE_INFERENCE_PYTHON come from `source scripts/setup.sh`.)

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bithive_inference::batcher::{execute, GraphSpec};
use bithive_inference::config::{EngineConfig, ModelEntry};
use bithive_inference::registry::load_model;
use bithive_inference::runtime::Runtime;
use bithive_inference::{Engine, Job, JobInput};

struct Args {
    seconds: f64,
    rounds: usize,
    threads: usize,
    python: PathBuf,
    imaging_only: bool,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        seconds: 1.5,
        rounds: 5,
        threads: 1,
        python: std::env::var("BITHIVE_INFERENCE_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("python3")),
        imaging_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().context("missing value");
        match a.as_str() {
            "--seconds" => args.seconds = val()?.parse()?,
            "--threads" => args.threads = val()?.parse()?,
            "--rounds" => args.rounds = val()?.parse::<usize>()?.max(1),
            "--python" => args.python = PathBuf::from(val()?),
            "--imaging-only" => args.imaging_only = true,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn tabular_rows() -> Result<Vec<Vec<f32>>> {
    let text = std::fs::read_to_string(models_dir().join("bc_test_vectors.json"))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    Ok(serde_json::from_value(v["inputs"].clone())?)
}

/// The batch input both sides use: test rows cycled, or the i * 0.618034 mod 1 image pattern.
fn batch_input(spec: &GraphSpec, batch: usize, rows: &[Vec<f32>]) -> Vec<f32> {
    if spec.input_shape.len() == 2 {
        (0..batch)
            .flat_map(|i| rows[i % rows.len()].clone())
            .collect()
    } else {
        let n = batch * spec.input_shape[1..].iter().product::<i64>() as usize;
        (0..n)
            .map(|i| ((i as f64 * 0.618034) % 1.0) as f32)
            .collect()
    }
}

struct Measure {
    items_per_s: f64,
    p50_ms: f64,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// Python onnxruntime kept running (bench_ort.py --serve), asked one measurement at a time.
struct PythonReference {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PythonReference {
    fn start(python: &Path) -> Result<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/bench_ort.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("start {} bench/bench_ort.py", python.display()))?;
        let stdin = child.stdin.take().context("python stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("python stdout")?);
        Ok(Self {
            child,
            stdin,
            stdout,
        })
    }

    fn measure_file(
        &mut self,
        onnx: &Path,
        batch: usize,
        threads: usize,
        seconds: f64,
        rows: Option<&Path>,
    ) -> Result<Measure> {
        let req = serde_json::json!({
            "model": onnx,
            "batch": batch,
            "threads": threads,
            "seconds": seconds,
            "rows": rows,
        });
        writeln!(self.stdin, "{req}")?;
        self.stdin.flush()?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("python reference exited");
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        Ok(Measure {
            items_per_s: v["items_per_s"].as_f64().context("items_per_s")?,
            p50_ms: v["p50_ms"].as_f64().context("p50_ms")?,
        })
    }
}

impl Drop for PythonReference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rust_measure(
    session: &mut ort::session::Session,
    spec: &GraphSpec,
    batch: usize,
    input: &[f32],
    seconds: f64,
) -> Result<Measure> {
    let warm_until = Instant::now() + Duration::from_secs_f64(0.1);
    while Instant::now() < warm_until {
        execute(session, spec, batch, input).map_err(anyhow::Error::msg)?;
    }
    let mut lat = Vec::new();
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(seconds);
    let mut now = start;
    while now < end {
        let t0 = Instant::now();
        let out = execute(session, spec, batch, input).map_err(anyhow::Error::msg)?;
        std::hint::black_box(out);
        now = Instant::now();
        lat.push((now - t0).as_secs_f64() * 1e3);
    }
    let elapsed = (now - start).as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok(Measure {
        items_per_s: lat.len() as f64 * batch as f64 / elapsed,
        p50_ms: percentile(&lat, 0.5),
    })
}

fn entry(model: &str) -> ModelEntry {
    ModelEntry {
        manifest: models_dir().join(format!("{model}.toml")),
        sha256: None,
    }
}

/// Best of `rounds` alternating rounds, Rust then Python, on one model file and batch.
#[allow(clippy::too_many_arguments)]
fn compare(
    python: &mut PythonReference,
    session: &mut ort::session::Session,
    spec: &GraphSpec,
    onnx: &Path,
    batch: usize,
    input: &[f32],
    rows: Option<&Path>,
    args: &Args,
) -> Result<(Measure, Measure)> {
    let round = args.seconds / args.rounds as f64;
    let mut best_py: Option<Measure> = None;
    let mut best_rs: Option<Measure> = None;
    for _ in 0..args.rounds {
        let py = python.measure_file(onnx, batch, args.threads, round, rows)?;
        let rs = rust_measure(session, spec, batch, input, round)?;
        if best_py
            .as_ref()
            .is_none_or(|b| py.items_per_s > b.items_per_s)
        {
            best_py = Some(py);
        }
        if best_rs
            .as_ref()
            .is_none_or(|b| rs.items_per_s > b.items_per_s)
        {
            best_rs = Some(rs);
        }
    }
    Ok((best_rs.context("no round")?, best_py.context("no round")?))
}

/// 95 % Wilson score interval of `k` successes in `n`.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    let (k, n, z) = (k as f64, n as f64, 1.96f64);
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// Balanced accuracy (mean recall over the classes present).
fn balanced(pred: &[u32], truth: &[u32]) -> f64 {
    let classes = truth.iter().copied().max().unwrap_or(0) as usize + 1;
    let mut recalls = Vec::new();
    for c in 0..classes as u32 {
        let idx: Vec<usize> = (0..truth.len()).filter(|&i| truth[i] == c).collect();
        if !idx.is_empty() {
            recalls.push(idx.iter().filter(|&&i| pred[i] == c).count() as f64 / idx.len() as f64);
        }
    }
    recalls.iter().sum::<f64>() / recalls.len().max(1) as f64
}

/// 95 % percentile interval of the balanced accuracy over 2000 stratified bootstrap resamples
/// (a fixed xorshift seed, so every run prints the same interval).
fn balanced_interval(pred: &[u32], truth: &[u32]) -> (f64, f64) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let classes = truth.iter().copied().max().unwrap_or(0) + 1;
    let by_class: Vec<Vec<usize>> = (0..classes)
        .map(|c| (0..truth.len()).filter(|&i| truth[i] == c).collect())
        .collect();
    let mut stats: Vec<f64> = (0..2000)
        .map(|_| {
            let (mut p, mut t) = (Vec::new(), Vec::new());
            for idx in by_class.iter().filter(|v| !v.is_empty()) {
                for _ in 0..idx.len() {
                    let i = idx[next(idx.len())];
                    p.push(pred[i]);
                    t.push(truth[i]);
                }
            }
            balanced(&p, &t)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    (percentile(&stats, 0.025), percentile(&stats, 0.975))
}

/// The imaging models' folder, when converted (`scripts/setup.d/45-imaging.sh`).
fn imaging_models() -> Option<PathBuf> {
    let dir = match std::env::var_os("BITHIVE_IMAGING_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("BITHIVE_CACHE").unwrap_or_else(|| {
            format!(
                "{}/.cache/bithive",
                std::env::var("HOME").unwrap_or_default()
            )
            .into()
        }))
        .join("imaging"),
    }
    .join("models");
    dir.join("chest_xray_xception.toml")
        .is_file()
        .then_some(dir)
}

/// The imaging section (module docs).
fn imaging_section(
    runtime: &Arc<Runtime>,
    config: &EngineConfig,
    python: &mut PythonReference,
    args: &Args,
    rt: &tokio::runtime::Runtime,
) -> Result<()> {
    let Some(dir) = imaging_models() else {
        println!("\nImaging models not converted on this machine: `bash scripts/setup.sh models` makes them.");
        return Ok(());
    };
    let tmp_dir = std::env::temp_dir().join(format!("bithive-bench-fp16-{}", std::process::id()));
    std::fs::create_dir_all(&tmp_dir)?;
    let result = imaging_tables(runtime, config, python, args, rt, &dir, &tmp_dir);
    let _ = std::fs::remove_dir_all(&tmp_dir);
    result
}

#[allow(clippy::too_many_arguments)]
fn imaging_tables(
    runtime: &Arc<Runtime>,
    config: &EngineConfig,
    python: &mut PythonReference,
    args: &Args,
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    tmp: &Path,
) -> Result<()> {
    println!(
        "\n## Imaging models: Rust engine vs Python onnxruntime, fp32 and fp16-stored weights\n"
    );
    println!("| model | weights | file MB | batch | Rust images/s | Python images/s | ratio | Rust p50 ms/run | Python p50 ms/run |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut held_out_rows = Vec::new();
    for model in ["chest_xray_xception", "brain_mri_xception"] {
        // The fp16-stored copy, with a manifest naming its hash.
        let fp32_onnx = dir.join(format!("{model}.onnx"));
        let fp16_onnx = tmp.join(format!("{model}.onnx"));
        let out = Command::new(&args.python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/fp16_weights.py"))
            .args([&fp32_onnx, &fp16_onnx])
            .output()
            .context("bench/fp16_weights.py")?;
        if !out.status.success() {
            bail!("fp16_weights.py: {}", String::from_utf8_lossy(&out.stderr));
        }
        let fp16_sha = String::from_utf8(out.stdout)?.trim().to_string();
        let text = std::fs::read_to_string(dir.join(format!("{model}.toml")))?;
        let manifest =
            bithive_inference::manifest::Manifest::parse(&text).map_err(anyhow::Error::msg)?;
        std::fs::write(
            tmp.join(format!("{model}.toml")),
            text.replace(&manifest.sha256, &fp16_sha),
        )?;
        let variants = [
            ("fp32", dir.join(format!("{model}.toml")), fp32_onnx),
            ("fp16-stored", tmp.join(format!("{model}.toml")), fp16_onnx),
        ];
        // Held-out labels and probabilities per variant, through the whole engine.
        let set = bithive_inference::evaluation::HeldOutSet::parse(&std::fs::read(
            dir.join(format!("{model}_held_out.json")),
        )?)?;
        let mut per_variant: Vec<(Vec<u32>, Vec<Vec<f32>>)> = Vec::new();
        for (weights, manifest_path, onnx) in &variants {
            let e = ModelEntry {
                manifest: manifest_path.clone(),
                sha256: None,
            };
            let mut loaded = load_model(runtime, &e, 1)?;
            let spec = GraphSpec::of(&loaded.manifest);
            let mb = std::fs::metadata(onnx)?.len() as f64 / 1e6;
            for batch in [1usize, 8] {
                let input = batch_input(&spec, batch, &[]);
                let (rs, py) = compare(
                    python,
                    &mut loaded.sessions[0],
                    &spec,
                    onnx,
                    batch,
                    &input,
                    None,
                    args,
                )?;
                println!(
                    "| {model} | {weights} | {mb:.0} | {batch} | {:.1} | {:.1} | {:.2}x | {:.1} | {:.1} |",
                    rs.items_per_s,
                    py.items_per_s,
                    rs.items_per_s / py.items_per_s,
                    rs.p50_ms,
                    py.p50_ms
                );
            }
            let mut c = config.clone();
            c.models = vec![e];
            let engine = Engine::with_runtime(runtime.clone(), c);
            let results: Vec<_> = rt.block_on(async {
                let mut out = Vec::new();
                for (i, input) in set.inputs.iter().enumerate() {
                    out.push(
                        engine
                            .infer(&Job::new(format!("h{i}"), model, input.clone()))
                            .await,
                    );
                }
                out
            });
            let mut labels = Vec::new();
            let mut probs = Vec::new();
            for r in results {
                let r = r?;
                labels.push(r.label_index);
                probs.push(r.probabilities);
            }
            per_variant.push((labels, probs));
            engine.shutdown();
        }
        let (labels, probs) = &per_variant[0];
        let (labels16, probs16) = &per_variant[1];
        let n = set.y_true.len();
        let right = labels
            .iter()
            .zip(&set.y_true)
            .filter(|(a, b)| a == b)
            .count();
        let (lo, hi) = wilson(right, n);
        let bal = balanced(labels, &set.y_true);
        let (blo, bhi) = balanced_interval(labels, &set.y_true);
        let same = labels.iter().zip(labels16).filter(|(a, b)| a == b).count();
        let dmax = probs
            .iter()
            .flatten()
            .zip(probs16.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        held_out_rows.push(format!(
            "| {model} | {n} | {:.3} ({lo:.2}-{hi:.2}) | {bal:.3} ({blo:.2}-{bhi:.2}) | {same}/{n}, max {dmax:.1e} |",
            right as f64 / n as f64
        ));
    }
    println!("\n## Imaging models on their held-out images (the engine's whole job path)\n");
    println!("| model | images | accuracy (95 % Wilson) | balanced accuracy (95 % bootstrap) | fp16-stored: same label, probability difference |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for row in held_out_rows {
        println!("{row}");
    }
    println!("\n## Imaging job path under load: a real chest X-ray JPEG (decode, domain guard, Tscore, result hash)\n");
    println!(
        "| model | clients | max batch | jobs/s | mean batch | p50 ms | p99 ms | batching gain |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let set = bithive_inference::evaluation::HeldOutSet::parse(&std::fs::read(
        dir.join("chest_xray_xception_held_out.json"),
    )?)?;
    let mut c = config.clone();
    c.models.clear();
    let mut unbatched = f64::NAN;
    for max_batch in [1usize, 8] {
        let mut cfg = c.clone();
        cfg.models = vec![ModelEntry {
            manifest: dir.join("chest_xray_xception.toml"),
            sha256: None,
        }];
        cfg.batching.max_batch_size = max_batch;
        cfg.batching.max_wait_us = if max_batch > 1 { 2_000 } else { 0 };
        let r = rt.block_on(load_engine(
            runtime.clone(),
            cfg,
            "chest_xray_xception",
            set.inputs[0].clone(),
            8,
            args.seconds * 2.0,
        ))?;
        let gain = if max_batch == 1 {
            unbatched = r.items_per_s;
            "1.00x (reference)".to_string()
        } else {
            format!("{:.2}x", r.items_per_s / unbatched)
        };
        println!(
            "| chest_xray_xception | 8 | {max_batch} | {:.1} | {:.1} | {:.1} | {:.1} | {gain} |",
            r.items_per_s, r.mean_batch, r.p50_ms, r.p99_ms
        );
    }
    Ok(())
}

struct LoadResult {
    items_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_batch: f64,
}

/// Closed loop: `clients` tasks each submit one job, wait for its result, repeat.
async fn load_test(
    runtime: Arc<Runtime>,
    base: &EngineConfig,
    model: &str,
    input: JobInput,
    clients: usize,
    max_batch: usize,
    seconds: f64,
) -> Result<LoadResult> {
    let mut config = base.clone();
    config.models = vec![entry(model)];
    config.batching.max_batch_size = max_batch;
    config.batching.max_wait_us = if max_batch > 1 { 1_000 } else { 0 };
    load_engine(runtime, config, model, input, clients, seconds).await
}

/// [`load_test`] on an engine of `config`.
async fn load_engine(
    runtime: Arc<Runtime>,
    config: EngineConfig,
    model: &str,
    input: JobInput,
    clients: usize,
    seconds: f64,
) -> Result<LoadResult> {
    let engine = Arc::new(Engine::with_runtime(runtime, config));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (engine, input, model) = (engine.clone(), input.clone(), model.to_string());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut batch_sum = 0u64;
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let job = Job::new(format!("c{c}-{i}"), model.clone(), input.clone());
                    let t0 = Instant::now();
                    let r = engine.infer(&job).await?;
                    lat.push(t0.elapsed().as_secs_f64() * 1e3);
                    batch_sum += r.batch_size as u64;
                    i += 1;
                }
                anyhow::Ok((lat, batch_sum))
            })
        })
        .collect();
    let start = Instant::now();
    let mut all = Vec::new();
    let mut batch_sum = 0;
    for t in tasks {
        let (lat, b) = t.await??;
        all.extend(lat);
        batch_sum += b;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let engine2 = engine.clone();
    tokio::task::spawn_blocking(move || engine2.shutdown()).await?;
    all.sort_by(f64::total_cmp);
    Ok(LoadResult {
        items_per_s: all.len() as f64 / elapsed,
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
        mean_batch: batch_sum as f64 / all.len().max(1) as f64,
    })
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = parse_args()?;
    let mut config = EngineConfig::default();
    config.apply_env(|k| std::env::var(k).ok())?;
    config.runtime.intra_op_threads = args.threads;
    config.runtime.inter_op_threads = 1;
    let runtime = Arc::new(Runtime::load(&config.runtime)?);
    let rows = tabular_rows()?;
    println!(
        "ONNX Runtime {} ({}), {} intra-op thread(s), CPU execution provider; model execution: \
         best of {} alternating rounds of {:.2} s per side\n",
        runtime.version(),
        runtime.dylib().display(),
        args.threads,
        args.rounds,
        args.seconds / args.rounds as f64
    );
    let mut python = PythonReference::start(&args.python)?;
    if args.imaging_only {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        return imaging_section(&runtime, &config, &mut python, &args, &rt);
    }

    println!("## Model execution: Rust engine (ort) vs Python onnxruntime, same ONNX file, threads, batch, input\n");
    println!("| model | batch | Rust items/s | Python items/s | ratio | Rust p50 ms/run | Python p50 ms/run |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let plan: [(&str, &[usize]); 5] = [
        ("bc_logreg", &[1, 32, 256]),
        ("bc_mlp", &[1, 32, 256]),
        ("bc_gbt", &[1, 32, 256]),
        ("img_cnn_1x64", &[1, 16]),
        ("img_cnn_3x224", &[1, 8]),
    ];
    let mut ratios = Vec::new();
    for (model, batches) in plan {
        let mut loaded = load_model(&runtime, &entry(model), 1)?;
        let m = &loaded.manifest;
        let spec = GraphSpec::of(m);
        let tabular = spec.input_shape.len() == 2;
        let session = &mut loaded.sessions[0];
        let rows_file = models_dir().join("bc_test_vectors.json");
        let onnx = models_dir().join(format!("{model}.onnx"));
        for &batch in batches {
            let input = batch_input(&spec, batch, &rows);
            let (rs, py) = compare(
                &mut python,
                session,
                &spec,
                &onnx,
                batch,
                &input,
                tabular.then_some(rows_file.as_path()),
                &args,
            )?;
            let ratio = rs.items_per_s / py.items_per_s;
            ratios.push(ratio);
            println!(
                "| {model} | {batch} | {:.0} | {:.0} | {ratio:.2}x | {:.3} | {:.3} |",
                rs.items_per_s, py.items_per_s, rs.p50_ms, py.p50_ms
            );
        }
    }
    let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "\nRust/Python geometric mean {geo:.2}x, minimum {min:.2}x over {} cases\n",
        ratios.len()
    );

    println!("## Full job path under load (validation, queue, Tscore, result hash), closed-loop clients\n");
    println!(
        "| model | clients | max batch | jobs/s | mean batch | p50 ms | p99 ms | batching gain |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let image = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/phantom_gray_80x96.png"),
    )?;
    // pydicom's real CT (128x128, 16-bit): decode, rescale, normalize, resize to 3x224x224.
    let ct_path = Command::new(&args.python)
        .args([
            "-c",
            "import pydicom.data; print(pydicom.data.get_testdata_file('CT_small.dcm'))",
        ])
        .output()
        .context("ask Python for pydicom's CT_small.dcm")?;
    let ct = std::fs::read(String::from_utf8(ct_path.stdout)?.trim())?;
    let cases = [
        ("bc_mlp", JobInput::Tabular(rows[0].clone()), 32usize),
        ("bc_gbt", JobInput::Tabular(rows[1].clone()), 32),
        ("img_cnn_1x64", JobInput::Image(image), 16),
        ("img_cnn_3x224", JobInput::Image(ct), 8),
    ];
    for (model, input, clients) in cases {
        let mut unbatched_rate = f64::NAN;
        for max_batch in [1usize, 32] {
            let r = rt.block_on(load_test(
                runtime.clone(),
                &config,
                model,
                input.clone(),
                clients,
                max_batch,
                args.seconds * 2.0,
            ))?;
            let gain = if max_batch == 1 {
                unbatched_rate = r.items_per_s;
                "1.00x (reference)".to_string()
            } else {
                format!("{:.2}x", r.items_per_s / unbatched_rate)
            };
            println!(
                "| {model} | {clients} | {max_batch} | {:.0} | {:.1} | {:.3} | {:.3} | {gain} |",
                r.items_per_s, r.mean_batch, r.p50_ms, r.p99_ms
            );
        }
    }
    imaging_section(&runtime, &config, &mut python, &args, &rt)?;
    println!("\nCUDA execution provider: compiled (ort feature cuda), unmeasured (no GPU on this machine).");
    Ok(())
}
