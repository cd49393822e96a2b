//! The committed `artifacts/bithive_data_vault.wasm` (checked against `artifacts/checksums.txt`)
//! executed in cosmwasm-vm 3 through bithive-vm-host, on the adversarial suite's `World` and
//! helpers: a record minted by its owner, who alone may transfer or burn it (no approvals);
//! access granted to a grantee for a purpose until an expiry, logged under the live grant, refused
//! once revoked, expired or voided by a transfer; a differential-privacy dataset whose queries
//! are accepted within the epsilon budget and refused past it, paid to the answerer or refunded;
//! cw2 and migration. Messages are `bithive_interface::data_vault`'s; every refusal is the text of
//! the contract's own `ContractError` and leaves every contract's storage and every balance
//! exactly as it was.

mod common;

use bithive_adversarial_tests::deployed::Deployed;
use bithive_adversarial_tests::deref_to_deployed;
use bithive_adversarial_tests::{contract_error, World};
use bithive_cw_test_fixtures::{addrs, cloned};
use bithive_data_vault::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use bithive_data_vault::ContractError;
use bithive_interface::data_vault::{
    events as ev, AccessEvent, AssetInfo, Dataset, DpAnswer, DpQuery, DpQueryStatus, ExecuteMsg,
    GrantResponse, MembersResponse, MigrateMsg, Purpose, QueryMsg, ReadingKeyResponse, Record,
    RecordType, SubmitQueryMsg,
};
use bithive_interface::WASM_EVENT;
use bithive_vm_host::{coin, HostError, TxResponse};
use common::*;
use cosmwasm_std::{Binary, Decimal, HexBinary, SignedDecimal, Timestamp};
use cw721::msg::{NftInfoResponse, NumTokensResponse, OwnerOfResponse, TokensResponse};

/// Query payments (BTT as a bank denom).
const BTT: &str = "ubtt";
/// Longest grant the vault is instantiated with ([`init_msg`]'s).
const MAX_GRANT: u64 = 365 * DAY;

/// The vault (`vm.ok`, `vm.q`, the snapshots: [`Deployed`]) and its accounts.
struct Vm {
    d: Deployed,
    vault: String,
    curator: String,
    answerer: String,
    alice: String,
    bob: String,
    carol: String,
    researcher: String,
    mallory: String,
}

deref_to_deployed!(Vm, d);

/// The vault artifact, instantiated by the deployer (admin) with one curator and one answerer;
/// the researcher and mallory hold 1,000,000 [`BTT`].
fn setup() -> Vm {
    let mut w = World::bare();
    addrs!(|n| w.addr(n); curator, answerer, alice, bob, carol, researcher, mallory);
    for who in [&researcher, &mallory] {
        w.chain
            .mint_native(who, &[coin(1_000_000, BTT)])
            .expect("fund");
    }
    let init = init_msg(&[&curator], &answerer, &[]);
    let accounts = [
        &curator,
        &answerer,
        &alice,
        &bob,
        &carol,
        &researcher,
        &mallory,
    ];
    let accounts = accounts.map(String::as_str);
    let artifact = "bithive_data_vault.wasm";
    let d = Deployed::deploy(w, artifact, "bithive-data-vault", &init, &accounts);
    let vault = d.addr.clone();
    Vm {
        d,
        vault,
        curator,
        answerer,
        alice,
        bob,
        carol,
        researcher,
        mallory,
    }
}

fn answer(query_id: u64) -> ExecuteMsg {
    answer_msg(query_id)
}

impl Vm {
    /// Executes with `amount` [`BTT`] attached (none when 0).
    fn paid(
        &mut self,
        sender: &str,
        msg: &ExecuteMsg,
        amount: u128,
    ) -> Result<TxResponse, HostError> {
        let funds = if amount == 0 {
            vec![]
        } else {
            vec![coin(amount, BTT)]
        };
        let vault = self.vault.clone();
        self.w.chain.execute(&vault, sender, msg, &funds)
    }

    /// `sender`'s call (with `amount` attached) is refused with exactly `expected`, and nothing
    /// changed: no storage written, no balance moved.
    #[track_caller]
    fn refused_paid(
        &mut self,
        sender: &str,
        msg: &ExecuteMsg,
        amount: u128,
        expected: ContractError,
    ) {
        let before = self.snapshot();
        let got = contract_error(self.paid(sender, msg, amount));
        assert_eq!(got, expected.to_string(), "{msg:?} from {sender}");
        self.assert_unchanged(&before);
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_seconds(self.w.now())
    }

