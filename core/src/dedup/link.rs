//! Linking two tables, and the columnar batch entry point.

use serde::{Deserialize, Serialize};

use super::blocking::first_repeat;
use super::cluster::{
    dedup_table, BatchSettings, BatchStats, Cluster, RefusedMerge, Table, TableReport, MAX_BATCH_RECORDS,
};
use super::company_match::Verdict;
use super::compare::prepare_at;
use super::index::{Candidate, DedupIndex};
use super::policy::MatchPolicy;
use super::score::{check_unique_ids, DedupRecord, Issue, Prepared};
use super::threads::in_runs;
use crate::error::{Error, Result};

/// For each record of the right table, its best matches in the left one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct LinkReport {
    /// One line per right record, in input order.
    pub links: Vec<Link>,
    /// Values of either table that could not be read.
    pub issues: Vec<Issue>,
}

/// A right record and what it links to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Link {
    /// The right record's id.
    pub right: String,
    /// The best verdict: DUPLICATE, RELATED, or DISTINCT when nothing matched.
    pub verdict: Verdict,
    /// The best left record, if any.
    pub left: Option<String>,
    /// Its owner.
    pub owner: Option<String>,
    /// Candidates, best first, at most `limit`.
    pub candidates: Vec<Candidate>,
}

/// Links the `right` table to the `left` one: each right record's DUPLICATE and RELATED
/// candidates in the left table, best first.
///
/// # Errors
///
/// As [`DedupIndex::build`] for `left` (paths `records[i]`) and as
/// [`DedupIndex::query`]; `duplicate_name` at `right[i].id`.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{link_records, DedupRecord, MatchPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let book: Vec<DedupRecord> = from_json(r#"[
///   {"id": "C1", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司"}},
///   {"id": "C2", "owner": "李雷", "fields": {"company": "小米科技有限责任公司"}}
/// ]"#, "left")?;
/// let leads: Vec<DedupRecord> = from_json(r#"[
///   {"id": "L1", "fields": {"company": "字节跳动（北京）科技有限公司"}},
///   {"id": "L2", "fields": {"company": "深圳市腾讯计算机系统有限公司"}}
/// ]"#, "right")?;
/// let report = link_records(&policy, &book, &leads, 5)?;
/// assert_eq!((report.links[0].left.as_deref(), report.links[0].owner.as_deref()), (Some("C1"), Some("王芳")));
/// assert_eq!(report.links[1].left, None); // nothing in the book matches
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn link_records(
    policy: &MatchPolicy,
    left: &[DedupRecord],
    right: &[DedupRecord],
    limit: usize,
) -> Result<LinkReport> {
    crate::limits::check("right", right.len(), MAX_BATCH_RECORDS, "records")?;
    check_unique_ids(right.iter(), "right")?;
    let index = DedupIndex::build(policy, left)?;
    let mut issues = Vec::new();
    let mut links = Vec::with_capacity(right.len());
    for r in right {
        let q = index.query(r, limit)?;
        issues.extend(q.issues);
        let best = q.candidates.first();
        links.push(Link {
            right: r.id.clone(),
            verdict: q.verdict,
            left: best.map(|c| c.id.clone()),
            owner: best.and_then(|c| c.owner.clone()),
            candidates: q.candidates,
        });
    }
    Ok(LinkReport { links, issues })
}

/// A table as columns: row `i` is one record. The text is any `AsRef<str>`: owned `String`s,
/// or `&str`s borrowed from the caller's buffers (the Python binding reads an Arrow column's
/// values in place instead of copying a million strings).
#[derive(Debug)]
pub struct RecordColumns<'a, S = String> {
    /// DedupRecord ids.
    pub ids: &'a [S],
    /// Owners (optional column).
    pub owners: Option<&'a [Option<S>]>,
    /// One column per policy field, by name.
    pub fields: &'a [(String, Vec<Option<S>>)],
}

impl<S> Clone for RecordColumns<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for RecordColumns<'_, S> {}

/// A cell's text.
fn text<S: AsRef<str>>(cell: Option<&S>) -> Option<&str> {
    cell.map(AsRef::as_ref)
}

/// The columnar de-duplication: per row its cluster and whether it survives, plus the
/// clusters themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ColumnsReport {
    /// Per row: its cluster's id, or -1 when it is in none.
    pub cluster: Vec<i64>,
    /// Per row: whether it is its cluster's survivor (false outside clusters).
    pub survivor: Vec<bool>,
    /// The clusters, as [`find_duplicates`](super::find_duplicates) gives them.
    pub clusters: Vec<Cluster>,
    /// Merges refused by the guards.
    pub refused: Vec<RefusedMerge>,
    /// Values that could not be read, by row (`record` is the row's id).
    pub issues: Vec<Issue>,
    /// Counts.
    pub stats: BatchStats,
}

/// [`find_duplicates`](super::find_duplicates) over columns (no pair explanations).
///
/// # Errors
///
/// As `find_duplicates`; `invalid_value` at `fields.<name>` for a column whose length is not
/// the number of ids, `missing_value` at `fields.<name>` for a policy field without a column,
/// and at `owners` for an owner column of another length.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{find_duplicates_columns, BatchSettings, MatchPolicy, RecordColumns};
///
/// let policy: MatchPolicy = crmkit::wire::from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "policy")?;
/// let ids = ["1", "2", "3"].map(String::from);
/// let company = ["北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司", "小米科技有限责任公司"];
/// let fields = [("company".to_owned(), company.map(|c| Some(c.to_owned())).to_vec())];
/// let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
/// let report = find_duplicates_columns(&policy, &BatchSettings::default(), &columns)?;
/// assert_eq!(report.cluster, [0, 0, -1]); // rows 1 and 2 are one company; row 3 is alone
/// assert_eq!(report.survivor.iter().filter(|s| **s).count(), 1);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn find_duplicates_columns<S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    settings: &BatchSettings,
    columns: &RecordColumns<'_, S>,
) -> Result<ColumnsReport> {
    columns_report(policy, settings, columns, None)
}

