use bithive_cw_test_fixtures::contracts::{emission_instantiate, instantiate, vesting_instantiate};
use bithive_cw_test_fixtures::{contract, cw20_balance};
use bithive_emission::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, StatusResponse};
use bithive_emission::ContractError;
use bithive_formulas::emission::{due, Split, CAP, DAY_SECONDS, ERA_SECONDS};
use bithive_token::msg::InstantiateMsg as TokenInit;
use bithive_vesting::msg::{QueryMsg as VestingQuery, SchedulesResponse};
use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult, Uint128,
};
use cw20::{Cw20QueryMsg, TokenInfoResponse};
use cw_multi_test::{App, AppBuilder, Contract, ContractWrapper, Executor};
use proptest::prelude::*;

const BTK: u128 = 1_000_000;

/// A pool stand-in that accepts any cw20 hook.
fn sink() -> Box<dyn Contract<Empty>> {
    fn exec(_: DepsMut, _: Env, _: MessageInfo, _: cw20::Cw20ReceiveMsg) -> StdResult<Response> {
        Ok(Response::new())
    }
    fn init(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }
    fn q(_: Deps, _: Env, _: Empty) -> StdResult<Binary> {
        Ok(Binary::default())
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Msg {
        Receive(cw20::Cw20ReceiveMsg),
    }
    fn exec_msg(d: DepsMut, e: Env, i: MessageInfo, m: Msg) -> StdResult<Response> {
        let Msg::Receive(r) = m;
        exec(d, e, i, r)
    }
    Box::new(ContractWrapper::new(exec_msg, init, q))
}

struct Suite {
    app: App,
    emission: Addr,
    token: Addr,
    vesting: Addr,
    compute: Addr,
    app_pool: Addr,
    owner: Addr,
    foundation: Addr,
    operations: Addr,
}

fn suite() -> Suite {
    let mut app = AppBuilder::new().build(|_, _, _| {});
    let owner = app.api().addr_make("owner");
    let foundation = app.api().addr_make("foundation");
    let operations = app.api().addr_make("operations");
    let sink_id = app.store_code(sink());
    let compute = instantiate(&mut app, sink_id, &owner, &Empty {}, "compute");
    let app_pool = instantiate(&mut app, sink_id, &owner, &Empty {}, "app");
    let token_id = app.store_code(contract!(bithive_token));
    let token_init = TokenInit {
        name: "BitHive Token".into(),
        symbol: "BTK".into(),
        decimals: 6,
        initial_balances: vec![],
        owner: Some(owner.to_string()),
        cap: Some(Uint128::new(CAP)),
        minters: vec![],
        marketing: None,
    };
    let token = instantiate(&mut app, token_id, &owner, &token_init, "btk");
    let vesting_id = app.store_code(contract!(bithive_vesting));
    let vesting_init = vesting_instantiate(&owner, &token);
    let vesting = instantiate(&mut app, vesting_id, &owner, &vesting_init, "vesting");
    let id = app.store_code(contract!(bithive_emission, migrate));
    let init = InstantiateMsg {
        app_pool: app_pool.to_string(),
        foundation: foundation.to_string(),
        operations: operations.to_string(),
        ..emission_instantiate(&owner, &token, &vesting, &compute)
    };
    let emission = instantiate(&mut app, id, &owner, &init, "emission");
    // The emission contract is a minter with an allowance of the whole cap.
    let set = bithive_token::msg::ExecuteMsg::SetMinter {
        minter: emission.to_string(),
        allowance: Uint128::new(CAP),
    };
    app.execute_contract(owner.clone(), token.clone(), &set, &[])
        .unwrap();
    Suite {
        app,
        emission,
        token,
        vesting,
        compute,
        app_pool,
        owner,
        foundation,
        operations,
    }
}

impl Suite {
    fn advance(&mut self, secs: u64) {
        bithive_cw_test_fixtures::advance(&mut self.app, secs);
    }
    fn distribute(&mut self) -> anyhow::Result<()> {
        let who = self.app.api().addr_make("anyone");
        self.app
            .execute_contract(who, self.emission.clone(), &ExecuteMsg::Distribute {}, &[])
            .map(|_| ())
    }
    fn balance(&self, who: &Addr) -> u128 {
        cw20_balance(&self.app, &self.token, who)
    }
    fn supply(&self) -> u128 {
        let r: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.token, &Cw20QueryMsg::TokenInfo {})
            .unwrap();
        r.total_supply.u128()
    }
    /// The typed error of a `distribute` expected to fail.
    fn distribute_err(&mut self) -> ContractError {
        self.distribute()
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap()
    }
    /// The vesting schedules whose beneficiary is `who`.
    fn vesting_schedules(&self, who: &Addr) -> SchedulesResponse {
        let q = VestingQuery::SchedulesByBeneficiary {
            beneficiary: who.to_string(),
            start_after: None,
            limit: None,
        };
        self.app.wrap().query_wasm_smart(&self.vesting, &q).unwrap()
    }
    fn status(&self) -> StatusResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.emission, &QueryMsg::Status {})
            .unwrap()
    }
}

