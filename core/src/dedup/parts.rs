//! The batch de-duplication in parts, for a run spread over many machines (Spark): the
//! blocking keys of a table, the pairs of one block, and the clusters of one connected
//! component. Put together they give exactly [`find_duplicates`](super::find_duplicates)'s
//! clusters:
//!
//! 1. [`blocking_keys_columns`]: one row per (record, key). A key shared by more than the
//!    policy's `max_block_size` records is not used (as in one process).
//! 2. [`score_block_columns`] on the records of each key used: its DUPLICATE and RELATED
//!    pairs. A pair of records that share several keys is scored in one block only, the one
//!    of their smallest shared key that is used, so each candidate pair is scored once.
//! 3. Connected components of the DUPLICATE pairs (done by the caller: label propagation).
//!    Clusters only grow along DUPLICATE pairs, so no cluster spans two components.
//! 4. [`cluster_pairs_columns`] on each component's records (in input order) and its
//!    DUPLICATE pairs: the same greedy merge, best score first, under the same guards
//!    (cannot-link, credit codes, RELATED and DISTINCT pairs across, density, size). The
//!    guard reads the verdict of a pair across two clusters by scoring it, whether it was a
//!    candidate or not, so a component's clusters are the ones the whole table gives.
//!    Cluster ids are per component; number them by each cluster's first record.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::blocking::keys;
use super::cluster::{BatchSettings, DedupReport};
use super::company_match::Verdict;
use super::link::{columns_report, read_columns, ColumnsReport, RecordColumns};
use super::policy::MatchPolicy;
use super::score::{DedupRecord, Issue, Scorer};
use crate::error::{Error, Result};

/// The blocking keys of a table: one row per (record, key), records in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct BlockingKeys {
    /// The record's row (its position in the input).
    pub row: Vec<u32>,
    /// The key: a 64-bit hash, as a signed integer (Spark's `LongType`). On the wire (JSON,
    /// JS) a decimal string, as JSON numbers and JS numbers lose digits beyond 2^53.
    #[serde(with = "key_text")]
    #[cfg_attr(feature = "typescript", tsify(type = "string[]"))]
    pub key: Vec<i64>,
    /// The policy's `max_block_size`: a key of more records than this is not used.
    pub max_block_size: u32,
    /// Values that could not be read (blank for matching).
    pub issues: Vec<Issue>,
}

/// Which pairs of a block to score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct BlockSettings {
    /// The block's key (as [`BlockingKeys`] gives it; a decimal string on the wire).
    #[serde(with = "one_key_text")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub key: i64,
    /// The keys of the table shared by more than `max_block_size` records (not used).
    #[serde(default, with = "key_text")]
    #[cfg_attr(feature = "typescript", tsify(type = "string[]", optional))]
    pub skipped: Vec<i64>,
}

/// The DUPLICATE and RELATED pairs of one block (rows are positions in its records; `left`
/// the earlier), in row order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct BlockPairs {
    /// Each pair's first row.
    pub left: Vec<u32>,
    /// Its second row.
    pub right: Vec<u32>,
    /// Its score, as `find_duplicates` gives it.
    pub score: Vec<f64>,
    /// DUPLICATE or RELATED.
    pub verdict: Vec<Verdict>,
    /// Pairs this block scored (DISTINCT ones included): summed over the blocks, the
    /// table's candidate pairs.
    pub compared: u64,
}

/// The blocking keys of a table's rows under a policy.
///
/// # Errors
///
/// As [`find_duplicates_columns`](super::find_duplicates_columns)'s reading of the columns
/// (the policy's validation, `duplicate_name` at `ids[i]`, `missing_value` at
/// `fields.<name>`, `limit_exceeded` at `ids`).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{blocking_keys_columns, MatchPolicy, RecordColumns};
///
/// let policy: MatchPolicy = crmkit::wire::from_json(r#"{
///   "fields": [{"field": "phone", "comparator": {"type": "phone"}}],
///   "rules": {"duplicate": [{"name": "same phone", "all": [{"field": "phone", "min": 1}]}]}
/// }"#, "policy")?;
/// let ids = ["1", "2"].map(String::from);
/// let fields = [("phone".to_owned(), vec![Some("010-6275 1234".to_owned()), Some("+86 10 62751234".to_owned())])];
/// let keys = blocking_keys_columns(&policy, &RecordColumns { ids: &ids, owners: None, fields: &fields })?;
/// assert_eq!(keys.row, [0, 1]);
/// assert_eq!(keys.key[0], keys.key[1]); // one E.164 number, one block
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn blocking_keys_columns<S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    columns: &RecordColumns<'_, S>,
) -> Result<BlockingKeys> {
    let read = read_columns(policy, columns, true)?;
    let (mut row, mut key) = (Vec::new(), Vec::new());
    let mut buf = Vec::new();
    for (r, p) in read.prepared.iter().enumerate() {
        buf.clear();
        keys(policy, p, &mut buf);
        row.extend(std::iter::repeat_n(r as u32, buf.len()));
        key.extend(buf.iter().map(|&k| k as i64));
    }
    Ok(BlockingKeys { row, key, max_block_size: policy.max_block_size, issues: read.issues })
}