/// A table's columns read under a policy: each row's prepared values, the values that could
/// not be read, and the policy's columns in field order.
pub(crate) struct ReadColumns<'c, S> {
    pub prepared: Vec<Prepared>,
    pub issues: Vec<Issue>,
    pub cols: Vec<&'c [Option<S>]>,
}

/// Checks and reads a table's columns (the checks of [`find_duplicates_columns`]).
/// `unique`: whether ids must be unique (not in a block's rows, where a record has a row per
/// block it is in).
pub(crate) fn read_columns<'c, S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    columns: &RecordColumns<'c, S>,
    unique: bool,
) -> Result<ReadColumns<'c, S>> {
    policy.validate()?;
    let n = columns.ids.len();
    crate::limits::check("ids", n, MAX_BATCH_RECORDS, "records")?;
    if let Some(owners) = columns.owners
        && owners.len() != n
    {
        return Err(Error::InvalidValue {
            path: "owners".into(),
            reason: format!("{} rows, ids has {n}", owners.len()),
        });
    }
    let mut cols: Vec<&[Option<S>]> = Vec::with_capacity(policy.fields.len());
    for spec in &policy.fields {
        let col = columns.fields.iter().find(|(name, _)| *name == spec.field).ok_or_else(|| Error::MissingValue {
            path: format!("fields.{}", spec.field),
            reason: "every policy field needs a column".into(),
        })?;
        if col.1.len() != n {
            return Err(Error::InvalidValue {
                path: format!("fields.{}", spec.field),
                reason: format!("{} rows, ids has {n}", col.1.len()),
            });
        }
        cols.push(&col.1);
    }
    // Normalising every value is a third of a batch's work and each row's is its own: on
    // several threads, each a contiguous run of rows, put back in row order.
    let threads = policy.threads_for(n as u64, 20_000);
    if unique {
        check_unique_ids_columns(columns.ids, threads)?;
    }
    let runs = in_runs(n, threads, &|start, end| read_rows(policy, columns.ids, &cols, start..end));
    let mut issues = Vec::new();
    let mut prepared = Vec::with_capacity(n);
    for (run_prepared, run_issues) in runs {
        prepared.extend(run_prepared);
        issues.extend(run_issues);
    }
    Ok(ReadColumns { prepared, issues, cols })
}

/// Rows `rows` of a table's columns read: their prepared values and the values that could
/// not be read.
fn read_rows<S: AsRef<str>>(
    policy: &MatchPolicy,
    ids: &[S],
    cols: &[&[Option<S>]],
    rows: std::ops::Range<usize>,
) -> (Vec<Prepared>, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut prepared = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(cols.len());
    let mut scratch = (String::new(), String::new());
    for row in rows {
        values.clear();
        for (spec, col) in policy.fields.iter().zip(cols) {
            let raw = text(col[row].as_ref()).filter(|v| !v.trim().is_empty());
            values.push(match raw {
                None => None,
                Some(raw) => match prepare_at(&spec.comparator, raw, || format!("fields.{}[{row}]", spec.field)) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        issues.push(Issue {
                            record: ids[row].as_ref().to_owned(),
                            field: spec.field.clone(),
                            code: e.code().to_owned(),
                            message: e.to_string(),
                        });
                        None
                    }
                },
            });
        }
        prepared.push(Prepared::pack_with(&values, std::iter::empty(), &mut scratch));
    }
    (prepared, issues)
}

/// [`find_duplicates_columns`], over the table's own candidate pairs (`given: None`) or over
/// the given ones (a component of a distributed run: [`super::cluster_pairs_columns`]).
pub(crate) fn columns_report<S: AsRef<str> + Sync>(
    policy: &MatchPolicy,
    settings: &BatchSettings,
    columns: &RecordColumns<'_, S>,
    given: Option<&[(u32, u32)]>,
) -> Result<ColumnsReport> {
    let n = columns.ids.len();
    let ReadColumns { prepared, issues, cols } = read_columns(policy, columns, true)?;
    let raw = |row: usize, field: usize| text(cols[field][row].as_ref());
    let table = Table {
        ids: columns.ids.iter().map(AsRef::as_ref).collect(),
        owners: (0..n).map(|r| columns.owners.and_then(|o| text(o[r].as_ref()))).collect(),
        raw: &raw,
    };
    let settings = BatchSettings { explain_pairs: false, ..settings.clone() };
    let TableReport { report, cluster, survivor } = dedup_table(policy, &settings, &table, &prepared, given)?;
    Ok(ColumnsReport {
        cluster,
        survivor,
        clusters: report.clusters,
        refused: report.refused,
        issues,
        stats: report.stats,
    })
}

fn check_unique_ids_columns<S: AsRef<str> + Sync>(ids: &[S], threads: usize) -> Result<()> {
    match first_repeat(ids, threads) {
        None => Ok(()),
        Some((i, first)) => Err(Error::DuplicateName {
            path: format!("ids[{i}]"),
            name: ids[i].as_ref().to_owned(),
            first: format!("ids[{first}]"),
        }),
    }
}
