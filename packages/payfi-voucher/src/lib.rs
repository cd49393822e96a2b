//! PayFi payment-channel vouchers.
//!
//! A voucher authorises the payee of a channel to have been paid, in total, `cumulative` units.
//! The payer signs (ECDSA secp256k1, low-S, 64-byte r||s) the sha256 digest of a canonical,
//! domain-separated message:
//!
//! ```text
//! "bithive.payfi.voucher.v1"
//! || u32 BE len || chain id
//! || u32 BE len || contract address
//! || u64 BE channel id
//! || u128 BE cumulative amount
//! ```
//!
//! Chain id and contract address bind a voucher to one deployment; the channel id binds it to
//! one channel; cumulative amounts make redeeming idempotent (the contract pays only the
//! difference to what was already redeemed), so a voucher never pays twice.
//!
//! The contract builds the digest with [`voucher_digest`] (no k256 needed) and checks it with
//! `deps.api.secp256k1_verify`; payers and relayers sign with [`sign_voucher`] (feature
//! `signing`, on by default).
//!
//! A browser wallet never signs a bare digest: outside a transaction it signs only ADR-36 (an
//! amino sign doc with one `sign/MsgSignData` carrying the signer's address and base64 data). So
//! a voucher has a second form (ADR 011), the ADR-36 sign bytes of the payer's address and the
//! voucher's text ([`TextVoucher::text`]), whose sha256 ([`TextVoucher::adr36_digest`]) the
//! contract verifies the same way. The text is what the wallet shows the payer, so it names
//! everything the payment is: besides the chain, contract, channel and running total, who is
//! paid and in what asset. The two forms cannot stand for each other: the text is hashed inside
//! a JSON document whose chain id is empty (no chain takes it as a transaction), and both bind
//! the same chain, contract, channel and running total, which one counter settles.
//!
//! The first text ([`voucher_text_v1`]) named neither the payee nor the asset; an escrow
//! migrated from it still takes it for the channels opened before the migration.
#![warn(missing_docs)]

use sha2::{Digest, Sha256};

/// Domain tag; bump it when the layout changes.
pub const VOUCHER_DOMAIN: &[u8] = b"bithive.payfi.voucher.v1";

/// The canonical message bytes (before hashing).
pub fn voucher_message(
    chain_id: &str,
    contract: &str,
    channel_id: u64,
    cumulative: u128,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(VOUCHER_DOMAIN.len() + 8 + chain_id.len() + contract.len() + 24);
    m.extend_from_slice(VOUCHER_DOMAIN);
    for part in [chain_id.as_bytes(), contract.as_bytes()] {
        m.extend_from_slice(&(part.len() as u32).to_be_bytes());
        m.extend_from_slice(part);
    }
    m.extend_from_slice(&channel_id.to_be_bytes());
    m.extend_from_slice(&cumulative.to_be_bytes());
    m
}

/// sha256 of [`voucher_message`]: the 32-byte prehash that is signed and verified.
pub fn voucher_digest(
    chain_id: &str,
    contract: &str,
    channel_id: u64,
    cumulative: u128,
) -> [u8; 32] {
    Sha256::digest(voucher_message(chain_id, contract, channel_id, cumulative)).into()
}

/// Domain tag of the text form: v2 names the payee and the asset.
pub const VOUCHER_TEXT_DOMAIN: &str = "bithive.payfi.voucher.v2";

/// What a channel pays in, as a voucher's text names it: `native:<denom>` or `cw20:<address>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoucherAsset<'a> {
    /// A bank denom (`ubtt`, `ibc/<hash>`).
    Native(&'a str),
    /// A cw20 token's contract address.
    Cw20(&'a str),
}

impl core::fmt::Display for VoucherAsset<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            VoucherAsset::Native(denom) => write!(f, "native:{denom}"),
            VoucherAsset::Cw20(token) => write!(f, "cw20:{token}"),
        }
    }
}

/// A voucher in the form a browser wallet signs (ADR-36): what the payer is shown, and so
/// everything the payment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextVoucher<'a> {
    /// The chain the escrow runs on.
    pub chain_id: &'a str,
    /// The escrow contract's address.
    pub contract: &'a str,
    /// The channel's id in that escrow.
    pub channel_id: u64,
    /// Who the channel pays (the payer cannot change it; named so the payer sees it).
    pub payee: &'a str,
    /// What the channel pays in (likewise fixed at opening).
    pub asset: VoucherAsset<'a>,
    /// The running total, in the asset's base units.
    pub cumulative: u128,
}

