//! cw-multi-test suite of payfi-escrow: every message and error, cw20 and native (`ibc/`)
//! assets, a non-allowlisted and a forged cw20, and a payee contract that rejects every call.

mod escrow_registry;

use bithive_cw_test_fixtures::suite::wasm_attr;
use bithive_cw_test_fixtures::{
    self as fixtures, assert_migrate_refusals, assert_upgrades, cloned, contract_err,
};
use bithive_payfi_escrow::coding::{PaymentCoding, PaymentType};
use bithive_payfi_escrow::msg::*;
use bithive_payfi_escrow::state::{Channel, Escrow, EscrowStatus, Job, JobStatus};
use bithive_payfi_escrow::{ContractError, FundsError};
use bithive_payfi_voucher::{TextVoucher, VoucherAsset, VoucherSigner};
use cosmwasm_std::{coin, coins, to_json_binary, Addr, Binary, Coin, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use escrow_registry::{
    dispute_job, escrow_contract, escrow_init, finalize_job, refund_job, report_job,
    resolve_job_dispute, ConfigChange,
};

type AnyResult = anyhow::Result<AppResponse>;

const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

struct T {
    app: App,
    code: u64,
    pay: Addr,
    usdc: Addr,
    cw20_code: u64,
    admin: Addr,
    payer: Addr,
    payee: Addr,
    arbiter: Addr,
    collector: Addr,
    reporter: Addr,
    node: Addr,
    stranger: Addr,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    contract_err(r)
}

/// Asserts `e` is `ContractError::Invalid` naming `field`.
#[track_caller]
fn assert_invalid(e: ContractError, field: &str) {
    assert!(
        matches!(&e, ContractError::Invalid { field: f, .. } if *f == field),
        "expected Invalid {{ field: {field:?}, .. }}, got {e:?}"
    );
}

/// The error of `payer` creating escrow `m` funded with 300 IBC.
fn create_escrow_err(t: &mut T, m: CreateEscrowMsg) -> ContractError {
    let payer = t.payer.clone();
    err(t.exec(&payer, ExecuteMsg::CreateEscrow(m), &coins(300, IBC)))
}

fn coding(reference: &str) -> PaymentCoding {
    PaymentCoding {
        payment_type: PaymentType::Diagnostic,
        procedure_codes: vec!["70551".into()],
        diagnosis_codes: vec!["G43.909".into()],
        invoice_ref: reference.into(),
    }
}

fn release_msg(escrow_id: u64, milestone: u32) -> ExecuteMsg {
    ExecuteMsg::ReleaseMilestone {
        escrow_id,
        milestone,
    }
}

fn resolve_msg(escrow_id: u64, payee_amount: u128) -> ExecuteMsg {
    ExecuteMsg::Resolve {
        escrow_id,
        payee_amount: Uint128::new(payee_amount),
    }
}

fn setup() -> T {
    let mut app = App::default();
    let api = *app.api();
    let code = app.store_code(escrow_contract());
    let cw20_code = fixtures::cw20_base_code(&mut app);
    let mut t = T {
        app,
        code,
        pay: Addr::unchecked(""),
        usdc: Addr::unchecked(""),
        cw20_code,
        admin: api.addr_make("admin"),
        payer: api.addr_make("payer"),
        payee: api.addr_make("payee"),
        arbiter: api.addr_make("arbiter"),
        collector: api.addr_make("collector"),
        reporter: api.addr_make("reporter"),
        node: api.addr_make("node"),
        stranger: api.addr_make("stranger"),
    };
    let payer_funds = vec![coin(100_000_000, IBC), coin(100_000_000, "uusd")];
    fixtures::fund(&mut t.app, &t.payer, payer_funds);
    fixtures::fund(&mut t.app, &t.stranger, coins(1_000, IBC));
    t.usdc = t.new_cw20("USDC");
    t.pay = t.new_payfi();
    t
}

impl T {
    fn new_cw20(&mut self, sym: &str) -> Addr {
        let (app, code) = (&mut self.app, self.cw20_code);
        fixtures::new_cw20(app, code, &self.admin, &self.payer, sym, 1_000_000)
    }
    fn new_payfi(&mut self) -> Addr {
        let init = InstantiateMsg {
            cw20_allowlist: vec![self.usdc.to_string()],
            ..escrow_init(100, &self.collector, &self.reporter, 0)
        };
        self.app
            .instantiate_contract(self.code, self.admin.clone(), &init, &[], "payfi", None)
            .unwrap()
    }
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg, funds: &[Coin]) -> AnyResult {
        let pay = self.pay.clone();
        self.app.execute_contract(who.clone(), pay, &msg, funds)
    }
    /// `who` sends `amount` of cw20 `token` to the escrow with `msg`.
    fn send_cw20(&mut self, who: &Addr, token: &Addr, amount: u128, msg: &ReceiveMsg) -> AnyResult {
        fixtures::suite::cw20_send(&mut self.app, who, token, &self.pay, amount, msg)
    }
    fn q<R: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> R {
        self.app.wrap().query_wasm_smart(&self.pay, msg).unwrap()
    }
    fn now(&self) -> Timestamp {
        self.app.block_info().time
    }
    fn escrow_msg(&self, milestones: &[u128], arbiter: bool, reference: &str) -> CreateEscrowMsg {
        CreateEscrowMsg {
            payee: self.payee.to_string(),
            arbiter: arbiter.then(|| self.arbiter.to_string()),
            milestones: milestones.iter().map(|m| Uint128::new(*m)).collect(),
            expires_at: self.now().plus_seconds(1_000),
            coding: coding(reference),
        }
    }
    fn create(&mut self, milestones: &[u128], arbiter: bool) -> anyhow::Result<AppResponse> {
        let total: u128 = milestones.iter().sum();
        let m = self.escrow_msg(milestones, arbiter, "INV-1");
        let payer = self.payer.clone();
        self.exec(&payer, ExecuteMsg::CreateEscrow(m), &coins(total, IBC))
    }
    fn escrow(&self, id: u64) -> Escrow {
        self.q(&QueryMsg::Escrow { escrow_id: id })
    }
    /// The job `payer` created as `id`.
    fn job(&self, payer: &Addr, id: &str) -> Job {
        self.q(&QueryMsg::Job {
            job_id: job_id(payer.as_str(), id),
        })
    }
    fn bank(&self, who: &Addr, denom: &str) -> u128 {
        fixtures::bank_balance(&self.app, who, denom)
    }
    fn cw20_balance(&self, token: &Addr, who: &Addr) -> u128 {
        fixtures::cw20_balance(&self.app, token, who)
    }
    fn advance(&mut self, secs: u64) {
        fixtures::advance(&mut self.app, secs);
    }
}

#[test]
fn milestones_release_with_fee_then_refund_after_expiry() {
    let mut t = setup();
    t.create(&[100, 200, 700], true).unwrap();
    cloned!(t => payer, arbiter, stranger, payee);
    let rel = |i: u32| release_msg(1, i);
    assert_eq!(
        err(t.exec(&stranger, rel(0), &[])),
        ContractError::Unauthorized {
            role: "payer or arbiter"
        }
    );
    assert_eq!(
        err(t.exec(&payee, rel(0), &[])),
        ContractError::Unauthorized {
            role: "payer or arbiter"
        }
    );
    t.exec(&payer, rel(0), &[]).unwrap();
    assert_eq!(t.bank(&t.payee, IBC), 99);
    assert_eq!(t.bank(&t.collector, IBC), 1);
    assert_eq!(
        err(t.exec(&payer, rel(0), &[])),
        ContractError::MilestoneReleased { index: 0 }
    );
    assert_eq!(
        err(t.exec(&payer, rel(9), &[])),
        ContractError::NoSuchMilestone { index: 9 }
    );
    t.exec(&arbiter, rel(1), &[]).unwrap();
    assert_eq!(t.bank(&t.payee, IBC), 99 + 198);
    assert!(matches!(
        err(t.exec(&stranger, ExecuteMsg::Refund { escrow_id: 1 }, &[])),
        ContractError::NotExpired { .. }
    ));
    t.advance(1_000);
    let before = t.bank(&payer, IBC);
    t.exec(&stranger, ExecuteMsg::Refund { escrow_id: 1 }, &[])
        .unwrap();
    assert_eq!(t.bank(&payer, IBC) - before, 700);
    let e = t.escrow(1);
    assert_eq!(e.status, EscrowStatus::Closed);
    assert_eq!(
        e.paid_to_payee + e.fees_paid + e.refunded,
        Uint128::new(1_000)
    );
    assert_eq!(
        err(t.exec(&payer, rel(2), &[])),
        ContractError::EscrowNotOpen {
            id: 1,
            status: "closed"
        }
    );
    assert_eq!(
        err(t.exec(&payer, ExecuteMsg::Refund { escrow_id: 7 }, &[])),
        ContractError::EscrowNotFound { id: 7 }
    );
}

