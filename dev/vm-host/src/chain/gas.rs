//! Transaction gas metering.

use crate::error::HostError;

use super::runtime::HostInstance;

/// Gas left in the current transaction.
pub(super) struct Meter {
    pub(super) left: u64,
}

impl Meter {
    pub(super) fn charge(&mut self, instance: &mut HostInstance, limit: u64) {
        let used = limit.saturating_sub(instance.get_gas_left());
        self.left = self.left.saturating_sub(used);
    }

    /// Takes a fixed cost; fails (leaving nothing) when it does not fit.
    pub(super) fn take(&mut self, cost: u64) -> Result<(), HostError> {
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.left = 0;
                Err(HostError::OutOfGas)
            }
        }
    }
}
