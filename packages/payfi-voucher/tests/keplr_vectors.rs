//! ADR-36 signatures made by Keplr's own signing code (testing/wallet-vectors: the calls the
//! extension's `signArbitrary` makes for a mnemonic account, run by
//! scripts/test.d/wallet-vectors.sh, which also checks that they still produce this file byte
//! for byte).
//!
//! What must hold for a Keplr user: our sign bytes are the ones Keplr signs, our verifier takes
//! Keplr's signatures, and our own signer makes the same bytes as Keplr for the same key and text
//! (both RFC 6979, low-S). The last is what the data vault relies on: its record keys are the hash
//! of the owner's signature of the vault's key text, whether the CLI or the wallet made it.

use bithive_payfi_voucher::{
    adr36_sign_bytes, verify_voucher_adr36, verify_voucher_adr36_v1, voucher_text_v1, TextVoucher,
    VoucherAsset, VoucherError, VoucherSigner,
};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

const VECTORS: &str = include_str!("../../../testing/wallet-vectors/keplr-adr36.json");

struct Vectors(Value);

impl Vectors {
    fn load() -> Self {
        Self(serde_json::from_str(VECTORS).expect("keplr-adr36.json is JSON"))
    }
    fn str(&self, key: &str) -> &str {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing"))
    }
    fn bytes(&self, key: &str) -> Vec<u8> {
        hex::decode(self.str(key)).unwrap()
    }
    fn secret(&self) -> [u8; 32] {
        self.bytes("secret_key").try_into().unwrap()
    }
    fn cases(&self) -> &[Value] {
        self.0["cases"].as_array().unwrap()
    }
    fn case(&self, name: &str) -> &Value {
        self.cases()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("case {name} missing"))
    }
}

fn field<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key].as_str().unwrap()
}

fn sig64(case: &Value) -> [u8; 64] {
    hex::decode(field(case, "signature"))
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn every_keplr_signature_is_over_our_sign_bytes_and_equals_ours() {
    let v = Vectors::load();
    let signer = v.str("signer");
    let key = SigningKey::from_bytes((&v.secret()).into()).unwrap();
    assert_eq!(
        key.verifying_key().to_encoded_point(true).as_bytes(),
        v.bytes("public_key").as_slice(),
        "the vector's public key is its secret key's"
    );
    assert!(v.cases().len() >= 4, "{} cases", v.cases().len());
    for case in v.cases() {
        let name = field(case, "name");
        let sign_bytes = adr36_sign_bytes(signer, field(case, "text").as_bytes());
        assert_eq!(
            String::from_utf8(sign_bytes.clone()).unwrap(),
            field(case, "sign_bytes"),
            "{name}: Keplr signs other bytes than ours"
        );
        let digest: [u8; 32] = Sha256::digest(&sign_bytes).into();
        assert_eq!(hex::encode(digest), field(case, "digest"), "{name}");
        // Keplr's signature verifies against our digest...
        let keplr = Signature::from_slice(&sig64(case)).unwrap();
        VerifyingKey::from_sec1_bytes(&v.bytes("public_key"))
            .unwrap()
            .verify_prehash(&digest, &keplr)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // ...and is the very signature our signer makes (RFC 6979 on both sides).
        let ours: Signature = key.sign_prehash(&digest).unwrap();
        let ours = ours.normalize_s().unwrap_or(ours);
        assert_eq!(
            hex::encode(ours.to_bytes()),
            field(case, "signature"),
            "{name}: the same key signs the same text differently in Keplr"
        );
    }
}

#[test]
fn a_voucher_keplr_signed_is_taken_by_the_escrows_check() {
    let v = Vectors::load();
    let payer = v.str("signer");
    let pubkey = v.bytes("public_key");
    let signer = VoucherSigner::from_secret(&v.secret()).unwrap();
    assert_eq!(signer.public_key_compressed().to_vec(), pubkey);

    let case = v.case("voucher_v2");
    let voucher = TextVoucher {
        chain_id: "bithive-devnet-1",
        contract: v.str("contract"),
        channel_id: 7,
        payee: v.str("payee"),
        asset: VoucherAsset::Native("ubtt"),
        cumulative: 2_500_000,
    };
    assert_eq!(voucher.text(), field(case, "text"), "the text Keplr showed");
    verify_voucher_adr36(&pubkey, &sig64(case), payer, &voucher).unwrap();
    assert_eq!(signer.sign_adr36(payer, &voucher).unwrap(), sig64(case));
    // Keplr's signature stands for this voucher only: not another amount or payee, nor another
    // signer's.
    for other in [
        TextVoucher {
            cumulative: 2_500_001,
            ..voucher
        },
        TextVoucher {
            payee: payer,
            ..voucher
        },
    ] {
        assert_eq!(
            verify_voucher_adr36(&pubkey, &sig64(case), payer, &other),
            Err(VoucherError::Mismatch)
        );
    }
    assert_eq!(
        verify_voucher_adr36(&pubkey, &sig64(case), v.str("payee"), &voucher),
        Err(VoucherError::Mismatch)
    );

    let case = v.case("voucher_v1");
    let contract = v.str("contract");
    assert_eq!(
        voucher_text_v1("bithive-devnet-1", contract, 7, 2_500_000),
        field(case, "text")
    );
    verify_voucher_adr36_v1(
        &pubkey,
        &sig64(case),
        payer,
        "bithive-devnet-1",
        contract,
        7,
        2_500_000,
    )
    .unwrap();
}
