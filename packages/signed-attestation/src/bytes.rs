//! Fixed-size byte strings that travel as lowercase hex in JSON.

use alloc::string::String;
use core::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! hex_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// From a slice of exactly the right length.
            pub fn from_slice(s: &[u8]) -> Option<Self> {
                <[u8; $len]>::try_from(s).ok().map(Self)
            }

            /// Lowercase hex, as in JSON.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// From hex of exactly `LEN` bytes (either case); `None` for anything else.
            pub fn from_hex(s: &str) -> Option<Self> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s, &mut out).ok()?;
                Some(Self(out))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_hex(&s).ok_or_else(|| {
                    D::Error::custom(concat!("expected ", stringify!($len), " bytes as hex"))
                })
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                String::from(stringify!($name))
            }
            fn json_schema(g: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                let mut s = match g.subschema_for::<String>() {
                    schemars::schema::Schema::Object(o) => o,
                    other => return other,
                };
                s.metadata().description =
                    Some(concat!(stringify!($len), " bytes, lowercase hex").into());
                schemars::schema::Schema::Object(s)
            }
        }
    };
}

hex_bytes!(
    /// A sha256 hash (result hash, commitment, digest).
    Hash32,
    32
);
hex_bytes!(
    /// A compressed secp256k1 public key (SEC1, 33 bytes).
    PubKey33,
    33
);
hex_bytes!(
    /// A secp256k1 ECDSA signature, `r || s` (64 bytes), low-s normalized.
    Signature64,
    64
);

/// `u64` as a decimal string in JSON (JavaScript numbers lose precision above 2^53).
pub mod u64_string {
    use alloc::string::{String, ToString};

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as a decimal string (for `#[serde(with = "u64_string")]`).
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads a `u64` from a decimal string (for `#[serde(with = "u64_string")]`).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| D::Error::custom("expected a u64 as a decimal string"))
    }
}
