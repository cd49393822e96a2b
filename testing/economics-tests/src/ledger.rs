//! Where the contracts run: cw-multi-test (Rust code) or cosmwasm-vm (the committed artifacts).

use std::fmt::Debug;

use bithive_cw_test_fixtures::contract;
use bithive_vm_host::{Chain, ChainConfig};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::{App, AppBuilder, Contract, Executor};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The contracts of the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Token,
    Emission,
    Vesting,
    Staking,
    Rewards,
}

impl Code {
    pub const ALL: [Code; 5] = [
        Code::Token,
        Code::Emission,
        Code::Vesting,
        Code::Staking,
        Code::Rewards,
    ];

    /// File name of the committed artifact.
    pub fn artifact(self) -> &'static str {
        match self {
            Code::Token => "bithive_token.wasm",
            Code::Emission => "bithive_emission.wasm",
            Code::Vesting => "bithive_vesting.wasm",
            Code::Staking => "bithive_staking.wasm",
            Code::Rewards => "bithive_rewards.wasm",
        }
    }

    /// The contract as Rust code for cw-multi-test.
    pub fn multi_test(self) -> Box<dyn Contract<Empty>> {
        match self {
            Code::Token => contract!(bithive_token),
            Code::Emission => contract!(bithive_emission, migrate),
            Code::Vesting => contract!(bithive_vesting, migrate),
            Code::Staking => contract!(bithive_staking, migrate),
            Code::Rewards => contract!(bithive_rewards, migrate),
        }
    }
}

fn code_id(codes: &[(Code, u64)], code: Code) -> u64 {
    codes
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, id)| *id)
        .expect("every code is stored")
}

/// A chain the world runs on. Test support: a failed instantiate or query panics (the story
/// never expects one); executions return the error text so stories can assert refusals.
pub trait Ledger {
    /// A deterministic account address for `name`.
    fn addr(&self, name: &str) -> String;
    /// Block time in seconds.
    fn now(&self) -> u64;
    fn chain_id(&self) -> String;
    /// Next block, `secs` later.
    fn advance(&mut self, secs: u64);
    fn instantiate<M: Serialize>(
        &mut self,
        code: Code,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> String;
    fn execute<M: Serialize + Debug>(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &M,
    ) -> Result<(), String>;
    fn query<M: Serialize, T: DeserializeOwned>(&self, contract: &str, msg: &M) -> T;
}

/// cw-multi-test.
pub struct MultiTest {
    pub app: App,
    codes: Vec<(Code, u64)>,
}

impl MultiTest {
    pub fn new() -> MultiTest {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let codes = Code::ALL
            .iter()
            .map(|&c| (c, app.store_code(c.multi_test())))
            .collect();
        MultiTest { app, codes }
    }

    pub fn code_id(&self, code: Code) -> u64 {
        code_id(&self.codes, code)
    }
}

impl Default for MultiTest {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger for MultiTest {
    fn addr(&self, name: &str) -> String {
        self.app.api().addr_make(name).to_string()
    }

    fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    fn chain_id(&self) -> String {
        self.app.block_info().chain_id
    }

    fn advance(&mut self, secs: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += (secs / 6).max(1);
        });
    }

    fn instantiate<M: Serialize>(
        &mut self,
        code: Code,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> String {
        let id = self.code_id(code);
        self.app
            .instantiate_contract(
                id,
                Addr::unchecked(sender),
                msg,
                &[],
                label,
                admin.map(str::to_string),
            )
            .unwrap_or_else(|e| panic!("instantiate {label}: {e:#}"))
            .to_string()
    }

    fn execute<M: Serialize + Debug>(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &M,
    ) -> Result<(), String> {
        self.app
            .execute_contract(Addr::unchecked(sender), Addr::unchecked(contract), msg, &[])
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
    }

    fn query<M: Serialize, T: DeserializeOwned>(&self, contract: &str, msg: &M) -> T {
        self.app
            .wrap()
            .query_wasm_smart(contract, msg)
            .unwrap_or_else(|e| panic!("query {contract}: {e}"))
    }
}

/// The committed artifacts in cosmwasm-vm 3 (`bithive-vm-host`, wasmd semantics and storage gas).
pub struct Vm {
    pub chain: Chain,
    codes: Vec<(Code, u64)>,
    /// CosmWasm gas of the last successful `execute`.
    pub last_gas: u64,
}

/// Reads `artifacts/<name>` of the workspace (the fixtures' reader).
pub use bithive_cw_test_fixtures::artifact;

impl Vm {
    pub fn new() -> Vm {
        Vm::with_config(ChainConfig::default())
    }

    pub fn with_config(config: ChainConfig) -> Vm {
        let mut chain = Chain::new(config).expect("vm chain");
        let codes = Code::ALL
            .iter()
            .map(|&c| {
                let id = chain
                    .store_code(&artifact(c.artifact()))
                    .unwrap_or_else(|e| panic!("store {}: {e}", c.artifact()));
                (c, id)
            })
            .collect();
        Vm {
            chain,
            codes,
            last_gas: 0,
        }
    }

    pub fn code_id(&self, code: Code) -> u64 {
        code_id(&self.codes, code)
    }
}

impl Default for Vm {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger for Vm {
    fn addr(&self, name: &str) -> String {
        self.chain.addr(name)
    }

    fn now(&self) -> u64 {
        self.chain.block().time.seconds()
    }

    fn chain_id(&self) -> String {
        self.chain.block().chain_id
    }

    fn advance(&mut self, secs: u64) {
        self.chain.advance(secs);
    }

    fn instantiate<M: Serialize>(
        &mut self,
        code: Code,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> String {
        let id = self.code_id(code);
        self.chain
            .instantiate(id, sender, msg, &[], label, admin)
            .unwrap_or_else(|e| panic!("instantiate {label}: {e}"))
            .0
    }

    fn execute<M: Serialize + Debug>(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &M,
    ) -> Result<(), String> {
        let tx = self
            .chain
            .execute(contract, sender, msg, &[])
            .map_err(|e| e.to_string())?;
        self.last_gas = tx.gas_used;
        Ok(())
    }

    fn query<M: Serialize, T: DeserializeOwned>(&self, contract: &str, msg: &M) -> T {
        self.chain
            .query(contract, msg)
            .unwrap_or_else(|e| panic!("query {contract}: {e}"))
    }
}
