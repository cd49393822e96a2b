use cosmwasm_std::VerificationError;

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Migrate, Handover }

        #[error("{0}")]
        Verification(#[from] VerificationError),
        #[error("unauthorized")]
        Unauthorized,
        #[error("invalid config: {0}")]
        InvalidConfig(&'static str),
        #[error("attestation: {0}")]
        Attestation(String),
        #[error("attestation is for chain {0}: neither this chain nor a routed one")]
        WrongChain(String),
        #[error("attestation names contract {got}, expected {expected}")]
        WrongContract { expected: String, got: String },
        #[error("no consumer contract is configured for {0}")]
        NoConsumer(&'static str),
        #[error("attestation issued at {issued_at} is outside the freshness window at {now}")]
        NotFresh { issued_at: u64, now: u64 },
        #[error("{0} attestations need a quorum")]
        QuorumRequired(&'static str),
        #[error(
            "a single-signer attestation cannot use the quorum signer key, and a quorum one must"
        )]
        SignerMismatch,
        #[error("no registered node has this operator key")]
        UnknownOperator,
        #[error("signature does not verify")]
        BadSignature,
        #[error("{kind} of job {job_id} was already attested")]
        AlreadyAttested { job_id: String, kind: &'static str },
        #[error("nonce {0} of this signer was already used")]
        NonceUsed(u64),
        #[error("{0} attestations need a payload")]
        PayloadRequired(&'static str),
        #[error("job {0} earns compute-pool units: a single node's result must carry its quantized outputs (the payload's `outputs`) for the attestors to re-run")]
        OutputsRequired(String),
        #[error("payload hash is neither the result hash nor a commitment")]
        PayloadNotBound,
        #[error("payload: {0}")]
        BadPayload(String),
        #[error("payload names node {0}, not the signer's node")]
        NodeMismatch(String),
        #[error("{0} is not a registered node")]
        NotRegistered(String),
        #[error("{0} is not in the active attestor set")]
        NotAttestor(String),
        #[error("signer {0} appears twice")]
        DuplicateSigner(String),
        #[error("quorum not met: {got} of {need} signatures")]
        QuorumNotMet { got: u32, need: u32 },
        #[error("too many signers (at most {0})")]
        TooManySigners(usize),
        #[error("staking has no attestor set yet")]
        NoAttestorSet,
        #[error("node {0} has no BLS key")]
        NoBlsKey(String),
        #[error("BLS key must be 48 bytes and the proof of possession 96")]
        BadBlsLength,
        #[error("BLS key is already registered")]
        BlsKeyTaken,
        #[error("proof of possession does not verify")]
        BadProofOfPossession,
        #[error("channel {0} is unknown or closed")]
        ChannelClosed(String),
        #[error("only unordered channels")]
        BadOrder,
        #[error("channel version must be {expected}, got {got}")]
        BadVersion { expected: String, got: String },
        #[error("counterparty {0} (connection/port) is not a pinned peer")]
        BadCounterparty(String),
        #[error(
            "channel {0} is not the route of any chain: governance routes a chain over it first"
        )]
        UnroutedChannel(String),
        #[error("channel {channel} is already the route of chain {chain}")]
        ChannelRouted { channel: String, chain: String },
        #[error("escrow job {job_id} (model {model}) is not a job of this attestation's kind")]
        WrongJobKind { job_id: String, model: String },
        #[error("unknown packet {0}")]
        UnknownPacket(u64),
        #[error("packet {0} is in flight or delivered: nothing to retry")]
        NotRetryable(u64),
        #[error("{kind} job_id {job_id} is not \"<subject>#<round>\" with a canonical round >= 1 (an evaluation's subject is a canonical model id)")]
        BadRoundJobId { kind: &'static str, job_id: String },
        #[error("{kind} round {round} of {subject} is not above its last accepted round {last}")]
        StaleRound {
            kind: &'static str,
            subject: String,
            round: u64,
            last: u64,
        },
        #[error("{kind} round {round} of {subject} is more than {max} above its last accepted round {last}")]
        RoundTooFar {
            kind: &'static str,
            subject: String,
            round: u64,
            last: u64,
            max: u64,
        },
        #[error("node {0} cannot attest its own work: other attestors must")]
        SelfAttestation(String),
        #[error("unknown reply id {0}")]
        UnknownReply(u64),
    }
}

impl From<bithive_signed_attestation::AttestationError> for ContractError {
    fn from(e: bithive_signed_attestation::AttestationError) -> Self {
        ContractError::Attestation(e.to_string())
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
