//! Batch de-duplication of a whole table: blocking, pair scoring, clustering and a survivor
//! per cluster.
//!
//! Clusters grow by union-find over DUPLICATE pairs, best score first, with guards against
//! chaining (one false edge fusing two entities, goldenmatch #2084, dedupe's giant
//! components): two clusters merge only if no pair across them is a cannot-link (given, or
//! two different valid credit codes), none is DISTINCT or RELATED, at least `min_density` of the pairs
//! across them are DUPLICATE, and the result stays within `max_cluster_size`. A DISTINCT pair
//! that only a contradicting `or_blank` field refused, and whose contradicting value another
//! record of the merge holds (see `bridged`), counts against the density instead. Refused
//! merges are reported with their reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::blocking::{share_any, Blocks, MAX_CANDIDATE_PAIRS};
use super::company_match::Verdict;
use super::compare::{Comparator, FieldResult};
use super::packed::ValueRef;
use super::policy::{Condition, MatchPolicy};
use super::score::{check_unique_ids, prepare_record, Decision, DedupRecord, Issue, PairMatch, Prepared, Scorer};
use super::threads::in_runs;
use crate::error::{Error, Result};

/// Most records one batch reads (declared limit: README Limits table).
pub const MAX_BATCH_RECORDS: u64 = 20_000_000;

/// How clusters are formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct BatchSettings {
    /// Largest cluster (2 to 10,000, default 50): a merge beyond it is refused.
    #[serde(default = "default_max_cluster")]
    pub max_cluster_size: u32,
    /// Share of the pairs across two clusters that must be DUPLICATE for them to merge
    /// (0 to 1, default 0.5); a DISTINCT pair across them refuses the merge, unless only an
    /// `or_blank` field's contradiction refused it and another record of the merge holds that
    /// value (a second phone): it then only counts against this share.
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum SurvivorReason {
    /// It has the most non-blank policy fields.
    MostComplete,
    /// Tied on completeness; it has an owner.
    Owned,
    /// Tied; it has the lowest id (so the choice does not depend on the input's order).
    LowestId,
}

/// Why a merge was refused. A merge beyond the size cap is refused for its size; otherwise
/// the reason is the strongest any pair across the two clusters gives, in this order:
/// cannot-link, two credit codes, a DISTINCT pair (`incoherent`), a RELATED pair, too few
/// DUPLICATE pairs (`incoherent`): the same whatever the input's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
    // Each record read on its own: on several threads, put back in record order.
    let threads = policy.threads_for(records.len() as u64, 20_000);
    let runs = in_runs(records.len(), threads, &|start, end| {
        let mut issues = Vec::new();
        let prepared = records[start..end]
            .iter()
            .enumerate()
            .map(|(i, r)| prepare_record(policy, r, &format!("records[{}]", start + i), Some(&mut issues)))
            .collect::<Result<Vec<Prepared>>>();
        prepared.map(|p| (p, issues))
    });
    let (mut prepared, mut issues) = (Vec::with_capacity(records.len()), Vec::new());
    for run in runs {
        let (p, i) = run?;
        prepared.extend(p);
        issues.extend(i);
    }
    let table = Table {
        ids: records.iter().map(|r| r.id.as_str()).collect(),
        owners: records.iter().map(|r| r.owner.as_deref()).collect(),
        raw: &|row: usize, field: usize| {
            records[row].fields.get(&policy.fields[field].field).and_then(Option::as_deref)
        },
    };
    let mut report = dedup_table(policy, settings, &table, &prepared, None)?.report;
    report.issues = issues;
    Ok(report)
}

/// The rows of a table as the clustering reads them.
pub(crate) struct Table<'a> {
    pub ids: Vec<&'a str>,
    pub owners: Vec<Option<&'a str>>,
    /// A row's raw value of a policy field (by its place in the policy).
    pub raw: &'a (dyn Fn(usize, usize) -> Option<&'a str> + Sync),
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

