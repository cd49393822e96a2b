use bithive_cw_test_fixtures::contracts::{instantiate, vesting_instantiate};
use bithive_cw_test_fixtures::{contract, cw20_balance, cw20_base_code, cw20_minted_by, fund};
use bithive_vesting::curve::{Curve, Point, DAY, MONTH};
use bithive_vesting::msg::{
    Asset, ExecuteMsg, MigrateMsg, NewSchedule, QueryMsg, ReceiveMsg, ScheduleResponse,
    SchedulesResponse, TotalsResponse,
};
use bithive_vesting::ContractError;
use cosmwasm_std::{coin, coins, to_json_binary, Addr, Empty, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, Executor};

const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn vesting_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_vesting, migrate)
}

struct Suite {
    app: App,
    vesting: Addr,
    token: Addr,
    owner: Addr,
    funder: Addr,
    alice: Addr,
    bob: Addr,
}

fn suite() -> Suite {
    let mut app = AppBuilder::new().build(|_, _, _| {});
    let owner = app.api().addr_make("owner");
    let funder = app.api().addr_make("funder");
    let alice = app.api().addr_make("alice");
    let bob = app.api().addr_make("bob");
    fund(
        &mut app,
        &funder,
        vec![coin(10_000_000, "ubtk"), coin(10_000_000, IBC)],
    );
    let cw20_id = cw20_base_code(&mut app);
    let token_init = cw20_minted_by(
        "BitHive Token",
        "BTK",
        &owner,
        std::slice::from_ref(&funder),
        10_000_000,
    );
    let token = instantiate(&mut app, cw20_id, &owner, &token_init, "btk");
    let id = app.store_code(vesting_contract());
    let vesting = app
        .instantiate_contract(
            id,
            owner.clone(),
            &vesting_instantiate(&owner, &token),
            &[],
            "vesting",
            Some(owner.to_string()),
        )
        .unwrap();
    Suite {
        app,
        vesting,
        token,
        owner,
        funder,
        alice,
        bob,
    }
}

impl Suite {
    fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }
    fn advance(&mut self, secs: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += secs / 5 + 1;
        });
    }
    fn sched(&self, who: &Addr, amount: u128, curve: Curve, revoker: Option<&Addr>) -> NewSchedule {
        NewSchedule {
            beneficiary: who.to_string(),
            revoker: revoker.map(|r| r.to_string()),
            amount: Uint128::new(amount),
            curve,
        }
    }
    fn create_native(
        &mut self,
        denom: &str,
        schedules: Vec<NewSchedule>,
        sent: u128,
    ) -> anyhow::Result<()> {
        self.app
            .execute_contract(
                self.funder.clone(),
                self.vesting.clone(),
                &ExecuteMsg::Create { schedules },
                &coins(sent, denom),
            )
            .map(|_| ())
    }
    fn create_cw20(&mut self, schedules: Vec<NewSchedule>, amount: u128) -> anyhow::Result<()> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.vesting.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&ReceiveMsg::Create { schedules }).unwrap(),
        };
        self.app
            .execute_contract(self.funder.clone(), self.token.clone(), &msg, &[])
            .map(|_| ())
    }
    /// `who` executes `msg` on the vesting contract, sending no funds.
    fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.vesting.clone(), msg, &[])
    }
    fn claim(&mut self, who: &Addr, ids: Vec<u64>) -> anyhow::Result<()> {
        self.exec(who, &ExecuteMsg::Claim { ids }).map(|_| ())
    }
    fn schedule(&self, id: u64) -> ScheduleResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.vesting, &QueryMsg::Schedule { id })
            .unwrap()
    }
    fn bank(&self, who: &Addr, denom: &str) -> u128 {
        self.app
            .wrap()
            .query_balance(who, denom)
            .unwrap()
            .amount
            .u128()
    }
    fn cw20(&self, who: &Addr) -> u128 {
        cw20_balance(&self.app, &self.token, who)
    }
}

fn err(e: anyhow::Error) -> ContractError {
    e.downcast().unwrap()
}

