//! Check one record against an indexed book (查重 / 客户报备): the book's records read once,
//! their blocking keys in a map, updated record by record, persisted as versioned bytes,
//! and queried with one incoming record for ranked candidates and who holds them (撞单).

use serde::{Deserialize, Serialize};

use super::blocking::{id_key, keys, KeyMap, Members};
use super::company_match::Verdict;
use super::compare::{display, value_shows};
use super::policy::MatchPolicy;
use super::score::{
    prepare_record, prepare_values, Band, DedupRecord, FieldExplanation, Issue, Prepared, Scorer, TermFrequencies,
};
use super::threads::in_runs;
use crate::error::{Error, Result};

/// Most records an index holds (declared limit: README Limits table).
pub const MAX_INDEX_RECORDS: u64 = 20_000_000;
/// The byte format this crmkit writes and reads.
pub const INDEX_FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CRMKDDIX";
const HEADER: usize = 8 + 4 + 8 + 8;

/// One record of the book, in one allocation: its values packed, followed by its id, its
/// owner, a mask of the policy's fields whose raw value is the normalised one, and the other
/// raw values as given (for `to_bytes`: a record's other fields are never read, so they are
/// not kept). Most raw company names and e-mails are their normalised form already.
#[derive(Debug, Clone)]
struct Entry {
    prepared: Prepared,
}

impl Entry {
    fn id(&self) -> &str {
        self.prepared.extras().next().flatten().unwrap_or("")
    }
}

/// A run of records read for a build.
struct Part {
    entries: Vec<Entry>,
    pairs: Vec<(u64, u32)>,
    ids: Vec<(u64, u32)>,
}

/// The blocking keys: those of the records held at the last rebuild in two sorted columns
/// (12 bytes a key, where a hash map of vectors took 40 and more), and the changes since in
/// small maps, folded in when they grow. The record's id is a key too (kind `#`), so that
/// `remove` and `update` find a record without a map of id strings.
#[derive(Debug, Clone, Default)]
#[allow(clippy::struct_field_names)] // base_keys beside base_slots reads better than a bare `keys`
struct Keys {
    /// Sorted by (key, slot).
    base_keys: Vec<u64>,
    base_slots: Vec<u32>,
    /// Where the base keys of each high-bit prefix start (`dir[p]..dir[p + 1]`): a lookup
    /// reads one or two cache lines instead of a binary search's two dozen.
    dir: Vec<u32>,
    /// Key bits below the prefix.
    shift: u32,
    /// Slots below this were in the base.
    base_end: u32,
    /// Records added since, by key.
    added: KeyMap<Members>,
    /// Base records removed since, counted by key.
    removed: KeyMap<u32>,
}

impl Keys {
    fn base_range(&self, k: u64) -> std::ops::Range<usize> {
        let p = k.checked_shr(self.shift).unwrap_or(0) as usize;
        let (Some(&start), Some(&end)) = (self.dir.get(p), self.dir.get(p + 1)) else { return 0..0 };
        let bucket = &self.base_keys[start as usize..end as usize];
        let lo = bucket.partition_point(|&x| x < k);
        let hi = lo + bucket[lo..].partition_point(|&x| x == k);
        start as usize + lo..start as usize + hi
    }

    /// Sets the base to `pairs` (key, slot), sorted here.
    fn set_base(&mut self, mut pairs: Vec<(u64, u32)>, slots: usize) {
        pairs.sort_unstable();
        self.base_keys = pairs.iter().map(|p| p.0).collect();
        self.base_slots = pairs.iter().map(|p| p.1).collect();
        drop(pairs);
        // About three keys a prefix: 2^(bits) prefixes for 4 × 2^(bits) keys and fewer.
        let bits = (u64::BITS - (self.base_keys.len() as u64).leading_zeros()).saturating_sub(2).min(26);
        self.shift = u64::BITS - bits;
        let prefixes = 1usize << bits;
        self.dir = Vec::with_capacity(prefixes + 1);
        let mut at = 0usize;
        for p in 0..prefixes {
            while at < self.base_keys.len() && (self.base_keys[at].checked_shr(self.shift).unwrap_or(0) as usize) < p {
                at += 1;
            }
            self.dir.push(at as u32);
        }
        self.dir.push(self.base_keys.len() as u32);
        self.base_end = slots as u32;
        self.added = KeyMap::default();
        self.removed = KeyMap::default();
    }