/// What [`dedup_table`] found, with each row's cluster (for the columnar answer).
pub(crate) struct TableReport {
    pub report: DedupReport,
    /// Per row: its cluster's id, or -1.
    pub cluster: Vec<i64>,
    /// Per row: whether it is its cluster's survivor.
    pub survivor: Vec<bool>,
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
) -> Result<TableReport> {
    validate_settings(settings)?;
    let scorer = Scorer::new(policy, None)?;
    let n = prepared.len();
    let mut cannot: HashSet<(usize, usize)> = HashSet::new();
    if !settings.cannot_link.is_empty() {
        let row_of: IdMap<'_> = table.ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
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
    }
    // Scoring is most of the work and each pair's score is its own: on several threads, each
    // a contiguous run of the blocks (or of the given pairs), put together in one order (the
    // same result on any number of threads; the first error is the first in that order).
    let ids: &[&str] = &table.ids;
    let (runs, skipped_keys) = match given {
        None => {
            let blocks = Blocks::new(policy, prepared)?;
            let work: Vec<u64> = (0..blocks.len()).map(|b| blocks.work(b)).collect();
            let threads = policy.threads_for(work.iter().sum::<u64>(), 50_000);
            let cuts = cut_by_work(&work, threads);
            let runs = in_runs(threads, threads, &|k, _| {
                score_blocks(&scorer, settings, ids, prepared, &blocks, cuts[k]..cuts[k + 1])
            });
            (runs, blocks.skipped_keys)
        }
        Some(given) => {
            let pairs = super::parts::given_pairs(given, n)?;
            let threads = policy.threads_for(pairs.len() as u64, 50_000);
            let runs = in_runs(pairs.len(), threads, &|start, end| {
                score_pairs(&scorer, settings, ids, prepared, &pairs[start..end])
            });
            (runs, 0)
        }
    };
    let mut found: Vec<(u32, u32, Verdict)> = Vec::new();
    let mut edges: Vec<(f64, u32, u32)> = Vec::new();
    let mut explained: Vec<PairMatch> = Vec::new();
    let (mut candidate_pairs, mut duplicate_pairs, mut related_pairs) = (0u64, 0u64, 0u64);
    for run in runs {
        let run = run?;
        found.extend_from_slice(&run.found);
        edges.extend_from_slice(&run.edges);
        explained.extend(run.explained);
        candidate_pairs += run.compared;
        duplicate_pairs += run.duplicate_pairs;
        related_pairs += run.related_pairs;
    }
    crate::limits::check("records", candidate_pairs, MAX_CANDIDATE_PAIRS, "candidate pairs")?;
    // The DUPLICATE and RELATED pairs, sorted: the guard looks a pair up by a binary search
    // (a DISTINCT one is not kept: the guard scores it again, and it refuses the merge).
    found.sort_unstable_by_key(|&(a, b, _)| (a, b));
    // Ties by ids, not by input position: the clusters do not depend on the input's order.
    explained.sort_by(|x, y| {
        x.verdict
            .cmp(&y.verdict)
            .then(y.score.total_cmp(&x.score))
            .then_with(|| (&x.left, &x.right).cmp(&(&y.left, &y.right)))
    });
    sort_edges(&mut edges, &table.ids);

    // Clusters as circular lists (`next`) with their sizes at the root: a merge splices two
    // lists, and no record needs a vector of its own.
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    let mut min_score: Vec<f64> = vec![1.0; n];
    let mut refused = Vec::new();
    let credit_fields: Vec<usize> = policy
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.comparator == Comparator::CreditCode)
        .map(|(i, _)| i)
        .collect();
    let mut buf = Vec::new();
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
        let (sa, sb) = (size[ra as usize], size[rb as usize]);
        if u64::from(sa) + u64::from(sb) > u64::from(settings.max_cluster_size) {
            refused.push(refuse(RefusalReason::MaxClusterSize));
            continue;
        }
        // The reason of a refusal is the strongest one any pair across gives (cannot-link, then
        // two credit codes, then a DISTINCT pair, then a RELATED one), never the first pair
        // met: the members' order follows the rows, and the report must not depend on the
        // input's order. Only a cannot-link ends the scan early; once a reason is known, a
        // pair is scored only if it could still give a stronger one.
        let mut verdict_of_cross = None;
        let mut duplicates = 0usize;
        // DISTINCT pairs that only a contradicting `or_blank` field refused, with the rules
        // it refused: judged once the whole merge is known (see `bridged`).
        let mut contradicted = Vec::new();
        'cross: for x in members(&next, ra) {
            for y in members(&next, rb) {
                let (lo, hi) = (x.min(y), x.max(y));
                if cannot.contains(&(lo as usize, hi as usize)) {
                    verdict_of_cross = Some(RefusalReason::CannotLink);
                    break 'cross;
                }
                if credit_fields.iter().any(|&f| credit_differs(&prepared[lo as usize], &prepared[hi as usize], f)) {
                    verdict_of_cross = Some(RefusalReason::CreditCodeDiffers);
                    continue;
                }
                if matches!(verdict_of_cross, Some(RefusalReason::CreditCodeDiffers | RefusalReason::Incoherent)) {
                    continue;
                }
                let verdict = if let Ok(k) = found.binary_search_by_key(&(lo, hi), |&(a, b, _)| (a, b)) {
                    found[k].2
                } else {
                    let (pl, ph) = (&prepared[lo as usize], &prepared[hi as usize]);
                    let (vl, vh): (Vec<_>, Vec<_>) = (pl.iter().collect(), ph.iter().collect());
                    scorer.compare_refs(&vl, &vh, &mut buf)?;
                    let d = scorer.decide(&vl, &vh, &buf);
                    if d.verdict == Verdict::Distinct {
                        let rules = scorer.contradictions(&vl, &vh, &buf);
                        if !rules.is_empty() {
                            contradicted.push((lo, hi, rules));
                            continue;
                        }
                    }
                    d.verdict
                };
                match verdict {
                    Verdict::Duplicate => duplicates += 1,
                    Verdict::Distinct => verdict_of_cross = Some(RefusalReason::Incoherent),
                    // Two entities of one brand (a branch, another region's or legal form's
                    // company): a short name that duplicates both must not chain them.
                    Verdict::Related => verdict_of_cross = Some(RefusalReason::Related),
                }
            }
        }
        if matches!(verdict_of_cross, None | Some(RefusalReason::Related)) && !contradicted.is_empty() {
            let merged: Vec<u32> = members(&next, ra).chain(members(&next, rb)).collect();
            let is_duplicate = |p: u32, q: u32, buf: &mut Vec<Option<FieldResult>>| -> Result<bool> {
                let (lo, hi) = (p.min(q), p.max(q));
                Ok(match found.binary_search_by_key(&(lo, hi), |&(a, b, _)| (a, b)) {
                    Ok(k) => found[k].2 == Verdict::Duplicate,
                    Err(_) => {
                        scorer.decide_pair(&prepared[lo as usize], &prepared[hi as usize], buf)?.verdict
                            == Verdict::Duplicate
                    }
                })
            };
            for (x, y, rules) in &contradicted {
                if !bridged(&scorer, prepared, &merged, (*x, *y), rules, &mut |p, q| is_duplicate(p, q, &mut buf))? {
                    verdict_of_cross = Some(RefusalReason::Incoherent);
                    break;
                }
            }
        }
        let cross = f64::from(sa) * f64::from(sb);
        if verdict_of_cross.is_none() && (duplicates as f64) < settings.min_density * cross - 1e-9 {
            verdict_of_cross = Some(RefusalReason::Incoherent);
        }
        if let Some(reason) = verdict_of_cross {
            refused.push(refuse(reason));
            continue;
        }
        // Union: the root is the smaller record number; the two circular lists are spliced.
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        next.swap(keep as usize, gone as usize);
        parent[gone as usize] = keep;
        size[keep as usize] = sa + sb;
        min_score[keep as usize] = min_score[keep as usize].min(min_score[gone as usize]).min(score);
    }

    // Roots in row order: each cluster's first row is its root's smallest row, so clusters
    // come out in the order of their first record, as the ids are numbered.
    let mut row_cluster = vec![-1i64; n];
    let mut row_survivor = vec![false; n];
    let mut roots: Vec<(u32, u32)> = Vec::new();
    for root in 0..n as u32 {
        if find(&mut parent, root) == root && size[root as usize] >= 2 {
            let first = members(&next, root).min().unwrap_or(root);
            roots.push((first, root));
        }
    }
    roots.sort_unstable();
    // Each cluster's survivor and merged values are its own: on several threads, each a run
    // of the clusters, put together in cluster order.
    let threads = policy.threads_for(roots.len() as u64, 20_000);
    let runs = in_runs(roots.len(), threads, &|start, end| {
        let mut rows = Vec::new();
        let mut built = Vec::with_capacity(end - start);
        for (k, &(_, root)) in roots[start..end].iter().enumerate() {
            rows.clear();
            rows.extend(members(&next, root));
            rows.sort_unstable();
            let (mut cluster, survivor) = build_cluster(policy, table, prepared, &rows, min_score[root as usize]);
            cluster.id = (start + k) as u32;
            built.push((cluster, survivor));
        }
        built
    });
    let mut clusters = Vec::with_capacity(roots.len());
    for (cluster, survivor) in runs.into_iter().flatten() {
        for r in members(&next, roots[cluster.id as usize].1) {
            row_cluster[r as usize] = i64::from(cluster.id);
        }
        row_survivor[survivor as usize] = true;
        clusters.push(cluster);
    }
    Ok(TableReport {
        report: DedupReport {
            clusters,
            pairs: explained,
            refused,
            issues: Vec::new(),
            stats: BatchStats { records: n as u64, candidate_pairs, duplicate_pairs, related_pairs, skipped_keys },
        },
        cluster: row_cluster,
        survivor: row_survivor,
    })
}

