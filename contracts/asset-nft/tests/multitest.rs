//! cw-multi-test suite: every message and error of asset-nft, with a malicious receiver.

use bithive_asset_nft::contract::{execute, instantiate, query};
use bithive_asset_nft::msg::*;
use bithive_asset_nft::state::{
    AssetClass, AssetMetadata, Certification, ComplianceMarker, Jurisdiction,
};
use bithive_asset_nft::{twin_update_digest, ContractError};
use bithive_cw_common::handover::Action as Handover;
use bithive_cw_test_fixtures::suite::execute_only;
use bithive_cw_test_fixtures::{assert_migrate_refusals, assert_upgrades};
use cosmwasm_std::{
    to_json_binary, Addr, Binary, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, StdError,
    StdResult, Timestamp, Uint128, WasmMsg,
};
use cw721::msg::{NftInfoResponse, OperatorsResponse, OwnerOfResponse, TokensResponse};
use cw721::receiver::Cw721ReceiveMsg;
use cw721::Expiration;
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};

struct Env_ {
    app: App,
    nft: Addr,
    admin: Addr,
    officer: Addr,
    alice: Addr,
    bob: Addr,
    carol: Addr,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    bithive_cw_test_fixtures::contract_err(r)
}

fn device_key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32].into()).unwrap()
}

fn device_pubkey(k: &SigningKey) -> Binary {
    Binary::from(k.verifying_key().to_encoded_point(true).as_bytes().to_vec())
}

fn sign(k: &SigningKey, digest: &[u8; 32]) -> Binary {
    let s: Signature = k.sign_prehash(digest).unwrap();
    let s = s.normalize_s().unwrap_or(s);
    Binary::from(s.to_bytes().to_vec())
}

fn transfer_msg(recipient: &Addr, token_id: &str) -> ExecuteMsg {
    ExecuteMsg::TransferNft {
        recipient: recipient.to_string(),
        token_id: token_id.into(),
    }
}

fn send_msg(contract: &Addr, token_id: &str, action: &Action) -> ExecuteMsg {
    ExecuteMsg::SendNft {
        contract: contract.to_string(),
        token_id: token_id.into(),
        msg: to_json_binary(action).unwrap(),
    }
}

/// Every operator `owner` has approved (expired ones excluded).
fn operators_of(e: &Env_, owner: &Addr) -> OperatorsResponse {
    e.q(QueryMsg::AllOperators {
        owner: owner.to_string(),
        include_expired: None,
        start_after: None,
        limit: None,
    })
    .unwrap()
}

/// The relayer's twin update of `scanner-1`.
fn twin_update(state_hash: HexBinary, nonce: u64, signature: Binary) -> ExecuteMsg {
    ExecuteMsg::UpdateTwin {
        token_id: "scanner-1".into(),
        state_hash,
        nonce,
        signature,
    }
}

fn metadata(markers: Vec<ComplianceMarker>) -> AssetMetadataMsg {
    AssetMetadataMsg {
        class: AssetClass::MedicalEquipment,
        description_uri: "ipfs://bafybeigdyrzt5scanner".into(),
        content_hash: HexBinary::from([7u8; 32]),
        jurisdictions: vec![
            Jurisdiction {
                code: "US".into(),
                markers,
            },
            Jurisdiction {
                code: "EU".into(),
                markers: vec![ComplianceMarker::MedicalDeviceRegulated],
            },
        ],
        certifications: vec![Certification {
            standard: "ISO13485".into(),
            issuer: "TUV-SUD".into(),
            certificate_id: "Q5-123".into(),
            expires_at: Timestamp::from_seconds(2_000_000_000),
        }],
        device_pubkey: Some(device_pubkey(&device_key())),
    }
}