#[test]
fn all_milestones_released_closes() {
    let mut t = setup();
    t.create(&[500, 500], false).unwrap();
    let payer = t.payer.clone();
    for i in 0..2 {
        t.exec(&payer, release_msg(1, i), &[]).unwrap();
    }
    assert_eq!(t.escrow(1).status, EscrowStatus::Closed);
    assert_eq!(t.bank(&t.payee, IBC) + t.bank(&t.collector, IBC), 1_000);
}

#[test]
fn create_errors() {
    let mut t = setup();
    let payer = t.payer.clone();
    let m = t.escrow_msg(&[100, 200], true, "INV-1");
    assert!(matches!(
        err(t.exec(
            &payer,
            ExecuteMsg::CreateEscrow(m.clone()),
            &coins(301, IBC)
        )),
        ContractError::MilestoneMismatch { .. }
    ));
    assert!(matches!(
        err(t.exec(&payer, ExecuteMsg::CreateEscrow(m.clone()), &[])),
        ContractError::Funds(FundsError::Payment(_))
    ));
    assert!(matches!(
        err(t.exec(
            &payer,
            ExecuteMsg::CreateEscrow(m.clone()),
            &[coin(150, IBC), coin(150, "uusd")]
        )),
        ContractError::Funds(FundsError::Payment(_))
    ));
    let mut bad = m.clone();
    bad.expires_at = t.now();
    assert_invalid(create_escrow_err(&mut t, bad), "expires_at");
    let mut bad = m.clone();
    bad.coding.invoice_ref = "Jane Roe DOB 1970".into();
    assert!(matches!(
        create_escrow_err(&mut t, bad),
        ContractError::InvalidCoding { .. }
    ));
    let mut bad = m.clone();
    bad.payee = payer.to_string();
    assert_invalid(create_escrow_err(&mut t, bad), "parties");
    let mut bad = m.clone();
    bad.milestones = vec![];
    assert_invalid(create_escrow_err(&mut t, bad), "milestones");
    let mut bad = m;
    bad.milestones = vec![Uint128::zero(), Uint128::new(300)];
    assert_invalid(create_escrow_err(&mut t, bad), "milestones");
}

#[test]
fn dispute_freezes_until_arbiter_resolves() {
    let mut t = setup();
    t.create(&[400, 600], true).unwrap();
    t.create(&[10], false).unwrap();
    cloned!(t => payer, payee, arbiter, stranger);
    assert_eq!(
        err(t.exec(&stranger, ExecuteMsg::Dispute { escrow_id: 1 }, &[])),
        ContractError::Unauthorized {
            role: "payer or payee"
        }
    );
    assert_eq!(
        err(t.exec(&payer, ExecuteMsg::Dispute { escrow_id: 2 }, &[])),
        ContractError::NoArbiter {}
    );
    assert!(matches!(
        err(t.exec(&arbiter, resolve_msg(1, 0), &[])),
        ContractError::EscrowNotOpen { .. }
    ));
    t.exec(&payee, ExecuteMsg::Dispute { escrow_id: 1 }, &[])
        .unwrap();
    assert_eq!(
        err(t.exec(&payer, release_msg(1, 0), &[])),
        ContractError::EscrowNotOpen {
            id: 1,
            status: "disputed"
        }
    );
    t.advance(2_000);
    assert!(matches!(
        err(t.exec(&payer, ExecuteMsg::Refund { escrow_id: 1 }, &[])),
        ContractError::EscrowNotOpen { .. }
    ));
    assert!(matches!(
        err(t.exec(&payer, ExecuteMsg::Dispute { escrow_id: 1 }, &[])),
        ContractError::EscrowNotOpen { .. }
    ));
    assert_eq!(
        err(t.exec(&payer, resolve_msg(1, 1), &[])),
        ContractError::Unauthorized { role: "arbiter" }
    );
    assert!(matches!(
        err(t.exec(&arbiter, resolve_msg(1, 1_001), &[])),
        ContractError::ResolveTooMuch { .. }
    ));
    let before = t.bank(&payer, IBC);
    t.exec(&arbiter, resolve_msg(1, 600), &[]).unwrap();
    assert_eq!(t.bank(&payee, IBC), 594);
    assert_eq!(t.bank(&t.collector, IBC), 6);
    assert_eq!(t.bank(&payer, IBC) - before, 400);
    assert_eq!(t.escrow(1).status, EscrowStatus::Closed);
}

#[test]
fn queries_by_payer_payee_reference_paginate() {
    let mut t = setup();
    let payer = t.payer.clone();
    for i in 0..5 {
        let m = t.escrow_msg(&[10], false, if i % 2 == 0 { "INV-A" } else { "INV-B" });
        t.exec(&payer, ExecuteMsg::CreateEscrow(m), &coins(10, IBC))
            .unwrap();
    }
    let q = |t: &T, msg: QueryMsg| -> Vec<u64> {
        let r: EscrowsResponse = t.q(&msg);
        r.escrows.iter().map(|e| e.id).collect()
    };
    let page1 = q(
        &t,
        QueryMsg::EscrowsByPayer {
            payer: payer.to_string(),
            start_after: None,
            limit: Some(2),
        },
    );
    assert_eq!(page1, vec![1, 2]);
    let page2 = q(
        &t,
        QueryMsg::EscrowsByPayer {
            payer: payer.to_string(),
            start_after: Some(2),
            limit: Some(10),
        },
    );
    assert_eq!(page2, vec![3, 4, 5]);
    let by_payee = q(
        &t,
        QueryMsg::EscrowsByPayee {
            payee: t.payee.to_string(),
            start_after: Some(4),
            limit: None,
        },
    );
    assert_eq!(by_payee, vec![5]);
    let by_ref = q(
        &t,
        QueryMsg::EscrowsByReference {
            invoice_ref: "INV-A".into(),
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(by_ref, vec![1, 3, 5]);
    let none = q(
        &t,
        QueryMsg::EscrowsByPayer {
            payer: t.stranger.to_string(),
            start_after: None,
            limit: None,
        },
    );
    assert!(none.is_empty());
}

#[test]
fn cw20_escrow_allowlist_forgery_and_rejecting_payee() {
    let mut t = setup();
    // A payee contract that rejects every execute: cw20 payouts use Transfer, so it cannot block.
    let admin = t.admin.clone();
    let hostile = fixtures::rejecting_contract(&mut t.app, &admin);
    let payer = t.payer.clone();
    let mut m = t.escrow_msg(&[1_000], false, "INV-C");
    m.payee = hostile.to_string();
    let usdc = t.usdc.clone();
    let create = ReceiveMsg::CreateEscrow(m.clone());
    t.send_cw20(&payer, &usdc, 1_000, &create).unwrap();
    t.exec(&payer, release_msg(1, 0), &[]).unwrap();
    assert_eq!(t.cw20_balance(&t.usdc, &hostile), 990);
    assert_eq!(t.cw20_balance(&t.usdc, &t.collector), 10);
    // A cw20 that is not allowlisted.
    let junk = t.new_cw20("JUNK");
    let r = t.send_cw20(&payer, &junk, 1_000, &create);
    assert_eq!(
        err(r),
        ContractError::Funds(FundsError::Cw20NotAccepted {
            contract: junk.to_string()
        })
    );
    // A forged Receive: a user pretending to be a cw20 with no tokens behind it.
    let r = t.exec(
        &payer,
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: payer.to_string(),
            amount: Uint128::new(1_000_000),
            msg: to_json_binary(&ReceiveMsg::CreateEscrow(m)).unwrap(),
        }),
        &[],
    );
    assert!(matches!(
        err(r),
        ContractError::Funds(FundsError::Cw20NotAccepted { .. })
    ));
    // Allowlist management.
    let admin = t.admin.clone();
    let stranger = t.stranger.clone();
    let upd = ExecuteMsg::UpdateCw20Allowlist {
        add: vec![junk.to_string()],
        remove: vec![t.usdc.to_string()],
    };
    assert_eq!(
        err(t.exec(&stranger, upd.clone(), &[])),
        ContractError::Unauthorized { role: "admin" }
    );
    t.exec(&admin, upd, &[]).unwrap();
    let ok: bool = t.q(&QueryMsg::IsCw20Allowed {
        address: junk.to_string(),
    });
    assert!(ok);
}