impl TextVoucher<'_> {
    /// `bithive.payfi.voucher.v2 chain=<chain id> contract=<address> channel=<id>
    /// payee=<address> asset=<native:denom | cw20:address> cumulative=<total>`, on one line.
    pub fn text(&self) -> String {
        let TextVoucher {
            chain_id,
            contract,
            channel_id,
            payee,
            asset,
            cumulative,
        } = self;
        format!(
            "{VOUCHER_TEXT_DOMAIN} chain={chain_id} contract={contract} channel={channel_id} \
             payee={payee} asset={asset} cumulative={cumulative}"
        )
    }

    /// sha256 of the ADR-36 sign bytes of [`TextVoucher::text`] signed by the channel's payer:
    /// the prehash a wallet's signature of the voucher verifies against.
    pub fn adr36_digest(&self, payer: &str) -> [u8; 32] {
        Sha256::digest(adr36_sign_bytes(payer, self.text().as_bytes())).into()
    }
}

/// The first voucher text, without payee or asset:
/// `bithive.payfi.voucher.v1 chain=<chain id> contract=<address> channel=<id> cumulative=<total>`.
/// An escrow migrated from it takes it only for the channels opened before the migration.
pub fn voucher_text_v1(
    chain_id: &str,
    contract: &str,
    channel_id: u64,
    cumulative: u128,
) -> String {
    format!(
        "{} chain={chain_id} contract={contract} channel={channel_id} cumulative={cumulative}",
        core::str::from_utf8(VOUCHER_DOMAIN).unwrap_or("bithive.payfi.voucher.v1")
    )
}

/// The ADR-36 sign bytes of `data` signed by `signer` (a bech32 address), as Keplr's and Leap's
/// `signArbitrary` and CosmJS's `makeADR36AminoSignDoc` make them: canonical amino JSON, keys
/// sorted, no spaces.
pub fn adr36_sign_bytes(signer: &str, data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    // Keys in sorted order; bech32 and base64 need no JSON escaping.
    format!(
        concat!(
            r#"{{"account_number":"0","chain_id":"","fee":{{"amount":[],"gas":"0"}},"memo":"","#,
            r#""msgs":[{{"type":"sign/MsgSignData","value":{{"data":"{}","signer":"{}"}}}}],"sequence":"0"}}"#
        ),
        base64::engine::general_purpose::STANDARD.encode(data),
        signer
    )
    .into_bytes()
}

/// sha256 of the ADR-36 sign bytes of the [`voucher_text_v1`] signed by the channel's payer.
pub fn adr36_voucher_digest_v1(
    payer: &str,
    chain_id: &str,
    contract: &str,
    channel_id: u64,
    cumulative: u128,
) -> [u8; 32] {
    let text = voucher_text_v1(chain_id, contract, channel_id, cumulative);
    Sha256::digest(adr36_sign_bytes(payer, text.as_bytes())).into()
}

#[cfg(feature = "signing")]
mod signing {
    use super::{adr36_voucher_digest_v1, voucher_digest, TextVoucher};
    use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use k256::ecdsa::{Signature, SigningKey, VerifyingKey};

    /// Why a voucher could not be signed or did not verify.
    #[derive(Debug, thiserror::Error, PartialEq, Eq)]
    pub enum VoucherError {
        /// The 32 bytes are not a valid secp256k1 secret scalar (zero or not below the order).
        #[error("invalid secret key")]
        BadSecretKey,
        /// The public key is not a valid SEC1-encoded secp256k1 point.
        #[error("invalid public key")]
        BadPublicKey,
        /// The signature is not a well-formed 64-byte r||s.
        #[error("malformed signature")]
        BadSignature,
        /// The signature is well-formed but not the key's signature over this voucher's digest.
        #[error("signature does not verify")]
        Mismatch,
        /// The signing key failed to produce a signature.
        #[error("signing failed")]
        Signing,
    }

