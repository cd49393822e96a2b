//! The committed `bithive_payfi_escrow.wasm` on a wasmd-like chain (bithive-vm-host over cosmwasm-vm 3),
//! driven with the contract's own typed messages. Shared by `tests/vm.rs` and `examples/gas.rs`.
#![allow(dead_code)]

use bithive_cw_test_fixtures::addrs;
pub use bithive_cw_test_fixtures::artifact;
use bithive_payfi_escrow::coding::{PaymentCoding, PaymentType};
use bithive_payfi_escrow::msg::{
    CreateEscrowMsg, CreateJobMsg, ExecuteMsg, InstantiateMsg, OpenChannelMsg, QueryMsg,
};
use bithive_payfi_escrow::state::{Channel, Escrow, Job};
use bithive_payfi_voucher::VoucherSigner;
use bithive_vm_host::{coin, Chain, ChainConfig, HostError, TxResponse};
use cosmwasm_std::{Binary, Timestamp, Uint128};

pub const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
pub const FEE_BPS: u16 = 100;

pub struct World {
    pub chain: Chain,
    pub code: u64,
    pub pay: String,
    pub admin: String,
    pub payer: String,
    pub payee: String,
    pub arbiter: String,
    pub collector: String,
    pub reporter: String,
    pub node: String,
}

impl World {
    pub fn new() -> World {
        let mut chain = Chain::new(ChainConfig::default()).expect("chain");
        let code = chain
            .store_code(&artifact("bithive_payfi_escrow.wasm"))
            .expect("store bithive_payfi_escrow.wasm");
        addrs!(|n| chain.addr(n); admin, payer, payee, arbiter, collector, reporter, node);
        chain
            .mint_native(&payer, &[coin(1_000_000_000_000, IBC)])
            .expect("fund payer");
        let mut w = World {
            chain,
            code,
            pay: String::new(),
            admin,
            payer,
            payee,
            arbiter,
            collector,
            reporter,
            node,
        };
        w.pay = w.instantiate("payfi");
        w
    }

    /// Another instance of the same code (fee 1 %, same reporter).
    pub fn instantiate(&mut self, label: &str) -> String {
        let msg = InstantiateMsg {
            admin: None,
            fee_bps: FEE_BPS,
            fee_collector: self.collector.clone(),
            cw20_allowlist: vec![],
            reporters: vec![self.reporter.clone()],
            staking: None,
            job_dispute_seconds: 0,
        };
        let admin = self.admin.clone();
        self.chain
            .instantiate(self.code, &admin, &msg, &[], label, Some(&admin))
            .expect("instantiate payfi")
            .0
    }

    pub fn exec(
        &mut self,
        sender: &str,
        msg: &ExecuteMsg,
        funds: u128,
    ) -> Result<TxResponse, HostError> {
        let funds: Vec<_> = (funds > 0).then(|| coin(funds, IBC)).into_iter().collect();
        let pay = self.pay.clone();
        self.chain.execute(&pay, sender, msg, &funds)
    }

    pub fn now(&self) -> Timestamp {
        let t = self.chain.block().time;
        Timestamp::from_nanos(t.nanos())
    }

    pub fn bank(&self, who: &str) -> u128 {
        self.chain.balance(who, IBC)
    }

    pub fn escrow_msg(&self, milestones: &[u128], arbiter: bool, invoice: &str) -> CreateEscrowMsg {
        CreateEscrowMsg {
            payee: self.payee.clone(),
            arbiter: arbiter.then(|| self.arbiter.clone()),
            milestones: milestones.iter().map(|m| Uint128::new(*m)).collect(),
            expires_at: self.now().plus_seconds(86_400),
            coding: PaymentCoding {
                payment_type: PaymentType::Diagnostic,
                procedure_codes: vec!["70551".into()],
                diagnosis_codes: vec!["G43.909".into()],
                invoice_ref: invoice.into(),
            },
        }
    }

    /// Creates an escrow; returns its id and the gas used.
    pub fn create_escrow(&mut self, milestones: &[u128], arbiter: bool) -> (u64, u64) {
        let m = self.escrow_msg(milestones, arbiter, "INV-2026-001");
        let payer = self.payer.clone();
        let tx = self
            .exec(
                &payer,
                &ExecuteMsg::CreateEscrow(m),
                milestones.iter().sum(),
            )
            .expect("create escrow");
        let id = tx
            .attr("wasm", "escrow_id")
            .expect("escrow_id attribute")
            .parse()
            .expect("numeric escrow id");
        (id, tx.gas_used)
    }

