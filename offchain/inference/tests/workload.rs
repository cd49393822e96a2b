//! The published benchmark workload (ADR 007, decision 5) on the real runtime: the same seed
//! gives the same quantized outputs on every run (what an attestor compares), another seed other
//! outputs, and a one-thread CPU session agrees with a multi-threaded one within the tolerance.

mod common;

use bithive_inference::config::RuntimeConfig;
use bithive_inference::runtime::Runtime;
use bithive_inference::workload::{agrees, Workload};

#[test]
fn the_workload_is_counted_repeatable_and_agrees_across_thread_counts() {
    let w = Workload::load(&common::runtime()).unwrap();
    // Counted from the graph: convolutions of a 3x224x224 input, tens of millions of MACs.
    assert!(w.macs_per_input() > 10_000_000, "{}", w.macs_per_input());
    let a = w.run(&[1; 32], &[0, 1, 2]).unwrap();
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|o| o.len() == 2));
    assert_eq!(a, w.run(&[1; 32], &[0, 1, 2]).unwrap(), "deterministic");
    assert_eq!(
        a[1..],
        w.run(&[1; 32], &[1, 2]).unwrap()[..],
        "input i is input i"
    );
    let other = w.run(&[2; 32], &[0, 1, 2]).unwrap();
    assert!(
        a.iter().zip(&other).any(|(x, y)| !agrees(x, y)),
        "another seed, other outputs: {a:?} {other:?}"
    );
    let threaded = Runtime::load(&RuntimeConfig {
        dylib_path: Some(common::ort_dylib()),
        intra_op_threads: 2,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let b = Workload::load(&threaded)
        .unwrap()
        .run(&[1; 32], &[0, 1, 2])
        .unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| agrees(x, y)), "{a:?} {b:?}");
}
