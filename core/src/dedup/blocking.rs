//! Blocking keys from normalised parts, and the candidate pairs they give.
//!
//! A record gets keys from the fields its policy blocks on: a company's 字号 and, for 字号
//! of four characters or more, the 字号 with each character deleted in turn (two names one
//! slip apart share one of them: an insertion, deletion, substitution or swap), and its
//! pinyin (homophones), the 字号 with its industry words (selective where a common 字号 is
//! not); a phone's E.164; an e-mail's mailbox and its domain (not a
//! free-mail one); a domain; a credit code. Keys are 64-bit FNV-1a hashes of (field, kind,
//! value): a collision only adds a candidate, which scoring then rejects. A key shared by
//! more than `max_block_size` records finds no candidates (a switchboard, a common 字号).

use std::hash::Hasher;

use super::compare::display;
use super::packed::ValueRef;
use super::policy::MatchPolicy;
use super::score::Prepared;
use super::threads::in_runs;
use crate::error::Result;
use crate::hash::Fnv1a;

/// Most candidate pairs one batch may score (declared limit: README Limits table).
pub const MAX_CANDIDATE_PAIRS: u64 = 50_000_000;

/// A map keyed by blocking-key hashes (hashed no further).
pub(crate) type KeyMap<V> = crate::hash::PrehashedMap<V>;

fn key(field: usize, kind: u8, text: &str) -> u64 {
    let mut h = key_start(field, kind);
    h.write(text.as_bytes());
    h.0
}

/// The key under which an index finds a record by its id (no field has this number).
pub(crate) fn id_key(id: &str) -> u64 {
    key(usize::MAX, b'#', id)
}

/// The hasher after a key's field and kind, before its text.
fn key_start(field: usize, kind: u8) -> Fnv1a {
    let mut h = Fnv1a::default();
    h.write(&(field as u64).to_le_bytes());
    h.write(&[kind]);
    h
}

/// The records under one key of an index: most keys (a 字号 with a character left out, a
/// phone) have one, which needs no allocation of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Members {
    One(u32),
    Many(Vec<u32>),
}

impl Members {
    pub(crate) fn push(&mut self, r: u32) {
        match self {
            Self::One(a) => *self = Self::Many(vec![*a, r]),
            Self::Many(v) => v.push(r),
        }
    }

    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Self::One(a) => std::slice::from_ref(a),
            Self::Many(v) => v,
        }
    }

    /// Removes `r`; whether none is left.
    pub(crate) fn remove(&mut self, r: u32) -> bool {
        match self {
            Self::One(a) => *a == r,
            Self::Many(v) => {
                v.retain(|&m| m != r);
                v.is_empty()
            }
        }
    }
}

