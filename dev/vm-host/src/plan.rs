//! The deployment plan (`bithive-deploy-plan`) carried out on a [`Chain`] (feature `plan`): the
//! VM test worlds deploy exactly what `bithive deploy` deploys, from the committed artifacts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bithive_deploy_plan::{
    load_artifacts, Artifact, DeployConfig, DeployPlan, Deployment, Driver, Outcome, PlanError,
    Step,
};

use crate::Chain;

/// The plan crate, so a world needs one dependency for its configuration.
pub use bithive_deploy_plan;

/// The repository's `artifacts/` folder (the committed artifacts and their `checksums.txt`).
pub fn committed_artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts")
}

/// The committed artifacts, each checked against `checksums.txt`: code and sha256 (hex).
pub fn committed_artifacts() -> BTreeMap<Artifact, (Vec<u8>, String)> {
    let dir = committed_artifacts_dir();
    load_artifacts(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// The chain as a deployment driver: every step a transaction of the deployer's, each of which
/// must succeed; it notes each contract as the plan said it.
struct VmDriver<'a> {
    chain: &'a mut Chain,
    deployer: &'a str,
    wasm: BTreeMap<Artifact, (Vec<u8>, String)>,
    /// (address, code id, label, wasm admin) of each contract the plan made.
    said: Vec<(String, u64, String, Option<String>)>,
}

impl Driver for VmDriver<'_> {
    type Error = PlanError;
    fn run(&mut self, step: &Step) -> Result<Outcome, PlanError> {
        Ok(match step {
            Step::Store(artifact) => {
                let (code, checksum) = &self.wasm[artifact];
                let code_id = self
                    .chain
                    .store_code(code)
                    .map_err(|e| PlanError::Driver(format!("store {artifact:?}: {e}")))?;
                Outcome::Stored {
                    code_id,
                    checksum: checksum.clone(),
                }
            }
            Step::Instantiate(i) => {
                let admin = i.admin.as_deref();
                let (addr, _) = self
                    .chain
                    .instantiate(i.code_id, self.deployer, &i.msg, &[], &i.label, admin)
                    .map_err(|e| PlanError::Driver(format!("instantiate {}: {e}", i.label)))?;
                self.said
                    .push((addr.clone(), i.code_id, i.label.clone(), i.admin.clone()));
                Outcome::Instantiated(addr)
            }
            Step::Execute(e) => {
                self.chain
                    .execute(&e.contract, self.deployer, &e.msg, &[])
                    .map_err(|err| PlanError::Driver(format!("{}: {err}", e.wiring.describe())))?;
                Outcome::Executed
            }
            Step::UpdateAdmin(u) => {
                let msg = cosmwasm_std::WasmMsg::UpdateAdmin {
                    contract_addr: u.contract.clone(),
                    admin: u.new_admin.clone(),
                };
                self.chain
                    .run_tx(self.deployer, msg.into())
                    .map_err(|e| PlanError::Driver(format!("update admin {:?}: {e}", u.role)))?;
                for said in self.said.iter_mut().filter(|s| s.0 == u.contract) {
                    said.3 = Some(u.new_admin.clone());
                }
                Outcome::Executed
            }
        })
    }
}

/// Carries out the deployment plan for `config` on `chain` as `deployer` from the committed
/// artifacts and returns the deployment. The chain must then hold exactly the contracts the plan
/// made, with the code, label and wasm admin it said, and the modules the DAO made for itself,
/// each with the DAO as wasm admin: a driver that deploys anything the plan does not say fails
/// here (a panic: this is for tests and benchmarks).
pub fn run_deploy_plan(chain: &mut Chain, config: DeployConfig, deployer: &str) -> Deployment {
    let (chain_id, genesis) = (chain.block().chain_id, chain.block().time.seconds());
    let before: Vec<String> = chain.contracts().into_iter().map(|c| c.address).collect();
    let plan = DeployPlan::new(config, &chain_id, deployer, genesis).expect("plan");
    let mut driver = VmDriver {
        chain,
        deployer,
        wasm: committed_artifacts(),
        said: Vec::new(),
    };
    let d = plan
        .drive(&mut driver)
        .unwrap_or_else(|e| panic!("the plan carried out: {e}"));
    let mut said = driver.said;
    let new: Vec<_> = chain
        .contracts()
        .into_iter()
        .filter(|c| !before.contains(&c.address))
        .collect();
    for module in new.iter().filter(|c| c.creator != deployer) {
        assert!(
            !d.contracts.dao.is_empty()
                && module.admin.as_deref() == Some(d.contracts.dao.as_str()),
            "{} ({}) was made during the deployment by {}, not by the plan or the DAO",
            module.address,
            module.label,
            module.creator
        );
    }
    let mut made: Vec<_> = new
        .into_iter()
        .filter(|c| c.creator == deployer)
        .map(|c| (c.address, c.code_id, c.label, c.admin))
        .collect();
    made.sort();
    said.sort();
    assert_eq!(
        made, said,
        "the chain holds exactly the contracts the plan said, as it said them"
    );
    d
}
