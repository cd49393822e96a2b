//! The curious (or dishonest) matching node: it runs the join and forwards deliveries, so it
//! holds S_i, the researcher's contact and every ciphertext, and it has the key authority's
//! public encryption key like anyone. It tries to read the details, to replace them with its
//! own, and to reach users outside S_i. Each attempt ends at a check a recipient makes against
//! the chain (S_i attested, signer = the escrow job's payer) or at BGW itself.
//! (Off chain: the on-chain half, the matching attestation and its payment, is in the VM tests.)

use bithive_dgkbe::bgw::BgwCiphertext;
use bithive_dgkbe::RoaringBitmap;
use bithive_matching::admission::account_address;
use bithive_matching::authority::KeyAuthoritySecret;
use bithive_matching::output::{
    check_delivery, match_commitment, open_output, seal_output, sign_delivery, MatchOutput,
};
use bithive_matching::wire::{ResearchRequest, SignedDelivery};
use k256::ecdsa::SigningKey;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const USERS: u32 = 64;
const CHAIN: &str = "bithive-devnet-1";
const JOB: &str = "bithive1payer/research-1";

fn pubkey(k: &SigningKey) -> [u8; 33] {
    k.verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .try_into()
        .unwrap()
}

/// What a recipient accepts (`check_delivery`, as the CLI, the demo and the browser run it):
/// the attested S_i and salt, and a signature by the job's payer.
fn recipient_accepts(d: &SignedDelivery, onchain: &[u8; 32], payer: &[u8; 33]) -> bool {
    let payer = account_address("bithive", payer).unwrap();
    check_delivery(d, CHAIN, JOB, onchain, &payer).is_ok()
}

const SALT: [u8; 32] = [0x33; 32];

#[test]
fn the_node_can_neither_read_nor_replace_nor_widen_a_delivery() {
    let mut rng = ChaCha20Rng::seed_from_u64(20);
    let authority = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(USERS, &(1..=USERS).collect(), 0)
        .unwrap();
    let (pp, ek) = (authority.public_params(), authority.encryption_key());
    let researcher = SigningKey::from_slice(&[0x11; 32]).unwrap();
    let node_key = SigningKey::from_slice(&[0x22; 32]).unwrap();
    let s_i: RoaringBitmap = [3u32, 8, 21].into_iter().collect();
    let onchain = match_commitment(7, &SALT, &s_i);

    // The honest delivery, as the node receives it to forward.
    let out = seal_output(&ek, &pp, 7, SALT, s_i.clone(), b"the real study", &mut rng).unwrap();
    let honest = SignedDelivery {
        escrow_job_id: JOB.into(),
        signer: pubkey(&researcher),
        signature: sign_delivery(&researcher, CHAIN, JOB, &out).unwrap(),
        output: out.clone(),
    };
    assert!(recipient_accepts(&honest, &onchain, &pubkey(&researcher)));

    // 1. Read: the node holds no user key; nothing it can compute from public values opens
    //    the body. Even a real user's key outside S_i fails (BGW), so a node that also
    //    enrolled a sybil user of its own learns nothing either.
    let mut sybil = authority.user_key(1).unwrap();
    assert!(open_output(&honest.output, &mut sybil, &pp).is_err());
    assert!(BgwCiphertext::from_bytes(&honest.output.ciphertext).is_ok());

    // 2. Replace the details under the researcher's signature: the signature no longer holds.
    let forged = seal_output(&ek, &pp, 7, SALT, s_i.clone(), b"node's own text", &mut rng).unwrap();
    let swapped = SignedDelivery {
        output: forged.clone(),
        ..honest.clone()
    };
    assert!(!recipient_accepts(&swapped, &onchain, &pubkey(&researcher)));

    // 3. Replace and sign with its own key: the signer is not the job's payer.
    let resigned = SignedDelivery {
        signer: pubkey(&node_key),
        signature: sign_delivery(&node_key, CHAIN, JOB, &forged).unwrap(),
        output: forged,
        ..honest.clone()
    };
    assert!(!recipient_accepts(
        &resigned,
        &onchain,
        &pubkey(&researcher)
    ));

    // 4. Widen the audience: a set other than the attested one fails the on-chain check, and a
    //    user added outside S_i cannot open the researcher's ciphertext anyway.
    let mut wider = s_i.clone();
    wider.insert(40);
    let widened = SignedDelivery {
        output: MatchOutput {
            recipients: wider.clone(),
            ..out.clone()
        },
        ..honest.clone()
    };
    assert!(!recipient_accepts(&widened, &onchain, &pubkey(&researcher)));
    let mut outsider = authority.user_key(40).unwrap();
    assert!(open_output(&widened.output, &mut outsider, &pp).is_err());

    // The recipients of S_i still read the real one.
    for u in s_i.iter() {
        let mut key = authority.user_key(u).unwrap();
        assert_eq!(
            open_output(&honest.output, &mut key, &pp).unwrap(),
            b"the real study"
        );
    }
}

#[test]
fn the_request_the_node_opens_carries_no_details() {
    // The layout in which the node received the details in plaintext (version 1) is refused.
    let mut v1 = vec![1u8];
    v1.extend_from_slice(&[0u8; 20]);
    assert!(ResearchRequest::from_bytes(&v1).is_err());
}
