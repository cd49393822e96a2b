use bithive_cw_common::funds::{
    all_native, allowlisted_cw20, is_cw20_allowed, one_native, update_cw20_allowlist,
    validate_denom, FundsError,
};
use bithive_cw_common::next_id;
use bithive_interface::fractional::events as ev;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, CosmosMsg, DepsMut, Env, MessageInfo, Response, StdError,
    Storage, SubMsg, Uint128, WasmMsg,
};
use cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg, Cw20ReceiveMsg};
use cw721::receiver::Cw721ReceiveMsg;

use crate::accrual;
use crate::error::ContractError;
use crate::msg::{FractionalizeMsg, ReceiveMsg, ShareHookMsg};
use crate::state::{
    AssetInfo, Vault, VaultStatus, CONFIG, MAX_REVENUE_ASSETS, NFT_CONTRACTS, SHARE_TOKENS, VAULTS,
    VAULT_SEQ,
};

type Res = Result<Response, ContractError>;

/// cw721 `TransferNft`, serialized by hand to keep the cw721 message enum out of the wasm.
#[cosmwasm_schema::cw_serde]
enum NftExecute {
    TransferNft { recipient: String, token_id: String },
}

fn transfer_nft(vault: &Vault, to: &Addr) -> Result<CosmosMsg, StdError> {
    Ok(WasmMsg::Execute {
        contract_addr: vault.nft_contract.to_string(),
        msg: to_json_binary(&NftExecute::TransferNft {
            recipient: to.to_string(),
            token_id: vault.token_id.clone(),
        })?,
        funds: vec![],
    }
    .into())
}

/// Burns `amount` of the vault's shares (sent to this contract); unauthorized for a vault whose
/// share token does not exist yet.
fn burn_shares(vault: &Vault, amount: Uint128) -> Result<CosmosMsg, ContractError> {
    let share_token = vault
        .share_token
        .as_ref()
        .ok_or(ContractError::Unauthorized {})?;
    Ok(WasmMsg::Execute {
        contract_addr: share_token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Burn { amount })?,
        funds: vec![],
    }
    .into())
}

pub fn load_vault(deps: &DepsMut, vault_id: u64) -> Result<Vault, ContractError> {
    VAULTS
        .may_load(deps.storage, vault_id)?
        .ok_or(ContractError::VaultNotFound { vault_id })
}

fn require_active(vault: &Vault) -> Result<(), ContractError> {
    if vault.status != VaultStatus::Active {
        return Err(ContractError::WrongStatus {
            vault_id: vault.id,
            expected: "active",
        });
    }
    Ok(())
}

/// A native denom must be a valid SDK denom, a cw20 allowlisted.
fn check_asset(storage: &dyn Storage, asset: &AssetInfo) -> Result<(), ContractError> {
    match asset {
        AssetInfo::Native(d) => validate_denom(d)?,
        AssetInfo::Cw20(a) if !is_cw20_allowed(storage, a) => {
            return Err(FundsError::Cw20NotAccepted {
                contract: a.to_string(),
            }
            .into())
        }
        AssetInfo::Cw20(_) => {}
    }
    Ok(())
}

/// The vault's revenue assets, fixed at lock (issue #20: deposits used to add any asset until
/// eight slots were full, so junk denoms could lock real revenue out): the declared ones, or
/// the reserve-price asset alone.
fn revenue_assets(
    storage: &dyn Storage,
    f: &FractionalizeMsg,
) -> Result<Vec<AssetInfo>, ContractError> {
    if f.revenue_assets.is_empty() {
        return Ok(vec![f.reserve_price.asset.clone()]);
    }
    if f.revenue_assets.len() > MAX_REVENUE_ASSETS {
        return Err(ContractError::TooManyRevenueAssets {});
    }
    let mut out: Vec<AssetInfo> = Vec::with_capacity(f.revenue_assets.len());
    for a in &f.revenue_assets {
        check_asset(storage, a)?;
        if out.contains(a) {
            return Err(ContractError::InvalidFractionalize {
                reason: "revenue assets must be distinct",
            });
        }
        out.push(a.clone());
    }
    Ok(out)
}

