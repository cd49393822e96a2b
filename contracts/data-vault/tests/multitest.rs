//! cw-multi-test suite of the data vault: records, consent and access log, datasets and paid
//! differential-privacy queries, with the attacks first (each names what stops it).

mod common;

use bithive_cw_test_fixtures::suite::{cw20_send, instantiate_migratable};
use bithive_cw_test_fixtures::{
    addrs, advance, bank_balance, cw20_balance, cw20_base_code, new_cw20, rejecting_contract,
};
use bithive_data_vault::contract::{execute, instantiate, migrate, query};
use bithive_data_vault::msg::*;
use bithive_data_vault::ContractError;
use common::*;
use cosmwasm_std::{
    coin, coins, from_json, Addr, Binary, Decimal, HexBinary, SignedDecimal, Timestamp, Uint128,
};
use cw721::msg::{NftInfoResponse, NumTokensResponse, OwnerOfResponse, TokensResponse};
use cw_multi_test::{App, AppResponse, BankSudo, ContractWrapper, Executor, SudoMsg};

const DENOM: &str = "ubtt";

struct T {
    app: App,
    vault: Addr,
    admin: Addr,
    curator: Addr,
    answerer: Addr,
    alice: Addr,
    bob: Addr,
    researcher: Addr,
    mallory: Addr,
    btt: Addr,
    code: u64,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    bithive_cw_test_fixtures::contract_err(r)
}

fn attr(r: &AppResponse, key: &str) -> Option<String> {
    bithive_cw_test_fixtures::suite::wasm_attr(r, key)
}

fn setup() -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n); admin, curator, answerer, alice, bob, researcher, mallory);
    for who in [&researcher, &mallory] {
        app.sudo(SudoMsg::Bank(BankSudo::Mint {
            to_address: who.to_string(),
            amount: coins(1_000_000, DENOM),
        }))
        .unwrap();
    }
    let c20 = cw20_base_code(&mut app);
    let btt = new_cw20(&mut app, c20, &admin, &researcher, "BTT", 1_000_000);
    let code = app.store_code(Box::new(
        ContractWrapper::new(execute, instantiate, query).with_migrate(migrate),
    ));
    let init = init_msg(&[curator.as_str()], answerer.as_str(), &[btt.as_str()]);
    let vault = instantiate_migratable(&mut app, code, &admin, &init, "vault");
    T {
        app,
        vault,
        admin,
        curator,
        answerer,
        alice,
        bob,
        researcher,
        mallory,
        btt,
        code,
    }
}

/// [`setup`], then Alice mints a DICOM study: the suite and the record's token id.
fn with_dicom() -> (T, String) {
    let mut t = setup();
    let alice = t.alice.clone();
    let token = t.mint(&alice, RecordType::DicomStudy);
    (t, token)
}

/// [`setup`], a dataset of budget 5, and a query for 1 epsilon paid `price`: the suite and its
/// id.
fn with_query(price: u128) -> (T, u64) {
    let mut t = setup();
    let ds = t.native_dataset("5");
    let id = t.submit_id(ds, "1", price);
    (t, id)
}

impl T {
    fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.vault.clone(), msg, &[])
    }

    fn exec_paid(
        &mut self,
        who: &Addr,
        msg: &ExecuteMsg,
        amount: u128,
    ) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.vault.clone(), msg, &coins(amount, DENOM))
    }

    fn q<R: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> R {
        self.app.wrap().query_wasm_smart(&self.vault, msg).unwrap()
    }

    fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    fn mint(&mut self, who: &Addr, t: RecordType) -> String {
        let who = who.clone();
        let r = self
            .exec(&who, &ExecuteMsg::Mint { record: record(t) })
            .unwrap();
        let data: MintResponse = from_json(r.data.clone().unwrap()).unwrap();
        assert_eq!(
            attr(&r, "token_id").as_deref(),
            Some(data.token_id.as_str())
        );
        data.token_id
    }

    fn grant(&mut self, owner: &Addr, token: &str, grantee: &Addr, purpose: Purpose, secs: u64) {
        let msg = grant_msg(token, grantee, purpose, self.now().plus_seconds(secs));
        self.exec(&owner.clone(), &msg).unwrap();
    }

    fn log(&mut self, who: &Addr, token: &str, purpose: Purpose) -> anyhow::Result<AppResponse> {
        self.exec(&who.clone(), &log_msg(token, purpose))
    }

    /// A dataset priced at 100 of `asset` per epsilon, budget `total`, per-query max 1, TTL one
    /// day, at most 3 records.
    fn dataset(&mut self, total: &str, asset: AssetInfo) -> u64 {
        let curator = self.curator.clone();
        let r = self.exec(&curator, &dataset_msg(total, asset)).unwrap();
        from_json(r.data.unwrap()).unwrap()
    }

    fn native_dataset(&mut self, total: &str) -> u64 {
        self.dataset(total, AssetInfo::Native(DENOM.into()))
    }

    fn submit(&mut self, ds: u64, eps: &str, pay: u128) -> anyhow::Result<AppResponse> {
        let r = self.researcher.clone();
        self.exec_paid(&r, &ExecuteMsg::SubmitQuery(count(ds, eps)), pay)
    }

    /// A query for `eps` on `ds` (paying `pay`) is refused: only `remaining` is left.
    #[track_caller]
    fn assert_over_budget(&mut self, ds: u64, eps: &str, pay: u128, remaining: &str) {
        let expected = ContractError::BudgetExceeded {
            epsilon: eps.into(),
            remaining: remaining.into(),
        };
        assert_eq!(err(self.submit(ds, eps, pay)), expected);
    }

    fn submit_id(&mut self, ds: u64, eps: &str, pay: u128) -> u64 {
        let r = self.submit(ds, eps, pay).unwrap();
        from_json::<SubmitQueryResponse>(r.data.unwrap())
            .unwrap()
            .query_id
    }

    fn answer(&mut self, who: &Addr, id: u64) -> anyhow::Result<AppResponse> {
        self.exec(&who.clone(), &answer_msg(id))
    }

    fn refund(&mut self, id: u64) -> anyhow::Result<AppResponse> {
        let who = self.mallory.clone();
        self.exec(&who, &ExecuteMsg::RefundQuery { query_id: id })
    }
}

// ---------------------------------------------------------------- attacks: records

