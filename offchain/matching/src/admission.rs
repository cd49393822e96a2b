//! Who may have points evaluated by the blinding service, and how many (docs/ROLES.md, step 2).
//!
//! The attribute vocabulary is public and small (about 800 tokens), so whoever can evaluate all
//! of it under the service key `a` holds a dictionary: the matching node, which sees every
//! user's H(x)^a, would read every profile. The service therefore evaluates only for admitted
//! chain accounts, each request signed with the account's key, each account held to what its
//! role needs (a user: a budget of its own profile, never renewed; a researcher: a few requests
//! per epoch), and never for a denied account (the matching node's operator). A dictionary then
//! takes `vocabulary / quota` admitted accounts, whose admission is another party's
//! (the key authority enrolls users, institutes vouch for researchers).
//!
//! Requests are signed the way wallets sign arbitrary data (ADR-36: Keplr's and Leap's
//! `signArbitrary`, an amino sign doc of one `sign/MsgSignData`), over [`sign_text`]: the
//! chain, a nonce that only grows per account, the time in ms (a captured request cannot be
//! replayed to spend its quota) and the sha256 of the points.
//!
//! No I/O here: `bithive blinding serve` keeps the [`Ledger`] in a file and the
//! [`Admissions`] in another (cli/src/blinding.rs).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `POST /v1/oprf` request: the points and who asks for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OprfCall {
    pub points: Vec<String>,
    /// Absent: refused (401) with a reason, never evaluated.
    #[serde(default)]
    pub auth: Option<OprfAuth>,
}

/// The account's signature over [`sign_text`] (ADR-36), as wallets return it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OprfAuth {
    /// The account's bech32 address (the ADR-36 `signer`).
    pub signer: String,
    /// Base64 of the 33-byte compressed secp256k1 key (a wallet's `pub_key.value`).
    pub pubkey: String,
    /// Larger than any nonce this account used before (a wallet uses the time in ms).
    pub nonce: u64,
    /// Base64 of the 64-byte signature (a wallet's `signature`).
    pub signature: String,
}

/// The text an account signs for one call: what the wallet shows its owner.
pub fn sign_text(chain_id: &str, nonce: u64, points: &[String]) -> String {
    let mut h = Sha256::new();
    for p in points {
        h.update(p.to_ascii_lowercase().as_bytes());
        h.update(b"\n");
    }
    format!(
        "BitHive blinding service\nchain: {chain_id}\nnonce: {nonce}\npoints: {} sha256 {}",
        points.len(),
        hex::encode(h.finalize())
    )
}

/// The ADR-36 amino sign doc of `data` signed by `signer`, as CosmJS serializes it (keys
/// sorted, no spaces). Wallets sign sha256 of these bytes.
pub fn adr36_sign_bytes(signer: &str, data: &[u8]) -> Vec<u8> {
    bithive_payfi_voucher::adr36_sign_bytes(signer, data)
}

/// The bech32 account address of a compressed secp256k1 key (ripemd160 of sha256, as the
/// Cosmos SDK derives it).
pub fn account_address(prefix: &str, pubkey: &[u8]) -> Result<String, AdmissionError> {
    use ripemd::Ripemd160;
    let hrp = bech32::Hrp::parse(prefix).map_err(|_| AdmissionError::Prefix(prefix.into()))?;
    let id = Ripemd160::digest(Sha256::digest(pubkey));
    bech32::encode::<bech32::Bech32>(hrp, &id).map_err(|_| AdmissionError::Prefix(prefix.into()))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error(
        "unsigned: each call must be signed by an admitted chain account (auth: signer, pubkey, nonce, signature)"
    )]
    Unsigned,
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
    #[error("{0} is not an address of this chain (prefix {1})")]
    WrongPrefix(String, String),
    #[error("{0:?} is not a usable address prefix")]
    Prefix(String),
    #[error("{0} may not use the blinding service (the matching node's operator never may)")]
    Denied(String),
    #[error("{0} is not admitted to the blinding service (users are admitted when they enroll, researchers by their institute)")]
    NotAdmitted(String),
    #[error("nonce {got} is not above {last}, the last one {signer} used (a replayed request?)")]
    StaleNonce { signer: String, got: u64, last: u64 },
    #[error("nonce {got} is later than now plus {MAX_NONCE_SKEW_MS} ms (use the time in ms): a nonce from the future would lock the account out")]
    FutureNonce { got: u64 },
    #[error("{signer} used its enrollment's {quota} points ({used} used, {asked} asked): a user blinds its profile once per service key")]
    BudgetUsed {
        signer: String,
        used: u64,
        quota: u64,
        asked: u64,
    },
    #[error("{signer} used {used} of its {quota} points this epoch ({asked} asked); the quota renews in {retry_after_secs} s")]
    OverQuota {
        signer: String,
        used: u64,
        quota: u64,
        asked: u64,
        retry_after_secs: u64,
    },
}