fn open_channel(t: &mut T, signer: &VoucherSigner, deposit: u128) {
    let payer = t.payer.clone();
    let msg = ExecuteMsg::OpenChannel(OpenChannelMsg {
        payee: t.payee.to_string(),
        pubkey: Binary::from(signer.public_key_compressed().to_vec()),
        challenge_period_secs: 3_600,
    });
    t.exec(&payer, msg, &coins(deposit, IBC)).unwrap();
}

/// ADR 011: a voucher signed as a browser wallet signs (ADR-36, by the payer's address) redeems
/// in its own form only; the forms share one running total, so neither pays what the other did;
/// a message without `form` (an older client) is the raw form.
#[test]
fn a_wallet_signed_voucher_redeems_in_its_form_only() {
    let mut t = setup();
    let signer = VoucherSigner::from_secret(&[11u8; 32]).unwrap();
    open_channel(&mut t, &signer, 1_000);
    let chain = t.app.block_info().chain_id;
    let contract = t.pay.to_string();
    cloned!(t => payer, payee);
    let redeem = |cum: u128, sig: [u8; 64], form: Option<VoucherForm>| ExecuteMsg::RedeemVoucher {
        channel_id: 1,
        cumulative: Uint128::new(cum),
        signature: Binary::from(sig.to_vec()),
        form,
    };
    let payee_str = payee.to_string();
    let text = |cum: u128| TextVoucher {
        chain_id: &chain,
        contract: &contract,
        channel_id: 1,
        payee: &payee_str,
        asset: VoucherAsset::Native(IBC),
        cumulative: cum,
    };
    let wallet = |signer_addr: &str, cum: u128| signer.sign_adr36(signer_addr, &text(cum)).unwrap();
    // The wallet's signature is not a raw voucher, and a raw one is not a wallet's.
    assert_eq!(
        err(t.exec(&payee, redeem(100, wallet(payer.as_str(), 100), None), &[])),
        ContractError::BadVoucherSignature {}
    );
    let raw = signer.sign(&chain, &contract, 1, 100).unwrap();
    assert_eq!(
        err(t.exec(&payee, redeem(100, raw, Some(VoucherForm::Adr36)), &[])),
        ContractError::BadVoucherSignature {}
    );
    // Signed as another account's text (the payee's address as signer): refused.
    assert_eq!(
        err(t.exec(
            &payee,
            redeem(100, wallet(payee.as_str(), 100), Some(VoucherForm::Adr36)),
            &[]
        )),
        ContractError::BadVoucherSignature {}
    );
    // A text naming another payee or another asset than the channel's: refused, so what the
    // wallet showed the payer is what pays. So is the v1 text (no payee, no asset): this escrow
    // was instantiated with v2, none of its channels takes it.
    let stranger = t.stranger.to_string();
    for shown in [
        TextVoucher {
            payee: &stranger,
            ..text(100)
        },
        TextVoucher {
            asset: VoucherAsset::Native("uusd"),
            ..text(100)
        },
        TextVoucher {
            asset: VoucherAsset::Cw20(IBC),
            ..text(100)
        },
    ] {
        let sig = signer.sign_adr36(payer.as_str(), &shown).unwrap();
        assert_eq!(
            err(t.exec(&payee, redeem(100, sig, Some(VoucherForm::Adr36)), &[])),
            ContractError::BadVoucherSignature {},
            "{shown:?}"
        );
    }
    let v1 = signer
        .sign_adr36_v1(payer.as_str(), &chain, &contract, 1, 100)
        .unwrap();
    assert_eq!(
        err(t.exec(&payee, redeem(100, v1, Some(VoucherForm::Adr36)), &[])),
        ContractError::BadVoucherSignature {}
    );
    let r = t
        .exec(
            &payee,
            redeem(100, wallet(payer.as_str(), 100), Some(VoucherForm::Adr36)),
            &[],
        )
        .unwrap();
    assert_eq!(wasm_attr(&r, "form").as_deref(), Some("adr36"));
    assert_eq!(t.bank(&payee, IBC), 99);
    // One running total: the raw voucher for the same total pays nothing more.
    assert!(matches!(
        err(t.exec(&payee, redeem(100, raw, Some(VoucherForm::Raw)), &[])),
        ContractError::VoucherAlreadyRedeemed { .. }
    ));
    // An older client's message (no `form`) is the raw form.
    let raw300 = signer.sign(&chain, &contract, 1, 300).unwrap();
    let old: ExecuteMsg = cosmwasm_std::from_json(format!(
        r#"{{"redeem_voucher":{{"channel_id":1,"cumulative":"300","signature":"{}"}}}}"#,
        Binary::from(raw300.to_vec()).to_base64()
    ))
    .unwrap();
    let r = t.exec(&payee, old, &[]).unwrap();
    assert_eq!(wasm_attr(&r, "form").as_deref(), Some("raw"));
    assert_eq!(t.bank(&payee, IBC), 99 + 198);
}

