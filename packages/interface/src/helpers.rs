//! `Cw20Contract`-style wrappers: a contract address that builds its own execute messages and
//! runs its own queries with the interface types, so a caller cannot send another contract's
//! message by mistake.

/// Defines `$name(pub Addr)` with `addr`, `call`, `call_with_funds` and `query` over the given
/// message types.
macro_rules! contract_helper {
    ($(#[$doc:meta])* $name:ident, $exec:ty, $query:ty) => {
        $(#[$doc])*
        #[cosmwasm_schema::cw_serde]
        pub struct $name(pub cosmwasm_std::Addr);

        impl $name {
            pub fn new(addr: cosmwasm_std::Addr) -> Self {
                Self(addr)
            }

            pub fn addr(&self) -> cosmwasm_std::Addr {
                self.0.clone()
            }

            /// A `WasmMsg::Execute` with no funds.
            pub fn call(
                &self,
                msg: impl Into<$exec>,
            ) -> cosmwasm_std::StdResult<cosmwasm_std::CosmosMsg> {
                self.call_with_funds(msg, vec![])
            }

            pub fn call_with_funds(
                &self,
                msg: impl Into<$exec>,
                funds: Vec<cosmwasm_std::Coin>,
            ) -> cosmwasm_std::StdResult<cosmwasm_std::CosmosMsg> {
                Ok(cosmwasm_std::WasmMsg::Execute {
                    contract_addr: self.0.to_string(),
                    msg: cosmwasm_std::to_json_binary(&msg.into())?,
                    funds,
                }
                .into())
            }

            /// A smart query; `T` is the response type the query's `#[returns]` names.
            pub fn query<T: serde::de::DeserializeOwned>(
                &self,
                querier: &cosmwasm_std::QuerierWrapper,
                msg: &$query,
            ) -> cosmwasm_std::StdResult<T> {
                querier.query_wasm_smart(self.0.as_str(), msg)
            }
        }
    };
}

pub(crate) use contract_helper;