/// How far past the service's clock a nonce (a time in ms) may be.
pub const MAX_NONCE_SKEW_MS: u64 = 10 * 60 * 1000;

/// What an admitted account is for; each role has its own quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An enrolled user: blinds its own profile.
    User,
    /// A researcher: blinds its requests' criteria.
    Researcher,
}

/// Who may call (the service's admissions file, JSON). A denied address is refused even when
/// it is admitted too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admissions {
    #[serde(default)]
    pub users: BTreeSet<String>,
    #[serde(default)]
    pub researchers: BTreeSet<String>,
    #[serde(default)]
    pub deny: BTreeSet<String>,
}

impl Admissions {
    /// The role of `address`, or why it may not call.
    pub fn role(&self, address: &str) -> Result<Role, AdmissionError> {
        if self.deny.contains(address) {
            return Err(AdmissionError::Denied(address.into()));
        }
        if self.researchers.contains(address) {
            Ok(Role::Researcher)
        } else if self.users.contains(address) {
            Ok(Role::User)
        } else {
            Err(AdmissionError::NotAdmitted(address.into()))
        }
    }

    /// Admits `address` for `role`; an address on the deny list is refused.
    pub fn admit(&mut self, role: Role, address: &str) -> Result<(), AdmissionError> {
        if self.deny.contains(address) {
            return Err(AdmissionError::Denied(address.into()));
        }
        match role {
            Role::User => self.users.insert(address.into()),
            Role::Researcher => self.researchers.insert(address.into()),
        };
        Ok(())
    }

    /// Denies `address` (and removes any admission it had).
    pub fn deny(&mut self, address: &str) {
        self.users.remove(address);
        self.researchers.remove(address);
        self.deny.insert(address.into());
    }
}

/// Points of each role, and the researchers' epoch. A user's points are a budget for as long as
/// the service key lasts, never renewed: the key does not change, so a budget renewed each
/// epoch would let one account blind the whole vocabulary over enough epochs. A researcher's
/// renew each epoch (a researcher is vouched for and pays for each request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub user_points: u64,
    pub researcher_points: u64,
    pub epoch_secs: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            // A profile is 4 attributes and 12 SimHash bands: twice that (a second device).
            user_points: 32,
            // Four requests of 16 criterion values a day.
            researcher_points: 64,
            epoch_secs: 86_400,
        }
    }
}

impl Quotas {
    fn of(&self, role: Role) -> u64 {
        match role {
            Role::User => self.user_points,
            Role::Researcher => self.researcher_points,
        }
    }
}

/// One account's use of the service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub epoch: u64,
    pub points: u64,
    pub last_nonce: u64,
}

/// Every account's use (kept in a file by the server, so a restart renews no quota and
/// accepts no replayed nonce).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    pub accounts: BTreeMap<String, Usage>,
}

