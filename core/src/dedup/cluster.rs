//! Batch de-duplication of a whole table: blocking, pair scoring, clustering and a survivor
//! per cluster.
//!
//! Clusters grow by union-find over DUPLICATE pairs, best score first, with guards against
//! chaining (one false edge fusing two entities, goldenmatch #2084, dedupe's giant
//! components): two clusters merge only if no pair across them is a cannot-link (given, or
//! two different valid credit codes), none is DISTINCT or RELATED, at least `min_density` of the pairs
//! across them are DUPLICATE, and the result stays within `max_cluster_size`. Refused merges
//! are reported with their reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::blocking::candidate_pairs;
use super::company_match::Verdict;
use super::compare::Comparator;
use super::packed::ValueRef;
use super::policy::MatchPolicy;
use super::score::{check_unique_ids, prepare_record, DedupRecord, Issue, PairMatch, Prepared, Scorer};
use super::threads::{in_runs, threads_for};
use crate::error::{Error, Result};

/// Most records one batch reads (declared limit: README Limits table).
pub const MAX_BATCH_RECORDS: u64 = 20_000_000;

/// How clusters are formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct BatchSettings {
    /// Largest cluster (2 to 10,000, default 50): a merge beyond it is refused.
    #[serde(default = "default_max_cluster")]
    pub max_cluster_size: u32,
    /// Share of the pairs across two clusters that must be DUPLICATE for them to merge
    /// (0 to 1, default 0.5); any DISTINCT pair across them refuses the merge.
    #[serde(default = "default_density")]
    pub min_density: f64,
    /// Pairs of record ids that must never share a cluster (a rep's "not a duplicate").
    #[serde(default)]
    pub cannot_link: Vec<[String; 2]>,
    /// Whether the report lists every DUPLICATE and RELATED pair with its explanation
    /// (default yes; the columnar entry points never do).
    #[serde(default = "yes")]
    pub explain_pairs: bool,
}

fn default_max_cluster() -> u32 {
    50
}
fn default_density() -> f64 {
    0.5
}
fn yes() -> bool {
    true
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            max_cluster_size: default_max_cluster(),
            min_density: default_density(),
            cannot_link: Vec::new(),
            explain_pairs: true,
        }
    }
}

/// Why a survivor was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum SurvivorReason {
    /// It has the most non-blank policy fields.
    MostComplete,
    /// Tied on completeness; it has an owner.
    Owned,
    /// Tied; it has the lowest id (so the choice does not depend on the input's order).
    LowestId,
}

/// Why a merge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// A cannot-link pair across the two clusters.
    CannotLink,
    /// Two different valid credit codes across the two clusters.
    CreditCodeDiffers,
    /// The merged cluster would exceed `max_cluster_size`.
    MaxClusterSize,
    /// A DISTINCT pair across them, or too few DUPLICATE pairs (`min_density`).
    Incoherent,
    /// A RELATED pair across them: the same brand's branch, or its company in another region
    /// or legal form, is another entity (a short name duplicating both must not chain them).
    Related,
}

/// A group of records judged one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Cluster {
    /// 0, 1, ... in the order of each cluster's first record in the input.
    pub id: u32,
    /// Member ids in input order.
    pub members: Vec<String>,
    /// The record to keep.
    pub survivor: String,
    /// Why that one.
    pub survivor_reason: SurvivorReason,
    /// Suggested merged values: the survivor's, blanks filled from the other members in
    /// input order.
    pub merged: BTreeMap<String, String>,
    /// The distinct owners of the members: more than one is a 撞单 inside the book.
    pub owners: Vec<String>,
    /// Lowest score among the pairs that built the cluster.
    pub min_score: f64,
}

/// A merge the guards refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct RefusedMerge {
    /// The DUPLICATE pair that asked for the merge.
    pub left: String,
    /// Its other record.
    pub right: String,
    /// Why not.
    pub reason: RefusalReason,
}

/// Counts of a batch run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct BatchStats {
    /// Records read.
    pub records: u64,
    /// Candidate pairs blocking found and scoring compared.
    pub candidate_pairs: u64,
    /// Pairs judged DUPLICATE.
    pub duplicate_pairs: u64,
    /// Pairs judged RELATED.
    pub related_pairs: u64,
    /// Blocking keys shared by more than `max_block_size` records, not used.
    pub skipped_keys: u64,
}