/// Locks the NFT that was just sent and instantiates its share token (shares are minted in the
/// reply, once the token address is known).
pub fn receive_nft(deps: DepsMut, env: Env, info: MessageInfo, msg: Cw721ReceiveMsg) -> Res {
    if !NFT_CONTRACTS.has(deps.storage, &info.sender) {
        return Err(ContractError::NftNotAccepted {
            contract: info.sender.to_string(),
        });
    }
    let f: FractionalizeMsg = from_json(&msg.msg)?;
    if f.shares.is_zero() {
        return Err(ContractError::InvalidFractionalize {
            reason: "shares must be positive",
        });
    }
    if f.reserve_price.amount.is_zero() {
        return Err(ContractError::InvalidFractionalize {
            reason: "reserve price must be positive",
        });
    }
    check_asset(deps.storage, &f.reserve_price.asset)?;
    let revenue_assets = revenue_assets(deps.storage, &f)?;
    let config = CONFIG.load(deps.storage)?;
    let depositor = deps.api.addr_validate(&msg.sender)?;
    let id = next_id(deps.storage, &VAULT_SEQ, "vault id")?;
    let vault = Vault {
        id,
        nft_contract: info.sender.clone(),
        token_id: msg.token_id.clone(),
        depositor: depositor.clone(),
        share_token: None,
        total_shares: f.shares,
        reserve_asset: f.reserve_price.asset,
        reserve_amount: f.reserve_price.amount,
        status: VaultStatus::Pending,
        proceeds_remaining: Uint128::zero(),
        shares_outstanding: Uint128::zero(),
        revenue_assets,
    };
    VAULTS.save(deps.storage, id, &vault)?;
    let init = bithive_interface::asset_shares::InstantiateMsg {
        name: f.share_name,
        symbol: f.share_symbol,
        decimals: f.decimals,
        minter: env.contract.address.to_string(),
        hook: Some(env.contract.address.to_string()),
    };
    let sub = SubMsg::reply_on_success(
        WasmMsg::Instantiate {
            admin: Some(env.contract.address.to_string()),
            code_id: config.share_code_id,
            msg: to_json_binary(&init)?,
            funds: vec![],
            label: format!("bithive-asset-shares-{id}"),
        },
        id,
    );
    Ok(Response::new()
        .add_submessage(sub)
        .add_attribute(ev::ACTION, ev::FRACTIONALIZE)
        .add_attribute(ev::attr::VAULT_ID, id.to_string())
        .add_attribute(ev::attr::NFT_CONTRACT, info.sender)
        .add_attribute(ev::attr::TOKEN_ID, msg.token_id)
        .add_attribute(ev::attr::DEPOSITOR, depositor)
        .add_attribute(ev::attr::SHARES, vault.total_shares))
}

/// Share token instantiated: record it and mint the whole supply to the depositor.
pub fn share_token_created(deps: DepsMut, vault_id: u64, share_token: Addr) -> Res {
    let mut vault = load_vault(&deps, vault_id)?;
    if vault.status != VaultStatus::Pending {
        return Err(ContractError::WrongStatus {
            vault_id,
            expected: "pending",
        });
    }
    vault.status = VaultStatus::Active;
    vault.share_token = Some(share_token.clone());
    vault.shares_outstanding = vault.total_shares;
    VAULTS.save(deps.storage, vault_id, &vault)?;
    SHARE_TOKENS.save(deps.storage, &share_token, &vault_id)?;
    let mint = WasmMsg::Execute {
        contract_addr: share_token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Mint {
            recipient: vault.depositor.to_string(),
            amount: vault.total_shares,
        })?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_message(mint)
        .add_attribute(ev::ACTION, ev::SHARE_TOKEN_CREATED)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string())
        .add_attribute(ev::attr::SHARE_TOKEN, share_token))
}

/// Settles the holders whose share balance is about to move (sent by the share token only).
pub fn share_hook(deps: DepsMut, info: MessageInfo, msg: ShareHookMsg) -> Res {
    let vault_id = SHARE_TOKENS
        .may_load(deps.storage, &info.sender)?
        .ok_or(ContractError::Unauthorized {})?;
    let vault = load_vault(&deps, vault_id)?;
    for change in &msg.changes {
        accrual::settle(deps.storage, &vault, &change.address, change.old_balance)?;
    }
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SHARE_HOOK)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string()))
}

