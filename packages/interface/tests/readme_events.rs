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

/// Every `events` constant's value, once per list.
fn assert_unique(contract: &str, list: &[&str]) {
    let set: BTreeSet<_> = list.iter().collect();
    assert_eq!(
        set.len(),
        list.len(),
        "{contract}: a constant is listed twice"
    );
}

/// Per contract module (its folder under `contracts/` is the name with `-` for `_`): its README
/// names exactly its constants, and no constant is listed twice.
macro_rules! readme_tests {
    ($($module:ident),* $(,)?) => {$(
        mod $module {
            use super::*;

            fn contract() -> String {
                stringify!($module).replace('_', "-")
            }

            #[test]
            fn readme_names_every_constant() {
                check(
                    &contract(),
                    i::$module::events::ACTIONS,
                    i::$module::events::attr::ATTRIBUTES,
                );
            }

            #[test]
            fn constants_are_unique() {
                assert_unique(&contract(), i::$module::events::ACTIONS);
                assert_unique(&contract(), i::$module::events::attr::ATTRIBUTES);
            }
        }
    )*};
}

readme_tests![
    token,
    emission,
    vesting,
    staking,
    rewards,
    asset_nft,
    asset_shares,
    fractional,
    payfi_escrow,
    attestation,
    model_registry,
    data_vault,
    ics721,
];
