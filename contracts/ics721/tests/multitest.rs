//! The contract with the real asset-nft in cw-multi-test (which has no IBC: the channel is
//! written into the contract's storage as its connect handler would, and the received packet's
//! self-call is run as the contract): a voucher class prepared (the collection instantiated and
//! recorded by the reply), vouchers minted only to approved holders with their metadata, escrowed
//! by the custodian without the officer's approval, parked, handed out again.

use bithive_ics721::msg::{
    AssetClassData, AssetTokenData, ExecuteMsg, InstantiateMsg, NonFungibleTokenPacketData, Peer,
    QueryMsg, VoucherClass,
};
use bithive_ics721::state::{ChannelInfo, CHANNELS};
use bithive_interface::asset_nft::{
    self as nft, AssetClass, AssetMetadata, AssetMetadataMsg, Certification, ComplianceMarker,
    Jurisdiction,
};
use cosmwasm_std::{to_json_binary, Addr, Empty, HexBinary, Timestamp};
use cw721::msg::{NftInfoResponse, OwnerOfResponse};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};

const CHANNEL: &str = "channel-0";
const CLASS: &str = "bithive1homecollection";

fn ics721_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            bithive_ics721::contract::execute,
            bithive_ics721::contract::instantiate,
            bithive_ics721::contract::query,
        )
        .with_reply(bithive_ics721::contract::reply),
    )
}

fn asset_nft_code() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        bithive_asset_nft::contract::execute,
        bithive_asset_nft::contract::instantiate,
        bithive_asset_nft::contract::query,
    ))
}

struct W {
    app: App,
    bridge: Addr,
    gov: Addr,
    officer: Addr,
    bob: Addr,
}

fn metadata() -> AssetMetadataMsg {
    AssetMetadataMsg {
        class: AssetClass::MedicalEquipment,
        description_uri: "ipfs://bafy-mri-scanner".into(),
        content_hash: HexBinary::from([7u8; 32]),
        jurisdictions: vec![Jurisdiction {
            code: "EU".into(),
            markers: vec![ComplianceMarker::ApprovedHoldersOnly],
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

fn packet(receiver: &Addr) -> NonFungibleTokenPacketData {
    NonFungibleTokenPacketData {
        class_id: CLASS.into(),
        class_uri: None,
        class_data: Some(
            to_json_binary(&AssetClassData {
                bithive_asset_class: 1,
                name: "Devices".into(),
                symbol: "HDEV".into(),
            })
            .unwrap(),
        ),
        token_ids: vec!["mri-1".into()],
        token_uris: Some(vec!["ipfs://bafy-token".into()]),
        token_data: Some(vec![to_json_binary(&AssetTokenData {
            bithive_asset: 1,
            metadata: metadata(),
        })
        .unwrap()]),
        sender: "wasm1alice".into(),
        receiver: receiver.to_string(),
        memo: None,
    }
}

fn setup() -> W {
    let mut app = App::default();
    let api = *app.api();
    let (gov, officer, bob) = (
        api.addr_make("dao"),
        api.addr_make("officer"),
        api.addr_make("bob"),
    );
    let nft_code = app.store_code(asset_nft_code());
    let code = app.store_code(ics721_code());
    let bridge = app
        .instantiate_contract(
            code,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                asset_nft_code_id: nft_code,
                default_timeout_seconds: 600,
                peers: vec![Peer {
                    connection_id: "connection-0".into(),
                    port_id: "wasm.peer".into(),
                    compliance_officer: officer.to_string(),
                }],
            },
            &[],
            "ics721",
            Some(gov.to_string()),
        )
        .unwrap();
    // What ibc_channel_connect records (cw-multi-test cannot open a channel).
    CHANNELS
        .save(
            app.contract_storage_mut(&bridge).as_mut(),
            CHANNEL,
            &ChannelInfo {
                channel_id: CHANNEL.into(),
                connection_id: "connection-0".into(),
                counterparty_port: "wasm.peer".into(),
                counterparty_channel: "channel-9".into(),
                open: true,
            },
        )
        .unwrap();
    W {
        app,
        bridge,
        gov,
        officer,
        bob,
    }
}

impl W {
    fn exec(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &(impl serde::Serialize + std::fmt::Debug),
    ) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), contract.clone(), msg, &[])
    }

    /// The self-call a received packet runs, as the contract runs it.
    fn deliver(&mut self, p: NonFungibleTokenPacketData) -> anyhow::Result<AppResponse> {
        let bridge = self.bridge.clone();
        self.exec(
            &bridge,
            &bridge,
            &ExecuteMsg::ProcessPacket {
                channel_id: CHANNEL.into(),
                counterparty_port: "wasm.peer".into(),
                counterparty_channel: "channel-9".into(),
                packet: p,
            },
        )
    }

    fn owner(&self, collection: &Addr, id: &str) -> Option<String> {
        self.app
            .wrap()
            .query_wasm_smart::<OwnerOfResponse>(
                collection,
                &nft::QueryMsg::OwnerOf {
                    token_id: id.into(),
                    include_expired: None,
                },
            )
            .ok()
            .map(|r| r.owner)
    }

    fn prepare(&mut self) -> Addr {
        let (officer, bridge) = (self.officer.clone(), self.bridge.clone());
        self.exec(
            &officer,
            &bridge,
            &ExecuteMsg::PrepareClass {
                channel_id: CHANNEL.into(),
                class_id: CLASS.into(),
                name: "Devices of chain A".into(),
                symbol: "HDEVA".into(),
            },
        )
        .unwrap();
        let class: Option<VoucherClass> = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.bridge,
                &QueryMsg::VoucherClass {
                    channel_id: CHANNEL.into(),
                    class_id: CLASS.into(),
                },
            )
            .unwrap();
        class.expect("prepared").collection
    }
}