/// Ids to rows, hashed as the blocking keys are (FNV: faster than SipHash on short ids, and
/// the map is never exposed to its input's author as a denial-of-service surface beyond the
/// declared record limit).
pub(crate) type IdMap<'a> = HashMap<&'a str, usize, crate::hash::FxBuild>;

/// The DUPLICATE pairs best score first, ties by their ids (the smaller id, then the larger),
/// not by input position: the clusters do not depend on the input's order. Most pairs tie on
/// their score, so the ids are compared by their first eight bytes as an integer, their text
/// only when those are equal (a million-row batch compared ids as text some 15 million
/// times, a tenth of its time on one thread).
fn sort_edges(edges: &mut Vec<(f64, u32, u32)>, ids: &[&str]) {
    let prefix = |id: &str| {
        let mut bytes = [0u8; 8];
        let n = id.len().min(8);
        bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
        u64::from_be_bytes(bytes)
    };
    // Two ids in text order: by their prefixes, then (equal prefixes) by their lengths when
    // both fit in the prefix (one is the other and trailing NULs), else by their text.
    let cmp_ids = |x: u32, px: u64, y: u32, py: u64| {
        let (tx, ty) = (ids[x as usize], ids[y as usize]);
        px.cmp(&py).then_with(|| if tx.len() <= 8 && ty.len() <= 8 { tx.len().cmp(&ty.len()) } else { tx.cmp(ty) })
    };
    // Each pair as (score, lower id's row, its prefix, higher id's row, its prefix, a, b).
    let mut keyed: Vec<(f64, u32, u64, u32, u64, u32, u32)> = edges
        .iter()
        .map(|&(score, a, b)| {
            let (pa, pb) = (prefix(ids[a as usize]), prefix(ids[b as usize]));
            if cmp_ids(a, pa, b, pb).is_le() {
                (score, a, pa, b, pb, a, b)
            } else {
                (score, b, pb, a, pa, a, b)
            }
        })
        .collect();
    keyed.sort_unstable_by(|x, y| {
        y.0.total_cmp(&x.0).then_with(|| cmp_ids(x.1, x.2, y.1, y.2)).then_with(|| cmp_ids(x.3, x.4, y.3, y.4))
    });
    edges.clear();
    edges.extend(keyed.iter().map(|k| (k.0, k.5, k.6)));
}

