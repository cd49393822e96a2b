//! Migration guard: a contract may only be migrated to a newer (or equal) version of itself;
//! and the response (event attributes) of a migration.

use cosmwasm_std::{Response, StdError, Storage};
use semver::Version;
use thiserror::Error;

/// Why a migration was refused.
#[derive(Error, Debug, PartialEq)]
pub enum MigrateError {
    /// The stored cw2 version could not be read or the new one written.
    #[error("{0}")]
    Std(#[from] StdError),

    /// The stored cw2 contract name is neither the new name nor one of its former names.
    #[error("cannot migrate contract {stored} to {new}: different contract")]
    WrongContract {
        /// The cw2 name stored in the contract.
        stored: String,
        /// The cw2 name of the code being migrated to.
        new: String,
    },

    /// The new version is older than the stored one.
    #[error("cannot migrate from version {stored} down to {new}")]
    Downgrade {
        /// The stored cw2 version.
        stored: String,
        /// The version of the code being migrated to.
        new: String,
    },

    /// A stored or new version is not valid semver.
    #[error("invalid version {version}: {reason}")]
    InvalidVersion {
        /// The version string.
        version: String,
        /// The semver parser's message.
        reason: String,
    },
}

fn parse(version: &str) -> Result<Version, MigrateError> {
    version
        .parse()
        .map_err(|e: semver::Error| MigrateError::InvalidVersion {
            version: version.to_string(),
            reason: e.to_string(),
        })
}

/// Checks the stored cw2 version against `(name, version)` of the code being migrated to and
/// records the new version. Returns the version migrated from.
pub fn ensure_upgrade(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Version, MigrateError> {
    ensure_upgrade_renamed(storage, name, &[], version)
}

/// [`ensure_upgrade`] for a contract whose cw2 name changed: a stored name in `former_names` is
/// the same contract under an older name, and the new name is recorded.
pub fn ensure_upgrade_renamed(
    storage: &mut dyn Storage,
    name: &str,
    former_names: &[&str],
    version: &str,
) -> Result<Version, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != name && !former_names.contains(&stored.contract.as_str()) {
        return Err(MigrateError::WrongContract {
            stored: stored.contract,
            new: name.to_string(),
        });
    }
    let (from, to) = (parse(&stored.version)?, parse(version)?);
    if from > to {
        return Err(MigrateError::Downgrade {
            stored: stored.version,
            new: version.to_string(),
        });
    }
    cw2::set_contract_version(storage, name, version)?;
    Ok(from)
}

/// The `wasm` event attributes of a migration: `action=migrate`, `from=<version migrated from>`,
/// `version=<version migrated to>`. Each contract's interface `events` re-exports them.
pub mod event {
    /// The `action` value of a migration.
    pub const MIGRATE: &str = "migrate";
    /// Attribute key: the version migrated from.
    pub const FROM: &str = "from";
    /// Attribute key: the version migrated to.
    pub const VERSION: &str = "version";
}

/// The response of a `migrate` entry point: [`ensure_upgrade`], then [`response_from`] the
/// version it returns.
pub fn response(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Response, MigrateError> {
    let from = ensure_upgrade(storage, name, version)?;
    Ok(response_from(&from, version))
}

/// The response of a migration from `from` to `version` (the [`event`] attributes), for a
/// `migrate` entry point that guards the upgrade itself (e.g. with [`ensure_upgrade_renamed`]).
pub fn response_from(from: &Version, version: &str) -> Response {
    Response::new()
        .add_attribute(crate::ACTION, event::MIGRATE)
        .add_attribute(event::FROM, from.to_string())
        .add_attribute(event::VERSION, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn upgrade_same_and_newer_pass_and_record() {
        let mut s = MockStorage::new();
        cw2::set_contract_version(&mut s, "c", "1.2.0").unwrap();
        assert_eq!(
            ensure_upgrade(&mut s, "c", "1.2.0").unwrap(),
            Version::new(1, 2, 0)
        );
        ensure_upgrade(&mut s, "c", "1.10.0").unwrap();
        assert_eq!(cw2::get_contract_version(&s).unwrap().version, "1.10.0");
    }

    #[test]
    fn downgrade_wrong_name_and_garbage_are_refused() {
        let mut s = MockStorage::new();
        cw2::set_contract_version(&mut s, "c", "1.10.0").unwrap();
        assert!(matches!(
            ensure_upgrade(&mut s, "c", "1.9.9"),
            Err(MigrateError::Downgrade { .. })
        ));
        assert!(matches!(
            ensure_upgrade(&mut s, "other", "2.0.0"),
            Err(MigrateError::WrongContract { .. })
        ));
        assert!(matches!(
            ensure_upgrade(&mut s, "c", "two"),
            Err(MigrateError::InvalidVersion { .. })
        ));
        assert_eq!(cw2::get_contract_version(&s).unwrap().version, "1.10.0");
        // A pre-release of the stored version is older than it (semver), and so is refused.
        assert!(matches!(
            ensure_upgrade(&mut s, "c", "1.10.0-rc.1"),
            Err(MigrateError::Downgrade { .. })
        ));
        // A stored version that does not parse is an error, not version 0.
        cw2::set_contract_version(&mut s, "c", "garbage").unwrap();
        assert!(matches!(
            ensure_upgrade(&mut s, "c", "2.0.0"),
            Err(MigrateError::InvalidVersion { .. })
        ));
    }

    #[test]
    fn a_former_name_upgrades_and_records_the_new_name() {
        let mut s = MockStorage::new();
        cw2::set_contract_version(&mut s, "old", "1.0.0").unwrap();
        assert!(matches!(
            ensure_upgrade_renamed(&mut s, "new", &["older"], "1.1.0"),
            Err(MigrateError::WrongContract { .. })
        ));
        assert!(matches!(
            ensure_upgrade_renamed(&mut s, "new", &["old"], "0.9.0"),
            Err(MigrateError::Downgrade { .. })
        ));
        ensure_upgrade_renamed(&mut s, "new", &["old"], "1.1.0").unwrap();
        let stored = cw2::get_contract_version(&s).unwrap();
        assert_eq!(
            (stored.contract.as_str(), stored.version.as_str()),
            ("new", "1.1.0")
        );
    }

    #[test]
    fn response_guards_and_names_both_versions() {
        let mut s = MockStorage::new();
        cw2::set_contract_version(&mut s, "c", "1.2.0").unwrap();
        let res = response(&mut s, "c", "1.3.0").unwrap();
        let attrs: Vec<_> = res
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("action", "migrate"),
                ("from", "1.2.0"),
                ("version", "1.3.0")
            ]
        );
        assert!(res.messages.is_empty() && res.events.is_empty());
        // The guard ran: the new version is recorded.
        assert_eq!(cw2::get_contract_version(&s).unwrap().version, "1.3.0");
    }

    #[test]
    fn missing_version_is_an_error() {
        let mut s = MockStorage::new();
        assert!(matches!(
            ensure_upgrade(&mut s, "c", "1.0.0"),
            Err(MigrateError::Std(_))
        ));
    }
}
