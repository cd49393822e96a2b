//! `bithive rewards sign-patient-claim`: the tool a healthcare institution (a verifier registered
//! with the rewards contract by governance, `set_verifier`) uses to confirm one patient activity.
//! It signs the statement `claim_patient` rebuilds
//! (`bithive_interface::rewards::patient_claim::statement`, the contract's own definition) with
//! the verifier's secp256k1 key from the keyring, and prints the `PatientClaim` JSON the patient
//! pastes into the web app (or sends as `claim_patient`). Nothing is sent to the chain here: the
//! claim is worth something only to the patient it names, on the contract and chain it names.
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use bithive_chain_client::OperatorKey;
use bithive_formulas::rpatient::{rpatient, ActivityType, RpatientInputs, BTT_UNIT};
use bithive_interface::rewards::patient_claim;
use bithive_interface::rewards::PatientClaim;
use bithive_relayer::cli::KeyringArgs;
use clap::{Args, Subcommand};
use cosmwasm_std::{Decimal, Uint128, Uint64};

use crate::deploy::Deployment;

/// Longest activity id the rewards contract accepts (its `MAX_ACTIVITY_ID`, bytes).
pub const MAX_ACTIVITY_ID: usize = 128;

/// How far before the verifier's clock a claim is dated by default. The contract refuses a claim
/// issued after the block that includes it, so a verifier clock a little ahead of the chain's
/// would make a fresh claim "from the future"; a minute back costs nothing against its 30-day
/// validity.
pub const ISSUED_AT_MARGIN_SECONDS: u64 = 60;

const AFTER_HELP: &str = "The verifier key must be registered and active on the rewards \
contract (governance's `set_verifier` with its compressed public key: `bithive keys show NAME` \
prints it). The claim is valid for 30 days after --issued-at, once per activity id, only when \
sent by --patient. The mnemonic of key NAME may also come from BITHIVE_RELAYER_MNEMONIC_<NAME>; \
it is never printed.";

#[derive(Debug, Subcommand)]
pub enum RewardsCommand {
    /// As a registered verifier (institution): sign a patient's activity claim and print the
    /// `PatientClaim` JSON the patient sends as `claim_patient` (the web app's patient screen
    /// takes it pasted); on stderr, the BTT the contract will pay for it
    #[command(after_help = AFTER_HELP)]
    SignPatientClaim(Box<SignPatientClaimArgs>),
}

/// `bithive rewards sign-patient-claim`.
#[derive(Clone, Debug, Args)]
pub struct SignPatientClaimArgs {
    /// Name of the verifier's key in the keyring
    #[arg(long, value_name = "NAME", env = "BITHIVE_KEY", hide_env_values = true)]
    pub key: String,
    #[command(flatten)]
    pub keys: KeyringArgs,
    /// deployment.json written by `bithive deploy`: the chain id and the rewards contract
    /// [default: deployment.json, unless --chain-id and --rewards are given]
    #[arg(long, value_name = "FILE", conflicts_with_all = ["chain_id", "rewards"])]
    pub deployment: Option<PathBuf>,
    /// Chain id the claim is for (with --rewards, instead of --deployment)
    #[arg(long, value_name = "ID", requires = "rewards")]
    pub chain_id: Option<String>,
    /// Rewards contract address (with --chain-id, instead of --deployment)
    #[arg(long, value_name = "ADDR", requires = "chain_id")]
    pub rewards: Option<String>,
    /// The patient's account: only it can claim the reward
    #[arg(long, value_name = "ADDR")]
    pub patient: String,
    /// The institution's id of the activity (1-128 bytes): rewarded once, whoever claims it
    #[arg(long, value_name = "ID")]
    pub activity_id: String,
    /// Activity type
    #[arg(long, value_name = "TYPE", value_parser = parse_activity)]
    pub activity: ActivityType,
    /// Days covered (chronic_programme: 1-31; every other type: 1)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub days: u32,
    /// Avalue: base value of the activity, in BTT
    #[arg(long, value_name = "BTT")]
    pub avalue: Decimal,
    /// Cfactor: completion quality factor, 0-2
    #[arg(long, value_name = "X", default_value = "1")]
    pub cfactor: Decimal,
    /// Hconsistency: historical engagement bonus, in BTT
    #[arg(long, value_name = "BTT", default_value = "0")]
    pub hconsistency: Decimal,
    /// Tmultiplier: sustained-participation multiplier, 0-3
    #[arg(long, value_name = "X", default_value = "1")]
    pub tmultiplier: Decimal,
    /// Padjustment: personal adjustment, 0-2
    #[arg(long, value_name = "X", default_value = "1")]
    pub padjustment: Decimal,
    /// Unix seconds the claim is issued at; it is valid from then for 30 days [default: now
    /// minus a minute, by this machine's clock]
    #[arg(long, value_name = "SECONDS")]
    pub issued_at: Option<u64>,
    /// Nonce of the signed statement [default: random]
    #[arg(long, value_name = "N")]
    pub nonce: Option<u64>,
}

