//! CID string parsing: the one accepted spelling, and no panic on any input.

use bithive_content_id::{cid_of, parse_cid, validate_cid_str, ContentIdError, MAX_CID_STR_LEN};
use proptest::prelude::*;

const EMPTY_RAW: &str = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
const DAG: &str = "bafybeihrpfxqlhxjztasuvvgtwkcqoeqybkhvvogo7c5pog7s4fdu5l5ma";

#[test]
fn accepts_canonical_raw_and_dag_pb() {
    assert_eq!(parse_cid(EMPTY_RAW).unwrap(), cid_of(b""));
    assert_eq!(parse_cid(DAG).unwrap().to_string(), DAG);
    assert!(validate_cid_str(DAG).is_ok());
}

#[test]
fn refuses_other_spellings_and_shapes() {
    use ContentIdError::*;
    assert_eq!(parse_cid(""), Err(Empty));
    assert_eq!(
        parse_cid(&"b".repeat(MAX_CID_STR_LEN + 1)),
        Err(TooLong {
            max: MAX_CID_STR_LEN
        })
    );
    // Same CID, base32 upper case (multibase 'B') and base58btc ('z').
    assert_eq!(parse_cid(&EMPTY_RAW.to_uppercase()), Err(WrongMultibase));
    assert_eq!(
        parse_cid("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA"),
        Err(WrongMultibase)
    );
    // CIDv0 (base58 "Qm...") is another multibase-less spelling.
    assert_eq!(
        parse_cid("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        Err(WrongMultibase)
    );
    assert_eq!(parse_cid("b"), Err(BadBase32));
    assert_eq!(parse_cid("bafy1"), Err(BadBase32));
    assert_eq!(parse_cid("bAfy"), Err(BadBase32));
    // Truncated: structurally malformed.
    assert!(matches!(parse_cid(&EMPTY_RAW[..40]), Err(Malformed(_))));
    // Trailing padding bits set: would decode to the same bytes; refused (the base32 decoder
    // checks trailing bits, and the canonical re-encoding check would catch it otherwise).
    let mut odd = EMPTY_RAW.to_string();
    odd.pop();
    odd.push('v'); // 'u' -> 'v' flips the last (padding) bit
    assert!(parse_cid(&odd).is_err());
}

#[test]
fn refuses_wrong_codec_version_and_hash() {
    use cid::multihash::Multihash;
    use cid::Cid;
    let digest = [7u8; 32];
    let sha = Multihash::<64>::wrap(0x12, &digest).unwrap();
    // dag-cbor codec.
    let s = Cid::new_v1(0x71, sha).to_string();
    assert_eq!(parse_cid(&s), Err(ContentIdError::WrongCodec(0x71)));
    // blake2b-256 multihash.
    let s = Cid::new_v1(0x55, Multihash::<64>::wrap(0xb220, &digest).unwrap()).to_string();
    assert_eq!(
        parse_cid(&s),
        Err(ContentIdError::WrongHash {
            code: 0xb220,
            len: 32
        })
    );
    // sha2-256 code with a truncated 20-byte digest.
    let s = Cid::new_v1(0x55, Multihash::<64>::wrap(0x12, &digest[..20]).unwrap()).to_string();
    assert_eq!(
        parse_cid(&s),
        Err(ContentIdError::WrongHash {
            code: 0x12,
            len: 20
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Fuzz: arbitrary strings never panic, and whatever is accepted re-encodes to itself.
    #[test]
    fn parser_never_panics(s in ".{0,80}") {
        if let Ok(c) = parse_cid(&s) {
            prop_assert_eq!(c.to_string(), s);
        }
    }

    /// Fuzz near valid input: base32 strings with a 'b' prefix of plausible length.
    #[test]
    fn parser_near_valid(s in "b[a-z2-7]{0,70}") {
        if let Ok(c) = parse_cid(&s) {
            prop_assert_eq!(c.to_string(), s);
        }
    }

    /// Mutating one character of a valid CID yields a refusal or another canonical CID, never
    /// the same CID under a different string.
    #[test]
    fn one_char_mutation(i in 0usize..59, ch in "[a-z2-7]") {
        let mut v: Vec<char> = DAG.chars().collect();
        v[i] = ch.chars().next().unwrap();
        let s: String = v.into_iter().collect();
        if let Ok(c) = parse_cid(&s) {
            prop_assert_eq!(c.to_string(), s.clone());
            prop_assert!(s == DAG || c != parse_cid(DAG).unwrap());
        }
    }
}
