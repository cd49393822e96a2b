//! Gas is flat in the number of models: the storage cost (reads, writes, bytes, priced with the
//! SDK's KVGasConfig) of each execute path with 10 and with 10,000 models registered. The counts
//! must be equal; the bytes differ only by the width of the ids written in the records.
//!
//!     cargo test -p bithive-model-registry --test gas -- --nocapture   # prints the table

mod common;

use bithive_cw_test_fixtures::gas::{assert_flat, CountingStorage, Meter, StorageCost};
use bithive_model_registry::msg::*;
use common::{registry_contract, registry_init};
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::{AppBuilder, Executor};

fn publish(name: &str, version: u32) -> PublishMsg {
    PublishMsg {
        name: name.into(),
        version,
        specialty: "radiology".into(),
        input_spec: "float32[1,3,224,224]".into(),
        output_spec: "float32[1,5]".into(),
        onnx_sha256: "ab".repeat(32),
        content_id: "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4".into(),
        size_bytes: 1_000_000,
        price: Uint128::new(100),
        licence: "Apache-2.0".into(),
    }
}

struct Figures {
    publish_new: StorageCost,
    publish_version: StorageCost,
    deprecate: StorageCost,
    set_accuracy: StorageCost,
    record_job: StorageCost,
    resolve: StorageCost,
}

fn measure(n: u32) -> Figures {
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
    Figures {
        publish_new,
        publish_version,
        deprecate,
        set_accuracy,
        record_job,
        resolve,
    }
}

#[test]
fn storage_cost_is_flat_in_the_number_of_models() {
    let (small, large) = (10, 10_000);
    let s = measure(small);
    let l = measure(large);
    let rows = [
        ("publish (new name)", s.publish_new, l.publish_new),
        (
            "publish (new version, supersedes)",
            s.publish_version,
            l.publish_version,
        ),
        ("deprecate", s.deprecate, l.deprecate),
        ("set_accuracy (evaluator)", s.set_accuracy, l.set_accuracy),
        ("record_job (escrow)", s.record_job, l.record_job),
        ("resolve query", s.resolve, l.resolve),
    ];
    // Same keys touched whatever the number of models.
    assert_flat("models", small, large, &rows);
    // Nothing iterated.
    for (name, _, b) in rows {
        assert_eq!(b.iterated, 0, "{name} iterates");
    }
}