    /// How many live records hold key `k`.
    fn count(&self, k: u64) -> usize {
        let base = self.base_range(k).len().saturating_sub(self.removed.get(&k).map_or(0, |&n| n as usize));
        base + self.added.get(&k).map_or(0, |m| m.as_slice().len())
    }

    /// The live records holding key `k`, appended to `out`.
    fn members(&self, k: u64, slots: &[Option<Entry>], out: &mut Vec<u32>) {
        let range = self.base_range(k);
        let base = &self.base_slots[range];
        if self.removed.contains_key(&k) {
            out.extend(base.iter().copied().filter(|&s| slots[s as usize].is_some()));
        } else {
            out.extend_from_slice(base);
        }
        if let Some(m) = self.added.get(&k) {
            out.extend_from_slice(m.as_slice());
        }
    }

    fn add(&mut self, k: u64, slot: u32) {
        self.added.entry(k).and_modify(|m| m.push(slot)).or_insert(Members::One(slot));
    }

    fn remove(&mut self, k: u64, slot: u32) {
        if slot < self.base_end {
            *self.removed.entry(k).or_insert(0) += 1;
        } else if let Some(m) = self.added.get_mut(&k)
            && m.remove(slot)
        {
            self.added.remove(&k);
        }
    }

    /// Whether the changes since the last rebuild are worth folding in.
    fn stale(&self) -> bool {
        self.added.len() + self.removed.len() > 4096 + self.base_keys.len() / 4
    }
}

/// An indexed book of records.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{DedupIndex, MatchPolicy, DedupRecord, Verdict};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}},
///              {"field": "phone", "comparator": {"type": "phone"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
///                           {"name": "same phone", "all": [{"field": "phone"}]}],
///             "related": [{"name": "same group", "all": [{"field": "company", "verdict": "RELATED"}]}]}
/// }"#, "")?;
/// let book: Vec<DedupRecord> = from_json(r#"[
///   {"id": "C1", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司", "phone": "010-62345678"}},
///   {"id": "C2", "owner": "李雷", "fields": {"company": "小米科技有限责任公司"}}
/// ]"#, "records")?;
/// let index = DedupIndex::build(&policy, &book)?;
/// let lead: DedupRecord = from_json(r#"{"id": "L9", "fields": {"company": "字节跳动（北京）科技有限公司"}}"#, "record")?;
/// let found = index.query(&lead, 10)?;
/// assert_eq!(found.claimed_by.as_deref(), Some("王芳")); // 撞单: 王芳 holds it
/// assert_eq!(found.candidates[0].verdict, Verdict::Duplicate);
/// let again = DedupIndex::from_bytes(&index.to_bytes())?;
/// assert_eq!(again.query(&lead, 10)?, found);
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DedupIndex {
    policy: MatchPolicy,
    /// Records by slot; a removed one leaves `None` until the next rebuild of the keys.
    slots: Vec<Option<Entry>>,
    keys: Keys,
    tf: TermFrequencies,
    /// Whether any field's weight uses term frequencies (only then are they counted).
    uses_tf: bool,
    live: usize,
}

/// A candidate found for an incoming record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Candidate {
    /// The book record's id.
    pub id: String,
    /// Who holds it.
    pub owner: Option<String>,
    /// DUPLICATE or RELATED.
    pub verdict: Verdict,
    /// For ranking (see `PairMatch::score`).
    pub score: f64,
    /// Fellegi-Sunter match weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_weight: Option<f64>,
    /// Fellegi-Sunter band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Band>,
    /// The rule that decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Field by field.
    pub fields: Vec<FieldExplanation>,
}

