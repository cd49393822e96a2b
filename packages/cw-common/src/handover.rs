//! Two-step hand-over of a contract's controller (its governance, admin or owner).
//!
//! A single-step change (`update_config { governance }`) hands a contract to whatever address was
//! typed: a typo, a wrong prefix or an account nobody can sign for locks every governance message
//! forever. Here the controller only *proposes* (optionally with a deadline); the contract changes
//! hands when the proposed account *accepts*, which proves someone can sign for it. Until then the
//! old controller keeps full control and may propose again (which replaces the proposal) or
//! propose itself (which withdraws it).
//!
//! The wire protocol is cw-ownable's, the one the BTT and BTK tokens speak:
//! `update_ownership(transfer_ownership | accept_ownership | renounce_ownership)` and the
//! `ownership {}` query, so wallets and DAO tools that drive the tokens drive every contract.
//! The controller itself stays where each contract already keeps it (its config), so there is
//! one place for it; this module stores only the proposal. Renouncing is refused: every BitHive
//! contract has duties (slashing, disputes, parameters) that need a controller.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, BlockInfo, DepsMut, Response, StdResult, Storage};
pub use cw_ownable::{Action, Ownership, OwnershipError};
use cw_storage_plus::Item;
use cw_utils::Expiration;
use serde::{de::DeserializeOwned, Serialize};

/// The account proposed to take over, and until when it may accept.
#[cw_serde]
pub struct Proposal {
    /// The account that may accept.
    pub proposed: Addr,
    /// After this it may no longer accept (`None`: no deadline).
    pub expiry: Option<Expiration>,
}

/// The pending proposal, if any (one per contract).
pub const PROPOSAL: Item<Proposal> = Item::new("handover_proposal");

/// Why a hand-over step was refused.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum HandoverError {
    /// Not the controller, not the proposed account, no or an expired proposal (cw-ownable's own
    /// errors, so clients see the same text as from the tokens).
    #[error(transparent)]
    Ownership(#[from] OwnershipError),
    /// `renounce_ownership`: every BitHive contract needs a controller.
    #[error("this contract cannot be left without a controller: hand it over instead")]
    CannotRenounce,
    /// A proposal that could never be accepted.
    #[error("the proposal's expiry has already passed")]
    ExpiryInThePast,
}

impl From<cosmwasm_std::StdError> for HandoverError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        Self::Ownership(OwnershipError::Std(e))
    }
}

/// What a hand-over step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A proposal was stored (or replaced).
    Proposed,
    /// The controller proposed itself: any proposal is withdrawn.
    Withdrawn,
    /// The proposed account accepted: the caller must store it as the new controller.
    Accepted(Addr),
}

/// Applies `action` by `sender` to a contract whose controller is `controller`. On
/// [`Outcome::Accepted`] the caller stores the new controller in its config.
pub fn update(
    storage: &mut dyn Storage,
    api: &dyn Api,
    block: &BlockInfo,
    sender: &Addr,
    controller: &Addr,
    action: Action,
) -> Result<Outcome, HandoverError> {
    match action {
        Action::TransferOwnership { new_owner, expiry } => {
            if sender != controller {
                return Err(OwnershipError::NotOwner.into());
            }
            let proposed = api.addr_validate(&new_owner)?;
            if proposed == *controller {
                PROPOSAL.remove(storage);
                return Ok(Outcome::Withdrawn);
            }
            if expiry.is_some_and(|e| e.is_expired(block)) {
                return Err(HandoverError::ExpiryInThePast);
            }
            PROPOSAL.save(storage, &Proposal { proposed, expiry })?;
            Ok(Outcome::Proposed)
        }
        Action::AcceptOwnership => {
            let p = PROPOSAL
                .may_load(storage)?
                .ok_or(OwnershipError::TransferNotFound)?;
            if sender != p.proposed {
                return Err(OwnershipError::NotPendingOwner.into());
            }
            if p.expiry.is_some_and(|e| e.is_expired(block)) {
                return Err(OwnershipError::TransferExpired.into());
            }
            PROPOSAL.remove(storage);
            Ok(Outcome::Accepted(p.proposed))
        }
        Action::RenounceOwnership => {
            if sender != controller {
                return Err(OwnershipError::NotOwner.into());
            }
            Err(HandoverError::CannotRenounce)
        }
    }
}

/// [`update`] for a contract keeping its controller in `controller` (a field of its config):
/// on acceptance the new controller is written there. Returns the `ownership {}` answer after the
/// step and whether the controller changed (the caller then saves its config).
pub fn apply(
    storage: &mut dyn Storage,
    api: &dyn Api,
    block: &BlockInfo,
    sender: &Addr,
    controller: &mut Addr,
    action: Action,
) -> Result<(Ownership<Addr>, bool), HandoverError> {
    let changed = match update(storage, api, block, sender, controller, action)? {
        Outcome::Accepted(new) => {
            *controller = new;
            true
        }
        Outcome::Proposed | Outcome::Withdrawn => false,
    };
    Ok((ownership(storage, controller)?, changed))
}