/// What the service checks calls against: the chain its callers' accounts live on and the
/// quotas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Signed into every call, so a signature for another deployment is refused.
    pub chain_id: String,
    /// The chain's bech32 account prefix.
    pub prefix: String,
    pub quotas: Quotas,
}

/// A call that passed: who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub signer: String,
    pub role: Role,
}

/// Checks one call and, when it passes, charges its points to the signer: the signature (over
/// the chain and these points), the signer's admission, its nonce and its quota. A refused
/// call is charged nothing; one refused for its quota still uses up its nonce (the ledger
/// changes: a captured request cannot be replayed once the quota renews).
pub fn admit(
    req: &OprfCall,
    policy: &Policy,
    admissions: &Admissions,
    ledger: &mut Ledger,
    now_ms: u64,
) -> Result<Admitted, AdmissionError> {
    let auth = req.auth.as_ref().ok_or(AdmissionError::Unsigned)?;
    verify(auth, &policy.chain_id, &policy.prefix, &req.points)?;
    let quotas = &policy.quotas;
    let role = admissions.role(&auth.signer)?;
    if auth.nonce > now_ms.saturating_add(MAX_NONCE_SKEW_MS) {
        return Err(AdmissionError::FutureNonce { got: auth.nonce });
    }
    let quota = quotas.of(role);
    let now_secs = now_ms / 1000;
    let epoch_secs = quotas.epoch_secs.max(1);
    let epoch = now_secs / epoch_secs;
    let mut usage = ledger
        .accounts
        .get(&auth.signer)
        .copied()
        .unwrap_or_default();
    if auth.nonce <= usage.last_nonce {
        return Err(AdmissionError::StaleNonce {
            signer: auth.signer.clone(),
            got: auth.nonce,
            last: usage.last_nonce,
        });
    }
    if usage.epoch != epoch && role == Role::Researcher {
        usage.points = 0;
    }
    usage.epoch = epoch;
    usage.last_nonce = auth.nonce;
    let asked = req.points.len() as u64;
    if usage.points.saturating_add(asked) > quota {
        let used = usage.points;
        ledger.accounts.insert(auth.signer.clone(), usage);
        return Err(match role {
            Role::Researcher => AdmissionError::OverQuota {
                signer: auth.signer.clone(),
                used,
                quota,
                asked,
                retry_after_secs: (epoch + 1) * epoch_secs - now_secs,
            },
            Role::User => AdmissionError::BudgetUsed {
                signer: auth.signer.clone(),
                used,
                quota,
                asked,
            },
        });
    }
    usage.points += asked;
    ledger.accounts.insert(auth.signer.clone(), usage);
    Ok(Admitted {
        signer: auth.signer.clone(),
        role,
    })
}

/// The signature of `auth` over the call's [`sign_text`], by the key whose address is the signer.
fn verify(
    auth: &OprfAuth,
    chain_id: &str,
    prefix: &str,
    points: &[String],
) -> Result<(), AdmissionError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad = |why: &str| AdmissionError::BadSignature(why.into());
    let pubkey = b64
        .decode(&auth.pubkey)
        .map_err(|_| bad("pubkey is not base64"))?;
    let key =
        VerifyingKey::from_sec1_bytes(&pubkey).map_err(|_| bad("pubkey is not a secp256k1 key"))?;
    let hrp_ok = auth
        .signer
        .rsplit_once('1')
        .is_some_and(|(hrp, _)| hrp == prefix);
    if !hrp_ok {
        return Err(AdmissionError::WrongPrefix(
            auth.signer.clone(),
            prefix.into(),
        ));
    }
    let compressed = key.to_encoded_point(true);
    if account_address(prefix, compressed.as_bytes())? != auth.signer {
        return Err(bad("pubkey is not the signer's key"));
    }
    let sig = b64
        .decode(&auth.signature)
        .map_err(|_| bad("signature is not base64"))?;
    let sig = Signature::from_slice(&sig).map_err(|_| bad("signature is not 64 bytes (r, s)"))?;
    let text = sign_text(chain_id, auth.nonce, points);
    key.verify(&adr36_sign_bytes(&auth.signer, text.as_bytes()), &sig)
        .map_err(|_| bad("not this account's signature of this call"))
}

