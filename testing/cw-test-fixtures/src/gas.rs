//! Storage cost of one call in cw-multi-test, for "gas is flat in N" tests of contracts that
//! have no wasm artifact yet: a `Storage` that counts what reaches the chain's store (reads that
//! miss multi-test's transaction cache, committed writes and deletes, iterated entries) and prices
//! it with the Cosmos SDK's `KVGasConfig` (the schedule wasmd charges storage by, before its
//! CosmWasm multiplier). Wasm execution gas is not included.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use cosmwasm_std::{Order, Record, Storage};

/// SDK `KVGasConfig` (store/types/gas.go).
pub const READ_COST_FLAT: u64 = 1_000;
pub const READ_COST_PER_BYTE: u64 = 3;
pub const WRITE_COST_FLAT: u64 = 2_000;
pub const WRITE_COST_PER_BYTE: u64 = 30;
pub const DELETE_COST: u64 = 1_000;
pub const ITER_NEXT_COST_FLAT: u64 = 30;

/// What reached the store since the last [`Meter::reset`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageCost {
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub write_bytes: u64,
    pub deletes: u64,
    pub iterated: u64,
    pub iterated_bytes: u64,
    /// Iterators opened (`range` calls), whether or not they yielded an entry.
    pub ranges: u64,
}

impl StorageCost {
    /// Bytes read, written and iterated (keys included).
    pub fn bytes_moved(&self) -> u64 {
        self.read_bytes + self.write_bytes + self.iterated_bytes
    }

    /// SDK gas of these operations under `KVGasConfig`.
    pub fn sdk_gas(&self) -> u64 {
        self.reads * READ_COST_FLAT
            + self.read_bytes * READ_COST_PER_BYTE
            + self.writes * WRITE_COST_FLAT
            + self.write_bytes * WRITE_COST_PER_BYTE
            + self.deletes * DELETE_COST
            + self.iterated * ITER_NEXT_COST_FLAT
            + self.iterated_bytes * READ_COST_PER_BYTE
    }
}

/// Shared handle on the counters of a [`CountingStorage`] (the app owns the storage).
#[derive(Clone, Default)]
pub struct Meter(Rc<RefCell<StorageCost>>);

impl Meter {
    pub fn reset(&self) {
        *self.0.borrow_mut() = StorageCost::default();
    }
    pub fn get(&self) -> StorageCost {
        *self.0.borrow()
    }
}

/// An in-memory store that counts every operation into its [`Meter`].
#[derive(Default)]
pub struct CountingStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    meter: Meter,
}

impl CountingStorage {
    pub fn new() -> (Self, Meter) {
        let s = Self::default();
        let m = s.meter.clone();
        (s, m)
    }

    /// Its meter (a handle on the same counters).
    pub fn meter(&self) -> Meter {
        self.meter.clone()
    }
}

impl Storage for CountingStorage {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.data.get(key).cloned();
        let mut c = self.meter.0.borrow_mut();
        c.reads += 1;
        c.read_bytes += (key.len() + v.as_ref().map_or(0, Vec::len)) as u64;
        v
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        self.meter.0.borrow_mut().ranges += 1;
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let lo = start.map_or(Unbounded, |s| Included(s.to_vec()));
        let hi = end.map_or(Unbounded, |e| Excluded(e.to_vec()));
        if let (Included(l), Excluded(h)) = (&lo, &hi) {
            if l >= h {
                return Box::new(std::iter::empty());
            }
        }
        let iter = self
            .data
            .range((lo, hi))
            .map(|(k, v)| (k.clone(), v.clone()));
        let iter: Box<dyn Iterator<Item = Record> + 'a> = match order {
            Order::Ascending => Box::new(iter),
            Order::Descending => Box::new(iter.rev()),
        };
        let meter = self.meter.clone();
        Box::new(iter.inspect(move |(k, v)| {
            let mut c = meter.0.borrow_mut();
            c.iterated += 1;
            c.iterated_bytes += (k.len() + v.len()) as u64;
        }))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        {
            let mut c = self.meter.0.borrow_mut();
            c.writes += 1;
            c.write_bytes += (key.len() + value.len()) as u64;
        }
        self.data.insert(key.to_vec(), value.to_vec());
    }

    fn remove(&mut self, key: &[u8]) {
        self.meter.0.borrow_mut().deletes += 1;
        self.data.remove(key);
    }
}