fn setup() -> Env_ {
    let mut app = App::default();
    let api = app.api();
    let (admin, officer, alice, bob, carol) = (
        api.addr_make("admin"),
        api.addr_make("officer"),
        api.addr_make("alice"),
        api.addr_make("bob"),
        api.addr_make("carol"),
    );
    let code = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let nft = app
        .instantiate_contract(
            code,
            admin.clone(),
            &InstantiateMsg {
                name: "BitHive Assets".into(),
                symbol: "BHA".into(),
                admin: None,
                compliance_officer: officer.to_string(),
                custodian: None,
                valuation: ValuationParams {
                    unit: "USD-cents".into(),
                    window: 3,
                    freshness_secs: 1_000,
                    quorum: 2,
                },
            },
            &[],
            "assets",
            Some(admin.to_string()),
        )
        .unwrap();
    let mut e = Env_ {
        app,
        nft,
        admin,
        officer,
        alice,
        bob,
        carol,
    };
    let alice = e.alice.clone();
    e.approve_holder("US", &alice);
    e.mint(
        "scanner-1",
        &alice,
        vec![ComplianceMarker::ApprovedHoldersOnly],
    )
    .unwrap();
    e
}

impl Env_ {
    fn exec(&mut self, sender: &Addr, msg: ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.nft.clone(), &msg, &[])
    }
    fn q<T: serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(&self.nft, &msg)
    }
    fn approve_holder(&mut self, j: &str, who: &Addr) {
        let officer = self.officer.clone();
        self.exec(
            &officer,
            ExecuteMsg::ApproveHolder {
                jurisdiction: j.into(),
                holder: who.to_string(),
            },
        )
        .unwrap();
    }
    fn mint(
        &mut self,
        id: &str,
        owner: &Addr,
        markers: Vec<ComplianceMarker>,
    ) -> anyhow::Result<AppResponse> {
        let admin = self.admin.clone();
        self.exec(
            &admin,
            ExecuteMsg::Mint {
                token_id: id.into(),
                owner: owner.to_string(),
                token_uri: Some("https://assets.bithive.example/scanner-1".into()),
                extension: metadata(markers),
            },
        )
    }
    fn owner(&self, id: &str) -> String {
        let r: OwnerOfResponse = self
            .q(QueryMsg::OwnerOf {
                token_id: id.into(),
                include_expired: None,
            })
            .unwrap();
        r.owner
    }
}

#[test]
fn mint_stores_metadata_and_enforces_rules() {
    let mut e = setup();
    let info: NftInfoResponse<AssetMetadata> = e
        .q(QueryMsg::NftInfo {
            token_id: "scanner-1".into(),
        })
        .unwrap();
    assert_eq!(info.extension.class, AssetClass::MedicalEquipment);
    assert_eq!(info.extension.twin.nonce, 0);
    assert_eq!(e.owner("scanner-1"), e.alice.to_string());

    // Only the admin mints.
    let alice = e.alice.clone();
    let r = e.exec(
        &alice,
        ExecuteMsg::Mint {
            token_id: "x".into(),
            owner: alice.to_string(),
            token_uri: None,
            extension: metadata(vec![]),
        },
    );
    assert_eq!(err(r), ContractError::Unauthorized { role: "admin" });
    // Owner must be approved where the marker requires it.
    let bob = e.bob.clone();
    assert_eq!(
        err(e.mint(
            "scanner-2",
            &bob,
            vec![ComplianceMarker::ApprovedHoldersOnly]
        )),
        ContractError::RecipientNotApproved {
            recipient: bob.to_string(),
            jurisdiction: "US".into()
        }
    );
    // Ids are never reused, even after burn.
    assert_eq!(
        err(e.mint("scanner-1", &alice, vec![])),
        ContractError::TokenIdUsed {
            token_id: "scanner-1".into()
        }
    );
    e.exec(
        &alice,
        ExecuteMsg::Burn {
            token_id: "scanner-1".into(),
        },
    )
    .unwrap();
    assert_eq!(
        err(e.mint("scanner-1", &alice, vec![])),
        ContractError::TokenIdUsed {
            token_id: "scanner-1".into()
        }
    );
    let n: cw721::msg::NumTokensResponse = e.q(QueryMsg::NumTokens {}).unwrap();
    assert_eq!(n.count, 0);
}