    fn bank(&self, who: &str) -> u128 {
        self.w.chain.balance(who, BTT)
    }

    /// `owner` mints a record; returns its token id (from the `mint` event).
    #[track_caller]
    fn mint(&mut self, owner: &str, t: RecordType) -> String {
        let tx = self.ok(owner, &ExecuteMsg::Mint { record: record(t) });
        assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::MINT));
        tx.attr(WASM_EVENT, ev::attr::TOKEN_ID)
            .expect("token_id attribute")
            .to_string()
    }

    fn owner_of(&self, token_id: &str) -> String {
        let r: OwnerOfResponse = self.q(&QueryMsg::OwnerOf {
            token_id: token_id.into(),
            include_expired: None,
        });
        r.owner
    }

    fn grant_msg(&self, token_id: &str, grantee: &str, purpose: Purpose, secs: u64) -> ExecuteMsg {
        grant_msg(token_id, grantee, purpose, self.now().plus_seconds(secs))
    }

    fn grant(&self, token_id: &str, grantee: &str, purpose: Purpose) -> GrantResponse {
        self.q(&QueryMsg::Grant {
            token_id: token_id.into(),
            grantee: grantee.into(),
            purpose,
        })
    }

    /// `grantee` logs an access; returns the typed access event.
    #[track_caller]
    fn log(&mut self, grantee: &str, token_id: &str, purpose: Purpose) -> AccessEvent {
        let tx = self.ok(grantee, &log(token_id, purpose));
        let event = tx
            .events
            .iter()
            .find(|e| e.ty == WASM_EVENT)
            .expect("wasm event");
        AccessEvent::from_attributes(
            event
                .attributes
                .iter()
                .map(|a| (a.key.as_str(), a.value.as_str())),
        )
        .expect("a log_access event")
    }

    /// The curator creates a lab-panel dataset: budget `total`, at most 1 per query, 100 [`BTT`]
    /// per epsilon, queries answerable for a day, at most 3 records.
    fn dataset(&mut self, total: &str) -> u64 {
        let curator = self.curator.clone();
        let tx = self.ok(&curator, &create_dataset(total));
        assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::CREATE_DATASET));
        assert_eq!(tx.attr(WASM_EVENT, ev::attr::OWNER), Some(curator.as_str()));
        assert_eq!(tx.attr(WASM_EVENT, ev::attr::EPSILON), Some(total));
        tx.attr(WASM_EVENT, ev::attr::DATASET_ID)
            .expect("dataset_id attribute")
            .parse()
            .expect("numeric dataset id")
    }

    fn dataset_info(&self, dataset_id: u64) -> Dataset {
        self.q(&QueryMsg::Dataset { dataset_id })
    }

    /// The researcher submits `msg` paying `amount`; returns the transaction.
    #[track_caller]
    fn submit(&mut self, msg: SubmitQueryMsg, amount: u128) -> TxResponse {
        let researcher = self.researcher.clone();
        self.paid(&researcher, &ExecuteMsg::SubmitQuery(msg), amount)
            .unwrap_or_else(|e| panic!("submit query: {e}"))
    }

    fn dp_query(&self, query_id: u64) -> DpQuery {
        self.q(&QueryMsg::DpQuery { query_id })
    }
}

fn log(token_id: &str, purpose: Purpose) -> ExecuteMsg {
    log_msg(token_id, purpose)
}

fn create_dataset(total: &str) -> ExecuteMsg {
    dataset_msg(total, AssetInfo::Native(BTT.into()))
}

