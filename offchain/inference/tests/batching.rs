//! Dynamic batching: concurrent requests share batches and get the same answers as unbatched
//! runs; bounded queues push back; shutdown finishes queued work and then refuses new work.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bithive_inference::{Engine, EngineError, InferenceResult, Job, JobInput};
use tokio::task::JoinHandle;

fn rows() -> Vec<Vec<f32>> {
    let text = std::fs::read_to_string(common::models_dir().join("bc_test_vectors.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["inputs"].clone()).unwrap()
}

/// Waits until `n` requests are queued or running on the (only) model.
async fn wait_in_flight(e: &Engine, n: u64) {
    for _ in 0..500 {
        if e.status()[0].queue.as_ref().unwrap().in_flight == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("requests never reached the queue");
}

/// Spawns `n` jobs on `row` (ids `{prefix}0`..) and waits until all are queued or running.
async fn queue_jobs(
    e: &Arc<Engine>,
    prefix: &str,
    n: u64,
    row: &[f32],
) -> Vec<JoinHandle<Result<InferenceResult, EngineError>>> {
    let jobs = (0..n)
        .map(|i| {
            let e = e.clone();
            let job = Job::new(
                format!("{prefix}{i}"),
                "bc_mlp",
                JobInput::Tabular(row.to_vec()),
            );
            tokio::spawn(async move { e.infer(&job).await })
        })
        .collect();
    wait_in_flight(e, n).await;
    jobs
}

fn engine(max_batch: usize, max_wait_us: u64, capacity: usize) -> Arc<Engine> {
    let mut config = common::config(&["bc_mlp"]);
    config.batching.max_batch_size = max_batch;
    config.batching.max_wait_us = max_wait_us;
    config.batching.queue_capacity = capacity;
    Arc::new(Engine::with_runtime(common::runtime(), config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_results_equal_unbatched_results() {
    let rows = rows();
    let batched = engine(16, 20_000, 1024);
    let single = engine(1, 0, 1024);
    let tasks: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let e = batched.clone();
            let job = Job::new(format!("b{i}"), "bc_mlp", JobInput::Tabular(row.clone()));
            tokio::spawn(async move { e.infer(&job).await.unwrap() })
        })
        .collect();
    let mut sizes = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let b = task.await.unwrap();
        let s = single
            .infer(&Job::new(
                format!("b{i}"),
                "bc_mlp",
                JobInput::Tabular(rows[i].clone()),
            ))
            .await
            .unwrap();
        assert_eq!(s.batch_size, 1);
        assert_eq!(b.label_index, s.label_index);
        for (p, q) in b.probabilities.iter().zip(&s.probabilities) {
            assert!((p - q).abs() <= 1e-6, "row {i}: batched {p} vs single {q}");
        }
        sizes.push(b.batch_size);
    }
    assert!(sizes.iter().all(|&n| (1..=16).contains(&n)));
    assert!(sizes.iter().any(|&n| n > 1), "never batched: {sizes:?}");
    let q = batched.status()[0].queue.clone().unwrap();
    assert_eq!(q.items, rows.len() as u64);
    assert!(q.batches < rows.len() as u64);
    assert_eq!(q.largest_batch, *sizes.iter().max().unwrap() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_pushes_back_then_recovers() {
    let row = rows().remove(0);
    // Capacity 2; the worker holds the first request up to 1 s waiting for a batch of 8.
    let e = engine(8, 1_000_000, 2);
    let held = queue_jobs(&e, "held", 2, &row).await;
    let job = Job::new("third", "bc_mlp", JobInput::Tabular(row.clone()));
    match e.try_infer(&job).await {
        Err(EngineError::QueueFull { capacity: 2, .. }) => {}
        other => panic!("expected QueueFull, got {other:?}"),
    }
    // Waiting callers are served once capacity frees up.
    let waited = e.infer(&job).await.unwrap();
    for h in held {
        let r = h.await.unwrap().unwrap();
        assert_eq!(r.batch_size, 2);
        assert_eq!(r.label_index, waited.label_index);
    }
    assert!(e.try_infer(&job).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_then_refuses() {
    let row = rows().remove(0);
    // The worker would hold the batch for 1 s; shutdown must not wait for that.
    let e = engine(4, 1_000_000, 16);
    let queued = queue_jobs(&e, "q", 3, &row).await;
    let e2 = e.clone();
    tokio::task::spawn_blocking(move || e2.shutdown())
        .await
        .unwrap();
    for q in queued {
        assert!(q.await.unwrap().is_ok(), "queued work must finish");
    }
    let err = e
        .infer(&Job::new("late", "bc_mlp", JobInput::Tabular(row)))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::ShuttingDown), "{err}");
}
