//! `Cw20Contract`-style wrappers: a contract address that builds its own execute messages and
//! runs its own queries with the interface types, so a caller cannot send another contract's
//! message by mistake; and the event-name constants of the `events` modules.

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

/// Declares `pub const NAME: &str = "name"` for each `NAME` given, the value being the name in
/// ASCII lower case (so name and value cannot disagree), and `pub const $all: &[&str]` listing
/// the names in brackets (declared elsewhere, e.g. re-exported) and then every declared one.
macro_rules! event_names {
    (
        $(#[$all_doc:meta])*
        $all:ident = [$($elsewhere:ident),* $(,)?];
        $($(#[$doc:meta])* $name:ident),* $(,)?
    ) => {
        $(
            $(#[$doc])*
            pub const $name: &str = {
                const LOWER: [u8; stringify!($name).len()] =
                    $crate::helpers::ascii_lowercase(stringify!($name));
                match ::core::str::from_utf8(&LOWER) {
                    Ok(value) => value,
                    Err(_) => panic!("lower-casing ASCII keeps UTF-8 valid"),
                }
            };
        )*

        $(#[$all_doc])*
        pub const $all: &[&str] = &[$($elsewhere,)* $($name),*];
    };
}

pub(crate) use event_names;

/// A contract's `events` module: the `action` values (with the migrate response's `MIGRATE`) and,
/// in `events::attr`, the attribute keys (with its `FROM` and `VERSION`), each list declared by
/// [`event_names!`].
macro_rules! events {
    (
        actions: [$($(#[$action_doc:meta])* $action:ident),* $(,)?],
        attributes: [$($(#[$attr_doc:meta])* $attr:ident),* $(,)?] $(,)?
    ) => {
        /// The `wasm` event attributes this contract emits: the `action` values and the attribute
        /// keys. Contracts emit them with these constants and readers match on the same ones; the
        /// contract README's "Events" section lists them (checked by `tests/readme_events.rs`).
        pub mod events {
            pub use $crate::ACTION;
            pub use bithive_cw_common::migrate::event::MIGRATE;

            $crate::helpers::event_names! {
                /// Every `action` value in this module, `MIGRATE` included.
                ACTIONS = [MIGRATE];
                $($(#[$action_doc])* $action),*
            }

            /// Attribute keys.
            pub mod attr {
                pub use bithive_cw_common::migrate::event::{FROM, VERSION};

                $crate::helpers::event_names! {
                    /// Every attribute key in this module, `FROM` and `VERSION` included.
                    ATTRIBUTES = [FROM, VERSION];
                    $($(#[$attr_doc])* $attr),*
                }
            }
        }
    };
}

pub(crate) use events;

/// `name` in ASCII lower case, as bytes; `N` is its length. Const, for [`event_names!`].
pub(crate) const fn ascii_lowercase<const N: usize>(name: &str) -> [u8; N] {
    let bytes = name.as_bytes();
    assert!(bytes.len() == N, "N is the name's length");
    let mut lower = [0; N];
    let mut i = 0;
    while i < N {
        lower[i] = bytes[i].to_ascii_lowercase();
        i += 1;
    }
    lower
}
