//! A DAO proposal's messages against the deployment it governs (ADR 009), in plain words, with
//! what a member's client objects to before it approves them. One place for `bithive gov` and
//! the web app's Governance screen (through the browser package), so both say the same thing.
use bithive_interface::{
    asset_nft, attestation, data_vault, emission, fractional, model_registry, payfi_escrow,
    rewards, staking, vesting,
};
use cosmwasm_std::{BankMsg, CosmosMsg, WasmMsg};
use serde_json::Value;

use crate::{Deployment, Role};

/// Checks `msg` against the interface's execute message of `role` and returns it as the
/// contract reads it (parsed and written back): a message the contract does not know is refused
/// here, before a vote, not when the DAO executes it.
pub fn check_execute(role: Role, msg: &Value) -> Result<Value, String> {
    fn is<T: serde::de::DeserializeOwned + serde::Serialize>(msg: &Value) -> Result<Value, String> {
        let parsed: T = serde_json::from_value(msg.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(parsed).map_err(|e| e.to_string())
    }
    match role {
        Role::Staking => is::<staking::ExecuteMsg>(msg),
        Role::Rewards => is::<rewards::ExecuteMsg>(msg),
        Role::Attestation => is::<attestation::ExecuteMsg>(msg),
        Role::PayfiEscrow => is::<payfi_escrow::ExecuteMsg>(msg),
        Role::ModelRegistry => is::<model_registry::ExecuteMsg>(msg),
        Role::DataVault => is::<data_vault::ExecuteMsg>(msg),
        Role::AssetNft => {
            let v = is::<asset_nft::ExecuteMsg>(msg)?;
            // A mint's words are said in full (`plain_words`): what they say must be what the
            // contract would store, so its own checks run here.
            if let Ok(asset_nft::ExecuteMsg::Mint {
                token_id,
                token_uri,
                extension,
                ..
            }) = serde_json::from_value(v.clone())
            {
                asset_nft::validate::mint(&token_id, token_uri.as_deref(), &extension)
                    .map_err(|e| e.to_string())?;
            }
            Ok(v)
        }
        Role::Fractional => is::<fractional::ExecuteMsg>(msg),
        Role::Emission => is::<emission::ExecuteMsg>(msg),
        Role::Vesting => is::<vesting::ExecuteMsg>(msg),
        Role::Ics20 => is::<bithive_interface::ics20::ExecuteMsg>(msg),
        Role::Ics721 => is::<bithive_interface::ics721::ExecuteMsg>(msg),
        Role::Btk | Role::Btt | Role::Dao => Ok(msg.clone()),
    }
}

/// One message of a proposal, in plain words, with what a member's client objects to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Explained {
    /// Plain words.
    pub words: String,
    /// Why a member should not approve it, if anything.
    pub objection: Option<String>,
}

fn role_of(d: &Deployment, addr: &str) -> Option<Role> {
    d.contracts
        .all()
        .chain(std::iter::once((Role::Dao, d.contracts.dao.as_str())))
        .find(|(_, a)| !a.is_empty() && *a == addr)
        .map(|(r, _)| r)
}