/// The snake_case names of the JSON messages (`checkup`, `chronic_programme`, ...).
fn parse_activity(s: &str) -> Result<ActivityType, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        let names: Vec<String> = ActivityType::ALL
            .iter()
            .filter_map(|a| serde_json::to_value(a).ok())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        format!("unknown activity type; one of: {}", names.join(", "))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RewardsCliError {
    #[error("{0}")]
    Input(String),
    #[error("deployment {path}: {message}")]
    Deployment { path: String, message: String },
    #[error("the contract would refuse these Rpatient inputs: {0}")]
    Formula(String),
    #[error("signing: {0}")]
    Signing(String),
}

/// Everything a patient claim binds, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRequest {
    pub chain_id: String,
    pub rewards: String,
    pub patient: String,
    pub activity_id: String,
    pub activity: RpatientInputs,
    pub issued_at: u64,
    pub nonce: u64,
}

/// A signed claim and what the contract pays for it.
#[derive(Clone, Debug)]
pub struct SignedClaim {
    pub claim: PatientClaim,
    /// Rpatient of the inputs, BTT base units.
    pub amount: Uint128,
}

fn input(msg: impl Into<String>) -> RewardsCliError {
    RewardsCliError::Input(msg.into())
}

/// The bech32 prefix of `address`, refusing what the contract could never match: the contract
/// binds the claim to the sender's address string, which the chain writes in lower case.
fn address_prefix(flag: &str, address: &str) -> Result<String, RewardsCliError> {
    let prefix = bithive_wallet_files::address_prefix(flag, address)
        .map_err(|e| input(format!("{flag}: {e}")))?;
    if address != address.to_ascii_lowercase() {
        return Err(input(format!(
            "{flag} {address}: write the address in lower case, as the chain does"
        )));
    }
    Ok(prefix)
}

impl SignPatientClaimArgs {
    /// Chain id and rewards contract: the flags, else the deployment file.
    pub fn target(&self) -> Result<(String, String), RewardsCliError> {
        if let (Some(c), Some(r)) = (&self.chain_id, &self.rewards) {
            return Ok((c.clone(), r.clone()));
        }
        let path = self
            .deployment
            .clone()
            .unwrap_or_else(|| PathBuf::from("deployment.json"));
        let fail = |message: String| RewardsCliError::Deployment {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            fail(format!(
                "{e} (pass --deployment FILE, or --chain-id and --rewards)"
            ))
        })?;
        let d: Deployment = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
        if d.chain_id.is_empty() || d.contracts.rewards.is_empty() {
            return Err(fail(
                "no chain_id or contracts.rewards; is it a deployment.json written by `bithive \
                 deploy`?"
                    .into(),
            ));
        }
        Ok((d.chain_id, d.contracts.rewards))
    }

    /// The checked request, with the clock and the randomness for what was not given.
    pub fn request(&self) -> Result<ClaimRequest, RewardsCliError> {
        let (chain_id, rewards) = self.target()?;
        let issued_at = match self.issued_at {
            Some(t) => t,
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|e| input(format!("this machine's clock: {e}")))?
                .as_secs()
                .saturating_sub(ISSUED_AT_MARGIN_SECONDS),
        };
        let nonce = match self.nonce {
            Some(n) => n,
            None => {
                let mut b = [0u8; 8];
                getrandom::getrandom(&mut b).map_err(|e| input(format!("no randomness: {e}")))?;
                u64::from_be_bytes(b)
            }
        };
        let r = ClaimRequest {
            chain_id,
            rewards,
            patient: self.patient.trim().to_string(),
            activity_id: self.activity_id.clone(),
            activity: RpatientInputs {
                activity: self.activity,
                days: self.days,
                avalue: self.avalue,
                cfactor: self.cfactor,
                hconsistency: self.hconsistency,
                tmultiplier: self.tmultiplier,
                padjustment: self.padjustment,
            },
            issued_at,
            nonce,
        };
        r.check()?;
        Ok(r)
    }
}

