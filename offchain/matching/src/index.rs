//! The matching node's inverted index: blinded tag -> users holding it, as roaring bitmaps.
//! Matching a request is set algebra on the posting lists of its own tags (a hash join keyed on
//! blinded values), so its cost depends on the request and the posting sizes, never on M x N.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use roaring::RoaringBitmap;

use crate::group::Blinded;

/// Tags are uniformly distributed group encodings, so their first 8 bytes already are a good
/// hash; this avoids SipHash on 10^7 lookups.
#[derive(Default)]
pub struct TagHasher(u64);

impl Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }
}

pub type TagMap<V> = HashMap<Blinded, V, BuildHasherDefault<TagHasher>>;

#[derive(Default)]
pub struct TagIndex {
    postings: TagMap<RoaringBitmap>,
}

impl TagIndex {
    pub fn insert(&mut self, tag: Blinded, user: u32) {
        self.postings.entry(tag).or_default().insert(user);
    }

    /// Adds a whole posting list (the bulk path of `MatchingNode::ingest`).
    pub fn merge(&mut self, tag: Blinded, users: RoaringBitmap) {
        match self.postings.get_mut(&tag) {
            Some(p) => *p |= users,
            None => {
                self.postings.insert(tag, users);
            }
        }
    }

    pub fn postings(&self, tag: &Blinded) -> Option<&RoaringBitmap> {
        self.postings.get(tag)
    }

    pub fn distinct_tags(&self) -> usize {
        self.postings.len()
    }

    pub fn tags(&self) -> impl Iterator<Item = &Blinded> {
        self.postings.keys()
    }

    /// Approximate heap bytes: posting bitmaps plus the table.
    pub fn approx_bytes(&self) -> usize {
        self.postings
            .values()
            .map(|b| b.serialized_size())
            .sum::<usize>()
            + self.postings.capacity() * (32 + std::mem::size_of::<RoaringBitmap>() + 8)
    }

    /// Users in the union of the postings of `tags` (an OR clause).
    pub fn union(&self, tags: &[Blinded]) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for t in tags {
            if let Some(p) = self.postings(t) {
                out |= p;
            }
        }
        out
    }

    /// AND of OR clauses, then "at least `min_bands` of `bands`" on what is left.
    pub fn evaluate(
        &self,
        clauses: &[Vec<Blinded>],
        bands: &[Blinded],
        min_bands: u32,
    ) -> RoaringBitmap {
        // Smallest clause first keeps intermediate sets small.
        let mut unions: Vec<RoaringBitmap> = clauses.iter().map(|c| self.union(c)).collect();
        unions.sort_by_key(|u| u.len());
        let mut acc: Option<RoaringBitmap> = None;
        for u in unions {
            acc = Some(match acc {
                None => u,
                Some(a) => a & u,
            });
            if acc.as_ref().is_some_and(|a| a.is_empty()) {
                return RoaringBitmap::new();
            }
        }
        if bands.is_empty() || min_bands == 0 {
            return acc.unwrap_or_default();
        }
        // at_least[k] = users seen in >= k+1 of the band postings so far.
        let need = min_bands as usize;
        let mut at_least: Vec<RoaringBitmap> = vec![RoaringBitmap::new(); need];
        for t in bands {
            let Some(p) = self.postings(t) else { continue };
            let p = match &acc {
                Some(a) => a & p,
                None => p.clone(),
            };
            for k in (1..need).rev() {
                let promoted = &at_least[k - 1] & &p;
                at_least[k] |= promoted;
            }
            at_least[0] |= p;
        }
        at_least.pop().unwrap_or_default()
    }
}