/// The de-duplication of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct DedupReport {
    /// Clusters of two or more records.
    pub clusters: Vec<Cluster>,
    /// DUPLICATE and RELATED pairs, explained (when `explain_pairs`), best score first.
    pub pairs: Vec<PairMatch>,
    /// Merges refused by the guards.
    pub refused: Vec<RefusedMerge>,
    /// Values that could not be read (blank for matching).
    pub issues: Vec<Issue>,
    /// Counts.
    pub stats: BatchStats,
}

/// De-duplicates a table of records.
///
/// # Errors
///
/// The policy's validation errors; `duplicate_name` at `records[i].id`; `out_of_range` for
/// settings outside their ranges; `limit_exceeded` at `records` for a table beyond
/// [`MAX_BATCH_RECORDS`] or more than [`MAX_CANDIDATE_PAIRS`](super::MAX_CANDIDATE_PAIRS)
/// candidate pairs; `invalid_value` at
/// `settings.cannot_link[k]` naming an unknown id.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{find_duplicates, BatchSettings, MatchPolicy, DedupRecord};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}]}
/// }"#, "")?;
/// let records: Vec<DedupRecord> = from_json(r#"[
///   {"id": "1", "owner": "王芳", "fields": {"company": "北京字节跳动科技有限公司"}},
///   {"id": "2", "owner": "李雷", "fields": {"company": "字节跳动（北京）科技有限公司"}},
///   {"id": "3", "fields": {"company": "北京字节跳动科技有限公司上海分公司"}}
/// ]"#, "records")?;
/// let report = find_duplicates(&policy, &BatchSettings::default(), &records)?;
/// assert_eq!(report.clusters[0].members, ["1", "2"]);
/// assert_eq!(report.clusters[0].owners, ["李雷", "王芳"]); // two reps hold one company
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn find_duplicates(policy: &MatchPolicy, settings: &BatchSettings, records: &[DedupRecord]) -> Result<DedupReport> {
    crate::limits::check("records", records.len(), MAX_BATCH_RECORDS, "records")?;
    check_unique_ids(records.iter(), "records")?;
    let mut issues = Vec::new();
    let prepared: Vec<Prepared> = records
        .iter()
        .enumerate()
        .map(|(i, r)| prepare_record(policy, r, &format!("records[{i}]"), Some(&mut issues)))
        .collect::<Result<_>>()?;
    let table = Table {
        ids: records.iter().map(|r| r.id.as_str()).collect(),
        owners: records.iter().map(|r| r.owner.as_deref()).collect(),
        raw: &|row: usize, field: &str| records[row].fields.get(field).and_then(Option::as_deref),
    };
    let mut report = dedup_table(policy, settings, &table, &prepared, None)?;
    report.issues = issues;
    Ok(report)
}

/// The rows of a table as the clustering reads them.
pub(crate) struct Table<'a> {
    pub ids: Vec<&'a str>,
    pub owners: Vec<Option<&'a str>>,
    /// A row's raw value of a field.
    pub raw: &'a dyn Fn(usize, &str) -> Option<&'a str>,
}

pub(crate) fn validate_settings(settings: &BatchSettings) -> Result<()> {
    if !(2..=10_000).contains(&settings.max_cluster_size) {
        return Err(Error::out_of_range("settings.max_cluster_size", settings.max_cluster_size, 2, 10_000));
    }
    if !(0.0..=1.0).contains(&settings.min_density) {
        return Err(Error::out_of_range("settings.min_density", settings.min_density, 0, 1));
    }
    Ok(())
}