/// An escrow migrated from before the v2 voucher text: the channels it had keep redeeming the
/// v1 wallet vouchers their payers signed (nothing a payee was given is lost), and take v2 too;
/// a channel opened after the migration takes v2 only. A second migration moves nothing.
#[test]
fn channels_opened_before_v2_keep_their_v1_wallet_vouchers() {
    let mut t = setup();
    let init = InstantiateMsg {
        cw20_allowlist: vec![t.usdc.to_string()],
        ..escrow_init(100, &t.collector, &t.reporter, 0)
    };
    let admin = t.admin.clone();
    t.pay = t
        .app
        .instantiate_contract(
            t.code,
            admin.clone(),
            &init,
            &[],
            "payfi",
            Some(admin.to_string()),
        )
        .unwrap();
    let signer = VoucherSigner::from_secret(&[11u8; 32]).unwrap();
    open_channel(&mut t, &signer, 1_000);
    open_channel(&mut t, &signer, 1_000);
    // The escrow's state before v2: all of it but the v2 mark.
    let pay = t.pay.clone();
    t.app.contract_storage_mut(&pay).remove(b"adr36_v1_until");
    let (code, migrate) = (t.code, MigrateMsg {});
    t.app
        .migrate_contract(admin.clone(), pay.clone(), &migrate, code)
        .unwrap();
    open_channel(&mut t, &signer, 1_000);
    // Migrated again with channel 3 open: the mark stays at 2.
    t.app
        .migrate_contract(admin.clone(), pay.clone(), &migrate, code)
        .unwrap();
    let chain = t.app.block_info().chain_id;
    let contract = t.pay.to_string();
    cloned!(t => payer, payee);
    let payee_str = payee.to_string();
    let redeem = |channel_id: u64, cum: u128, sig: [u8; 64]| ExecuteMsg::RedeemVoucher {
        channel_id,
        cumulative: Uint128::new(cum),
        signature: Binary::from(sig.to_vec()),
        form: Some(VoucherForm::Adr36),
    };
    let v1 = |channel: u64, cum: u128| {
        signer
            .sign_adr36_v1(payer.as_str(), &chain, &contract, channel, cum)
            .unwrap()
    };
    let v2 = |channel: u64, cum: u128| {
        let text = TextVoucher {
            chain_id: &chain,
            contract: &contract,
            channel_id: channel,
            payee: &payee_str,
            asset: VoucherAsset::Native(IBC),
            cumulative: cum,
        };
        signer.sign_adr36(payer.as_str(), &text).unwrap()
    };
    for channel in [1, 2] {
        t.exec(&payee, redeem(channel, 100, v1(channel, 100)), &[])
            .unwrap();
        t.exec(&payee, redeem(channel, 200, v2(channel, 200)), &[])
            .unwrap();
    }
    assert_eq!(
        err(t.exec(&payee, redeem(3, 100, v1(3, 100)), &[])),
        ContractError::BadVoucherSignature {}
    );
    t.exec(&payee, redeem(3, 100, v2(3, 100)), &[]).unwrap();
    let c: Channel = t.q(&QueryMsg::Channel { channel_id: 2 });
    assert_eq!(c.redeemed, Uint128::new(200));
}

#[test]
fn channel_vouchers_redeem_once_and_close() {
    let mut t = setup();
    let signer = VoucherSigner::from_secret(&[11u8; 32]).unwrap();
    open_channel(&mut t, &signer, 1_000);
    let chain = t.app.block_info().chain_id;
    let contract = t.pay.to_string();
    cloned!(t => payer, payee, stranger);
    let voucher = |cum: u128, chain: &str, contract: &str| ExecuteMsg::RedeemVoucher {
        channel_id: 1,
        cumulative: Uint128::new(cum),
        signature: Binary::from(signer.sign(chain, contract, 1, cum).unwrap().to_vec()),
        form: None,
    };
    assert_eq!(
        err(t.exec(&stranger, voucher(100, &chain, &contract), &[])),
        ContractError::Unauthorized { role: "payee" }
    );
    t.exec(&payee, voucher(100, &chain, &contract), &[])
        .unwrap();
    assert_eq!(t.bank(&payee, IBC), 99);
    assert!(matches!(
        err(t.exec(&payee, voucher(100, &chain, &contract), &[])),
        ContractError::VoucherAlreadyRedeemed { .. }
    ));
    assert!(matches!(
        err(t.exec(&payee, voucher(50, &chain, &contract), &[])),
        ContractError::VoucherAlreadyRedeemed { .. }
    ));
    assert!(matches!(
        err(t.exec(&payee, voucher(1_001, &chain, &contract), &[])),
        ContractError::VoucherExceedsDeposit { .. }
    ));
    assert_eq!(
        err(t.exec(&payee, voucher(300, "other-chain", &contract), &[])),
        ContractError::BadVoucherSignature {}
    );
    assert_eq!(
        err(t.exec(&payee, voucher(300, &chain, t.usdc.as_str()), &[])),
        ContractError::BadVoucherSignature {}
    );
    // Another signer's voucher.
    let mallory = VoucherSigner::from_secret(&[12u8; 32]).unwrap();
    let forged = ExecuteMsg::RedeemVoucher {
        channel_id: 1,
        cumulative: Uint128::new(300),
        signature: Binary::from(mallory.sign(&chain, &contract, 1, 300).unwrap().to_vec()),
        form: None,
    };
    assert_eq!(
        err(t.exec(&payee, forged, &[])),
        ContractError::BadVoucherSignature {}
    );
    t.exec(&payee, voucher(300, &chain, &contract), &[])
        .unwrap();
    assert_eq!(t.bank(&payee, IBC), 99 + 198);
    // Top-up by the payer only, same asset only.
    assert_eq!(
        err(t.exec(
            &stranger,
            ExecuteMsg::TopUpChannel { channel_id: 1 },
            &coins(5, IBC)
        )),
        ContractError::Unauthorized { role: "payer" }
    );
    assert_invalid(
        err(t.exec(
            &payer,
            ExecuteMsg::TopUpChannel { channel_id: 1 },
            &coins(5, "uusd"),
        )),
        "asset",
    );
    t.exec(
        &payer,
        ExecuteMsg::TopUpChannel { channel_id: 1 },
        &coins(500, IBC),
    )
    .unwrap();
    // Close: request, challenge period, payee can still redeem, then finalize.
    assert_eq!(
        err(t.exec(&payer, ExecuteMsg::FinalizeClose { channel_id: 1 }, &[])),
        ContractError::CloseNotRequested {}
    );
    assert_eq!(
        err(t.exec(&payee, ExecuteMsg::RequestClose { channel_id: 1 }, &[])),
        ContractError::Unauthorized { role: "payer" }
    );
    t.exec(&payer, ExecuteMsg::RequestClose { channel_id: 1 }, &[])
        .unwrap();
    t.advance(100);
    assert!(matches!(
        err(t.exec(&payer, ExecuteMsg::FinalizeClose { channel_id: 1 }, &[])),
        ContractError::ChallengePeriod { .. }
    ));
    t.exec(&payee, voucher(1_200, &chain, &contract), &[])
        .unwrap();
    t.advance(3_600);
    assert_eq!(
        err(t.exec(&payee, ExecuteMsg::FinalizeClose { channel_id: 1 }, &[])),
        ContractError::Unauthorized { role: "payer" }
    );
    let before = t.bank(&payer, IBC);
    t.exec(&payer, ExecuteMsg::FinalizeClose { channel_id: 1 }, &[])
        .unwrap();
    assert_eq!(t.bank(&payer, IBC) - before, 300);
    let c: Channel = t.q(&QueryMsg::Channel { channel_id: 1 });
    assert!(c.closed);
    assert_eq!(
        c.paid_to_payee + c.fees_paid + c.refunded,
        Uint128::new(1_500)
    );
    assert_eq!(
        err(t.exec(&payee, voucher(1_300, &chain, &contract), &[])),
        ContractError::ChannelClosed { id: 1 }
    );
    assert_eq!(
        err(t.exec(
            &payer,
            ExecuteMsg::TopUpChannel { channel_id: 1 },
            &coins(5, IBC)
        )),
        ContractError::ChannelClosed { id: 1 }
    );
    assert_eq!(
        err(t.exec(&payee, ExecuteMsg::PayeeClose { channel_id: 9 }, &[])),
        ContractError::ChannelNotFound { id: 9 }
    );
}

#[test]
fn voucher_is_bound_to_its_contract() {
    let mut t = setup();
    let signer = VoucherSigner::from_secret(&[11u8; 32]).unwrap();
    open_channel(&mut t, &signer, 1_000);
    let first = t.pay.clone();
    t.pay = t.new_payfi();
    open_channel(&mut t, &signer, 1_000);
    let chain = t.app.block_info().chain_id;
    // Same channel id 1 on both deployments: a voucher for the first is worthless on the second.
    let sig = signer.sign(&chain, first.as_str(), 1, 500).unwrap();
    let payee = t.payee.clone();
    let r = t.exec(
        &payee,
        ExecuteMsg::RedeemVoucher {
            channel_id: 1,
            cumulative: Uint128::new(500),
            signature: Binary::from(sig.to_vec()),
            form: None,
        },
        &[],
    );
    assert_eq!(err(r), ContractError::BadVoucherSignature {});
}