/// The blocking keys of a prepared record, appended to `out` (sorted, without repeats).
pub(crate) fn keys(policy: &MatchPolicy, p: &Prepared, out: &mut Vec<u64>) {
    let start = out.len();
    for (i, (spec, value)) in policy.fields.iter().zip(p.iter()).enumerate() {
        let Some(value) = value else { continue };
        if !spec.blocks() {
            continue;
        }
        match value {
            ValueRef::Company(c) => {
                out.push(key(i, b'd', c.brand));
                let n = c.brand.chars().count();
                if (4..=16).contains(&n) {
                    // Each character left out in turn, hashed as the bytes on either side of
                    // it (the same hash as the shorter string, without building it).
                    let start = key_start(i, b'd');
                    let bytes = c.brand.as_bytes();
                    for (at, ch) in c.brand.char_indices() {
                        let mut h = start;
                        h.write(&bytes[..at]);
                        h.write(&bytes[at + ch.len_utf8()..]);
                        out.push(h.0);
                    }
                }
                if let Some(py) = c.pinyin.filter(|_| n >= 3) {
                    out.push(key(i, b'p', py));
                }
                // The 字号 with its industry: far more selective than the 字号 alone, so
                // that a common 字号 (东方, 华信) whose own block is over `max_block_size`
                // still finds its spellings (region in brackets, 有限责任公司, traditional).
                if let Some(industry) = c.industry {
                    let mut h = Fnv1a(key(i, b'i', c.brand));
                    h.write(b"|");
                    h.write(industry.as_bytes());
                    out.push(h.0);
                }
            }
            ValueRef::Email { canonical, domain, free_mail } => {
                out.push(key(i, b'e', canonical));
                if !free_mail {
                    out.push(key(i, b'm', domain));
                }
            }
            ValueRef::Domain { free_mail: true, .. } => {}
            ValueRef::Phone { e164, .. } => out.push(key(i, b'p', e164)),
            other => out.push(key(i, b'v', &display(other))),
        }
    }
    out[start..].sort_unstable();
    let mut kept = start;
    for j in start..out.len() {
        if j == start || out[j] != out[kept - 1] {
            out[kept] = out[j];
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// Every (key, record number) of a table, sorted, in parts (one after the other, a key's
/// entries all in one part): a block is a run of one key, its records in record order. One
/// sort instead of a map of vectors.
///
/// On several threads (as the records are read): each computes the keys of a run of rows,
/// then each sorts one range of the key space (keys are hashes, so the ranges hold about as
/// many entries each); the ranges put back in order are the one sort, on any number of threads.
pub(crate) fn block_entries(policy: &MatchPolicy, prepared: &[Prepared]) -> Vec<Vec<(u64, u32)>> {
    let threads = policy.threads_for(prepared.len() as u64, 20_000);
    let runs = in_runs(prepared.len(), threads, &|start, end| {
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity((end - start) * 4);
        let mut buf = Vec::new();
        for (r, p) in prepared[start..end].iter().enumerate() {
            buf.clear();
            keys(policy, p, &mut buf);
            entries.extend(buf.iter().map(|&k| (k, (start + r) as u32)));
        }
        entries
    });
    sorted_in_ranges(runs, threads)
}

/// (hash, row) entries computed in runs, sorted as one list cut in parts (a hash's entries
/// all in one part): each of `threads` threads sorts one range of the hash space (hashes
/// are spread evenly, so the ranges hold about as many entries each); the parts put back
/// in order are the one sort, on any number of threads.
fn sorted_in_ranges(runs: Vec<Vec<(u64, u32)>>, threads: usize) -> Vec<Vec<(u64, u32)>> {
    if threads == 1 {
        let mut entries = runs.into_iter().flatten().collect::<Vec<_>>();
        entries.sort_unstable();
        return vec![entries];
    }
    // Range k holds the keys whose top 32 bits times `threads` have k as their top 32 bits.
    let range_of = |key: u64| (((key >> 32) * threads as u64) >> 32) as usize;
    let sorted = in_runs(threads, threads, &|k, _| {
        let mut part: Vec<(u64, u32)> =
            runs.iter().flat_map(|run| run.iter().copied().filter(|e| range_of(e.0) == k)).collect();
        part.sort_unstable();
        part
    });
    drop(runs);
    sorted
}

/// The first id that repeats an earlier one, as `(its row, the earlier row)`: the first a
/// scan in row order would meet. Ids are hashed and sorted on up to `threads` threads (a
/// hash map of a million ids on one thread was a tenth of a second of a batch's wall time);
/// equal hashes are compared as text, so a collision is never taken for a repeat.
pub(crate) fn first_repeat<S: AsRef<str> + Sync>(ids: &[S], threads: usize) -> Option<(usize, usize)> {
    first_repeat_by(ids, threads, &|id: &str| {
        let mut h = Fnv1a::default();
        h.write(id.as_bytes());
        // FNV-1a's high bits mix poorly on short keys: spread them (the ranges cut on them).
        let mut x = h.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    })
}

/// [`first_repeat`] under a given hash (a test gives one that collides).
fn first_repeat_by<S: AsRef<str> + Sync>(
    ids: &[S],
    threads: usize,
    hash: &(dyn Fn(&str) -> u64 + Sync),
) -> Option<(usize, usize)> {
    let threads = threads.max(1);
    let runs = in_runs(ids.len(), threads, &|start, end| {
        (start..end).map(|i| (hash(ids[i].as_ref()), i as u32)).collect::<Vec<_>>()
    });
    let mut first: Option<(usize, usize)> = None;
    for part in sorted_in_ranges(runs, threads) {
        for run in part.chunk_by(|x, y| x.0 == y.0).filter(|run| run.len() > 1) {
            // Rows ascending: the first row that repeats an earlier one of this hash.
            let repeat = run.iter().enumerate().find_map(|(j, &(_, row))| {
                let text = ids[row as usize].as_ref();
                run[..j].iter().find(|e| ids[e.1 as usize].as_ref() == text).map(|e| (row as usize, e.1 as usize))
            });
            if let Some(r) = repeat {
                first = Some(first.map_or(r, |f| f.min(r)));
            }
        }
    }
    first
}

/// What blocking found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockStats {
    /// Keys shared by more than `max_block_size` records, not used.
    pub skipped_keys: u64,
}

/// Candidate pairs `(i, j)`, `i < j`, sorted and without repeats.
///
/// # Errors
///
/// `limit_exceeded` at `records` when they would exceed [`MAX_CANDIDATE_PAIRS`].
pub(crate) fn candidate_pairs(policy: &MatchPolicy, prepared: &[Prepared]) -> Result<(Vec<(u32, u32)>, BlockStats)> {
    let entries = block_entries(policy, prepared);
    let runs: Vec<&[(u64, u32)]> = entries.iter().flat_map(|part| part.chunk_by(|x, y| x.0 == y.0)).collect();
    let cap = policy.max_block_size as usize;
    let mut stats = BlockStats::default();
    let mut total: u64 = 0;
    for members in &runs {
        if members.len() > cap {
            stats.skipped_keys += 1;
        } else {
            let n = members.len() as u64;
            total = total.saturating_add(n * n.saturating_sub(1) / 2);
        }
    }
    if total > MAX_CANDIDATE_PAIRS.saturating_mul(2) {
        return Err(crate::limits::exceeded("records", total, MAX_CANDIDATE_PAIRS, "candidate pairs"));
    }
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(total as usize);
    for members in runs.iter().filter(|m| m.len() >= 2 && m.len() <= cap) {
        for (x, &(_, a)) in members.iter().enumerate() {
            for &(_, b) in &members[x + 1..] {
                pairs.push((a, b));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    crate::limits::check("records", pairs.len(), MAX_CANDIDATE_PAIRS, "candidate pairs")?;
    Ok((pairs, stats))
}

/// A table's used blocks (keys shared by 2 to `max_block_size` records), each a run of rows,
/// and each row's used blocks: the batch scores a block's pairs together, reading each of
/// its records once, and a pair in several blocks only in the first they share (blocks are
/// numbered in key order, as [`candidate_pairs`] sorts them).
pub(crate) struct Blocks {
    /// The rows of every used block, block after block, each block's in row order.
    rows: Vec<u32>,
    /// Block `b` is `rows[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    /// Row `r`'s blocks, ascending, are `of_row[row_starts[r]..row_starts[r + 1]]`.
    of_row: Vec<u32>,
    row_starts: Vec<u32>,
    /// Keys shared by more than `max_block_size` records, not used.
    pub skipped_keys: u64,
}

impl Blocks {
    /// The blocks of a table.
    ///
    /// # Errors
    ///
    /// `limit_exceeded` at `records` when the blocks hold more than twice
    /// [`MAX_CANDIDATE_PAIRS`] pairs before those in several blocks are counted once (checked
    /// before any is scored; the pairs scored are checked against the limit itself).
    pub(crate) fn new(policy: &MatchPolicy, prepared: &[Prepared]) -> Result<Self> {
        let entries = block_entries(policy, prepared);
        let cap = policy.max_block_size as usize;
        let mut blocks =
            Self { rows: Vec::new(), starts: vec![0], of_row: Vec::new(), row_starts: Vec::new(), skipped_keys: 0 };
        let mut total: u64 = 0;
        let mut per_row = vec![0u32; prepared.len() + 1];
        for run in entries.iter().flat_map(|part| part.chunk_by(|x, y| x.0 == y.0)) {
            if run.len() > cap {
                blocks.skipped_keys += 1;
                continue;
            }
            if run.len() < 2 {
                continue;
            }
            let n = run.len() as u64;
            total = total.saturating_add(n * (n - 1) / 2);
            for &(_, r) in run {
                blocks.rows.push(r);
                per_row[r as usize + 1] += 1;
            }
            blocks.starts.push(blocks.rows.len() as u32);
        }
        drop(entries);
        if total > MAX_CANDIDATE_PAIRS.saturating_mul(2) {
            return Err(crate::limits::exceeded("records", total, MAX_CANDIDATE_PAIRS, "candidate pairs"));
        }
        for r in 1..per_row.len() {
            per_row[r] += per_row[r - 1];
        }
        let mut fill = per_row.clone();
        let mut of_row = vec![0; blocks.rows.len()];
        for b in 0..blocks.len() {
            for &r in blocks.block(b) {
                of_row[fill[r as usize] as usize] = b as u32;
                fill[r as usize] += 1;
            }
        }
        blocks.of_row = of_row;
        blocks.row_starts = per_row;
        Ok(blocks)
    }

    /// Number of used blocks.
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The rows of block `b`, ascending.
    pub(crate) fn block(&self, b: usize) -> &[u32] {
        &self.rows[self.starts[b] as usize..self.starts[b + 1] as usize]
    }

    /// Pairs in block `b`, counted once in each block they are in.
    pub(crate) fn work(&self, b: usize) -> u64 {
        let n = u64::from(self.starts[b + 1] - self.starts[b]);
        n * n.saturating_sub(1) / 2
    }

    fn of(&self, r: u32) -> &[u32] {
        &self.of_row[self.row_starts[r as usize] as usize..self.row_starts[r as usize + 1] as usize]
    }

    /// Row `r`'s used blocks numbered below `block` (ascending): two rows of `block` are
    /// scored there when these share none.
    pub(crate) fn before(&self, r: u32, block: usize) -> &[u32] {
        let of = self.of(r);
        &of[..of.partition_point(|&b| (b as usize) < block)]
    }
}

/// Whether two ascending lists of block numbers share one. Most rows are in a handful of
/// blocks and most lists here are empty: the batch asks this for every pair of a block.
pub(crate) fn share_any(x: &[u32], y: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(&a), Some(&b)) = (x.get(i), y.get(j)) {
        match a.cmp(&b) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first repeat a scan in row order meets, on any number of threads, with the real
    /// hash and with one under which most ids collide (told apart by their text).
    #[test]
    fn first_repeat_is_the_scan_s() {
        let mut state = 11u64;
        let mut next = |m: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        for case in 0..40 {
            let n = [0, 1, 2, 50, 3_000][case % 5];
            let ids: Vec<String> =
                (0..n).map(|_| format!("C{}", next(if case % 2 == 0 { 5_000 } else { 1 << 40 }))).collect();
            let mut seen = std::collections::HashMap::new();
            let scan = ids.iter().enumerate().find_map(|(i, id)| seen.insert(id.as_str(), i).map(|first| (i, first)));
            for threads in [1, 2, 3, 7] {
                assert_eq!(first_repeat(&ids, threads), scan, "case {case} threads {threads}");
                let colliding = |id: &str| (id.len() as u64) << 60;
                assert_eq!(first_repeat_by(&ids, threads, &colliding), scan, "case {case} threads {threads}");
            }
        }
    }
}
