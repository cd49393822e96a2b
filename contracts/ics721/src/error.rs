bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Migrate, Handover }

        #[error("unauthorized: {role} only")]
        Unauthorized { role: &'static str },

        #[error("only unordered channels")]
        BadOrder,

        #[error("channel version must be {expected}, got {got}")]
        BadVersion { expected: String, got: String },

        #[error("counterparty {0} (connection/port) is not a pinned peer")]
        BadCounterparty(String),

        #[error("ICS-721 channels may not be closed: tokens escrowed for one could never come back")]
        NoClose,

        #[error("unknown or closed channel {0}")]
        UnknownChannel(String),

        #[error("invalid packet: {0}")]
        InvalidPacket(String),

        #[error("invalid {field}: {reason}")]
        InvalidField { field: &'static str, reason: String },

        #[error("{collection} is not a BitHive asset collection: {reason}")]
        NotAnAssetCollection { collection: String, reason: String },

        #[error("token {token_id} of {collection} was not escrowed here by send_nft")]
        NotEscrowed { collection: String, token_id: String },

        #[error(
            "class {class_id} is not accepted over {channel_id}: governance or the peer's \
             compliance officer prepares it first (prepare_class)"
        )]
        ClassNotPrepared { channel_id: String, class_id: String },

        #[error("class {0} is already prepared")]
        ClassPrepared(String),

        #[error("class {class_id} is not a BitHive asset class this chain can honour: {reason}")]
        ClassNotHonoured { class_id: String, reason: String },

        #[error("token {token_id} is already present in {collection}")]
        TokenPresent { collection: String, token_id: String },

        #[error("a packet may not mix tokens coming home with new vouchers")]
        MixedActions,

        #[error(
            "receiver {receiver} is not approved to hold assets of jurisdiction {jurisdiction} \
             in {collection}"
        )]
        ReceiverNotApproved {
            receiver: String,
            jurisdiction: String,
            collection: String,
        },

        #[error("peer {0} is no longer pinned: no new vouchers from it (tokens may still come home)")]
        PeerUnpinned(String),

        #[error("no token {token_id} of {collection} is held here")]
        NotHeld { collection: String, token_id: String },

        #[error("unknown reply id {0}")]
        UnknownReply(u64),

        #[error("{0}")]
        Payment(#[from] cw_utils::PaymentError),

        #[error("{0}")]
        Reply(#[from] cw_utils::ParseReplyError),
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;

impl ContractError {
    pub fn packet(reason: impl Into<String>) -> Self {
        ContractError::InvalidPacket(reason.into())
    }
}
