//! ICS-20 for BTT and BTK (`contracts/ics20`): cw-plus `cw20-ics20` 2.0's own messages, used
//! unchanged. A cw20 token is sent over IBC by `Send`ing it to the contract with a
//! [`TransferMsg`] as the message; it arrives on the other chain's transfer module as an
//! `ibc/<hash>` voucher and comes back only over the channel it left on.
pub use cw20_ics20::msg::{
    AllowMsg, AllowedInfo, AllowedResponse, ChannelResponse, ConfigResponse, ExecuteMsg, InitMsg,
    ListAllowedResponse, ListChannelsResponse, MigrateMsg, PortResponse, QueryMsg, TransferMsg,
};
pub use cw20_ics20::state::ChannelInfo;

/// The channel version cw20-ics20 and ibc-go's transfer module speak.
pub const ICS20_VERSION: &str = "ics20-1";
/// The port ibc-go's transfer module binds.
pub const TRANSFER_PORT: &str = "transfer";
