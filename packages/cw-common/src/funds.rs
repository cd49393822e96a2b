//! Deposits and payouts shared by the contracts that hold funds (fractional, payfi-escrow):
//! native bank coins (any denom, `ibc/<hash>` included) and cw20 tokens from an allowlist kept
//! under one storage namespace, with payouts that can never be blocked by the recipient.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Api, BankMsg, Coin, CosmosMsg, Empty, MessageInfo, StdError, StdResult,
    Storage, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_storage_plus::Map;
use thiserror::Error;

/// A payable asset: a bank denom (native or `ibc/...`) or an allowlisted cw20 contract.
#[cw_serde]
pub enum AssetInfo {
    /// A bank coin of this denom (native or `ibc/<hash>`).
    Native(String),
    /// A token of this cw20 contract.
    Cw20(Addr),
}

impl AssetInfo {
    /// Storage key: `"n:<denom>"` or `"c:<address>"`.
    pub fn key(&self) -> String {
        match self {
            AssetInfo::Native(d) => format!("n:{d}"),
            AssetInfo::Cw20(a) => format!("c:{a}"),
        }
    }

    /// The message paying `amount` of this asset to `to`; `None` for zero (a bank send of zero
    /// fails, and a zero payout is no payout).
    pub fn pay(&self, to: &Addr, amount: Uint128) -> StdResult<Option<CosmosMsg>> {
        if amount.is_zero() {
            return Ok(None);
        }
        Ok(Some(match self {
            AssetInfo::Native(denom) => BankMsg::Send {
                to_address: to.to_string(),
                amount: vec![Coin::new(amount, denom.clone())],
            }
            .into(),
            // Transfer, never Send: a recipient contract cannot block or re-enter a payout.
            AssetInfo::Cw20(token) => WasmMsg::Execute {
                contract_addr: token.to_string(),
                msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                    recipient: to.to_string(),
                    amount,
                })?,
                funds: vec![],
            }
            .into(),
        }))
    }
}

