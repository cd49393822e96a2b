//! IBC with cosmwasm-std's mocks (cw-multi-test has no IBC) and a small model of the asset-nft
//! collections answering the contract's queries: handshakes, the packet this chain writes (a
//! vector), hostile packets refused with an error acknowledgement and nothing moved, tokens
//! coming home, vouchers minted, parked and handed out again, refunds and held tokens.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use bithive_ics721::contract::{execute, instantiate, query, reply, REPLY_REFUND};
use bithive_ics721::ibc::{
    ibc_channel_close, ibc_channel_connect, ibc_channel_open, ibc_packet_ack, ibc_packet_receive,
    ibc_packet_timeout,
};
use bithive_ics721::msg::{
    AssetClassData, AssetTokenData, ExecuteMsg, Held, IbcOutgoingMsg, InstantiateMsg,
    NonFungibleTokenPacketData, Outgoing, Peer, PeerEndpoint, QueryMsg, VoucherClass, IBC_VERSION,
};
use bithive_ics721::state::{OUTGOING, VOUCHER_CLASSES, VOUCHER_COLLECTIONS};
use bithive_ics721::ContractError;
use bithive_interface::asset_nft::{
    self as nft, AssetClass, AssetMetadata, AssetMetadataMsg, Certification, ComplianceMarker,
    DigitalTwin, Jurisdiction,
};
use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::Storage as _;
use cosmwasm_std::{
    from_json, to_json_binary, to_json_string, Addr, Binary, ContractResult, CosmosMsg, Empty, Env,
    HexBinary, IbcAcknowledgement, IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg,
    IbcChannelOpenMsg, IbcEndpoint, IbcMsg, IbcOrder, IbcPacket, IbcPacketAckMsg,
    IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcReceiveResponse, IbcTimeout, OwnedDeps,
    QuerierResult, Reply, Response, StdAck, SubMsgResult, SystemError, SystemResult, Timestamp,
    WasmMsg, WasmQuery,
};
use cw721::msg::{CollectionInfoAndExtensionResponse, NftInfoResponse, OwnerOfResponse};
use cw721::receiver::Cw721ReceiveMsg;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const CONN: &str = "connection-0";
const PEER_PORT: &str = "wasm.peer";
const PEER_CHANNEL: &str = "channel-9";
const CHANNEL: &str = "channel-0";

// ---- a model of the asset-nft collections the contract queries ----

#[derive(Default)]
struct Collection {
    tokens: BTreeMap<String, (Addr, AssetMetadata, Option<String>)>,
    approved: BTreeSet<(String, String)>,
}

#[derive(Default)]
struct Chain {
    collections: BTreeMap<String, Collection>,
}

type Model = Rc<RefCell<Chain>>;

fn answer(model: &Model, q: &WasmQuery) -> QuerierResult {
    let WasmQuery::Smart { contract_addr, msg } = q else {
        return SystemResult::Err(SystemError::Unknown {});
    };
    let chain = model.borrow();
    let Some(c) = chain.collections.get(contract_addr) else {
        return SystemResult::Err(SystemError::NoSuchContract {
            addr: contract_addr.clone(),
        });
    };
    let not_found = || SystemResult::Ok(ContractResult::Err("token not found".into()));
    let ok = |b: Binary| SystemResult::Ok(ContractResult::Ok(b));
    match from_json::<nft::QueryMsg>(msg).unwrap() {
        nft::QueryMsg::OwnerOf { token_id, .. } => match c.tokens.get(&token_id) {
            Some((owner, ..)) => ok(to_json_binary(&OwnerOfResponse {
                owner: owner.to_string(),
                approvals: vec![],
            })
            .unwrap()),
            None => not_found(),
        },
        nft::QueryMsg::NftInfo { token_id } => match c.tokens.get(&token_id) {
            Some((_, asset, uri)) => ok(to_json_binary(&NftInfoResponse {
                token_uri: uri.clone(),
                extension: asset.clone(),
            })
            .unwrap()),
            None => not_found(),
        },
        nft::QueryMsg::HolderApproved {
            jurisdiction,
            holder,
        } => ok(to_json_binary(&c.approved.contains(&(jurisdiction, holder))).unwrap()),
        nft::QueryMsg::ContractInfo {} => ok(to_json_binary(
            &CollectionInfoAndExtensionResponse::<Option<Empty>> {
                name: "Hospital devices".into(),
                symbol: "HDEV".into(),
                extension: None,
                updated_at: Timestamp::from_seconds(1),
            },
        )
        .unwrap()),
        other => panic!("unexpected query {other:?}"),
    }
}

struct T {
    deps: Deps,
    env: Env,
    model: Model,
    gov: Addr,
    officer: Addr,
    alice: Addr,
    bob: Addr,
    home: Addr,
}