/// A contract's whole `update_ownership` message, for a controller kept in the `field` of the
/// config `item`: applies the step, saves the config when the controller changed, and answers
/// with `action = event_action` and cw-ownable's `owner`, `pending_owner`, `pending_expiry`.
pub fn execute<C: Serialize + DeserializeOwned>(
    deps: DepsMut,
    block: &BlockInfo,
    sender: &Addr,
    (item, field): (&Item<C>, fn(&mut C) -> &mut Addr),
    action: Action,
    event_action: &str,
) -> Result<Response, HandoverError> {
    let mut config = item.load(deps.storage)?;
    let (ownership, changed) = apply(
        deps.storage,
        deps.api,
        block,
        sender,
        field(&mut config),
        action,
    )?;
    if changed {
        item.save(deps.storage, &config)?;
    }
    Ok(Response::new()
        .add_attribute(crate::ACTION, event_action)
        .add_attributes(ownership.into_attributes()))
}

/// The `ownership {}` answer: the controller and any pending proposal.
pub fn ownership(storage: &dyn Storage, controller: &Addr) -> StdResult<Ownership<Addr>> {
    let p = PROPOSAL.may_load(storage)?;
    Ok(Ownership {
        owner: Some(controller.clone()),
        pending_owner: p.as_ref().map(|p| p.proposed.clone()),
        pending_expiry: p.and_then(|p| p.expiry),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{mock_env, MockApi, MockStorage};

    fn transfer(to: &Addr, expiry: Option<Expiration>) -> Action {
        Action::TransferOwnership {
            new_owner: to.to_string(),
            expiry,
        }
    }

    #[test]
    fn a_proposal_changes_nothing_until_the_proposed_account_accepts() {
        let api = MockApi::default();
        let mut s = MockStorage::new();
        let block = mock_env().block;
        let (gov, dao, typo) = (
            api.addr_make("gov"),
            api.addr_make("dao"),
            api.addr_make("typo"),
        );

        // A typo proposed: nothing changed, the controller corrects it by proposing again.
        let r = update(&mut s, &api, &block, &gov, &gov, transfer(&typo, None));
        assert_eq!(r, Ok(Outcome::Proposed));
        assert_eq!(ownership(&s, &gov).unwrap().pending_owner, Some(typo));
        update(&mut s, &api, &block, &gov, &gov, transfer(&dao, None)).unwrap();

        // Only the proposed account accepts; the old controller cannot accept for it.
        for who in [&gov, &api.addr_make("stranger")] {
            let r = update(&mut s, &api, &block, who, &gov, Action::AcceptOwnership);
            assert_eq!(r, Err(OwnershipError::NotPendingOwner.into()));
        }
        let r = update(&mut s, &api, &block, &dao, &gov, Action::AcceptOwnership);
        assert_eq!(r, Ok(Outcome::Accepted(dao.clone())));
        assert_eq!(ownership(&s, &dao).unwrap().pending_owner, None);
        let again = update(&mut s, &api, &block, &dao, &dao, Action::AcceptOwnership);
        assert_eq!(again, Err(OwnershipError::TransferNotFound.into()));
    }

    #[test]
    fn only_the_controller_proposes_withdraws_or_renounces_and_renouncing_is_refused() {
        let api = MockApi::default();
        let mut s = MockStorage::new();
        let block = mock_env().block;
        let (gov, dao, eve) = (
            api.addr_make("gov"),
            api.addr_make("dao"),
            api.addr_make("eve"),
        );
        let r = update(&mut s, &api, &block, &eve, &gov, transfer(&eve, None));
        assert_eq!(r, Err(OwnershipError::NotOwner.into()));
        let r = update(&mut s, &api, &block, &eve, &gov, Action::RenounceOwnership);
        assert_eq!(r, Err(OwnershipError::NotOwner.into()));
        let r = update(&mut s, &api, &block, &gov, &gov, Action::RenounceOwnership);
        assert_eq!(r, Err(HandoverError::CannotRenounce));

        update(&mut s, &api, &block, &gov, &gov, transfer(&dao, None)).unwrap();
        let r = update(&mut s, &api, &block, &gov, &gov, transfer(&gov, None));
        assert_eq!(r, Ok(Outcome::Withdrawn));
        let r = update(&mut s, &api, &block, &dao, &gov, Action::AcceptOwnership);
        assert_eq!(r, Err(OwnershipError::TransferNotFound.into()));
        let bad = update(
            &mut s,
            &api,
            &block,
            &gov,
            &gov,
            transfer_str("not an address"),
        );
        assert!(matches!(
            bad,
            Err(HandoverError::Ownership(OwnershipError::Std(_)))
        ));
    }

    fn transfer_str(to: &str) -> Action {
        Action::TransferOwnership {
            new_owner: to.into(),
            expiry: None,
        }
    }

    #[test]
    fn an_expired_proposal_cannot_be_accepted_nor_made() {
        let api = MockApi::default();
        let mut s = MockStorage::new();
        let mut block = mock_env().block;
        let (gov, dao) = (api.addr_make("gov"), api.addr_make("dao"));
        let past = Expiration::AtHeight(block.height);
        let r = update(&mut s, &api, &block, &gov, &gov, transfer(&dao, Some(past)));
        assert_eq!(r, Err(HandoverError::ExpiryInThePast));

        let deadline = Expiration::AtHeight(block.height + 10);
        update(
            &mut s,
            &api,
            &block,
            &gov,
            &gov,
            transfer(&dao, Some(deadline)),
        )
        .unwrap();
        assert_eq!(ownership(&s, &gov).unwrap().pending_expiry, Some(deadline));
        block.height += 10;
        let r = update(&mut s, &api, &block, &dao, &gov, Action::AcceptOwnership);
        assert_eq!(r, Err(OwnershipError::TransferExpired.into()));
    }
}
