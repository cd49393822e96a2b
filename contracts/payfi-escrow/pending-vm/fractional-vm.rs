//! The committed artifacts (asset_nft, asset_shares, fractional) executed in cosmwasm-vm 3
//! through bithive-vm-host: lock an NFT, shares minted through the reply, revenue claim across
//! a share transfer, buyout and redeem. The `#[ignore]`d `gas_figures` prints the gas of mint,
//! transfer and revenue claim with 10 and 10,000 holders:
//!
//!     cargo test -p fractional --test vm -- --ignored --nocapture gas_figures

use std::path::PathBuf;

use bithive_vm_host::{coin, Chain, ChainConfig};
use cosmwasm_std::Binary;
use serde_json::{json, Value};

const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

fn b64(v: &Value) -> String {
    Binary::from(serde_json::to_vec(v).unwrap()).to_base64()
}

struct World {
    chain: Chain,
    nft: String,
    frac: String,
    admin: String,
    alice: String,
}

fn world() -> World {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let nft_code = chain.store_code(&artifact("asset_nft.wasm")).unwrap();
    let share_code = chain.store_code(&artifact("asset_shares.wasm")).unwrap();
    let frac_code = chain.store_code(&artifact("fractional.wasm")).unwrap();
    let (admin, alice) = (chain.addr("admin"), chain.addr("alice"));
    let (nft, _) = chain
        .instantiate(
            nft_code,
            &admin,
            &json!({"name": "BitHive Assets", "symbol": "BHA", "admin": null,
                    "compliance_officer": admin,
                    "valuation": {"unit": "USD", "window": 5, "freshness_secs": 86400, "quorum": 1}}),
            &[],
            "assets",
            Some(&admin),
        )
        .unwrap();
    let (frac, _) = chain
        .instantiate(
            frac_code,
            &admin,
            &json!({"admin": null, "share_code_id": share_code,
                    "nft_contracts": [nft], "cw20_allowlist": []}),
            &[],
            "fractional",
            Some(&admin),
        )
        .unwrap();
    let mut w = World {
        chain,
        nft,
        frac,
        admin,
        alice,
    };
    let (alice, frac) = (w.alice.clone(), w.frac.clone());
    w.approve(&alice);
    w.approve(&frac);
    w
}

impl World {
    fn approve(&mut self, who: &str) {
        self.chain
            .execute(
                &self.nft,
                &self.admin,
                &json!({"approve_holder": {"jurisdiction": "US", "holder": who}}),
                &[],
            )
            .unwrap();
    }
    fn mint(&mut self, id: &str, owner: &str) -> u64 {
        self.chain
            .execute(
                &self.nft,
                &self.admin,
                &json!({"mint": {"token_id": id, "owner": owner, "token_uri": null, "extension": {
                    "class": "medical_equipment",
                    "description_uri": "ipfs://bafyscanner",
                    "content_hash": "11".repeat(32),
                    "jurisdictions": [{"code": "US", "markers": ["approved_holders_only"]}],
                    "certifications": [],
                    "device_pubkey": null}}}),
                &[],
            )
            .unwrap()
            .gas_used
    }
    fn lock(&mut self, id: &str, shares: u128) -> String {
        let msg = json!({"shares": shares.to_string(), "share_name": "Scanner shares",
                         "share_symbol": "SCAN", "decimals": 0,
                         "reserve_price": {"asset": {"native": "uusd"}, "amount": "10000"}});
        let tx = self
            .chain
            .execute(
                &self.nft,
                &self.alice,
                &json!({"send_nft": {"contract": self.frac, "token_id": id, "msg": b64(&msg)}}),
                &[],
            )
            .unwrap();
        tx.attr("wasm", "share_token")
            .or_else(|| {
                tx.events
                    .iter()
                    .flat_map(|e| e.attributes.iter())
                    .find(|a| a.key == "share_token")
                    .map(|a| a.value.as_str())
            })
            .expect("share_token attribute")
            .to_string()
    }
    fn shares_of(&self, token: &str, who: &str) -> u128 {
        let v: Value = self
            .chain
            .query(token, &json!({"balance": {"address": who}}))
            .unwrap();
        v["balance"].as_str().unwrap().parse().unwrap()
    }
    fn owner_of(&self, id: &str) -> String {
        let v: Value = self
            .chain
            .query(&self.nft, &json!({"owner_of": {"token_id": id}}))
            .unwrap();
        v["owner"].as_str().unwrap().to_string()
    }
}