/// [`blocking_keys_columns`] over records.
///
/// # Errors
///
/// As [`blocking_keys_columns`] (a record's position is its row: `ids[i]`, `fields.<name>[i]`).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{blocking_keys, DedupRecord, MatchPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let records: Vec<DedupRecord> = from_json(r#"[
///   {"id": "1", "fields": {"company": "北京字节跳动科技有限公司"}},
///   {"id": "2", "fields": {"company": "字节跳动（北京）科技有限公司"}}
/// ]"#, "records")?;
/// let keys = blocking_keys(&policy, &records)?;
/// let first: Vec<i64> = keys.row.iter().zip(&keys.key).filter(|(r, _)| **r == 0).map(|(_, k)| *k).collect();
/// assert!(keys.row.iter().zip(&keys.key).any(|(r, k)| *r == 1 && first.contains(k))); // one block
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn blocking_keys(policy: &MatchPolicy, records: &[DedupRecord]) -> Result<BlockingKeys> {
    with_columns(policy, records, |c| blocking_keys_columns(policy, c))
}

/// The DUPLICATE and RELATED pairs within blocks: row `i` belongs to the block `keys[i]`
/// (a record in several blocks is on several rows; rows of one key need not be adjacent).
/// Within a block, every pair of rows whose smallest shared key outside `skipped` is the
/// block's key is scored (a pair that shares several used keys is scored by one block only),
/// with `find_duplicates`'s scores. Many blocks per call keep a distributed run's calls few.
///
/// # Errors
///
/// As [`blocking_keys_columns`], but ids may repeat (a record has a row per block it is in);
/// `invalid_value` at `keys` for a key column of another length;
/// `limit_exceeded` at `keys` for a block of more rows than the policy's `max_block_size` (a
/// larger block is not used).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{blocking_keys_columns, score_block_columns, MatchPolicy, RecordColumns, Verdict};
///
/// let policy: MatchPolicy = crmkit::wire::from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let ids = ["1", "2"].map(String::from);
/// let names = ["北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司"];
/// let fields = [("company".to_owned(), names.map(|c| Some(c.to_owned())).to_vec())];
/// let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
/// let keys = blocking_keys_columns(&policy, &columns)?;
/// let mut shared: Vec<i64> = keys.key.iter().copied().filter(|k| keys.key.iter().filter(|j| *j == k).count() == 2).collect();
/// shared.sort_unstable();
/// shared.dedup();
/// assert!(shared.len() >= 2);
/// let scored: Vec<_> =
///     shared.iter().map(|&k| score_block_columns(&policy, &[k, k], &[], &columns)).collect::<Result<_, _>>()?;
/// // The pair shares more than one key; exactly one block scores it.
/// assert_eq!(scored.iter().map(|b| b.left.len()).sum::<usize>(), 1);
/// assert!(scored.iter().any(|b| b.verdict == [Verdict::Duplicate]));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn score_block_columns<S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    keys_of_rows: &[i64],
    skipped: &[i64],
    columns: &RecordColumns<'_, S>,
) -> Result<BlockPairs> {
    let read = read_columns(policy, columns, false)?;
    let n = read.prepared.len();
    if keys_of_rows.len() != n {
        return Err(Error::InvalidValue {
            path: "keys".into(),
            reason: format!("{} rows, ids has {n}", keys_of_rows.len()),
        });
    }
    let skipped: HashSet<u64> = skipped.iter().map(|&k| k as u64).collect();
    let used: Vec<Vec<u64>> = read
        .prepared
        .iter()
        .map(|p| {
            let mut buf = Vec::new();
            keys(policy, p, &mut buf);
            buf.retain(|k| !skipped.contains(k));
            buf
        })
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&r| (keys_of_rows[r as usize] as u64, r));
    let scorer = Scorer::new(policy, None)?;
    let mut out =
        BlockPairs { left: Vec::new(), right: Vec::new(), score: Vec::new(), verdict: Vec::new(), compared: 0 };
    for block in order.chunk_by(|&x, &y| keys_of_rows[x as usize] == keys_of_rows[y as usize]) {
        crate::limits::check(
            "keys",
            block.len(),
            u64::from(policy.max_block_size),
            "rows in a block (max_block_size)",
        )?;
        let key = keys_of_rows[block[0] as usize] as u64;
        for (i, &a) in block.iter().enumerate() {
            let a = a as usize;
            if used[a].binary_search(&key).is_err() {
                continue;
            }
            for &b in &block[i + 1..] {
                let b = b as usize;
                if smallest_shared(&used[a], &used[b]) != Some(key) {
                    continue;
                }
                out.compared += 1;
                let e = scorer.evaluate(&read.prepared[a], &read.prepared[b])?;
                if e.verdict != Verdict::Distinct {
                    out.left.push(a as u32);
                    out.right.push(b as u32);
                    out.score.push(e.score);
                    out.verdict.push(e.verdict);
                }
            }
        }
    }
    Ok(out)
}

