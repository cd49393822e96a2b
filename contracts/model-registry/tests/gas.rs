//! Gas is flat in the number of models: the storage cost (reads, writes, bytes, priced with the
//! SDK's KVGasConfig) of each execute path with 10 and with 10,000 models registered. The counts
//! must be equal; the bytes differ only by the width of the ids written in the records.
//!
//!     cargo test -p bithive-model-registry --test gas -- --nocapture   # prints the table

mod common;

use bithive_cw_test_fixtures::gas::{CountingStorage, Meter, StorageCost};
use bithive_cw_test_fixtures::suite::assert_storage_flat;
use bithive_model_registry::msg::*;
use common::{publish, registry_contract, registry_init};
use cosmwasm_std::{Addr, Decimal};
use cw_multi_test::{AppBuilder, Executor};

/// Each execute path's (and the resolve query's) storage cost with `n` models registered.
fn measure(n: u32) -> Vec<(&'static str, StorageCost)> {
    let (storage, meter): (CountingStorage, Meter) = CountingStorage::new();
    let mut app = AppBuilder::new().with_storage(storage).build(|_, _, _| {});
    let api = app.api();
    let [admin, evaluator, escrow] = ["admin", "evaluator", "escrow"].map(|n| api.addr_make(n));
    let publishers: Vec<Addr> = (0..10)
        .map(|i| api.addr_make(&format!("inst{i}")))
        .collect();
    let code = app.store_code(registry_contract());
    let init = registry_init(&evaluator, &escrow);
    let reg = app
        .instantiate_contract(code, admin.clone(), &init, &[], "models", None)
        .unwrap();
    // n models from 10 institutes, each name with 1 version (names share the measured one's
    // prefix so the index pages it lands in are as full as they get).
    for i in 0..n {
        let who = &publishers[(i % 10) as usize];
        let m = ExecuteMsg::Publish(publish(&format!("model-{i:05}"), 1));
        app.execute_contract(who.clone(), reg.clone(), &m, &[])
            .unwrap();
    }
    let owner = publishers[3].clone();
    let mut run = |who: &Addr, msg: ExecuteMsg| {
        meter.reset();
        app.execute_contract(who.clone(), reg.clone(), &msg, &[])
            .unwrap();
        meter.get()
    };
    let publish_new = run(&owner, ExecuteMsg::Publish(publish("measured", 1)));
    let id = u64::from(n) + 1;
    let publish_version = run(&owner, ExecuteMsg::Publish(publish("measured", 2)));
    let deprecate = run(&owner, ExecuteMsg::Deprecate { model_id: id });
    let set_accuracy = run(
        &evaluator,
        ExecuteMsg::SetAccuracy {
            model_id: id + 1,
            accuracy: Decimal::percent(93),
            evaluation: "attestation:7".into(),
            run_cost: None,
        },
    );
    let record_job = run(
        &escrow,
        ExecuteMsg::RecordJob {
            model_id: id + 1,
            job_id: "payer/job-1".into(),
            tscore: Some(Decimal::percent(88)),
        },
    );
    meter.reset();
    let r: Option<ModelResponse> = app
        .wrap()
        .query_wasm_smart(
            &reg,
            &QueryMsg::Resolve {
                model: "measured".into(),
            },
        )
        .unwrap();
    assert_eq!(r.unwrap().model.version, 2);
    let resolve = meter.get();
    vec![
        ("publish (new name)", publish_new),
        ("publish (new version, supersedes)", publish_version),
        ("deprecate", deprecate),
        ("set_accuracy (evaluator)", set_accuracy),
        ("record_job (escrow)", record_job),
        ("resolve query", resolve),
    ]
}

#[test]
fn storage_cost_is_flat_in_the_number_of_models() {
    let (small, large) = (10, 10_000);
    let (s, l) = (measure(small), measure(large));
    // Same keys touched whatever the number of models; bytes differ only by the decimal width
    // of ids in stored records.
    assert_storage_flat("models", (small, large), &s, &l);
    for (name, b) in &l {
        assert_eq!(b.iterated, 0, "{name} iterates");
    }
}
