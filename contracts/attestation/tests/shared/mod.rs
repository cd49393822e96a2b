//! Keys and messages both the cw-multi-test suites (`common`) and the VM suites (`vm_common`,
//! `ibc.rs`) build the same way.
#![allow(dead_code)]

use bithive_interface::attestation::ExecuteMsg;
use bithive_interface::rewards::MeasuredWork;
use bithive_signed_attestation::bls::SecretKey;
use bithive_signed_attestation::signing::{public_key, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33};
use cosmwasm_std::Decimal;
use sha2::{Digest, Sha256};

/// Node `i`'s secret (operator key and BLS seed).
pub fn secret(i: usize) -> [u8; 32] {
    [i as u8 + 1; 32]
}

/// Node `i`'s operator public key.
pub fn key(i: usize) -> PubKey33 {
    public_key(&signing_key(&secret(i)).unwrap())
}

/// Node `i`'s BLS secret key.
pub fn bls_key(i: usize) -> SecretKey {
    SecretKey::from_seed(&secret(i)).unwrap()
}

/// The contracts an attestation may name, by role.
pub struct Consumers<'a> {
    pub escrow: &'a str,
    pub rewards: &'a str,
    pub nft: &'a str,
    pub registry: &'a str,
    pub attest: &'a str,
}

impl Consumers<'_> {
    /// The contract an attestation of `kind` names: its consumer's, or the attestation
    /// contract's own for record-only kinds.
    pub fn of(&self, kind: AttestationKind) -> &str {
        match kind {
            AttestationKind::Inference => self.escrow,
            AttestationKind::ComputeWork | AttestationKind::PatientActivity => self.rewards,
            AttestationKind::Valuation => self.nft,
            AttestationKind::Evaluation => self.registry,
            _ => self.attest,
        }
    }
}

/// An attestation of `kind` for `job` on `chain_id`, naming `contract` as its consumer, issued
/// at `issued_at` by `signer`; its result hash is the job id's.
pub fn job_attestation(
    (chain_id, contract): (&str, &str),
    kind: AttestationKind,
    job: &str,
    signer: PubKey33,
    nonce: u64,
    issued_at: u64,
) -> Attestation {
    Attestation {
        chain_id: chain_id.into(),
        contract: contract.into(),
        job_id: job.into(),
        kind,
        result_hash: Hash32(Sha256::digest(job.as_bytes()).into()),
        commitments: vec![],
        issued_at,
        nonce,
        signer,
    }
}

/// The e-node inputs of a healthy node: 2.5x compute, 9 of 10 tasks, full availability.
/// What the attestors measured of a node (the units and task counts come from the escrow).
pub fn measured() -> MeasuredWork {
    MeasuredWork {
        pcompute: Decimal::percent(250),
        penergy: Decimal::one(),
        availability: Decimal::one(),
        dfactor: Decimal::one(),
    }
}

/// The governance message that points the attestation contract at `registry` and changes
/// nothing else.
pub fn set_model_registry(registry: impl Into<String>) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        escrow: None,
        rewards: None,
        asset_nft: None,
        model_registry: Some(registry.into()),
        quorum_threshold: None,
        quorum_kinds: None,
        max_age_seconds: None,
        max_future_seconds: None,
        ibc_timeout_seconds: None,
    }
}