#[test]
fn attack_approval_based_transfer_by_non_owner() {
    let (mut t, token) = with_dicom();
    let (alice, mallory) = (t.alice.clone(), t.mallory.clone());
    // cw721 would let an approved spender or an operator move the token; both are refused.
    for msg in [
        ExecuteMsg::Approve {
            spender: mallory.to_string(),
            token_id: token.clone(),
            expires: None,
        },
        ExecuteMsg::ApproveAll {
            operator: mallory.to_string(),
            expires: None,
        },
        ExecuteMsg::Revoke {
            spender: mallory.to_string(),
            token_id: token.clone(),
        },
        ExecuteMsg::RevokeAll {
            operator: mallory.to_string(),
        },
    ] {
        assert_eq!(
            err(t.exec(&alice, &msg)),
            ContractError::ApprovalsDisabled {}
        );
    }
    // Nobody but the owner moves or burns it.
    for msg in [
        transfer_msg(&mallory, &token),
        ExecuteMsg::SendNft {
            contract: mallory.to_string(),
            token_id: token.clone(),
            msg: Binary::default(),
        },
        burn_msg(&token),
    ] {
        assert_eq!(
            err(t.exec(&mallory, &msg)),
            ContractError::Unauthorized {
                role: "record owner"
            }
        );
    }
    let o: OwnerOfResponse = t.q(&QueryMsg::OwnerOf {
        token_id: token,
        include_expired: None,
    });
    assert_eq!(o.owner, alice.to_string());
    assert!(o.approvals.is_empty());
}

