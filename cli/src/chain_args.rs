//! What every command that reads or signs on a deployment's chain takes: the deployment file,
//! the RPC, and the name of the signer's key in the keyring; and the client built from them.
use std::path::PathBuf;

use anyhow::bail;
use anyhow::Context;
use bithive_chain_client::ChainClient;
use bithive_deploy_plan::Deployment;
use bithive_interface::payfi_escrow::AssetInfo;
use clap::Args;
use cosmwasm_std::Addr;

/// Where the deployment is and who signs.
#[derive(Clone, Debug, Args)]
pub struct ChainArgs {
    /// deployment.json written by `bithive deploy`
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub deployment: PathBuf,
    /// CometBFT RPC URL of the chain
    #[arg(
        long,
        value_name = "URL",
        env = "BITHIVE_RPC_URL",
        hide_env_values = true
    )]
    pub rpc: String,
    /// Name of the signer's key in the keyring (queries need none)
    #[arg(long, value_name = "NAME", env = "BITHIVE_KEY", hide_env_values = true)]
    pub key: Option<String>,
    #[command(flatten)]
    pub keys: bithive_relayer::cli::KeyringArgs,
    /// One JSON object instead of plain words
    #[arg(long)]
    pub json: bool,
}

impl ChainArgs {
    /// The deployment file, parsed.
    pub fn deployment(&self) -> anyhow::Result<Deployment> {
        let path = &self.deployment;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The signer's client (fees as the deployment records them); with `read_only` and no
    /// `--key`, a throwaway key that never signs. `who_signs` says whose key a signing command
    /// needs when `--key` is missing.
    pub fn client(
        &self,
        d: &Deployment,
        read_only: bool,
        who_signs: &str,
    ) -> anyhow::Result<ChainClient> {
        use bithive_chain_client::{
            CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint, OperatorKey,
        };
        let key = match (&self.key, read_only) {
            (Some(name), _) => bithive_relayer::keyring::Keyring::new(&self.keys.keyring)
                .get(name, &self.keys.prefix)?,
            (None, true) => OperatorKey::from_mnemonic(
                &crate::demo::platform::new_mnemonic()?,
                &self.keys.prefix,
            )?,
            (None, false) => anyhow::bail!("--key NAME: {who_signs}"),
        };
        let (denom, price) = match &d.fees {
            Some(f) => (
                f.denom.clone(),
                f.gas_price.to_string().parse::<f64>().unwrap_or(0.025),
            ),
            None => ("ubhive".to_string(), 0.025),
        };
        let gas = GasConfig {
            gas_price: price,
            gas_adjustment: 1.4,
            max_gas_price: price * 4.0,
            fee_denom: denom,
            max_gas: 60_000_000,
        };
        let endpoint = HttpEndpoint::new(
            &self.rpc,
            CompatVersion::V038,
            std::time::Duration::from_secs(20),
        )?;
        Ok(ChainClient::new(
            std::sync::Arc::new(endpoint),
            &d.chain_id,
            key,
            gas,
            ConfirmConfig::default(),
        )?)
    }
}

/// The asset a deposit is in: BTT or BTK (the deployment's tokens) or a bank denom.
#[derive(Clone, Debug, Args)]
pub struct AssetArg {
    /// `btt`, `btk` or a bank denom (for example `ubhive`, counted in base units)
    #[arg(long, value_name = "ASSET", default_value = "btt")]
    pub asset: String,
}

impl AssetArg {
    /// The asset this names in `d`.
    pub fn info(&self, d: &Deployment) -> anyhow::Result<AssetInfo> {
        Ok(match self.asset.to_ascii_lowercase().as_str() {
            "btt" => AssetInfo::Cw20(Addr::unchecked(&d.contracts.btt)),
            "btk" => AssetInfo::Cw20(Addr::unchecked(&d.contracts.btk)),
            denom => {
                if !(3..=128).contains(&denom.len())
                    || !denom.starts_with(|c: char| c.is_ascii_alphabetic())
                    || !denom
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b))
                {
                    bail!("--asset {}: not btt, btk or a bank denom", self.asset);
                }
                AssetInfo::Native(self.asset.clone())
            }
        })
    }
}

/// The message paying `amount` of `asset` into `contract` with `msg`: a cw20 `send` to it
/// carrying `receive` (its cw20 hook), or `msg` itself with the bank coin attached.
pub fn pay_into<M: serde::Serialize, R: serde::Serialize>(
    client: &ChainClient,
    contract: &str,
    asset: &AssetInfo,
    amount: cosmwasm_std::Uint128,
    msg: &M,
    receive: &R,
) -> anyhow::Result<bithive_chain_client::cosmrs::Any> {
    Ok(match asset {
        AssetInfo::Cw20(token) => client.execute_msg(
            token.as_str(),
            &cw20::Cw20ExecuteMsg::Send {
                contract: contract.to_string(),
                amount,
                msg: cosmwasm_std::to_json_binary(receive)?,
            },
        )?,
        AssetInfo::Native(denom) => {
            client.execute_msg_with_funds(contract, msg, &[(amount.u128(), denom)])?
        }
    })
}
