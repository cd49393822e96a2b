//! The committed payfi_escrow artifact executed in cosmwasm-vm 3 through bithive-vm-host:
//! escrow release with fee, a payment channel paid by a voucher signed off chain with
//! `payfi_voucher` (k256), its replay refused, and a compute job. The `#[ignore]`d
//! `gas_figures` prints escrow release and voucher redeem gas with 10 and 10,000 payments:
//!
//!     cargo test -p payfi-escrow --test vm -- --ignored --nocapture gas_figures

use std::path::PathBuf;

use bithive_vm_host::{coin, Chain, ChainConfig};
use cosmwasm_std::Binary;
use payfi_voucher::VoucherSigner;
use serde_json::json;

const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

struct World {
    chain: Chain,
    pay: String,
    payer: String,
    payee: String,
    collector: String,
}

fn world() -> World {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let code = chain.store_code(&artifact("payfi_escrow.wasm")).unwrap();
    let [admin, payer, payee, collector, reporter] =
        ["admin", "payer", "payee", "collector", "reporter"].map(|n| chain.addr(n));
    let (pay, _) = chain
        .instantiate(
            code,
            &admin,
            &json!({"admin": null, "fee_bps": 100, "fee_collector": collector,
                    "cw20_allowlist": [], "reporters": [reporter]}),
            &[],
            "payfi",
            Some(&admin),
        )
        .unwrap();
    chain
        .mint_native(&payer, &[coin(1_000_000_000_000, IBC)])
        .unwrap();
    World {
        chain,
        pay,
        payer,
        payee,
        collector,
    }
}

impl World {
    fn create_escrow(&mut self, amount: u128) -> u64 {
        let expires = self
            .chain
            .block()
            .time
            .plus_seconds(86_400)
            .nanos()
            .to_string();
        self.chain
            .execute(
                &self.pay,
                &self.payer,
                &json!({"create_escrow": {"payee": self.payee, "arbiter": null,
                        "milestones": [(amount / 2).to_string(), (amount - amount / 2).to_string()],
                        "expires_at": expires,
                        "coding": {"payment_type": "diagnostic", "procedure_codes": ["70551"],
                                   "diagnosis_codes": ["G43.909"], "invoice_ref": "INV-1"}}}),
                &[coin(amount, IBC)],
            )
            .unwrap()
            .gas_used
    }
    fn release(&mut self, id: u64, milestone: u32) -> u64 {
        self.chain
            .execute(
                &self.pay,
                &self.payer,
                &json!({"release_milestone": {"escrow_id": id, "milestone": milestone}}),
                &[],
            )
            .unwrap()
            .gas_used
    }
    fn open_channel(&mut self, signer: &VoucherSigner, deposit: u128) {
        self.chain
            .execute(
                &self.pay,
                &self.payer,
                &json!({"open_channel": {"payee": self.payee,
                        "pubkey": Binary::from(signer.public_key_compressed().to_vec()).to_base64(),
                        "challenge_period_secs": 3600}}),
                &[coin(deposit, IBC)],
            )
            .unwrap();
    }
    fn redeem(
        &mut self,
        signer: &VoucherSigner,
        channel: u64,
        cumulative: u128,
    ) -> Result<u64, bithive_vm_host::HostError> {
        let chain_id = self.chain.config().chain_id.clone();
        let sig = signer
            .sign(&chain_id, &self.pay, channel, cumulative)
            .unwrap();
        self.chain
            .execute(
                &self.pay,
                &self.payee,
                &json!({"redeem_voucher": {"channel_id": channel,
                        "cumulative": cumulative.to_string(),
                        "signature": Binary::from(sig.to_vec()).to_base64()}}),
                &[],
            )
            .map(|t| t.gas_used)
    }
}

#[test]
fn escrow_channel_and_job_in_the_vm() {
    let mut w = world();
    w.create_escrow(1_000);
    w.release(1, 0);
    assert_eq!(w.chain.balance(&w.payee, IBC), 495);
    assert_eq!(w.chain.balance(&w.collector, IBC), 5);

    // Voucher signed off chain by the payer's key (k256), verified in the VM by
    // deps.api.secp256k1_verify.
    let signer = VoucherSigner::from_secret(&[42u8; 32]).unwrap();
    w.open_channel(&signer, 10_000);
    w.redeem(&signer, 1, 2_500).unwrap();
    assert_eq!(w.chain.balance(&w.payee, IBC), 495 + 2_475);
    // The same voucher again, and one from another key: contract errors, nothing paid.
    let again = w.redeem(&signer, 1, 2_500).unwrap_err();
    assert!(
        again.is_contract_error() && again.to_string().contains("not above"),
        "{again}"
    );
    let mallory = VoucherSigner::from_secret(&[43u8; 32]).unwrap();
    let forged = w.redeem(&mallory, 1, 3_000).unwrap_err();
    assert!(forged.is_contract_error(), "{forged}");
    assert_eq!(w.chain.balance(&w.payee, IBC), 495 + 2_475);

    // Compute job paid to the reported node.
    let expires = w.chain.block().time.plus_seconds(600).nanos().to_string();
    let (payer, pay) = (w.payer.clone(), w.pay.clone());
    w.chain
        .execute(
            &pay,
            &payer,
            &json!({"create_job": {"job_id": "job-1", "expires_at": expires}}),
            &[coin(1_000, IBC)],
        )
        .unwrap();
    let (reporter, node) = (w.chain.addr("reporter"), w.chain.addr("node"));
    w.chain
        .execute(
            &pay,
            &reporter,
            &json!({"report_job": {"job_id": "job-1", "node": node}}),
            &[],
        )
        .unwrap();
    assert_eq!(w.chain.balance(&node, IBC), 990);
}

struct Gas {
    create: u64,
    release: u64,
    redeem: u64,
}

/// `n` earlier escrows and `n` earlier voucher payments, then one of each operation.
fn gas_with(n: u64) -> Gas {
    let mut w = world();
    for _ in 0..n {
        w.create_escrow(1_000);
    }
    let create = w.create_escrow(1_000);
    let release = w.release(n + 1, 0);
    let signer = VoucherSigner::from_secret(&[42u8; 32]).unwrap();
    w.open_channel(&signer, 1_000_000_000);
    for i in 1..=n {
        w.redeem(&signer, 1, i as u128 * 10).unwrap();
    }
    let redeem = w.redeem(&signer, 1, (n as u128 + 1) * 10).unwrap();
    Gas {
        create,
        release,
        redeem,
    }
}

#[test]
#[ignore = "large-scale gas run (10,000 payments); prints the BENCHMARKS.md table"]
fn gas_figures() {
    let small = gas_with(10);
    let large = gas_with(10_000);
    println!("| operation (CosmWasm gas) | after 10 payments | after 10,000 payments | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: &str, a: u64, b: u64| {
        println!("| {name} | {a} | {b} | {:.3} |", b as f64 / a as f64);
    };
    row("escrow create (2 milestones)", small.create, large.create);
    row("escrow milestone release", small.release, large.release);
    row(
        "voucher redeem (secp256k1 verify)",
        small.redeem,
        large.redeem,
    );
}