#[test]
fn mint_then_only_the_owner_transfers_and_burns() {
    let mut vm = setup();
    cloned!(vm => alice, bob, carol, mallory);
    let tx = vm.ok(
        &alice,
        &ExecuteMsg::Mint {
            record: record(RecordType::DicomStudy),
        },
    );
    for (key, value) in [
        (ev::ACTION, ev::MINT),
        (ev::attr::OWNER, alice.as_str()),
        (ev::attr::TOKEN_ID, "1"),
        (ev::attr::CONTENT_ID, CID),
        (ev::attr::RECORD_TYPE, RecordType::DicomStudy.as_str()),
    ] {
        assert_eq!(tx.attr(WASM_EVENT, key), Some(value), "{key}");
    }
    let token = "1";
    assert_eq!(vm.owner_of(token), alice);
    let info: NftInfoResponse<Record> = vm.q(&QueryMsg::NftInfo {
        token_id: token.into(),
    });
    assert_eq!(
        info.extension,
        Record {
            content_id: CID.into(),
            record_type: RecordType::DicomStudy,
            size: 1_048_576,
            ciphertext_sha256: HexBinary::from([0xab; 32]),
            minted_at: vm.now(),
        }
    );
    let n: NumTokensResponse = vm.q(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 1);

    // A record that does not describe a CIDv1 ciphertext is refused.
    let mut bad = record(RecordType::Other);
    bad.content_id = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o".into();
    vm.refused(
        &alice,
        &ExecuteMsg::Mint { record: bad },
        ContractError::InvalidField {
            field: "content_id",
            reason: "multibase prefix must be 'b' (base32)",
        },
    );

    // Nobody but the owner moves or burns it, and nobody can be approved to.
    let transfer = |to: &str| transfer_msg(to, token);
    let burn = burn_msg(token);
    let not_owner = || ContractError::Unauthorized {
        role: "record owner",
    };
    vm.refused(&mallory, &transfer(&mallory), not_owner());
    vm.refused(&mallory, &burn, not_owner());
    vm.refused(
        &mallory,
        &ExecuteMsg::Approve {
            spender: mallory.clone(),
            token_id: token.into(),
            expires: None,
        },
        ContractError::ApprovalsDisabled {},
    );
    vm.refused(
        &alice,
        &ExecuteMsg::ApproveAll {
            operator: mallory.clone(),
            expires: None,
        },
        ContractError::ApprovalsDisabled {},
    );
    vm.refused(
        &alice,
        &transfer_msg(&bob, "99"),
        ContractError::RecordNotFound {
            token_id: "99".into(),
        },
    );
    assert_eq!(vm.owner_of(token), alice);

    // The owner transfers (a new epoch); the former owner is then a stranger to it.
    let tx = vm.ok(&alice, &transfer(&bob));
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::TRANSFER_NFT));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::RECIPIENT), Some(bob.as_str()));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::EPOCH), Some("1"));
    assert_eq!(vm.owner_of(token), bob);
    vm.refused(&alice, &transfer(&carol), not_owner());
    vm.refused(&alice, &burn, not_owner());

    // The new owner burns it: gone from cw721 and from the vault.
    let tx = vm.ok(&bob, &burn);
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::BURN));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::EPOCH), Some("2"));
    let n: NumTokensResponse = vm.q(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 0);
    let tokens: TokensResponse = vm.q(&QueryMsg::Tokens {
        owner: bob.clone(),
        start_after: None,
        limit: None,
    });
    assert!(tokens.tokens.is_empty());
    vm.refused(
        &bob,
        &burn,
        ContractError::RecordNotFound {
            token_id: token.into(),
        },
    );
    // Ids are never reused.
    assert_eq!(vm.mint(&alice, RecordType::Other), "2");
}

/// The committed artifact keeps each reading key under the account that sent it: Mallory's
/// key is hers, Bob's query answer is Bob's own key, and a point of small order changes nothing.
#[test]
fn a_reading_key_is_set_only_by_its_own_account() {
    let mut vm = setup();
    let (bob, mallory) = (vm.bob.clone(), vm.mallory.clone());
    let key = |b: u8| {
        HexBinary::from(
            x25519_dalek::x25519([b; 32], x25519_dalek::X25519_BASEPOINT_BYTES).as_slice(),
        )
    };
    let tx = vm.ok(&bob, &ExecuteMsg::SetReadingKey { public_key: key(1) });
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::SET_READING_KEY));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::ACCOUNT), Some(bob.as_str()));
    vm.ok(&mallory, &ExecuteMsg::SetReadingKey { public_key: key(2) });
    vm.refused(
        &mallory,
        &ExecuteMsg::SetReadingKey {
            public_key: HexBinary::from([0u8; 32]),
        },
        ContractError::InvalidField {
            field: "public_key",
            reason: "a point of small order: anyone could open what is sealed to it",
        },
    );
    let of = |vm: &Vm, who: &str| -> ReadingKeyResponse {
        vm.q(&QueryMsg::ReadingKey {
            account: who.into(),
        })
    };
    assert_eq!(of(&vm, &bob).reading_key.unwrap().public_key, key(1));
    assert_eq!(of(&vm, &mallory).reading_key.unwrap().public_key, key(2));
    vm.ok(&bob, &ExecuteMsg::RemoveReadingKey {});
    assert_eq!(of(&vm, &bob).reading_key, None);
    vm.refused(
        &bob,
        &ExecuteMsg::RemoveReadingKey {},
        ContractError::NoReadingKey {
            account: bob.clone(),
        },
    );
}