fn metadata(approved_only: bool) -> AssetMetadataMsg {
    let mut markers = vec![ComplianceMarker::MedicalDeviceRegulated];
    if approved_only {
        markers.push(ComplianceMarker::ApprovedHoldersOnly);
    }
    AssetMetadataMsg {
        class: AssetClass::MedicalEquipment,
        description_uri: "ipfs://bafy-mri-scanner".into(),
        content_hash: HexBinary::from([7u8; 32]),
        jurisdictions: vec![Jurisdiction {
            code: "EU".into(),
            markers,
        }],
        certifications: vec![Certification {
            standard: "CE-MDR".into(),
            issuer: "TUV".into(),
            certificate_id: "C-1".into(),
            expires_at: Timestamp::from_seconds(2_000_000_000),
        }],
        device_pubkey: None,
    }
}

fn stored(m: AssetMetadataMsg) -> AssetMetadata {
    AssetMetadata {
        class: m.class,
        description_uri: m.description_uri,
        content_hash: m.content_hash,
        jurisdictions: m.jurisdictions,
        certifications: m.certifications,
        twin: DigitalTwin {
            device_pubkey: m.device_pubkey,
            state_hash: None,
            nonce: 0,
            updated_at: None,
        },
    }
}

fn port(env: &Env) -> String {
    format!("wasm.{}", env.contract.address)
}

fn channel(env: &Env, order: IbcOrder, version: &str, conn: &str, peer_port: &str) -> IbcChannel {
    IbcChannel::new(
        IbcEndpoint {
            port_id: port(env),
            channel_id: CHANNEL.into(),
        },
        IbcEndpoint {
            port_id: peer_port.into(),
            channel_id: PEER_CHANNEL.into(),
        },
        order,
        version,
        conn,
    )
}

fn setup() -> T {
    let mut deps = mock_dependencies();
    let env = mock_env();
    let api = deps.api;
    let (gov, officer) = (api.addr_make("dao"), api.addr_make("officer-b"));
    let (alice, bob, home) = (
        api.addr_make("alice"),
        api.addr_make("bob"),
        api.addr_make("devices"),
    );
    let model: Model = Default::default();
    model
        .borrow_mut()
        .collections
        .insert(home.to_string(), Collection::default());
    let m = model.clone();
    deps.querier.update_wasm(move |q| answer(&m, q));
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&gov, &[]),
        InstantiateMsg {
            governance: gov.to_string(),
            asset_nft_code_id: 7,
            default_timeout_seconds: 600,
            peers: vec![Peer {
                connection_id: CONN.into(),
                port_id: PEER_PORT.into(),
                compliance_officer: officer.to_string(),
            }],
        },
    )
    .unwrap();
    let ch = channel(&env, IbcOrder::Unordered, IBC_VERSION, CONN, PEER_PORT);
    ibc_channel_open(
        deps.as_mut(),
        env.clone(),
        IbcChannelOpenMsg::new_init(ch.clone()),
    )
    .unwrap();
    ibc_channel_connect(
        deps.as_mut(),
        env.clone(),
        IbcChannelConnectMsg::new_ack(ch, IBC_VERSION),
    )
    .unwrap();
    T {
        deps,
        env,
        model,
        gov,
        officer,
        alice,
        bob,
        home,
    }
}

impl T {
    fn exec(&mut self, sender: &Addr, msg: ExecuteMsg) -> Result<Response, ContractError> {
        execute(
            self.deps.as_mut(),
            self.env.clone(),
            message_info(sender, &[]),
            msg,
        )
    }

    /// A token of `collection` owned by `owner` in the model.
    fn put(&self, collection: &Addr, id: &str, owner: &Addr, m: AssetMetadataMsg) {
        self.model
            .borrow_mut()
            .collections
            .entry(collection.to_string())
            .or_default()
            .tokens
            .insert(id.into(), (owner.clone(), stored(m), None));
    }

    fn approve(&self, collection: &Addr, holder: &Addr) {
        self.model
            .borrow_mut()
            .collections
            .get_mut(collection.as_str())
            .unwrap()
            .approved
            .insert(("EU".into(), holder.to_string()));
    }

    fn contract(&self) -> Addr {
        self.env.contract.address.clone()
    }

    /// `id` sent by `owner` over CHANNEL: the collection made this contract its owner, then
    /// called the hook.
    fn send(
        &mut self,
        collection: &Addr,
        id: &str,
        owner: &Addr,
    ) -> Result<Response, ContractError> {
        let c = self.contract();
        self.model
            .borrow_mut()
            .collections
            .get_mut(collection.as_str())
            .unwrap()
            .tokens
            .get_mut(id)
            .unwrap()
            .0 = c;
        let msg = to_json_binary(&IbcOutgoingMsg {
            receiver: "wasm1receiver".into(),
            channel_id: CHANNEL.into(),
            timeout: None,
            memo: None,
        })
        .unwrap();
        let hook = Cw721ReceiveMsg {
            sender: owner.to_string(),
            token_id: id.into(),
            msg,
        };
        self.exec(collection, ExecuteMsg::ReceiveNft(hook))
    }