/// The DUPLICATE and RELATED pairs among the records of one block (`settings.key`): every pair
/// whose smallest shared key outside `settings.skipped` is the block's key, as
/// [`score_block_columns`] scores them; rows are positions in `records`, `left` the earlier.
///
/// # Errors
///
/// As [`score_block_columns`] (`limit_exceeded` at `keys` for more records than
/// `max_block_size`).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{blocking_keys, score_block, BlockSettings, DedupRecord, MatchPolicy, Verdict};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "phone", "comparator": {"type": "phone"}}],
///   "rules": {"duplicate": [{"name": "same phone", "all": [{"field": "phone"}]}]}
/// }"#, "policy")?;
/// let records: Vec<DedupRecord> = from_json(r#"[
///   {"id": "1", "fields": {"phone": "010-6275 1234"}},
///   {"id": "2", "fields": {"phone": "+86 10 62751234"}}
/// ]"#, "records")?;
/// let key = blocking_keys(&policy, &records)?.key[0];
/// let pairs = score_block(&policy, &BlockSettings { key, skipped: vec![] }, &records)?;
/// assert_eq!((pairs.left[0], pairs.right[0], pairs.verdict[0]), (0, 1, Verdict::Duplicate));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn score_block(policy: &MatchPolicy, settings: &BlockSettings, records: &[DedupRecord]) -> Result<BlockPairs> {
    let keys = vec![settings.key; records.len()];
    with_columns(policy, records, |c| score_block_columns(policy, &keys, &settings.skipped, c))
}

/// The clusters of one connected component of DUPLICATE pairs: the component's rows (in
/// the whole table's input order) and its pairs of rows, clustered as `find_duplicates`
/// clusters the whole table (the given pairs are scored again; the guards score any other
/// pair they read). `settings.cannot_link` may name ids of other components: those pairs are
/// ignored. Cluster ids count from 0 in this component.
///
/// # Errors
///
/// As [`find_duplicates_columns`](super::find_duplicates_columns); `invalid_value` at
/// `pairs[k]` for a row out of range or a pair of one row; `limit_exceeded` at `pairs` beyond
/// [`MAX_CANDIDATE_PAIRS`](super::MAX_CANDIDATE_PAIRS).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{cluster_pairs_columns, BatchSettings, MatchPolicy, RecordColumns};
///
/// let policy: MatchPolicy = crmkit::wire::from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let ids = ["7", "9"].map(String::from);
/// let names = ["北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司"];
/// let fields = [("company".to_owned(), names.map(|c| Some(c.to_owned())).to_vec())];
/// let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
/// let report = cluster_pairs_columns(&policy, &BatchSettings::default(), &columns, &[(0, 1)])?;
/// assert_eq!(report.clusters[0].members, ["7", "9"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn cluster_pairs_columns<S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    settings: &BatchSettings,
    columns: &RecordColumns<'_, S>,
    pairs: &[(u32, u32)],
) -> Result<ColumnsReport> {
    columns_report(policy, settings, columns, Some(pairs))
}

