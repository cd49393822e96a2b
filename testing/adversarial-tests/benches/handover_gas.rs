//! Gas of the two-step hand-over (ADR 008) on the committed artifacts of a whole deployment
//! (cosmwasm-vm 3 through bithive-vm-host, wasmd storage gas), per governed contract: the
//! proposal and the acceptance, beside the plain governance call the single-step hand-over used
//! to be (`update_config` with one field, measured on staking in the same world) and a cw20
//! transfer of BTT. Gas is deterministic: one run.
//!
//!     cargo bench -p bithive-adversarial-tests --bench handover_gas

use bithive_adversarial_tests::{Plan, World};
use bithive_interface::staking;
use cw_ownable::Action;
use serde_json::json;

fn main() {
    let mut w = World::deploy(Plan::default());
    let gov = w.deployer.clone();
    let dao = w.addr("dao");
    let c = w.c.clone();

    let transfer = json!({ "transfer": { "recipient": dao, "amount": "1" } });
    let cw20 = w.ok(&gov, &c.btt, &transfer).gas_used;
    let plain = staking::ExecuteMsg::UpdateConfig {
        compliance: None,
        slash_recipient: None,
        work_reporter: None,
        fraud_slash: None,
        attestor_set_size: Some(5),
        min_bond: None,
        topup_grace_seconds: None,
    };
    let plain = w.ok(&gov, &c.staking, &plain).gas_used;
    println!(
        "cosmwasm gas; [t] = ratio to a cw20 transfer, (u) = ratio to staking's update_config"
    );
    println!(
        "  {:<32} {:>9} [{:.2}t]",
        "cw20 transfer (reference)", cw20, 1.0
    );
    println!(
        "  {:<32} {:>9} [{:.2}t] (1.00u)",
        "staking update_config (plain)",
        plain,
        plain as f64 / cw20 as f64
    );
    let contracts = [
        ("staking", &c.staking),
        ("rewards", &c.rewards),
        ("attestation", &c.attestation),
        ("payfi-escrow", &c.payfi_escrow),
        ("model-registry", &c.model_registry),
        ("data-vault", &c.data_vault),
        ("asset-nft", &c.asset_nft),
        ("fractional", &c.fractional),
        ("emission", &c.emission),
        ("vesting", &c.vesting),
    ];
    for (name, addr) in contracts {
        let propose = Action::TransferOwnership {
            new_owner: dao.clone(),
            expiry: None,
        };
        let propose = w
            .ok(&gov, addr, &json!({ "update_ownership": propose }))
            .gas_used;
        let accept = json!({ "update_ownership": Action::AcceptOwnership });
        let accept = w.ok(&dao, addr, &accept).gas_used;
        let both = propose + accept;
        println!(
            "  {:<32} {:>9} + {:>9} = {:>9} [{:.2}t] ({:.2}u)",
            format!("{name}: propose + accept"),
            propose,
            accept,
            both,
            both as f64 / cw20 as f64,
            both as f64 / plain as f64
        );
    }
}
