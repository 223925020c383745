//! Check one record against an indexed book (查重 / 客户报备): the book's records read once,
//! their blocking keys in a map, updated record by record, persisted as versioned bytes,
//! and queried with one incoming record for ranked candidates and who holds them (撞单).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::blocking::{keys, KeyMap, Members};
use super::company_match::Verdict;
use super::policy::MatchPolicy;
use super::score::{prepare_record, Band, DedupRecord, FieldExplanation, Issue, Prepared, Scorer, TermFrequencies};
use crate::error::{Error, Result};

/// Most records an index holds (declared limit: README Limits table).
pub const MAX_INDEX_RECORDS: u64 = 20_000_000;
/// The byte format this crmkit writes and reads.
pub const INDEX_FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CRMKDDIX";
const HEADER: usize = 8 + 4 + 8 + 8;

/// One record of the book.
#[derive(Debug, Clone)]
struct Entry {
    id: Box<str>,
    owner: Option<Box<str>>,
    /// The record's values of the policy's fields as given, for `to_bytes` (a record's other
    /// fields are never read, so they are not kept).
    raw: Box<[Option<Box<str>>]>,
    prepared: Prepared,
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
    slots: Vec<Option<Entry>>,
    by_id: HashMap<String, u32>,
    blocks: KeyMap<Members>,
    tf: TermFrequencies,
    /// Whether any field's weight uses term frequencies (only then are they counted).
    uses_tf: bool,
    live: usize,
}

/// A candidate found for an incoming record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub match_weight: Option<f64>,
    /// Fellegi-Sunter band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub band: Option<Band>,
    /// The rule that decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub rule: Option<String>,
    /// Field by field.
    pub fields: Vec<FieldExplanation>,
}

/// The answer to "is this record already in the book?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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
        DedupRecord {
            id: self.id.to_string(),
            owner: self.owner.as_deref().map(str::to_owned),
            fields: policy
                .fields
                .iter()
                .zip(self.raw.iter())
                .filter_map(|(f, v)| v.as_deref().map(|v| (f.field.clone(), Some(v.to_owned()))))
                .collect(),
        }
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
            by_id: HashMap::new(),
            blocks: KeyMap::default(),
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
        let mut index = Self::new(policy)?;
        crate::limits::check("records", records.len(), MAX_INDEX_RECORDS, "records")?;
        index.slots.reserve(records.len());
        index.by_id.reserve(records.len());
        // About five keys a record (字号, its slips, pinyin, 字号 + industry, phone, e-mail).
        index.blocks.reserve(records.len().saturating_mul(5));
        for (i, r) in records.iter().enumerate() {
            index.insert(r, &format!("records[{i}]"))?;
        }
        Ok(index)
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
        let Some(slot) = self.by_id.remove(id) else { return false };
        let Some(entry) = self.slots[slot as usize].take() else { return false };
        // The keys are computed again rather than kept: a vector per record for removals only.
        let mut record_keys = Vec::new();
        keys(&self.policy, &entry.prepared, &mut record_keys);
        for k in &record_keys {
            if let Some(members) = self.blocks.get_mut(k) {
                if members.remove(slot) {
                    self.blocks.remove(k);
                }
            }
        }
        if self.uses_tf {
            self.tf.add(&entry.prepared, -1);
        }
        self.live -= 1;
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

    fn insert(&mut self, record: &DedupRecord, path: &str) -> Result<Vec<Issue>> {
        if self.by_id.contains_key(&record.id) {
            return Err(Error::DuplicateName {
                path: format!("{path}.id"),
                name: record.id.clone(),
                first: "the index".into(),
            });
        }
        crate::limits::check("records", self.live as u64 + 1, MAX_INDEX_RECORDS, "records")?;
        let mut issues = Vec::new();
        let prepared = prepare_record(&self.policy, record, path, Some(&mut issues))?;
        let mut record_keys = Vec::with_capacity(24);
        keys(&self.policy, &prepared, &mut record_keys);
        let slot = self.slots.len() as u32;
        for &k in &record_keys {
            self.blocks.entry(k).and_modify(|m| m.push(slot)).or_insert(Members::One(slot));
        }
        if self.uses_tf {
            self.tf.add(&prepared, 1);
        }
        self.by_id.insert(record.id.clone(), slot);
        let raw = self
            .policy
            .fields
            .iter()
            .map(|f| record.fields.get(&f.field).and_then(|v| v.as_deref()).map(Box::from))
            .collect();
        self.slots.push(Some(Entry {
            id: record.id.as_str().into(),
            owner: record.owner.as_deref().map(Box::from),
            raw,
            prepared,
        }));
        self.live += 1;
        Ok(issues)
    }

    /// Finds the book's records that duplicate or relate to `record`, best first.
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
        for k in &record_keys {
            match self.blocks.get(k) {
                Some(members) if members.as_slice().len() > cap => skipped += 1,
                Some(members) => seen.extend_from_slice(members.as_slice()),
                None => {}
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut candidates = Vec::new();
        let mut compared = 0;
        for slot in seen {
            let Some(entry) = &self.slots[slot as usize] else { continue };
            if *entry.id == *record.id {
                continue;
            }
            compared += 1;
            let e = scorer.evaluate(&prepared, &entry.prepared)?;
            if e.verdict != Verdict::Distinct {
                let m = scorer.explain(&record.id, &entry.id, &prepared, &entry.prepared, e);
                candidates.push(Candidate {
                    id: entry.id.to_string(),
                    owner: entry.owner.as_deref().map(str::to_owned),
                    verdict: m.verdict,
                    score: m.score,
                    match_weight: m.match_weight,
                    band: m.band,
                    rule: m.rule,
                    fields: m.fields,
                });
            }
        }
        candidates
            .sort_by(|a, b| a.verdict.cmp(&b.verdict).then(b.score.total_cmp(&a.score)).then_with(|| a.id.cmp(&b.id)));
        candidates.truncate(limit);
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
