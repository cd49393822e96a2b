use cosmwasm_std::Uint128;

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Migrate, Handover }

        #[error("unauthorized")]
        Unauthorized,
        #[error("invalid configuration: {0}")]
        InvalidConfig(&'static str),
        #[error("node already registered")]
        AlreadyRegistered,
        #[error("node not registered: {0}")]
        UnknownNode(String),
        #[error("capacity {capacity} T is outside the range of tier {tier}")]
        CapacityOutOfTier { capacity: u32, tier: String },
        #[error("operator key is invalid or already used by another node")]
        BadOperatorKey,
        #[error("operator_signature is not the operator key's signature for this sender, contract and chain")]
        BadOperatorSignature,
        #[error("endpoint must be http://host[:port][/path], printable ASCII, at most {max_len} bytes")]
        InvalidEndpoint { max_len: usize },
        #[error("wrong token: {0}")]
        WrongToken(String),
        #[error("amount must be positive")]
        ZeroAmount,
        #[error("only {matured} is out of its lock")]
        StillLocked { matured: String },
        #[error("too many open unbonding claims (max {0})")]
        TooManyClaims(u32),
        #[error("nothing to claim")]
        NothingToClaim,
        #[error("slash fraction must be in (0, 1]")]
        BadFraction,
        #[error("the attestations do not conflict")]
        NotConflicting,
        #[error("no node has this operator key")]
        UnknownOperator,
        #[error("this evidence was already used")]
        EvidenceReplayed,
        #[error("attestation: {0}")]
        Attestation(String),
        #[error("over-capacity evidence must be a compute_work attestation")]
        NotComputeWork,
        #[error("the evidence is for chain {0}, not this one")]
        WrongChain(String),
        #[error(
            "the evidence is for contract {got}, not this deployment's rewards contract {expected}"
        )]
        WrongContract { expected: String, got: String },
        #[error("no work reporter (rewards contract) is configured")]
        NoWorkReporter,
        #[error("the payload is not bound to the attestation (payload_hash matches neither result_hash nor a commitment)")]
        PayloadNotBound,
        #[error("bad compute_work payload: {0}")]
        BadPayload(String),
        #[error("bad evidence proof: {0}")]
        BadProof(&'static str),
        #[error("operator key {0} signs twice")]
        DuplicateSigner(String),
        #[error("the capacity of node {node} in the report's epochs is not known")]
        CapacityUnknown { node: String },
        #[error("{units} units are within the capacity limit {limit}: not evidence")]
        WithinCapacity { units: Uint128, limit: Uint128 },
        #[error("compliance level must be in [0, 1]")]
        BadCompliance,
        #[error("the attestor set is already up to date for epoch {0}")]
        AttestorSetCurrent(u64),
        #[error("node {0} has no BLS key in the attestation contract")]
        NoBlsKey(String),
        #[error("rewards' reporter {0} answers no BLS key queries (not an attestation contract)")]
        NoBlsRegistry(String),
        #[error("a re-execution proof is about a single-signed inference attestation with quantized outputs: {0}")]
        NotReexecutable(&'static str),
        #[error("verdict of {0}: not a current attestor-set member other than the node")]
        NotAnAttestor(String),
        #[error("the verdict of {0} agrees with the node's outputs: not evidence")]
        VerdictAgrees(String),
        #[error("the verdicts' outputs disagree with one another: the job's result is not reproducible, not evidence")]
        VerdictsDisagree,
        #[error("{got} verdicts of {members} attestor-set members: more than half, and at least two, must sign")]
        TooFewVerdicts { got: u32, members: u32 },
        #[error("BLS: {0}")]
        Bls(#[from] cosmwasm_std::VerificationError),
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
