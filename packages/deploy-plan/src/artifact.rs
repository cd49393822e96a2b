//! The thirteen contract artifacts a deployment stores, as `scripts/build-wasm.sh` names them.

/// One artifact per contract code. BTK and BTT share [`Artifact::Token`]; the asset share tokens
/// are instantiated by the fractional contract from [`Artifact::AssetShares`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    Token,
    Emission,
    Vesting,
    Staking,
    Rewards,
    AssetNft,
    AssetShares,
    Fractional,
    PayfiEscrow,
    Attestation,
    ModelRegistry,
    DataVault,
    Ics20,
}

impl Artifact {
    /// Every artifact, in the order the plan stores them.
    pub const ALL: [Artifact; 13] = [
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
        }
    }

    /// Its file in `artifacts/` (listed in `artifacts/checksums.txt`).
    pub fn file(self) -> String {
        format!("bithive_{}.wasm", self.kind())
    }

    /// The artifact whose file is `file`, if any.
    pub fn from_file(file: &str) -> Option<Artifact> {
        Artifact::ALL.into_iter().find(|a| a.file() == file)
    }
}