/// Blocking, scoring and clustering over prepared rows; with `given` pairs of rows, no
/// blocking: those pairs are the candidates (scored here again), and a cannot-link pair that
/// names an id outside the table is ignored (the table is one component of a larger one).
pub(crate) fn dedup_table(
    policy: &MatchPolicy,
    settings: &BatchSettings,
    table: &Table<'_>,
    prepared: &[Prepared],
    given: Option<&[(u32, u32)]>,
) -> Result<DedupReport> {
    validate_settings(settings)?;
    let scorer = Scorer::new(policy, None)?;
    let row_of: HashMap<&str, usize> = table.ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut cannot: HashSet<(usize, usize)> = HashSet::new();
    for (k, [a, b]) in settings.cannot_link.iter().enumerate() {
        let find = |id: &String, j: usize| {
            row_of.get(id.as_str()).copied().ok_or_else(|| Error::InvalidValue {
                path: format!("settings.cannot_link[{k}][{j}]"),
                reason: format!("{id:?} is not a record id"),
            })
        };
        if given.is_some() && !(row_of.contains_key(a.as_str()) && row_of.contains_key(b.as_str())) {
            continue;
        }
        let (x, y) = (find(a, 0)?, find(b, 1)?);
        cannot.insert((x.min(y), x.max(y)));
    }
    let (pairs, stats) = match given {
        None => candidate_pairs(policy, prepared)?,
        Some(given) => (super::parts::given_pairs(given, prepared.len())?, super::blocking::BlockStats::default()),
    };
    // Each candidate pair's verdict, beside `pairs` (sorted): the guard looks pairs up by a
    // binary search, no hash map of every pair.
    // Scoring is most of the work and each pair's score is its own: on several threads, each
    // a contiguous run of the sorted pairs, put back in order (the same result on any number
    // of threads; the first error is the first in pair order, as on one).
    let threads = threads_for(pairs.len(), 50_000);
    let ids: &[&str] = &table.ids;
    let runs =
        in_runs(pairs.len(), threads, &|start, end| score_run(&scorer, settings, ids, prepared, &pairs[start..end]));
    let mut scored: Vec<Verdict> = Vec::with_capacity(pairs.len());
    let mut edges: Vec<(f64, u32, u32)> = Vec::new();
    let mut explained: Vec<PairMatch> = Vec::new();
    let (mut duplicate_pairs, mut related_pairs) = (0u64, 0u64);
    for run in runs {
        let run = run?;
        scored.extend_from_slice(&run.scored);
        edges.extend_from_slice(&run.edges);
        explained.extend(run.explained);
        duplicate_pairs += run.duplicate_pairs;
        related_pairs += run.related_pairs;
    }
    // Ties by ids, not by input position: the clusters do not depend on the input's order.
    explained.sort_by(|x, y| {
        x.verdict
            .cmp(&y.verdict)
            .then(y.score.total_cmp(&x.score))
            .then_with(|| (&x.left, &x.right).cmp(&(&y.left, &y.right)))
    });
    let id_pair = |a: u32, b: u32| {
        let (x, y) = (table.ids[a as usize], table.ids[b as usize]);
        if x <= y {
            (x, y)
        } else {
            (y, x)
        }
    };
    edges.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| id_pair(x.1, x.2).cmp(&id_pair(y.1, y.2))));

    let n = prepared.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    let mut min_score: Vec<f64> = vec![1.0; n];
    let mut refused = Vec::new();
    let credit_fields: Vec<usize> = policy
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.comparator == Comparator::CreditCode)
        .map(|(i, _)| i)
        .collect();
    for &(score, a, b) in &edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        let refuse = |reason| RefusedMerge {
            left: table.ids[a as usize].to_owned(),
            right: table.ids[b as usize].to_owned(),
            reason,
        };
        let (ma, mb) = (&members[ra as usize], &members[rb as usize]);
        if (ma.len() + mb.len()) as u64 > u64::from(settings.max_cluster_size) {
            refused.push(refuse(RefusalReason::MaxClusterSize));
            continue;
        }
        let mut verdict_of_cross = None;
        let mut duplicates = 0usize;
        'cross: for &x in ma {
            for &y in mb {
                let (lo, hi) = (x.min(y), x.max(y));
                if cannot.contains(&(lo as usize, hi as usize)) {
                    verdict_of_cross = Some(RefusalReason::CannotLink);
                    break 'cross;
                }
                if credit_fields.iter().any(|&f| credit_differs(&prepared[lo as usize], &prepared[hi as usize], f)) {
                    verdict_of_cross = Some(RefusalReason::CreditCodeDiffers);
                    break 'cross;
                }
                let verdict = match pairs.binary_search(&(lo, hi)) {
                    Ok(k) => scored[k],
                    Err(_) => scorer.evaluate(&prepared[lo as usize], &prepared[hi as usize])?.verdict,
                };
                match verdict {
                    Verdict::Duplicate => duplicates += 1,
                    Verdict::Distinct => {
                        verdict_of_cross = Some(RefusalReason::Incoherent);
                        break 'cross;
                    }
                    // Two entities of one brand (a branch, another region's or legal form's
                    // company): a short name that duplicates both must not chain them.
                    Verdict::Related => {
                        verdict_of_cross = Some(RefusalReason::Related);
                        break 'cross;
                    }
                }
            }
        }
        let cross = (ma.len() * mb.len()) as f64;
        if verdict_of_cross.is_none() && (duplicates as f64) < settings.min_density * cross - 1e-9 {
            verdict_of_cross = Some(RefusalReason::Incoherent);
        }
        if let Some(reason) = verdict_of_cross {
            refused.push(refuse(reason));
            continue;
        }
        // Union: the larger list absorbs the smaller; the root is the smaller record number.
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        let moved = std::mem::take(&mut members[gone as usize]);
        members[keep as usize].extend(moved);
        parent[gone as usize] = keep;
        min_score[keep as usize] = min_score[keep as usize].min(min_score[gone as usize]).min(score);
    }

    let mut clusters = Vec::new();
    for root in 0..n {
        if find(&mut parent, root as u32) != root as u32 || members[root].len() < 2 {
            continue;
        }
        let mut rows = members[root].clone();
        rows.sort_unstable();
        clusters.push(build_cluster(policy, table, prepared, &rows, min_score[root]));
    }
    clusters.sort_by_key(|c| row_of.get(c.members[0].as_str()).copied().unwrap_or(usize::MAX));
    for (i, c) in clusters.iter_mut().enumerate() {
        c.id = i as u32;
    }
    Ok(DedupReport {
        clusters,
        pairs: explained,
        refused,
        issues: Vec::new(),
        stats: BatchStats {
            records: n as u64,
            candidate_pairs: pairs.len() as u64,
            duplicate_pairs,
            related_pairs,
            skipped_keys: stats.skipped_keys,
        },
    })
}