/// The answer to "is this record already in the book?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct QueryReport {
    /// The best verdict found: DUPLICATE, RELATED, or DISTINCT when nothing matched.
    pub verdict: Verdict,
    /// Owner of the best DUPLICATE candidate: the rep who already holds this account.
    pub claimed_by: Option<String>,
    /// DUPLICATE then RELATED candidates, best score first (ties by id), at most `limit`.
    pub candidates: Vec<Candidate>,
    /// Book records compared.
    pub compared: u64,
    /// The incoming record's blocking keys shared by too many records to be used.
    pub skipped_keys: u64,
    /// The incoming record's values that could not be read.
    pub issues: Vec<Issue>,
}

/// The persisted form: the policy and the records; keys are rebuilt on load.
#[derive(Serialize, Deserialize)]
struct Stored {
    policy: MatchPolicy,
    records: Vec<DedupRecord>,
}

impl Entry {
    /// The record as persisted: its id, owner and the policy's fields it has.
    fn record(&self, policy: &MatchPolicy) -> DedupRecord {
        let mut parts = self.prepared.extras();
        let id = parts.next().flatten().unwrap_or("").to_owned();
        let owner = parts.next().flatten().map(str::to_owned);
        let same = parts.next().flatten().unwrap_or("");
        let fields = policy
            .fields
            .iter()
            .enumerate()
            .zip(parts)
            .filter_map(|((i, f), raw)| {
                let raw = if same.as_bytes().get(i) == Some(&b'1') {
                    self.prepared.get(i).map(display)
                } else {
                    raw.map(str::to_owned)
                };
                raw.map(|v| (f.field.clone(), Some(v)))
            })
            .collect();
        DedupRecord { id, owner, fields }
    }

    fn owner(&self) -> Option<&str> {
        self.prepared.extras().nth(1).flatten()
    }
}

impl DedupIndex {
    /// An empty index for a policy.
    ///
    /// # Errors
    ///
    /// The policy's validation errors (a Fellegi-Sunter model must be trained).
    pub fn new(policy: &MatchPolicy) -> Result<Self> {
        Scorer::new(policy, None)?;
        Ok(Self {
            policy: policy.clone(),
            slots: Vec::new(),
            keys: Keys::default(),
            tf: TermFrequencies::new(policy.fields.len()),
            uses_tf: policy.fellegi_sunter.as_ref().is_some_and(|m| m.fields.iter().any(|f| f.tf_adjust)),
            live: 0,
        })
    }

    /// An index of a whole book.
    ///
    /// # Errors
    ///
    /// As [`DedupIndex::new`]; `duplicate_name` at `records[i].id` for a repeated id;
    /// `limit_exceeded` at `records` beyond [`MAX_INDEX_RECORDS`]. Unreadable values are blank
    /// for matching (see [`DedupIndex::add`]).
    pub fn build(policy: &MatchPolicy, records: &[DedupRecord]) -> Result<Self> {
        Self::build_on(policy, records, policy.threads_for(records.len() as u64, 20_000))
    }

    fn build_on(policy: &MatchPolicy, records: &[DedupRecord], threads: usize) -> Result<Self> {
        let mut index = Self::new(policy)?;
        crate::limits::check("records", records.len(), MAX_INDEX_RECORDS, "records")?;
        index.slots.reserve_exact(records.len());
        // About nine keys a record (字号, its slips, pinyin, 字号 + industry, phone, e-mail, id).
        // Reading the records (normalising every value) is most of the work and each record's
        // reading is independent: on several threads, each a contiguous run of records, put
        // back in record order, so the index is the same whatever the number of threads.
        let parts = in_runs(records.len(), threads, &|start, end| index.read_part(records, start, end));
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut ids: Vec<(u64, u32)> = Vec::with_capacity(records.len());
        for part in parts {
            let part = part?;
            if pairs.is_empty() {
                pairs = part.pairs;
            } else {
                pairs.extend_from_slice(&part.pairs);
            }
            ids.extend_from_slice(&part.ids);
            for entry in part.entries {
                if index.uses_tf {
                    index.tf.add(&entry.prepared, 1);
                }
                index.slots.push(Some(entry));
            }
        }
        index.live = index.slots.len();
        ids.sort_unstable();
        index.check_unique_ids(&ids)?;
        pairs.extend_from_slice(&ids);
        drop(ids);
        index.set_base(pairs);
        Ok(index)
    }