/// Coins as a proposal's words write them: `5ubhive, 2ibc/..`.
fn coins_words(coins: &[cosmwasm_std::Coin]) -> String {
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The code kind (deployment.json's `codes` key) a contract of `role` runs.
fn code_kind(role: Role) -> &'static str {
    role.artifact().kind()
}

/// `msg` in plain words, against deployment `d`, with what a member's client objects to: a call
/// outside the deployment, funds sent along, a message to the DAO itself (its admin, modules and
/// voting are not `bithive gov` actions), a token message other than a treasury transfer, a
/// migration to a code that is not the contract's own kind in the deployment.
pub fn explain(msg: &CosmosMsg, d: &Deployment) -> Explained {
    let outside = |addr: &str| {
        Some(format!(
            "{addr} is not a contract of this deployment: a proposal must not call outside it"
        ))
    };
    match msg {
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) => {
            let body: Value = serde_json::from_slice(msg.as_slice()).unwrap_or(Value::Null);
            let call = match &body {
                Value::Object(m) if m.len() == 1 => {
                    let (name, args) = m.iter().next().expect("one entry");
                    format!("{name} {args}")
                }
                other => format!("{other}"),
            };
            let sent = (!funds.is_empty())
                .then(|| format!(" (sending {} from the treasury)", coins_words(funds)));
            let mut e = match role_of(d, contract_addr) {
                None => Explained {
                    words: format!("call {contract_addr}: {call}"),
                    objection: outside(contract_addr),
                },
                Some(Role::Dao) => Explained {
                    words: format!("the DAO itself: {call}"),
                    objection: Some(
                        "a message to the DAO itself (its admin, proposal or voting modules, \
                         messages it sends as admin) is not a `bithive gov` action: it can hand \
                         the DAO to someone else; review it with DAO DAO's own tools"
                            .into(),
                    ),
                },
                Some(role @ (Role::Btt | Role::Btk)) => match body.get("transfer") {
                    Some(t) => Explained {
                        words: format!(
                            "pay {} base units of {} from the treasury to {}",
                            t["amount"].as_str().unwrap_or("?"),
                            role.name().to_uppercase(),
                            t["recipient"].as_str().unwrap_or("?")
                        ),
                        objection: None,
                    },
                    None => Explained {
                        words: format!("{}: {call}", role.name().to_uppercase()),
                        objection: Some(format!(
                            "a {} message other than a treasury transfer (a send to a contract \
                             or an allowance moves tokens out of sight)",
                            role.name().to_uppercase()
                        )),
                    },
                },
                Some(role) => Explained {
                    words: plain_words(role, &body)
                        .unwrap_or_else(|| format!("{}: {call}", role.label())),
                    objection: check_execute(role, &body)
                        .err()
                        .map(|e| format!("{} would refuse it: {e}", role.label())),
                },
            };
            if let Some(sent) = sent {
                e.words.push_str(&sent);
                e.objection.get_or_insert_with(|| {
                    "it sends funds from the treasury along with a contract call".into()
                });
            }
            e
        }
        CosmosMsg::Wasm(WasmMsg::Migrate {
            contract_addr,
            new_code_id,
            ..
        }) => {
            let role = role_of(d, contract_addr);
            let code = d
                .codes
                .iter()
                .find(|(_, c)| c.code_id == *new_code_id)
                .map(|(kind, _)| kind.clone());
            let words = format!(
                "migrate {} to code {new_code_id}{}",
                role.map(|r| r.label().to_string())
                    .unwrap_or_else(|| contract_addr.clone()),
                code.as_deref()
                    .map(|k| format!(" (the deployment's {k})"))
                    .unwrap_or_default()
            );
            let objection = match (role, code) {
                (None, _) => outside(contract_addr),
                (Some(_), None) => Some(format!(
                    "code {new_code_id} is not one of the deployment's stored codes"
                )),
                (Some(r), Some(k)) if k != code_kind(r) => Some(format!(
                    "code {new_code_id} is the deployment's {k}, not {}'s own code ({}): it \
                     would break the contract",
                    r.label(),
                    code_kind(r)
                )),
                _ => None,
            };
            Explained { words, objection }
        }
        CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => Explained {
            words: format!(
                "pay {} from the treasury to {to_address}",
                coins_words(amount)
            ),
            objection: None,
        },
        other => Explained {
            words: format!("{other:?}"),
            objection: Some("a message kind `bithive gov` does not know".into()),
        },
    }
}

/// The messages a member most needs to read exactly, in words instead of JSON: a mint of an
/// asset (what, to whom, on which document and under which jurisdictions' markers).
fn plain_words(role: Role, body: &Value) -> Option<String> {
    match (
        role,
        serde_json::from_value::<asset_nft::ExecuteMsg>(body.clone()),
    ) {
        (
            Role::AssetNft,
            Ok(asset_nft::ExecuteMsg::Mint {
                token_id,
                owner,
                token_uri,
                extension,
            }),
        ) => {
            let jurisdictions: Vec<_> = extension.jurisdictions.iter().map(|j| j.words()).collect();
            let mut words = format!(
                "mint asset {token_id} ({}) to {owner}: document {} (sha256 {}); jurisdictions {}",
                extension.class.words(),
                extension.description_uri,
                extension.content_hash,
                jurisdictions.join(", ")
            );
            // Every field that takes effect is said: a device key controls the asset's twin,
            // certifications are what investors are shown, a token URI is another document.
            for c in &extension.certifications {
                words += &format!(
                    "; certified {} by {} (certificate {}, until {})",
                    c.standard, c.issuer, c.certificate_id, c.expires_at
                );
            }
            if let Some(k) = &extension.device_pubkey {
                words += &format!(
                    "; device key {} (it alone updates the asset's digital twin)",
                    cosmwasm_std::HexBinary::from(k.as_slice())
                );
            }
            if let Some(uri) = token_uri {
                words += &format!("; token URI {uri}");
            }
            Some(words)
        }
        _ => None,
    }
}

