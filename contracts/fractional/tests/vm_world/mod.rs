//! The committed `asset_nft`, `asset_shares` and `fractional` artifacts (and cw20-base 2.0 as an
//! allowlisted revenue token) on a wasmd-like chain (bithive-vm-host over cosmwasm-vm 3), driven
//! with the contracts' own typed messages. Shared by `tests/vm.rs` and `examples/gas.rs`.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use bithive_asset_nft::msg::{ExecuteMsg as NftMsg, InstantiateMsg as NftInit};
use bithive_asset_nft::msg::{QueryMsg as NftQuery, ValuationParams};
use bithive_cw_test_fixtures::addrs;
pub use bithive_cw_test_fixtures::artifact;
use bithive_fractional::msg::{
    ExecuteMsg, FractionalizeMsg, InstantiateMsg, Price, QueryMsg, ReceiveMsg,
};
use bithive_fractional::state::{AssetInfo, Vault};
use bithive_vm_host::{coin, Chain, ChainConfig, HostError, TxResponse};
use common::{approve_us_holder, mint_scanner};
use cosmwasm_std::{to_json_binary, Addr, Uint128};
use cw20::{BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg};

pub const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
pub const RESERVE_DENOM: &str = "uusd";

pub struct World {
    pub chain: Chain,
    pub nft: String,
    pub frac: String,
    /// cw20-base 2.0, allowlisted for revenue.
    pub usdc: String,
    pub cw20_code: u64,
    pub admin: String,
    pub alice: String,
    pub clinic: String,
}

impl World {
    pub fn new() -> World {
        let mut chain = Chain::new(ChainConfig::default()).expect("chain");
        let mut store = |name: &str| {
            let wasm = artifact(name);
            chain
                .store_code(&wasm)
                .unwrap_or_else(|e| panic!("store {name}: {e}"))
        };
        let nft_code = store("bithive_asset_nft.wasm");
        let share_code = store("bithive_asset_shares.wasm");
        let frac_code = store("bithive_fractional.wasm");
        let cw20_code = store("reference/cw20_base_ref.wasm");
        addrs!(|n| chain.addr(n); admin, alice, clinic);
        chain
            .mint_native(&clinic, &[coin(1_000_000_000_000, IBC)])
            .expect("fund clinic");
        let nft_init = NftInit {
            name: "BitHive Assets".into(),
            symbol: "BHA".into(),
            admin: None,
            compliance_officer: admin.clone(),
            custodian: None,
            valuation: ValuationParams {
                unit: "USD-cents".into(),
                window: 5,
                freshness_secs: 86_400,
                quorum: 1,
            },
        };
        let (nft, _) = chain
            .instantiate(nft_code, &admin, &nft_init, &[], "assets", Some(&admin))
            .expect("instantiate asset_nft");
        let usdc_init = cw20_base::msg::InstantiateMsg {
            name: "USD Coin".into(),
            symbol: "USDC".into(),
            decimals: 6,
            initial_balances: vec![Cw20Coin {
                address: clinic.clone(),
                amount: Uint128::new(1_000_000_000_000),
            }],
            mint: None,
            marketing: None,
        };
        let (usdc, _) = chain
            .instantiate(cw20_code, &admin, &usdc_init, &[], "usdc", None)
            .expect("instantiate cw20-base");
        let frac_init = InstantiateMsg {
            admin: None,
            share_code_id: share_code,
            nft_contracts: vec![nft.clone()],
            cw20_allowlist: vec![usdc.clone()],
        };
        let (frac, _) = chain
            .instantiate(
                frac_code,
                &admin,
                &frac_init,
                &[],
                "fractional",
                Some(&admin),
            )
            .expect("instantiate fractional");
        let mut w = World {
            chain,
            nft,
            frac,
            usdc,
            cw20_code,
            admin,
            alice,
            clinic,
        };
        let (alice, frac) = (w.alice.clone(), w.frac.clone());
        w.approve(&alice);
        w.approve(&frac);
        w
    }

    /// The compliance officer approves `who` as a US holder.
    pub fn approve(&mut self, who: &str) {
        let msg = approve_us_holder(who);
        let (nft, admin) = (self.nft.clone(), self.admin.clone());
        self.chain
            .execute(&nft, &admin, &msg, &[])
            .expect("approve holder");
    }

    /// Mints a scanner NFT whose US jurisdiction requires approved holders; returns gas used.
    pub fn mint(&mut self, id: &str, owner: &str) -> u64 {
        let msg = mint_scanner(id, owner);
        let (nft, admin) = (self.nft.clone(), self.admin.clone());
        self.chain
            .execute(&nft, &admin, &msg, &[])
            .expect("mint")
            .gas_used
    }

