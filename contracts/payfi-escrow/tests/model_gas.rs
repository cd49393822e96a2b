//! Issue #23: the cost of a job on a registered model does not grow with the number of models.
//! Storage reads, writes and bytes (priced with the SDK's KVGasConfig) of `create_job` (which
//! resolves the model in the registry) and of a paying `report_job` (owner payout and the
//! registry record) with 10 and with 10,000 models registered.
//!
//!     cargo test -p bithive-payfi-escrow --test model_gas -- --nocapture   # prints the table

mod escrow_registry;

use bithive_cw_test_fixtures::addrs;
use bithive_cw_test_fixtures::gas::{CountingStorage, StorageCost};
use bithive_cw_test_fixtures::suite::{assert_storage_flat, model_publish};
use bithive_interface::model_registry as reg;
use bithive_payfi_escrow::msg::*;
use cosmwasm_std::{coin, coins, Binary};
use cw_multi_test::{AppBuilder, Executor};
use escrow_registry::{
    escrow_contract, escrow_init, link_registry, registry_contract, registry_init, report_job,
};

/// The storage cost of `create_job` and of a paying `report_job` with `n` models registered.
fn measure(n: u32) -> Vec<(&'static str, StorageCost)> {
    let (storage, meter) = CountingStorage::new();
    let mut app = AppBuilder::new().with_storage(storage).build(|_, _, _| {});
    let api = app.api();
    addrs!(|n| api.addr_make(n); admin, payer, reporter, node, collector);
    let publishers: Vec<_> = (0..10)
        .map(|i| api.addr_make(&format!("inst{i}")))
        .collect();
    app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(storage, &payer, vec![coin(1_000_000_000, "ubtt")])
            .unwrap();
    });
    let pay_code = app.store_code(escrow_contract());
    let reg_code = app.store_code(registry_contract());
    let init = escrow_init(100, &collector, &reporter, 0);
    let pay = app
        .instantiate_contract(pay_code, admin.clone(), &init, &[], "payfi", None)
        .unwrap();
    let init = registry_init(&pay, "ubtt");
    let registry = app
        .instantiate_contract(reg_code, admin.clone(), &init, &[], "models", None)
        .unwrap();
    app.execute_contract(admin, pay.clone(), &link_registry(&registry), &[])
        .unwrap();
    for i in 0..n {
        let m = reg::ExecuteMsg::Publish(model_publish(&format!("model-{i:05}"), 1, 100));
        let who = publishers[(i % 10) as usize].clone();
        app.execute_contract(who, registry.clone(), &m, &[])
            .unwrap();
    }
    // The job names a model in the middle of the id range.
    let model = format!("model-{:05}", n / 2);
    let create = ExecuteMsg::CreateJob(CreateJobMsg {
        job_id: "measured".into(),
        expires_at: app.block_info().time.plus_seconds(600),
        model,
        input: Binary::from([7u8; 256].as_slice()),
        node: Some(node.to_string()),
    });
    meter.reset();
    app.execute_contract(payer.clone(), pay.clone(), &create, &coins(1_000, "ubtt"))
        .unwrap();
    let create_job = meter.get();
    let report = report_job(&job_id(payer.as_str(), "measured"), &node);
    meter.reset();
    let r = app
        .execute_contract(reporter, pay.clone(), &report, &[])
        .unwrap();
    let report_job = meter.get();
    assert!(r
        .events
        .iter()
        .flat_map(|e| &e.attributes)
        .any(|a| a.key == "owner_paid" && a.value == "100"));
    vec![
        (
            "create_job on a registered model (resolve + snapshot)",
            create_job,
        ),
        (
            "report_job paying node + owner + fee, record_job",
            report_job,
        ),
    ]
}

#[test]
fn job_cost_is_flat_in_the_number_of_models() {
    let (small, large) = (10, 10_000);
    assert_storage_flat("models", (small, large), &measure(small), &measure(large));
}