#[test]
fn contributor_schedule_in_ibc_denom() {
    let mut s = suite();
    let now = s.now();
    let a = s.sched(
        &s.alice.clone(),
        1_800_000,
        Curve::contributor(now, Uint128::new(1_800_000)),
        None,
    );
    s.create_native(IBC, vec![a], 1_800_000).unwrap();
    // 20 % at once.
    assert_eq!(s.schedule(1).claimable.u128(), 360_000);
    let alice = s.alice.clone();
    s.claim(&alice, vec![1]).unwrap();
    assert_eq!(s.bank(&alice, IBC), 360_000);
    assert_eq!(
        err(s.claim(&alice, vec![1]).unwrap_err()),
        ContractError::NothingToClaim
    );
    s.advance(10 * DAY);
    s.claim(&alice, vec![1]).unwrap();
    assert_eq!(s.bank(&alice, IBC), 360_000 + 80_000);
    s.advance(200 * DAY);
    s.claim(&alice, vec![1]).unwrap();
    assert_eq!(s.bank(&alice, IBC), 1_800_000);
    let t: TotalsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.vesting,
            &QueryMsg::Totals {
                asset: Asset::Native(IBC.into()),
            },
        )
        .unwrap();
    assert_eq!((t.funded.u128(), t.released.u128()), (1_800_000, 1_800_000));
}

#[test]
fn cw20_funding_checks_the_token() {
    let mut s = suite();
    let now = s.now();
    let a = s.sched(&s.alice.clone(), 1_000, Curve::foundation(now), None);
    s.create_cw20(vec![a.clone()], 1_000).unwrap();
    assert_eq!(s.schedule(1).asset, Asset::Cw20(s.token.to_string()));
    // A cw20 that is not allowlisted is refused.
    let owner = s.owner.clone();
    let other_id = cw20_base_code(&mut s.app);
    let other = s
        .app
        .instantiate_contract(
            other_id,
            owner.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "Other".into(),
                symbol: "OTH".into(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: s.funder.to_string(),
                    amount: Uint128::new(5_000),
                }],
                mint: None,
                marketing: None,
            },
            &[],
            "other",
            None,
        )
        .unwrap();
    let e = s
        .app
        .execute_contract(
            s.funder.clone(),
            other.clone(),
            &Cw20ExecuteMsg::Send {
                contract: s.vesting.to_string(),
                amount: Uint128::new(1_000),
                msg: to_json_binary(&ReceiveMsg::Create { schedules: vec![a] }).unwrap(),
            },
            &[],
        )
        .unwrap_err();
    assert_eq!(err(e), ContractError::TokenNotAllowed(other.to_string()));
    // Monthly steps after a one-month lock.
    s.advance(MONTH);
    let alice = s.alice.clone();
    assert_eq!(
        err(s.claim(&alice, vec![1]).unwrap_err()),
        ContractError::NothingToClaim
    );
    s.advance(MONTH);
    s.claim(&alice, vec![1]).unwrap();
    assert_eq!(s.cw20(&alice), 100);
}

#[test]
fn funds_must_match_and_batches_are_bounded() {
    let mut s = suite();
    let now = s.now();
    let a = s.sched(&s.alice.clone(), 1_000, Curve::team(now), None);
    let e = s.create_native("ubtk", vec![a.clone()], 999).unwrap_err();
    assert!(matches!(err(e), ContractError::FundsMismatch { .. }));
    let many = vec![a.clone(); 51];
    assert!(matches!(
        err(s.create_native("ubtk", many, 51_000).unwrap_err()),
        ContractError::BadBatch { .. }
    ));
    let dust = s.sched(
        &s.alice.clone(),
        100,
        Curve::Stepped {
            start: now,
            immediate: Uint128::zero(),
            cliff: 0,
            period: 1,
            steps: 180,
        },
        None,
    );
    assert!(matches!(
        err(s.create_native("ubtk", vec![dust], 100).unwrap_err()),
        ContractError::DustRate(_)
    ));
    s.create_native("ubtk", vec![a; 50], 50_000).unwrap();
}

