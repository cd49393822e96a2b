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

use common::deployed_devnet;

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
