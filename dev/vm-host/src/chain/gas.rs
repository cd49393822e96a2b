//! Transaction gas metering.

use crate::error::HostError;

use super::runtime::HostInstance;

/// Gas left in the current transaction.
pub(super) struct Meter {
    pub(super) left: u64,
    /// Codes already loaded in this transaction: wasmd charges a later call into the same code
    /// its `DefaultInstanceCostDiscount` (the module is in memory).
    pub(super) loaded: std::collections::HashSet<u64>,
    /// When a fixed charge did not fit: what it was short by and where (the SDK's meter adds the
    /// whole charge before it panics, so wasmd reports the gas used past the limit).
    pub(super) overrun: Option<(u64, &'static str)>,
}

impl Meter {
    pub(super) fn new(left: u64) -> Self {
        Meter {
            left,
            loaded: std::collections::HashSet::new(),
            overrun: None,
        }
    }

    pub(super) fn charge(&mut self, instance: &mut HostInstance, limit: u64) {
        let used = limit.saturating_sub(instance.get_gas_left());
        self.left = self.left.saturating_sub(used);
    }

    /// Takes a fixed cost; fails (leaving nothing) when it does not fit.
    pub(super) fn take(&mut self, cost: u64) -> Result<(), HostError> {
        self.take_at(cost, "wasm contract")
    }

    /// As [`Meter::take`], naming the charge as wasmd's gas meter does.
    pub(super) fn take_at(&mut self, cost: u64, location: &'static str) -> Result<(), HostError> {
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.overrun = Some((cost - self.left, location));
                self.left = 0;
                Err(HostError::OutOfGas)
            }
        }
    }
}
