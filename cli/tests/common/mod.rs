//! Helpers of the tests that run on a real wasmd node (`scripts/wasmd-net.sh`).
use std::collections::BTreeMap;

use bithive_chain_client::cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use bithive_chain_client::cosmrs::proto::cosmos::base::v1beta1::Coin;
use bithive_chain_client::cosmrs::proto::prost::Message;
use bithive_chain_client::cosmrs::Any;
use bithive_chain_client::ChainClient;

/// The `KEY=value` lines of a `wasmd-net.env` (`scripts/wasmd-net.sh env`).
pub fn wasmd_env_file(path: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `from` sends `amount` `denom` to `to` (a bank `MsgSend`), committed.
pub async fn bank_send(from: &ChainClient, to: &str, amount: u128, denom: &str) {
    let msg = MsgSend {
        from_address: from.address().to_string(),
        to_address: to.to_string(),
        amount: vec![Coin {
            denom: denom.into(),
            amount: amount.to_string(),
        }],
    };
    let any = Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: msg.encode_to_vec(),
    };
    from.submit(vec![any], "").await.unwrap();
}