/// The two sizes a gas example measures at: its two command-line arguments (each must parse as
/// a `T`, or the example panics naming `what`), else `default`.
pub fn sizes_from_args<T>(what: &str, default: (T, T)) -> (T, T)
where
    T: std::str::FromStr + Copy,
    T::Err: std::fmt::Debug,
{
    let args: Vec<T> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|e| panic!("{what} are integers: {e:?}"))
        })
        .collect();
    match args[..] {
        [a, b] => (a, b),
        _ => default,
    }
}

/// One row of a gas table: the cost `a` and `b` at the two sizes, their ratio, and `b` against
/// the `reference` operation's cost at the larger size.
pub fn print_gas_row(name: &str, a: u64, b: u64, reference: u64) {
    println!(
        "| {name} | {a} | {b} | {:.3} | {:.2} |",
        b as f64 / a as f64,
        b as f64 / reference as f64
    );
}

/// A "flat in N" table: prints each operation's cost with `small` and with `large` `items` (a
/// Markdown table, shown with `--nocapture`) and asserts it flat: the same reads, writes,
/// deletes and iterated entries at both sizes, and SDK gas within 1 % (the bytes may differ only
/// by the width of the ids written).
pub fn assert_flat(items: &str, small: u32, large: u32, rows: &[(&str, StorageCost, StorageCost)]) {
    println!(
        "| operation (storage, SDK KVGasConfig gas) | {small} {items} | {large} {items} | ratio | reads / writes / iterated ({large}) |"
    );
    println!("| --- | ---: | ---: | ---: | --- |");
    for (name, a, b) in rows {
        let ratio = b.sdk_gas() as f64 / a.sdk_gas() as f64;
        println!(
            "| {name} | {} | {} | {ratio:.3} | {} / {} / {} |",
            a.sdk_gas(),
            b.sdk_gas(),
            b.reads,
            b.writes,
            b.iterated
        );
        assert_eq!(
            (a.reads, a.writes, a.deletes, a.iterated),
            (b.reads, b.writes, b.deletes, b.iterated),
            "{name}"
        );
        assert!((0.99..=1.01).contains(&ratio), "{name}: ratio {ratio}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_prices() {
        let (mut s, m) = CountingStorage::new();
        s.set(b"ab", b"cde");
        assert_eq!(s.get(b"ab"), Some(b"cde".to_vec()));
        assert_eq!(s.range(None, None, Order::Ascending).count(), 1);
        s.remove(b"ab");
        let c = m.get();
        assert_eq!((c.reads, c.writes, c.deletes, c.iterated), (1, 1, 1, 1));
        assert_eq!(c.sdk_gas(), 1_000 + 15 + 2_000 + 150 + 1_000 + 30 + 15);
        m.reset();
        assert_eq!(m.get(), StorageCost::default());
    }

    fn cost(reads: u64, write_bytes: u64) -> StorageCost {
        StorageCost {
            reads,
            writes: 1,
            write_bytes,
            ..StorageCost::default()
        }
    }

    #[test]
    fn a_few_more_bytes_are_flat() {
        assert_flat(
            "items",
            10,
            1_000,
            &[("op", cost(2, 1_000), cost(2, 1_001))],
        );
    }

    #[test]
    #[should_panic(expected = "op")]
    fn one_more_read_is_not_flat() {
        assert_flat("items", 10, 1_000, &[("op", cost(2, 10), cost(3, 10))]);
    }

    #[test]
    #[should_panic(expected = "op: ratio")]
    fn growing_bytes_are_not_flat() {
        assert_flat("items", 10, 1_000, &[("op", cost(2, 10), cost(2, 1_000))]);
    }
}
