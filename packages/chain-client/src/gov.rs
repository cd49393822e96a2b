//! x/gov for code upload on chains where only governance may store code (wasmd
//! `code_upload_access` = Nobody, as Neutron- and Osmosis-style chains run): a `MsgStoreCode`
//! whose sender is the gov module account, submitted as a gov v1 proposal with a deposit; the
//! proposal's status; and the chain's stored codes by checksum, to find the code id once it
//! passed (gov v1 does not return the messages' results).

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::gov::v1::{
    MsgSubmitProposal, QueryParamsRequest as GovParamsRequest,
    QueryParamsResponse as GovParamsResponse, QueryProposalRequest, QueryProposalResponse,
    QueryProposalsRequest, QueryProposalsResponse,
};
use cosmrs::proto::cosmwasm::wasm::v1::{
    AccessConfig, AccessType, MsgStoreCode, QueryCodesRequest, QueryCodesResponse,
    QueryParamsRequest, QueryParamsResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::Any;
use sha2::{Digest, Sha256};

use crate::client::{gzip_wasm, ChainClient};
use crate::error::ChainError;
use crate::query;

const PATH_GOV_PROPOSAL: &str = "/cosmos.gov.v1.Query/Proposal";
const PATH_GOV_PARAMS: &str = "/cosmos.gov.v1.Query/Params";
const PATH_GOV_PROPOSALS: &str = "/cosmos.gov.v1.Query/Proposals";
const PATH_WASM_CODES: &str = "/cosmwasm.wasm.v1.Query/Codes";
const PATH_WASM_PARAMS: &str = "/cosmwasm.wasm.v1.Query/Params";

/// Where a gov proposal stands (`cosmos.gov.v1.ProposalStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for its deposit.
    DepositPeriod,
    /// Being voted on.
    VotingPeriod,
    /// Passed: its messages ran.
    Passed,
    /// Voted down.
    Rejected,
    /// Passed, but its messages failed.
    Failed,
    /// A status this client does not know.
    Unknown(i32),
}

impl ProposalStatus {
    fn from_i32(v: i32) -> Self {
        match v {
            1 => ProposalStatus::DepositPeriod,
            2 => ProposalStatus::VotingPeriod,
            3 => ProposalStatus::Passed,
            4 => ProposalStatus::Rejected,
            5 => ProposalStatus::Failed,
            other => ProposalStatus::Unknown(other),
        }
    }
}

/// Who may store code on the chain (`cosmwasm.wasm.v1.Params.code_upload_access`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadAccess {
    /// Anybody.
    Everybody,
    /// Nobody but governance.
    Nobody,
    /// These addresses (and governance).
    AnyOfAddresses(Vec<String>),
}

impl UploadAccess {
    /// Whether `addr` may store code itself.
    pub fn allows(&self, addr: &str) -> bool {
        match self {
            UploadAccess::Everybody => true,
            UploadAccess::Nobody => false,
            UploadAccess::AnyOfAddresses(a) => a.iter().any(|x| x == addr),
        }
    }
}

/// The address of a module account (`authtypes.NewModuleAddress`: the first 20 bytes of
/// sha256(name)), in `prefix`.
pub fn module_address(name: &str, prefix: &str) -> Result<String, ChainError> {
    let hash = Sha256::digest(name.as_bytes());
    let id = cosmrs::AccountId::new(prefix, &hash[..20])
        .map_err(|e| ChainError::Config(format!("module address of {name}: {e}")))?;
    Ok(id.to_string())
}

impl ChainClient {
    /// Who may store code on this chain.
    pub async fn upload_access(&self) -> Result<UploadAccess, ChainError> {
        let p: QueryParamsResponse = query::query_decoded(
            self.rpc().as_ref(),
            PATH_WASM_PARAMS,
            QueryParamsRequest {},
            "wasm params",
        )
        .await?;
        let access = p
            .params
            .and_then(|p| p.code_upload_access)
            .unwrap_or_default();
        // Unspecified (a chain that does not say) counts as open: the store itself will tell.
        Ok(match AccessType::try_from(access.permission) {
            Ok(AccessType::Nobody) => UploadAccess::Nobody,
            Ok(AccessType::AnyOfAddresses) => UploadAccess::AnyOfAddresses(access.addresses),
            _ => UploadAccess::Everybody,
        })
    }

