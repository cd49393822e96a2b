//! Properties of the witnessed decoding the blinding service runs on untrusted input: it never
//! panics, and it accepts a 64-byte element exactly when the first half is a valid encoding and
//! the second half is that encoding's witness, giving the same point as the plain decoding.

use bithive_matching::group::{decode, decode_witnessed, hash_token, witness, Witnessed};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_accepted_only_with_their_witness(
        bytes in prop::array::uniform32(any::<u8>()),
        tail in prop::array::uniform32(any::<u8>()),
        append_true_witness in any::<bool>(),
    ) {
        let good = witness(&bytes).ok();
        let mut w: Witnessed = [0u8; 64];
        w[..32].copy_from_slice(&bytes);
        w[32..].copy_from_slice(&tail);
        // About 1 in 8 random strings is a valid encoding; give half of those their witness so
        // the accepting branch is exercised too.
        if let (Some(g), true) = (good, append_true_witness) {
            w = g;
        }
        let should_accept = good == Some(w);
        match decode_witnessed(&w) {
            Ok(p) => {
                prop_assert!(should_accept);
                prop_assert_eq!(Ok(p), decode(&bytes));
            }
            Err(_) => prop_assert!(!should_accept),
        }
    }

    #[test]
    fn valid_points_with_a_changed_witness_are_refused(token in "[a-z0-9=/]{1,24}",
                                                        byte in 32usize..64, flip in 1u8..=255) {
        let b = hash_token(&token).compress().to_bytes();
        let good = witness(&b).unwrap();
        prop_assert_eq!(decode_witnessed(&good), decode(&b));
        let mut bad = good;
        bad[byte] ^= flip;
        prop_assert!(decode_witnessed(&bad).is_err());
    }
}