    pub fn transfer_nft(
        &mut self,
        from: &str,
        to: &str,
        id: &str,
    ) -> Result<TxResponse, HostError> {
        let msg = NftMsg::TransferNft {
            recipient: to.into(),
            token_id: id.into(),
        };
        let nft = self.nft.clone();
        self.chain.execute(&nft, from, &msg, &[])
    }

    /// `owner` sends NFT `id` to the vault: a share token is instantiated through the reply and
    /// `shares` are minted to `owner`. Returns (vault id, share token).
    pub fn lock(&mut self, owner: &str, id: &str, shares: u128, reserve: u128) -> (u64, String) {
        let f = FractionalizeMsg {
            shares: Uint128::new(shares),
            share_name: "Scanner revenue shares".into(),
            share_symbol: "SCAN".into(),
            decimals: 0,
            reserve_price: Price {
                asset: AssetInfo::Native(RESERVE_DENOM.into()),
                amount: Uint128::new(reserve),
            },
            revenue_assets: vec![
                AssetInfo::Native(IBC.into()),
                AssetInfo::Cw20(Addr::unchecked(self.usdc.clone())),
            ],
        };
        let msg = NftMsg::SendNft {
            contract: self.frac.clone(),
            token_id: id.into(),
            msg: to_json_binary(&f).expect("json"),
        };
        let nft = self.nft.clone();
        let tx = self
            .chain
            .execute(&nft, owner, &msg, &[])
            .expect("lock NFT");
        let vault = tx
            .attr("wasm", "vault_id")
            .expect("vault_id attribute")
            .parse()
            .expect("numeric vault id");
        let token = tx
            .attr("wasm", "share_token")
            .expect("share_token attribute (set in the reply)")
            .to_string();
        (vault, token)
    }

    pub fn shares_of(&self, token: &str, who: &str) -> u128 {
        self.cw20_balance(token, who)
    }

    pub fn cw20_balance(&self, token: &str, who: &str) -> u128 {
        let b: BalanceResponse = self
            .chain
            .query(
                token,
                &Cw20QueryMsg::Balance {
                    address: who.into(),
                },
            )
            .expect("cw20 balance");
        b.balance.u128()
    }

    pub fn share_transfer(
        &mut self,
        token: &str,
        from: &str,
        to: &str,
        amount: u128,
    ) -> Result<TxResponse, HostError> {
        let msg = Cw20ExecuteMsg::Transfer {
            recipient: to.into(),
            amount: Uint128::new(amount),
        };
        self.chain.execute(token, from, &msg, &[])
    }

    /// Sends shares back to the vault with a `ReceiveMsg` (redeem, reunify).
    pub fn send_shares(
        &mut self,
        token: &str,
        from: &str,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> Result<TxResponse, HostError> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.frac.clone(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).expect("json"),
        };
        self.chain.execute(token, from, &msg, &[])
    }

    /// The clinic pays `amount` of the IBC denom as revenue of `vault`.
    pub fn deposit_native(&mut self, vault: u64, amount: u128) -> Result<TxResponse, HostError> {
        let (frac, clinic) = (self.frac.clone(), self.clinic.clone());
        self.chain.execute(
            &frac,
            &clinic,
            &ExecuteMsg::DepositRevenue { vault_id: vault },
            &[coin(amount, IBC)],
        )
    }

    /// The clinic pays `amount` USDC (cw20 `send`) as revenue of `vault`.
    pub fn deposit_usdc(&mut self, vault: u64, amount: u128) -> Result<TxResponse, HostError> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.frac.clone(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&ReceiveMsg::DepositRevenue { vault_id: vault }).expect("json"),
        };
        let (usdc, clinic) = (self.usdc.clone(), self.clinic.clone());
        self.chain.execute(&usdc, &clinic, &msg, &[])
    }

    pub fn claim(&mut self, who: &str, vault: u64) -> Result<TxResponse, HostError> {
        let frac = self.frac.clone();
        self.chain
            .execute(&frac, who, &ExecuteMsg::Claim { vault_id: vault }, &[])
    }

    pub fn vault(&self, id: u64) -> Vault {
        self.chain
            .query(&self.frac, &QueryMsg::Vault { vault_id: id })
            .expect("vault query")
    }

    pub fn owner_of(&self, id: &str) -> String {
        let r: cw721::msg::OwnerOfResponse = self
            .chain
            .query(
                &self.nft,
                &NftQuery::OwnerOf {
                    token_id: id.into(),
                    include_expired: None,
                },
            )
            .expect("owner_of");
        r.owner
    }
}

/// The contract's error message, or a panic if the call succeeded or failed in the VM itself.
pub fn contract_error(r: Result<impl std::fmt::Debug, HostError>) -> String {
    match r {
        Err(HostError::Contract(m)) => m,
        other => panic!("expected a contract error, got {other:?}"),
    }
}
