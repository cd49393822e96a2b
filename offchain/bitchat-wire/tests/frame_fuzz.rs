//! Proptest-based fuzzing of the frame parser (runs in the normal test suite; the cargo-fuzz
//! target in `fuzz/` explores the same properties with coverage guidance).

use bithive_bitchat_wire::frame::{AckStatus, Envelope, Frame, FrameError, MAX_FRAME};
use bithive_bitchat_wire::inner::Inner;
use proptest::prelude::*;

fn arb_envelope() -> impl Strategy<Value = Envelope> {
    (
        any::<[u8; 16]>(),
        any::<[u8; 20]>(),
        any::<[u8; 20]>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(id, from, to, expires_at, ciphertext)| Envelope {
            id,
            from,
            to,
            expires_at,
            ciphertext,
        })
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, n)| {
            let mut pk = [2u8; 33];
            pk[1..].copy_from_slice(&a);
            Frame::Auth {
                account_pubkey: pk,
                noise_pubkey: n,
                signature: [9; 64],
            }
        }),
        arb_envelope().prop_map(Frame::Deliver),
        arb_envelope().prop_map(Frame::MailboxItem),
        (any::<[u8; 16]>(), 0u8..4).prop_map(|(id, s)| Frame::Ack {
            id,
            status: [
                AckStatus::Delivered,
                AckStatus::Stored,
                AckStatus::Rejected,
                AckStatus::Duplicate
            ][s as usize]
        }),
        Just(Frame::MailboxFetch),
        Just(Frame::MailboxEnd),
        prop::collection::vec(any::<[u8; 16]>(), 0..20).prop_map(|ids| Frame::MailboxAck { ids }),
        any::<[u8; 32]>().prop_map(|hash| Frame::ChunkGet { hash }),
        (
            any::<[u8; 32]>(),
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(hash, data)| Frame::ChunkData { hash, data }),
        any::<[u8; 32]>().prop_map(|hash| Frame::ChunkMissing { hash }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic_and_accepted_frames_reencode(data in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok((f, used)) = Frame::decode(&data) {
            prop_assert_eq!(f.encode(), data[..used].to_vec());
        }
        if let Ok(f) = Frame::decode_body(&data) {
            prop_assert_eq!(f.encode_body(), data.clone());
        }
        if let Some(i) = Inner::decode(&data) {
            prop_assert_eq!(Inner::decode(&i.encode()), Some(i));
        }
    }

    #[test]
    fn valid_frames_round_trip(f in arb_frame()) {
        let bytes = f.encode();
        prop_assert_eq!(Frame::decode(&bytes), Ok((f, bytes.len())));
    }

    #[test]
    fn truncated_or_extended_frames_are_rejected(f in arb_frame(), cut in any::<prop::sample::Index>(), extra in 1u8..=255) {
        let body = f.encode_body();
        let n = cut.index(body.len());
        prop_assert!(Frame::decode_body(&body[..n]).is_err());
        let mut longer = body.clone();
        longer.push(extra);
        prop_assert!(Frame::decode_body(&longer).is_err());
    }

    #[test]
    fn mutated_frames_never_panic(f in arb_frame(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = f.encode();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        let _ = Frame::decode(&bytes);
    }
}

#[test]
fn length_prefix_over_limit_is_refused_before_reading() {
    let mut b = ((MAX_FRAME as u32) + 1).to_be_bytes().to_vec();
    b.extend_from_slice(&[0; 16]);
    assert_eq!(Frame::decode(&b), Err(FrameError::Oversized(MAX_FRAME + 1)));
}