    /// Records `start..end` of a build read: their entries, keys and id keys (slots are
    /// record numbers).
    fn read_part(&self, records: &[DedupRecord], start: usize, end: usize) -> Result<Part> {
        let n = end.saturating_sub(start);
        let mut part = Part {
            entries: Vec::with_capacity(n),
            pairs: Vec::with_capacity(n.saturating_mul(9)),
            ids: Vec::with_capacity(n),
        };
        let mut buf = Vec::with_capacity(24);
        let mut scratch = (String::with_capacity(512), String::with_capacity(256));
        for (i, r) in records.iter().enumerate().take(end).skip(start) {
            let (entry, _) = self.entry(r, &format!("records[{i}]"), &mut scratch)?;
            buf.clear();
            keys(&self.policy, &entry.prepared, &mut buf);
            let slot = i as u32;
            part.ids.push((id_key(&r.id), slot));
            part.pairs.extend(buf.iter().map(|&k| (k, slot)));
            part.entries.push(entry);
        }
        Ok(part)
    }

    /// `duplicate_name` for the first repeated id of a fresh build, in record order, from
    /// its (id key, slot) pairs sorted.
    fn check_unique_ids(&self, ids: &[(u64, u32)]) -> Result<()> {
        let mut first_repeat: Option<u32> = None;
        for run in ids.chunk_by(|x, y| x.0 == y.0).filter(|run| run.len() > 1) {
            for (j, &(_, later)) in run.iter().enumerate().skip(1) {
                let id = self.id_of(later);
                if run[..j].iter().any(|&(_, e)| self.id_of(e) == id) {
                    first_repeat = Some(first_repeat.map_or(later, |l| l.min(later)));
                    break;
                }
            }
        }
        match first_repeat {
            None => Ok(()),
            Some(later) => Err(Error::DuplicateName {
                path: format!("records[{later}].id"),
                name: self.id_of(later).to_owned(),
                first: "the index".into(),
            }),
        }
    }

    fn id_of(&self, slot: u32) -> &str {
        self.slots[slot as usize].as_ref().map_or("", Entry::id)
    }

    /// Makes `pairs` (key, slot) the sorted base, with no changes pending.
    fn set_base(&mut self, pairs: Vec<(u64, u32)>) {
        self.keys.set_base(pairs, self.slots.len());
    }

    /// Folds the changes since the last rebuild into the sorted base, dropping removed slots.
    fn rebuild_keys(&mut self) {
        self.slots.retain(Option::is_some);
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(self.keys.base_keys.len());
        let mut buf = Vec::with_capacity(24);
        for (slot, e) in self.slots.iter().enumerate() {
            let Some(e) = e else { continue };
            buf.clear();
            keys(&self.policy, &e.prepared, &mut buf);
            buf.push(id_key(e.id()));
            pairs.extend(buf.iter().map(|&k| (k, slot as u32)));
        }
        self.set_base(pairs);
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The policy it matches by.
    pub fn policy(&self) -> &MatchPolicy {
        &self.policy
    }

    /// The slot of the live record with this id.
    fn slot_of(&self, id: &str) -> Option<u32> {
        let mut found = Vec::new();
        self.keys.members(id_key(id), &self.slots, &mut found);
        found.into_iter().find(|&s| self.id_of(s) == id)
    }

    /// Adds a record; returns the values that could not be read (they are blank for
    /// matching: a lead with a mistyped phone is still found by its company).
    ///
    /// # Errors
    ///
    /// `duplicate_name` at `record.id` when the id is already held; `limit_exceeded` at
    /// `records` beyond [`MAX_INDEX_RECORDS`].
    pub fn add(&mut self, record: &DedupRecord) -> Result<Vec<Issue>> {
        self.insert(record, "record")
    }

    /// Removes the record with this id; `false` when there is none.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slot_of(id) else { return false };
        let Some(entry) = self.slots[slot as usize].take() else { return false };
        // The keys are computed again rather than kept: a vector per record for removals only.
        let mut record_keys = Vec::new();
        keys(&self.policy, &entry.prepared, &mut record_keys);
        record_keys.push(id_key(id));
        for &k in &record_keys {
            self.keys.remove(k, slot);
        }
        if self.uses_tf {
            self.tf.add(&entry.prepared, -1);
        }
        self.live -= 1;
        if self.keys.stale() {
            self.rebuild_keys();
        }
        true
    }

