//! Pagination of list queries as the Cosmos SDK does it (`cosmos.base.query.v1beta1`): a page
//! starts at `key` (inclusive) or `offset`, holds `limit` items, and `next_key` is the key of the
//! first item after it (empty at the end). Bounded: a page holds at most [`MAX_LIMIT`] items.

use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::abci::AbciError;

/// The SDK's `DefaultLimit`, also the devnet's cap: a larger `limit` gets this many (the SDK and
/// wasmd accept up to `u64::MAX`; a devnet answers every client within a bounded page).
pub const MAX_LIMIT: u64 = 100;

/// Whose pagination rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// The SDK's `query.Paginate` (bank): offset or key, and `total` when `count_total` is set or
    /// no limit was given.
    Sdk,
    /// wasmd's list queries: no offset, no `count_total` (`InvalidArgument`), `total` always 0.
    Wasmd,
}

/// A gRPC `InvalidArgument` as `abci_query` reports it (sdk 18).
pub fn invalid_argument(msg: impl std::fmt::Display) -> AbciError {
    AbciError::invalid_request(format!("rpc error: code = InvalidArgument desc = {msg}"))
}

/// One page of `items` (sorted by key, ascending) as `req` asks, under `rules`.
pub fn paginate<T>(
    mut items: Vec<(Vec<u8>, T)>,
    req: Option<&PageRequest>,
    rules: Rules,
) -> Result<(Vec<T>, PageResponse), AbciError> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    if rules == Rules::Wasmd && (req.offset != 0 || req.count_total) {
        return Err(invalid_argument("offset and count queries not supported"));
    }
    if req.offset != 0 && !req.key.is_empty() {
        return Err(AbciError::invalid_request(
            "invalid request, either offset or key is expected, got both".into(),
        ));
    }
    let mut count_total = req.count_total;
    let limit = if req.limit == 0 {
        count_total = true;
        MAX_LIMIT
    } else {
        req.limit.min(MAX_LIMIT)
    };
    if req.reverse {
        items.reverse();
    }
    let total = items.len() as u64;
    let start = if req.key.is_empty() {
        usize::try_from(req.offset).unwrap_or(usize::MAX)
    } else {
        // The key is inclusive, in the direction of iteration.
        items
            .iter()
            .position(|(k, _)| {
                if req.reverse {
                    k.as_slice() <= req.key.as_slice()
                } else {
                    k.as_slice() >= req.key.as_slice()
                }
            })
            .unwrap_or(items.len())
    };
    let keyed = !req.key.is_empty();
    let mut rest = items.into_iter().skip(start);
    let page: Vec<T> = rest
        .by_ref()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(_, v)| v)
        .collect();
    let next_key = rest.next().map(|(k, _)| k).unwrap_or_default();
    let total = if rules == Rules::Sdk && count_total && !keyed {
        total
    } else {
        0
    };
    Ok((page, PageResponse { next_key, total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: u8) -> Vec<(Vec<u8>, u8)> {
        (0..n).map(|i| (vec![i], i)).collect()
    }

    fn req(key: &[u8], offset: u64, limit: u64, count_total: bool, reverse: bool) -> PageRequest {
        PageRequest {
            key: key.to_vec(),
            offset,
            limit,
            count_total,
            reverse,
        }
    }

    #[test]
    fn pages_follow_the_sdk() {
        // No request: the default limit, and the total counted.
        let (p, r) = paginate(items(3), None, Rules::Sdk).unwrap();
        assert_eq!((p, r.next_key, r.total), (vec![0, 1, 2], vec![], 3));
        // A limit: next_key is the first key after the page; no total unless asked.
        let (p, r) = paginate(items(5), Some(&req(&[], 0, 2, false, false)), Rules::Sdk).unwrap();
        assert_eq!((p, r.next_key, r.total), (vec![0, 1], vec![2], 0));
        // The key is inclusive.
        let (p, r) = paginate(items(5), Some(&req(&[2], 0, 2, false, false)), Rules::Sdk).unwrap();
        assert_eq!((p, r.next_key), (vec![2, 3], vec![4]));
        // Offset and count_total.
        let (p, r) = paginate(items(5), Some(&req(&[], 3, 5, true, false)), Rules::Sdk).unwrap();
        assert_eq!((p, r.next_key, r.total), (vec![3, 4], vec![], 5));
        // Reverse.
        let (p, r) = paginate(items(5), Some(&req(&[3], 0, 2, false, true)), Rules::Sdk).unwrap();
        assert_eq!((p, r.next_key), (vec![3, 2], vec![1]));
        // Both offset and key: refused.
        assert!(paginate(items(5), Some(&req(&[1], 1, 2, false, false)), Rules::Sdk).is_err());
    }

    #[test]
    fn pages_are_bounded() {
        let many: Vec<(Vec<u8>, u32)> = (0..1000u32)
            .map(|i| (i.to_be_bytes().to_vec(), i))
            .collect();
        let (p, r) = paginate(many, Some(&req(&[], 0, u64::MAX, true, false)), Rules::Sdk).unwrap();
        assert_eq!(p.len() as u64, MAX_LIMIT);
        assert_eq!(r.next_key, 100u32.to_be_bytes().to_vec());
        // A huge offset is an empty page, not an overflow.
        let (p, _) = paginate(
            items(3),
            Some(&req(&[], u64::MAX, 0, false, false)),
            Rules::Sdk,
        )
        .unwrap();
        assert!(p.is_empty());
    }

    #[test]
    fn wasmd_refuses_offset_and_count() {
        let e = paginate(items(3), Some(&req(&[], 1, 0, false, false)), Rules::Wasmd).unwrap_err();
        assert_eq!(e.code, 18);
        assert!(e.log.contains("offset and count queries not supported"));
        assert!(paginate(items(3), Some(&req(&[], 0, 0, true, false)), Rules::Wasmd).is_err());
        let (p, r) = paginate(items(3), None, Rules::Wasmd).unwrap();
        assert_eq!((p.len(), r.total), (3, 0));
    }
}