#[test]
fn grant_log_and_revoke_access() {
    let mut vm = setup();
    let (alice, bob, mallory) = (vm.alice.clone(), vm.bob.clone(), vm.mallory.clone());
    let token = vm.mint(&alice, RecordType::LabPanel);
    let grant = vm.grant_msg(&token, &bob, Purpose::Treatment, DAY);
    // Only the record's owner grants: not a stranger, not the grantee itself.
    for who in [&mallory, &bob] {
        vm.refused(
            who,
            &grant,
            ContractError::Unauthorized {
                role: "record owner",
            },
        );
    }
    // The expiry is after now and within max_grant_seconds.
    for secs in [0, MAX_GRANT + 1] {
        let bad = vm.grant_msg(&token, &bob, Purpose::Treatment, secs);
        let expected = ContractError::BadExpiry {
            expires_at: vm.now().plus_seconds(secs),
            max_seconds: MAX_GRANT,
        };
        vm.refused(&alice, &bad, expected);
    }
    let tx = vm.ok(&alice, &grant);
    let expires_at = vm.now().plus_seconds(DAY);
    for (key, value) in [
        (ev::ACTION, ev::GRANT_ACCESS),
        (ev::attr::TOKEN_ID, token.as_str()),
        (ev::attr::GRANTEE, bob.as_str()),
        (ev::attr::PURPOSE, Purpose::Treatment.as_str()),
        (
            ev::attr::EXPIRES_AT,
            expires_at.seconds().to_string().as_str(),
        ),
        (ev::attr::EPOCH, "0"),
    ] {
        assert_eq!(tx.attr(WASM_EVENT, key), Some(value), "{key}");
    }
    let g = vm.grant(&token, &bob, Purpose::Treatment);
    assert!(g.live);
    let g = g.grant.expect("grant");
    assert_eq!((g.expires_at, g.revoked_at), (expires_at, None));
    assert_eq!(g.wrapped_key, Binary::from(vec![7u8; 80]));

    // The grantee logs its accesses under the live grant: an audit trail numbered per record.
    vm.w.advance(60);
    let first = vm.log(&bob, &token, Purpose::Treatment);
    assert_eq!(
        first,
        AccessEvent {
            token_id: token.clone(),
            grantee: bob.clone(),
            purpose: Purpose::Treatment.as_str().into(),
            time: vm.w.now(),
            seq: 1,
        }
    );
    assert_eq!(vm.log(&bob, &token, Purpose::Treatment).seq, 2);
    // No grant for another purpose, nor for anyone else, nor for a record that does not exist.
    vm.refused(
        &bob,
        &log(&token, Purpose::Research),
        ContractError::NoGrant {
            token_id: token.clone(),
            grantee: bob.clone(),
            purpose: Purpose::Research.as_str(),
        },
    );
    vm.refused(
        &mallory,
        &log(&token, Purpose::Treatment),
        ContractError::NoGrant {
            token_id: token.clone(),
            grantee: mallory.clone(),
            purpose: Purpose::Treatment.as_str(),
        },
    );
    vm.refused(
        &bob,
        &log("99", Purpose::Treatment),
        ContractError::RecordNotFound {
            token_id: "99".into(),
        },
    );

    // Only the owner revokes; a revoked grant is a tombstone without its key, and refuses logs.
    let revoke = revoke_msg(&token, &bob, Purpose::Treatment);
    for who in [&mallory, &bob] {
        vm.refused(
            who,
            &revoke,
            ContractError::Unauthorized {
                role: "record owner",
            },
        );
    }
    vm.refused(
        &alice,
        &revoke_msg(&token, &mallory, Purpose::Treatment),
        ContractError::NoGrant {
            token_id: token.clone(),
            grantee: mallory.clone(),
            purpose: Purpose::Treatment.as_str(),
        },
    );
    let tx = vm.ok(&alice, &revoke);
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::REVOKE_ACCESS));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::GRANTEE), Some(bob.as_str()));
    let g = vm.grant(&token, &bob, Purpose::Treatment);
    assert!(!g.live);
    let g = g.grant.expect("tombstone");
    assert_eq!(g.revoked_at, Some(vm.now()));
    assert!(g.wrapped_key.is_empty());
    vm.refused(
        &bob,
        &log(&token, Purpose::Treatment),
        ContractError::GrantRevoked {
            token_id: token.clone(),
            grantee: bob.clone(),
            purpose: Purpose::Treatment.as_str(),
        },
    );
}

