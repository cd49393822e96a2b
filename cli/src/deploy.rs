//! `bithive deploy`: the deployment plan (`bithive-deploy-plan`) carried out on a chain by its
//! chain driver (`bithive_deploy_plan::chain`); the CLI adds the config file, the key and the
//! output. What is deployed, in which order, with which messages and admins is the plan's.

pub use bithive_deploy_plan::chain::{deploy, deploy_with, DeployError, ViaGov};
pub use bithive_deploy_plan::{load_artifacts, ArtifactError};
pub use bithive_deploy_plan::{
    AttestationParams, Contracts, DaoMember, DaoParams, DeployConfig, DeployFees, Deployment,
    Ics20Params, PlanError, PublicEndpoints, StakingParams, StoredCode,
};