#[test]
fn metadata_validation_errors() {
    let mut e = setup();
    let admin = e.admin.clone();
    let alice = e.alice.clone();
    type Mutation = Box<dyn Fn(&mut AssetMetadataMsg)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|m| m.description_uri = "ftp://x/y/z/w".into()),
            "description_uri",
        ),
        (
            Box::new(|m| m.description_uri = "ipfs://has space".into()),
            "description_uri",
        ),
        (
            Box::new(|m| m.content_hash = HexBinary::from([1u8; 31])),
            "content_hash",
        ),
        (Box::new(|m| m.jurisdictions.clear()), "jurisdictions"),
        (
            Box::new(|m| m.jurisdictions[1].code = "US".into()),
            "jurisdictions",
        ),
        (
            Box::new(|m| m.jurisdictions[0].code = "us".into()),
            "jurisdiction",
        ),
        (
            Box::new(|m| m.jurisdictions[0].markers = vec![ComplianceMarker::ExportControlled; 2]),
            "markers",
        ),
        (
            Box::new(|m| m.certifications[0].issuer = "Dr Smith".into()),
            "certification.issuer",
        ),
        (
            Box::new(|m| m.device_pubkey = Some(Binary::from([4u8; 33]))),
            "device_pubkey",
        ),
    ];
    for (i, (mutate, field)) in cases.into_iter().enumerate() {
        let mut m = metadata(vec![]);
        mutate(&mut m);
        let r = e.exec(
            &admin,
            ExecuteMsg::Mint {
                token_id: format!("bad-{i}"),
                owner: alice.to_string(),
                token_uri: None,
                extension: m,
            },
        );
        match err(r) {
            ContractError::InvalidField { field: f, .. } => assert_eq!(f, field, "case {i}"),
            other => panic!("case {i}: {other:?}"),
        }
    }
    let r = e.exec(
        &admin,
        ExecuteMsg::Mint {
            token_id: "bad id!".into(),
            owner: alice.to_string(),
            token_uri: None,
            extension: metadata(vec![]),
        },
    );
    assert!(matches!(
        err(r),
        ContractError::InvalidField {
            field: "token_id",
            ..
        }
    ));
}