    pub fn release(
        &mut self,
        sender: &str,
        escrow_id: u64,
        milestone: u32,
    ) -> Result<u64, HostError> {
        self.exec(
            sender,
            &ExecuteMsg::ReleaseMilestone {
                escrow_id,
                milestone,
            },
            0,
        )
        .map(|t| t.gas_used)
    }

    pub fn escrow(&self, id: u64) -> Escrow {
        self.chain
            .query(&self.pay, &QueryMsg::Escrow { escrow_id: id })
            .expect("escrow query")
    }

    /// Opens a channel from the payer to the payee for `signer`'s key; returns its id.
    pub fn open_channel(&mut self, signer: &VoucherSigner, deposit: u128, challenge: u64) -> u64 {
        let msg = ExecuteMsg::OpenChannel(OpenChannelMsg {
            payee: self.payee.clone(),
            pubkey: Binary::from(signer.public_key_compressed().to_vec()),
            challenge_period_secs: challenge,
        });
        let payer = self.payer.clone();
        self.exec(&payer, &msg, deposit)
            .expect("open channel")
            .attr("wasm", "channel_id")
            .expect("channel_id attribute")
            .parse()
            .expect("numeric channel id")
    }

    /// A voucher signed off chain by `signer` (k256) for `(chain_id, contract, channel,
    /// cumulative)`, redeemed on this world's contract by the payee.
    pub fn redeem_signed(
        &mut self,
        signer: &VoucherSigner,
        chain_id: &str,
        contract: &str,
        channel_id: u64,
        cumulative: u128,
    ) -> Result<u64, HostError> {
        let sig = signer
            .sign(chain_id, contract, channel_id, cumulative)
            .expect("sign voucher");
        let msg = ExecuteMsg::RedeemVoucher {
            channel_id,
            cumulative: Uint128::new(cumulative),
            signature: Binary::from(sig.to_vec()),
            form: None,
        };
        let payee = self.payee.clone();
        self.exec(&payee, &msg, 0).map(|t| t.gas_used)
    }

    /// A voucher for this chain and contract.
    pub fn redeem(
        &mut self,
        signer: &VoucherSigner,
        channel_id: u64,
        cumulative: u128,
    ) -> Result<u64, HostError> {
        let chain_id = self.chain.config().chain_id.clone();
        let pay = self.pay.clone();
        self.redeem_signed(signer, &chain_id, &pay, channel_id, cumulative)
    }

    pub fn channel(&self, id: u64) -> Channel {
        self.chain
            .query(&self.pay, &QueryMsg::Channel { channel_id: id })
            .expect("channel query")
    }

    pub fn job_msg(&self, job_id: &str, expires_in: u64, input: &[u8]) -> ExecuteMsg {
        ExecuteMsg::CreateJob(CreateJobMsg {
            job_id: job_id.into(),
            expires_at: self.now().plus_seconds(expires_in),
            model: "retina-cnn-v2".into(),
            input: Binary::from(input),
            node: Some(self.node.clone()),
        })
    }

    pub fn job(&self, job_id: &str) -> Job {
        self.chain
            .query(
                &self.pay,
                &QueryMsg::Job {
                    job_id: job_id.into(),
                },
            )
            .expect("job query")
    }
}

/// Asserts the call failed in the contract with an error containing `expected`.
#[track_caller]
pub fn assert_refused(r: Result<impl std::fmt::Debug, HostError>, expected: &str) {
    let e = contract_error(r);
    assert!(
        e.contains(expected),
        "expected a contract error containing {expected:?}, got: {e}"
    );
}

/// The contract's error message, or a panic if the call succeeded or failed in the VM itself
/// (a VM abort would be a bug: bad input must only ever produce contract errors).
pub fn contract_error(r: Result<impl std::fmt::Debug, HostError>) -> String {
    match r {
        Err(HostError::Contract(m)) => m,
        other => panic!("expected a contract error, got {other:?}"),
    }
}
