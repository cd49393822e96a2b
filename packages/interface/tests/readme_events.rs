//! Each contract README's "Events" section and the event constants agree: every `action` value
//! and attribute key the README names (in backticks) is a constant, and every constant is named.

use std::collections::BTreeSet;
use std::path::Path;

use bithive_interface as i;

/// Backticked words in README event sections that are not names: the event type, the `action`
/// key itself, and attribute values.
const NOT_NAMES: &[&str] = &["action", "wasm", "none", "local", "ibc"];

fn events_section(contract: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts")
        .join(contract)
        .join("README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let start = text
        .find("\n## Events")
        .unwrap_or_else(|| panic!("{contract}: README has no '## Events' section"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// Words inside backticks, split on the separators READMEs use (`a|b`, `a=b`, `a`/`b`).
fn named(section: &str) -> BTreeSet<String> {
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| {
            span.split(|c: char| c.is_whitespace() || "=|/,().".contains(c))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|w| {
            !w.is_empty()
                && w.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

fn check(contract: &str, actions: &[&str], attributes: &[&str]) {
    let section = events_section(contract);
    let words = named(&section);
    let consts: BTreeSet<String> = actions
        .iter()
        .chain(attributes)
        .map(|s| s.to_string())
        .collect();
    let unknown: Vec<_> = words
        .iter()
        .filter(|w| !consts.contains(*w) && !NOT_NAMES.contains(&w.as_str()))
        .collect();
    let unlisted: Vec<_> = consts.iter().filter(|c| !words.contains(*c)).collect();
    assert!(
        unknown.is_empty() && unlisted.is_empty(),
        "{contract}: README names without a constant: {unknown:?}; constants the README does \
         not list: {unlisted:?}"
    );
}

macro_rules! readme_test {
    ($test:ident, $dir:literal, $module:ident) => {
        #[test]
        fn $test() {
            check(
                $dir,
                i::$module::events::ACTIONS,
                i::$module::events::attr::ATTRIBUTES,
            );
        }
    };
}

readme_test!(token, "token", token);
readme_test!(emission, "emission", emission);
readme_test!(vesting, "vesting", vesting);
readme_test!(staking, "staking", staking);
readme_test!(rewards, "rewards", rewards);
readme_test!(asset_nft, "asset-nft", asset_nft);
readme_test!(asset_shares, "asset-shares", asset_shares);
readme_test!(fractional, "fractional", fractional);
readme_test!(payfi_escrow, "payfi-escrow", payfi_escrow);
readme_test!(attestation, "attestation", attestation);
readme_test!(model_registry, "model-registry", model_registry);
readme_test!(data_vault, "data-vault", data_vault);

#[test]
fn constants_are_unique_per_contract() {
    for (name, actions, attrs) in [
        (
            "token",
            i::token::events::ACTIONS,
            i::token::events::attr::ATTRIBUTES,
        ),
        (
            "payfi_escrow",
            i::payfi_escrow::events::ACTIONS,
            i::payfi_escrow::events::attr::ATTRIBUTES,
        ),
        (
            "attestation",
            i::attestation::events::ACTIONS,
            i::attestation::events::attr::ATTRIBUTES,
        ),
        (
            "model_registry",
            i::model_registry::events::ACTIONS,
            i::model_registry::events::attr::ATTRIBUTES,
        ),
        (
            "data_vault",
            i::data_vault::events::ACTIONS,
            i::data_vault::events::attr::ATTRIBUTES,
        ),
    ] {
        for list in [actions, attrs] {
            let set: BTreeSet<_> = list.iter().collect();
            assert_eq!(set.len(), list.len(), "{name}: a constant is listed twice");
        }
    }
}
