//! The translation of an accepted attestation into its consumer's call (the consumers' messages
//! come from `bithive-interface`, not from their contract crates, so this artifact does not
//! depend on their code).

use bithive_interface::attestation::MATCHING_MODEL;
use bithive_interface::payfi_escrow::EscrowContract;
use bithive_interface::{asset_nft, model_registry, payfi_escrow, rewards};
use bithive_signed_attestation::{Attestation, AttestationKind};
use cosmwasm_std::{to_json_binary, Addr, Binary, Decimal, Deps, WasmMsg};

use crate::error::ContractError;
use crate::msg::{
    EvaluationPayload, InferencePayload, MatchingPayload, PatientPayload, ValuationPayload,
    WorkPayload,
};
use crate::state::{Config, ROUNDS};
use crate::verify::{ensure_registered, kind_name, parse, payload_bound, NodeSource};
use bithive_interface::attestation::{parse_evaluation_job_id, parse_valuation_job_id};

/// What acceptance does: the consumer call (None for record-only kinds) and the node involved.
pub struct Dispatch {
    pub msg: Option<WasmMsg>,
    pub node: Option<String>,
}

fn resolve_node(
    deps: Deps,
    config: &Config,
    source: &NodeSource,
    named: Option<String>,
) -> Result<String, ContractError> {
    match source {
        NodeSource::Signer(n) => match named {
            Some(x) if x != n.as_str() => Err(ContractError::NodeMismatch(x)),
            _ => Ok(n.to_string()),
        },
        NodeSource::Quorum(_) => {
            let n = named.ok_or(ContractError::BadPayload(
                "a quorum attestation's payload must name the node".into(),
            ))?;
            ensure_registered(&deps.querier, &config.staking, &n)?;
            Ok(n)
        }
    }
}

/// The node whose compute work is attested: named by the payload, registered, and not among
/// those who signed (issue #20: a node's own word on its units would pay it what it claims).
fn worked_node(
    deps: Deps,
    config: &Config,
    source: &NodeSource,
    named: Option<String>,
) -> Result<String, ContractError> {
    let n = match (named, source) {
        (Some(n), _) => n,
        (None, NodeSource::Signer(own)) => own.to_string(),
        (None, NodeSource::Quorum(_)) => {
            return Err(ContractError::BadPayload(
                "a compute_work payload must name the node".into(),
            ))
        }
    };
    if source.signed_by(&n) {
        return Err(ContractError::SelfAttestation(n));
    }
    ensure_registered(&deps.querier, &config.staking, &n)?;
    Ok(n)
}

fn exec(contract: &str, msg: &impl serde::Serialize) -> Result<WasmMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    })
}

/// Fails unless escrow job `job_id` is (`matching`) or is not (`!matching`) a research request:
/// the escrow pays any job on `ReportJob`, so the job's kind is checked here, where the
/// attestation kind's quorum rule applies.
fn ensure_job_kind(
    deps: Deps,
    escrow: &str,
    job_id: &str,
    matching: bool,
) -> Result<(), ContractError> {
    let job = EscrowContract(Addr::unchecked(escrow)).job(&deps.querier, job_id)?;
    if (job.model == MATCHING_MODEL) != matching {
        return Err(ContractError::WrongJobKind {
            job_id: job_id.to_string(),
            model: job.model,
        });
    }
    Ok(())
}