#[test]
fn channel_open_errors_and_payee_close() {
    let mut t = setup();
    let payer = t.payer.clone();
    let signer = VoucherSigner::from_secret(&[11u8; 32]).unwrap();
    let msg = |pubkey: Vec<u8>, secs: u64, payee: &Addr| {
        ExecuteMsg::OpenChannel(OpenChannelMsg {
            payee: payee.to_string(),
            pubkey: Binary::from(pubkey),
            challenge_period_secs: secs,
        })
    };
    let pk = signer.public_key_compressed().to_vec();
    let payee = t.payee.clone();
    assert_invalid(
        err(t.exec(&payer, msg(vec![4u8; 65], 3_600, &payee), &coins(10, IBC))),
        "pubkey",
    );
    assert_invalid(
        err(t.exec(&payer, msg(pk.clone(), 10, &payee), &coins(10, IBC))),
        "challenge_period_secs",
    );
    assert_invalid(
        err(t.exec(&payer, msg(pk.clone(), 3_600, &payer), &coins(10, IBC))),
        "payee",
    );
    assert!(matches!(
        err(t.exec(&payer, msg(pk.clone(), 3_600, &payee), &[])),
        ContractError::Funds(FundsError::Payment(_))
    ));
    // cw20 channel, closed by the payee at once.
    let usdc = t.usdc.clone();
    let open = ReceiveMsg::OpenChannel(OpenChannelMsg {
        payee: payee.to_string(),
        pubkey: Binary::from(pk),
        challenge_period_secs: 3_600,
    });
    t.send_cw20(&payer, &usdc, 800, &open).unwrap();
    let top_up = ReceiveMsg::TopUpChannel { channel_id: 1 };
    t.send_cw20(&payer, &usdc, 200, &top_up).unwrap();
    assert_eq!(
        err(t.exec(&payer, ExecuteMsg::PayeeClose { channel_id: 1 }, &[])),
        ContractError::Unauthorized { role: "payee" }
    );
    let before = t.cw20_balance(&t.usdc, &payer);
    t.exec(&payee, ExecuteMsg::PayeeClose { channel_id: 1 }, &[])
        .unwrap();
    assert_eq!(t.cw20_balance(&t.usdc, &payer) - before, 1_000);
}

/// Synthetic features (never patient data): what a relayer would hand the node.
const SYNTHETIC_INPUT: &[u8] = b"{\"features\":[0.12,0.5,0.33],\"synthetic\":true}";

fn sha256_hex(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    cosmwasm_std::HexBinary::from(Sha256::digest(b).as_slice()).to_hex()
}

fn job_msg(id: &str, expires_at: Timestamp) -> CreateJobMsg {
    CreateJobMsg {
        job_id: id.into(),
        expires_at,
        model: "retina-cnn-v2.1".into(),
        input: Binary::from(SYNTHETIC_INPUT),
        // The payer chooses the suite's node.
        node: Some(
            cosmwasm_std::testing::MockApi::default()
                .addr_make("node")
                .to_string(),
        ),
    }
}

/// A staking stand-in answering `pledge_status`: only `eligible` is a pledged node.
fn staking_stub(app: &mut App, eligible: &Addr) -> Addr {
    use bithive_interface::staking::{PledgeStatusResponse, QueryMsg as StakingQuery};
    use cosmwasm_std::{Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult};
    fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, node: String) -> StdResult<Response> {
        deps.storage.set(b"node", node.as_bytes());
        Ok(Response::new())
    }
    fn execute(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }
    fn query(deps: Deps, _: Env, msg: StakingQuery) -> StdResult<Binary> {
        let StakingQuery::PledgeStatus { node } = msg else {
            return Err(cosmwasm_std::StdError::generic_err("stub"));
        };
        let pledged = deps.storage.get(b"node").as_deref() == Some(node.as_bytes());
        to_json_binary(&PledgeStatusResponse {
            registered: pledged,
            bonded: Uint128::new(if pledged { 400 } else { 0 }),
            required: Uint128::new(400),
            full_rate: pledged,
            eligible: pledged,
            capacity_t: 4,
            grace_until: None,
            tier: None,
        })
    }
    let code = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    app.instantiate_contract(
        code,
        Addr::unchecked("deployer"),
        &eligible.to_string(),
        &[],
        "staking",
        None,
    )
    .unwrap()
}

/// Issue #20 (rogue node): the reporter paid whichever node it named, so a node that attested
/// an open job first was paid for a job another node ran. Now a job pays only its bound node:
/// the payer's choice, or the eligible node that claimed it before working.
#[test]
fn a_job_pays_only_its_bound_node() {
    let mut t = setup();
    cloned!(t => payer, reporter, node, stranger, admin);
    let expires = t.now().plus_seconds(600);
    let report = |id: &str, who: &Addr| report_job(&job_id(payer.as_str(), id), who);
    let create =
        |t: &mut T, m: CreateJobMsg| t.exec(&payer, ExecuteMsg::CreateJob(m), &coins(1_000, IBC));
    // Bound by the payer: another node is refused, nothing moves.
    create(&mut t, job_msg("bound", expires)).unwrap();
    assert_eq!(
        err(t.exec(&reporter, report("bound", &stranger), &[])),
        ContractError::NotJobNode {
            job_id: job_id(payer.as_str(), "bound"),
            bound: node.to_string(),
            node: stranger.to_string(),
        }
    );
    assert_eq!(t.bank(&stranger, IBC), 1_000);
    t.exec(&reporter, report("bound", &node), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 990);
    // Unbound: nobody is paid until an eligible node claims it.
    let open = CreateJobMsg {
        node: None,
        ..job_msg("open", expires)
    };
    let created = create(&mut t, open).unwrap();
    assert!(!attrs(&created).any(|a| a.key == "node"));
    assert_eq!(
        err(t.exec(&reporter, report("open", &stranger), &[])),
        ContractError::JobNotClaimed {
            job_id: job_id(payer.as_str(), "open")
        }
    );
    let claim = ExecuteMsg::ClaimJob {
        job_id: job_id(payer.as_str(), "open"),
    };
    assert_eq!(
        err(t.exec(&node, claim.clone(), &[])),
        ContractError::NoStaking
    );
    let staking = staking_stub(&mut t.app, &node);
    let set_staking = ConfigChange {
        staking: Some(staking.to_string()),
        ..ConfigChange::default()
    }
    .msg();
    assert_eq!(
        err(t.exec(&stranger, set_staking.clone(), &[])),
        ContractError::Unauthorized { role: "admin" }
    );
    t.exec(&admin, set_staking, &[]).unwrap();
    assert_eq!(
        err(t.exec(&stranger, claim.clone(), &[])),
        ContractError::NotEligibleNode(stranger.to_string())
    );
    let claimed = t.exec(&node, claim.clone(), &[]).unwrap();
    assert!(attrs(&claimed).any(|a| a.key == "action" && a.value == "claim_job"));
    assert_eq!(
        err(t.exec(&node, claim.clone(), &[])),
        ContractError::JobClaimed {
            job_id: job_id(payer.as_str(), "open"),
            node: node.to_string(),
        }
    );
    assert!(matches!(
        err(t.exec(&reporter, report("open", &stranger), &[])),
        ContractError::NotJobNode { .. }
    ));
    t.exec(&reporter, report("open", &node), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 1_980);
    // A claim after expiry is refused (the deposit is the payer's again).
    let late = CreateJobMsg {
        node: None,
        ..job_msg("late", expires)
    };
    create(&mut t, late).unwrap();
    t.advance(600);
    let claim = ExecuteMsg::ClaimJob {
        job_id: job_id(payer.as_str(), "late"),
    };
    assert!(matches!(
        err(t.exec(&node, claim, &[])),
        ContractError::Expired { .. }
    ));
}

