//! One committed contract artifact on the adversarial suite's bare `World` (cosmwasm-vm 3
//! through bithive-vm-host): deployed by the deployer, calls that must be refused with exactly
//! the contract's error and leave every contract's storage and every balance as they were, and
//! the cw2 and migration checks every artifact passes.

use std::fmt::{Debug, Display};

use crate::{artifacts, contract_error, Snapshot, World};
use bithive_cw_common::MigrateError;
use bithive_interface::{ACTION, WASM_EVENT};
use bithive_vm_host::{HostError, TxResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The lifecycle events and attributes every BitHive contract emits (each contract's `events`
/// module names them too).
const INSTANTIATE: &str = "instantiate";
const MIGRATE: &str = "migrate";
const ADMIN: &str = "admin";
const FROM: &str = "from";
const VERSION: &str = "version";

/// Makes a suite's wrapper around a [`Deployed`] (its field `field`) usable as one:
/// `deref_to_deployed!(Vm, d)`, then `vm.ok(..)`, `vm.q(..)`, `vm.w`.
#[macro_export]
macro_rules! deref_to_deployed {
    ($wrapper:ty, $field:ident) => {
        impl ::std::ops::Deref for $wrapper {
            type Target = $crate::deployed::Deployed;
            fn deref(&self) -> &Self::Target {
                &self.$field
            }
        }
        impl ::std::ops::DerefMut for $wrapper {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.$field
            }
        }
    };
}

/// A contract deployed from its committed artifact, with the accounts a test's snapshots cover.
pub struct Deployed {
    /// The chain, the deploying account (the contract's admin and wasm admin) and the snapshots.
    pub w: World,
    pub code: u64,
    /// The contract's address.
    pub addr: String,
    /// The deployer and the test's accounts: their balances are in every snapshot, beside every
    /// contract's storage and balances.
    pub accounts: Vec<String>,
}

impl Deployed {
    /// Stores the committed `artifact`; the deployer instantiates it with `init` as `label`,
    /// as its wasm admin, and the instantiate event names the deployer as the admin.
    pub fn deploy(
        mut w: World,
        artifact: &str,
        label: &str,
        init: &impl Serialize,
        accounts: &[&str],
    ) -> Deployed {
        let code = w
            .chain
            .store_code(&artifacts()[artifact])
            .unwrap_or_else(|e| panic!("store {artifact}: {e}"));
        let mut deployed = Deployed {
            accounts: vec![w.deployer.clone()],
            w,
            code,
            addr: String::new(),
        };
        deployed.addr = deployed.instantiate(init, label);
        deployed
            .accounts
            .extend(accounts.iter().map(|a| a.to_string()));
        deployed
    }

    /// Another instance of the same code, instantiated like [`Deployed::deploy`]'s.
    pub fn instantiate(&mut self, init: &impl Serialize, label: &str) -> String {
        let deployer = self.w.deployer.clone();
        let (addr, tx) = self
            .w
            .chain
            .instantiate(self.code, &deployer, init, &[], label, Some(&deployer))
            .unwrap_or_else(|e| panic!("instantiate {label}: {e}"));
        assert_eq!(tx.attr(WASM_EVENT, ACTION), Some(INSTANTIATE));
        assert_eq!(tx.attr(WASM_EVENT, ADMIN), Some(deployer.as_str()));
        addr
    }

    pub fn exec(&mut self, sender: &str, msg: &impl Serialize) -> Result<TxResponse, HostError> {
        let addr = self.addr.clone();
        self.w.exec(sender, &addr, msg)
    }

    /// Executes and expects success.
    #[track_caller]
    pub fn ok(&mut self, sender: &str, msg: &impl Serialize) -> TxResponse {
        let addr = self.addr.clone();
        self.w.ok(sender, &addr, msg)
    }

    /// `sender`'s call is refused with exactly `expected` (the contract's error), and nothing
    /// changed.
    #[track_caller]
    pub fn refused(
        &mut self,
        sender: &str,
        msg: &(impl Serialize + Debug),
        expected: impl Display,
    ) {
        self.refused_by(&[sender], msg, expected);
    }

    /// Each of `senders`' calls is refused with exactly `expected`, and nothing changed.
    #[track_caller]
    pub fn refused_by(
        &mut self,
        senders: &[&str],
        msg: &(impl Serialize + Debug),
        expected: impl Display,
    ) {
        let expected = expected.to_string();
        for sender in senders {
            let before = self.snapshot();
            let got = contract_error(self.exec(sender, msg));
            assert_eq!(got, expected, "{msg:?} from {sender}");
            self.assert_unchanged(&before);
        }
    }

    /// Every contract's storage and the balances of the accounts and of the contracts.
    pub fn snapshot(&self) -> Snapshot {
        self.w.snapshot(&self.account_refs())
    }

    #[track_caller]
    pub fn assert_unchanged(&self, before: &Snapshot) {
        self.w.assert_unchanged(before, &self.account_refs());
    }

    fn account_refs(&self) -> Vec<&str> {
        self.accounts.iter().map(String::as_str).collect()
    }

    pub fn q<T: DeserializeOwned>(&self, msg: &impl Serialize) -> T {
        self.w.query(&self.addr, msg)
    }

    /// The contract's cw2 record.
    pub fn cw2(&self) -> cw2::ContractVersion {
        let raw = self
            .w
            .chain
            .raw(&self.addr, b"contract_info")
            .expect("cw2 key");
        cosmwasm_std::from_json(raw).expect("cw2 record")
    }

    /// cw2 says `name` at `version`; `stranger` (not the wasm admin) cannot migrate; the code of
    /// the committed `other` artifact (contract `other_name`) refuses to take the state over;
    /// the same code again is accepted (the event says from and to `version`) and cw2 is kept.
    /// Nothing a refused migration does changes anything.
    #[track_caller]
    pub fn assert_migrations(
        &mut self,
        (name, version): (&str, &str),
        stranger: &str,
        (other, other_name): (&str, &str),
        msg: &impl Serialize,
    ) {
        let stored = self.cw2();
        assert_eq!(
            (stored.contract.as_str(), stored.version.as_str()),
            (name, version)
        );
        let (addr, code, deployer) = (self.addr.clone(), self.code, self.w.deployer.clone());
        // Only the chain admin of the contract migrates.
        let before = self.snapshot();
        let err = self.w.chain.migrate(&addr, stranger, code, msg);
        assert!(matches!(err, Err(HostError::Unauthorized(_))), "{err:?}");
        self.assert_unchanged(&before);
        // Another contract's code refuses to take the state over.
        let other_code = self
            .w
            .chain
            .store_code(&artifacts()[other])
            .unwrap_or_else(|e| panic!("store {other}: {e}"));
        let before = self.snapshot();
        let r = self.w.chain.migrate(&addr, &deployer, other_code, msg);
        let wrong = MigrateError::WrongContract {
            stored: name.into(),
            new: other_name.into(),
        };
        assert_eq!(contract_error(r), wrong.to_string());
        self.assert_unchanged(&before);
        let info = self.w.chain.contract_info(&addr).expect("contract info");
        assert_eq!(info.code_id, code, "still the contract's own code");
        // The same artifact again: accepted, cw2 unchanged.
        let tx = self
            .w
            .chain
            .migrate(&addr, &deployer, code, msg)
            .expect("migrate");
        assert_eq!(tx.attr(WASM_EVENT, ACTION), Some(MIGRATE));
        assert_eq!(tx.attr(WASM_EVENT, FROM), Some(version));
        assert_eq!(tx.attr(WASM_EVENT, VERSION), Some(version));
        assert_eq!(self.cw2(), stored);
    }
}
