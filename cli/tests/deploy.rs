//! `bithive deploy` on the devnet with the committed artifacts, attacked by its own deployer:
//! once the deployment returns, the deployer can neither add a BTK or BTT minter, nor raise
//! emission's allowance, nor mint, nor take ownership back. Emission is BTK's only minter;
//! BTT's supply is fixed.

mod common;

use std::path::Path;

use bithive_chain_client::OperatorKey;
use bithive_cli::demo::platform::{client, new_mnemonic, query, PREFIX};
use bithive_cli::deploy::load_artifacts;
use bithive_interface::token::{
    ExecuteMsg as TokenMsg, MintInfoResponse, MinterAllowance, MintersResponse,
    QueryMsg as TokenQuery,
};
use cosmwasm_std::{Addr, Uint128};
use cw20::TokenInfoResponse;
use cw_ownable::Ownership;

use common::{deployed_devnet, deployed_devnet_with_dao};

fn minters_query() -> TokenQuery {
    TokenQuery::Minters {
        start_after: None,
        limit: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployer_keeps_no_minting_power() {
    let (devnet, gov, d) = deployed_devnet("bithive-deploy-test-1").await;
    let (btk, btt, emission) = (&d.contracts.btk, &d.contracts.btt, &d.contracts.emission);
    let me = gov.address().to_string();

    let minters: MintersResponse = query(&gov, btk, &minters_query(), "minters").await.unwrap();
    assert_eq!(
        minters.minters,
        vec![MinterAllowance {
            minter: emission.clone(),
            allowance: Uint128::new(2_100_000_000_000_000),
        }]
    );
    for token in [btk, btt] {
        let owner: Ownership<Addr> = query(&gov, token, &TokenQuery::Ownership {}, "ownership")
            .await
            .unwrap();
        assert!(owner.owner.is_none(), "{token}: {owner:?}");
        let supply: TokenInfoResponse = query(&gov, token, &TokenQuery::TokenInfo {}, "info")
            .await
            .unwrap();
        for msg in [
            TokenMsg::SetMinter {
                minter: me.clone(),
                allowance: Uint128::new(1_000_000),
            },
            TokenMsg::SetMinter {
                minter: emission.clone(),
                allowance: Uint128::new(3_000_000_000_000_000),
            },
            TokenMsg::Mint {
                recipient: me.clone(),
                amount: Uint128::one(),
            },
            TokenMsg::UpdateOwnership(cw_ownable::Action::TransferOwnership {
                new_owner: me.clone(),
                expiry: None,
            }),
        ] {
            let refused = gov.execute_batch(&[(token.to_string(), msg.clone())]).await;
            assert!(refused.is_err(), "{token} accepted {msg:?}");
        }
        let after: TokenInfoResponse = query(&gov, token, &TokenQuery::TokenInfo {}, "info")
            .await
            .unwrap();
        assert_eq!(after.total_supply, supply.total_supply);
    }
    let btt_mint: MintInfoResponse = query(&gov, btt, &TokenQuery::MintInfo {}, "mint_info")
        .await
        .unwrap();
    assert_eq!(btt_mint.remaining, Some(Uint128::zero()));
    let btt_minters: MintersResponse = query(&gov, btt, &minters_query(), "minters").await.unwrap();
    assert!(btt_minters.minters.is_empty());
    devnet.shutdown().await;
}

/// `bithive deploy` with a DAO on the devnet (signed transactions, MsgUpdateAdmin included): the
/// DAO is every governed contract's controller and every contract's wasm admin but the tokens',
/// the deployer's governance calls are refused, and a member's proposal passes by the members'
/// votes and executes as the DAO. (The whole attack list runs on the artifacts in the VM:
/// testing/adversarial-tests/tests/dao.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dao_deployment_is_governed_by_its_members_only() {
    use bithive_deploy_plan::{Role, DAO_GOVERNED};
    use bithive_interface::dao;
    let (devnet, deployer, members, d) = deployed_devnet_with_dao("bithive-dao-test-1", 2).await;
    let core = d.contracts.dao.clone();
    assert!(!core.is_empty());
    for role in DAO_GOVERNED {
        let addr = d.contracts.get(role);
        let o: Ownership<Addr> = query(&deployer, addr, &TokenQuery::Ownership {}, "ownership")
            .await
            .unwrap();
        assert_eq!(
            o.owner.as_ref().map(Addr::as_str),
            Some(core.as_str()),
            "{role:?}"
        );
        assert!(o.pending_owner.is_none(), "{role:?}");
    }
    for (role, addr) in d.contracts.all().chain([(Role::Dao, core.as_str())]) {
        let admin = deployer.contract_info(addr).await.unwrap().admin;
        let want = match role {
            Role::Btk | Role::Btt => None,
            _ => Some(core.clone()),
        };
        assert_eq!(admin, want, "{role:?} wasm admin");
    }
    let admin: String = deployer
        .query_typed(&core, &dao::core::QueryMsg::Admin {})
        .await
        .unwrap();
    assert_eq!(admin, core);
    // The deployer: refused.
    let take = serde_json::json!({ "update_ownership": { "transfer_ownership": {
        "new_owner": deployer.address().to_string(), "expiry": null } } });
    let r = deployer
        .execute_batch(&[(d.contracts.staking.clone(), take)])
        .await;
    assert!(r.is_err(), "the deployer took staking back");
    // A member's proposal: the DAO raises staking's fraud slash.
    let modules: Vec<dao::core::ProposalModule> = deployer
        .query_typed(
            &core,
            &dao::core::QueryMsg::ProposalModules {
                start_after: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    let proposals = modules[0].address.clone();
    let policy: dao::proposal_single::ProposalCreationPolicy = deployer
        .query_typed(
            &proposals,
            &dao::proposal_single::QueryMsg::ProposalCreationPolicy {},
        )
        .await
        .unwrap();
    let dao::proposal_single::ProposalCreationPolicy::Module { addr: pre_propose } = policy else {
        panic!("{policy:?}");
    };
    let raise = serde_json::json!({ "update_config": { "fraud_slash": "0.2" } });
    let msg = dao::pre_propose_single::ExecuteMsg::Propose {
        msg: dao::pre_propose_single::ProposeMessage::Propose {
            title: "Raise the fraud slash".into(),
            description: "20 % of the pledge for fraud".into(),
            msgs: vec![cosmwasm_std::WasmMsg::Execute {
                contract_addr: d.contracts.staking.clone(),
                msg: cosmwasm_std::to_json_binary(&raise).unwrap(),
                funds: vec![],
            }
            .into()],
            vote: None,
        },
    };
    members[0]
        .execute_batch(&[(pre_propose, serde_json::to_value(&msg).unwrap())])
        .await
        .unwrap();
    for m in &members {
        let vote = dao::proposal_single::ExecuteMsg::Vote {
            proposal_id: 1,
            vote: dao::proposal_single::Vote::Yes,
            rationale: None,
        };
        m.execute_batch(&[(proposals.clone(), serde_json::to_value(&vote).unwrap())])
            .await
            .unwrap();
    }
    let execute = dao::proposal_single::ExecuteMsg::Execute { proposal_id: 1 };
    members[1]
        .execute_batch(&[(proposals.clone(), serde_json::to_value(&execute).unwrap())])
        .await
        .unwrap();
    let config: serde_json::Value = deployer
        .query_typed(&d.contracts.staking, &serde_json::json!({ "config": {} }))
        .await
        .unwrap();
    assert_eq!(config["fraud_slash"], "0.2");
    devnet.shutdown().await;
}

/// CometBFT's default `rpc.max_body_bytes` (wasmd and public chains keep it).
const COMETBFT_MAX_BODY_BYTES: usize = 1_000_000;

/// Found on wasmd (#26): the fee simulation sends the whole store tx hex-encoded in an
/// `abci_query` request, so a raw artifact over ~500 KB (asset_nft) made a default CometBFT node
/// answer `400 Bad Request` and `bithive deploy` stopped. Every committed artifact's store
/// message, hex-encoded with room for the signature, fee and JSON-RPC envelope, must fit.
#[test]
fn every_store_tx_fits_the_default_rpc_body_limit() {
    let key = OperatorKey::from_mnemonic(&new_mnemonic().unwrap(), PREFIX).unwrap();
    let c = client("http://127.0.0.1:1", "any-1", key).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    for (kind, (wasm, _)) in load_artifacts(&dir).unwrap() {
        let any = c.store_code_msg(&wasm).unwrap();
        let body = 2 * (any.value.len() + 1024) + 1024;
        assert!(
            body <= COMETBFT_MAX_BODY_BYTES,
            "{kind:?}: {} KiB of wasm make a {body}-byte simulate request",
            wasm.len() / 1024
        );
    }
}