/// `threads + 1` cut points over blocks of the given work, each run about an equal share.
fn cut_by_work(work: &[u64], threads: usize) -> Vec<usize> {
    let total: u64 = work.iter().sum();
    let mut cuts = vec![0];
    let (mut sum, mut b) = (0u64, 0usize);
    for k in 1..threads {
        let goal = total * k as u64 / threads as u64;
        while b < work.len() && sum < goal {
            sum += work[b];
            b += 1;
        }
        cuts.push(b);
    }
    cuts.push(work.len());
    cuts
}

/// What scoring a run of candidate pairs found.
struct ScoredRun {
    /// Pairs scored.
    compared: u64,
    /// The DUPLICATE and RELATED pairs with their verdicts.
    found: Vec<(u32, u32, Verdict)>,
    edges: Vec<(f64, u32, u32)>,
    explained: Vec<PairMatch>,
    duplicate_pairs: u64,
    related_pairs: u64,
}

impl ScoredRun {
    fn new() -> Self {
        Self {
            compared: 0,
            found: Vec::new(),
            edges: Vec::new(),
            explained: Vec::new(),
            duplicate_pairs: 0,
            related_pairs: 0,
        }
    }

    /// Keeps what a decided pair contributes.
    #[allow(clippy::too_many_arguments)] // the pair, its values and its decision
    fn keep(
        &mut self,
        scorer: &Scorer<'_>,
        settings: &BatchSettings,
        ids: &[&str],
        prepared: &[Prepared],
        (a, b): (u32, u32),
        d: &Decision,
        results: &[Option<FieldResult>],
    ) {
        self.compared += 1;
        match d.verdict {
            Verdict::Duplicate => {
                self.duplicate_pairs += 1;
                self.edges.push((d.score, a, b));
            }
            Verdict::Related => self.related_pairs += 1,
            Verdict::Distinct => return,
        }
        self.found.push((a, b, d.verdict));
        if settings.explain_pairs {
            let (pa, pb) = (&prepared[a as usize], &prepared[b as usize]);
            self.explained.push(scorer.explain_results(ids[a as usize], ids[b as usize], pa, pb, d, results));
        }
    }
}