impl ClaimRequest {
    /// Refuses, before anything is signed, what the contract would refuse for any sender: a bad
    /// activity id, addresses it cannot match, inputs Rpatient rejects. Returns Rpatient.
    pub fn check(&self) -> Result<Uint128, RewardsCliError> {
        if self.chain_id.trim().is_empty() {
            return Err(input("the chain id is empty"));
        }
        if self.activity_id.is_empty() || self.activity_id.len() > MAX_ACTIVITY_ID {
            return Err(input(format!(
                "--activity-id must be 1-{MAX_ACTIVITY_ID} bytes (got {})",
                self.activity_id.len()
            )));
        }
        let contract = address_prefix("--rewards", &self.rewards)?;
        let patient = address_prefix("--patient", &self.patient)?;
        if patient != contract {
            return Err(input(format!(
                "--patient {} is a {patient:?} address, the rewards contract's chain uses \
                 {contract:?}",
                self.patient
            )));
        }
        rpatient(&self.activity).map_err(|e| RewardsCliError::Formula(e.to_string()))
    }
}

/// Signs `r` with the verifier `key`: the statement is the contract's own
/// (`patient_claim::statement`), signed as every attestation is (`signing::sign`).
pub fn sign(key: &OperatorKey, r: &ClaimRequest) -> Result<SignedClaim, RewardsCliError> {
    let amount = r.check()?;
    let verifier = bithive_signed_attestation::PubKey33(key.public_key_compressed());
    let statement = patient_claim::statement(
        &r.chain_id,
        &r.rewards,
        &r.patient,
        &r.activity_id,
        &r.activity,
        verifier,
        r.issued_at,
        r.nonce,
    );
    let signed = bithive_signed_attestation::signing::sign(statement, key.k256())
        .map_err(|e| RewardsCliError::Signing(e.to_string()))?;
    Ok(SignedClaim {
        claim: PatientClaim {
            activity_id: r.activity_id.clone(),
            activity: r.activity.clone(),
            verifier,
            issued_at: r.issued_at,
            nonce: Uint64::new(r.nonce),
            signature: signed.signature,
        },
        amount,
    })
}

/// BTT base units as BTT (6 decimals, trailing zeros dropped).
pub fn btt(amount: Uint128) -> String {
    let (whole, frac) = (amount.u128() / BTT_UNIT, amount.u128() % BTT_UNIT);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:06}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// `bithive rewards ...`: the claim JSON on stdout (one line), what it pays on stderr.