fn deposit(deps: DepsMut, vault_id: u64, payments: Vec<(AssetInfo, Uint128)>) -> Res {
    let mut vault = load_vault(&deps, vault_id)?;
    require_active(&vault)?;
    // Vaults locked before revenue assets were fixed at lock and that saw no revenue yet:
    // the reserve-price asset (what the contract now fixes when none is declared).
    if vault.revenue_assets.is_empty() {
        vault.revenue_assets.push(vault.reserve_asset.clone());
        VAULTS.save(deps.storage, vault_id, &vault)?;
    }
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::DEPOSIT_REVENUE)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string());
    for (asset, amount) in payments {
        accrual::deposit(deps.storage, &vault, &asset, amount)?;
        res = res
            .add_attribute(ev::attr::ASSET, asset.key())
            .add_attribute(ev::attr::AMOUNT, amount);
    }
    Ok(res)
}

pub fn deposit_native(deps: DepsMut, info: MessageInfo, vault_id: u64) -> Res {
    let payments = all_native(&info)?;
    deposit(deps, vault_id, payments)
}

fn buyout(deps: DepsMut, vault_id: u64, buyer: Addr, asset: AssetInfo, paid: Uint128) -> Res {
    let mut vault = load_vault(&deps, vault_id)?;
    require_active(&vault)?;
    if asset != vault.reserve_asset {
        return Err(ContractError::WrongAsset {
            expected: vault.reserve_asset.key(),
        });
    }
    if paid < vault.reserve_amount {
        return Err(ContractError::BelowReserve {
            paid: paid.to_string(),
            reserve: vault.reserve_amount.to_string(),
        });
    }
    vault.status = VaultStatus::BoughtOut {
        buyer: buyer.clone(),
    };
    vault.proceeds_remaining = paid;
    VAULTS.save(deps.storage, vault_id, &vault)?;
    Ok(Response::new()
        .add_message(transfer_nft(&vault, &buyer)?)
        .add_attribute(ev::ACTION, ev::BUYOUT)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string())
        .add_attribute(ev::attr::BUYER, buyer)
        .add_attribute(ev::attr::PRICE, paid))
}

pub fn buyout_native(deps: DepsMut, info: MessageInfo, vault_id: u64) -> Res {
    let (asset, paid) = one_native(&info)?;
    buyout(deps, vault_id, info.sender, asset, paid)
}

/// Share tokens coming back (redeem, reunify), or a deposit from an allowlisted cw20.
pub fn receive_cw20(deps: DepsMut, info: MessageInfo, wrapper: Cw20ReceiveMsg) -> Res {
    let msg: ReceiveMsg = from_json(&wrapper.msg)?;
    if let Some(vault_id) = SHARE_TOKENS.may_load(deps.storage, &info.sender)? {
        let holder = deps.api.addr_validate(&wrapper.sender)?;
        return match msg {
            ReceiveMsg::Redeem {} => redeem(deps, vault_id, holder, wrapper.amount),
            ReceiveMsg::Reunify {} => reunify(deps, vault_id, holder, wrapper.amount),
            _ => Err(FundsError::Cw20NotAccepted {
                contract: info.sender.to_string(),
            }
            .into()),
        };
    }
    let (sender, (asset, amount)) = allowlisted_cw20(deps.storage, deps.api, &info, &wrapper)?;
    match msg {
        ReceiveMsg::DepositRevenue { vault_id } => deposit(deps, vault_id, vec![(asset, amount)]),
        ReceiveMsg::Buyout { vault_id } => buyout(deps, vault_id, sender, asset, amount),
        _ => Err(FundsError::Cw20NotAccepted {
            contract: info.sender.to_string(),
        }
        .into()),
    }
}