/// Scores the pairs of blocks `range`, each pair in the first block its two rows share. A
/// block's records are read out of their packed form at most once and compared from there:
/// a pair costs no read of a record that is elsewhere in memory.
fn score_blocks<'p>(
    scorer: &Scorer<'_>,
    settings: &BatchSettings,
    ids: &[&str],
    prepared: &'p [Prepared],
    blocks: &Blocks,
    range: std::ops::Range<usize>,
) -> Result<ScoredRun> {
    let mut run = ScoredRun::new();
    let fields = scorer.fields();
    let (mut values, mut read, mut buf, mut before) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for b in range {
        let rows = blocks.block(b);
        before.clear();
        before.extend(rows.iter().map(|&r| blocks.before(r, b)));
        // A row is read out of its packed form when its first pair here is scored: most
        // pairs of a block were scored in an earlier block (two names one slip apart share
        // their 字号's keys), and their rows need not be read again.
        values.clear();
        values.resize(rows.len() * fields, None);
        read.clear();
        read.resize(rows.len(), false);
        let mut ensure = |values: &mut [Option<ValueRef<'p>>], x: usize| {
            if !read[x] {
                read[x] = true;
                for (slot, v) in values[x * fields..(x + 1) * fields].iter_mut().zip(prepared[rows[x] as usize].iter())
                {
                    *slot = v;
                }
            }
        };
        for (x, &ra) in rows.iter().enumerate() {
            let earlier = before[x];
            for (y, &rb) in rows.iter().enumerate().skip(x + 1) {
                // Scored in the first block the two rows share.
                if !earlier.is_empty() && share_any(earlier, before[y]) {
                    continue;
                }
                ensure(&mut values, x);
                ensure(&mut values, y);
                let (va, vb) = (&values[x * fields..(x + 1) * fields], &values[y * fields..(y + 1) * fields]);
                scorer.compare_refs(va, vb, &mut buf)?;
                let d = scorer.decide(va, vb, &buf);
                run.keep(scorer, settings, ids, prepared, (ra, rb), &d, &buf);
            }
        }
    }
    Ok(run)
}

/// Scores given pairs (sorted): a record is the left side of a run of them, read once.
fn score_pairs(
    scorer: &Scorer<'_>,
    settings: &BatchSettings,
    ids: &[&str],
    prepared: &[Prepared],
    pairs: &[(u32, u32)],
) -> Result<ScoredRun> {
    let mut run = ScoredRun::new();
    let (mut buf, mut left, mut right) = (Vec::new(), Vec::new(), Vec::new());
    let mut left_row = None;
    for &(a, b) in pairs {
        if left_row != Some(a) {
            prepared[a as usize].read_into(&mut left);
            left_row = Some(a);
        }
        prepared[b as usize].read_into(&mut right);
        scorer.compare_refs(&left, &right, &mut buf)?;
        let d = scorer.decide(&left, &right, &buf);
        run.keep(scorer, settings, ids, prepared, (a, b), &d, &buf);
    }
    Ok(run)
}

