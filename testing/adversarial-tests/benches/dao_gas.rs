//! Gas of governing by the DAO (ADR 009) on the committed artifacts (cosmwasm-vm 3 through
//! bithive-vm-host, wasmd storage gas): one staking parameter changed by a proposal of a
//! three-member DAO (propose, two yes votes, execute), beside the same change as a plain
//! governance call of a single key (a deployment without a DAO) and a cw20 transfer of BTT.
//! Gas is deterministic: one run.
//!
//!     cargo bench -p bithive-adversarial-tests --bench dao_gas

use bithive_adversarial_tests::{Plan, World};
use bithive_interface::dao::{pre_propose_single, proposal_single};
use cosmwasm_std::{to_json_binary, CosmosMsg, WasmMsg};
use serde_json::json;

fn main() {
    let raise = json!({ "update_config": { "fraud_slash": "0.2" } });

    // A single key governs.
    let mut single = World::deploy(Plan {
        pledged: 0,
        ..Plan::default()
    });
    let gov = single.deployer.clone();
    let (staking, btt) = (single.c.staking.clone(), single.c.btt.clone());
    let transfer = json!({ "transfer": { "recipient": single.addr("x"), "amount": "1" } });
    let cw20 = single.ok(&gov, &btt, &transfer).gas_used;
    let plain = single.ok(&gov, &staking, &raise).gas_used;

    // The DAO governs.
    let mut w = World::deploy(Plan {
        pledged: 0,
        dao_members: 3,
        ..Plan::default()
    });
    w.advance(5);
    let core = w.c.dao.clone();
    let modules: Vec<bithive_interface::dao::core::ProposalModule> = w.query(
        &core,
        &bithive_interface::dao::core::QueryMsg::ProposalModules {
            start_after: None,
            limit: None,
        },
    );
    let proposals = modules[0].address.clone();
    let policy: proposal_single::ProposalCreationPolicy = w.query(
        &proposals,
        &proposal_single::QueryMsg::ProposalCreationPolicy {},
    );
    let proposal_single::ProposalCreationPolicy::Module { addr: pre_propose } = policy else {
        panic!("members-only proposals");
    };
    let (m0, m1) = (w.addr("member0"), w.addr("member1"));
    let msgs: Vec<CosmosMsg> = vec![WasmMsg::Execute {
        contract_addr: w.c.staking.clone(),
        msg: to_json_binary(&raise).unwrap(),
        funds: vec![],
    }
    .into()];
    let propose = pre_propose_single::ExecuteMsg::Propose {
        msg: pre_propose_single::ProposeMessage::Propose {
            title: "Raise the fraud slash".into(),
            description: "20 %".into(),
            msgs,
            vote: None,
        },
    };
    let propose = w.ok(&m0, &pre_propose, &propose).gas_used;
    let vote = |id| proposal_single::ExecuteMsg::Vote {
        proposal_id: id,
        vote: proposal_single::Vote::Yes,
        rationale: None,
    };
    let vote0 = w.ok(&m0, &proposals, &vote(1)).gas_used;
    let vote1 = w.ok(&m1, &proposals, &vote(1)).gas_used;
    let execute = proposal_single::ExecuteMsg::Execute { proposal_id: 1 };
    let execute = w.ok(&m1, &proposals, &execute).gas_used;
    let total = propose + vote0 + vote1 + execute;

    println!("cosmwasm gas; [t] = ratio to a cw20 transfer, (u) = ratio to the plain call");
    let row = |what: &str, gas: u64| {
        println!(
            "  {:<44} {:>12} [{:>6.2}t] ({:>5.2}u)",
            what,
            gas,
            gas as f64 / cw20 as f64,
            gas as f64 / plain as f64
        )
    };
    row("cw20 transfer (reference)", cw20);
    row("staking update_config, one key (plain)", plain);
    row("DAO: propose (pre-propose -> proposal module)", propose);
    row("DAO: first yes vote", vote0);
    row("DAO: second yes vote (passes)", vote1);
    row("DAO: execute (core -> staking)", execute);
    row("DAO: the whole proposal", total);
}
