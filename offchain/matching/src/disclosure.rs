//! What a matching node may tell a researcher (docs/ROLES.md, "A paying researcher"): S_i as
//! slot numbers is the answer a request pays for, and answers are small sets of people, so a
//! researcher who could ask freely would single users out: a conjunction that one user
//! satisfies names that user's attributes, and two requests whose answers differ by one user
//! name what that user has that the others lack (a differencing attack). The node answers only
//! when the answer has at least `k` users and differs from every earlier answer by none or by
//! at least `k` users. No I/O: the relayer's matching worker keeps the earlier answers.

use roaring::RoaringBitmap;

/// Why an answer is withheld.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Withheld {
    #[error("the request matched fewer than {k} users: not answered (k-anonymity)")]
    TooFew { k: u64 },
    #[error(
        "the answer would differ from an earlier answer by {differ} users, fewer than {k}: not answered (differencing)"
    )]
    CloseToEarlier { differ: u64, k: u64 },
}

/// Checks `answer` against the minimum size `k` and every `earlier` answer. The same set again
/// is allowed (it tells nothing new); `k` of 0 or 1 allows everything but the empty set.
pub fn check<'a>(
    answer: &RoaringBitmap,
    earlier: impl IntoIterator<Item = &'a RoaringBitmap>,
    k: u64,
) -> Result<(), Withheld> {
    let k = k.max(1);
    if answer.len() < k {
        return Err(Withheld::TooFew { k });
    }
    for e in earlier {
        let differ = answer.symmetric_difference_len(e);
        if differ > 0 && differ < k {
            return Err(Withheld::CloseToEarlier { differ, k });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u32]) -> RoaringBitmap {
        v.iter().copied().collect()
    }

    #[test]
    fn small_answers_and_near_repeats_are_withheld() {
        let a = set(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(check(&set(&[1, 2]), [], 5), Err(Withheld::TooFew { k: 5 }));
        assert_eq!(check(&a, [], 5), Ok(()));
        // The same answer again tells nothing new.
        assert_eq!(check(&a, [&a], 5), Ok(()));
        // One user more: that user's attributes would be revealed.
        let plus_one = set(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            check(&plus_one, [&a], 5),
            Err(Withheld::CloseToEarlier { differ: 1, k: 5 })
        );
        // Disjoint or far apart: allowed.
        let far = set(&[10, 11, 12, 13, 14]);
        assert_eq!(check(&far, [&a], 5), Ok(()));
        assert_eq!(
            check(&RoaringBitmap::new(), [], 0),
            Err(Withheld::TooFew { k: 1 })
        );
    }

    proptest::proptest! {
        /// Whatever a researcher asks, the answers it gets are each at least k users and
        /// pairwise equal or at least k apart.
        #[test]
        fn accepted_answers_are_large_and_far_apart(
            k in 1u64..6,
            asked in proptest::collection::vec(proptest::collection::btree_set(0u32..24, 0..16), 1..24),
        ) {
            let mut given: Vec<RoaringBitmap> = Vec::new();
            for a in asked {
                let a: RoaringBitmap = a.into_iter().collect();
                if check(&a, &given, k).is_ok() {
                    given.push(a);
                }
            }
            for (i, x) in given.iter().enumerate() {
                proptest::prop_assert!(x.len() >= k);
                for y in &given[..i] {
                    let d = x.symmetric_difference_len(y);
                    proptest::prop_assert!(d == 0 || d >= k);
                }
            }
        }
    }
}