/// Whether a DISTINCT pair `(x, y)` that only contradicting `or_blank` fields refused is
/// explained inside the merged cluster: for one of the rules it nearly met, each
/// contradicting field's value of one record is held by a third record of the merge that
/// is DUPLICATE of the other (the entity is known to have both phones: a company's second
/// number). Such a pair then counts only against `min_density`; otherwise it refuses the
/// merge as any DISTINCT pair does.
fn bridged(
    scorer: &Scorer<'_>,
    prepared: &[Prepared],
    merged: &[u32],
    (x, y): (u32, u32),
    rules: &[Vec<(usize, &Condition)>],
    is_duplicate: &mut dyn FnMut(u32, u32) -> Result<bool>,
) -> Result<bool> {
    let row = |r: u32| &prepared[r as usize];
    'rules: for conditions in rules {
        for &(field, cond) in conditions {
            let mut held = false;
            for &z in merged.iter().filter(|&&z| z != x && z != y) {
                held = (scorer.agrees(field, cond, row(x), row(z))? && is_duplicate(z, y)?)
                    || (scorer.agrees(field, cond, row(y), row(z))? && is_duplicate(z, x)?);
                if held {
                    break;
                }
            }
            if !held {
                continue 'rules;
            }
        }
        return Ok(true);
    }
    Ok(false)
}

fn credit_differs(a: &Prepared, b: &Prepared, field: usize) -> bool {
    matches!((a.get(field), b.get(field)), (Some(ValueRef::Credit { code: x }), Some(ValueRef::Credit { code: y })) if x != y)
}

