//! The contract artifacts a deployment stores, as `scripts/build-wasm.sh` names them: BitHive's
//! fourteen, and the five of the DAO that governs them (DAO DAO, built from its crates in
//! `contracts/dao-dao`).

/// One artifact per contract code. BTK and BTT share [`Artifact::Token`]; the asset share tokens
/// are instantiated by the fractional contract from [`Artifact::AssetShares`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    /// The cw20 token, instantiated twice: BTK and BTT.
    Token,
    /// BTK emission: the halving curve and the 75 / 15 / 5 / 5 split.
    Emission,
    /// Vesting schedules (the foundation and operations shares of emission).
    Vesting,
    /// Node staking: pledges, unbonding, slashing and the attestor set.
    Staking,
    /// Rewards: the compute and app pools and the patient incentives.
    Rewards,
    /// Healthcare asset NFTs (cw721) with digital twins and valuations.
    AssetNft,
    /// The per-asset share token (cw20); stored by the plan, instantiated by the fractional
    /// contract.
    AssetShares,
    /// Fractional ownership vault of asset NFTs.
    Fractional,
    /// PayFi: milestone escrows, voucher payment channels and compute-job escrow.
    PayfiEscrow,
    /// Attestations: verification, replay protection and dispatch to the contracts they pay.
    Attestation,
    /// Model registry: published inference models, prices and attested accuracy.
    ModelRegistry,
    /// Personal data vault: health-record NFTs, consent and differential-privacy queries.
    DataVault,
    /// cw20-ics20: BTT and BTK over IBC.
    Ics20,
    /// ICS-721: asset NFTs over IBC (ADR 013).
    Ics721,
    /// DAO DAO `dao-dao-core`: the DAO, its treasury, the account proposals execute as.
    DaoCore,
    /// DAO DAO `dao-voting-cw4`: voting power from a cw4 group.
    DaoVotingCw4,
    /// cw-plus `cw4-group`: the DAO's members and weights.
    Cw4Group,
    /// DAO DAO `dao-proposal-single`: yes / no proposals.
    DaoProposalSingle,
    /// DAO DAO `dao-pre-propose-single`: only members may propose.
    DaoPreProposeSingle,
}

impl Artifact {
    /// Every artifact, in the order the plan stores them.
    pub const ALL: [Artifact; 14] = [
        Artifact::Token,
        Artifact::Emission,
        Artifact::Vesting,
        Artifact::Staking,
        Artifact::Rewards,
        Artifact::AssetNft,
        Artifact::AssetShares,
        Artifact::Fractional,
        Artifact::PayfiEscrow,
        Artifact::Attestation,
        Artifact::ModelRegistry,
        Artifact::DataVault,
        Artifact::Ics20,
        Artifact::Ics721,
    ];

    /// The DAO's artifacts, in the order the plan stores them (only when the config has a DAO).
    pub const DAO: [Artifact; 5] = [
        Artifact::DaoCore,
        Artifact::DaoVotingCw4,
        Artifact::Cw4Group,
        Artifact::DaoProposalSingle,
        Artifact::DaoPreProposeSingle,
    ];

    /// Its key in `deployment.json`'s `codes`.
    pub const fn kind(self) -> &'static str {
        match self {
            Artifact::Token => "token",
            Artifact::Emission => "emission",
            Artifact::Vesting => "vesting",
            Artifact::Staking => "staking",
            Artifact::Rewards => "rewards",
            Artifact::AssetNft => "asset_nft",
            Artifact::AssetShares => "asset_shares",
            Artifact::Fractional => "fractional",
            Artifact::PayfiEscrow => "payfi_escrow",
            Artifact::Attestation => "attestation",
            Artifact::ModelRegistry => "model_registry",
            Artifact::DataVault => "data_vault",
            Artifact::Ics20 => "ics20",
            Artifact::Ics721 => "ics721",
            Artifact::DaoCore => "dao_core",
            Artifact::DaoVotingCw4 => "dao_voting_cw4",
            Artifact::Cw4Group => "cw4_group",
            Artifact::DaoProposalSingle => "dao_proposal_single",
            Artifact::DaoPreProposeSingle => "dao_pre_propose_single",
        }
    }

    /// Its file in `artifacts/` (listed in `artifacts/checksums.txt`).
    pub fn file(self) -> String {
        format!("bithive_{}.wasm", self.kind())
    }

    /// The artifact whose file is `file`, if any.
    pub fn from_file(file: &str) -> Option<Artifact> {
        Artifact::ALL
            .into_iter()
            .chain(Artifact::DAO)
            .find(|a| a.file() == file)
    }
}

/// Why the artifacts on disk cannot be deployed.
#[cfg(feature = "load")]
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// `checksums.txt` or an artifact could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An artifact's sha256 is not the one `checksums.txt` lists for it.
    #[error("{file}: checksum {actual} does not match checksums.txt ({expected}); rebuild with scripts/build-wasm.sh")]
    Checksum {
        /// The artifact's file name.
        file: String,
        /// sha256 (hex) listed in `checksums.txt`.
        expected: String,
        /// sha256 (hex) of the file on disk.
        actual: String,
    },
    /// `checksums.txt` has no line for this artifact file (its name).
    #[error("{0} is not listed in checksums.txt")]
    Unlisted(String),
}

/// Reads every artifact of the plan from `dir` and checks each against its `checksums.txt`
/// before anything is uploaded: the code and sha256 (hex) of each, by artifact.
#[cfg(feature = "load")]
pub fn load_artifacts(
    dir: &std::path::Path,
) -> Result<std::collections::BTreeMap<Artifact, (Vec<u8>, String)>, ArtifactError> {
    use sha2::{Digest, Sha256};
    let sums_path = dir.join("checksums.txt");
    let sums = std::fs::read_to_string(&sums_path).map_err(|source| ArtifactError::Io {
        path: sums_path,
        source,
    })?;
    let expected: std::collections::BTreeMap<&str, &str> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(sum, file)| (file.trim(), sum.trim()))
        .collect();
    let mut out = std::collections::BTreeMap::new();
    for artifact in Artifact::ALL.into_iter().chain(Artifact::DAO) {
        let file = artifact.file();
        let path = dir.join(&file);
        let wasm = std::fs::read(&path).map_err(|source| ArtifactError::Io { path, source })?;
        let actual = hex::encode(Sha256::digest(&wasm));
        let want = expected
            .get(file.as_str())
            .ok_or_else(|| ArtifactError::Unlisted(file.clone()))?;
        if *want != actual {
            return Err(ArtifactError::Checksum {
                file,
                expected: want.to_string(),
                actual,
            });
        }
        out.insert(artifact, (wasm, actual));
    }
    Ok(out)
}