/// Signs a call as a wallet's `signArbitrary` does (clients without a wallet: the CLI, tests).
pub fn sign_request(
    key: &k256::ecdsa::SigningKey,
    prefix: &str,
    chain_id: &str,
    nonce: u64,
    points: Vec<String>,
) -> Result<OprfCall, AdmissionError> {
    use k256::ecdsa::signature::Signer;
    let pubkey = key.verifying_key().to_encoded_point(true);
    let signer = account_address(prefix, pubkey.as_bytes())?;
    let text = sign_text(chain_id, nonce, &points);
    let sig: Signature = key.sign(&adr36_sign_bytes(&signer, text.as_bytes()));
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(OprfCall {
        auth: Some(OprfAuth {
            signer,
            pubkey: b64.encode(pubkey.as_bytes()),
            nonce,
            signature: b64.encode(sig.to_bytes()),
        }),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "bithive-test-1";

    fn key(i: u8) -> k256::ecdsa::SigningKey {
        k256::ecdsa::SigningKey::from_slice(&[i; 32]).unwrap()
    }

    fn points(n: usize) -> Vec<String> {
        (0..n).map(|i| hex::encode([i as u8; 32])).collect()
    }

    fn setup() -> (Admissions, Policy, Ledger, String) {
        let user = sign_request(&key(1), "bithive", CHAIN, 1, vec![])
            .unwrap()
            .auth
            .unwrap()
            .signer;
        let mut a = Admissions::default();
        a.admit(Role::User, &user).unwrap();
        (
            a,
            Policy {
                chain_id: CHAIN.into(),
                prefix: "bithive".into(),
                quotas: Quotas {
                    user_points: 16,
                    researcher_points: 64,
                    epoch_secs: 100,
                },
            },
            Ledger::default(),
            user,
        )
    }

    #[test]
    fn the_sign_doc_is_what_cosmjs_serializes_for_adr36() {
        // CosmJS `serializeSignDoc(makeADR36AminoSignDoc(signer, "hi"))` (Keplr's helper).
        assert_eq!(
            String::from_utf8(adr36_sign_bytes("bithive1xyz", b"hi")).unwrap(),
            r#"{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":"aGk=","signer":"bithive1xyz"}}],"sequence":"0"}"#
        );
    }

    #[test]
    fn a_user_has_one_budget_and_a_researcher_a_quota_per_epoch() {
        let (mut a, q, mut l, user) = setup();
        let hexes = points(10);
        let req = sign_request(&key(1), "bithive", CHAIN, 5, hexes.clone()).unwrap();
        let ok = admit(&req, &q, &a, &mut l, 1_000_000).unwrap();
        assert_eq!(ok.role, Role::User);
        assert_eq!(l.accounts[&user].points, 10);
        // The same request again is a replay.
        let replay = admit(&req, &q, &a, &mut l, 1_001_000);
        assert!(matches!(replay, Err(AdmissionError::StaleNonce { .. })));
        // 10 more do not fit 16; nothing is charged, the nonce is used up.
        let more = sign_request(&key(1), "bithive", CHAIN, 6, hexes.clone()).unwrap();
        let over = admit(&more, &q, &a, &mut l, 1_050_000);
        assert_eq!(
            over,
            Err(AdmissionError::BudgetUsed {
                signer: user.clone(),
                used: 10,
                quota: 16,
                asked: 10,
            })
        );
        assert_eq!(l.accounts[&user].points, 10);
        assert_eq!(l.accounts[&user].last_nonce, 6);
        // A user's budget is not renewed in a later epoch.
        let later = sign_request(&key(1), "bithive", CHAIN, 7, hexes.clone()).unwrap();
        assert!(matches!(
            admit(&later, &q, &a, &mut l, 9_000_000),
            Err(AdmissionError::BudgetUsed { .. })
        ));
        // A researcher's quota renews each epoch; an over-quota call is not replayable then.
        let researcher = sign_request(&key(4), "bithive", CHAIN, 1, vec![])
            .unwrap()
            .auth
            .unwrap()
            .signer;
        a.admit(Role::Researcher, &researcher).unwrap();
        let sixty = points(60);
        let r1 = sign_request(&key(4), "bithive", CHAIN, 1, sixty.clone()).unwrap();
        admit(&r1, &q, &a, &mut l, 1_000_000).unwrap();
        let r2 = sign_request(&key(4), "bithive", CHAIN, 2, sixty.clone()).unwrap();
        assert!(matches!(
            admit(&r2, &q, &a, &mut l, 1_050_000),
            Err(AdmissionError::OverQuota {
                retry_after_secs: 50,
                ..
            })
        ));
        assert!(matches!(
            admit(&r2, &q, &a, &mut l, 1_100_000),
            Err(AdmissionError::StaleNonce { .. })
        ));
        let r3 = sign_request(&key(4), "bithive", CHAIN, 3, sixty).unwrap();
        admit(&r3, &q, &a, &mut l, 1_100_000).unwrap();
        // A nonce from the future (it would lock the account out) is refused.
        let future = sign_request(&key(4), "bithive", CHAIN, u64::MAX, points(1)).unwrap();
        assert!(matches!(
            admit(&future, &q, &a, &mut l, 1_100_000),
            Err(AdmissionError::FutureNonce { .. })
        ));
    }

    #[test]
    fn unsigned_forged_foreign_denied_and_unknown_callers_are_refused() {
        let (mut a, q, mut l, user) = setup();
        let hexes = points(2);
        let unsigned = OprfCall {
            points: hexes.clone(),
            auth: None,
        };
        let call = |r: &OprfCall, a: &Admissions, l: &mut Ledger| admit(r, &q, a, l, 10);
        assert_eq!(call(&unsigned, &a, &mut l), Err(AdmissionError::Unsigned));
        // Signed for other points, another chain, or claiming another signer.
        let mut other = sign_request(&key(1), "bithive", CHAIN, 1, points(3)).unwrap();
        other.points = hexes.clone();
        assert!(matches!(
            call(&other, &a, &mut l),
            Err(AdmissionError::BadSignature(_))
        ));
        let foreign = sign_request(&key(1), "bithive", "other-chain", 1, hexes.clone()).unwrap();
        assert!(matches!(
            call(&foreign, &a, &mut l),
            Err(AdmissionError::BadSignature(_))
        ));
        let mut stolen = sign_request(&key(2), "bithive", CHAIN, 1, hexes.clone()).unwrap();
        stolen.auth.as_mut().unwrap().signer = user.clone();
        assert!(matches!(
            call(&stolen, &a, &mut l),
            Err(AdmissionError::BadSignature(_))
        ));
        let wasm = sign_request(&key(1), "wasm", CHAIN, 1, hexes.clone()).unwrap();
        assert!(matches!(
            call(&wasm, &a, &mut l),
            Err(AdmissionError::WrongPrefix(..))
        ));
        // A valid signature of an account nobody admitted.
        let stranger = sign_request(&key(3), "bithive", CHAIN, 1, hexes.clone()).unwrap();
        assert!(matches!(
            call(&stranger, &a, &mut l),
            Err(AdmissionError::NotAdmitted(_))
        ));
        // Denied wins over admitted, and cannot be admitted again.
        a.deny(&user);
        let mine = sign_request(&key(1), "bithive", CHAIN, 1, hexes).unwrap();
        assert!(matches!(
            call(&mine, &a, &mut l),
            Err(AdmissionError::Denied(_))
        ));
        assert!(a.admit(Role::Researcher, &user).is_err());
        assert!(l.accounts.is_empty(), "nothing charged for refused calls");
    }
}
