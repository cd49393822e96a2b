//! One page of a `Map` (or of one of its prefixes): ascending, strictly after a cursor, at most
//! `limit` entries. Each contract still picks its own page size (see `clamp_limit`).

use cosmwasm_std::{Order, StdResult, Storage};
use cw_storage_plus::{Bound, KeyDeserialize, Map, Prefix, PrimaryKey};
use serde::{de::DeserializeOwned, Serialize};

/// What a page iterates: boxed like `range`/`keys`, then cut at the page size.
pub type Page<'s, I> = std::iter::Take<Box<dyn Iterator<Item = StdResult<I>> + 's>>;

/// Ascending pages over storage keyed by `B`, after the exclusive cursor `start_after`.
pub trait PageAfter<'b, B: PrimaryKey<'b>> {
    /// The key as a page returns it (the key type's deserialized `Output`).
    type Key;
    /// The stored value.
    type Value;

    /// `(key, value)` entries after `start_after`, at most `limit`.
    fn range_after<'s>(
        &self,
        store: &'s dyn Storage,
        start_after: Option<B>,
        limit: usize,
    ) -> Page<'s, (Self::Key, Self::Value)>
    where
        Self::Value: 's;

    /// Keys after `start_after`, at most `limit`.
    fn keys_after<'s>(
        &self,
        store: &'s dyn Storage,
        start_after: Option<B>,
        limit: usize,
    ) -> Page<'s, Self::Key>
    where
        Self::Value: 's;

    /// The values of `range_after`, collected.
    fn values_after<'s>(
        &self,
        store: &'s dyn Storage,
        start_after: Option<B>,
        limit: usize,
    ) -> StdResult<Vec<Self::Value>>
    where
        Self::Value: 's,
    {
        self.range_after(store, start_after, limit)
            .map(|r| r.map(|(_, v)| v))
            .collect()
    }
}

/// `Map` and `Prefix` have the same `range`/`keys` but no trait in common: one body for both.
macro_rules! impl_page_after {
    (impl<$($g:ident),+> for $ty:ty, cursor $b:ident where $($bounds:tt)+) => {
        impl<'b, $($g),+> PageAfter<'b, $b> for $ty
        where
            $($bounds)+
        {
            type Key = K::Output;
            type Value = T;

            fn range_after<'s>(
                &self,
                store: &'s dyn Storage,
                start_after: Option<$b>,
                limit: usize,
            ) -> Page<'s, (K::Output, T)>
            where
                T: 's,
            {
                let start = start_after.map(Bound::exclusive);
                self.range(store, start, None, Order::Ascending).take(limit)
            }

            fn keys_after<'s>(
                &self,
                store: &'s dyn Storage,
                start_after: Option<$b>,
                limit: usize,
            ) -> Page<'s, K::Output>
            where
                T: 's,
            {
                let start = start_after.map(Bound::exclusive);
                self.keys(store, start, None, Order::Ascending).take(limit)
            }
        }
    };
}

impl_page_after!(impl<K, T> for Map<K, T>, cursor K where
    K: PrimaryKey<'b> + KeyDeserialize,
    K::Output: 'static,
    T: Serialize + DeserializeOwned,
);
impl_page_after!(impl<K, T, B> for Prefix<K, T, B>, cursor B where
    B: PrimaryKey<'b>,
    K: KeyDeserialize,
    K::Output: 'static,
    T: Serialize + DeserializeOwned,
);

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    const NUMBERS: Map<u64, u64> = Map::new("n");
    const PAIRS: Map<(&str, u64), u64> = Map::new("p");

    #[test]
    fn pages_after_the_cursor() {
        let mut store = MockStorage::new();
        for i in 1..=5 {
            NUMBERS.save(&mut store, i, &(i * 10)).unwrap();
            PAIRS.save(&mut store, ("a", i), &i).unwrap();
        }
        let page: Vec<_> = NUMBERS
            .range_after(&store, Some(2), 2)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(page, vec![(3, 30), (4, 40)]);
        assert_eq!(
            NUMBERS.values_after(&store, Some(3), 5).unwrap(),
            vec![40, 50]
        );
        let keys: Vec<_> = NUMBERS
            .keys_after(&store, None, 10)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(keys, vec![1, 2, 3, 4, 5]);
        let keys: Vec<_> = PAIRS
            .prefix("a")
            .keys_after(&store, Some(4), 10)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(keys, vec![5]);
    }
}
