use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{QuerierWrapper, StdResult, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

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

#[cw_ownable_execute]
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
}

#[cw_serde]
pub enum ReceiveMsg {
    Create { schedules: Vec<NewSchedule> },
}

pub use crate::MigrateMsg;

#[cw_ownable_query]
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

// Release curves. All times are unix seconds; amounts are cumulative (what has vested by `t`).

pub const DAY: u64 = 86_400;
/// A "month" of the seeds: 30 days.
pub const MONTH: u64 = 30 * DAY;
pub const MAX_POINTS: usize = 32;

#[cw_serde]
pub struct Point {
    pub at: u64,
    /// Cumulative amount vested at `at`.
    pub amount: Uint128,
}

#[cw_serde]
pub enum Curve {
    /// `immediate` vests at `start`; nothing more until `start + cliff`; then the rest vests in
    /// `steps` equal steps, one every `period` seconds (the first at `start + cliff + period`).
    /// `period = 1` is a continuous (per-second) release.
    Stepped {
        start: u64,
        immediate: Uint128,
        cliff: u64,
        period: u64,
        steps: u64,
    },
    /// Piecewise linear through `points` (non-decreasing in time and amount): zero before the
    /// first point, the last amount after the last point. Two points at the same time are a jump,
    /// which expresses a cliff.
    Piecewise { points: Vec<Point> },
}

impl Curve {
    /// Contributors (docs/glossary.md#contributor-release): 20 % at once, the rest 1/180 a day.
    pub fn contributor(start: u64, amount: Uint128) -> Curve {
        Curve::Stepped {
            start,
            immediate: amount.multiply_ratio(20u128, 100u128),
            cliff: 0,
            period: DAY,
            steps: 180,
        }
    }

    /// Contributors' locked part when the 20 % was already paid out: 1/180 a day.
    pub fn daily_180(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: 0,
            period: DAY,
            steps: 180,
        }
    }

    /// Foundation and operations (docs/glossary.md#foundation-release): locked one month, then
    /// 10 % a month.
    pub fn foundation(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: MONTH,
            period: MONTH,
            steps: 10,
        }
    }

    /// Team style (docs/glossary.md#vesting-curves): 20 months locked, then 5 % a month.
    pub fn team(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: 20 * MONTH,
            period: MONTH,
            steps: 20,
        }
    }

    /// Cumulative amount vested at `t` for a schedule of `amount` (validated curve).
    pub fn vested(&self, amount: Uint128, t: u64) -> Uint128 {
        match self {
            Curve::Stepped {
                start,
                immediate,
                cliff,
                period,
                steps,
            } => {
                if t < *start {
                    return Uint128::zero();
                }
                let immediate = (*immediate).min(amount);
                let since_cliff = match (t - start).checked_sub(*cliff) {
                    Some(s) => s,
                    None => return immediate,
                };
                let done = (since_cliff / (*period).max(1)).min(*steps);
                let rest = amount - immediate;
                immediate + rest.multiply_ratio(done, (*steps).max(1))
            }
            Curve::Piecewise { points } => {
                let Some(first) = points.first() else {
                    return Uint128::zero();
                };
                if t < first.at {
                    return Uint128::zero();
                }
                // Last point at or before t (points are sorted by time).
                let i = points.partition_point(|p| p.at <= t) - 1;
                let p = &points[i];
                let v = match points.get(i + 1) {
                    None => p.amount,
                    Some(q) => {
                        // q.at > t >= p.at, so the span is positive.
                        let rise = q.amount - p.amount;
                        p.amount + rise.multiply_ratio(t - p.at, q.at - p.at)
                    }
                };
                v.min(amount)
            }
        }
    }
}

crate::helpers::events! {
    actions: [
        CLAIM,
        CREATE_SCHEDULES,
        DISTRIBUTE,
        INSTANTIATE,
        REVOKE,
        UPDATE_ALLOWLIST,
        UPDATE_OWNERSHIP,
    ],
    attributes: [
        AMOUNT,
        ASSET,
        FIRST_ID,
        LAST_ID,
        OWNER,
        RETURNED,
        SCHEDULE_ID,
        VESTED,
        PENDING_EXPIRY,
        PENDING_OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the vesting contract.
    VestingContract,
    ExecuteMsg,
    QueryMsg
);

impl VestingContract {
    pub fn schedule(&self, querier: &QuerierWrapper, id: u64) -> StdResult<ScheduleResponse> {
        self.query(querier, &QueryMsg::Schedule { id })
    }

    pub fn claimable(&self, querier: &QuerierWrapper, id: u64) -> StdResult<Uint128> {
        self.query(querier, &QueryMsg::Claimable { id })
    }
}