/// Checks the payload and builds the consumer call of `a` (whose `contract` was already checked
/// to be the kind's consumer when dispatched here). `local`: the consumer is on this chain (it is
/// queried); otherwise the attestation is forwarded and the receiver checks it.
pub fn dispatch(
    deps: Deps,
    config: &Config,
    a: &Attestation,
    payload: Option<&Binary>,
    source: NodeSource,
    local: bool,
) -> Result<Dispatch, ContractError> {
    if let Some(p) = payload {
        payload_bound(a, p)?;
    }
    let required = || ContractError::PayloadRequired(kind_name(a.kind));
    match a.kind {
        AttestationKind::Inference => {
            let mut outputs = false;
            let (named, tscore) = match payload {
                Some(p) => {
                    let p = parse::<InferencePayload>(p)?;
                    if p.tscore.is_some_and(|t| t > Decimal::one()) {
                        return Err(ContractError::BadPayload(
                            "an inference tscore is in [0, 1]".into(),
                        ));
                    }
                    // Kept with the record for the attestors' re-runs: bounded.
                    if p.outputs
                        .as_ref()
                        .is_some_and(|o| o.len() > bithive_formulas::quantized::MAX_VALUES)
                    {
                        return Err(ContractError::BadPayload(format!(
                            "an inference payload holds at most {} outputs",
                            bithive_formulas::quantized::MAX_VALUES
                        )));
                    }
                    outputs = p.outputs.as_ref().is_some_and(|o| !o.is_empty());
                    (p.node, p.tscore)
                }
                None => (None, None),
            };
            let node = resolve_node(deps, config, &source, named)?;
            if local {
                ensure_job_kind(deps, &a.contract, &a.job_id, false)?;
                // A single node's result on a job that earns compute-pool units must carry the
                // outputs the attestors re-run (ADR 007, decision 6): without them nobody could
                // check the work the pool pays for. Refused rather than accepted unchecked, so
                // that nobody can strip the payload off a node's pending submission to spoil
                // its job either. (A quorum's result is its signers' word.)
                if matches!(source, NodeSource::Signer(_)) && !outputs {
                    // An escrow older than the `job_model` query keeps no snapshots.
                    let job_model = EscrowContract(Addr::unchecked(&a.contract))
                        .job_model(&deps.querier, &a.job_id)
                        .unwrap_or(None);
                    if job_model.is_some_and(|m| !m.units.is_zero()) {
                        return Err(ContractError::OutputsRequired(a.job_id.clone()));
                    }
                }
            }
            let msg = exec(
                &a.contract,
                &payfi_escrow::ExecuteMsg::ReportJob {
                    job_id: a.job_id.clone(),
                    node: node.clone(),
                    tscore,
                },
            )?;
            Ok(Dispatch {
                msg: Some(msg),
                node: Some(node),
            })
        }
        AttestationKind::ComputeWork => {
            let w: WorkPayload = parse(payload.ok_or_else(required)?)?;
            let node = worked_node(deps, config, &source, w.node)?;
            let msg = exec(
                &a.contract,
                &rewards::ExecuteMsg::ReportWork {
                    node: node.clone(),
                    measured: w.measured,
                },
            )?;
            Ok(Dispatch {
                msg: Some(msg),
                node: Some(node),
            })
        }
        AttestationKind::Valuation => {
            let (token_id, _round) = round_of(a)?;
            let v: ValuationPayload = parse(payload.ok_or_else(required)?)?;
            let msg = exec(
                &a.contract,
                &asset_nft::ExecuteMsg::SubmitValuation {
                    token_id: token_id.to_string(),
                    value: v.value,
                },
            )?;
            Ok(Dispatch {
                msg: Some(msg),
                node: None,
            })
        }
        AttestationKind::Evaluation => {
            let e: EvaluationPayload = parse(payload.ok_or_else(required)?)?;
            if e.accuracy > Decimal::one() {
                return Err(ContractError::BadPayload(
                    "an evaluation's accuracy is in [0, 1]".into(),
                ));
            }
            let (model_id, _round) =
                parse_evaluation_job_id(&a.job_id).ok_or_else(|| bad_round_job_id(a))?;
            let msg = exec(
                &a.contract,
                &model_registry::ExecuteMsg::SetAccuracy {
                    model_id,
                    accuracy: e.accuracy,
                    // The committed evaluation report: what the accuracy comes from.
                    evaluation: a.result_hash.to_hex(),
                    // The registry checks its range.
                    run_cost: e.run_cost,
                },
            )?;
            Ok(Dispatch {
                msg: Some(msg),
                node: None,
            })
        }
        AttestationKind::PatientActivity => {
            let p: PatientPayload = parse(payload.ok_or_else(required)?)?;
            let msg = exec(
                &a.contract,
                &rewards::ExecuteMsg::CreditPatient {
                    patient: p.patient,
                    activity_id: a.job_id.clone(),
                    activity: p.activity,
                },
            )?;
            Ok(Dispatch {
                msg: Some(msg),
                node: signer_node(&source),
            })
        }
        // Record-only, unless the payload names the escrow job that paid for the request.
        AttestationKind::Matching => match payload {
            None => Ok(Dispatch {
                msg: None,
                node: signer_node(&source),
            }),
            Some(p) => {
                let m: MatchingPayload = parse(p)?;
                // The record key is the attestation's job id: it must be the job it pays, or a
                // node could pay itself its own job under another research job's key and have
                // that job's claimant refused as "already attested" (issue #43).
                if m.escrow_job_id != a.job_id {
                    return Err(ContractError::BadPayload(
                        "a paid matching attestation's job id is the escrow job it names".into(),
                    ));
                }
                let escrow = config
                    .escrow
                    .as_ref()
                    .ok_or(ContractError::NoConsumer("matching (paid)"))?;
                // Paid like an inference job, so under the inference quorum rule.
                if matches!(source, NodeSource::Signer(_))
                    && config.quorum_kinds.contains(&AttestationKind::Inference)
                {
                    return Err(ContractError::QuorumRequired("matching (paid)"));
                }
                let node = resolve_node(deps, config, &source, m.node)?;
                if local {
                    ensure_job_kind(deps, escrow.as_str(), &m.escrow_job_id, true)?;
                }
                let msg = exec(
                    escrow.as_str(),
                    &payfi_escrow::ExecuteMsg::ReportJob {
                        job_id: m.escrow_job_id,
                        node: node.clone(),
                        tscore: None,
                    },
                )?;
                Ok(Dispatch {
                    msg: Some(msg),
                    node: Some(node),
                })
            }
        },
    }
}