#[test]
fn lock_revenue_claim_buyout_redeem_in_the_vm() {
    let mut w = world();
    let alice = w.alice.clone();
    w.mint("scanner-1", &alice);
    let shares = w.lock("scanner-1", 1_000);
    assert_eq!(w.shares_of(&shares, &alice), 1_000);
    assert_eq!(w.owner_of("scanner-1"), w.frac);
    let (bob, clinic, dave) = (
        w.chain.addr("bob"),
        w.chain.addr("clinic"),
        w.chain.addr("dave"),
    );
    w.chain
        .execute(
            &shares,
            &alice,
            &json!({"transfer": {"recipient": bob, "amount": "400"}}),
            &[],
        )
        .unwrap();
    w.chain.mint_native(&clinic, &[coin(1_000, IBC)]).unwrap();
    let frac = w.frac.clone();
    w.chain
        .execute(
            &frac,
            &clinic,
            &json!({"deposit_revenue": {"vault_id": 1}}),
            &[coin(1_000, IBC)],
        )
        .unwrap();
    w.chain
        .execute(&frac, &alice, &json!({"claim": {"vault_id": 1}}), &[])
        .unwrap();
    assert_eq!(w.chain.balance(&alice, IBC), 600);
    // A second claim has nothing left: a contract error, not a VM failure.
    let e = w
        .chain
        .execute(&frac, &alice, &json!({"claim": {"vault_id": 1}}), &[])
        .unwrap_err();
    assert!(e.is_contract_error(), "{e}");
    // Buyout by an approved holder, then bob redeems his 40 %.
    w.approve(&dave);
    w.chain.mint_native(&dave, &[coin(12_000, "uusd")]).unwrap();
    w.chain
        .execute(
            &frac,
            &dave,
            &json!({"buyout": {"vault_id": 1}}),
            &[coin(12_000, "uusd")],
        )
        .unwrap();
    assert_eq!(w.owner_of("scanner-1"), dave);
    w.chain
        .execute(
            &shares,
            &bob,
            &json!({"send": {"contract": frac, "amount": "400", "msg": b64(&json!({"redeem": {}}))}}),
            &[],
        )
        .unwrap();
    assert_eq!(w.chain.balance(&bob, "uusd"), 4_800);
    // Bob's revenue from before the buyout is still his.
    w.chain
        .execute(&frac, &bob, &json!({"claim": {"vault_id": 1}}), &[])
        .unwrap();
    assert_eq!(w.chain.balance(&bob, IBC), 400);
}

struct Gas {
    mint: u64,
    nft_transfer: u64,
    share_transfer: u64,
    deposit: u64,
    claim: u64,
}

/// `n` existing tokens and `n` share holders, then one of each operation.
fn gas_with(n: usize) -> Gas {
    let mut w = world();
    let alice = w.alice.clone();
    for i in 0..n {
        w.mint(&format!("t-{i}"), &alice);
    }
    w.mint("scanner-1", &alice);
    let shares = w.lock("scanner-1", 1_000_000);
    let holders: Vec<String> = (0..n)
        .map(|i| w.chain.addr(&format!("holder{i}")))
        .collect();
    for h in &holders {
        w.chain
            .execute(
                &shares,
                &alice,
                &json!({"transfer": {"recipient": h, "amount": "10"}}),
                &[],
            )
            .unwrap();
    }
    let clinic = w.chain.addr("clinic");
    w.chain
        .mint_native(&clinic, &[coin(10_000_000, IBC)])
        .unwrap();
    let frac = w.frac.clone();
    let deposit = |w: &mut World| {
        w.chain
            .execute(
                &frac,
                &clinic,
                &json!({"deposit_revenue": {"vault_id": 1}}),
                &[coin(1_000_000, IBC)],
            )
            .unwrap()
            .gas_used
    };
    deposit(&mut w); // first deposit creates the pool; measure a steady-state one
    let deposit_gas = deposit(&mut w);
    let claim = w
        .chain
        .execute(&frac, &holders[0], &json!({"claim": {"vault_id": 1}}), &[])
        .unwrap()
        .gas_used;
    let share_transfer = w
        .chain
        .execute(
            &shares,
            &holders[1],
            &json!({"transfer": {"recipient": holders[2], "amount": "1"}}),
            &[],
        )
        .unwrap()
        .gas_used;
    let bob = w.chain.addr("bob");
    w.approve(&bob);
    let mint = w.mint("new-token", &alice);
    let nft_transfer = w
        .chain
        .execute(
            &w.nft.clone(),
            &alice,
            &json!({"transfer_nft": {"recipient": bob, "token_id": "t-0"}}),
            &[],
        )
        .unwrap()
        .gas_used;
    Gas {
        mint,
        nft_transfer,
        share_transfer,
        deposit: deposit_gas,
        claim,
    }
}

#[test]
#[ignore = "large-scale gas run (10,000 holders); prints the BENCHMARKS.md table"]
fn gas_figures() {
    let small = gas_with(10);
    let large = gas_with(10_000);
    println!("| operation (CosmWasm gas) | 10 holders/tokens | 10,000 holders/tokens | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: &str, a: u64, b: u64| {
        println!("| {name} | {a} | {b} | {:.3} |", b as f64 / a as f64);
    };
    row("asset NFT mint", small.mint, large.mint);
    row(
        "asset NFT transfer (compliance-gated)",
        small.nft_transfer,
        large.nft_transfer,
    );
    row(
        "share transfer (incl. hook)",
        small.share_transfer,
        large.share_transfer,
    );
    row("revenue deposit", small.deposit, large.deposit);
    row("revenue claim", small.claim, large.claim);
    for (name, bytes) in ["asset_nft", "asset_shares", "fractional", "payfi_escrow"]
        .map(|n| (n, artifact(&format!("{n}.wasm")).len()))
    {
        println!(
            "wasm {name}: {bytes} bytes ({:.1} % of wasmd's 800 KiB)",
            bytes as f64 * 100.0 / 819_200.0
        );
    }
}
