//! Where the contracts run: cw-multi-test (Rust code) or cosmwasm-vm (the committed artifacts).
//! Either carries out the deployment plan through [`PlanDriver`], so the world is what
//! `bithive deploy` deploys.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bithive_cw_test_fixtures::contract;
use bithive_deploy_plan::{Artifact, Driver, Outcome, PlanError, Step};
use bithive_vm_host::plan::committed_artifacts;
use bithive_vm_host::{Chain, ChainConfig};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::{App, AppBuilder, Contract, ContractWrapper, Executor};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Artifact `artifact` as Rust code for cw-multi-test: every contract of the deployment plan.
pub fn multi_test(artifact: Artifact) -> Box<dyn Contract<Empty>> {
    match artifact {
        Artifact::Token => contract!(bithive_token),
        Artifact::Emission => contract!(bithive_emission, migrate),
        Artifact::Vesting => contract!(bithive_vesting, migrate),
        Artifact::Staking => contract!(bithive_staking, migrate),
        Artifact::Rewards => contract!(bithive_rewards, migrate),
        Artifact::AssetNft => contract!(bithive_asset_nft),
        Artifact::AssetShares => contract!(bithive_asset_shares),
        Artifact::Fractional => contract!(bithive_fractional, reply),
        Artifact::PayfiEscrow => contract!(bithive_payfi_escrow, reply, migrate),
        Artifact::Attestation => contract!(bithive_attestation, reply, migrate),
        Artifact::ModelRegistry => contract!(bithive_model_registry),
        Artifact::DataVault => contract!(bithive_data_vault),
        // cw20-ics20 behind BitHive's entry points (no `contract` module).
        Artifact::Ics20 => Box::new(
            ContractWrapper::new(
                bithive_ics20::execute,
                bithive_ics20::instantiate,
                bithive_ics20::query,
            )
            .with_reply(bithive_ics20::reply)
            .with_migrate(bithive_ics20::migrate),
        ),
        Artifact::Ics721 => contract!(bithive_ics721, reply),
        // DAO DAO is built on cosmwasm-std 1.5, which cw-multi-test 2 cannot run: the economics
        // worlds deploy without a DAO (its tests run on the artifacts in the VM).
        Artifact::DaoCore
        | Artifact::DaoVotingCw4
        | Artifact::Cw4Group
        | Artifact::DaoProposalSingle
        | Artifact::DaoPreProposeSingle => {
            panic!("{artifact:?}: the economics worlds deploy without a DAO")
        }
    }
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
    /// Stores `artifact`'s code: its code id and sha256 (hex).
    fn store(&mut self, artifact: Artifact) -> (u64, String);
    /// Instantiates stored code `code_id`; the error text when it fails.
    fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> Result<String, String>;
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
    checksums: BTreeMap<Artifact, String>,
}

impl MultiTest {
    pub fn new() -> MultiTest {
        MultiTest {
            app: AppBuilder::new().build(|_, _, _| {}),
            checksums: committed_artifacts()
                .into_iter()
                .map(|(artifact, (_, checksum))| (artifact, checksum))
                .collect(),
        }
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

    /// The contract's Rust code; the checksum recorded is the committed artifact's, the wasm
    /// the same source builds (multi-test stores no wasm).
    fn store(&mut self, artifact: Artifact) -> (u64, String) {
        let code_id = self.app.store_code(multi_test(artifact));
        (code_id, self.checksums[&artifact].clone())
    }

    fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> Result<String, String> {
        self.app
            .instantiate_contract(
                code_id,
                Addr::unchecked(sender),
                msg,
                &[],
                label,
                admin.map(str::to_string),
            )
            .map(|a| a.to_string())
            .map_err(|e| format!("{e:#}"))
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
    artifacts: BTreeMap<Artifact, (Vec<u8>, String)>,
    /// CosmWasm gas of the last successful `execute`.
    pub last_gas: u64,
}

impl Vm {
    pub fn new() -> Vm {
        Vm::with_config(ChainConfig::default())
    }

    pub fn with_config(config: ChainConfig) -> Vm {
        Vm {
            chain: Chain::new(config).expect("vm chain"),
            artifacts: committed_artifacts(),
            last_gas: 0,
        }
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

    fn store(&mut self, artifact: Artifact) -> (u64, String) {
        let (wasm, checksum) = &self.artifacts[&artifact];
        let code_id = self
            .chain
            .store_code(wasm)
            .unwrap_or_else(|e| panic!("store {}: {e}", artifact.file()));
        (code_id, checksum.clone())
    }

    fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        sender: &str,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> Result<String, String> {
        self.chain
            .instantiate(code_id, sender, msg, &[], label, admin)
            .map(|(addr, _)| addr)
            .map_err(|e| e.to_string())
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

/// A ledger as the deployment plan's driver: every step the deployer's, each of which must
/// succeed.
pub struct PlanDriver<'a, L: Ledger> {
    pub ledger: &'a mut L,
    pub deployer: &'a str,
}

impl<L: Ledger> Driver for PlanDriver<'_, L> {
    type Error = PlanError;
    fn run(&mut self, step: &Step) -> Result<Outcome, PlanError> {
        Ok(match step {
            Step::Store(artifact) => {
                let (code_id, checksum) = self.ledger.store(*artifact);
                Outcome::Stored { code_id, checksum }
            }
            Step::Instantiate(i) => Outcome::Instantiated(
                self.ledger
                    .instantiate(
                        i.code_id,
                        self.deployer,
                        &i.msg,
                        &i.label,
                        i.admin.as_deref(),
                    )
                    .map_err(|e| PlanError::Driver(format!("instantiate {}: {e}", i.label)))?,
            ),
            Step::Execute(e) => {
                self.ledger
                    .execute(self.deployer, &e.contract, &e.msg)
                    .map_err(|err| PlanError::Driver(format!("{}: {err}", e.wiring.describe())))?;
                Outcome::Executed
            }
            // The DAO's contracts are built on cosmwasm-std 1.5, which cw-multi-test 2 cannot
            // run; the economics worlds deploy without a DAO (the VM worlds test it).
            Step::UpdateAdmin(u) => {
                return Err(PlanError::Driver(format!(
                    "update admin {:?}: the economics ledgers deploy without a DAO",
                    u.role
                )))
            }
        })
    }
}