    /// A payer's voucher signer; holds the secret key (never printed by `Debug`).
    pub struct VoucherSigner {
        key: SigningKey,
    }

    impl core::fmt::Debug for VoucherSigner {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("VoucherSigner")
                .field("pubkey", &self.public_key_compressed())
                .finish_non_exhaustive()
        }
    }

    impl VoucherSigner {
        /// From a 32-byte secret scalar.
        pub fn from_secret(secret: &[u8; 32]) -> Result<Self, VoucherError> {
            let key =
                SigningKey::from_bytes(secret.into()).map_err(|_| VoucherError::BadSecretKey)?;
            Ok(Self { key })
        }

        /// 33-byte SEC1 compressed public key, as registered when opening the channel.
        pub fn public_key_compressed(&self) -> [u8; 33] {
            let point = self.key.verifying_key().to_encoded_point(true);
            let mut out = [0u8; 33];
            out.copy_from_slice(point.as_bytes());
            out
        }

        /// 64-byte r||s signature (low-S) over the voucher digest.
        pub fn sign(
            &self,
            chain_id: &str,
            contract: &str,
            channel_id: u64,
            cumulative: u128,
        ) -> Result<[u8; 64], VoucherError> {
            self.sign_digest(&voucher_digest(chain_id, contract, channel_id, cumulative))
        }

        /// 64-byte r||s signature (low-S) over the prehash `digest`.
        fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64], VoucherError> {
            let sig: Signature = self
                .key
                .sign_prehash(digest)
                .map_err(|_| VoucherError::Signing)?;
            let sig = sig.normalize_s().unwrap_or(sig);
            Ok(sig.to_bytes().into())
        }

        /// 64-byte r||s signature (low-S) over the ADR-36 form of the voucher, as `payer`'s
        /// wallet signs it.
        pub fn sign_adr36(
            &self,
            payer: &str,
            voucher: &TextVoucher<'_>,
        ) -> Result<[u8; 64], VoucherError> {
            self.sign_digest(&voucher.adr36_digest(payer))
        }

        /// [`VoucherSigner::sign_adr36`] of the first text (no payee, no asset), as wallets
        /// signed it before v2: for tests of the channels an escrow still takes it for.
        pub fn sign_adr36_v1(
            &self,
            payer: &str,
            chain_id: &str,
            contract: &str,
            channel_id: u64,
            cumulative: u128,
        ) -> Result<[u8; 64], VoucherError> {
            self.sign_digest(&adr36_voucher_digest_v1(
                payer, chain_id, contract, channel_id, cumulative,
            ))
        }
    }

    /// [`verify_voucher`] of the ADR-36 form signed by `payer`.
    pub fn verify_voucher_adr36(
        pubkey: &[u8],
        signature: &[u8],
        payer: &str,
        voucher: &TextVoucher<'_>,
    ) -> Result<(), VoucherError> {
        verify_digest(pubkey, signature, &voucher.adr36_digest(payer))
    }

    /// [`verify_voucher_adr36`] of the first text (no payee, no asset).
    pub fn verify_voucher_adr36_v1(
        pubkey: &[u8],
        signature: &[u8],
        payer: &str,
        chain_id: &str,
        contract: &str,
        channel_id: u64,
        cumulative: u128,
    ) -> Result<(), VoucherError> {
        let digest = adr36_voucher_digest_v1(payer, chain_id, contract, channel_id, cumulative);
        verify_digest(pubkey, signature, &digest)
    }

    /// `signature` is `pubkey`'s over the prehash `digest`.
    fn verify_digest(
        pubkey: &[u8],
        signature: &[u8],
        digest: &[u8; 32],
    ) -> Result<(), VoucherError> {
        let key = VerifyingKey::from_sec1_bytes(pubkey).map_err(|_| VoucherError::BadPublicKey)?;
        let sig = Signature::from_slice(signature).map_err(|_| VoucherError::BadSignature)?;
        key.verify_prehash(digest, &sig)
            .map_err(|_| VoucherError::Mismatch)
    }

    /// Signs a voucher with a 32-byte secret key.
    pub fn sign_voucher(
        secret: &[u8; 32],
        chain_id: &str,
        contract: &str,
        channel_id: u64,
        cumulative: u128,
    ) -> Result<[u8; 64], VoucherError> {
        VoucherSigner::from_secret(secret)?.sign(chain_id, contract, channel_id, cumulative)
    }

    /// Off-chain check, the same one the contract performs (payees use it before accepting).
    pub fn verify_voucher(
        pubkey: &[u8],
        signature: &[u8],
        chain_id: &str,
        contract: &str,
        channel_id: u64,
        cumulative: u128,
    ) -> Result<(), VoucherError> {
        let digest = voucher_digest(chain_id, contract, channel_id, cumulative);
        verify_digest(pubkey, signature, &digest)
    }
}