#[test]
fn an_expired_grant_and_one_voided_by_a_transfer_are_refused() {
    let mut vm = setup();
    let (alice, bob, carol) = (vm.alice.clone(), vm.bob.clone(), vm.carol.clone());
    let token = vm.mint(&alice, RecordType::WearableSeries);
    let grant = vm.grant_msg(&token, &bob, Purpose::Research, 3_600);
    vm.ok(&alice, &grant);
    let expires_at = vm.now().plus_seconds(3_600);
    // Live until the last second before the expiry, refused from the expiry on.
    vm.w.advance(3_599);
    assert_eq!(vm.log(&bob, &token, Purpose::Research).seq, 1);
    vm.w.advance(1);
    let research_log = log(&token, Purpose::Research);
    assert!(!vm.grant(&token, &bob, Purpose::Research).live);
    let expired = ContractError::GrantExpired {
        token_id: token.clone(),
        grantee: bob.clone(),
        purpose: Purpose::Research.as_str(),
        expired_at: expires_at,
    };
    vm.refused(&bob, &research_log, expired);
    // A new grant for the same triple replaces the expired one.
    let renewed = vm.grant_msg(&token, &bob, Purpose::Research, DAY);
    vm.ok(&alice, &renewed);
    assert_eq!(vm.log(&bob, &token, Purpose::Research).seq, 2);

    // Once the record changes hands, the previous owner's grants are void (epoch 0 vs 1).
    vm.ok(&alice, &transfer_msg(&carol, &token));
    assert!(!vm.grant(&token, &bob, Purpose::Research).live);
    let voided = ContractError::GrantVoided {
        token_id: token.clone(),
        grantee: bob.clone(),
    };
    vm.refused(&bob, &research_log, voided);
    // The former owner cannot re-grant; the new owner can.
    let regrant = vm.grant_msg(&token, &bob, Purpose::Research, DAY);
    vm.refused(
        &alice,
        &regrant,
        ContractError::Unauthorized {
            role: "record owner",
        },
    );
    vm.ok(&carol, &regrant);
    assert_eq!(vm.log(&bob, &token, Purpose::Research).seq, 3);
}