/// The records of the cluster whose circular list holds `root`.
fn members(next: &[u32], root: u32) -> impl Iterator<Item = u32> + '_ {
    let mut at = Some(root);
    std::iter::from_fn(move || {
        let here = at?;
        let after = next[here as usize];
        at = (after != root).then_some(after);
        Some(here)
    })
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
) -> (Cluster, u32) {
    // Each row's values counted once (reading them out of their packed form is not free).
    let filled: Vec<usize> = rows.iter().map(|&r| prepared[r as usize].filled()).collect();
    let best = filled.iter().copied().max().unwrap_or(0);
    let complete: Vec<u32> = rows.iter().zip(&filled).filter(|&(_, &f)| f == best).map(|(&r, _)| r).collect();
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
    for (k, spec) in policy.fields.iter().enumerate() {
        let order = std::iter::once(survivor).chain(rows.iter().copied().filter(|&r| r != survivor));
        if let Some(v) = order.filter_map(|r| (table.raw)(r as usize, k)).find(|v| !v.trim().is_empty()) {
            merged.insert(spec.field.clone(), v.to_owned());
        }
    }
    let mut owners: Vec<String> = rows.iter().filter_map(|&r| table.owners[r as usize]).map(str::to_owned).collect();
    owners.sort_unstable();
    owners.dedup();
    let cluster = Cluster {
        id: 0,
        members: rows.iter().map(|&r| table.ids[r as usize].to_owned()).collect(),
        survivor: table.ids[survivor as usize].to_owned(),
        survivor_reason: reason,
        merged,
        owners,
        min_score: super::compare::round4(min_score),
    };
    (cluster, survivor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::{find_duplicates_columns, RecordColumns};
    use crate::wire::from_json;

    /// A table whose blocks are large (a few 字号 in many cities, industries and forms, with
    /// shared phones and e-mail domains): tens of thousands of candidate pairs, every verdict.
    type Columns = (Vec<String>, Vec<(String, Vec<Option<String>>)>);

    fn table(n: usize) -> Columns {
        let brands = ["华信", "东方", "鑫源", "瑞宏", "中科", "天明", "汇金", "凯越", "嘉禾", "龙腾"];
        let regions = ["北京", "上海", "深圳", "", "（广州）"];
        let industries = ["科技", "网络科技", "贸易", "", "信息技术"];
        let forms = ["有限公司", "股份有限公司", "有限责任公司", ""];
        let mut state = 7u64;
        let mut next = |m: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % m
        };
        let ids = (0..n).map(|i| format!("R{i}")).collect();
        let (mut company, mut phone, mut email) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let (b, r, ind, f) = (brands[next(10)], regions[next(5)], industries[next(5)], forms[next(4)]);
            company.push(Some(if r.starts_with('（') {
                format!("{b}{r}{ind}{f}")
            } else {
                format!("{r}{b}{ind}{f}")
            }));
            phone.push((next(3) > 0).then(|| format!("1390000{:04}", next(400))));
            email.push((next(2) > 0).then(|| format!("x{}@c{}.cn", next(3), next(300))));
        }
        let fields = vec![("company".into(), company), ("phone".into(), phone), ("email".into(), email)];
        (ids, fields)
    }

    fn policy(threads: Option<u32>) -> MatchPolicy {
        let mut p: MatchPolicy = from_json(
            r#"{"fields": [{"field": "company", "comparator": {"type": "company_name"}},
                          {"field": "phone", "comparator": {"type": "phone"}},
                          {"field": "email", "comparator": {"type": "email"}}],
                "rules": {"duplicate": [{"name": "c", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
                                        {"name": "p", "all": [{"field": "phone"}, {"field": "email", "min": 0.5}]}],
                          "related": [{"name": "r", "all": [{"field": "company", "verdict": "RELATED"}]}]}}"#,
            "",
        )
        .expect("policy");
        p.threads = threads;
        p
    }

    /// Edges sorted by their ids' prefixes come out as sorted by the ids' text: ids shorter and
    /// longer than eight bytes, sharing their first eight, ending in NULs, scores tied.
    #[test]
    fn edges_sorted_by_prefixes_as_by_text() {
        let ids =
            ["R0000001", "R0000001a", "R0000001b", "R00000010", "R1", "R1\0", "R1\0\0", "", "é", "R0000002", "Z", "R0"];
        let mut edges: Vec<(f64, u32, u32)> = Vec::new();
        for a in 0..ids.len() as u32 {
            for b in 0..ids.len() as u32 {
                // Each pair once (as the batch scores it), on either side.
                if a < b && (a + 2 * b) % 3 != 0 {
                    let (x, y) = if (a + b) % 2 == 0 { (a, b) } else { (b, a) };
                    edges.push((if (a * b) % 5 == 0 { 0.9 } else { 1.0 }, x, y));
                }
            }
        }
        let mut plain = edges.clone();
        let id_pair = |a: u32, b: u32| {
            let (x, y) = (ids[a as usize], ids[b as usize]);
            if x <= y {
                (x, y)
            } else {
                (y, x)
            }
        };
        plain.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| id_pair(x.1, x.2).cmp(&id_pair(y.1, y.2))));
        sort_edges(&mut edges, &ids);
        assert_eq!(edges, plain);
    }

    /// The batch scores blocks on several threads, each pair in the first block its records
    /// share: the report is the same on one thread and on several, and the same as scoring
    /// the table's candidate pairs one by one (the way `cluster_pairs` scores given pairs).
    #[test]
    fn threads_and_blocks_give_the_report_of_pairs_scored_one_by_one() {
        let (ids, fields) = table(1_500);
        let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
        let settings = BatchSettings { max_cluster_size: 8, ..BatchSettings::default() };
        let one = find_duplicates_columns(&policy(Some(1)), &settings, &columns).expect("one thread");
        assert!(one.stats.candidate_pairs >= 50_000, "{} candidate pairs", one.stats.candidate_pairs);
        assert!(one.stats.duplicate_pairs > 1_000 && one.stats.related_pairs > 1_000, "{:?}", one.stats);
        assert!(!one.refused.is_empty() && one.clusters.len() > 50);
        for threads in [Some(2), Some(3), Some(7), None] {
            let many = find_duplicates_columns(&policy(threads), &settings, &columns).expect("threads");
            assert_eq!(many, one, "threads {threads:?}");
        }
        // The candidate pairs given one by one, on one thread.
        let p = policy(Some(1));
        let read = super::super::link::read_columns(&p, &columns, true).expect("read");
        let (pairs, _) = super::super::blocking::candidate_pairs(&p, &read.prepared).expect("pairs");
        assert_eq!(pairs.len() as u64, one.stats.candidate_pairs);
        let table = Table {
            ids: ids.iter().map(String::as_str).collect(),
            owners: vec![None; ids.len()],
            raw: &|row: usize, field: usize| {
                let name = &p.fields[field].field;
                fields.iter().find(|(f, _)| f == name).and_then(|(_, col)| col[row].as_deref())
            },
        };
        let settings = BatchSettings { explain_pairs: true, ..settings };
        let by_pairs = dedup_table(&p, &settings, &table, &read.prepared, Some(&pairs)).expect("pairs");
        let by_blocks = dedup_table(&policy(Some(3)), &settings, &table, &read.prepared, None).expect("blocks");
        assert_eq!(by_blocks.report.clusters, by_pairs.report.clusters);
        assert_eq!(by_blocks.report.refused, by_pairs.report.refused);
        assert_eq!(by_blocks.report.pairs, by_pairs.report.pairs);
        assert_eq!(by_blocks.cluster, one.cluster);
        let stats = (by_pairs.report.stats.duplicate_pairs, by_pairs.report.stats.related_pairs);
        assert_eq!((by_blocks.report.stats.duplicate_pairs, by_blocks.report.stats.related_pairs), stats);
    }
}