/// [`cluster_pairs_columns`] over records, the pairs as ids.
///
/// # Errors
///
/// As [`cluster_pairs_columns`]; `invalid_value` at `pairs[k][j]` for an id not among the
/// records.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{cluster_pairs, BatchSettings, DedupRecord, MatchPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let records: Vec<DedupRecord> = from_json(r#"[
///   {"id": "7", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司"}},
///   {"id": "9", "fields": {"company": "字节跳动（北京）科技有限公司"}}
/// ]"#, "records")?;
/// let report = cluster_pairs(&policy, &BatchSettings::default(), &records, &[["7".into(), "9".into()]])?;
/// assert_eq!((report.clusters[0].survivor.as_str(), report.clusters[0].owners.as_slice()), ("7", ["王芳".to_owned()].as_slice()));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn cluster_pairs(
    policy: &MatchPolicy,
    settings: &BatchSettings,
    records: &[DedupRecord],
    pairs: &[[String; 2]],
) -> Result<DedupReport> {
    let row_of: std::collections::HashMap<&str, u32> =
        records.iter().enumerate().map(|(i, r)| (r.id.as_str(), i as u32)).collect();
    let rows = pairs
        .iter()
        .enumerate()
        .map(|(k, pair)| {
            let row = |j: usize| {
                row_of.get(pair[j].as_str()).copied().ok_or_else(|| Error::InvalidValue {
                    path: format!("pairs[{k}][{j}]"),
                    reason: format!("{:?} is not a record id", pair[j]),
                })
            };
            Ok((row(0)?, row(1)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let report = with_columns(policy, records, |c| cluster_pairs_columns(policy, settings, c, &rows))?;
    Ok(DedupReport {
        clusters: report.clusters,
        pairs: Vec::new(),
        refused: report.refused,
        issues: report.issues,
        stats: report.stats,
    })
}

/// Checks and sorts given pairs of rows: `(low, high)`, without repeats.
pub(crate) fn given_pairs(given: &[(u32, u32)], n: usize) -> Result<Vec<(u32, u32)>> {
    crate::limits::check("pairs", given.len(), super::MAX_CANDIDATE_PAIRS, "candidate pairs")?;
    let mut pairs = Vec::with_capacity(given.len());
    for (k, &(a, b)) in given.iter().enumerate() {
        if a == b || a as usize >= n || b as usize >= n {
            return Err(Error::InvalidValue {
                path: format!("pairs[{k}]"),
                reason: format!("({a}, {b}) is not a pair of two of the {n} rows"),
            });
        }
        pairs.push((a.min(b), a.max(b)));
    }
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// The smallest key in both sorted lists.
fn smallest_shared(a: &[u64], b: &[u64]) -> Option<u64> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(a[i]),
        }
    }
    None
}

/// Records as the columns of the policy's fields (and owners), for the columnar functions.
fn with_columns<T>(
    policy: &MatchPolicy,
    records: &[DedupRecord],
    run: impl FnOnce(&RecordColumns<'_, &str>) -> Result<T>,
) -> Result<T> {
    crate::limits::check("records", records.len(), super::MAX_BATCH_RECORDS, "records")?;
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let owners: Vec<Option<&str>> = records.iter().map(|r| r.owner.as_deref()).collect();
    let fields: Vec<(String, Vec<Option<&str>>)> = policy
        .fields
        .iter()
        .map(|f| (f.field.clone(), records.iter().map(|r| r.fields.get(&f.field).and_then(Option::as_deref)).collect()))
        .collect();
    run(&RecordColumns { ids: &ids, owners: Some(&owners), fields: &fields })
}

/// Keys as decimal strings on the wire.
mod key_text {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ptr_arg)] // serde's `with` passes the field's own type
    pub fn serialize<S: Serializer>(keys: &Vec<i64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(keys.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|k| k.parse().map_err(|_| serde::de::Error::custom(format!("{k:?} is not a blocking key"))))
            .collect()
    }
}

/// One key as a decimal string on the wire.
mod one_key_text {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` passes a reference
    pub fn serialize<S: Serializer>(key: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let k = String::deserialize(d)?;
        k.parse().map_err(|_| serde::de::Error::custom(format!("{k:?} is not a blocking key")))
    }
}
