//! Matching node: holds blinding key b, turns H(x)^a submissions into tags H(x)^(ab), indexes
//! users by tag, and answers requests with recipient sets. It never sees a token, an embedding,
//! or H(x) itself.

use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::group::{Blinded, BlindingKey};
use crate::index::{TagIndex, TagMap};
use crate::MatchingError;

/// What a user client sends: its index and its OPRF outputs H(x)^a (exact tokens and LSH bands
/// in one unordered list; the node cannot tell them apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSubmission {
    pub user: u32,
    pub tags: Vec<Blinded>,
}

/// What a requester sends: H(c)^a for each criterion token, grouped as AND of OR clauses, plus
/// H(band)^a of the request embedding's LSH bands and the candidate threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSubmission {
    pub id: u64,
    pub clauses: Vec<Vec<Blinded>>,
    pub bands: Vec<Blinded>,
    pub min_bands: u32,
}

pub struct MatchingNode {
    key: BlindingKey,
    index: TagIndex,
    users: RoaringBitmap,
}

impl MatchingNode {
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            key: BlindingKey::random(rng),
            index: TagIndex::default(),
            users: RoaringBitmap::new(),
        }
    }

    /// Applies b once per distinct input (equal inputs are equal to the node anyway), in parallel,
    /// and returns the input -> tag table.
    fn blind_distinct<'a, I>(&self, inputs: I) -> Result<TagMap<Blinded>, MatchingError>
    where
        I: Iterator<Item = &'a Blinded>,
    {
        let mut distinct: Vec<Blinded> = inputs.copied().collect();
        distinct.par_sort_unstable();
        distinct.dedup();
        let out = self.key.apply_batch(&distinct)?;
        Ok(distinct.into_iter().zip(out).collect())
    }

    /// Ingests user submissions (any batch size; call repeatedly to grow the index). Tags get
    /// dense ids, (id, user) pairs are sorted in parallel, and each run becomes a bitmap built
    /// from a sorted iterator, bitmaps in parallel.
    pub fn ingest(&mut self, subs: &[UserSubmission]) -> Result<(), MatchingError> {
        let table = self.blind_distinct(subs.iter().flat_map(|s| s.tags.iter()))?;
        let tags: Vec<Blinded> = table.values().copied().collect();
        let ids: TagMap<u32> = table
            .iter()
            .zip(0u32..)
            .map(|((input, _), id)| (*input, id))
            .collect();
        let mut pairs: Vec<u64> = subs
            .par_iter()
            .flat_map_iter(|s| {
                let ids = &ids;
                s.tags
                    .iter()
                    .filter_map(move |t| ids.get(t))
                    .map(move |id| (u64::from(*id) << 32) | u64::from(s.user))
            })
            .collect();
        pairs.par_sort_unstable();
        pairs.dedup();
        let mut starts: Vec<usize> = (0..pairs.len())
            .into_par_iter()
            .filter(|&k| k == 0 || pairs[k] >> 32 != pairs[k - 1] >> 32)
            .collect();
        starts.push(pairs.len());
        let bitmaps: Vec<(u32, RoaringBitmap)> = starts
            .par_windows(2)
            .map(|w| {
                let run = &pairs[w[0]..w[1]];
                let id = (run[0] >> 32) as u32;
                let users = run.iter().map(|p| *p as u32);
                (
                    id,
                    RoaringBitmap::from_sorted_iter(users).unwrap_or_default(),
                )
            })
            .collect();
        for (id, users) in bitmaps {
            self.users |= &users;
            self.index.merge(tags[id as usize], users);
        }
        for s in subs {
            self.users.insert(s.user);
        }
        Ok(())
    }

    pub fn index(&self) -> &TagIndex {
        &self.index
    }

    pub fn users(&self) -> &RoaringBitmap {
        &self.users
    }

    /// Matches a batch of requests: blinds their criteria (deduplicated, parallel), then
    /// evaluates each request on the index, requests in parallel.
    pub fn match_requests(
        &self,
        reqs: &[RequestSubmission],
    ) -> Result<Vec<(u64, RoaringBitmap)>, MatchingError> {
        if reqs
            .iter()
            .any(|r| r.clauses.is_empty() && r.bands.is_empty())
        {
            return Err(MatchingError::EmptyRequest);
        }
        let table = self.blind_distinct(
            reqs.iter()
                .flat_map(|r| r.clauses.iter().flatten().chain(r.bands.iter())),
        )?;
        let tag = |b: &Blinded| table.get(b).copied().unwrap_or([0u8; 32]);
        Ok(reqs
            .par_iter()
            .map(|r| {
                let clauses: Vec<Vec<Blinded>> = r
                    .clauses
                    .iter()
                    .map(|c| c.iter().map(tag).collect())
                    .collect();
                let bands: Vec<Blinded> = r.bands.iter().map(tag).collect();
                (r.id, self.index.evaluate(&clauses, &bands, r.min_bands))
            })
            .collect())
    }
}
