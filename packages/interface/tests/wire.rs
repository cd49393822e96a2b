//! The JSON the interface types produce is the JSON the contracts always accepted (spot checks of
//! the messages other programs build by hand).

use bithive_interface::{payfi_escrow, staking};
use cosmwasm_std::{to_json_string, Addr, CosmosMsg, WasmMsg};

#[test]
fn report_job_json() {
    let msg = payfi_escrow::ExecuteMsg::ReportJob {
        job_id: "j1".into(),
        node: "n1".into(),
        tscore: None,
    };
    assert_eq!(
        to_json_string(&msg).unwrap(),
        r#"{"report_job":{"job_id":"j1","node":"n1"}}"#
    );
}

#[test]
fn staking_queries_json() {
    assert_eq!(
        to_json_string(&staking::QueryMsg::AttestorSet {}).unwrap(),
        r#"{"attestor_set":{}}"#
    );
    assert_eq!(
        to_json_string(&staking::QueryMsg::PledgeStatus { node: "n".into() }).unwrap(),
        r#"{"pledge_status":{"node":"n"}}"#
    );
}

#[test]
fn helper_builds_execute() {
    let escrow = payfi_escrow::EscrowContract(Addr::unchecked("escrow"));
    let msg = escrow
        .call(payfi_escrow::ExecuteMsg::RefundJob {
            job_id: "j1".into(),
        })
        .unwrap();
    match msg {
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) => {
            assert_eq!(contract_addr, "escrow");
            assert!(funds.is_empty());
            assert_eq!(msg.to_vec(), br#"{"refund_job":{"job_id":"j1"}}"#.to_vec());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn create_job_event_round_trip() {
    let e = payfi_escrow::CreateJobEvent {
        job_id: "j1".into(),
        payer: "payer".into(),
        amount: 42u128.into(),
        model: "llama".into(),
        input_hash: "ab".repeat(32),
    };
    let event = e.clone().into_event();
    assert_eq!(event.attributes[0].value, "create_job");
    assert_eq!(payfi_escrow::CreateJobEvent::from_event(&event), Some(e));
    let other = cosmwasm_std::Event::new("wasm").add_attribute("action", "report_job");
    assert_eq!(payfi_escrow::CreateJobEvent::from_event(&other), None);
}

#[test]
fn valuation_job_ids_round_trip_and_refuse_non_canonical_rounds() {
    use bithive_interface::attestation::{parse_valuation_job_id, valuation_job_id};
    assert_eq!(valuation_job_id("scanner-1", 7), "scanner-1#7");
    assert_eq!(
        parse_valuation_job_id(&valuation_job_id("a#b", u64::MAX)),
        Some(("a#b", u64::MAX))
    );
    for bad in [
        "scanner-1",
        "scanner-1#",
        "#3",
        "scanner-1#0",
        "scanner-1#03",
        "scanner-1#+3",
        "scanner-1#3a",
        "scanner-1#18446744073709551616",
    ] {
        assert_eq!(parse_valuation_job_id(bad), None, "{bad}");
    }
}

#[test]
fn data_vault_json_and_access_event() {
    use bithive_interface::data_vault::{AccessEvent, ExecuteMsg, Purpose};
    let msg = ExecuteMsg::LogAccess {
        token_id: "7".into(),
        purpose: Purpose::PublicHealth,
    };
    assert_eq!(
        to_json_string(&msg).unwrap(),
        r#"{"log_access":{"token_id":"7","purpose":"public_health"}}"#
    );
    assert_eq!(
        to_json_string(&Purpose::PublicHealth).unwrap(),
        format!("\"{}\"", Purpose::PublicHealth.as_str())
    );
    let e = AccessEvent {
        token_id: "7".into(),
        grantee: "node".into(),
        purpose: "research".into(),
        time: 1_700_000_000,
        seq: 3,
    };
    let ev = e.clone().into_event();
    let back = AccessEvent::from_attributes(
        ev.attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str())),
    );
    assert_eq!(back, Some(e));
}