pub fn run(cmd: &RewardsCommand) -> anyhow::Result<()> {
    match cmd {
        RewardsCommand::SignPatientClaim(args) => {
            let request = args.request()?;
            let keyring = bithive_relayer::keyring::Keyring::new(&args.keys.keyring);
            let key = keyring.get(&args.key, &args.keys.prefix)?;
            let signed = sign(&key, &request)?;
            println!("{}", serde_json::to_string(&signed.claim)?);
            eprintln!(
                "claim for {} ({:?}, activity {}): {} BTT from the patient pool of {} on {}, \
                 valid until unix {} and once; verifier key {}",
                request.patient,
                request.activity.activity,
                request.activity_id,
                btt(signed.amount),
                request.rewards,
                request.chain_id,
                request.issued_at + 30 * 86_400,
                signed.claim.verifier.to_hex(),
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_signed_attestation::signing::k256_verify;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                     abandon abandon about";
    // Addresses of the devnet's deployer mnemonic and the key below, prefix bithive.
    fn key() -> OperatorKey {
        OperatorKey::from_mnemonic(M, "bithive").unwrap()
    }

    fn request(k: &OperatorKey) -> ClaimRequest {
        ClaimRequest {
            chain_id: "bithive-browser-1".into(),
            // Any valid address of the chain's prefix stands for the contract here.
            rewards: k.address().to_string(),
            patient: OperatorKey::from_mnemonic(
                "legal winner thank year wave sausage worth useful legal winner thank yellow",
                "bithive",
            )
            .unwrap()
            .address()
            .to_string(),
            activity_id: "clinic-7/checkup/2026-11-26".into(),
            activity: RpatientInputs {
                activity: ActivityType::Checkup,
                days: 1,
                avalue: Decimal::percent(30_000),
                cfactor: Decimal::one(),
                hconsistency: Decimal::zero(),
                tmultiplier: Decimal::one(),
                padjustment: Decimal::one(),
            },
            issued_at: 1_790_000_000,
            nonce: 42,
        }
    }

    /// What the contract does with a claim sent by `sender`: rebuild the statement, verify.
    fn contract_accepts(r: &ClaimRequest, sender: &str, c: &PatientClaim) -> bool {
        patient_claim::statement(
            &r.chain_id,
            &r.rewards,
            sender,
            &c.activity_id,
            &c.activity,
            c.verifier,
            c.issued_at,
            c.nonce.u64(),
        )
        .verify_with(&c.signature, k256_verify)
        .is_ok()
    }

    #[test]
    fn the_signature_verifies_against_the_contracts_statement() {
        let k = key();
        let r = request(&k);
        let s = sign(&k, &r).unwrap();
        assert_eq!(s.amount, Uint128::new(300 * BTT_UNIT));
        assert_eq!(s.claim.verifier.0, k.public_key_compressed());
        assert_eq!(s.claim.activity, r.activity);
        assert_eq!(s.claim.activity_id, r.activity_id);
        assert_eq!(
            (s.claim.issued_at, s.claim.nonce.u64()),
            (1_790_000_000, 42)
        );
        assert!(contract_accepts(&r, &r.patient, &s.claim));
        // The statement is exactly the shared definition's, with this key as signer.
        let expected = patient_claim::statement(
            &r.chain_id,
            &r.rewards,
            &r.patient,
            &r.activity_id,
            &r.activity,
            s.claim.verifier,
            r.issued_at,
            r.nonce,
        );
        assert_eq!(
            expected.result_hash,
            patient_claim::payload_hash(&r.patient, &r.activity_id, &r.activity)
        );
        assert_eq!(expected.job_id, r.activity_id);
    }

    #[test]
    fn the_claim_binds_the_patient_chain_contract_and_inputs() {
        let k = key();
        let r = request(&k);
        let s = sign(&k, &r).unwrap();
        // Someone else sending it: the contract rebuilds another statement.
        assert!(!contract_accepts(&r, k.address(), &s.claim));
        let mut other = r.clone();
        other.chain_id = "bithive-other-1".into();
        assert!(!contract_accepts(&other, &r.patient, &s.claim));
        let mut changed = s.claim.clone();
        changed.activity.avalue = Decimal::percent(60_000);
        assert!(!contract_accepts(&r, &r.patient, &changed));
        let mut changed = s.claim.clone();
        changed.activity_id = "clinic-7/checkup/2026-11-27".into();
        assert!(!contract_accepts(&r, &r.patient, &changed));
        let mut changed = s.claim;
        changed.nonce = Uint64::new(43);
        assert!(!contract_accepts(&r, &r.patient, &changed));
    }

    #[test]
    fn the_json_is_the_contracts_patient_claim() {
        let k = key();
        let s = sign(&k, &request(&k)).unwrap();
        let json = serde_json::to_string(&s.claim).unwrap();
        let back: PatientClaim = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s.claim);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["activity"]["activity"], "checkup");
        assert_eq!(v["nonce"], "42");
        assert_eq!(v["signature"].as_str().unwrap().len(), 128);
        assert_eq!(v["verifier"].as_str().unwrap().len(), 66);
        // No secret in the output.
        assert!(!json.contains(&hex::encode(k.k256().to_bytes())));
    }

    #[test]
    fn bad_inputs_are_refused_before_signing() {
        let k = key();
        let base = request(&k);
        let refused = |f: &dyn Fn(&mut ClaimRequest), needle: &str| {
            let mut r = base.clone();
            f(&mut r);
            let e = sign(&k, &r).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle:?} not in {e:?}");
        };
        refused(&|r| r.activity_id.clear(), "--activity-id must be 1-128");
        refused(&|r| r.activity_id = "x".repeat(129), "--activity-id");
        refused(&|r| r.patient = "not-an-address".into(), "--patient");
        refused(&|r| r.patient = r.patient.to_uppercase(), "lower case");
        refused(
            &|r| r.patient = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4".into(),
            "\"cosmos\" address",
        );
        refused(&|r| r.rewards = "nope".into(), "--rewards");
        refused(&|r| r.chain_id = " ".into(), "chain id");
        refused(&|r| r.activity.days = 2, "days");
        refused(&|r| r.activity.cfactor = Decimal::percent(201), "cfactor");
        refused(
            &|r| {
                r.activity.activity = ActivityType::ChronicProgramme;
                r.activity.days = 32;
            },
            "Rpatient inputs: ",
        );
    }

    #[test]
    fn amounts_are_clamped_and_printed_as_btt() {
        let k = key();
        let mut r = request(&k);
        r.activity.avalue = Decimal::percent(100_000); // 1,000 BTT: above a check-up's 600
        assert_eq!(sign(&k, &r).unwrap().amount, Uint128::new(600 * BTT_UNIT));
        assert_eq!(btt(Uint128::new(600 * BTT_UNIT)), "600");
        assert_eq!(btt(Uint128::new(1_500_000)), "1.5");
        assert_eq!(btt(Uint128::new(1)), "0.000001");
    }

    #[test]
    fn activity_names_are_the_messages_names() {
        assert_eq!(
            parse_activity("chronic_programme").unwrap(),
            ActivityType::ChronicProgramme
        );
        let e = parse_activity("Checkup").unwrap_err();
        assert!(e.contains("checkup, chronic_programme"), "{e}");
    }

    #[test]
    fn the_target_comes_from_the_flags_or_the_deployment() {
        use clap::Parser;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.json");
        let mut d = Deployment {
            chain_id: "bithive-browser-1".into(),
            ..Default::default()
        };
        d.contracts.rewards = "bithive1rewards".into();
        std::fs::write(&path, serde_json::to_string(&d).unwrap()).unwrap();
        let parse = |extra: &[&str]| {
            let mut argv = vec![
                "bithive",
                "rewards",
                "sign-patient-claim",
                "--key",
                "v",
                "--patient",
                "bithive1p",
                "--activity-id",
                "a",
                "--activity",
                "checkup",
                "--avalue",
                "300",
            ];
            argv.extend_from_slice(extra);
            crate::cli::Cli::try_parse_from(argv)
        };
        let args = |extra: &[&str]| match parse(extra).unwrap().command {
            crate::cli::Command::Rewards(RewardsCommand::SignPatientClaim(a)) => a,
            _ => panic!("not rewards"),
        };
        let p = path.to_str().unwrap();
        assert_eq!(
            args(&["--deployment", p]).target().unwrap(),
            ("bithive-browser-1".into(), "bithive1rewards".into())
        );
        assert_eq!(
            args(&["--chain-id", "c-1", "--rewards", "bithive1r"])
                .target()
                .unwrap(),
            ("c-1".into(), "bithive1r".into())
        );
        // One without the other, or both sources at once: clap refuses.
        assert!(parse(&["--chain-id", "c-1"]).is_err());
        assert!(parse(&["--deployment", p, "--chain-id", "c-1", "--rewards", "r"]).is_err());
        let missing = dir.path().join("none.json");
        let e = args(&["--deployment", missing.to_str().unwrap()])
            .target()
            .unwrap_err()
            .to_string();
        assert!(e.contains("--chain-id and --rewards"), "{e}");
        let a = args(&["--deployment", p, "--issued-at", "7", "--nonce", "9"]);
        assert_eq!(a.activity, ActivityType::Checkup);
        assert_eq!(a.days, 1);
        assert_eq!(a.cfactor, Decimal::one());
        assert_eq!(a.hconsistency, Decimal::zero());
        assert_eq!((a.issued_at, a.nonce), (Some(7), Some(9)));
    }
}
