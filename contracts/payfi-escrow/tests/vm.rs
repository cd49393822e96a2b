//! The committed `bithive_payfi_escrow.wasm` executed in cosmwasm-vm 3 through bithive-vm-host, with
//! wasmd's storage gas: milestone escrow with fee, dispute resolved by the arbiter, refund after
//! expiry; a payment channel paid by vouchers signed off chain by `payfi_voucher` (k256) and
//! verified in the VM by `secp256k1_verify` (highest voucher redeemed, replays, other chains and
//! other contracts refused, close after the challenge period); compute jobs (spec in the event,
//! report pays the node, refund after expiry). Gas figures: `cargo run -p payfi-escrow --example payfi_gas`.

mod vm_world;

use bithive_cw_test_fixtures::cloned;
use bithive_payfi_escrow::msg::ExecuteMsg;
use bithive_payfi_escrow::state::{EscrowStatus, JobStatus};
use bithive_payfi_voucher::VoucherSigner;
use cosmwasm_std::Uint128;
use sha2::{Digest, Sha256};
use vm_world::{assert_refused, World, FEE_BPS};

#[test]
fn escrow_milestones_dispute_and_fee_in_the_vm() {
    let mut w = World::new();
    cloned!(w => payer, payee, arbiter, collector);
    let start = w.bank(&payer);
    // Two milestones; the payer releases the first: 1 % fee to the collector.
    let (id, _) = w.create_escrow(&[600, 400], true);
    assert_eq!(w.bank(&w.pay.clone()), 1_000);
    w.release(&payer, id, 0).unwrap();
    assert_eq!((w.bank(&payee), w.bank(&collector)), (594, 6));
    // Nobody else releases, and a milestone pays once.
    assert_refused(w.release(&payee, id, 1), "unauthorized");
    assert_refused(w.release(&payer, id, 0), "already released");
    // The payee disputes: frozen, even for the payer, until the arbiter resolves.
    w.exec(&payee, &ExecuteMsg::Dispute { escrow_id: id }, 0)
        .unwrap();
    assert_refused(w.release(&payer, id, 1), "disputed");
    let resolve = |amount: u128| ExecuteMsg::Resolve {
        escrow_id: id,
        payee_amount: Uint128::new(amount),
    };
    assert_refused(w.exec(&payer, &resolve(100), 0), "arbiter");
    assert_refused(w.exec(&arbiter, &resolve(401), 0), "exceeds the remaining");
    w.exec(&arbiter, &resolve(300), 0).unwrap();
    // 300 to the payee minus 3 fee, 100 back to the payer; books balance.
    assert_eq!((w.bank(&payee), w.bank(&collector)), (594 + 297, 6 + 3));
    assert_eq!(start - w.bank(&payer), 1_000 - 100);
    let e = w.escrow(id);
    assert_eq!(e.status, EscrowStatus::Closed);
    assert_eq!(
        e.paid_to_payee + e.fees_paid + e.refunded,
        Uint128::new(1_000)
    );
    assert_eq!(w.bank(&w.pay.clone()), 0);

    // Refund after expiry, not before.
    let (id2, _) = w.create_escrow(&[250], false);
    let stranger = w.chain.addr("stranger");
    let refund = ExecuteMsg::Refund { escrow_id: id2 };
    assert_refused(w.exec(&stranger, &refund, 0), "not expired");
    w.chain.advance(86_400);
    let before = w.bank(&payer);
    w.exec(&stranger, &refund, 0).unwrap();
    assert_eq!(w.bank(&payer) - before, 250);
}

