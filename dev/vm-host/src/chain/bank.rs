//! The bank module: native balances, transfers (with the SDK bank keeper's events) and burns.

use cosmwasm_std::{Coin, Event};

use crate::error::HostError;
use crate::store::lock;

use super::Chain;

pub(super) fn u128_amount(c: &Coin) -> Result<u128, HostError> {
    cosmwasm_std::Uint128::try_from(c.amount)
        .map(|a| a.u128())
        .map_err(|_| HostError::InvalidMessage(format!("amount too large: {c}")))
}

impl Chain {
    pub(super) fn transfer(
        &self,
        from: &str,
        to: &str,
        coins: &[Coin],
        events: &mut Vec<Event>,
    ) -> Result<(), HostError> {
        if coins.is_empty() {
            return Ok(());
        }
        let mut s = lock(&self.rt.shared);
        for c in coins {
            let amount = u128_amount(c)?;
            let have = s.balance(from, &c.denom);
            let Some(left) = have.checked_sub(amount) else {
                return Err(HostError::InsufficientFunds {
                    address: from.to_string(),
                    denom: c.denom.clone(),
                    available: have,
                    needed: amount,
                });
            };
            s.set_balance(from, &c.denom, left);
            let to_bal = s.balance(to, &c.denom);
            let new = to_bal
                .checked_add(amount)
                .ok_or_else(|| HostError::InvalidMessage("balance overflow".into()))?;
            s.set_balance(to, &c.denom, new);
        }
        let amount = coins
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // The SDK bank keeper: coin_spent, coin_received, transfer, message{sender}.
        events.push(
            Event::new("coin_spent")
                .add_attribute("spender", from)
                .add_attribute("amount", &amount),
        );
        events.push(
            Event::new("coin_received")
                .add_attribute("receiver", to)
                .add_attribute("amount", &amount),
        );
        events.push(
            Event::new("transfer")
                .add_attribute("recipient", to)
                .add_attribute("sender", from)
                .add_attribute("amount", amount),
        );
        events.push(Event::new("message").add_attribute("sender", from));
        Ok(())
    }

    /// `BankMsg::Burn`: takes `coins` from `sender` and out of the supply.
    pub(super) fn burn(&self, sender: &str, coins: &[Coin]) -> Result<(), HostError> {
        let mut s = lock(&self.rt.shared);
        for c in coins {
            let a = u128_amount(c)?;
            let have = s.balance(sender, &c.denom);
            let left = have
                .checked_sub(a)
                .ok_or_else(|| HostError::InsufficientFunds {
                    address: sender.to_string(),
                    denom: c.denom.clone(),
                    available: have,
                    needed: a,
                })?;
            s.set_balance(sender, &c.denom, left);
            let supply = s.supply.get(&c.denom).copied().unwrap_or(0);
            s.set_supply(&c.denom, supply.saturating_sub(a));
        }
        Ok(())
    }
}