fn bad_round_job_id(a: &Attestation) -> ContractError {
    ContractError::BadRoundJobId {
        kind: kind_name(a.kind),
        job_id: a.job_id.clone(),
    }
}

/// (subject, round) of a round kind's attestation: a valuation's `job_id` is
/// `"<token id>#<round>"` (`valuation_job_id`), an evaluation's `"<model id>#<round>"`
/// (`evaluation_job_id`, a canonical model id), so each round has its own record key.
pub fn round_of(a: &Attestation) -> Result<(&str, u64), ContractError> {
    let (subject, round) = parse_valuation_job_id(&a.job_id).ok_or_else(|| bad_round_job_id(a))?;
    if a.kind == AttestationKind::Evaluation && parse_evaluation_job_id(&a.job_id).is_none() {
        return Err(bad_round_job_id(a));
    }
    Ok((subject, round))
}

/// Most a round may skip past the subject's last accepted one: rounds that failed to reach a
/// quorum leave gaps, but one attestation at round u64::MAX must not freeze the subject's
/// valuations or evaluations forever (issue #43).
pub const MAX_ROUND_STEP: u64 = 1_000;

/// Refuses a round not above the subject's last accepted one (a replay, or an older round held
/// back to overwrite a newer value) or more than [`MAX_ROUND_STEP`] above it, and records it.
/// Local attestations only: a forwarded one is checked by the chain that applies it.
pub fn advance_round(
    storage: &mut dyn cosmwasm_std::Storage,
    a: &Attestation,
) -> Result<u64, ContractError> {
    let (subject, round) = round_of(a)?;
    let key = (a.contract.as_str(), subject);
    let last = ROUNDS.may_load(storage, key)?.unwrap_or(0);
    if round <= last {
        return Err(ContractError::StaleRound {
            kind: kind_name(a.kind),
            subject: subject.to_string(),
            round,
            last,
        });
    }
    if round - last > MAX_ROUND_STEP {
        return Err(ContractError::RoundTooFar {
            kind: kind_name(a.kind),
            subject: subject.to_string(),
            round,
            last,
            max: MAX_ROUND_STEP,
        });
    }
    ROUNDS.save(storage, key, &round)?;
    Ok(round)
}

/// The node behind the attestation where one is known (recorded, not paid).
fn signer_node(source: &NodeSource) -> Option<String> {
    match source {
        NodeSource::Signer(n) => Some(n.to_string()),
        NodeSource::Quorum(_) => None,
    }
}