    /// Replaces the record with the same id (or adds it).
    ///
    /// # Errors
    ///
    /// As [`DedupIndex::add`].
    pub fn update(&mut self, record: &DedupRecord) -> Result<Vec<Issue>> {
        self.remove(&record.id);
        self.insert(record, "record")
    }

    /// A record read for the index, and the values that could not be read.
    fn entry(&self, record: &DedupRecord, path: &str, scratch: &mut (String, String)) -> Result<(Entry, Vec<Issue>)> {
        let mut issues = Vec::new();
        let values = prepare_values(&self.policy, record, path, Some(&mut issues))?;
        let raw: Vec<Option<&str>> =
            self.policy.fields.iter().map(|f| record.fields.get(&f.field).and_then(|v| v.as_deref())).collect();
        let mut same = [b'0'; 64];
        let mask = &mut same[..raw.len().min(64)];
        for (i, m) in mask.iter_mut().enumerate() {
            if let (Some(r), Some(Some(v))) = (raw[i], values.get(i))
                && value_shows(v, r)
            {
                *m = b'1';
            }
        }
        let mask: &[u8] = mask;
        let kept = raw.iter().enumerate().map(|(i, r)| if mask.get(i) == Some(&b'1') { None } else { *r });
        let mask = std::str::from_utf8(mask).unwrap_or("");
        let extras = [Some(record.id.as_str()), record.owner.as_deref(), Some(mask)].into_iter().chain(kept);
        Ok((Entry { prepared: Prepared::pack_with(&values, extras, scratch) }, issues))
    }

    fn insert(&mut self, record: &DedupRecord, path: &str) -> Result<Vec<Issue>> {
        if self.slot_of(&record.id).is_some() {
            return Err(Error::DuplicateName {
                path: format!("{path}.id"),
                name: record.id.clone(),
                first: "the index".into(),
            });
        }
        crate::limits::check("records", self.live as u64 + 1, MAX_INDEX_RECORDS, "records")?;
        let (entry, issues) = self.entry(record, path, &mut (String::new(), String::new()))?;
        let mut record_keys = Vec::with_capacity(24);
        keys(&self.policy, &entry.prepared, &mut record_keys);
        record_keys.push(id_key(&record.id));
        let slot = u32::try_from(self.slots.len())
            .map_err(|_| crate::limits::exceeded("records", self.slots.len() as u64, MAX_INDEX_RECORDS, "records"))?;
        for &k in &record_keys {
            self.keys.add(k, slot);
        }
        if self.uses_tf {
            self.tf.add(&entry.prepared, 1);
        }
        self.slots.push(Some(entry));
        self.live += 1;
        if self.keys.stale() {
            self.rebuild_keys();
        }
        Ok(issues)
    }