#[test]
fn dp_queries_within_the_epsilon_budget_are_accepted_past_it_refused() {
    let mut vm = setup();
    let (researcher, mallory, deployer) = (
        vm.researcher.clone(),
        vm.mallory.clone(),
        vm.w.deployer.clone(),
    );
    // Only the admin or a curator creates datasets.
    vm.refused(
        &mallory,
        &create_dataset("1.5"),
        ContractError::Unauthorized {
            role: "admin or curator",
        },
    );
    let ds = vm.dataset("1.5");
    assert_eq!(ds, 1);
    let vault = vm.vault.clone();
    let start = vm.bank(&researcher);

    // Within the budget: epsilon 1 (the per-query maximum) for its price, 100.
    let tx = vm.submit(count(ds, "1"), 100);
    for (key, value) in [
        (ev::ACTION, ev::SUBMIT_QUERY),
        (ev::attr::QUERY_ID, "1"),
        (ev::attr::DATASET_ID, "1"),
        (ev::attr::RESEARCHER, researcher.as_str()),
        (ev::attr::EPSILON, "1"),
        (ev::attr::AMOUNT, "100"),
        (ev::attr::REMAINING_EPSILON, "0.5"),
    ] {
        assert_eq!(tx.attr(WASM_EVENT, key), Some(value), "{key}");
    }
    assert_eq!(vm.dataset_info(ds).spent_epsilon, Decimal::one());
    assert_eq!((vm.bank(&vault), vm.bank(&researcher)), (100, start - 100));

    // Past the budget: 0.6 when 0.5 is left, however much is paid. Nothing is spent or paid.
    let past = ExecuteMsg::SubmitQuery(count(ds, "0.6"));
    vm.refused_paid(
        &researcher,
        &past,
        1_000,
        ContractError::BudgetExceeded {
            epsilon: "0.6".into(),
            remaining: "0.5".into(),
        },
    );
    // Above the per-query maximum, below the price, or in another asset.
    vm.refused_paid(
        &researcher,
        &ExecuteMsg::SubmitQuery(count(ds, "1.2")),
        120,
        ContractError::EpsilonTooLarge {
            epsilon: "1.2".into(),
            max: "1".into(),
        },
    );
    let half = ExecuteMsg::SubmitQuery(count(ds, "0.5"));
    vm.refused_paid(
        &researcher,
        &half,
        49,
        ContractError::Underpaid {
            paid: "49".into(),
            price: "50".into(),
        },
    );
    vm.w.chain
        .mint_native(&researcher, &[coin(1_000, "uusd")])
        .expect("fund");
    let before = vm.snapshot();
    let r =
        vm.w.chain
            .execute(&vault, &researcher, &half, &[coin(50, "uusd")]);
    assert_eq!(
        contract_error(r),
        ContractError::WrongAsset {
            paid: AssetInfo::Native("uusd".into()).key(),
            expected: AssetInfo::Native(BTT.into()).key(),
        }
        .to_string()
    );
    vm.assert_unchanged(&before);
    let d = vm.dataset_info(ds);
    assert_eq!(d.spent_epsilon, Decimal::one());

    // Exactly the rest of the budget is accepted; then even the smallest query is refused.
    let tx = vm.submit(count(ds, "0.5"), 50);
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::REMAINING_EPSILON), Some("0"));
    let d = vm.dataset_info(ds);
    assert_eq!(d.spent_epsilon, d.total_epsilon);
    vm.refused_paid(
        &researcher,
        &ExecuteMsg::SubmitQuery(count(ds, "0.000000000000000001")),
        1,
        ContractError::BudgetExceeded {
            epsilon: "0.000000000000000001".into(),
            remaining: "0".into(),
        },
    );
    assert_eq!((vm.bank(&vault), vm.bank(&researcher)), (150, start - 150));

    // A closed dataset takes no query; only its curator or the admin closes it.
    let ds2 = vm.dataset("10");
    let close = ExecuteMsg::CloseDataset { dataset_id: ds2 };
    vm.refused(
        &mallory,
        &close,
        ContractError::Unauthorized {
            role: "admin or the dataset's curator",
        },
    );
    let tx = vm.ok(&deployer, &close);
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::CLOSE_DATASET));
    vm.refused_paid(
        &researcher,
        &ExecuteMsg::SubmitQuery(count(ds2, "0.1")),
        10,
        ContractError::DatasetClosed { id: ds2 },
    );
}