#[test]
fn job_spec_is_validated() {
    let mut t = setup();
    let payer = t.payer.clone();
    let expires = t.now().plus_seconds(600);
    let mut create = |m: CreateJobMsg| t.exec(&payer, ExecuteMsg::CreateJob(m), &coins(10, IBC));
    for model in ["", "Retina", "retina cnn", "retina/cnn", &"a".repeat(65)] {
        let m = CreateJobMsg {
            model: model.into(),
            ..job_msg("j-model", expires)
        };
        assert_eq!(
            err(create(m)),
            ContractError::Invalid {
                field: "model",
                reason: "1 to 64 of a-z 0-9 . _ - @"
            },
            "{model:?}"
        );
    }
    let too_big = CreateJobMsg {
        input: Binary::from(vec![7u8; 4097]),
        ..job_msg("j-input", expires)
    };
    assert_eq!(
        err(create(too_big)),
        ContractError::Invalid {
            field: "input",
            reason: "at most 4096 bytes"
        }
    );
    // The limits themselves are accepted; an empty input is allowed (a model with no input).
    let at_limits = CreateJobMsg {
        model: "a".repeat(64),
        input: Binary::from(vec![7u8; 4096]),
        ..job_msg("j-max", expires)
    };
    create(at_limits).unwrap();
    let empty = CreateJobMsg {
        model: "m".into(),
        input: Binary::default(),
        ..job_msg("j-empty", expires)
    };
    create(empty).unwrap();
    assert_eq!(t.job(&t.payer, "j-empty").input_hash, sha256_hex(b""));
}

#[test]
fn compute_jobs_pay_the_reported_node_or_refund() {
    let mut t = setup();
    cloned!(t => payer, reporter, node, stranger);
    let create = |t: &mut T, id: &str| {
        let m = ExecuteMsg::CreateJob(job_msg(id, t.now().plus_seconds(600)));
        t.exec(&payer, m, &coins(1_000, IBC))
    };
    let created = create(&mut t, "job-1").unwrap();
    // The job spec is in the creation event: model, and the sha256 of the input.
    let attr = |k: &str| wasm_attr(&created, k);
    assert_eq!(attr("model").as_deref(), Some("retina-cnn-v2.1"));
    assert_eq!(
        attr("input_hash").as_deref(),
        Some(sha256_hex(SYNTHETIC_INPUT).as_str())
    );
    create(&mut t, "job-2").unwrap();
    assert_eq!(
        err(create(&mut t, "job-1")),
        ContractError::JobExists {
            job_id: job_id(payer.as_str(), "job-1")
        }
    );
    assert_invalid(err(create(&mut t, "bad id")), "job_id");
    let (job1, job2) = (
        job_id(payer.as_str(), "job-1"),
        job_id(payer.as_str(), "job-2"),
    );
    assert_eq!(
        err(t.exec(&stranger, report_job(&job1, &node), &[])),
        ContractError::Unauthorized { role: "reporter" }
    );
    t.exec(&reporter, report_job(&job1, &node), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 990);
    assert_eq!(t.bank(&t.collector, IBC), 10);
    assert_eq!(
        err(t.exec(&reporter, report_job(&job1, &node), &[])),
        ContractError::JobSettled {
            job_id: job1.clone()
        }
    );
    assert!(matches!(
        err(t.exec(&stranger, refund_job(&job2), &[])),
        ContractError::NotExpired { .. }
    ));
    t.advance(600);
    assert!(matches!(
        err(t.exec(&reporter, report_job(&job2, &node), &[])),
        ContractError::Expired { .. }
    ));
    let before = t.bank(&payer, IBC);
    t.exec(&stranger, refund_job(&job2), &[]).unwrap();
    assert_eq!(t.bank(&payer, IBC) - before, 1_000);
    let j = t.job(&payer, "job-1");
    assert_eq!(j.status, JobStatus::Paid { node: node.clone() });
    assert_eq!(j.model, "retina-cnn-v2.1");
    assert_eq!(j.input, Binary::from(SYNTHETIC_INPUT));
    assert_eq!(j.input_hash, sha256_hex(SYNTHETIC_INPUT));
    assert_eq!(
        err(t.exec(&stranger, refund_job("job-9"), &[])),
        ContractError::JobNotFound {
            job_id: "job-9".into()
        }
    );
    // Reporter management.
    let admin = t.admin.clone();
    t.exec(
        &admin,
        ExecuteMsg::UpdateReporters {
            add: vec![stranger.to_string()],
            remove: vec![reporter.to_string()],
        },
        &[],
    )
    .unwrap();
    let is: bool = t.q(&QueryMsg::IsReporter {
        address: reporter.to_string(),
    });
    assert!(!is);
    let none = ExecuteMsg::UpdateReporters {
        add: vec![],
        remove: vec![],
    };
    assert_eq!(
        err(t.exec(&reporter, none, &[])),
        ContractError::Unauthorized { role: "admin" }
    );
}

#[test]
fn fee_config_is_capped_and_snapshotted() {
    let mut t = setup();
    t.create(&[1_000], false).unwrap();
    let admin = t.admin.clone();
    let upd = |bps: u16| {
        ConfigChange {
            fee_bps: Some(bps),
            ..ConfigChange::default()
        }
        .msg()
    };
    assert_eq!(
        err(t.exec(&admin, upd(1_001), &[])),
        ContractError::FeeTooHigh {
            bps: 1_001,
            max: 1_000
        }
    );
    let stranger = t.stranger.clone();
    assert_eq!(
        err(t.exec(&stranger, upd(5), &[])),
        ContractError::Unauthorized { role: "admin" }
    );
    t.exec(&admin, upd(1_000), &[]).unwrap();
    // The existing escrow keeps its 1 % fee.
    let payer = t.payer.clone();
    t.exec(&payer, release_msg(1, 0), &[]).unwrap();
    assert_eq!(t.bank(&t.collector, IBC), 10);
    let c: bithive_payfi_escrow::state::Config = t.q(&QueryMsg::Config {});
    assert_eq!(c.fee_bps, 1_000);
    // Instantiating above the cap fails.
    let code = t.code;
    let init = InstantiateMsg {
        reporters: vec![],
        ..escrow_init(5_000, &admin, &admin, 0)
    };
    let r = t
        .app
        .instantiate_contract(code, admin.clone(), &init, &[], "bad", None);
    assert!(r.is_err());
}

#[test]
fn migrate_refuses_downgrade() {
    use bithive_payfi_escrow::contract;
    let mut deps = assert_migrate_refusals!(contract, MigrateMsg {}, "3.0.0", "other");
    assert_upgrades!(contract, MigrateMsg {}, &mut deps, "0.0.1");
}

#[test]
fn cw20_compute_job() {
    let mut t = setup();
    cloned!(t => payer, reporter, node);
    let expires_at = t.now().plus_seconds(60);
    let usdc = t.usdc.clone();
    let create = ReceiveMsg::CreateJob(job_msg("infer:42", expires_at));
    t.send_cw20(&payer, &usdc, 10_000, &create).unwrap();
    let report = report_job(&job_id(payer.as_str(), "infer:42"), &node);
    t.exec(&reporter, report, &[]).unwrap();
    assert_eq!(t.cw20_balance(&t.usdc, &node), 9_900);
    assert_eq!(t.cw20_balance(&t.usdc, &t.collector), 100);
}

/// Every attribute of every event of `res`.
fn attrs(res: &AppResponse) -> impl Iterator<Item = &cosmwasm_std::Attribute> {
    res.events.iter().flat_map(|e| &e.attributes)
}

/// The `job_id` of the `create_job` event in `res`.
fn created_job_id(res: &AppResponse) -> String {
    wasm_attr(res, "job_id").expect("create_job event with a job_id")
}

