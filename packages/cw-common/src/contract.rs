//! What every contract's `contract.rs` declares the same way: its cw2 identity and, for a
//! contract whose migration only checks and records the version, its `migrate` entry point.

/// Declares the cw2 [`cw2::ContractVersion`] of the calling crate: `CONTRACT_NAME`
/// (`crates.io:<crate name>`) and `CONTRACT_VERSION` (the crate's version).
#[macro_export]
macro_rules! contract_version {
    () => {
        pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
        pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
    };
}

/// Declares the `migrate` entry point of a contract with no state to upgrade:
/// [`crate::migrate::response`] for the module's `CONTRACT_NAME` and `CONTRACT_VERSION`. It is
/// exported like a hand-written one, unless the contract crate's own `library` feature is on.
#[macro_export]
macro_rules! migrate_entry_point {
    ($msg:ty, $error:ty) => {
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn migrate(
            deps: ::cosmwasm_std::DepsMut,
            _env: ::cosmwasm_std::Env,
            _msg: $msg,
        ) -> Result<::cosmwasm_std::Response, $error> {
            Ok($crate::migrate::response(
                deps.storage,
                CONTRACT_NAME,
                CONTRACT_VERSION,
            )?)
        }
    };
}

#[cfg(test)]
mod tests {
    // `migrate_entry_point!` is exercised by the migrate tests of the contracts that use it (its
    // `library` cfg is theirs).
    crate::contract_version!();

    #[test]
    fn name_is_the_crate_name() {
        assert_eq!(CONTRACT_NAME, "crates.io:bithive-cw-common");
        assert_eq!(CONTRACT_VERSION, env!("CARGO_PKG_VERSION"));
    }
}