    /// A voucher class prepared for `class_id` over CHANNEL, its collection in the model (what
    /// `prepare_class` and its reply record; the reply is tested with cw-multi-test).
    fn prepared(&mut self, class_id: &str) -> Addr {
        let collection = self.deps.api.addr_make(&format!("vouchers-{class_id}"));
        let local = format!("{}/{CHANNEL}/{class_id}", port(&self.env));
        let class = VoucherClass {
            collection: collection.clone(),
            channel_id: CHANNEL.into(),
            class_id: class_id.into(),
            local_class_id: local.clone(),
        };
        VOUCHER_CLASSES
            .save(&mut self.deps.storage, &local, &class)
            .unwrap();
        VOUCHER_COLLECTIONS
            .save(&mut self.deps.storage, &collection, &local)
            .unwrap();
        self.model
            .borrow_mut()
            .collections
            .insert(collection.to_string(), Collection::default());
        collection
    }

    /// The packet arrives over CHANNEL from the peer's end (or `src`), as raw bytes.
    fn receive_raw(&mut self, data: &[u8], src: (&str, &str)) -> IbcReceiveResponse {
        let packet = IbcPacket::new(
            Binary::from(data),
            IbcEndpoint {
                port_id: src.0.into(),
                channel_id: src.1.into(),
            },
            IbcEndpoint {
                port_id: port(&self.env),
                channel_id: CHANNEL.into(),
            },
            1,
            IbcTimeout::with_timestamp(Timestamp::from_seconds(9_999_999_999)),
        );
        let relayer = self.deps.api.addr_make("relayer");
        ibc_packet_receive(
            self.deps.as_mut(),
            self.env.clone(),
            IbcPacketReceiveMsg::new(packet, relayer),
        )
        .unwrap()
    }

    fn receive(&mut self, p: &NonFungibleTokenPacketData) -> IbcReceiveResponse {
        self.receive_raw(&to_json_binary(p).unwrap(), (PEER_PORT, PEER_CHANNEL))
    }

    /// The self-call the receive asked for, run as the contract.
    fn process(&mut self, r: &IbcReceiveResponse) -> Result<Response, ContractError> {
        assert_eq!(r.messages.len(), 1);
        let CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr, msg, ..
        }) = &r.messages[0].msg
        else {
            panic!("not a self-call: {:?}", r.messages[0]);
        };
        assert_eq!(contract_addr, self.contract().as_str());
        let c = self.contract();
        self.exec(&c, from_json(msg).unwrap())
    }

    fn ack(
        &mut self,
        data: &NonFungibleTokenPacketData,
        ack: &[u8],
    ) -> cosmwasm_std::IbcBasicResponse {
        let relayer = self.deps.api.addr_make("relayer");
        let msg = IbcPacketAckMsg::new(
            IbcAcknowledgement::new(ack.to_vec()),
            self.sent_packet(data),
            relayer,
        );
        ibc_packet_ack(self.deps.as_mut(), self.env.clone(), msg).unwrap()
    }

    fn sent_packet(&self, data: &NonFungibleTokenPacketData) -> IbcPacket {
        IbcPacket::new(
            to_json_binary(data).unwrap(),
            IbcEndpoint {
                port_id: port(&self.env),
                channel_id: CHANNEL.into(),
            },
            IbcEndpoint {
                port_id: PEER_PORT.into(),
                channel_id: PEER_CHANNEL.into(),
            },
            1,
            IbcTimeout::with_timestamp(Timestamp::from_seconds(9_999_999_999)),
        )
    }

    fn outgoing(&self, collection: &Addr, id: &str) -> Option<Outgoing> {
        OUTGOING
            .may_load(&self.deps.storage, (collection, id))
            .unwrap()
    }
}

/// The packet in `res` (the one SendPacket message).
fn sent(res: &Response) -> NonFungibleTokenPacketData {
    let [msg] = &res.messages[..] else {
        panic!("{:?}", res.messages)
    };
    let CosmosMsg::Ibc(IbcMsg::SendPacket {
        channel_id, data, ..
    }) = &msg.msg
    else {
        panic!("{msg:?}")
    };
    assert_eq!(channel_id, CHANNEL);
    from_json(data).unwrap()
}

fn error_of(r: &IbcReceiveResponse) -> Option<String> {
    match from_json::<StdAck>(r.acknowledgement.as_ref()?).unwrap() {
        StdAck::Success(_) => None,
        StdAck::Error(e) => Some(e),
    }
}

/// Refused: an error acknowledgement naming `why`, no message, nothing stored.
#[track_caller]
fn refused(t: &mut T, data: &[u8], src: (&str, &str), why: &str) {
    let before: Vec<_> = t
        .deps
        .storage
        .range(None, None, cosmwasm_std::Order::Ascending)
        .collect();
    let r = t.receive_raw(data, src);
    let e = error_of(&r).unwrap_or_else(|| panic!("accepted: {}", String::from_utf8_lossy(data)));
    assert!(e.contains(why), "{e:?} does not say {why:?}");
    assert!(r.messages.is_empty(), "{:?}", r.messages);
    let after: Vec<_> = t
        .deps
        .storage
        .range(None, None, cosmwasm_std::Order::Ascending)
        .collect();
    assert_eq!(before, after, "state changed on a refusal");
}