/// After a buyout: burns `amount` shares (already sent here) for their share of the proceeds.
fn redeem(deps: DepsMut, vault_id: u64, holder: Addr, amount: Uint128) -> Res {
    let mut vault = load_vault(&deps, vault_id)?;
    if !matches!(vault.status, VaultStatus::BoughtOut { .. }) {
        return Err(ContractError::WrongStatus {
            vault_id,
            expected: "bought out",
        });
    }
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    // The last redeemer takes exactly what is left, so no proceeds stay stuck.
    let payout = vault
        .proceeds_remaining
        .checked_multiply_ratio(amount, vault.shares_outstanding)
        .map_err(|e| StdError::generic_err(e.to_string()))?;
    vault.proceeds_remaining = vault.proceeds_remaining.checked_sub(payout)?;
    vault.shares_outstanding = vault.shares_outstanding.checked_sub(amount)?;
    VAULTS.save(deps.storage, vault_id, &vault)?;
    Ok(Response::new()
        .add_message(burn_shares(&vault, amount)?)
        .add_messages(vault.reserve_asset.pay(&holder, payout)?)
        .add_attribute(ev::ACTION, ev::REDEEM)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string())
        .add_attribute(ev::attr::HOLDER, holder)
        .add_attribute(ev::attr::SHARES, amount)
        .add_attribute(ev::attr::PAYOUT, payout))
}

/// The whole supply came back: burn it and hand the NFT to its holder.
fn reunify(deps: DepsMut, vault_id: u64, holder: Addr, amount: Uint128) -> Res {
    let mut vault = load_vault(&deps, vault_id)?;
    require_active(&vault)?;
    if amount != vault.total_shares {
        return Err(ContractError::NotWholeSupply {
            total: vault.total_shares.to_string(),
            got: amount.to_string(),
        });
    }
    vault.status = VaultStatus::Reunified {
        holder: holder.clone(),
    };
    vault.shares_outstanding = Uint128::zero();
    VAULTS.save(deps.storage, vault_id, &vault)?;
    Ok(Response::new()
        .add_message(burn_shares(&vault, amount)?)
        .add_message(transfer_nft(&vault, &holder)?)
        .add_attribute(ev::ACTION, ev::REUNIFY)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string())
        .add_attribute(ev::attr::HOLDER, holder))
}

pub fn claim(deps: DepsMut, info: MessageInfo, vault_id: u64) -> Res {
    let vault = load_vault(&deps, vault_id)?;
    let share_token = vault
        .share_token
        .clone()
        .ok_or(ContractError::WrongStatus {
            vault_id,
            expected: "active",
        })?;
    let balance: BalanceResponse = deps.querier.query_wasm_smart(
        &share_token,
        &Cw20QueryMsg::Balance {
            address: info.sender.to_string(),
        },
    )?;
    let payouts = accrual::take_claim(deps.storage, &vault, &info.sender, balance.balance)?;
    if payouts.is_empty() {
        return Err(ContractError::NothingToClaim {});
    }
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::CLAIM)
        .add_attribute(ev::attr::VAULT_ID, vault_id.to_string())
        .add_attribute(ev::attr::HOLDER, info.sender.to_string());
    for (asset, amount) in payouts {
        res = res
            .add_messages(asset.pay(&info.sender, amount)?)
            .add_attribute(ev::attr::ASSET, asset.key())
            .add_attribute(ev::attr::AMOUNT, amount);
    }
    Ok(res)
}

#[allow(clippy::too_many_arguments)]
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    share_code_id: Option<u64>,
    add_nft: Vec<String>,
    remove_nft: Vec<String>,
    add_cw20: Vec<String>,
    remove_cw20: Vec<String>,
) -> Res {
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(ContractError::Unauthorized {});
    }
    if let Some(c) = share_code_id {
        config.share_code_id = c;
    }
    CONFIG.save(deps.storage, &config)?;
    for a in add_nft {
        NFT_CONTRACTS.save(
            deps.storage,
            &deps.api.addr_validate(&a)?,
            &cosmwasm_std::Empty {},
        )?;
    }
    for a in remove_nft {
        NFT_CONTRACTS.remove(deps.storage, &deps.api.addr_validate(&a)?);
    }
    update_cw20_allowlist(deps.storage, deps.api, &add_cw20, &remove_cw20)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CONFIG))
}