/// [`explain`] of one message of a proposal as the chain returns it (JSON). A message this
/// client cannot read as a `CosmosMsg` (a kind its cosmwasm-std does not build, such as
/// `staking` or `distribution`, or another version's form of `gov`) is shown as it is, with an
/// objection: one unreadable message must neither hide the others nor be approved unread.
pub fn explain_json(msg: &Value, d: &Deployment) -> Explained {
    match serde_json::from_value::<CosmosMsg>(msg.clone()) {
        Ok(m) => explain(&m, d),
        Err(e) => Explained {
            words: format!("a message this client cannot read: {msg}"),
            objection: Some(format!(
                "this client cannot read it ({e}): review it with other tools before approving"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_this_client_cannot_read_is_shown_with_an_objection() {
        let d = Deployment::default();
        for msg in [
            json!({ "staking": { "delegate": { "validator": "v", "amount": { "denom": "u", "amount": "1" } } } }),
            // DAO DAO on cosmwasm-std 1.5 writes a gov vote's choice as `vote`, 2.x as `option`.
            json!({ "gov": { "vote": { "proposal_id": 1, "vote": "yes" } } }),
            json!({ "not_a_message": {} }),
        ] {
            let e = explain_json(&msg, &d);
            assert!(e.words.contains(&msg.to_string()), "{}", e.words);
            assert!(
                e.objection
                    .as_deref()
                    .unwrap_or_default()
                    .contains("cannot read"),
                "{e:?}"
            );
        }
        let pay = json!({ "bank": { "send": { "to_address": "x", "amount": [{ "denom": "u", "amount": "5" }] } } });
        assert_eq!(
            explain_json(&pay, &d),
            Explained {
                words: "pay 5u from the treasury to x".into(),
                objection: None
            }
        );
    }

    #[test]
    fn an_asset_mint_is_said_in_words_and_a_malformed_one_is_objected_to() {
        let mut d = Deployment::default();
        d.contracts.asset_nft = "bithive1assets".into();
        let mint = |extension: Value| {
            let body = json!({ "mint": { "token_id": "mri-1", "owner": "bithive1owner", "token_uri": null, "extension": extension } });
            let msg = cosmwasm_std::to_json_binary(&body).unwrap();
            json!({ "wasm": { "execute": { "contract_addr": "bithive1assets", "msg": msg, "funds": [] } } })
        };
        let e = explain_json(
            &mint(json!({
                "class": "medical_equipment", "description_uri": "ipfs://doc",
                "content_hash": "ab".repeat(32), "certifications": [], "device_pubkey": null,
                "jurisdictions": [{ "code": "EU", "markers": ["approved_holders_only", "medical_device_regulated"] }, { "code": "US", "markers": [] }],
            })),
            &d,
        );
        assert_eq!(
            e,
            Explained {
                words: format!(
                    "mint asset mri-1 (medical equipment) to bithive1owner: document ipfs://doc (sha256 {}); jurisdictions EU (approved holders only, medical device regulated), US",
                    "ab".repeat(32)
                ),
                objection: None
            }
        );
        // What else takes effect is said too.
        let e = explain_json(
            &mint(json!({
                "class": "compute_resource", "description_uri": "ipfs://doc",
                "content_hash": "ab".repeat(32), "device_pubkey": "AqM=",
                "certifications": [{ "standard": "ISO13485", "issuer": "TUV", "certificate_id": "C-1", "expires_at": "1700000000000000000" }],
                "jurisdictions": [{ "code": "US", "markers": [] }],
            })),
            &d,
        );
        assert!(
            e.words.ends_with(
                "jurisdictions US; certified ISO13485 by TUV (certificate C-1, until 1700000000.000000000); device key 02a3 (it alone updates the asset's digital twin)"
            ),
            "{}",
            e.words
        );
        // Said, and objected to: that device key is 2 bytes, and the contract takes 33.
        assert_eq!(
            e.objection.as_deref(),
            Some("asset-nft would refuse it: invalid device_pubkey: must be a 33-byte compressed secp256k1 key")
        );
        // F14: a token id made to read like words ("mri-1 (medical equipment) to the owner you
        // trust; ...") is what the contract refuses: the member sees the objection beside them.
        let body = json!({ "mint": { "token_id": "mri-1 (medical equipment) to bithive1trusted", "owner": "bithive1owner", "token_uri": null, "extension": {
            "class": "medical_equipment", "description_uri": "ipfs://doc", "content_hash": "ab".repeat(32),
            "certifications": [], "device_pubkey": null, "jurisdictions": [{ "code": "EU", "markers": [] }] } } });
        let msg = cosmwasm_std::to_json_binary(&body).unwrap();
        let e = explain_json(
            &json!({ "wasm": { "execute": { "contract_addr": "bithive1assets", "msg": msg, "funds": [] } } }),
            &d,
        );
        assert_eq!(
            e.objection.as_deref(),
            Some("asset-nft would refuse it: invalid token_id: character not allowed"),
            "{}",
            e.words
        );
        // A mint the contract cannot parse keeps its JSON and the objection.
        let e = explain_json(&mint(json!({ "class": "spaceship" })), &d);
        assert!(e.words.starts_with("asset-nft: mint"), "{}", e.words);
        assert!(e.objection.unwrap().contains("would refuse it"));
    }
}