/// A packet from the peer as our own send would write it, class `class_id`.
fn incoming(
    t: &T,
    class_id: &str,
    ids: &[&str],
    m: AssetMetadataMsg,
) -> NonFungibleTokenPacketData {
    NonFungibleTokenPacketData {
        class_id: class_id.into(),
        class_uri: None,
        class_data: Some(
            to_json_binary(&AssetClassData {
                bithive_asset_class: 1,
                name: "Hospital devices".into(),
                symbol: "HDEV".into(),
            })
            .unwrap(),
        ),
        token_ids: ids.iter().map(|s| s.to_string()).collect(),
        token_uris: None,
        token_data: Some(
            ids.iter()
                .map(|_| {
                    to_json_binary(&AssetTokenData {
                        bithive_asset: 1,
                        metadata: m.clone(),
                    })
                    .unwrap()
                })
                .collect(),
        ),
        sender: "wasm1sender".into(),
        receiver: t.bob.to_string(),
        memo: None,
    }
}

#[test]
fn handshakes_open_only_unordered_ics721_channels_to_pinned_peers_and_never_close_from_here() {
    let mut t = setup();
    let env = t.env.clone();
    let open = |t: &mut T, ch| {
        ibc_channel_open(
            t.deps.as_mut(),
            env.clone(),
            IbcChannelOpenMsg::new_init(ch),
        )
    };
    let e = open(
        &mut t,
        channel(&env, IbcOrder::Ordered, IBC_VERSION, CONN, PEER_PORT),
    )
    .unwrap_err();
    assert!(matches!(e, ContractError::BadOrder));
    let e = open(
        &mut t,
        channel(&env, IbcOrder::Unordered, "ics20-1", CONN, PEER_PORT),
    )
    .unwrap_err();
    assert!(matches!(e, ContractError::BadVersion { .. }), "{e}");
    let e = open(
        &mut t,
        channel(
            &env,
            IbcOrder::Unordered,
            IBC_VERSION,
            "connection-5",
            PEER_PORT,
        ),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "counterparty connection-5/wasm.peer (connection/port) is not a pinned peer"
    );
    let e = open(
        &mut t,
        channel(&env, IbcOrder::Unordered, IBC_VERSION, CONN, "wasm.other"),
    )
    .unwrap_err();
    assert!(matches!(e, ContractError::BadCounterparty(_)));
    let try_other = IbcChannelOpenMsg::new_try(
        channel(&env, IbcOrder::Unordered, IBC_VERSION, CONN, PEER_PORT),
        "ics721-2",
    );
    assert!(ibc_channel_open(t.deps.as_mut(), env.clone(), try_other).is_err());
    let ok = open(
        &mut t,
        channel(&env, IbcOrder::Unordered, IBC_VERSION, CONN, PEER_PORT),
    )
    .unwrap();
    assert_eq!(ok.unwrap().version, IBC_VERSION);

    let ch = channel(&env, IbcOrder::Unordered, IBC_VERSION, CONN, PEER_PORT);
    let e = ibc_channel_close(
        t.deps.as_mut(),
        env.clone(),
        IbcChannelCloseMsg::new_init(ch.clone()),
    )
    .unwrap_err();
    assert!(matches!(e, ContractError::NoClose));
    ibc_channel_close(
        t.deps.as_mut(),
        env.clone(),
        IbcChannelCloseMsg::new_confirm(ch),
    )
    .unwrap();
    // A channel the counterparty closed carries nothing more.
    t.put(&t.home.clone(), "mri-1", &t.alice.clone(), metadata(false));
    let (home, alice) = (t.home.clone(), t.alice.clone());
    assert!(matches!(
        t.send(&home, "mri-1", &alice).unwrap_err(),
        ContractError::UnknownChannel(_)
    ));
}