#[test]
fn mint_is_for_oneself_and_validates_the_record() {
    let mut t = setup();
    let alice = t.alice.clone();
    let a = t.mint(&alice, RecordType::DicomStudy);
    let b = t.mint(&alice, RecordType::WearableSeries);
    assert_eq!((a.as_str(), b.as_str()), ("1", "2"));
    let info: NftInfoResponse<Record> = t.q(&QueryMsg::NftInfo {
        token_id: a.clone(),
    });
    assert_eq!(info.extension.content_id, CID);
    assert_eq!(info.extension.record_type, RecordType::DicomStudy);
    assert_eq!(info.extension.size, 1_048_576);
    let tokens: TokensResponse = t.q(&QueryMsg::Tokens {
        owner: alice.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, vec![a, b]);
    let bad = [
        ("Qmabc", "12 to 128 characters"),
        (&"b".repeat(200), "12 to 128 characters"),
        (
            "zafkreigh2akiscaildcqabsyg3dfr6chu3f",
            "multibase prefix must be 'b' (base32)",
        ),
        ("bqfkreigh2akiscaildcqabsyg3dfr6chu3f", "not a CIDv1"),
        (
            "bafkreigh2akiscaildcqabsyg3dfr6chu3F",
            "base32 digits are a-z 2-7",
        ),
        (
            "bafkreigh2akiscaildcqabsyg3dfr6chu31",
            "base32 digits are a-z 2-7",
        ),
    ];
    for (cid, reason) in bad {
        let mut r = record(RecordType::Other);
        r.content_id = cid.into();
        assert_eq!(
            err(t.exec(&alice, &ExecuteMsg::Mint { record: r })),
            ContractError::InvalidField {
                field: "content_id",
                reason
            },
            "{cid}"
        );
    }
    let mut r = record(RecordType::Other);
    r.ciphertext_sha256 = HexBinary::from([1u8; 31]);
    assert!(matches!(
        err(t.exec(&alice, &ExecuteMsg::Mint { record: r })),
        ContractError::InvalidField {
            field: "ciphertext_sha256",
            ..
        }
    ));
    let mut r = record(RecordType::Other);
    r.size = 0;
    assert!(matches!(
        err(t.exec(&alice, &ExecuteMsg::Mint { record: r })),
        ContractError::InvalidField { field: "size", .. }
    ));
}

#[test]
fn owner_transfers_and_burns() {
    let mut t = setup();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    let token = t.mint(&alice, RecordType::LabPanel);
    let r = t.exec(&alice, &transfer_msg(&bob, &token)).unwrap();
    assert_eq!(attr(&r, "epoch").as_deref(), Some("1"));
    // Alice no longer owns it.
    assert_eq!(
        err(t.exec(&alice, &burn_msg(&token))),
        ContractError::Unauthorized {
            role: "record owner"
        }
    );
    t.exec(&bob, &burn_msg(&token)).unwrap();
    let n: NumTokensResponse = t.q(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 0);
    assert_eq!(
        err(t.exec(&bob, &burn_msg(&token))),
        ContractError::RecordNotFound { token_id: token }
    );
}

#[test]
fn send_nft_to_a_rejecting_contract_reverts_whole() {
    let mut t = setup();
    let alice = t.alice.clone();
    let token = t.mint(&alice, RecordType::LabPanel);
    let hostile = rejecting_contract(&mut t.app, &alice);
    assert!(t
        .exec(
            &alice,
            &ExecuteMsg::SendNft {
                contract: hostile.to_string(),
                token_id: token.clone(),
                msg: Binary::default(),
            },
        )
        .is_err());
    let o: OwnerOfResponse = t.q(&QueryMsg::OwnerOf {
        token_id: token,
        include_expired: None,
    });
    assert_eq!(o.owner, alice.to_string());
}

// ---------------------------------------------------------------- attacks: consent

#[test]
fn attack_log_access_by_non_grantee() {
    let (mut t, token) = with_dicom();
    let (alice, bob, mallory) = (t.alice.clone(), t.bob.clone(), t.mallory.clone());
    t.grant(&alice, &token, &bob, Purpose::Treatment, DAY);
    assert_eq!(
        err(t.log(&mallory, &token, Purpose::Treatment)),
        ContractError::NoGrant {
            token_id: token.clone(),
            grantee: mallory.to_string(),
            purpose: "treatment"
        }
    );
    // The grant is per purpose: Bob's treatment grant is no research grant.
    assert_eq!(
        err(t.log(&bob, &token, Purpose::Research)),
        ContractError::NoGrant {
            token_id: token.clone(),
            grantee: bob.to_string(),
            purpose: "research"
        }
    );
    // Only the owner grants.
    let expires_at = t.now().plus_seconds(DAY);
    assert_eq!(
        err(t.exec(
            &mallory,
            &ExecuteMsg::GrantAccess {
                token_id: token.clone(),
                grantee: mallory.to_string(),
                purpose: Purpose::Research,
                expires_at,
                wrapped_key: Binary::from(vec![1u8; 8]),
            }
        )),
        ContractError::Unauthorized {
            role: "record owner"
        }
    );
    // And only the owner revokes.
    assert_eq!(
        err(t.exec(&mallory, &revoke_msg(&token, &bob, Purpose::Treatment))),
        ContractError::Unauthorized {
            role: "record owner"
        }
    );
    let r = t.log(&bob, &token, Purpose::Treatment).unwrap();
    let ev = r
        .events
        .iter()
        .find_map(|e| {
            AccessEvent::from_attributes(
                e.attributes
                    .iter()
                    .map(|a| (a.key.as_str(), a.value.as_str())),
            )
        })
        .unwrap();
    assert_eq!(
        ev,
        AccessEvent {
            token_id: token,
            grantee: bob.to_string(),
            purpose: "treatment".into(),
            time: t.now().seconds(),
            seq: 1,
        }
    );
}

#[test]
fn attack_log_access_under_revoked_grant() {
    let (mut t, token) = with_dicom();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    t.grant(&alice, &token, &bob, Purpose::Research, DAY);
    t.log(&bob, &token, Purpose::Research).unwrap();
    t.exec(&alice, &revoke_msg(&token, &bob, Purpose::Research))
        .unwrap();
    assert_eq!(
        err(t.log(&bob, &token, Purpose::Research)),
        ContractError::GrantRevoked {
            token_id: token.clone(),
            grantee: bob.to_string(),
            purpose: "research"
        }
    );
    let g: GrantResponse = t.q(&QueryMsg::Grant {
        token_id: token.clone(),
        grantee: bob.to_string(),
        purpose: Purpose::Research,
    });
    assert!(!g.live);
    assert!(g.grant.unwrap().wrapped_key.is_empty());
    // A fresh grant restores access.
    t.grant(&alice, &token, &bob, Purpose::Research, DAY);
    t.log(&bob, &token, Purpose::Research).unwrap();
}

#[test]
fn attack_log_access_under_expired_grant() {
    let (mut t, token) = with_dicom();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    t.grant(&alice, &token, &bob, Purpose::Treatment, 100);
    let expires = t.now().plus_seconds(100);
    advance(&mut t.app, 99);
    t.log(&bob, &token, Purpose::Treatment).unwrap();
    advance(&mut t.app, 1);
    assert_eq!(
        err(t.log(&bob, &token, Purpose::Treatment)),
        ContractError::GrantExpired {
            token_id: token.clone(),
            grantee: bob.to_string(),
            purpose: "treatment",
            expired_at: expires
        }
    );
    let g: GrantResponse = t.q(&QueryMsg::Grant {
        token_id: token,
        grantee: bob.to_string(),
        purpose: Purpose::Treatment,
    });
    assert!(!g.live);
}

#[test]
fn grant_expiry_and_key_are_bounded() {
    let (mut t, token) = with_dicom();
    let (alice, bob) = (t.alice.clone(), t.bob.clone());
    let now = t.now();
    let grant = |expires_at: Timestamp, key: Vec<u8>| ExecuteMsg::GrantAccess {
        token_id: token.clone(),
        grantee: bob.to_string(),
        purpose: Purpose::Treatment,
        expires_at,
        wrapped_key: Binary::from(key),
    };
    for at in [now, now.plus_seconds(365 * DAY + 1)] {
        assert_eq!(
            err(t.exec(&alice, &grant(at, vec![1]))),
            ContractError::BadExpiry {
                expires_at: at,
                max_seconds: 365 * DAY
            }
        );
    }
    for key in [vec![], vec![0u8; MAX_WRAPPED_KEY_LEN + 1]] {
        assert!(matches!(
            err(t.exec(&alice, &grant(now.plus_seconds(10), key))),
            ContractError::InvalidField {
                field: "wrapped_key",
                ..
            }
        ));
    }
    t.exec(&alice, &grant(now.plus_seconds(365 * DAY), vec![1; 512]))
        .unwrap();
}

#[test]
fn attack_log_access_after_transfer_or_burn() {
    let (mut t, token) = with_dicom();
    let (alice, bob, mallory) = (t.alice.clone(), t.bob.clone(), t.mallory.clone());
    // Alice granted Mallory before selling the record to Bob: Bob never consented.
    t.grant(&alice, &token, &mallory, Purpose::Research, DAY);
    t.log(&mallory, &token, Purpose::Research).unwrap();
    t.exec(&alice, &transfer_msg(&bob, &token)).unwrap();
    assert_eq!(
        err(t.log(&mallory, &token, Purpose::Research)),
        ContractError::GrantVoided {
            token_id: token.clone(),
            grantee: mallory.to_string()
        }
    );
    // Even if the record comes back to Alice, the old grant stays void.
    t.exec(&bob, &transfer_msg(&alice, &token)).unwrap();
    assert!(matches!(
        err(t.log(&mallory, &token, Purpose::Research)),
        ContractError::GrantVoided { .. }
    ));
    // The new owner's own grant works; after a burn nothing does.
    t.grant(&alice, &token, &bob, Purpose::Treatment, DAY);
    t.log(&bob, &token, Purpose::Treatment).unwrap();
    t.exec(&alice, &burn_msg(&token)).unwrap();
    assert_eq!(
        err(t.log(&bob, &token, Purpose::Treatment)),
        ContractError::RecordNotFound { token_id: token }
    );
}

#[test]
fn grants_are_listed_both_ways() {
    let mut t = setup();
    let (alice, bob, mallory) = (t.alice.clone(), t.bob.clone(), t.mallory.clone());
    let a = t.mint(&alice, RecordType::DicomStudy);
    let b = t.mint(&alice, RecordType::LabPanel);
    t.grant(&alice, &a, &bob, Purpose::Treatment, DAY);
    t.grant(&alice, &a, &bob, Purpose::Research, DAY);
    t.grant(&alice, &a, &mallory, Purpose::Education, DAY);
    t.grant(&alice, &b, &bob, Purpose::Treatment, DAY);
    let of_a: GrantsResponse = t.q(&QueryMsg::Grants {
        token_id: a.clone(),
        start_after: None,
        limit: None,
    });
    assert_eq!(of_a.grants.len(), 3);
    assert!(of_a.grants.iter().all(|g| g.live));
    let of_bob: GrantsResponse = t.q(&QueryMsg::GrantsOf {
        grantee: bob.to_string(),
        start_after: None,
        limit: Some(2),
    });
    assert_eq!(of_bob.grants.len(), 2);
    let last = of_bob.grants[1].grant.clone().unwrap();
    let rest: GrantsResponse = t.q(&QueryMsg::GrantsOf {
        grantee: bob.to_string(),
        start_after: Some((last.token_id, last.purpose)),
        limit: None,
    });
    assert_eq!(rest.grants.len(), 1);
    assert_eq!(rest.grants[0].grant.as_ref().unwrap().token_id, b);
}

/// A reading key for tests: an X25519 public key of a made-up secret.
fn reading_key_of(seed: u8) -> HexBinary {
    let public = x25519_dalek::x25519([seed; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
    HexBinary::from(public.as_slice())
}

/// ADR 017's swap: Mallory, who relays Bob's key to Alice, cannot put hers in its place on
/// chain, since a reading key is stored under the account that sent it. What Alice reads by
/// Bob's address is what Bob's own transaction set.
#[test]
fn attack_publishing_a_reading_key_for_another_account() {
    let mut t = setup();
    let (bob, mallory) = (t.bob.clone(), t.mallory.clone());
    let key_of = |t: &T, who: &Addr| -> ReadingKeyResponse {
        t.q(&QueryMsg::ReadingKey {
            account: who.to_string(),
        })
    };
    assert_eq!(key_of(&t, &bob).reading_key, None);
    let bobs = reading_key_of(1);
    let r = t
        .exec(
            &bob,
            &ExecuteMsg::SetReadingKey {
                public_key: bobs.clone(),
            },
        )
        .unwrap();
    assert_eq!(attr(&r, "action").as_deref(), Some("set_reading_key"));
    assert_eq!(attr(&r, "account").as_deref(), Some(bob.as_str()));
    assert_eq!(attr(&r, "public_key"), Some(bobs.to_hex()));
    let mallorys = reading_key_of(2);
    t.exec(
        &mallory,
        &ExecuteMsg::SetReadingKey {
            public_key: mallorys.clone(),
        },
    )
    .unwrap();
    let seen = key_of(&t, &bob);
    assert_eq!(seen.account, bob);
    assert_eq!(
        seen.reading_key.unwrap().public_key,
        bobs,
        "Mallory's key is hers, not Bob's"
    );
    assert_eq!(
        key_of(&t, &mallory).reading_key.unwrap().public_key,
        mallorys
    );
    // No account can withdraw another's key: Mallory's withdrawal removes only her own.
    t.exec(&mallory, &ExecuteMsg::RemoveReadingKey {}).unwrap();
    assert_eq!(key_of(&t, &mallory).reading_key, None);
    assert_eq!(key_of(&t, &bob).reading_key.unwrap().public_key, bobs);
    assert_eq!(
        err(t.exec(&mallory, &ExecuteMsg::RemoveReadingKey {})),
        ContractError::NoReadingKey {
            account: mallory.to_string()
        }
    );
    // Bob replaces his key (a new time), then withdraws it.
    t.app.update_block(|b| b.time = b.time.plus_seconds(60));
    let newer = reading_key_of(3);
    t.exec(
        &bob,
        &ExecuteMsg::SetReadingKey {
            public_key: newer.clone(),
        },
    )
    .unwrap();
    let k = key_of(&t, &bob).reading_key.unwrap();
    assert_eq!(k.public_key, newer);
    assert_eq!(k.set_at, t.app.block_info().time);
    let r = t.exec(&bob, &ExecuteMsg::RemoveReadingKey {}).unwrap();
    assert_eq!(attr(&r, "action").as_deref(), Some("remove_reading_key"));
    assert_eq!(key_of(&t, &bob).reading_key, None);
}

/// A key that is not one (wrong length) or that anyone could open (a point of small order) is
/// refused, and an address that is not one is refused by the query.
#[test]
fn attack_a_reading_key_anyone_could_open() {
    let mut t = setup();
    let bob = t.bob.clone();
    for (bad, why) in [
        (HexBinary::from([0u8; 32]), "small order"),
        (HexBinary::from(vec![1u8; 31]), "32 bytes"),
        (HexBinary::from(vec![1u8; 33]), "32 bytes"),
        (HexBinary::from(Vec::<u8>::new()), "32 bytes"),
    ] {
        let e = err(t.exec(&bob, &ExecuteMsg::SetReadingKey { public_key: bad }));
        assert!(
            matches!(&e, ContractError::InvalidField { field: "public_key", reason } if reason.contains(why)),
            "{e}"
        );
    }
    let r: Result<ReadingKeyResponse, _> = t.app.wrap().query_wasm_smart(
        t.vault.clone(),
        &QueryMsg::ReadingKey {
            account: "not an address".into(),
        },
    );
    assert!(r.is_err());
}

// ---------------------------------------------------------------- attacks: DP budget and payment

#[test]
fn attack_query_past_budget() {
    let mut t = setup();
    let ds = t.native_dataset("1.5");
    t.submit_id(ds, "1", 100);
    t.assert_over_budget(ds, "0.6", 60, "0.5");
    // Above the per-query cap even with budget left.
    let ds2 = t.native_dataset("10");
    assert!(matches!(
        err(t.submit(ds2, "1.01", 102)),
        ContractError::EpsilonTooLarge { .. }
    ));
    assert!(matches!(
        err(t.submit(ds2, "0", 1)),
        ContractError::InvalidField {
            field: "epsilon",
            ..
        }
    ));
    t.submit_id(ds, "0.5", 50);
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(d.spent_epsilon, d.total_epsilon);
}

#[test]
fn attack_two_queries_racing_the_last_budget() {
    let mut t = setup();
    let ds = t.native_dataset("1");
    t.submit_id(ds, "0.7", 70);
    // Both want the last 0.3: transactions are applied one after the other, the first spends it.
    t.submit_id(ds, "0.3", 30);
    t.assert_over_budget(ds, "0.3", 30, "0");
    // A refund does not give budget back (the answer may have been handed over off chain).
    let q1 = 1;
    advance(&mut t.app, DAY);
    t.refund(q1).unwrap();
    assert!(matches!(
        err(t.submit(ds, "0.1", 10)),
        ContractError::BudgetExceeded { .. }
    ));
}

#[test]
fn attack_underpay_or_wrong_asset() {
    let mut t = setup();
    let ds = t.native_dataset("5");
    // ceil(100 * 0.333) = 34.
    assert_eq!(
        err(t.submit(ds, "0.333", 33)),
        ContractError::Underpaid {
            paid: "33".into(),
            price: "34".into()
        }
    );
    t.submit_id(ds, "0.333", 34);
    // Another denom.
    let researcher = t.researcher.clone();
    t.app
        .sudo(SudoMsg::Bank(BankSudo::Mint {
            to_address: researcher.to_string(),
            amount: coins(100, "uother"),
        }))
        .unwrap();
    let r = t.app.execute_contract(
        researcher.clone(),
        t.vault.clone(),
        &ExecuteMsg::SubmitQuery(count(ds, "0.1")),
        &[coin(100, "uother")],
    );
    assert!(matches!(err(r), ContractError::WrongAsset { .. }));
    // A cw20 the vault does not accept.
    let c20 = cw20_base_code(&mut t.app);
    let fake = new_cw20(&mut t.app, c20, &researcher, &researcher, "FAKE", 1_000);
    let vault = t.vault.clone();
    let submit = ReceiveMsg::SubmitQuery(count(ds, "0.1"));
    let r = cw20_send(&mut t.app, &researcher, &fake, &vault, 100, &submit);
    assert!(matches!(err(r), ContractError::Funds(_)));
}

#[test]
fn attack_answer_by_non_answerer() {
    let (mut t, id) = with_query(100);
    for who in [t.mallory.clone(), t.researcher.clone(), t.curator.clone()] {
        assert_eq!(
            err(t.answer(&who, id)),
            ContractError::Unauthorized { role: "answerer" }
        );
    }
    // A removed answerer can no longer answer.
    let (admin, answerer) = (t.admin.clone(), t.answerer.clone());
    t.exec(
        &admin,
        &ExecuteMsg::UpdateAnswerers {
            add: vec![],
            remove: vec![answerer.to_string()],
        },
    )
    .unwrap();
    assert_eq!(
        err(t.answer(&answerer, id)),
        ContractError::Unauthorized { role: "answerer" }
    );
}

#[test]
fn attack_answer_twice_and_refund_after_answer() {
    let (mut t, id) = with_query(100);
    let (answerer, researcher) = (t.answerer.clone(), t.researcher.clone());
    let before = bank_balance(&t.app, &researcher, DENOM);
    let r = t.answer(&answerer, id).unwrap();
    assert_eq!(
        attr(&r, "answer").unwrap(),
        r#"{"count":{"value":"421.3"}}"#
    );
    assert_eq!(bank_balance(&t.app, &answerer, DENOM), 100);
    assert_eq!(
        err(t.answer(&answerer, id)),
        ContractError::QuerySettled {
            id,
            status: "answered"
        }
    );
    advance(&mut t.app, DAY);
    assert_eq!(
        err(t.refund(id)),
        ContractError::QuerySettled {
            id,
            status: "answered"
        }
    );
    assert_eq!(bank_balance(&t.app, &answerer, DENOM), 100);
    assert_eq!(bank_balance(&t.app, &researcher, DENOM), before);
    assert_eq!(bank_balance(&t.app, &t.vault, DENOM), 0);
    let q: DpQuery = t.q(&QueryMsg::DpQuery { query_id: id });
    assert!(matches!(q.status, DpQueryStatus::Answered { .. }));
}

#[test]
fn attack_refund_twice_and_answer_after_expiry() {
    let (mut t, id) = with_query(150);
    let (answerer, researcher) = (t.answerer.clone(), t.researcher.clone());
    let before = bank_balance(&t.app, &researcher, DENOM);
    advance(&mut t.app, DAY - 1);
    assert!(matches!(
        err(t.refund(id)),
        ContractError::QueryNotExpired { .. }
    ));
    advance(&mut t.app, 1);
    // From the expiry on the answerer is too late, whatever it computed.
    assert!(matches!(
        err(t.answer(&answerer, id)),
        ContractError::QueryExpired { .. }
    ));
    t.refund(id).unwrap();
    assert_eq!(bank_balance(&t.app, &researcher, DENOM), before + 150);
    assert_eq!(
        err(t.refund(id)),
        ContractError::QuerySettled {
            id,
            status: "refunded"
        }
    );
    assert_eq!(
        err(t.answer(&answerer, id)),
        ContractError::QuerySettled {
            id,
            status: "refunded"
        }
    );
    assert_eq!(bank_balance(&t.app, &researcher, DENOM), before + 150);
    assert_eq!(bank_balance(&t.app, &t.vault, DENOM), 0);
}

#[test]
fn answer_must_match_the_query() {
    let mut t = setup();
    let ds = t.native_dataset("5");
    let researcher = t.researcher.clone();
    let r = t
        .exec_paid(
            &researcher,
            &ExecuteMsg::SubmitQuery(SubmitQueryMsg {
                dataset_id: ds,
                kind: QueryKind::Histogram {
                    field: "hba1c".into(),
                    lower: 4,
                    upper: 14,
                    bins: 5,
                },
                epsilon: Decimal::one(),
            }),
            100,
        )
        .unwrap();
    let id = from_json::<SubmitQueryResponse>(r.data.unwrap())
        .unwrap()
        .query_id;
    let answerer = t.answerer.clone();
    let counts = |n: usize| DpAnswer::Histogram {
        counts: vec![SignedDecimal::one(); n],
    };
    for a in [
        counts(4),
        DpAnswer::Count {
            value: SignedDecimal::one(),
        },
    ] {
        assert!(matches!(
            err(t.exec(
                &answerer,
                &ExecuteMsg::SubmitAnswer {
                    query_id: id,
                    answer: a
                }
            )),
            ContractError::AnswerMismatch { .. }
        ));
    }
    t.exec(
        &answerer,
        &ExecuteMsg::SubmitAnswer {
            query_id: id,
            answer: counts(5),
        },
    )
    .unwrap();
    // Bad query shapes are refused up front.
    for kind in [
        QueryKind::Mean {
            field: "HbA1c".into(),
            lower: 0,
            upper: 1,
        },
        QueryKind::Mean {
            field: "x".into(),
            lower: 1,
            upper: 1,
        },
        QueryKind::Histogram {
            field: "x".into(),
            lower: 0,
            upper: 1,
            bins: 65,
        },
    ] {
        let r = t.exec_paid(
            &researcher,
            &ExecuteMsg::SubmitQuery(SubmitQueryMsg {
                dataset_id: ds,
                kind,
                epsilon: Decimal::percent(1),
            }),
            100,
        );
        assert!(matches!(err(r), ContractError::InvalidField { .. }));
    }
}

#[test]
fn cw20_paid_query_pays_the_answerer() {
    let mut t = setup();
    let btt = t.btt.clone();
    let ds = t.dataset("3", AssetInfo::Cw20(btt.clone()));
    let researcher = t.researcher.clone();
    let mean = ReceiveMsg::SubmitQuery(SubmitQueryMsg {
        dataset_id: ds,
        kind: QueryKind::Mean {
            field: "hba1c".into(),
            lower: 4,
            upper: 14,
        },
        epsilon: Decimal::percent(50),
    });
    let vault = t.vault.clone();
    let r = cw20_send(&mut t.app, &researcher, &btt, &vault, 50, &mean).unwrap();
    assert_eq!(attr(&r, "remaining_epsilon").as_deref(), Some("2.5"));
    assert_eq!(cw20_balance(&t.app, &btt, &t.vault), 50);
    // Native coins for a cw20-priced dataset are refused.
    assert!(matches!(
        err(t.submit(ds, "0.1", 10)),
        ContractError::WrongAsset { .. }
    ));
    let answerer = t.answerer.clone();
    t.exec(
        &answerer,
        &ExecuteMsg::SubmitAnswer {
            query_id: 1,
            answer: DpAnswer::Mean {
                value: SignedDecimal::percent(712),
            },
        },
    )
    .unwrap();
    assert_eq!(cw20_balance(&t.app, &btt, &answerer), 50);
    assert_eq!(cw20_balance(&t.app, &btt, &t.vault), 0);
}

// ---------------------------------------------------------------- datasets: consent per record

#[test]
fn dataset_consent_is_per_owner_bounded_and_voided_by_transfer() {
    let mut t = setup();
    let (alice, bob, mallory) = (t.alice.clone(), t.bob.clone(), t.mallory.clone());
    let ds = t.native_dataset("5");
    let lab = t.mint(&alice, RecordType::LabPanel);
    let dicom = t.mint(&alice, RecordType::DicomStudy);
    let now = t.now();
    let join = |token: &str, secs: u64| join_msg(ds, token, now.plus_seconds(secs));
    // Only the owner can enrol a record; its type must match; the consent expiry is bounded.
    assert_eq!(
        err(t.exec(&mallory, &join(&lab, DAY))),
        ContractError::Unauthorized {
            role: "record owner"
        }
    );
    assert_eq!(
        err(t.exec(&alice, &join(&dicom, DAY))),
        ContractError::WrongRecordType { token_id: dicom }
    );
    assert!(matches!(
        err(t.exec(&alice, &join(&lab, 366 * DAY))),
        ContractError::BadExpiry { .. }
    ));
    t.exec(&alice, &join(&lab, DAY)).unwrap();
    // Rejoining updates, it does not count twice.
    t.exec(&alice, &join(&lab, 2 * DAY)).unwrap();
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(d.members, 1);
    let m: MembersResponse = t.q(&QueryMsg::Members {
        dataset_id: ds,
        start_after: None,
        limit: None,
    });
    assert!(m.members[0].live);
    // Selling the record voids the consent.
    t.exec(&alice, &transfer_msg(&bob, &lab)).unwrap();
    let m: MembersResponse = t.q(&QueryMsg::Members {
        dataset_id: ds,
        start_after: None,
        limit: None,
    });
    assert!(!m.members[0].live);
    // A voided consent can be pruned by anyone, freeing its place.
    t.exec(
        &mallory,
        &ExecuteMsg::LeaveDataset {
            dataset_id: ds,
            token_id: lab.clone(),
        },
    )
    .unwrap();
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(d.members, 0);
    assert_eq!(
        err(t.exec(
            &bob,
            &ExecuteMsg::LeaveDataset {
                dataset_id: ds,
                token_id: lab.clone()
            }
        )),
        ContractError::NotMember {
            dataset_id: ds,
            token_id: lab.clone()
        }
    );
    // The dataset holds at most max_members (3) records; an expired one can be pruned.
    let now = t.now();
    for _ in 0..3 {
        let tok = t.mint(&alice, RecordType::LabPanel);
        t.exec(&alice, &join_msg(ds, &tok, now.plus_seconds(DAY)))
            .unwrap();
    }
    // A live consent is withdrawn only by its owner.
    assert!(matches!(
        err(t.exec(
            &mallory,
            &ExecuteMsg::LeaveDataset {
                dataset_id: ds,
                token_id: "3".into()
            }
        )),
        ContractError::Unauthorized { .. }
    ));
    let tok = t.mint(&alice, RecordType::LabPanel);
    assert_eq!(
        err(t.exec(&alice, &join_msg(ds, &tok, now.plus_seconds(DAY)))),
        ContractError::DatasetFull { id: ds, max: 3 }
    );
    advance(&mut t.app, DAY);
    t.exec(
        &mallory,
        &ExecuteMsg::LeaveDataset {
            dataset_id: ds,
            token_id: "3".into(),
        },
    )
    .unwrap();
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(d.members, 2);
}

#[test]
fn datasets_are_created_by_admin_or_curator_and_closed() {
    let mut t = setup();
    let (mallory, admin, curator) = (t.mallory.clone(), t.admin.clone(), t.curator.clone());
    let msg = |total: &str, max: &str| {
        ExecuteMsg::CreateDataset(CreateDatasetMsg {
            name: "x".into(),
            record_type: RecordType::Other,
            total_epsilon: total.parse().unwrap(),
            max_query_epsilon: max.parse().unwrap(),
            price_asset: AssetInfo::Native(DENOM.into()),
            price_per_epsilon: Uint128::one(),
            max_querier_epsilon: total.parse().unwrap(),
            query_ttl_seconds: 60,
            max_members: 10,
            admission: Admission::Open {},
        })
    };
    assert_eq!(
        err(t.exec(&mallory, &msg("1", "1"))),
        ContractError::Unauthorized {
            role: "admin or curator"
        }
    );
    for (total, max) in [("0", "0"), ("1", "2"), ("1", "0")] {
        assert!(matches!(
            err(t.exec(&admin, &msg(total, max))),
            ContractError::InvalidField { .. }
        ));
    }
    let free = match msg("1", "1") {
        ExecuteMsg::CreateDataset(m) => ExecuteMsg::CreateDataset(CreateDatasetMsg {
            price_per_epsilon: Uint128::zero(),
            ..m
        }),
        _ => unreachable!(),
    };
    assert!(matches!(
        err(t.exec(&admin, &free)),
        ContractError::InvalidField {
            field: "price_per_epsilon",
            ..
        }
    ));
    t.exec(&admin, &msg("1", "1")).unwrap();
    let ds = t.native_dataset("1");
    assert!(matches!(
        err(t.exec(&mallory, &ExecuteMsg::CloseDataset { dataset_id: ds })),
        ContractError::Unauthorized { .. }
    ));
    t.exec(&curator, &ExecuteMsg::CloseDataset { dataset_id: ds })
        .unwrap();
    assert_eq!(
        err(t.submit(ds, "0.1", 10)),
        ContractError::DatasetClosed { id: ds }
    );
    let all: DatasetsResponse = t.q(&QueryMsg::Datasets {
        start_after: None,
        limit: None,
    });
    assert_eq!(all.datasets.len(), 2);
    let qs: DpQueriesResponse = t.q(&QueryMsg::DpQueries {
        dataset_id: ds,
        start_after: None,
        limit: None,
    });
    assert!(qs.queries.is_empty());
}

/// A curator prices a dataset in a "token" the vault does not accept (any string, escape bytes
/// included): no query could ever pay it, and every client reading the dataset's price asset
/// would ask a contract that is not there. Refused; an allowlisted token is taken.
#[test]
fn attack_a_dataset_priced_in_a_token_the_vault_cannot_take() {
    let mut t = setup();
    let curator = t.curator.clone();
    for bogus in [
        Addr::unchecked("not an address \u{1b}[31m"),
        t.mallory.clone(),
    ] {
        assert!(matches!(
            err(t.exec(&curator, &dataset_msg("1", AssetInfo::Cw20(bogus)))),
            ContractError::InvalidField {
                field: "price_asset",
                ..
            }
        ));
    }
    let all: DatasetsResponse = t.q(&QueryMsg::Datasets {
        start_after: None,
        limit: None,
    });
    assert!(all.datasets.is_empty());
    let btt = t.btt.clone();
    t.exec(&curator, &dataset_msg("1", AssetInfo::Cw20(btt)))
        .unwrap();
}

// ---------------------------------------------------------------- attacks: dataset admission

fn endorse_msg(token_id: &str, sha: [u8; 32]) -> ExecuteMsg {
    ExecuteMsg::EndorseRecord {
        token_id: token_id.into(),
        ciphertext_sha256: HexBinary::from(sha),
    }
}

fn remove_msg(dataset_id: u64, token_id: &str) -> ExecuteMsg {
    ExecuteMsg::RemoveMember {
        dataset_id,
        token_id: token_id.into(),
    }
}

impl T {
    /// Whether each member of `ds` is live, by token id.
    fn members(&self, ds: u64) -> Vec<(String, bool)> {
        let r: MembersResponse = self.q(&QueryMsg::Members {
            dataset_id: ds,
            start_after: None,
            limit: None,
        });
        r.members
            .into_iter()
            .map(|m| (m.membership.token_id, m.live))
            .collect()
    }
}

/// The review's attack: records cost nothing to mint, so one account filled every place of a
/// dataset and real patients were refused. An open dataset's curator now removes (and bars) what
/// was admitted wrongly; a dataset that names its issuers never admits a record they did not
/// endorse.
#[test]
fn attack_stuffing_a_dataset_with_fabricated_records() {
    let mut t = setup();
    let (mallory, alice, curator) = (t.mallory.clone(), t.alice.clone(), t.curator.clone());
    let hospital = t.app.api().addr_make("hospital");
    let until = t.now().plus_seconds(DAY);

    // Open admission: Mallory fills all 3 places, Alice's real record is refused.
    let open = t.native_dataset("5");
    let fakes: Vec<String> = (0..3)
        .map(|_| {
            let tok = t.mint(&mallory, RecordType::LabPanel);
            t.exec(&mallory, &join_msg(open, &tok, until)).unwrap();
            tok
        })
        .collect();
    let real = t.mint(&alice, RecordType::LabPanel);
    assert_eq!(
        err(t.exec(&alice, &join_msg(open, &real, until))),
        ContractError::DatasetFull { id: open, max: 3 }
    );
    // Only the curator (or admin) removes; a removed record may not come back.
    assert_eq!(
        err(t.exec(&mallory, &remove_msg(open, &fakes[0]))),
        ContractError::Unauthorized {
            role: "admin or the dataset's curator"
        }
    );
    let r = t.exec(&curator, &remove_msg(open, &fakes[0])).unwrap();
    assert_eq!(attr(&r, "action").as_deref(), Some("remove_member"));
    assert_eq!(
        err(t.exec(&mallory, &join_msg(open, &fakes[0], until))),
        ContractError::RecordExcluded {
            dataset_id: open,
            token_id: fakes[0].clone()
        }
    );
    assert_eq!(
        err(t.exec(&curator, &remove_msg(open, &fakes[0]))),
        ContractError::NotMember {
            dataset_id: open,
            token_id: fakes[0].clone()
        }
    );
    t.exec(&alice, &join_msg(open, &real, until)).unwrap();
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: open });
    assert_eq!(d.members, 3);

    // Issuer admission: nothing Mallory mints gets in, not even with her own endorsement.
    let r = t
        .exec(
            &curator,
            &dataset_msg_with(
                "5",
                "5",
                AssetInfo::Native(DENOM.into()),
                Admission::Issuers {
                    issuers: vec![hospital.to_string(), hospital.to_string()],
                },
            ),
        )
        .unwrap();
    let ds: u64 = from_json(r.data.unwrap()).unwrap();
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(
        d.admission,
        Admission::Issuers {
            issuers: vec![hospital.to_string()]
        }
    );
    let fake = t.mint(&mallory, RecordType::LabPanel);
    let not_endorsed = |token_id: &str| ContractError::NotEndorsed {
        dataset_id: ds,
        token_id: token_id.into(),
    };
    assert_eq!(
        err(t.exec(&mallory, &join_msg(ds, &fake, until))),
        not_endorsed(&fake)
    );
    t.exec(&mallory, &endorse_msg(&fake, [0xab; 32])).unwrap();
    assert_eq!(
        err(t.exec(&mallory, &join_msg(ds, &fake, until))),
        not_endorsed(&fake)
    );
    // An endorsement names the ciphertext it vouches for.
    assert_eq!(
        err(t.exec(&hospital, &endorse_msg(&real, [0x01; 32]))),
        ContractError::EndorsementMismatch {
            token_id: real.clone()
        }
    );
    let r = t.exec(&hospital, &endorse_msg(&real, [0xab; 32])).unwrap();
    assert_eq!(attr(&r, "endorser"), Some(hospital.to_string()));
    let e: EndorsementsResponse = t.q(&QueryMsg::Endorsements {
        token_id: real.clone(),
        start_after: None,
        limit: None,
    });
    assert_eq!(e.endorsements.len(), 1);
    assert_eq!(e.endorsements[0].endorser, hospital);
    t.exec(&alice, &join_msg(ds, &real, until)).unwrap();
    assert_eq!(t.members(ds), vec![(real.clone(), true)]);

    // The issuer withdraws (the record was not theirs after all): it stops counting at once,
    // and anyone may prune it.
    assert_eq!(
        err(t.exec(
            &mallory,
            &ExecuteMsg::WithdrawEndorsement {
                token_id: real.clone()
            }
        )),
        ContractError::NoEndorsement {
            token_id: real.clone(),
            endorser: mallory.to_string()
        }
    );
    t.exec(
        &hospital,
        &ExecuteMsg::WithdrawEndorsement {
            token_id: real.clone(),
        },
    )
    .unwrap();
    assert_eq!(t.members(ds), vec![(real.clone(), false)]);
    t.exec(
        &mallory,
        &ExecuteMsg::LeaveDataset {
            dataset_id: ds,
            token_id: real.clone(),
        },
    )
    .unwrap();
    assert!(t.members(ds).is_empty());
}

/// The review's attack: a free dataset let anyone spend its whole privacy budget. Queries are
/// never free, and one researcher spends at most its own cap, so others still can ask.
#[test]
fn attack_one_researcher_exhausts_the_budget() {
    let mut t = setup();
    let (curator, mallory, researcher) =
        (t.curator.clone(), t.mallory.clone(), t.researcher.clone());
    let native = || AssetInfo::Native(DENOM.into());
    for (per, why) in [("0", "zero"), ("6", "above the total")] {
        assert!(
            matches!(
                err(t.exec(
                    &curator,
                    &dataset_msg_with("5", per, native(), Admission::Open {})
                )),
                ContractError::InvalidField {
                    field: "max_querier_epsilon",
                    ..
                }
            ),
            "a per-querier cap {why} is refused"
        );
    }
    let r = t
        .exec(
            &curator,
            &dataset_msg_with("5", "2", native(), Admission::Open {}),
        )
        .unwrap();
    let ds: u64 = from_json(r.data.unwrap()).unwrap();
    t.submit_id(ds, "1", 100);
    t.submit_id(ds, "1", 100);
    assert_eq!(
        err(t.submit(ds, "0.5", 50)),
        ContractError::QuerierBudgetExceeded {
            epsilon: "0.5".into(),
            remaining: "0".into()
        }
    );
    // Another researcher still has its own share.
    t.exec_paid(&mallory, &ExecuteMsg::SubmitQuery(count(ds, "1")), 100)
        .unwrap();
    let budget = |t: &T, who: &Addr| -> QuerierBudgetResponse {
        t.q(&QueryMsg::QuerierBudget {
            dataset_id: ds,
            querier: who.to_string(),
        })
    };
    let mine = budget(&t, &researcher);
    assert_eq!(
        (mine.spent, mine.remaining),
        (Decimal::from_atomics(2u8, 0).unwrap(), Decimal::zero())
    );
    let theirs = budget(&t, &mallory);
    assert_eq!(
        (theirs.spent, theirs.remaining),
        (Decimal::one(), Decimal::one())
    );
    let d: Dataset = t.q(&QueryMsg::Dataset { dataset_id: ds });
    assert_eq!(d.spent_epsilon, Decimal::from_atomics(3u8, 0).unwrap());
}

// ---------------------------------------------------------------- admin, cw2, migrate

#[test]
fn admin_only_and_migrate() {
    let mut t = setup();
    let (mallory, admin) = (t.mallory.clone(), t.admin.clone());
    for msg in admin_only_msgs(mallory.as_str()) {
        assert_eq!(
            err(t.exec(&mallory, &msg)),
            ContractError::Unauthorized { role: "admin" }
        );
    }
    assert!(matches!(
        err(t.exec(
            &admin,
            &ExecuteMsg::UpdateConfig {
                max_grant_seconds: Some(MAX_GRANT_SECONDS_CAP + 1)
            }
        )),
        ContractError::InvalidField { .. }
    ));
    t.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            max_grant_seconds: Some(3600),
        },
    )
    .unwrap();
    let c: Config = t.q(&QueryMsg::Config {});
    assert_eq!(c.max_grant_seconds, 3600);
    let a: AddressesResponse = t.q(&QueryMsg::Answerers {
        start_after: None,
        limit: None,
    });
    assert_eq!(a.addresses, vec![t.answerer.to_string()]);
    let v = cw2::query_contract_info(&t.app.wrap(), t.vault.to_string()).unwrap();
    assert_eq!(v.contract, "crates.io:bithive-data-vault");
    // Migrating to the same code keeps state and answers from/version.
    let alice = t.alice.clone();
    let token = t.mint(&alice, RecordType::Other);
    let code = t.code;
    let r = t
        .app
        .migrate_contract(admin.clone(), t.vault.clone(), &MigrateMsg {}, code)
        .unwrap();
    assert_eq!(attr(&r, "action").as_deref(), Some("migrate"));
    assert_eq!(attr(&r, "from").as_deref(), Some("0.1.0"));
    let o: OwnerOfResponse = t.q(&QueryMsg::OwnerOf {
        token_id: token,
        include_expired: None,
    });
    assert_eq!(o.owner, alice.to_string());
}