#[test]
fn a_prepared_class_is_a_compliance_gated_collection_governed_as_configured() {
    let mut w = setup();
    let vouchers = w.prepare();
    let cfg: nft::ConfigResponse = w
        .app
        .wrap()
        .query_wasm_smart(&vouchers, &nft::QueryMsg::Config {})
        .unwrap();
    assert_eq!(cfg.admin, w.bridge.to_string());
    assert_eq!(cfg.custodian, Some(w.bridge.to_string()));
    assert_eq!(cfg.compliance_officer, w.officer.to_string());
    let info = w.app.contract_data(&vouchers).unwrap();
    assert_eq!(
        info.admin,
        Some(w.gov.clone()),
        "governance migrates voucher collections"
    );
    // Prepared once.
    let (officer, bridge) = (w.officer.clone(), w.bridge.clone());
    let again = ExecuteMsg::PrepareClass {
        channel_id: CHANNEL.into(),
        class_id: CLASS.into(),
        name: "n".into(),
        symbol: "s".into(),
    };
    assert!(w.exec(&officer, &bridge, &again).is_err());
}

#[test]
fn vouchers_reach_approved_holders_only_go_home_escrowed_and_come_back() {
    let mut w = setup();
    let vouchers = w.prepare();
    let (bob, officer, bridge) = (w.bob.clone(), w.officer.clone(), w.bridge.clone());
    // Not approved by the peer's officer: the collection refuses the mint, nothing is left.
    assert!(w.deliver(packet(&bob)).is_err());
    assert_eq!(w.owner(&vouchers, "mri-1"), None);
    w.exec(
        &officer,
        &vouchers,
        &nft::ExecuteMsg::ApproveHolder {
            jurisdiction: "EU".into(),
            holder: bob.to_string(),
        },
    )
    .unwrap();
    w.deliver(packet(&bob)).unwrap();
    assert_eq!(w.owner(&vouchers, "mri-1"), Some(bob.to_string()));
    let info: NftInfoResponse<AssetMetadata> = w
        .app
        .wrap()
        .query_wasm_smart(
            &vouchers,
            &nft::QueryMsg::NftInfo {
                token_id: "mri-1".into(),
            },
        )
        .unwrap();
    assert_eq!(info.token_uri.as_deref(), Some("ipfs://bafy-token"));
    let m = metadata();
    assert_eq!(
        (info.extension.jurisdictions, info.extension.certifications),
        (m.jurisdictions, m.certifications)
    );
    // Delivered twice (a forged second mint): refused by the collection.
    assert!(w.deliver(packet(&bob)).is_err());

    // Bob's voucher goes home: escrowed by the bridge, the collection's custodian, which the
    // officer never approved (the send itself is in tests/ibc.rs and on wasmd in ibc.sh); the
    // success acknowledgement leaves it parked there.
    w.exec(
        &bob,
        &vouchers,
        &nft::ExecuteMsg::TransferNft {
            recipient: bridge.to_string(),
            token_id: "mri-1".into(),
        },
    )
    .unwrap();
    assert_eq!(w.owner(&vouchers, "mri-1"), Some(bridge.to_string()));
    // It comes back with a renewed certification: handed out again by the real collection.
    let mut back = packet(&bob);
    let mut renewed = metadata();
    renewed.certifications[0].certificate_id = "C-2".into();
    back.token_data = Some(vec![to_json_binary(&AssetTokenData {
        bithive_asset: 1,
        metadata: renewed.clone(),
    })
    .unwrap()]);
    w.deliver(back).unwrap();
    assert_eq!(w.owner(&vouchers, "mri-1"), Some(bob.to_string()));
    let info: NftInfoResponse<AssetMetadata> = w
        .app
        .wrap()
        .query_wasm_smart(
            &vouchers,
            &nft::QueryMsg::NftInfo {
                token_id: "mri-1".into(),
            },
        )
        .unwrap();
    assert_eq!(info.extension.certifications, renewed.certifications);
}