/// The packet this chain writes for a home token: cw-ics721's layout, our asset data inside.
#[test]
fn a_home_token_leaves_escrowed_in_the_reference_format() {
    let mut t = setup();
    let (home, alice) = (t.home.clone(), t.alice.clone());
    t.put(&home, "mri-1", &alice, metadata(true));
    let res = t.send(&home, "mri-1", &alice).unwrap();
    let packet = sent(&res);
    let expected = format!(
        r#"{{"classId":"{home}","classUri":null,"classData":"{}","tokenIds":["mri-1"],"tokenUris":null,"tokenData":["{}"],"sender":"{alice}","receiver":"wasm1receiver","memo":null}}"#,
        Binary::from(br#"{"bithive_asset_class":1,"name":"Hospital devices","symbol":"HDEV"}"#.to_vec()).to_base64(),
        Binary::from(
            br#"{"bithive_asset":1,"metadata":{"class":"medical_equipment","description_uri":"ipfs://bafy-mri-scanner","content_hash":"0707070707070707070707070707070707070707070707070707070707070707","jurisdictions":[{"code":"EU","markers":["medical_device_regulated","approved_holders_only"]}],"certifications":[{"standard":"CE-MDR","issuer":"TUV","certificate_id":"C-1","expires_at":"2000000000000000000"}],"device_pubkey":null}}"#
                .to_vec()
        )
        .to_base64(),
    );
    assert_eq!(to_json_string(&packet).unwrap(), expected);
    assert_eq!(
        t.outgoing(&home, "mri-1"),
        Some(Outgoing {
            channel_id: CHANNEL.into(),
            sender: alice.clone()
        })
    );
    let CosmosMsg::Ibc(IbcMsg::SendPacket { timeout, .. }) = &res.messages[0].msg else {
        unreachable!()
    };
    assert_eq!(
        timeout.timestamp(),
        Some(t.env.block.time.plus_seconds(600))
    );
}

#[test]
fn a_send_without_the_token_in_escrow_or_over_an_unpinned_peer_is_refused() {
    let mut t = setup();
    let (home, alice, gov) = (t.home.clone(), t.alice.clone(), t.gov.clone());
    t.put(&home, "mri-1", &alice, metadata(false));
    // A contract calling the hook for a token it does not hold (owner still Alice).
    let hook = Cw721ReceiveMsg {
        sender: alice.to_string(),
        token_id: "mri-1".into(),
        msg: to_json_binary(&IbcOutgoingMsg {
            receiver: "r".into(),
            channel_id: CHANNEL.into(),
            timeout: None,
            memo: None,
        })
        .unwrap(),
    };
    let e = t
        .exec(&home, ExecuteMsg::ReceiveNft(hook.clone()))
        .unwrap_err();
    assert!(matches!(e, ContractError::NotEscrowed { .. }), "{e}");
    // Not an asset collection at all.
    let stranger = t.deps.api.addr_make("stranger");
    let e = t.exec(&stranger, ExecuteMsg::ReceiveNft(hook)).unwrap_err();
    assert!(
        matches!(e, ContractError::NotAnAssetCollection { .. }),
        "{e}"
    );
    // The peer unpinned: nothing leaves over its channel.
    t.exec(
        &gov,
        ExecuteMsg::UpdatePeers {
            add: vec![],
            remove: vec![PeerEndpoint {
                connection_id: CONN.into(),
                port_id: PEER_PORT.into(),
            }],
        },
    )
    .unwrap();
    assert!(matches!(
        t.send(&home, "mri-1", &alice).unwrap_err(),
        ContractError::BadCounterparty(_)
    ));
    assert_eq!(t.outgoing(&home, "mri-1"), None);
}

#[test]
fn hostile_packets_get_an_error_acknowledgement_and_move_nothing() {
    let mut t = setup();
    let vouchers = t.prepared("wasm.peer-class");
    let bob = t.bob.clone();
    t.approve(&vouchers, &bob);
    let good = incoming(&t, "wasm.peer-class", &["mri-7"], metadata(true));
    let peer = (PEER_PORT, PEER_CHANNEL);
    let raw = |p: &NonFungibleTokenPacketData| to_json_binary(p).unwrap().to_vec();
    let with = |f: &dyn Fn(&mut NonFungibleTokenPacketData)| {
        let mut p = good.clone();
        f(&mut p);
        raw(&p)
    };

    refused(&mut t, b"{not json", peer, "undecodable data");
    refused(
        &mut t,
        br#"{"class_metadata":{"class_id":"foobar"}}"#,
        peer,
        "undecodable data",
    );
    refused(
        &mut t,
        &with(&|p| p.class_id.clear()),
        peer,
        "empty class id",
    );
    refused(
        &mut t,
        &with(&|p| p.class_id = "x".repeat(513)),
        peer,
        "longer than 512",
    );
    refused(
        &mut t,
        &with(&|p| p.token_ids.clear()),
        peer,
        "no token ids",
    );
    refused(
        &mut t,
        &with(&|p| p.token_ids = (0..17).map(|i| i.to_string()).collect()),
        peer,
        "more than 16",
    );
    refused(
        &mut t,
        &with(&|p| p.token_ids = vec!["a b".into()]),
        peer,
        "token id",
    );
    refused(
        &mut t,
        &with(&|p| {
            p.token_ids = vec!["a".into(), "a".into()];
            p.token_data = Some(vec![p.token_data.as_ref().unwrap()[0].clone(); 2])
        }),
        peer,
        "token id a twice",
    );
    refused(
        &mut t,
        &with(&|p| p.token_uris = Some(vec![])),
        peer,
        "tokenUris differ in length",
    );
    refused(
        &mut t,
        &with(&|p| p.token_data = Some(vec![])),
        peer,
        "tokenData differ in length",
    );
    refused(
        &mut t,
        &with(&|p| p.class_uri = Some(String::new())),
        peer,
        "may not be empty",
    );
    refused(
        &mut t,
        &with(&|p| p.receiver = "i am invalid".into()),
        peer,
        "receiver i am invalid",
    );
    // A class nobody prepared here: refused, whatever it carries.
    refused(
        &mut t,
        &with(&|p| p.class_id = "wasm.peer-unknown".into()),
        peer,
        "is not accepted over channel-0",
    );
    // Not our asset data, or of another version, or a marker this chain does not know.
    refused(
        &mut t,
        &with(&|p| p.class_data = None),
        peer,
        "no classData",
    );
    refused(
        &mut t,
        &with(&|p| p.class_data = Some(Binary::from(b"e30K".to_vec()))),
        peer,
        "not a BitHive asset class",
    );
    refused(
        &mut t,
        &with(&|p| {
            p.class_data = Some(
                to_json_binary(&AssetClassData {
                    bithive_asset_class: 2,
                    name: "n".into(),
                    symbol: "s".into(),
                })
                .unwrap(),
            )
        }),
        peer,
        "classData version 2",
    );
    refused(
        &mut t,
        &with(&|p| p.token_data = None),
        peer,
        "no tokenData",
    );
    let unknown_marker = br#"{"bithive_asset":1,"metadata":{"class":"medical_equipment","description_uri":"ipfs://bafy-mri-scanner","content_hash":"0707070707070707070707070707070707070707070707070707070707070707","jurisdictions":[{"code":"EU","markers":["approved_by_the_moon"]}],"certifications":[],"device_pubkey":null}}"#;
    refused(
        &mut t,
        &with(&|p| p.token_data = Some(vec![Binary::from(unknown_marker.to_vec())])),
        peer,
        "not BitHive asset metadata",
    );
    let mut bad_meta = metadata(true);
    bad_meta.description_uri = "ftp://x".into();
    refused(
        &mut t,
        &with(&|p| {
            p.token_data = Some(vec![to_json_binary(&AssetTokenData {
                bithive_asset: 1,
                metadata: bad_meta.clone(),
            })
            .unwrap()])
        }),
        peer,
        "description_uri",
    );
    // ApprovedHoldersOnly: a receiver the peer's officer has not approved.
    let carol = t.deps.api.addr_make("carol");
    refused(
        &mut t,
        &with(&|p| p.receiver = carol.to_string()),
        peer,
        "is not approved to hold assets of jurisdiction EU",
    );
    // A token id already present (a replay of a delivered packet, or a forged second mint).
    t.put(&vouchers, "mri-7", &bob, metadata(true));
    refused(&mut t, &raw(&good), peer, "token mri-7 is already present");
    // The same class id from another counterparty end (an unpinned channel's packet, relabelled).
    let p8 = raw(&incoming(&t, "wasm.peer-class", &["mri-8"], metadata(true)));
    refused(
        &mut t,
        &p8,
        ("wasm.evil", "channel-66"),
        "not the channel's counterparty",
    );
    // Peer unpinned: no new vouchers from it.
    let gov = t.gov.clone();
    t.exec(
        &gov,
        ExecuteMsg::UpdatePeers {
            add: vec![],
            remove: vec![PeerEndpoint {
                connection_id: CONN.into(),
                port_id: PEER_PORT.into(),
            }],
        },
    )
    .unwrap();
    let p9 = raw(&incoming(&t, "wasm.peer-class", &["mri-9"], metadata(true)));
    refused(&mut t, &p9, peer, "is no longer pinned");
}

#[test]
fn a_prefix_without_a_record_of_sending_mints_nothing_and_a_mixed_packet_is_refused() {
    let mut t = setup();
    let (home, alice) = (t.home.clone(), t.alice.clone());
    t.put(&home, "mri-1", &alice, metadata(false));
    t.put(&home, "mri-2", &alice, metadata(false));
    t.send(&home, "mri-1", &alice).unwrap();
    let peer = (PEER_PORT, PEER_CHANNEL);
    // mri-2 never left: a packet claiming it comes home is a new class (not prepared here).
    let claim = incoming(
        &t,
        &format!("{PEER_PORT}/{PEER_CHANNEL}/{home}"),
        &["mri-2"],
        metadata(false),
    );
    refused(
        &mut t,
        &to_json_binary(&claim).unwrap(),
        peer,
        "is not accepted over channel-0",
    );
    let mixed = incoming(
        &t,
        &format!("{PEER_PORT}/{PEER_CHANNEL}/{home}"),
        &["mri-1", "mri-2"],
        metadata(false),
    );
    refused(
        &mut t,
        &to_json_binary(&mixed).unwrap(),
        peer,
        "may not mix",
    );
    // The right prefix from another end of the chain: not the channel mri-1 left by.
    let evil = to_json_binary(&incoming(
        &t,
        &format!("wasm.evil/channel-66/{home}"),
        &["mri-1"],
        metadata(false),
    ))
    .unwrap();
    refused(
        &mut t,
        &evil,
        ("wasm.evil", "channel-66"),
        "not the channel's counterparty",
    );
    assert_eq!(t.outgoing(&home, "mri-1").unwrap().channel_id, CHANNEL);
}

#[test]
fn a_token_comes_home_to_an_approved_receiver_only() {
    let mut t = setup();
    let (home, alice, bob) = (t.home.clone(), t.alice.clone(), t.bob.clone());
    t.put(&home, "mri-1", &alice, metadata(true));
    t.send(&home, "mri-1", &alice).unwrap();
    let back = incoming(
        &t,
        &format!("{PEER_PORT}/{PEER_CHANNEL}/{home}"),
        &["mri-1"],
        metadata(true),
    );
    refused(
        &mut t,
        &to_json_binary(&back).unwrap(),
        (PEER_PORT, PEER_CHANNEL),
        "is not approved to hold assets of jurisdiction EU",
    );
    t.approve(&home, &bob);
    let r = t.receive(&back);
    assert_eq!(error_of(&r), None);
    assert_eq!(
        r.acknowledgement.as_ref().unwrap().as_slice(),
        br#"{"result":"AQ=="}"#
    );
    let res = t.process(&r).unwrap();
    assert_eq!(res.messages.len(), 1);
    assert_eq!(
        res.messages[0].msg,
        WasmMsg::Execute {
            contract_addr: home.to_string(),
            msg: to_json_binary(&nft::ExecuteMsg::TransferNft {
                recipient: bob.to_string(),
                token_id: "mri-1".into()
            })
            .unwrap(),
            funds: vec![],
        }
        .into()
    );
    assert_eq!(t.outgoing(&home, "mri-1"), None);
    // Only the contract itself runs the self-call.
    let e = t
        .exec(
            &bob,
            from_json(match &r.messages[0].msg {
                CosmosMsg::Wasm(WasmMsg::Execute { msg, .. }) => msg,
                _ => unreachable!(),
            })
            .unwrap(),
        )
        .unwrap_err();
    assert!(matches!(e, ContractError::Unauthorized { .. }));
}

#[test]
fn vouchers_are_minted_with_their_metadata_parked_when_they_go_home_and_handed_out_again() {
    let mut t = setup();
    let vouchers = t.prepared("wasm.peer-class");
    let bob = t.bob.clone();
    t.approve(&vouchers, &bob);
    let mut p = incoming(&t, "wasm.peer-class", &["mri-7"], metadata(true));
    p.token_uris = Some(vec!["ipfs://bafy-token".into()]);
    let r = t.receive(&p);
    assert_eq!(error_of(&r), None);
    let res = t.process(&r).unwrap();
    assert_eq!(
        res.messages[0].msg,
        WasmMsg::Execute {
            contract_addr: vouchers.to_string(),
            msg: to_json_binary(&nft::ExecuteMsg::Mint {
                token_id: "mri-7".into(),
                owner: bob.to_string(),
                token_uri: Some("ipfs://bafy-token".into()),
                extension: metadata(true),
            })
            .unwrap(),
            funds: vec![],
        }
        .into()
    );
    // The mint happened; Bob sends the voucher home.
    t.put(&vouchers, "mri-7", &bob, metadata(true));
    let out = sent(&t.send(&vouchers, "mri-7", &bob).unwrap());
    let local = format!("{}/{CHANNEL}/wasm.peer-class", port(&t.env));
    assert_eq!(out.class_id, local);
    assert!(t.outgoing(&vouchers, "mri-7").is_some());
    // Delivered home: parked here, no longer out.
    t.ack(&out, br#"{"result":"MQ=="}"#);
    assert_eq!(t.outgoing(&vouchers, "mri-7"), None);
    // It comes back (renewed certification): handed out again, not minted.
    let mut renewed = metadata(true);
    renewed.certifications[0].certificate_id = "C-2".into();
    let r = t.receive(&incoming(
        &t,
        "wasm.peer-class",
        &["mri-7"],
        renewed.clone(),
    ));
    assert_eq!(error_of(&r), None);
    let res = t.process(&r).unwrap();
    let msgs: Vec<nft::ExecuteMsg> = res
        .messages
        .iter()
        .map(|m| match &m.msg {
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr, msg, ..
            }) => {
                assert_eq!(contract_addr, vouchers.as_str());
                from_json(msg).unwrap()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        msgs,
        vec![
            nft::ExecuteMsg::SetCertifications {
                token_id: "mri-7".into(),
                certifications: renewed.certifications.clone()
            },
            nft::ExecuteMsg::SetDeviceKey {
                token_id: "mri-7".into(),
                device_pubkey: None
            },
            nft::ExecuteMsg::TransferNft {
                recipient: bob.to_string(),
                token_id: "mri-7".into()
            },
        ]
    );
    // A parked voucher returning with other jurisdictions is not the same asset.
    let mut other = metadata(true);
    other.jurisdictions[0].code = "US".into();
    let p = to_json_binary(&incoming(&t, "wasm.peer-class", &["mri-7"], other)).unwrap();
    refused(&mut t, &p, (PEER_PORT, PEER_CHANNEL), "other jurisdictions");
}

#[test]
fn error_acks_and_timeouts_refund_the_sender_once_and_a_refused_refund_is_held_for_them() {
    let mut t = setup();
    let (home, alice) = (t.home.clone(), t.alice.clone());
    for id in ["mri-1", "mri-2", "mri-3"] {
        t.put(&home, id, &alice, metadata(false));
    }
    let refund_of = |res: &cosmwasm_std::IbcBasicResponse, id: &str| {
        assert_eq!(res.messages.len(), 1);
        assert_eq!(res.messages[0].id, REPLY_REFUND);
        assert_eq!(
            res.messages[0].msg,
            WasmMsg::Execute {
                contract_addr: home.to_string(),
                msg: to_json_binary(&nft::ExecuteMsg::TransferNft {
                    recipient: alice.to_string(),
                    token_id: id.into()
                })
                .unwrap(),
                funds: vec![],
            }
            .into()
        );
    };
    // An error acknowledgement, and one nobody can read: both refund.
    for (id, ack) in [
        ("mri-1", &br#"{"error":"class not accepted"}"#[..]),
        ("mri-2", b"\x00garbage"),
    ] {
        let p = sent(&t.send(&home, id, &alice).unwrap());
        let res = t.ack(&p, ack);
        refund_of(&res, id);
        assert_eq!(t.outgoing(&home, id), None);
        // Once: a second delivery of the same ack refunds nothing.
        assert!(t.ack(&p, ack).messages.is_empty());
    }
    // A timeout refunds.
    let p = sent(&t.send(&home, "mri-3", &alice).unwrap());
    let relayer = t.deps.api.addr_make("relayer");
    let timeout = IbcPacketTimeoutMsg::new(t.sent_packet(&p), relayer);
    let res = ibc_packet_timeout(t.deps.as_mut(), t.env.clone(), timeout).unwrap();
    refund_of(&res, "mri-3");
    // The collection refuses the refund (Alice's approval revoked meanwhile): held for her.
    let reply_msg = Reply {
        id: REPLY_REFUND,
        payload: res.messages[0].payload.clone(),
        gas_used: 0,
        #[allow(deprecated)]
        result: SubMsgResult::Err("recipient not approved".into()),
    };
    reply(t.deps.as_mut(), t.env.clone(), reply_msg).unwrap();
    let held: Option<Held> = from_json(
        query(
            t.deps.as_ref(),
            t.env.clone(),
            QueryMsg::Held {
                collection: home.to_string(),
                token_id: "mri-3".into(),
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        held,
        Some(Held {
            owner: alice.clone()
        })
    );
    let bob = t.bob.clone();
    let ret = |to: &Addr| ExecuteMsg::ReturnHeld {
        collection: home.to_string(),
        token_id: "mri-3".into(),
        recipient: to.to_string(),
    };
    assert!(matches!(
        t.exec(&bob, ret(&bob)).unwrap_err(),
        ContractError::NotHeld { .. }
    ));
    let res = t.exec(&alice, ret(&bob)).unwrap();
    assert_eq!(res.messages.len(), 1);
    assert!(matches!(
        t.exec(&alice, ret(&bob)).unwrap_err(),
        ContractError::NotHeld { .. }
    ));
}

#[test]
fn a_delivered_home_token_stays_escrowed_until_it_comes_back() {
    let mut t = setup();
    let (home, alice) = (t.home.clone(), t.alice.clone());
    t.put(&home, "mri-1", &alice, metadata(false));
    let p = sent(&t.send(&home, "mri-1", &alice).unwrap());
    assert!(t.ack(&p, br#"{"result":"AQ=="}"#).messages.is_empty());
    assert_eq!(t.outgoing(&home, "mri-1").unwrap().sender, alice);
}

#[test]
fn only_governance_or_the_peers_officer_prepares_a_class_and_only_once() {
    let mut t = setup();
    let (alice, officer, gov) = (t.alice.clone(), t.officer.clone(), t.gov.clone());
    let prep = |class: &str| ExecuteMsg::PrepareClass {
        channel_id: CHANNEL.into(),
        class_id: class.into(),
        name: "Devices".into(),
        symbol: "HDEV".into(),
    };
    assert!(matches!(
        t.exec(&alice, prep("c")).unwrap_err(),
        ContractError::Unauthorized { .. }
    ));
    let res = t.exec(&officer, prep("c")).unwrap();
    let CosmosMsg::Wasm(WasmMsg::Instantiate {
        admin,
        code_id,
        msg,
        ..
    }) = &res.messages[0].msg
    else {
        panic!()
    };
    assert_eq!((admin.as_deref(), *code_id), (Some(gov.as_str()), 7));
    let init: nft::InstantiateMsg = from_json(msg).unwrap();
    assert_eq!(init.compliance_officer, officer.to_string());
    assert_eq!(init.admin.as_deref(), Some(t.contract().as_str()));
    assert_eq!(init.custodian.as_deref(), Some(t.contract().as_str()));
    t.exec(&gov, prep("d")).unwrap();
    t.prepared("e");
    assert!(matches!(
        t.exec(&gov, prep("e")).unwrap_err(),
        ContractError::ClassPrepared(_)
    ));
    assert!(t.exec(&gov, prep("")).is_err());
    let other = ExecuteMsg::PrepareClass {
        channel_id: "channel-5".into(),
        class_id: "c".into(),
        name: "n".into(),
        symbol: "s".into(),
    };
    assert!(matches!(
        t.exec(&gov, other).unwrap_err(),
        ContractError::UnknownChannel(_)
    ));
}