/// Issue #20: job ids were one global namespace. An attacker who saw a payer's pending
/// `create_job` created the same id first with a dust deposit: the payer's job was refused, and a
/// node attesting the id would have been paid the dust. Ids are now scoped to the payer.
#[test]
fn job_ids_cannot_be_front_run() {
    let mut t = setup();
    cloned!(t => payer, stranger, reporter, node);
    let expires = t.now().plus_seconds(600);
    let dust = t
        .exec(
            &stranger,
            ExecuteMsg::CreateJob(job_msg("infer-7", expires)),
            &coins(1, IBC),
        )
        .unwrap();
    let created = t
        .exec(
            &payer,
            ExecuteMsg::CreateJob(job_msg("infer-7", expires)),
            &coins(1_000, IBC),
        )
        .expect("the payer's job is created despite the front-runner");
    let (id, dust_id) = (created_job_id(&created), created_job_id(&dust));
    assert_ne!(id, dust_id);
    assert_eq!(id, job_id(payer.as_str(), "infer-7"));
    assert_eq!(dust_id, job_id(stranger.as_str(), "infer-7"));
    // The id in the event is the one the query answers and a report pays.
    let j = t.job(&payer, "infer-7");
    assert_eq!((j.payer.clone(), j.amount.u128()), (payer.clone(), 1_000));
    assert_eq!(j.job_id, id);
    t.exec(&reporter, report_job(&id, &node), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 990);
    // The payer's own id cannot be reused, even by the payer.
    assert!(matches!(
        err(t.exec(
            &payer,
            ExecuteMsg::CreateJob(job_msg("infer-7", expires)),
            &coins(1_000, IBC),
        )),
        ContractError::JobExists { .. }
    ));
}

/// Issue #20: a wrong result was paid at the report and could not be contested. With a dispute
/// window the payment waits; the payer (only the payer, only inside the window) holds it for
/// the admin, who pays the node or refunds the payer; an undisputed job pays once, to anyone's
/// finalize, after the window. Nothing pays twice and a reported job is never refunded on expiry.
#[test]
fn a_reported_job_waits_out_its_dispute_window() {
    let mut t = setup();
    cloned!(t => admin, payer, reporter, node, stranger, collector);
    let set_window = |seconds: u64| {
        ConfigChange {
            job_dispute_seconds: Some(seconds),
            ..ConfigChange::default()
        }
        .msg()
    };
    let too_long = set_window(MAX_JOB_DISPUTE_SECONDS + 1);
    assert_invalid(err(t.exec(&admin, too_long, &[])), "job_dispute_seconds");
    t.exec(&admin, set_window(3_600), &[]).unwrap();
    let mut jobs = Vec::new();
    for id in ["good", "wrong", "late", "right"] {
        let m = ExecuteMsg::CreateJob(job_msg(id, t.now().plus_seconds(600)));
        t.exec(&payer, m, &coins(1_000, IBC)).unwrap();
        let full = job_id(payer.as_str(), id);
        t.exec(&reporter, report_job(&full, &node), &[]).unwrap();
        jobs.push(full);
    }
    let [good, wrong, late, right] = [&jobs[0], &jobs[1], &jobs[2], &jobs[3]].map(String::clone);
    // Reported, not paid.
    assert_eq!(t.bank(&node, IBC), 0);
    let status = |t: &T, id: &str| t.q::<Job>(&QueryMsg::Job { job_id: id.into() }).status;
    assert!(matches!(status(&t, &good), JobStatus::Reported { .. }));
    let finalize = finalize_job;
    let dispute = |id: &str| dispute_job(id, "the label is wrong");
    assert!(matches!(
        err(t.exec(&stranger, finalize(&good), &[])),
        ContractError::DisputeWindowOpen { .. }
    ));
    // Only the payer disputes, with a bounded reason.
    assert_eq!(
        err(t.exec(&stranger, dispute(&wrong), &[])),
        ContractError::Unauthorized { role: "job payer" }
    );
    assert_eq!(
        err(t.exec(&node, dispute(&wrong), &[])),
        ContractError::Unauthorized { role: "job payer" }
    );
    let long = dispute_job(&wrong, &"x".repeat(257));
    assert_invalid(err(t.exec(&payer, long, &[])), "reason");
    t.exec(&payer, dispute(&wrong), &[]).unwrap();
    t.exec(&payer, dispute(&right), &[]).unwrap();
    assert!(matches!(status(&t, &wrong), JobStatus::Disputed { .. }));
    // A disputed job cannot be finalized, disputed again, reported again or refunded.
    assert_eq!(
        err(t.exec(&stranger, finalize(&wrong), &[])),
        ContractError::JobNotReported {
            job_id: wrong.clone()
        }
    );
    assert_eq!(
        err(t.exec(&payer, dispute(&wrong), &[])),
        ContractError::NotDisputable {
            job_id: wrong.clone()
        }
    );
    t.advance(3_600);
    // The window is over: no more disputes; anyone finalizes an undisputed job, once.
    assert_eq!(
        err(t.exec(&payer, dispute(&late), &[])),
        ContractError::NotDisputable {
            job_id: late.clone()
        }
    );
    t.exec(&stranger, finalize(&good), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 990);
    assert_eq!(t.bank(&collector, IBC), 10);
    assert!(matches!(
        err(t.exec(&stranger, finalize(&good), &[])),
        ContractError::JobNotReported { .. }
    ));
    // Past expiry, a reported job is the node's, not the payer's: no refund.
    assert!(matches!(
        err(t.exec(&payer, refund_job(&late), &[])),
        ContractError::JobSettled { .. }
    ));
    t.exec(&stranger, finalize(&late), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 1_980);
    // The admin resolves disputes, nobody else; once.
    let resolve = resolve_job_dispute;
    assert_eq!(
        err(t.exec(&payer, resolve(&wrong, false), &[])),
        ContractError::Unauthorized { role: "admin" }
    );
    let payer_before = t.bank(&payer, IBC);
    t.exec(&admin, resolve(&wrong, false), &[]).unwrap();
    assert_eq!(t.bank(&payer, IBC), payer_before + 1_000);
    assert!(matches!(status(&t, &wrong), JobStatus::Refunded));
    assert_eq!(
        err(t.exec(&admin, resolve(&wrong, true), &[])),
        ContractError::JobNotDisputed {
            job_id: wrong.clone()
        }
    );
    t.exec(&admin, resolve(&right, true), &[]).unwrap();
    assert_eq!(t.bank(&node, IBC), 2_970);
    // paid <= funded: four jobs of 1,000, one refunded, three paid net of the 1 % fee.
    assert_eq!(t.bank(&t.pay.clone(), IBC), 0);
    assert_eq!(t.bank(&collector, IBC), 30);
}