#[test]
fn first_day_split_and_vesting() {
    let mut s = suite();
    assert_eq!(s.distribute_err(), ContractError::NothingDue);
    s.advance(DAY_SECONDS);
    s.distribute().unwrap();
    assert_eq!(s.supply(), 500_000 * BTK);
    assert_eq!(s.balance(&s.compute.clone()), 375_000 * BTK);
    assert_eq!(s.balance(&s.app_pool.clone()), 75_000 * BTK);
    assert_eq!(s.balance(&s.vesting.clone()), 50_000 * BTK);
    assert_eq!(s.balance(&s.emission.clone()), 0);
    for who in [s.foundation.clone(), s.operations.clone()] {
        let r = s.vesting_schedules(&who);
        assert_eq!(r.schedules.len(), 1);
        assert_eq!(r.schedules[0].amount.u128(), 25_000 * BTK);
        assert_eq!(r.schedules[0].claimable.u128(), 0);
    }
    // Same block: nothing more is due.
    assert_eq!(s.distribute_err(), ContractError::NothingDue);
    // An hour later: the compute pool grows, foundation/operations wait for the daily flush.
    s.advance(3_600);
    s.distribute().unwrap();
    let st = s.status();
    assert_eq!(st.accounted, due(DAY_SECONDS + 3_600));
    assert_eq!(st.minted.u128(), s.supply());
    assert!(st.pending_foundation.u128() > 0);
    assert_eq!(s.balance(&s.vesting.clone()), 50_000 * BTK);
}

#[test]
fn halving_after_2100_days() {
    let mut s = suite();
    s.advance(ERA_SECONDS);
    s.distribute().unwrap();
    assert_eq!(s.supply(), 1_050_000_000 * BTK);
    s.advance(DAY_SECONDS);
    s.distribute().unwrap();
    assert_eq!(s.supply(), 1_050_250_000 * BTK);
    assert_eq!(s.status().halvings, 1);
    assert_eq!(s.status().daily_rate.u128(), 250_000 * BTK);
}

#[test]
fn only_owner_updates_config() {
    let mut s = suite();
    let msg = ExecuteMsg::UpdateConfig {
        compute_pool: Some(s.owner.to_string()),
        app_pool: None,
        vesting: None,
        foundation: None,
        operations: None,
    };
    let stranger = s.foundation.clone();
    let e = s
        .app
        .execute_contract(stranger, s.emission.clone(), &msg, &[])
        .unwrap_err();
    assert_eq!(
        e.downcast::<ContractError>().unwrap(),
        ContractError::Unauthorized
    );
    let owner = s.owner.clone();
    s.app
        .execute_contract(owner, s.emission.clone(), &msg, &[])
        .unwrap();
}

const HUNDRED_YEARS: u64 = 36_525 * DAY_SECONDS;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// 100 simulated years with random call times: the minted supply never exceeds the cap and
    /// always equals the carried split of due(now).
    #[test]
    fn emitted_never_exceeds_cap(gaps in proptest::collection::vec(1u64..(HUNDRED_YEARS / 10), 1..25)) {
        let mut s = suite();
        let genesis = s.app.block_info().time.seconds();
        for gap in gaps {
            s.advance(gap);
            let _ = s.distribute();
            let elapsed = s.app.block_info().time.seconds() - genesis;
            let st = s.status();
            prop_assert!(s.supply() <= CAP);
            prop_assert_eq!(st.minted.u128(), s.supply());
            prop_assert_eq!(st.minted, Split::of_cumulative(due(elapsed)).total());
            let distributed = s.balance(&s.compute.clone()) + s.balance(&s.app_pool.clone())
                + s.balance(&s.vesting.clone()) + s.balance(&s.emission.clone());
            prop_assert_eq!(distributed, s.supply());
        }
        // Run to 100 years at least.
        let end = genesis + HUNDRED_YEARS;
        let now = s.app.block_info().time.seconds();
        if now < end {
            s.advance(end - now);
            s.distribute().unwrap();
        }
        prop_assert!(s.supply() <= CAP);
        prop_assert!(s.supply() > CAP / 100 * 99);
    }
}
