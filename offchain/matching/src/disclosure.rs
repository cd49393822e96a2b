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
        "the answer would share, add or drop {differ} users against an earlier answer, fewer than {k}: not answered (differencing)"
    )]
    CloseToEarlier { differ: u64, k: u64 },
}

/// Checks `answer` against the minimum size `k` and every `earlier` answer: the parts A∩E, A\E
/// and E\A must each be empty or hold at least `k` users. The same set again is allowed (it
/// tells nothing new); `k` of 0 or 1 allows everything but the empty set.
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
        let shared = answer.intersection_len(e);
        for part in [shared, answer.len() - shared, e.len() - shared] {
            if part > 0 && part < k {
                return Err(Withheld::CloseToEarlier { differ: part, k });
            }
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
        // Two answers far apart that share one user: the intersection would name it.
        let first = set(&[1, 2, 3, 4, 99]);
        let second = set(&[99, 6, 7, 8, 9]);
        assert_eq!(
            check(&second, [&first], 5),
            Err(Withheld::CloseToEarlier { differ: 1, k: 5 })
        );
        // One-sided: B drops one user of A and adds five.
        let a10: RoaringBitmap = (1..=10).collect();
        let b: RoaringBitmap = (1..=9).chain(11..=15).collect();
        assert_eq!(
            check(&b, [&a10], 5),
            Err(Withheld::CloseToEarlier { differ: 1, k: 5 })
        );
        assert_eq!(
            check(&RoaringBitmap::new(), [], 0),
            Err(Withheld::TooFew { k: 1 })
        );
    }

    proptest::proptest! {
        /// Whatever a researcher asks, the answers it gets are each at least k users and, for
        /// every pair, their intersection and both differences are empty or at least k.
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
                    let shared = x.intersection_len(y);
                    for part in [shared, x.len() - shared, y.len() - shared] {
                        proptest::prop_assert!(part == 0 || part >= k);
                    }
                }
            }
        }
    }
}