#[cfg(feature = "signing")]
pub use signing::{
    sign_voucher, verify_voucher, verify_voucher_adr36, verify_voucher_adr36_v1, VoucherError,
    VoucherSigner,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout_is_canonical() {
        let m = voucher_message("bithive-1", "cosmos1xyz", 7, 1_000);
        let mut expected = b"bithive.payfi.voucher.v1".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 9]);
        expected.extend_from_slice(b"bithive-1");
        expected.extend_from_slice(&[0, 0, 0, 10]);
        expected.extend_from_slice(b"cosmos1xyz");
        expected.extend_from_slice(&7u64.to_be_bytes());
        expected.extend_from_slice(&1_000u128.to_be_bytes());
        assert_eq!(m, expected);
    }

    const V2: TextVoucher<'static> = TextVoucher {
        chain_id: "bithive-1",
        contract: "cosmos1xyz",
        channel_id: 7,
        payee: "bithive1payee",
        asset: VoucherAsset::Cw20("cosmos1btt"),
        cumulative: 1_000,
    };

    /// The ADR-36 form: the text a wallet shows, and the sha256 of its sign doc, computed
    /// independently (Python: hashlib, base64 and the JSON written out by hand).
    #[test]
    fn adr36_form_test_vectors() {
        assert_eq!(
            V2.text(),
            "bithive.payfi.voucher.v2 chain=bithive-1 contract=cosmos1xyz channel=7 \
             payee=bithive1payee asset=cw20:cosmos1btt cumulative=1000"
        );
        assert_eq!(
            hex::encode(V2.adr36_digest("bithive1payer")),
            "830350cbe02391193a2b0cc9ed272a7c500bdaf8737ef31cdc4bb75785f19dcf"
        );
        let native = TextVoucher {
            asset: VoucherAsset::Native("ubtt"),
            ..V2
        };
        assert!(native.text().contains(" asset=native:ubtt "));
        assert_eq!(
            hex::encode(native.adr36_digest("bithive1payer")),
            "e782db7fedab1e40bd5c1474eb908454572044347f19958da0a83ad077cf8adc"
        );
        // The first text, as wallets signed it before v2.
        assert_eq!(
            voucher_text_v1("bithive-1", "cosmos1xyz", 7, 1_000),
            "bithive.payfi.voucher.v1 chain=bithive-1 contract=cosmos1xyz channel=7 cumulative=1000"
        );
        assert_eq!(
            hex::encode(adr36_voucher_digest_v1(
                "bithive1payer",
                "bithive-1",
                "cosmos1xyz",
                7,
                1_000
            )),
            "6b12c721417f4dea5d382ec0ac61f6e2ae4d2c71b61c32246af8584dac6e03e6"
        );
    }

    /// Every field of the text is bound, and so is its signer; no form stands for another.
    #[test]
    fn every_field_of_the_text_is_bound() {
        let d = V2.adr36_digest("bithive1payer");
        for other in [
            TextVoucher {
                chain_id: "bithive-2",
                ..V2
            },
            TextVoucher {
                contract: "cosmos1abc",
                ..V2
            },
            TextVoucher {
                channel_id: 8,
                ..V2
            },
            TextVoucher {
                payee: "bithive1other",
                ..V2
            },
            TextVoucher {
                asset: VoucherAsset::Cw20("cosmos1btk"),
                ..V2
            },
            TextVoucher {
                asset: VoucherAsset::Native("cosmos1btt"),
                ..V2
            },
            TextVoucher {
                cumulative: 1_001,
                ..V2
            },
        ] {
            assert_ne!(other.adr36_digest("bithive1payer"), d, "{other:?}");
        }
        assert_ne!(V2.adr36_digest("bithive1other"), d);
        assert_ne!(d, voucher_digest("bithive-1", "cosmos1xyz", 7, 1_000));
        assert_ne!(
            d,
            adr36_voucher_digest_v1("bithive1payer", "bithive-1", "cosmos1xyz", 7, 1_000)
        );
    }

    #[cfg(feature = "signing")]
    #[test]
    fn an_adr36_voucher_verifies_in_its_form_only() {
        let signer = VoucherSigner::from_secret(&[7u8; 32]).unwrap();
        let pk = signer.public_key_compressed();
        let v = TextVoucher {
            contract: "c",
            channel_id: 3,
            cumulative: 500,
            ..V2
        };
        let sig = signer.sign_adr36("bithive1payer", &v).unwrap();
        verify_voucher_adr36(&pk, &sig, "bithive1payer", &v).unwrap();
        assert_eq!(
            verify_voucher(&pk, &sig, "bithive-1", "c", 3, 500),
            Err(VoucherError::Mismatch)
        );
        assert_eq!(
            verify_voucher_adr36_v1(&pk, &sig, "bithive1payer", "bithive-1", "c", 3, 500),
            Err(VoucherError::Mismatch)
        );
        let more = TextVoucher {
            cumulative: 501,
            ..v
        };
        assert_eq!(
            verify_voucher_adr36(&pk, &sig, "bithive1payer", &more),
            Err(VoucherError::Mismatch)
        );
        let old = signer
            .sign_adr36_v1("bithive1payer", "bithive-1", "c", 3, 500)
            .unwrap();
        verify_voucher_adr36_v1(&pk, &old, "bithive1payer", "bithive-1", "c", 3, 500).unwrap();
        assert_eq!(
            verify_voucher_adr36(&pk, &old, "bithive1payer", &v),
            Err(VoucherError::Mismatch)
        );
    }

    #[test]
    fn length_prefix_prevents_field_shifting() {
        // Without length prefixes "ab"+"c" and "a"+"bc" would collide.
        assert_ne!(
            voucher_digest("ab", "c", 1, 1),
            voucher_digest("a", "bc", 1, 1)
        );
    }

    #[test]
    fn digest_test_vector() {
        // sha256 of the canonical message above, computed independently with Python hashlib.
        let d = voucher_digest("bithive-1", "cosmos1xyz", 7, 1_000);
        assert_eq!(hex::encode(d), EXPECTED_DIGEST);
    }

    const EXPECTED_DIGEST: &str =
        "253b01fe327c2d3bc0bf7d2659691781812bd349a82d92f0ca6b9cf5a9bc292b";

    #[cfg(feature = "signing")]
    #[test]
    fn sign_verify_and_bindings() {
        let secret = [7u8; 32];
        let signer = VoucherSigner::from_secret(&secret).unwrap();
        let pk = signer.public_key_compressed();
        let sig = signer.sign("chain-a", "contract-1", 3, 500).unwrap();
        assert!(verify_voucher(&pk, &sig, "chain-a", "contract-1", 3, 500).is_ok());
        // Any other chain, contract, channel or amount fails.
        for (c, k, ch, amt) in [
            ("chain-b", "contract-1", 3, 500),
            ("chain-a", "contract-2", 3, 500),
            ("chain-a", "contract-1", 4, 500),
            ("chain-a", "contract-1", 3, 501),
        ] {
            assert_eq!(
                verify_voucher(&pk, &sig, c, k, ch, amt),
                Err(VoucherError::Mismatch)
            );
        }
        // Deterministic (RFC 6979) and low-S.
        assert_eq!(
            sig,
            sign_voucher(&secret, "chain-a", "contract-1", 3, 500).unwrap()
        );
        let s = k256::ecdsa::Signature::from_slice(&sig).unwrap();
        assert!(s.normalize_s().is_none());
    }

    #[cfg(feature = "signing")]
    #[test]
    fn rejects_bad_keys() {
        assert_eq!(
            VoucherSigner::from_secret(&[0u8; 32]).unwrap_err(),
            VoucherError::BadSecretKey
        );
        assert_eq!(
            verify_voucher(&[1u8; 33], &[0u8; 64], "c", "k", 1, 1),
            Err(VoucherError::BadPublicKey)
        );
    }
}