#[test]
fn vouchers_signed_off_chain_redeem_once_on_this_chain_and_contract() {
    let mut w = World::new();
    let (payer, payee, collector) = (w.payer.clone(), w.payee.clone(), w.collector.clone());
    // The payer's voucher key lives off chain; only its compressed public key goes on chain.
    let signer = VoucherSigner::from_secret(&[42u8; 32]).unwrap();
    let ch = w.open_channel(&signer, 10_000, 3_600);
    // The payer hands out cumulative vouchers 1_000, 3_000, 2_500 (out of order); the payee
    // redeems the highest.
    w.redeem(&signer, ch, 3_000).unwrap();
    assert_eq!((w.bank(&payee), w.bank(&collector)), (2_970, 30));
    // Replay of the same voucher, and an older lower one: refused, nothing paid.
    assert_refused(w.redeem(&signer, ch, 3_000), "not above the redeemed");
    assert_refused(w.redeem(&signer, ch, 2_500), "not above the redeemed");
    // Signed by another key, for another chain id, or for another contract: refused.
    let mallory = VoucherSigner::from_secret(&[43u8; 32]).unwrap();
    assert_refused(w.redeem(&mallory, ch, 4_000), "signature does not verify");
    let here = w.pay.clone();
    assert_refused(
        w.redeem_signed(&signer, "other-chain-1", &here, ch, 4_000),
        "signature does not verify",
    );
    // A second payfi contract with a channel of the same id and key: a voucher for it does not
    // pay here, and one for here does not pay there.
    let other = w.instantiate("payfi-2");
    let chain_id = w.chain.config().chain_id.clone();
    assert_refused(
        w.redeem_signed(&signer, &chain_id, &other, ch, 4_000),
        "signature does not verify",
    );
    let pay = std::mem::replace(&mut w.pay, other);
    let ch2 = w.open_channel(&signer, 10_000, 3_600);
    assert_eq!(ch2, ch);
    assert_refused(
        w.redeem_signed(&signer, &chain_id, &pay, ch2, 4_000),
        "signature does not verify",
    );
    w.pay = pay;
    // Above the deposit: refused.
    assert_refused(w.redeem(&signer, ch, 10_001), "exceeds the deposit");
    assert_eq!(w.bank(&payee), 2_970);

    // Close: the payer asks, the payee may still redeem during the challenge period, the payer
    // finalizes only after it and gets the rest back.
    let before = w.bank(&payer);
    w.exec(&payer, &ExecuteMsg::RequestClose { channel_id: ch }, 0)
        .unwrap();
    let finalize = ExecuteMsg::FinalizeClose { channel_id: ch };
    assert_refused(w.exec(&payer, &finalize, 0), "challenge period");
    w.chain.advance(1_800);
    w.redeem(&signer, ch, 5_000).unwrap();
    assert_eq!(w.bank(&payee), 2_970 + 1_980);
    w.chain.advance(1_800);
    w.exec(&payer, &finalize, 0).unwrap();
    assert_eq!(w.bank(&payer) - before, 5_000);
    let c = w.channel(ch);
    assert!(c.closed);
    assert_eq!(
        c.paid_to_payee + c.fees_paid + c.refunded,
        Uint128::new(10_000)
    );
    assert_refused(w.redeem(&signer, ch, 6_000), "closed");
}

#[test]
fn compute_job_create_report_refund_in_the_vm() {
    let mut w = World::new();
    let (payer, reporter, node) = (w.payer.clone(), w.reporter.clone(), w.node.clone());
    let input = br#"{"synthetic":true,"features":[0.1,0.7,0.2]}"#;
    let tx = w
        .exec(&payer, &w.job_msg("job-1", 600, input), 1_000)
        .unwrap();
    // The relayer reads the job spec from the event.
    assert_eq!(tx.attr("wasm", "model"), Some("retina-cnn-v2"));
    let hash = cosmwasm_std::HexBinary::from(Sha256::digest(input).as_slice()).to_hex();
    assert_eq!(tx.attr("wasm", "input_hash"), Some(hash.as_str()));
    // The job's id (scoped to the payer) is the event's.
    let job1 = tx.attr("wasm", "job_id").expect("job_id").to_string();
    let job = w.job(&job1);
    assert_eq!(
        (job.model.as_str(), job.input.as_slice()),
        ("retina-cnn-v2", &input[..])
    );
    assert_eq!(job.input_hash, hash);
    // Oversized input: a contract error.
    assert_refused(
        w.exec(&payer, &w.job_msg("job-big", 600, &[1u8; 4097]), 1_000),
        "at most 4096 bytes",
    );
    // Only a reporter (the attestation contract's role) pays the node.
    let report = |id: &str| ExecuteMsg::ReportJob {
        job_id: id.into(),
        node: node.clone(),
        tscore: None,
    };
    assert_refused(w.exec(&payer, &report(&job1), 0), "reporter");
    w.exec(&reporter, &report(&job1), 0).unwrap();
    assert_eq!(w.bank(&node), 1_000 - 1_000 * u128::from(FEE_BPS) / 10_000);
    assert_eq!(
        w.job(&job1).status,
        JobStatus::Paid {
            node: cosmwasm_std::Addr::unchecked(node.clone())
        }
    );
    // Unreported job: refunded from expiry on, and then it can no longer be reported.
    let tx = w.exec(&payer, &w.job_msg("job-2", 600, b""), 700).unwrap();
    let job2 = tx.attr("wasm", "job_id").expect("job_id").to_string();
    let refund = ExecuteMsg::RefundJob {
        job_id: job2.clone(),
    };
    assert_refused(w.exec(&payer, &refund, 0), "not expired");
    w.chain.advance(600);
    assert_refused(w.exec(&reporter, &report(&job2), 0), "expired");
    let before = w.bank(&payer);
    w.exec(&payer, &refund, 0).unwrap();
    assert_eq!(w.bank(&payer) - before, 700);
    assert_eq!(w.job(&job2).status, JobStatus::Refunded);
}
