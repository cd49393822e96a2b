#![allow(dead_code)]

use bithive_cw_test_fixtures::contracts::{instantiate, staking_instantiate};
use bithive_cw_test_fixtures::{contract, cw20_balance, cw20_base_code, cw20_minted_by, cw20_send};
use bithive_signed_attestation::signing::{public_key, sign, sign_operator_pop, signing_key};
use bithive_signed_attestation::{
    Attestation, AttestationKind, Hash32, PubKey33, Signature64, SignedAttestation,
};
use bithive_staking::msg::{ExecuteMsg, InstantiateMsg, NodeResponse, QueryMsg, ReceiveMsg, Tier};
use bithive_staking::state::Totals;
use bithive_staking::ContractError;
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::{App, AppBuilder, Contract};

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;

pub fn staking_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_staking)
}

/// Plays the rewards contract (the work reporter): records work in staking as its sender, and
/// accepts whatever staking tells it (`forfeit_epoch` on a fraud proof).
fn reporter_contract() -> Box<dyn Contract<Empty>> {
    use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
    Box::new(cw_multi_test::ContractWrapper::new(
        |_: DepsMut,
         _: Env,
         _: MessageInfo,
         _: bithive_interface::rewards::ExecuteMsg|
         -> StdResult<Response> { Ok(Response::new()) },
        |_: DepsMut, _: Env, _: MessageInfo, _: Empty| -> StdResult<Response> {
            Ok(Response::new())
        },
        |_: Deps, _: Env, _: Empty| -> StdResult<Binary> { Ok(Binary::default()) },
    ))
}

pub struct Suite {
    pub app: App,
    pub staking: Addr,
    pub token: Addr,
    pub gov: Addr,
    pub compliance: Addr,
    pub reporter: Addr,
    pub treasury: Addr,
    pub nodes: Vec<Addr>,
}

pub fn key(i: u8) -> k256::ecdsa::SigningKey {
    signing_key(&[i + 1; 32]).unwrap()
}

pub fn suite(n_nodes: usize) -> Suite {
    let mut app = AppBuilder::new().build(|_, _, _| {});
    let gov = app.api().addr_make("gov");
    let compliance = app.api().addr_make("compliance");
    let reporter_id = app.store_code(reporter_contract());
    let reporter = instantiate(&mut app, reporter_id, &gov, &Empty {}, "reporter");
    let treasury = app.api().addr_make("treasury");
    let nodes = bithive_cw_test_fixtures::suite::node_addrs(app.api(), n_nodes);
    let cw20_id = cw20_base_code(&mut app);
    let init = cw20_minted_by("BitHive Token", "BTK", &gov, &nodes, 1_000_000 * BTK);
    let token = instantiate(&mut app, cw20_id, &gov, &init, "btk");
    let id = app.store_code(staking_contract());
    let genesis = app.block_info().time.seconds();
    let init = InstantiateMsg {
        compliance: compliance.to_string(),
        slash_recipient: treasury.to_string(),
        work_reporter: Some(reporter.to_string()),
        attestor_set_size: 2,
        window_epochs: 3,
        max_claims: 3,
        ..staking_instantiate(&gov, &token, genesis)
    };
    let staking = instantiate(&mut app, id, &gov, &init, "staking");
    Suite {
        app,
        staking,
        token,
        gov,
        compliance,
        reporter,
        treasury,
        nodes,
    }
}

pub fn err(e: anyhow::Error) -> ContractError {
    e.downcast().unwrap()
}

impl Suite {
    pub fn advance(&mut self, secs: u64) {
        bithive_cw_test_fixtures::advance(&mut self.app, secs);
    }
    pub fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<()> {
        bithive_cw_test_fixtures::exec(&mut self.app, who, &self.staking, msg)
    }
    pub fn register(&mut self, i: usize, capacity_t: u32, tier: Tier) -> anyhow::Result<()> {
        let node = self.nodes[i].clone();
        let operator_key = public_key(&key(i as u8));
        let operator_signature = self.pop(i as u8, &node);
        self.exec(
            &node,
            &ExecuteMsg::RegisterNode {
                capacity_t,
                tier,
                operator_key,
                operator_signature,
            },
        )
    }
    /// Registers node `i` with an operator key from a 32-bit seed (for suites of more than 255
    /// nodes, where `key(i)` would repeat).
    pub fn register_wide(&mut self, i: usize, capacity_t: u32, tier: Tier) -> anyhow::Result<()> {
        let node = self.nodes[i].clone();
        let mut seed = [7u8; 32];
        seed[28..].copy_from_slice(&(i as u32).to_be_bytes());
        let sk = signing_key(&seed).unwrap();
        let chain_id = self.app.block_info().chain_id;
        let operator_signature =
            sign_operator_pop(&sk, &chain_id, self.staking.as_str(), node.as_str()).unwrap();
        self.exec(
            &node,
            &ExecuteMsg::RegisterNode {
                capacity_t,
                tier,
                operator_key: public_key(&sk),
                operator_signature,
            },
        )
    }
    /// Operator key `key(i)`'s proof of possession for `sender` on this staking contract.
    pub fn pop(&self, i: u8, sender: &Addr) -> Signature64 {
        let chain_id = self.app.block_info().chain_id;
        sign_operator_pop(&key(i), &chain_id, self.staking.as_str(), sender.as_str()).unwrap()
    }
    pub fn bond(&mut self, i: usize, amount: u128) -> anyhow::Result<()> {
        let (node, token, staking) = (&self.nodes[i], &self.token, &self.staking);
        cw20_send(
            &mut self.app,
            node,
            token,
            staking,
            amount,
            &ReceiveMsg::Bond {},
        )
        .map(|_| ())
    }
    pub fn node(&self, i: usize) -> NodeResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.staking,
                &QueryMsg::Node {
                    node: self.nodes[i].to_string(),
                },
            )
            .unwrap()
    }
    pub fn totals(&self) -> Totals {
        self.app
            .wrap()
            .query_wasm_smart(&self.staking, &QueryMsg::Totals {})
            .unwrap()
    }
    pub fn balance(&self, who: &Addr) -> u128 {
        cw20_balance(&self.app, &self.token, who)
    }
}

/// A signed attestation by node `i`'s operator key about `job` with result `result`.
pub fn attest(i: u8, job: &str, result: &str, nonce: u64) -> SignedAttestation {
    let k = key(i);
    let a = Attestation {
        chain_id: "cosmos-testnet-14002".into(),
        contract: "bithive-inference".into(),
        job_id: job.into(),
        kind: AttestationKind::Inference,
        result_hash: Hash32([result.as_bytes()[0]; 32]),
        commitments: vec![],
        issued_at: 1_700_000_000,
        nonce,
        signer: public_key(&k),
    };
    sign(a, &k).unwrap()
}

pub fn pubkey(i: u8) -> PubKey33 {
    public_key(&key(i))
}
