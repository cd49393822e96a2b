//! `bithive deploy` on the devnet with the committed artifacts, attacked by its own deployer:
//! once the deployment returns, the deployer can neither add a BTK or BTT minter, nor raise
//! emission's allowance, nor mint, nor take ownership back. Emission is BTK's only minter;
//! BTT's supply is fixed.

use std::path::Path;

use bithive_chain_client::OperatorKey;
use bithive_cli::deploy::{deploy, DeployConfig};
use bithive_cli::platform::{client, new_mnemonic, query, DENOM, PREFIX};
use bithive_devnet::{Devnet, DevnetConfig, GenesisAccount};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployer_keeps_no_minting_power() {
    let key = OperatorKey::from_mnemonic(&new_mnemonic().unwrap(), PREFIX).unwrap();
    let config = DevnetConfig {
        chain_id: "bithive-deploy-test-1".into(),
        block_time_ms: 100,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        genesis_accounts: vec![GenesisAccount {
            address: key.address().to_string(),
            coins: format!("1000000000000{DENOM}"),
        }],
        ..DevnetConfig::default()
    };
    let devnet = Devnet::start(config.clone()).await.unwrap();
    let gov = client(&devnet.rpc_url(), &config.chain_id, key).unwrap();
    let cfg = DeployConfig {
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
        ..DeployConfig::default()
    };
    let d = deploy(&gov, &cfg, &mut |_| {}).await.unwrap();
    let (btk, btt, emission) = (&d.contracts.btk, &d.contracts.btt, &d.contracts.emission);
    let me = gov.address().to_string();

    let minters = query(&gov, btk, json!({"minters": {}}), "minters")
        .await
        .unwrap();
    assert_eq!(
        minters["minters"],
        json!([{"minter": emission, "allowance": "2100000000000000"}])
    );
    for token in [btk, btt] {
        let owner = query(&gov, token, json!({"ownership": {}}), "ownership")
            .await
            .unwrap();
        assert!(owner["owner"].is_null(), "{token}: {owner}");
        let supply = query(&gov, token, json!({"token_info": {}}), "info")
            .await
            .unwrap();
        for msg in [
            json!({"set_minter": {"minter": me, "allowance": "1000000"}}),
            json!({"set_minter": {"minter": emission, "allowance": "3000000000000000"}}),
            json!({"mint": {"recipient": me, "amount": "1"}}),
            json!({"update_ownership": {"transfer_ownership": {"new_owner": me, "expiry": null}}}),
        ] {
            let refused = gov.execute_batch(&[(token.to_string(), msg.clone())]).await;
            assert!(refused.is_err(), "{token} accepted {msg}");
        }
        let after = query(&gov, token, json!({"token_info": {}}), "info")
            .await
            .unwrap();
        assert_eq!(after["total_supply"], supply["total_supply"]);
    }
    let btt_mint = query(&gov, btt, json!({"mint_info": {}}), "mint_info")
        .await
        .unwrap();
    assert_eq!(btt_mint["remaining"], "0");
    let btt_minters = query(&gov, btt, json!({"minters": {}}), "minters")
        .await
        .unwrap();
    assert_eq!(btt_minters["minters"], json!([]));
    devnet.shutdown().await;
}
