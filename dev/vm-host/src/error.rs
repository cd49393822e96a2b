use thiserror::Error;

#[derive(Error, Debug)]
pub enum HostError {
    /// The contract ran and returned an error (`ContractResult::Err`).
    #[error("contract error: {0}")]
    Contract(String),
    /// The VM failed: abort (panic), out of gas, invalid module, backend failure.
    #[error("vm error: {0}")]
    Vm(#[from] cosmwasm_vm::VmError),
    #[error("no code with id {0}")]
    UnknownCode(u64),
    #[error("no contract at {0}")]
    UnknownContract(String),
    #[error("insufficient funds: {address} has {available}{denom}, needs {needed}{denom}")]
    InsufficientFunds {
        address: String,
        denom: String,
        available: u128,
        needed: u128,
    },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("unsupported message: {0}")]
    Unsupported(String),
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The transaction's gas limit was exhausted.
    #[error("out of gas")]
    OutOfGas,
    /// An IBC call core IBC refuses (unknown channel order, duplicate receipt, no commitment).
    #[error("ibc: {0}")]
    Ibc(String),
}

impl HostError {
    /// True when the contract itself rejected the call (as opposed to a VM/host failure).
    pub fn is_contract_error(&self) -> bool {
        matches!(self, HostError::Contract(_))
    }

    /// True when the transaction ran out of gas (host meter or VM gas depletion).
    pub fn is_out_of_gas(&self) -> bool {
        matches!(
            self,
            HostError::OutOfGas | HostError::Vm(cosmwasm_vm::VmError::GasDepletion { .. })
        )
    }
}