#[test]
fn a_query_pays_the_answerer_once_or_refunds_the_researcher_after_its_expiry() {
    let mut vm = setup();
    cloned!(vm => researcher, answerer, mallory, alice);
    let ds = vm.dataset("2");
    // A lab-panel record joins the dataset by its owner's consent.
    let token = vm.mint(&alice, RecordType::LabPanel);
    let other = vm.mint(&alice, RecordType::DicomStudy);
    let join = |token_id: &str, expires_at: Timestamp| join_msg(ds, token_id, expires_at);
    let until = vm.now().plus_seconds(30 * DAY);
    vm.refused(
        &mallory,
        &join(&token, until),
        ContractError::Unauthorized {
            role: "record owner",
        },
    );
    vm.refused(
        &alice,
        &join(&other, until),
        ContractError::WrongRecordType {
            token_id: other.clone(),
        },
    );
    let tx = vm.ok(&alice, &join(&token, until));
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::JOIN_DATASET));
    let members: MembersResponse = vm.q(&QueryMsg::Members {
        dataset_id: ds,
        start_after: None,
        limit: None,
    });
    assert_eq!(members.members.len(), 1);
    assert!(members.members[0].live);
    assert_eq!(vm.dataset_info(ds).members, 1);

    let vault = vm.vault.clone();
    let start = vm.bank(&researcher);
    vm.submit(count(ds, "1"), 100);
    vm.submit(count(ds, "0.5"), 50);
    let expires = vm.now().plus_seconds(DAY);
    assert_eq!(vm.dp_query(1).expires_at, expires);

    // Only a registered answerer answers, with an answer of the query's kind.
    vm.refused(
        &mallory,
        &answer(1),
        ContractError::Unauthorized { role: "answerer" },
    );
    vm.refused(
        &answerer,
        &ExecuteMsg::SubmitAnswer {
            query_id: 1,
            answer: DpAnswer::Mean {
                value: SignedDecimal::one(),
            },
        },
        ContractError::AnswerMismatch {
            reason: "answer kind differs from the query kind",
        },
    );
    let tx = vm.ok(&answerer, &answer(1));
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::ANSWER_QUERY));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::AMOUNT), Some("100"));
    assert_eq!(vm.bank(&answerer), 100);
    assert!(matches!(
        vm.dp_query(1).status,
        DpQueryStatus::Answered { .. }
    ));
    // Paid once: no second answer, no refund of an answered query.
    vm.refused(
        &answerer,
        &answer(1),
        ContractError::QuerySettled {
            id: 1,
            status: "answered",
        },
    );
    vm.w.advance(DAY);
    vm.refused(
        &mallory,
        &ExecuteMsg::RefundQuery { query_id: 1 },
        ContractError::QuerySettled {
            id: 1,
            status: "answered",
        },
    );

    // The unanswered query: no answer from its expiry on; anyone refunds it, once.
    vm.refused(
        &answerer,
        &answer(2),
        ContractError::QueryExpired { id: 2, at: expires },
    );
    let tx = vm.ok(&mallory, &ExecuteMsg::RefundQuery { query_id: 2 });
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::REFUND_QUERY));
    assert_eq!(
        tx.attr(WASM_EVENT, ev::attr::RESEARCHER),
        Some(researcher.as_str())
    );
    assert_eq!(vm.dp_query(2).status, DpQueryStatus::Refunded);
    assert_eq!((vm.bank(&researcher), vm.bank(&vault)), (start - 100, 0));
    vm.refused(
        &mallory,
        &ExecuteMsg::RefundQuery { query_id: 2 },
        ContractError::QuerySettled {
            id: 2,
            status: "refunded",
        },
    );
    // A refund gives no budget back (the answer may have been handed over off chain).
    assert_eq!(vm.dataset_info(ds).spent_epsilon, Decimal::percent(150));
    vm.refused_paid(
        &researcher,
        &ExecuteMsg::SubmitQuery(count(ds, "0.6")),
        60,
        ContractError::BudgetExceeded {
            epsilon: "0.6".into(),
            remaining: "0.5".into(),
        },
    );
}

#[test]
fn a_refund_before_the_expiry_is_refused() {
    let mut vm = setup();
    let mallory = vm.mallory.clone();
    let ds = vm.dataset("1");
    vm.submit(count(ds, "0.5"), 50);
    let until = vm.now().plus_seconds(DAY);
    vm.w.advance(DAY - 1);
    vm.refused(
        &mallory,
        &ExecuteMsg::RefundQuery { query_id: 1 },
        ContractError::QueryNotExpired { id: 1, until },
    );
    vm.refused(
        &mallory,
        &ExecuteMsg::RefundQuery { query_id: 7 },
        ContractError::QueryNotFound { id: 7 },
    );
}

#[test]
fn admin_only_config_cw2_and_migration_onto_the_same_artifact() {
    let mut vm = setup();
    let (alice, mallory) = (vm.alice.clone(), vm.mallory.clone());
    let not_admin = ContractError::Unauthorized { role: "admin" };
    for msg in admin_only_msgs(&mallory) {
        vm.refused(&mallory, &msg, &not_admin);
    }
    let token = vm.mint(&alice, RecordType::Other);
    let here = (CONTRACT_NAME, CONTRACT_VERSION);
    let registry = (
        "bithive_model_registry.wasm",
        "crates.io:bithive-model-registry",
    );
    vm.assert_migrations(here, &mallory, registry, &MigrateMsg {});
    // The records are kept.
    assert_eq!(vm.owner_of(&token), alice);
}