/// Why a deposit, an allowlist update or a denom was refused.
#[derive(Error, Debug, PartialEq)]
pub enum FundsError {
    /// A storage, serialization or address-validation error.
    #[error(transparent)]
    Std(#[from] StdError),

    /// The attached native coins are not what the call takes (none, or more than one).
    #[error(transparent)]
    Payment(#[from] cw_utils::PaymentError),

    /// A cw20 `Receive` came from a token contract not in [`CW20_ALLOWLIST`].
    #[error("{contract} is not an allowlisted cw20")]
    Cw20NotAccepted {
        /// Address of the calling token contract.
        contract: String,
    },

    /// A deposit of zero.
    #[error("zero amount")]
    ZeroAmount {},

    /// [`validate_denom`] refused the denom.
    #[error("invalid denom {denom:?}: {reason}")]
    InvalidDenom {
        /// The denom given (its first 140 characters).
        denom: String,
        /// The rule it breaks.
        reason: &'static str,
    },
}

/// The cw20 contracts a contract accepts deposits from (same namespace in every contract).
pub const CW20_ALLOWLIST: Map<&Addr, Empty> = Map::new("cw20_allowlist");

/// Adds then removes allowlisted cw20 contracts (addresses validated).
pub fn update_cw20_allowlist(
    storage: &mut dyn Storage,
    api: &dyn Api,
    add: &[String],
    remove: &[String],
) -> Result<(), FundsError> {
    for a in add {
        CW20_ALLOWLIST.save(storage, &api.addr_validate(a)?, &Empty {})?;
    }
    for a in remove {
        CW20_ALLOWLIST.remove(storage, &api.addr_validate(a)?);
    }
    Ok(())
}

/// True when `token` is in [`CW20_ALLOWLIST`].
pub fn is_cw20_allowed(storage: &dyn Storage, token: &Addr) -> bool {
    CW20_ALLOWLIST.has(storage, token)
}

/// Exactly one native coin attached, non-zero, any denom (`ibc/...` included).
pub fn one_native(info: &MessageInfo) -> Result<(AssetInfo, Uint128), FundsError> {
    let coin = cw_utils::one_coin(info)?;
    Ok((AssetInfo::Native(coin.denom), coin.amount))
}

/// Every native coin attached (at least one; the bank never delivers a zero coin, but a
/// zero is refused anyway).
pub fn all_native(info: &MessageInfo) -> Result<Vec<(AssetInfo, Uint128)>, FundsError> {
    if info.funds.is_empty() {
        return Err(cw_utils::PaymentError::NoFunds {}.into());
    }
    info.funds
        .iter()
        .map(|c| {
            if c.amount.is_zero() {
                return Err(FundsError::ZeroAmount {});
            }
            Ok((AssetInfo::Native(c.denom.clone()), c.amount))
        })
        .collect()
}

/// A cw20 `Receive`: the calling token must be allowlisted; returns the depositor (the cw20
/// sender, validated) and what was deposited.
pub fn allowlisted_cw20(
    storage: &dyn Storage,
    api: &dyn Api,
    info: &MessageInfo,
    wrapper: &Cw20ReceiveMsg,
) -> Result<(Addr, (AssetInfo, Uint128)), FundsError> {
    if !is_cw20_allowed(storage, &info.sender) {
        return Err(FundsError::Cw20NotAccepted {
            contract: info.sender.to_string(),
        });
    }
    if wrapper.amount.is_zero() {
        return Err(FundsError::ZeroAmount {});
    }
    let sender = api.addr_validate(&wrapper.sender)?;
    Ok((
        sender,
        (AssetInfo::Cw20(info.sender.clone()), wrapper.amount),
    ))
}

/// A denom as the Cosmos SDK accepts it (`[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`); `ibc/` denoms
/// must carry their 64-hex-digit trace hash.
pub fn validate_denom(denom: &str) -> Result<(), FundsError> {
    let bad = |reason| {
        Err(FundsError::InvalidDenom {
            denom: denom.chars().take(140).collect(),
            reason,
        })
    };
    let b = denom.as_bytes();
    if !(3..=128).contains(&b.len()) {
        return bad("3 to 128 characters");
    }
    if !b[0].is_ascii_alphabetic() {
        return bad("must start with a letter");
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b':' | b'.' | b'_' | b'-'))
    {
        return bad("only A-Z a-z 0-9 / : . _ -");
    }
    if let Some(hash) = denom.strip_prefix("ibc/") {
        if hash.len() != 64 || !hash.bytes().all(|c| c.is_ascii_hexdigit()) {
            return bad("ibc/ must be followed by a 64-digit hex hash");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, MockApi, MockStorage};
    use cosmwasm_std::{coin, coins, from_json};

    const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

    #[test]
    fn natives() {
        let api = MockApi::default();
        let who = api.addr_make("payer");
        let info = message_info(&who, &coins(5, IBC));
        assert_eq!(
            one_native(&info).unwrap(),
            (AssetInfo::Native(IBC.into()), Uint128::new(5))
        );
        let two = message_info(&who, &[coin(1, "uatom"), coin(2, IBC)]);
        assert!(matches!(one_native(&two), Err(FundsError::Payment(_))));
        assert_eq!(all_native(&two).unwrap().len(), 2);
        let none = message_info(&who, &[]);
        assert!(matches!(all_native(&none), Err(FundsError::Payment(_))));
        assert!(matches!(one_native(&none), Err(FundsError::Payment(_))));
        let zero = message_info(&who, &[coin(0, "uatom")]);
        assert_eq!(all_native(&zero), Err(FundsError::ZeroAmount {}));
    }

    #[test]
    fn cw20_only_from_the_allowlist() {
        let api = MockApi::default();
        let mut store = MockStorage::new();
        let (token, payer) = (api.addr_make("token"), api.addr_make("payer"));
        let wrapper = Cw20ReceiveMsg {
            sender: payer.to_string(),
            amount: Uint128::new(7),
            msg: Default::default(),
        };
        let info = message_info(&token, &[]);
        assert!(matches!(
            allowlisted_cw20(&store, &api, &info, &wrapper),
            Err(FundsError::Cw20NotAccepted { .. })
        ));
        update_cw20_allowlist(&mut store, &api, &[token.to_string()], &[]).unwrap();
        let (sender, (asset, amount)) = allowlisted_cw20(&store, &api, &info, &wrapper).unwrap();
        assert_eq!(
            (sender, asset, amount),
            (payer, AssetInfo::Cw20(token.clone()), Uint128::new(7))
        );
        let zero = Cw20ReceiveMsg {
            amount: Uint128::zero(),
            ..wrapper.clone()
        };
        assert_eq!(
            allowlisted_cw20(&store, &api, &info, &zero),
            Err(FundsError::ZeroAmount {})
        );
        update_cw20_allowlist(&mut store, &api, &[], &[token.to_string()]).unwrap();
        assert!(allowlisted_cw20(&store, &api, &info, &wrapper).is_err());
        assert!(update_cw20_allowlist(&mut store, &api, &["not an address".into()], &[]).is_err());
    }

    #[test]
    fn payouts() {
        let api = MockApi::default();
        let (to, token) = (api.addr_make("to"), api.addr_make("token"));
        assert_eq!(
            AssetInfo::Native(IBC.into()).pay(&to, Uint128::zero()),
            Ok(None)
        );
        let Some(CosmosMsg::Bank(BankMsg::Send { to_address, amount })) =
            AssetInfo::Native(IBC.into())
                .pay(&to, Uint128::new(3))
                .unwrap()
        else {
            panic!("bank send expected");
        };
        assert_eq!((to_address, amount), (to.to_string(), coins(3, IBC)));
        let Some(CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr, msg, ..
        })) = AssetInfo::Cw20(token.clone())
            .pay(&to, Uint128::new(9))
            .unwrap()
        else {
            panic!("cw20 transfer expected");
        };
        assert_eq!(contract_addr, token.to_string());
        assert_eq!(
            from_json::<Cw20ExecuteMsg>(&msg).unwrap(),
            Cw20ExecuteMsg::Transfer {
                recipient: to.to_string(),
                amount: Uint128::new(9)
            }
        );
        assert_eq!(AssetInfo::Cw20(token.clone()).key(), format!("c:{token}"));
        assert_eq!(AssetInfo::Native("uatom".into()).key(), "n:uatom");
    }

    #[test]
    fn denoms() {
        for ok in ["uatom", IBC, "factory/bithive1abc/ushare", "a.b-c_d:e"] {
            assert_eq!(validate_denom(ok), Ok(()), "{ok}");
        }
        for bad in ["", "ab", "1abc", "u atom", "ibc/XYZ", &"a".repeat(129)] {
            assert!(validate_denom(bad).is_err(), "{bad}");
        }
        let short_hash = &IBC[..IBC.len() - 1];
        assert!(validate_denom(short_hash).is_err());
    }
}