    /// Finds the book's records that duplicate or relate to `record`, best first.
    ///
    /// A key shared by more than the policy's `max_block_size` records is not used (it is
    /// counted in `skipped_keys`): a query scores at most that many records per key, so its
    /// time stays bounded however large the book grows.
    ///
    /// # Errors
    ///
    /// `out_of_range` at `limit` when 0 or above 10,000.
    pub fn query(&self, record: &DedupRecord, limit: usize) -> Result<QueryReport> {
        if !(1..=10_000).contains(&limit) {
            return Err(Error::out_of_range("limit", limit, 1, 10_000));
        }
        let scorer = Scorer::new(&self.policy, Some(&self.tf))?;
        let mut issues = Vec::new();
        let prepared = prepare_record(&self.policy, record, "record", Some(&mut issues))?;
        let mut record_keys = Vec::new();
        keys(&self.policy, &prepared, &mut record_keys);
        let cap = self.policy.max_block_size as usize;
        let mut seen: Vec<u32> = Vec::new();
        let mut skipped = 0;
        for &k in &record_keys {
            match self.keys.count(k) {
                0 => {}
                n if n > cap => skipped += 1,
                _ => self.keys.members(k, &self.slots, &mut seen),
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut found = Vec::new();
        let mut compared = 0;
        for slot in seen {
            let Some(entry) = &self.slots[slot as usize] else { continue };
            if entry.id() == record.id {
                continue;
            }
            compared += 1;
            let e = scorer.evaluate(&prepared, &entry.prepared)?;
            if e.verdict != Verdict::Distinct {
                found.push((entry, e));
            }
        }
        // Only the candidates returned are explained.
        found.sort_by(|(x, a), (y, b)| {
            a.verdict.cmp(&b.verdict).then(b.score.total_cmp(&a.score)).then_with(|| x.id().cmp(y.id()))
        });
        found.truncate(limit);
        let candidates: Vec<Candidate> = found
            .into_iter()
            .map(|(entry, e)| {
                let m = scorer.explain(&record.id, entry.id(), &prepared, &entry.prepared, &e);
                Candidate {
                    id: entry.id().to_owned(),
                    owner: entry.owner().map(str::to_owned),
                    verdict: m.verdict,
                    score: m.score,
                    match_weight: m.match_weight,
                    band: m.band,
                    rule: m.rule,
                    fields: m.fields,
                }
            })
            .collect();
        let verdict = candidates.first().map_or(Verdict::Distinct, |c| c.verdict);
        let claimed_by = candidates.iter().find(|c| c.verdict == Verdict::Duplicate).and_then(|c| c.owner.clone());
        Ok(QueryReport { verdict, claimed_by, candidates, compared, skipped_keys: skipped, issues })
    }

    /// The index as bytes: a header (`CRMKDDIX`, format version, length, checksum) and the
    /// policy and records; [`DedupIndex::from_bytes`] rebuilds the keys.
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            policy: self.policy.clone(),
            records: self.slots.iter().flatten().map(|e| e.record(&self.policy)).collect(),
        };
        // Plain data with string keys: serialising cannot fail.
        let payload = serde_json::to_vec(&stored).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&INDEX_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&checksum(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// An index from [`DedupIndex::to_bytes`].
    ///
    /// # Errors
    ///
    /// `corrupt_data` at `bytes` when they are not an index or were altered (magic, length or
    /// checksum wrong); `unsupported_version` at `bytes` when another format version wrote them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let corrupt = |why: &str| Error::CorruptData { path: "bytes".into(), reason: why.to_owned() };
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(corrupt("not a crmkit dedup index"));
        }
        let word = |at: usize| -> [u8; 8] {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[at..at + 8]);
            w
        };
        let mut v = [0u8; 4];
        v.copy_from_slice(&bytes[8..12]);
        let version = u32::from_le_bytes(v);
        if version != INDEX_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                path: "bytes".into(),
                found: version,
                expected: INDEX_FORMAT_VERSION,
            });
        }
        let len = u64::from_le_bytes(word(12));
        let sum = u64::from_le_bytes(word(20));
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != len {
            return Err(corrupt("truncated or extended"));
        }
        if checksum(payload) != sum {
            return Err(corrupt("checksum mismatch"));
        }
        let stored: Stored = serde_json::from_slice(payload).map_err(|_| corrupt("unreadable payload"))?;
        Self::build(&stored.policy, &stored.records)
    }
}