/// The outcomes Enode's Tsuccessful / Ttotal come from (ADR 007): each job bound to a node counts
/// once for it when it settles, paid (at once, after the window, or by a dispute resolved for the
/// node), expired unreported after the node accepted it, or disputed and lost; a job bound to
/// another node or settled before counts nothing more, and nobody can write the counts but the
/// settlement itself.
#[test]
fn node_outcomes_count_each_settled_job_once() {
    use bithive_interface::payfi_escrow::NodeOutcomes;
    let mut t = setup();
    cloned!(t => admin, payer, reporter, node, stranger);
    let outcomes = |t: &T, who: &Addr| -> NodeOutcomes {
        t.q(&QueryMsg::NodeOutcomes {
            node: who.to_string(),
        })
    };
    assert_eq!(outcomes(&t, &node), NodeOutcomes::default());
    let create = |t: &mut T, id: &str| {
        let m = ExecuteMsg::CreateJob(job_msg(id, t.now().plus_seconds(600)));
        t.exec(&payer, m, &coins(1_000, IBC)).unwrap();
        job_id(payer.as_str(), id)
    };
    // No dispute window: paid at the report.
    let now_paid = create(&mut t, "at-once");
    t.exec(&reporter, report_job(&now_paid, &node), &[])
        .unwrap();
    let window = ConfigChange {
        job_dispute_seconds: Some(3_600),
        ..ConfigChange::default()
    };
    t.exec(&admin, window.msg(), &[]).unwrap();
    let [finalized, lost, won, expired] =
        ["finalized", "lost", "won", "expired"].map(|id| create(&mut t, id));
    // The node accepts the job it will let expire (claims need staking: a pledged node).
    let staking = staking_stub(&mut t.app, &node);
    let set_staking = ConfigChange {
        staking: Some(staking.to_string()),
        ..ConfigChange::default()
    };
    t.exec(&admin, set_staking.msg(), &[]).unwrap();
    let accept = ExecuteMsg::ClaimJob {
        job_id: expired.clone(),
    };
    // Only the node the job is bound to accepts it: not a stranger.
    assert!(matches!(
        err(t.exec(&stranger, accept.clone(), &[])),
        ContractError::JobClaimed { .. }
    ));
    t.exec(&node, accept.clone(), &[]).unwrap();
    assert!(matches!(
        err(t.exec(&node, accept, &[])),
        ContractError::JobClaimed { .. }
    ));
    for j in [&finalized, &lost, &won] {
        t.exec(&reporter, report_job(j, &node), &[]).unwrap();
    }
    for j in [&lost, &won] {
        t.exec(&payer, dispute_job(j, "the label is wrong"), &[])
            .unwrap();
    }
    // Reported or disputed jobs are not settled yet: nothing counted for them.
    assert_eq!(
        outcomes(&t, &node),
        NodeOutcomes {
            paid: 1,
            ..NodeOutcomes::default()
        }
    );
    t.advance(3_600);
    t.exec(&stranger, finalize_job(&finalized), &[]).unwrap();
    t.exec(&admin, resolve_job_dispute(&lost, false), &[])
        .unwrap();
    t.exec(&admin, resolve_job_dispute(&won, true), &[])
        .unwrap();
    t.exec(&stranger, refund_job(&expired), &[]).unwrap();
    let o = outcomes(&t, &node);
    assert_eq!(
        o,
        NodeOutcomes {
            paid: 3,
            expired: 1,
            disputed_lost: 1
        }
    );
    assert_eq!(o.total(), 5);
    // Settled jobs cannot be settled again, so they cannot count again.
    for j in [&now_paid, &finalized, &won] {
        assert!(t.exec(&stranger, finalize_job(j), &[]).is_err());
        assert!(t.exec(&stranger, refund_job(j), &[]).is_err());
    }
    assert!(t
        .exec(&admin, resolve_job_dispute(&lost, true), &[])
        .is_err());
    assert_eq!(outcomes(&t, &node), o);
    // Another node's count is its own; a bad address is an error, not a zero.
    assert_eq!(outcomes(&t, &stranger), NodeOutcomes::default());
    assert!(t
        .app
        .wrap()
        .query_wasm_smart::<NodeOutcomes>(
            t.pay.clone(),
            &QueryMsg::NodeOutcomes {
                node: "not an address".into()
            }
        )
        .is_err());
}

/// Attack (ADR 007, found in review): anyone may bind a job to any node, so a stranger could
/// lower a node's Tsuccessful / Ttotal for free by binding dust jobs to it and letting them
/// expire (the refund returns the whole deposit). Only jobs the node accepted count as expired.
#[test]
fn a_stranger_cannot_lower_a_nodes_outcomes_with_jobs_it_never_accepted() {
    use bithive_interface::payfi_escrow::NodeOutcomes;
    let mut t = setup();
    cloned!(t => node, stranger);
    for i in 0..5 {
        let m = ExecuteMsg::CreateJob(job_msg(&format!("grief-{i}"), t.now().plus_seconds(1)));
        t.exec(&stranger, m, &coins(1, IBC)).unwrap();
    }
    t.advance(1);
    let before = t.bank(&stranger, IBC);
    for i in 0..5 {
        let id = job_id(stranger.as_str(), &format!("grief-{i}"));
        t.exec(&stranger, refund_job(&id), &[]).unwrap();
    }
    assert_eq!(
        t.bank(&stranger, IBC),
        before + 5,
        "the attack itself cost nothing"
    );
    let o: NodeOutcomes = t.q(&QueryMsg::NodeOutcomes {
        node: node.to_string(),
    });
    assert_eq!(o, NodeOutcomes::default());
}

/// Attack (found in review): a job below `10000 / fee_bps` base units pays no fee, so a node
/// paying its own dust jobs would raise its `paid` count for gas alone. Such a job pays the node
/// but does not count.
#[test]
fn dust_jobs_that_pay_no_fee_do_not_count() {
    use bithive_interface::payfi_escrow::NodeOutcomes;
    let mut t = setup();
    cloned!(t => payer, reporter, node);
    let outcomes = |t: &T| -> NodeOutcomes {
        t.q(&QueryMsg::NodeOutcomes {
            node: node.to_string(),
        })
    };
    for (id, amount) in [("dust", 99), ("fee", 100)] {
        let m = ExecuteMsg::CreateJob(job_msg(id, t.now().plus_seconds(600)));
        t.exec(&payer, m, &coins(amount, IBC)).unwrap();
        t.exec(
            &reporter,
            report_job(&job_id(payer.as_str(), id), &node),
            &[],
        )
        .unwrap();
    }
    // 99 at 1 %: no fee, paid in full, not counted; 100: a fee of 1, counted.
    assert_eq!(t.bank(&node, IBC), 99 + 99);
    assert_eq!(
        outcomes(&t),
        NodeOutcomes {
            paid: 1,
            ..NodeOutcomes::default()
        }
    );
}

/// Issue #43: one eligible node could claim every unbound job (and let them expire, the payers
/// waiting out each expiry for a refund). Now a node holds at most `OPEN_CLAIMS_PER_T` claimed,
/// unreported jobs per T of its capacity (the stub's node: 4 T); reporting or a refund frees a
/// slot.
#[test]
fn a_node_cannot_hoard_unbound_jobs_beyond_its_capacity() {
    use bithive_interface::payfi_escrow::OPEN_CLAIMS_PER_T;
    let mut t = setup();
    cloned!(t => payer, reporter, node, admin);
    let staking = staking_stub(&mut t.app, &node);
    let set_staking = ConfigChange {
        staking: Some(staking.to_string()),
        ..ConfigChange::default()
    }
    .msg();
    t.exec(&admin, set_staking, &[]).unwrap();
    let max = 4 * OPEN_CLAIMS_PER_T;
    let expires = t.now().plus_seconds(600);
    for i in 0..=max + 1 {
        let open = CreateJobMsg {
            node: None,
            ..job_msg(&format!("open-{i}"), expires)
        };
        t.exec(&payer, ExecuteMsg::CreateJob(open), &coins(1_000, IBC))
            .unwrap();
    }
    let claim = |i: u32| ExecuteMsg::ClaimJob {
        job_id: job_id(payer.as_str(), &format!("open-{i}")),
    };
    for i in 0..max {
        t.exec(&node, claim(i), &[]).unwrap();
    }
    assert_eq!(
        err(t.exec(&node, claim(max), &[])),
        ContractError::TooManyOpenClaims {
            node: node.to_string(),
            open: max,
            max,
        }
    );
    // The refused job stays unbound for another node.
    assert_eq!(t.job(&payer, &format!("open-{max}")).node, None);
    // A report frees a slot.
    t.exec(
        &reporter,
        report_job(&job_id(payer.as_str(), "open-0"), &node),
        &[],
    )
    .unwrap();
    t.exec(&node, claim(max), &[]).unwrap();
    assert!(matches!(
        err(t.exec(&node, claim(max + 1), &[])),
        ContractError::TooManyOpenClaims { .. }
    ));
    // So does a refund of an expired claimed job.
    t.advance(600);
    t.exec(
        &payer,
        ExecuteMsg::RefundJob {
            job_id: job_id(payer.as_str(), "open-1"),
        },
        &[],
    )
    .unwrap();
}