/// What scoring a run of candidate pairs found.
struct ScoredRun {
    scored: Vec<Verdict>,
    edges: Vec<(f64, u32, u32)>,
    explained: Vec<PairMatch>,
    duplicate_pairs: u64,
    related_pairs: u64,
}

fn score_run(
    scorer: &Scorer<'_>,
    settings: &BatchSettings,
    ids: &[&str],
    prepared: &[Prepared],
    pairs: &[(u32, u32)],
) -> Result<ScoredRun> {
    let mut run = ScoredRun {
        scored: Vec::with_capacity(pairs.len()),
        edges: Vec::new(),
        explained: Vec::new(),
        duplicate_pairs: 0,
        related_pairs: 0,
    };
    for &(a, b) in pairs {
        let (pa, pb) = (&prepared[a as usize], &prepared[b as usize]);
        let e = scorer.evaluate(pa, pb)?;
        match e.verdict {
            Verdict::Duplicate => {
                run.duplicate_pairs += 1;
                run.edges.push((e.score, a, b));
            }
            Verdict::Related => run.related_pairs += 1,
            Verdict::Distinct => {}
        }
        run.scored.push(e.verdict);
        if settings.explain_pairs && e.verdict != Verdict::Distinct {
            run.explained.push(scorer.explain(ids[a as usize], ids[b as usize], pa, pb, e));
        }
    }
    Ok(run)
}

fn credit_differs(a: &Prepared, b: &Prepared, field: usize) -> bool {
    matches!((a.get(field), b.get(field)), (Some(ValueRef::Credit { code: x }), Some(ValueRef::Credit { code: y })) if x != y)
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

fn build_cluster(
    policy: &MatchPolicy,
    table: &Table<'_>,
    prepared: &[Prepared],
    rows: &[u32],
    min_score: f64,
) -> Cluster {
    let filled = |r: u32| prepared[r as usize].filled();
    let best = rows.iter().copied().map(filled).max().unwrap_or(0);
    let complete: Vec<u32> = rows.iter().copied().filter(|&r| filled(r) == best).collect();
    let owned: Vec<u32> = complete.iter().copied().filter(|&r| table.owners[r as usize].is_some()).collect();
    let (survivor, reason) = if complete.len() == 1 {
        (complete[0], SurvivorReason::MostComplete)
    } else if owned.len() == 1 {
        (owned[0], SurvivorReason::Owned)
    } else {
        let tied = if owned.is_empty() { &complete } else { &owned };
        let lowest = tied.iter().copied().min_by_key(|&r| table.ids[r as usize]).unwrap_or(complete[0]);
        (lowest, SurvivorReason::LowestId)
    };
    let mut merged = BTreeMap::new();
    for spec in &policy.fields {
        let order = std::iter::once(survivor).chain(rows.iter().copied().filter(|&r| r != survivor));
        if let Some(v) = order.filter_map(|r| (table.raw)(r as usize, &spec.field)).find(|v| !v.trim().is_empty()) {
            merged.insert(spec.field.clone(), v.to_owned());
        }
    }
    let mut owners: Vec<String> = rows.iter().filter_map(|&r| table.owners[r as usize]).map(str::to_owned).collect();
    owners.sort_unstable();
    owners.dedup();
    Cluster {
        id: 0,
        members: rows.iter().map(|&r| table.ids[r as usize].to_owned()).collect(),
        survivor: table.ids[survivor as usize].to_owned(),
        survivor_reason: reason,
        merged,
        owners,
        min_score: super::compare::round4(min_score),
    }
}