#[test]
fn compliance_gates_transfer_and_send() {
    let mut e = setup();
    let (alice, bob) = (e.alice.clone(), e.bob.clone());
    let r = e.exec(&alice, transfer_msg(&bob, "scanner-1"));
    assert_eq!(
        err(r),
        ContractError::RecipientNotApproved {
            recipient: bob.to_string(),
            jurisdiction: "US".into()
        }
    );
    // Only the compliance officer approves holders.
    let r = e.exec(
        &alice,
        ExecuteMsg::ApproveHolder {
            jurisdiction: "US".into(),
            holder: bob.to_string(),
        },
    );
    assert_eq!(
        err(r),
        ContractError::Unauthorized {
            role: "compliance officer"
        }
    );
    e.approve_holder("US", &bob);
    assert!(e
        .q::<bool>(QueryMsg::HolderApproved {
            jurisdiction: "US".into(),
            holder: bob.to_string()
        })
        .unwrap());
    e.exec(&alice, transfer_msg(&bob, "scanner-1")).unwrap();
    assert_eq!(e.owner("scanner-1"), bob.to_string());
    // Revoking stops further transfers to that holder.
    let officer = e.officer.clone();
    e.exec(
        &officer,
        ExecuteMsg::RevokeHolder {
            jurisdiction: "US".into(),
            holder: alice.to_string(),
        },
    )
    .unwrap();
    let r = e.exec(&bob, transfer_msg(&alice, "scanner-1"));
    assert!(matches!(err(r), ContractError::RecipientNotApproved { .. }));
    let holders: AddressesResponse = e
        .q(QueryMsg::ApprovedHolders {
            jurisdiction: "US".into(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(holders.addresses, vec![bob.to_string()]);
    // Unmarked assets move freely.
    let carol = e.carol.clone();
    e.mint("free-1", &alice, vec![]).unwrap();
    e.exec(&alice, transfer_msg(&carol, "free-1")).unwrap();
    // Unknown token.
    let r = e.exec(&alice, transfer_msg(&carol, "nope"));
    assert_eq!(
        err(r),
        ContractError::TokenNotFound {
            token_id: "nope".into()
        }
    );
}

#[test]
fn approvals_and_operators() {
    let mut e = setup();
    let (alice, bob, carol) = (e.alice.clone(), e.bob.clone(), e.carol.clone());
    e.approve_holder("US", &bob);
    // Not the owner: cannot transfer.
    let r = e.exec(&carol, transfer_msg(&bob, "scanner-1"));
    assert!(matches!(err(r), ContractError::Cw721(_)));
    e.exec(
        &alice,
        ExecuteMsg::Approve {
            spender: carol.to_string(),
            token_id: "scanner-1".into(),
            expires: None,
        },
    )
    .unwrap();
    let ap: cw721::msg::ApprovalsResponse = e
        .q(QueryMsg::Approvals {
            token_id: "scanner-1".into(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(ap.approvals.len(), 1);
    let one: cw721::msg::ApprovalResponse = e
        .q(QueryMsg::Approval {
            token_id: "scanner-1".into(),
            spender: carol.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(one.approval.spender, carol);
    e.exec(
        &alice,
        ExecuteMsg::Revoke {
            spender: carol.to_string(),
            token_id: "scanner-1".into(),
        },
    )
    .unwrap();
    let r = e.exec(&carol, transfer_msg(&bob, "scanner-1"));
    assert!(matches!(err(r), ContractError::Cw721(_)));
    // Already-expired approvals are refused.
    let r = e.exec(
        &alice,
        ExecuteMsg::ApproveAll {
            operator: carol.to_string(),
            expires: Some(Expiration::AtHeight(1)),
        },
    );
    assert!(matches!(err(r), ContractError::Cw721(_)));
    e.exec(
        &alice,
        ExecuteMsg::ApproveAll {
            operator: carol.to_string(),
            expires: None,
        },
    )
    .unwrap();
    let ops: OperatorsResponse = operators_of(&e, &alice);
    assert_eq!(ops.operators.len(), 1);
    let op: cw721::msg::OperatorResponse = e
        .q(QueryMsg::Operator {
            owner: alice.to_string(),
            operator: carol.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(op.approval.spender, carol);
    // The operator transfers, still subject to compliance.
    e.exec(&carol, transfer_msg(&bob, "scanner-1")).unwrap();
    assert_eq!(e.owner("scanner-1"), bob.to_string());
    e.exec(
        &alice,
        ExecuteMsg::RevokeAll {
            operator: carol.to_string(),
        },
    )
    .unwrap();
    let ops: OperatorsResponse = operators_of(&e, &alice);
    assert!(ops.operators.is_empty());
}

#[test]
fn enumeration_paginates() {
    let mut e = setup();
    let alice = e.alice.clone();
    for i in 0..5 {
        e.mint(&format!("t-{i}"), &alice, vec![]).unwrap();
    }
    let mut seen = vec![];
    let mut start = None;
    loop {
        let page: TokensResponse = e
            .q(QueryMsg::Tokens {
                owner: alice.to_string(),
                start_after: start.clone(),
                limit: Some(2),
            })
            .unwrap();
        if page.tokens.is_empty() {
            break;
        }
        assert!(page.tokens.len() <= 2);
        start = page.tokens.last().cloned();
        seen.extend(page.tokens);
    }
    assert_eq!(seen.len(), 6);
    let all: TokensResponse = e
        .q(QueryMsg::AllTokens {
            start_after: Some("t-3".into()),
            limit: Some(10),
        })
        .unwrap();
    assert_eq!(all.tokens, vec!["t-4".to_string()]);
    let info: cw721::msg::AllNftInfoResponse<AssetMetadata> = e
        .q(QueryMsg::AllNftInfo {
            token_id: "t-0".into(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(info.access.owner, alice.to_string());
    let ci: cw721::msg::CollectionInfoAndExtensionResponse<Option<Empty>> =
        e.q(QueryMsg::ContractInfo {}).unwrap();
    assert_eq!(ci.symbol, "BHA");
    let m: cw721::msg::MinterResponse = e.q(QueryMsg::Minter {}).unwrap();
    assert_eq!(m.minter, Some(e.admin.to_string()));
}

// ---- a receiver contract: accepts, or (malicious) tries to bounce the NFT onward and fails ----

#[cosmwasm_schema::cw_serde]
enum ReceiverMsg {
    ReceiveNft(Cw721ReceiveMsg),
}

#[cosmwasm_schema::cw_serde]
enum Action {
    Accept,
    Reject,
    Bounce { to: String },
}

fn receiver_exec(_: DepsMut, _: Env, info: MessageInfo, msg: ReceiverMsg) -> StdResult<Response> {
    let ReceiverMsg::ReceiveNft(m) = msg;
    match cosmwasm_std::from_json(&m.msg)? {
        Action::Reject => Err(StdError::generic_err("receiver rejects")),
        // Re-entrancy: try to move the token it just got to an unapproved third party.
        Action::Bounce { to } => Ok(Response::new().add_message(WasmMsg::Execute {
            contract_addr: info.sender.to_string(),
            msg: to_json_binary(&ExecuteMsg::TransferNft {
                recipient: to,
                token_id: m.token_id,
            })?,
            funds: vec![],
        })),
        Action::Accept => Ok(Response::new()),
    }
}

#[test]
fn send_nft_to_receivers() {
    let mut e = setup();
    let code = e.app.store_code(execute_only(receiver_exec));
    let admin = e.admin.clone();
    let recv = e
        .app
        .instantiate_contract(code, admin, &Empty {}, &[], "recv", None)
        .unwrap();
    let alice = e.alice.clone();
    // Unapproved contract: refused before any message.
    let r = e.exec(&alice, send_msg(&recv, "scanner-1", &Action::Accept));
    assert!(matches!(err(r), ContractError::RecipientNotApproved { .. }));
    e.approve_holder("US", &recv);
    // A rejecting receiver reverts the whole send.
    let r = e.exec(&alice, send_msg(&recv, "scanner-1", &Action::Reject));
    assert!(r.is_err());
    assert_eq!(e.owner("scanner-1"), alice.to_string());
    // A receiver that tries to bounce the token to an unapproved address reverts too.
    let r = e.exec(
        &alice,
        ExecuteMsg::SendNft {
            contract: recv.to_string(),
            token_id: "scanner-1".into(),
            msg: to_json_binary(&Action::Bounce {
                to: e.bob.to_string(),
            })
            .unwrap(),
        },
    );
    assert!(r.is_err());
    assert_eq!(e.owner("scanner-1"), alice.to_string());
    let r = e
        .exec(&alice, send_msg(&recv, "scanner-1", &Action::Accept))
        .unwrap();
    assert!(r.has_event(&cosmwasm_std::Event::new("wasm").add_attribute("action", "send_nft")));
    assert_eq!(e.owner("scanner-1"), recv.to_string());
}

#[test]
fn twin_updates_need_the_device_key() {
    let mut e = setup();
    let chain = e.app.block_info().chain_id;
    let contract = e.nft.to_string();
    let relayer = e.carol.clone();
    let hash = HexBinary::from([0xabu8; 32]);
    let d1 = twin_update_digest(&chain, &contract, "scanner-1", 1, hash.as_slice());
    let good = sign(&device_key(), &d1);
    e.exec(&relayer, twin_update(hash.clone(), 1, good.clone()))
        .unwrap();
    let info: NftInfoResponse<AssetMetadata> = e
        .q(QueryMsg::NftInfo {
            token_id: "scanner-1".into(),
        })
        .unwrap();
    assert_eq!(info.extension.twin.state_hash, Some(hash.clone()));
    assert_eq!(info.extension.twin.nonce, 1);
    // Replay: same nonce.
    let r = e.exec(&relayer, twin_update(hash.clone(), 1, good));
    assert_eq!(
        err(r),
        ContractError::BadNonce {
            expected: 2,
            got: 1
        }
    );
    // Another key.
    let other = SigningKey::from_bytes(&[3u8; 32].into()).unwrap();
    let d2 = twin_update_digest(&chain, &contract, "scanner-1", 2, hash.as_slice());
    let r = e.exec(&relayer, twin_update(hash.clone(), 2, sign(&other, &d2)));
    assert_eq!(err(r), ContractError::BadSignature {});
    // Signed for another chain.
    let d_other_chain = twin_update_digest("other-1", &contract, "scanner-1", 2, hash.as_slice());
    let r = e.exec(
        &relayer,
        twin_update(hash.clone(), 2, sign(&device_key(), &d_other_chain)),
    );
    assert_eq!(err(r), ContractError::BadSignature {});
    // Malformed signature bytes.
    let r = e.exec(
        &relayer,
        twin_update(hash.clone(), 2, Binary::from([1u8; 10])),
    );
    assert_eq!(err(r), ContractError::BadSignature {});
    // Bad hash length.
    let r = e.exec(
        &relayer,
        twin_update(HexBinary::from([1u8; 3]), 2, Binary::from([1u8; 64])),
    );
    assert!(matches!(
        err(r),
        ContractError::InvalidField {
            field: "state_hash",
            ..
        }
    ));
    // Key rotation by the admin only; removing the key disables updates.
    let r = e.exec(
        &relayer,
        ExecuteMsg::SetDeviceKey {
            token_id: "scanner-1".into(),
            device_pubkey: None,
        },
    );
    assert_eq!(err(r), ContractError::Unauthorized { role: "admin" });
    let admin = e.admin.clone();
    e.exec(
        &admin,
        ExecuteMsg::SetDeviceKey {
            token_id: "scanner-1".into(),
            device_pubkey: None,
        },
    )
    .unwrap();
    let r = e.exec(
        &relayer,
        twin_update(hash.clone(), 2, sign(&device_key(), &d2)),
    );
    assert_eq!(
        err(r),
        ContractError::NoDeviceKey {
            token_id: "scanner-1".into()
        }
    );
    e.exec(
        &admin,
        ExecuteMsg::SetDeviceKey {
            token_id: "scanner-1".into(),
            device_pubkey: Some(device_pubkey(&other)),
        },
    )
    .unwrap();
    e.exec(&relayer, twin_update(hash, 2, sign(&other, &d2)))
        .unwrap();
}

#[test]
fn valuation_median_quorum_freshness_history() {
    let mut e = setup();
    let admin = e.admin.clone();
    let api = e.app.api();
    let valuers: Vec<Addr> = (0..4)
        .map(|i| api.addr_make(&format!("valuer{i}")))
        .collect();
    for v in &valuers {
        e.exec(
            &admin,
            ExecuteMsg::AddValuer {
                valuer: v.to_string(),
            },
        )
        .unwrap();
    }
    let alice = e.alice.clone();
    let submit = |e: &mut Env_, who: &Addr, v: u128| {
        e.exec(
            who,
            ExecuteMsg::SubmitValuation {
                token_id: "scanner-1".into(),
                value: Uint128::new(v),
            },
        )
    };
    assert_eq!(
        err(submit(&mut e, &alice, 5)),
        ContractError::NotValuer {
            valuer: alice.to_string()
        }
    );
    assert!(matches!(
        err(submit(&mut e, &valuers[0], 0)),
        ContractError::InvalidField { field: "value", .. }
    ));
    let val = |e: &Env_| -> ValuationResponse {
        e.q(QueryMsg::Valuation {
            token_id: "scanner-1".into(),
        })
        .unwrap()
    };
    submit(&mut e, &valuers[0], 100).unwrap();
    let v = val(&e);
    assert!(!v.quorum_met);
    assert_eq!(v.value, None);
    // The same valuer twice still counts once.
    submit(&mut e, &valuers[0], 120).unwrap();
    assert!(!val(&e).quorum_met);
    submit(&mut e, &valuers[1], 300).unwrap();
    let v = val(&e);
    assert!(v.quorum_met);
    assert_eq!(v.value, Some(Uint128::new(210))); // median of 120 and 300
    e.app.update_block(|b| b.time = b.time.plus_seconds(600));
    submit(&mut e, &valuers[2], 200).unwrap();
    submit(&mut e, &valuers[3], 1_000).unwrap();
    // Window 3: the latest three are valuer3, valuer2, valuer1 -> median 300.
    assert_eq!(val(&e).value, Some(Uint128::new(300)));
    // 500 s later valuer1's entry is stale: two fresh ones remain -> mean of 200 and 1000.
    e.app.update_block(|b| b.time = b.time.plus_seconds(500));
    let v = val(&e);
    assert_eq!(v.submissions, 2);
    assert_eq!(v.value, Some(Uint128::new(600)));
    e.app.update_block(|b| b.time = b.time.plus_seconds(1_000));
    assert!(!val(&e).quorum_met);
    // History, newest first, paginated.
    let h: ValuationHistoryResponse = e
        .q(QueryMsg::ValuationHistory {
            token_id: "scanner-1".into(),
            start_before: None,
            limit: Some(2),
        })
        .unwrap();
    assert_eq!(
        h.entries.iter().map(|x| x.seq).collect::<Vec<_>>(),
        vec![5, 4]
    );
    let h: ValuationHistoryResponse = e
        .q(QueryMsg::ValuationHistory {
            token_id: "scanner-1".into(),
            start_before: Some(4),
            limit: Some(10),
        })
        .unwrap();
    assert_eq!(
        h.entries.iter().map(|x| x.seq).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    // Issue #43: one valuer fills the window with its own submissions. Before the fix the
    // window took the last three entries and only then dropped repeats, so valuer 2 alone
    // set the value (or left none at quorum 2); now each valuer counts with its newest entry.
    submit(&mut e, &valuers[1], 300).unwrap();
    for v in [5, 6, 7, 8] {
        submit(&mut e, &valuers[2], v).unwrap();
    }
    let v = val(&e);
    assert_eq!(v.submissions, 2, "{v:?}");
    assert!(v.quorum_met);
    assert_eq!(v.value, Some(Uint128::new(154)), "median of 8 and 300");
    // Removing a valuer stops its submissions.
    e.exec(
        &admin,
        ExecuteMsg::RemoveValuer {
            valuer: valuers[0].to_string(),
        },
    )
    .unwrap();
    assert!(matches!(
        err(submit(&mut e, &valuers[0], 1)),
        ContractError::NotValuer { .. }
    ));
    let list: AddressesResponse = e
        .q(QueryMsg::Valuers {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(list.addresses.len(), 3);
    // A removed valuer's last word no longer counts: valuer 1's fresh 300 leaves the median.
    e.exec(
        &admin,
        ExecuteMsg::RemoveValuer {
            valuer: valuers[1].to_string(),
        },
    )
    .unwrap();
    let v = val(&e);
    assert_eq!((v.submissions, v.quorum_met), (1, false), "{v:?}");
}

#[test]
fn admin_messages_and_certifications() {
    let mut e = setup();
    let (admin, alice, carol) = (e.admin.clone(), e.alice.clone(), e.carol.clone());
    let bad = ValuationParams {
        unit: "USD".into(),
        window: 2,
        freshness_secs: 10,
        quorum: 3,
    };
    let r = e.exec(&admin, ExecuteMsg::UpdateValuationParams { params: bad });
    assert!(matches!(
        err(r),
        ContractError::InvalidField {
            field: "valuation.quorum",
            ..
        }
    ));
    let good = ValuationParams {
        unit: "USD".into(),
        window: 5,
        freshness_secs: 10,
        quorum: 3,
    };
    let r = e.exec(
        &alice,
        ExecuteMsg::UpdateValuationParams {
            params: good.clone(),
        },
    );
    assert_eq!(err(r), ContractError::Unauthorized { role: "admin" });
    e.exec(&admin, ExecuteMsg::UpdateValuationParams { params: good })
        .unwrap();
    // Certifications: validity follows the block time.
    e.exec(
        &admin,
        ExecuteMsg::SetCertifications {
            token_id: "scanner-1".into(),
            certifications: vec![Certification {
                standard: "CE-MDR".into(),
                issuer: "BSI".into(),
                certificate_id: "CE-1".into(),
                expires_at: e.app.block_info().time.plus_seconds(100),
            }],
        },
    )
    .unwrap();
    let c: CertificationsResponse = e
        .q(QueryMsg::Certifications {
            token_id: "scanner-1".into(),
        })
        .unwrap();
    assert!(c.certifications[0].valid);
    e.app.update_block(|b| b.time = b.time.plus_seconds(101));
    let c: CertificationsResponse = e
        .q(QueryMsg::Certifications {
            token_id: "scanner-1".into(),
        })
        .unwrap();
    assert!(!c.certifications[0].valid);
    // Officer and admin hand-over.
    e.exec(
        &admin,
        ExecuteMsg::UpdateComplianceOfficer {
            officer: carol.to_string(),
        },
    )
    .unwrap();
    e.exec(
        &carol,
        ExecuteMsg::ApproveHolder {
            jurisdiction: "EU".into(),
            holder: alice.to_string(),
        },
    )
    .unwrap();
    let r = e.exec(
        &carol,
        ExecuteMsg::ApproveHolder {
            jurisdiction: "e u".into(),
            holder: alice.to_string(),
        },
    );
    assert!(matches!(err(r), ContractError::InvalidField { .. }));
    // Two steps: the admin proposes, the proposed account accepts.
    e.exec(
        &admin,
        ExecuteMsg::UpdateOwnership(Handover::TransferOwnership {
            new_owner: carol.to_string(),
            expiry: None,
        }),
    )
    .unwrap();
    let cfg: ConfigResponse = e.q(QueryMsg::Config {}).unwrap();
    assert_eq!(
        cfg.admin,
        admin.to_string(),
        "a proposal hands nothing over"
    );
    e.exec(
        &carol,
        ExecuteMsg::UpdateOwnership(Handover::AcceptOwnership),
    )
    .unwrap();
    let cfg: ConfigResponse = e.q(QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.admin, carol.to_string());
    assert_eq!(cfg.valuation.window, 5);
    let r = e.exec(
        &admin,
        ExecuteMsg::AddValuer {
            valuer: alice.to_string(),
        },
    );
    assert_eq!(err(r), ContractError::Unauthorized { role: "admin" });
}

/// A stranger can take neither the admin role (two-step hand-over) nor the compliance officer's,
/// and the config stays as it was.
#[test]
fn stranger_cannot_take_admin_or_officer() {
    let mut e = setup();
    let alice = e.alice.clone();
    let before: ConfigResponse = e.q(QueryMsg::Config {}).unwrap();
    let r = e.exec(
        &alice,
        ExecuteMsg::UpdateComplianceOfficer {
            officer: alice.to_string(),
        },
    );
    assert_eq!(err(r), ContractError::Unauthorized { role: "admin" });
    for action in [
        Handover::TransferOwnership {
            new_owner: alice.to_string(),
            expiry: None,
        },
        Handover::AcceptOwnership,
    ] {
        let r = e.exec(&alice, ExecuteMsg::UpdateOwnership(action));
        assert!(matches!(err(r), ContractError::Handover(_)));
    }
    let after: ConfigResponse = e.q(QueryMsg::Config {}).unwrap();
    assert_eq!(after, before);
}

#[test]
fn migrate_refuses_downgrade_and_foreign_contracts() {
    use bithive_asset_nft::contract;
    let mut deps = assert_migrate_refusals!(contract, MigrateMsg {}, "9.0.0", "crates.io:other");
    // An older version of this contract upgrades, and cw2 then says the new version.
    assert_upgrades!(contract, MigrateMsg {}, &mut deps, "0.0.1");
}

/// A voucher collection's custodian (the ICS-721 contract) may hold gated tokens without the
/// officer's approval; nobody else gains anything from it, and a home collection has none.
#[test]
fn only_the_custodian_holds_gated_tokens_unapproved() {
    let mut e = setup();
    let (alice, bob, carol) = (e.alice.clone(), e.bob.clone(), e.carol.clone());
    // The home collection of setup() has no custodian: Carol needs approval like anyone.
    let cfg: bithive_interface::asset_nft::ConfigResponse = e.q(QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.custodian, None);
    assert!(e.exec(&alice, transfer_msg(&carol, "scanner-1")).is_err());
    // A collection whose custodian is Carol.
    let code = e
        .app
        .store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let admin = e.admin.clone();
    let vouchers = e
        .app
        .instantiate_contract(
            code,
            admin.clone(),
            &InstantiateMsg {
                name: "Vouchers".into(),
                symbol: "VBHA".into(),
                admin: None,
                compliance_officer: e.officer.to_string(),
                custodian: Some(carol.to_string()),
                valuation: ValuationParams {
                    unit: "home-chain".into(),
                    window: 1,
                    freshness_secs: 1,
                    quorum: 1,
                },
            },
            &[],
            "vouchers",
            None,
        )
        .unwrap();
    e.nft = vouchers;
    e.approve_holder("US", &alice);
    e.mint("v-1", &alice, vec![ComplianceMarker::ApprovedHoldersOnly])
        .unwrap();
    e.exec(&alice, transfer_msg(&carol, "v-1")).unwrap();
    assert_eq!(e.owner("v-1"), carol.to_string());
    // From the custodian, only to approved holders.
    let r = e.exec(&carol, transfer_msg(&bob, "v-1"));
    assert!(matches!(err(r), ContractError::RecipientNotApproved { .. }));
    e.exec(&carol, transfer_msg(&alice, "v-1")).unwrap();
}
