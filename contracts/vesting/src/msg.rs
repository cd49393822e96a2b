use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;
use cw20::Cw20ReceiveMsg;

use crate::curve::Curve;

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// cw20 tokens accepted through the receive hook.
    pub cw20_allowlist: Vec<String>,
}

/// What a schedule is paid in.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord)]
pub enum Asset {
    /// A bank denom (including `ibc/...` and `factory/...`).
    Native(String),
    /// A cw20 token contract.
    Cw20(String),
}

impl Asset {
    /// Stable storage key.
    pub fn key(&self) -> String {
        match self {
            Asset::Native(d) => format!("native:{d}"),
            Asset::Cw20(a) => format!("cw20:{a}"),
        }
    }
}

#[cw_serde]
pub struct NewSchedule {
    pub beneficiary: String,
    /// Who may revoke (gets the unvested part back); `None` makes the schedule irrevocable.
    pub revoker: Option<String>,
    pub amount: Uint128,
    pub curve: Curve,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Create schedules funded by the attached native coins (one denom, exactly the sum).
    Create { schedules: Vec<NewSchedule> },
    /// cw20 funding: `msg` is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Beneficiary claims what has vested on the given schedules.
    Claim { ids: Vec<u64> },
    /// Anyone pays the vested amounts of the given schedules to their beneficiaries.
    Distribute { ids: Vec<u64> },
    /// The revoker takes back the unvested part; the vested part stays claimable.
    Revoke { id: u64 },
    /// Owner: change the cw20 allowlist.
    UpdateAllowlist {
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Owner: hand over ownership.
    UpdateOwner { owner: String },
}

#[cw_serde]
pub enum ReceiveMsg {
    Create { schedules: Vec<NewSchedule> },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(ScheduleResponse)]
    Schedule { id: u64 },
    /// Vested amount of a schedule at `at` (unix seconds; default now).
    #[returns(Uint128)]
    Vested { id: u64, at: Option<u64> },
    #[returns(Uint128)]
    Claimable { id: u64 },
    #[returns(SchedulesResponse)]
    SchedulesByBeneficiary {
        beneficiary: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(SchedulesResponse)]
    Schedules {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(TotalsResponse)]
    Totals { asset: Asset },
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: String,
    pub cw20_allowlist: Vec<String>,
    pub next_id: u64,
}

#[cw_serde]
pub struct ScheduleResponse {
    pub id: u64,
    pub beneficiary: String,
    pub revoker: Option<String>,
    pub asset: Asset,
    /// Amount at creation.
    pub amount: Uint128,
    /// Upper bound of what can ever vest (lowered by a revocation).
    pub cap: Uint128,
    pub released: Uint128,
    pub curve: Curve,
    pub revoked_at: Option<u64>,
    pub vested_now: Uint128,
    pub claimable: Uint128,
}

#[cw_serde]
pub struct SchedulesResponse {
    pub schedules: Vec<ScheduleResponse>,
}

#[cw_serde]
pub struct TotalsResponse {
    /// Everything ever deposited in this asset.
    pub funded: Uint128,
    /// Paid to beneficiaries.
    pub released: Uint128,
    /// Returned to revokers.
    pub returned: Uint128,
}