    /// Submits a gov v1 proposal to store `wasm` (instantiable by everybody), with `deposit`
    /// of `denom`; returns the proposal id.
    pub async fn propose_store_code(
        &self,
        wasm: &[u8],
        title: &str,
        summary: &str,
        deposit: u128,
        denom: &str,
    ) -> Result<u64, ChainError> {
        let me: cosmrs::AccountId = self
            .address()
            .parse()
            .map_err(|e| ChainError::Config(format!("address {}: {e}", self.address())))?;
        let prefix = me.prefix().to_string();
        let store = MsgStoreCode {
            sender: module_address("gov", &prefix)?,
            wasm_byte_code: gzip_wasm(wasm)?,
            instantiate_permission: Some(AccessConfig {
                permission: AccessType::Everybody as i32,
                addresses: vec![],
            }),
        };
        let submit = MsgSubmitProposal {
            messages: vec![Any {
                type_url: "/cosmwasm.wasm.v1.MsgStoreCode".into(),
                value: store.encode_to_vec(),
            }],
            initial_deposit: vec![ProtoCoin {
                denom: denom.into(),
                amount: deposit.to_string(),
            }],
            proposer: self.address().to_string(),
            metadata: String::new(),
            title: title.into(),
            summary: summary.into(),
            expedited: false,
        };
        let any = Any {
            type_url: "/cosmos.gov.v1.MsgSubmitProposal".into(),
            value: submit.encode_to_vec(),
        };
        let out = self.submit(vec![any], "").await?;
        out.attr("submit_proposal", "proposal_id")
            .and_then(|s| s.parse().ok())
            .ok_or(ChainError::Decode {
                what: "submit_proposal event",
                message: "no proposal_id attribute".into(),
            })
    }

    /// The smallest deposit in `denom` that puts a proposal to the vote (x/gov `min_deposit`);
    /// None when the chain asks for none in that denom.
    pub async fn gov_min_deposit(&self, denom: &str) -> Result<Option<u128>, ChainError> {
        let req = GovParamsRequest {
            params_type: "deposit".into(),
        };
        let p: GovParamsResponse =
            query::query_decoded(self.rpc().as_ref(), PATH_GOV_PARAMS, req, "gov params").await?;
        Ok(p.params
            .into_iter()
            .flat_map(|p| p.min_deposit)
            .find(|c| c.denom == denom)
            .and_then(|c| c.amount.parse().ok()))
    }

    /// Proposals in their deposit or voting period that this account deposited on, as (id,
    /// summary): a rerun waits on these instead of proposing (and paying) again.
    pub async fn my_open_proposals(&self) -> Result<Vec<(u64, String)>, ChainError> {
        let mut out = Vec::new();
        for status in [1, 2] {
            let req = QueryProposalsRequest {
                proposal_status: status,
                voter: String::new(),
                depositor: self.address().to_string(),
                pagination: Some(PageRequest {
                    key: vec![],
                    offset: 0,
                    limit: 200,
                    count_total: false,
                    reverse: false,
                }),
            };
            let page: QueryProposalsResponse = query::query_decoded(
                self.rpc().as_ref(),
                PATH_GOV_PROPOSALS,
                req,
                "gov proposals",
            )
            .await?;
            out.extend(page.proposals.into_iter().map(|p| (p.id, p.summary)));
        }
        Ok(out)
    }

    /// Where gov proposal `id` stands.
    pub async fn proposal_status(&self, id: u64) -> Result<ProposalStatus, ChainError> {
        let req = QueryProposalRequest { proposal_id: id };
        let p: QueryProposalResponse =
            query::query_decoded(self.rpc().as_ref(), PATH_GOV_PROPOSAL, req, "gov proposal")
                .await?;
        Ok(ProposalStatus::from_i32(
            p.proposal.map(|p| p.status).unwrap_or(0),
        ))
    }

    /// Every stored code this account may instantiate, as (code id, sha256 hex), oldest first.
    pub async fn stored_codes(&self) -> Result<Vec<(u64, String)>, ChainError> {
        let me = self.address().to_string();
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let req = QueryCodesRequest {
                pagination: Some(PageRequest {
                    key: key.clone(),
                    offset: 0,
                    limit: 100,
                    count_total: false,
                    reverse: false,
                }),
            };
            let page: QueryCodesResponse =
                query::query_decoded(self.rpc().as_ref(), PATH_WASM_CODES, req, "wasm codes")
                    .await?;
            out.extend(
                page.code_infos
                    .into_iter()
                    .filter(|c| match &c.instantiate_permission {
                        None => true,
                        Some(p) => match AccessType::try_from(p.permission) {
                            Ok(AccessType::Nobody) => false,
                            Ok(AccessType::AnyOfAddresses) => p.addresses.contains(&me),
                            _ => true,
                        },
                    })
                    .map(|c| (c.code_id, hex::encode(c.data_hash))),
            );
            match page.pagination.map(|p| p.next_key) {
                Some(next) if !next.is_empty() => key = next,
                _ => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gov_module_address_is_the_sdks() {
        // cosmos-sdk: authtypes.NewModuleAddress("gov") on the cosmos prefix.
        assert_eq!(
            module_address("gov", "cosmos").unwrap(),
            "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"
        );
    }
}