/// FNV-1a 64 of the payload.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::from_json;

    fn record(i: usize) -> DedupRecord {
        let brands = ["华信", "东方", "字节跳动", "仁科互动", "美团", "小米", "鑫源", "瑞宏博创"];
        let regions = ["北京", "上海", "深圳"];
        let company = format!("{}{}{}科技有限公司", regions[i % 3], brands[i % 8], i / 24);
        from_json(
            &format!(
                r#"{{"id": "R{i}", "owner": "rep{}", "fields": {{"company": "{company}", "phone": "1390000{:04}"}}}}"#,
                i % 7,
                i % 5000
            ),
            "r",
        )
        .expect("record")
    }

    /// Many changes fold the pending keys into the sorted base (`Keys::stale`): the answers
    /// stay those of an index built from scratch.
    #[test]
    fn changes_folded_into_the_base_answer_as_a_fresh_build() {
        // The policy of the property tests (tests/tests/dedup_fixture).
        let policy: MatchPolicy = from_json(include_str!("test_policy.json"), "").expect("policy");
        let first: Vec<DedupRecord> = (0..3000).map(record).collect();
        let mut index = DedupIndex::build(&policy, &first).expect("build");
        for i in (0..3000).step_by(3) {
            assert!(index.remove(&format!("R{i}")));
        }
        for i in 3000..9000 {
            index.add(&record(i)).expect("add");
        }
        let mut changed = record(7);
        changed.fields.insert("phone".into(), Some("13911112222".into()));
        index.update(&changed).expect("update");
        assert!(index.keys.base_end > 3000, "the changes were folded into the base");
        let mut kept: Vec<DedupRecord> = (0..9000).filter(|i| *i >= 3000 || i % 3 != 0).map(record).collect();
        kept.retain(|r| r.id != "R7");
        kept.push(changed);
        let fresh = DedupIndex::build(&policy, &kept).expect("fresh");
        assert_eq!(index.len(), fresh.len());
        for i in (0..9100).step_by(53) {
            let q = record(i);
            assert_eq!(index.query(&q, 20).expect("q"), fresh.query(&q, 20).expect("q"), "query {i}");
        }
        assert!(index.add(&record(4000)).is_err());
        assert!(!index.remove("R3"));
        assert_eq!(
            DedupIndex::from_bytes(&index.to_bytes()).expect("bytes").query(&record(10), 20),
            fresh.query(&record(10), 20)
        );
    }

    #[test]
    fn a_build_on_threads_is_the_build_on_one() {
        let policy: MatchPolicy = from_json(include_str!("test_policy.json"), "").expect("policy");
        let records: Vec<DedupRecord> = (0..700).map(record).collect();
        let one = DedupIndex::build_on(&policy, &records, 1).expect("one");
        for threads in [2, 3, 5] {
            let many = DedupIndex::build_on(&policy, &records, threads).expect("many");
            assert_eq!(many.keys.base_keys, one.keys.base_keys);
            assert_eq!(many.keys.base_slots, one.keys.base_slots);
            assert_eq!(many.to_bytes(), one.to_bytes());
            for i in (0..800).step_by(41) {
                assert_eq!(many.query(&record(i), 10).expect("q"), one.query(&record(i), 10).expect("q"));
            }
        }
        let mut repeated = records;
        repeated[600].id = "R3".into();
        let e = DedupIndex::build_on(&policy, &repeated, 3).expect_err("repeated");
        assert_eq!(e.path(), "records[600].id");
    }

    #[test]
    fn repeated_id_in_a_build_is_reported_at_its_second_place() {
        let policy: MatchPolicy = from_json(
            r#"{"fields": [{"field": "phone", "comparator": {"type": "phone"}}],
                "rules": {"duplicate": [{"name": "p", "all": [{"field": "phone"}]}]}}"#,
            "",
        )
        .expect("policy");
        let mut records: Vec<DedupRecord> = (0..50).map(record).collect();
        records[30].id = "R12".into();
        records[40].id = "R5".into();
        let e = DedupIndex::build(&policy, &records).expect_err("repeated");
        assert_eq!((e.code(), e.path()), ("duplicate_name", "records[30].id"));
    }
}