#[test]
fn revoke_returns_only_unvested() {
    let mut s = suite();
    let now = s.now();
    let owner = s.owner.clone();
    let linear = Curve::Piecewise {
        points: vec![
            Point {
                at: now,
                amount: Uint128::zero(),
            },
            Point {
                at: now + 1_000,
                amount: Uint128::new(1_000),
            },
        ],
    };
    let a = s.sched(&s.alice.clone(), 1_000, linear.clone(), Some(&owner));
    let b = s.sched(&s.bob.clone(), 1_000, linear, None);
    s.create_native("ubtk", vec![a, b], 2_000).unwrap();
    s.advance(250);
    let bob = s.bob.clone();
    // Only the revoker may revoke; irrevocable schedules cannot be touched.
    let e = s.exec(&bob, &ExecuteMsg::Revoke { id: 1 }).unwrap_err();
    assert_eq!(err(e), ContractError::Unauthorized);
    let e = s.exec(&owner, &ExecuteMsg::Revoke { id: 2 }).unwrap_err();
    assert_eq!(err(e), ContractError::Irrevocable(2));
    s.exec(&owner, &ExecuteMsg::Revoke { id: 1 }).unwrap();
    assert_eq!(s.bank(&owner, "ubtk"), 750);
    let e = s.exec(&owner, &ExecuteMsg::Revoke { id: 1 }).unwrap_err();
    assert_eq!(err(e), ContractError::AlreadyRevoked(1));
    // The vested 250 stays claimable, nothing more ever vests.
    s.advance(10_000);
    let r = s.schedule(1);
    assert_eq!((r.vested_now.u128(), r.claimable.u128()), (250, 250));
    // Anyone can push the payments to the beneficiaries.
    let stranger = s.app.api().addr_make("stranger");
    s.exec(&stranger, &ExecuteMsg::Distribute { ids: vec![1, 2] })
        .unwrap();
    assert_eq!(s.bank(&s.alice, "ubtk"), 250);
    assert_eq!(s.bank(&bob, "ubtk"), 1_000);
    // Claim by someone else than the beneficiary is refused.
    assert_eq!(
        err(s.claim(&bob, vec![1]).unwrap_err()),
        ContractError::Unauthorized
    );
}

#[test]
fn pagination_by_beneficiary() {
    let mut s = suite();
    let now = s.now();
    let alice = s.alice.clone();
    let list: Vec<_> = (0..7)
        .map(|_| s.sched(&alice, 100, Curve::foundation(now), None))
        .collect();
    s.create_native("ubtk", list, 700).unwrap();
    let bob_s = s.sched(&s.bob.clone(), 100, Curve::foundation(now), None);
    s.create_native("ubtk", vec![bob_s], 100).unwrap();
    let mut seen = vec![];
    let mut start_after = None;
    loop {
        let page: SchedulesResponse = s
            .app
            .wrap()
            .query_wasm_smart(
                &s.vesting,
                &QueryMsg::SchedulesByBeneficiary {
                    beneficiary: alice.to_string(),
                    start_after,
                    limit: Some(3),
                },
            )
            .unwrap();
        if page.schedules.is_empty() {
            break;
        }
        start_after = page.schedules.last().map(|x| x.id);
        seen.extend(page.schedules.into_iter().map(|x| x.id));
    }
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
    let vested: Uint128 = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.vesting,
            &QueryMsg::Vested {
                id: 8,
                at: Some(now + 3 * MONTH),
            },
        )
        .unwrap();
    assert_eq!(vested.u128(), 20);
}

#[test]
fn migrate_refuses_downgrade() {
    let mut s = suite();
    let owner = s.owner.clone();
    let code = s.app.store_code(vesting_contract());
    s.app
        .migrate_contract(owner.clone(), s.vesting.clone(), &MigrateMsg {}, code)
        .unwrap();
    // Pretend a newer version is stored, then migrate to this one.
    let vesting = s.vesting.clone();
    let mut storage = s.app.contract_storage_mut(&vesting);
    cw2::set_contract_version(storage.as_mut(), "crates.io:bithive-vesting", "9.0.0").unwrap();
    drop(storage);
    let e = s
        .app
        .migrate_contract(owner, vesting, &MigrateMsg {}, code)
        .unwrap_err();
    assert!(matches!(
        err(e),
        ContractError::Migrate(bithive_cw_common::MigrateError::Downgrade { .. })
    ));
}
