//! Records, and the scoring of a pair of them under a policy: every field compared, the
//! rule set or the Fellegi-Sunter model applied, and a per-field explanation.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::company_match::{MatchReason, Verdict};
use super::compare::{compare_values, display, prepare_at, round4, Comparator, FieldResult, Value};
pub(crate) use super::packed::Prepared;
use super::packed::ValueRef;
use super::policy::{levels, Condition, FsField, FsModel, MatchPolicy, Rule};
use crate::error::{Error, Result};

/// A record to match: its id, its owner (who holds it: the answer to 撞单), and its fields
/// by name (values as strings; blank or null when unknown). Fields the policy does not name
/// are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct DedupRecord {
    /// Unique id.
    pub id: String,
    /// Who holds it (a rep, a team, the public pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Field values by name.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(type = "{ [field: string]: string | null }"))]
    pub fields: BTreeMap<String, Option<String>>,
}

/// A value that could not be read (an unparsable phone, an invalid credit code): the record
/// is still matched, on its other fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Issue {
    /// The record's id.
    pub record: String,
    /// The field.
    pub field: String,
    /// The error code the value would raise on its own (`invalid_value`...).
    pub code: String,
    /// Why.
    pub message: String,
}

/// A pair's band under a Fellegi-Sunter model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Match weight at least `bands.duplicate`.
    Match,
    /// At least `bands.related`.
    Possible,
    /// Below.
    NonMatch,
}

/// The verdict on a pair of records, explained field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PairMatch {
    /// Id of the first record.
    pub left: String,
    /// Id of the second record.
    pub right: String,
    /// DUPLICATE, RELATED or DISTINCT.
    pub verdict: Verdict,
    /// For ranking: the match probability (Fellegi-Sunter) or the mean similarity of the
    /// fields both records have (rules), 4 decimals.
    pub score: f64,
    /// Fellegi-Sunter: log2 of the prior odds plus every field's weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_weight: Option<f64>,
    /// Fellegi-Sunter: the band of `match_weight`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Band>,
    /// Rules: the name of the rule that decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// One line per policy field.
    pub fields: Vec<FieldExplanation>,
}

/// How one field compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct FieldExplanation {
    /// The field.
    pub field: String,
    /// The first record's value, normalised (null when blank or unreadable).
    pub left: Option<String>,
    /// The second record's value, normalised.
    pub right: Option<String>,
    /// Similarity in [0, 1] (null when either is blank).
    pub similarity: Option<f64>,
    /// Fellegi-Sunter: the comparison level (`exact`, `>=0.9`, `else`, `duplicate`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Fellegi-Sunter: log2(m / u) of that level (0 for a blank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// A company name's own verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The comparator's reasons.
    pub reasons: Vec<MatchReason>,
}

/// Reads a record's fields. Strict: an unreadable value is an error at
/// `{path}.fields.{name}`; otherwise it is blank for matching and reported in `issues`.
pub(crate) fn prepare_record(
    policy: &MatchPolicy,
    record: &DedupRecord,
    path: &str,
    issues: Option<&mut Vec<Issue>>,
) -> Result<Prepared> {
    Ok(Prepared::pack(&prepare_values(policy, record, path, issues)?))
}

/// [`prepare_record`]'s values before they are packed.
pub(crate) fn prepare_values(
    policy: &MatchPolicy,
    record: &DedupRecord,
    path: &str,
    issues: Option<&mut Vec<Issue>>,
) -> Result<Vec<Option<Value>>> {
    let mut issues = issues;
    let mut values = Vec::with_capacity(policy.fields.len());
    for spec in &policy.fields {
        let raw = record.fields.get(&spec.field).and_then(Option::as_deref).filter(|v| !v.trim().is_empty());
        let value = match raw {
            None => None,
            Some(raw) => match prepare_at(&spec.comparator, raw, || format!("{path}.fields.{}", spec.field)) {
                Ok(v) => Some(v),
                Err(e) => match issues.as_deref_mut() {
                    Some(list) => {
                        list.push(Issue {
                            record: record.id.clone(),
                            field: spec.field.clone(),
                            code: e.code().to_owned(),
                            message: e.to_string(),
                        });
                        None
                    }
                    None => return Err(e),
                },
            },
        };
        values.push(value);
    }
    Ok(values)
}

/// How often each normalised value occurs in the book, per policy field (for the
/// term-frequency adjustment).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TermFrequencies {
    pub counts: Vec<HashMap<String, u32>>,
    pub total: u64,
}

impl TermFrequencies {
    pub(crate) fn new(fields: usize) -> Self {
        Self { counts: vec![HashMap::new(); fields], total: 0 }
    }

    pub(crate) fn add(&mut self, p: &Prepared, sign: i8) {
        for (i, v) in p.iter().enumerate() {
            if let Some(v) = v {
                let n = self.counts[i].entry(display(v)).or_insert(0);
                *n = if sign > 0 { n.saturating_add(1) } else { n.saturating_sub(1) };
            }
        }
        self.total = if sign > 0 { self.total.saturating_add(1) } else { self.total.saturating_sub(1) };
    }

    fn frequency(&self, field: usize, value: &str) -> Option<f64> {
        let n = *self.counts.get(field)?.get(value)?;
        (n > 0 && self.total > 0).then(|| f64::from(n) / self.total as f64)
    }
}

/// Scores pairs under one policy.
pub(crate) struct Scorer<'a> {
    policy: &'a MatchPolicy,
    /// For each Fellegi-Sunter field, the policy field it scores.
    fs_fields: Vec<usize>,
    tf: Option<&'a TermFrequencies>,
    /// Each duplicate rule's conditions with the policy field each reads (`None`: a field
    /// the policy lacks, which never holds), found once rather than by name for every pair.
    duplicate: Vec<Vec<(Option<usize>, &'a Condition)>>,
    /// The same for the related rules.
    related: Vec<Vec<(Option<usize>, &'a Condition)>>,
}

/// A pair's verdict and score, before anything is explained: plain data, so that the
/// batch's hot loop allocates nothing for the pairs it does not keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decision {
    pub verdict: Verdict,
    pub score: f64,
    pub match_weight: Option<f64>,
    pub band: Option<Band>,
    /// Rules: the position of the rule that decided, in the list of its verdict.
    pub rule: Option<usize>,
}

impl<'a> Scorer<'a> {
    /// A scorer for a validated policy; a Fellegi-Sunter model must be trained.
    pub(crate) fn new(policy: &'a MatchPolicy, tf: Option<&'a TermFrequencies>) -> Result<Self> {
        policy.validate()?;
        let mut fs_fields = Vec::new();
        if let Some(model) = &policy.fellegi_sunter {
            policy.validate_model(model, true)?;
            for (k, f) in model.fields.iter().enumerate() {
                fs_fields.push(policy.field_index(&f.field, &format!("fellegi_sunter.fields[{k}].field"))?);
            }
        }
        let conditions = |list: &'a [Rule]| -> Vec<Vec<(Option<usize>, &'a Condition)>> {
            list.iter()
                .map(|r| r.all.iter().map(|c| (policy.fields.iter().position(|f| f.field == c.field), c)).collect())
                .collect()
        };
        let (duplicate, related) = match &policy.rules {
            Some(rules) => (conditions(&rules.duplicate), conditions(&rules.related)),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Self { policy, fs_fields, tf, duplicate, related })
    }

    /// Number of policy fields (values per record).
    pub(crate) fn fields(&self) -> usize {
        self.policy.fields.len()
    }

    /// Every field of a pair compared, from the values of each side read out (the batch
    /// reads a record once for a run of pairs), into `out` (cleared first; reused).
    pub(crate) fn compare_refs(
        &self,
        a: &[Option<ValueRef<'_>>],
        b: &[Option<ValueRef<'_>>],
        out: &mut Vec<Option<FieldResult>>,
    ) -> Result<()> {
        out.clear();
        for (spec, pair) in self.policy.fields.iter().zip(a.iter().zip(b)) {
            out.push(match pair {
                (Some(x), Some(y)) => Some(compare_values(&spec.comparator, *x, *y)?),
                _ => None,
            });
        }
        Ok(())
    }

    pub(crate) fn compare_fields(&self, a: &Prepared, b: &Prepared) -> Result<Vec<Option<FieldResult>>> {
        let (ra, rb): (Vec<_>, Vec<_>) = (a.iter().collect(), b.iter().collect());
        let mut out = Vec::with_capacity(self.policy.fields.len());
        self.compare_refs(&ra, &rb, &mut out)?;
        Ok(out)
    }

    /// The verdict and score of a pair from its fields' comparisons (the batch's hot loop:
    /// no allocation).
    #[allow(clippy::many_single_char_names)] // a and b: the two sides, as everywhere here
    pub(crate) fn decide(
        &self,
        a: &[Option<ValueRef<'_>>],
        b: &[Option<ValueRef<'_>>],
        results: &[Option<FieldResult>],
    ) -> Decision {
        let (sum, count) = results.iter().flatten().fold((0.0, 0usize), |(s, n), r| (s + r.similarity, n + 1));
        let mean = if count == 0 { 0.0 } else { sum / count as f64 };
        let mut d =
            Decision { verdict: Verdict::Distinct, score: round4(mean), match_weight: None, band: None, rule: None };
        if self.policy.rules.is_some() {
            let holds = |&(i, cond): &(Option<usize>, &Condition)| held(i, cond, a, b, results) == Held::Yes;
            let fired = |list: &[Vec<(Option<usize>, &Condition)>]| list.iter().position(|r| r.iter().all(holds));
            if let Some(k) = fired(&self.duplicate) {
                d.verdict = Verdict::Duplicate;
                d.rule = Some(k);
            } else if let Some(k) = fired(&self.related) {
                d.verdict = Verdict::Related;
                d.rule = Some(k);
            }
        } else if let Some(model) = &self.policy.fellegi_sunter {
            self.apply_model(model, a, results, &mut d);
        }
        d
    }

    /// The verdict and score of a pair; `buf` holds its fields' comparisons afterwards.
    pub(crate) fn decide_pair(
        &self,
        a: &Prepared,
        b: &Prepared,
        buf: &mut Vec<Option<FieldResult>>,
    ) -> Result<Decision> {
        let (ra, rb): (Vec<_>, Vec<_>) = (a.iter().collect(), b.iter().collect());
        self.compare_refs(&ra, &rb, buf)?;
        Ok(self.decide(&ra, &rb, buf))
    }

    /// For a pair the rules found DISTINCT (`results` its fields' comparisons): each duplicate
    /// rule refused only by `or_blank` conditions whose field both records have and which
    /// disagree (the rest of the rule holds: the names match, a phone contradicts), as those
    /// conditions with their fields. Empty for a Fellegi-Sunter model, or when every rule
    /// lacks more than a consistent field.
    pub(crate) fn contradictions(
        &self,
        a: &[Option<ValueRef<'_>>],
        b: &[Option<ValueRef<'_>>],
        results: &[Option<FieldResult>],
    ) -> Vec<Vec<(usize, &'a Condition)>> {
        let mut out = Vec::new();
        for rule in &self.duplicate {
            let mut against = Vec::new();
            let mut near = true;
            for &(i, cond) in rule {
                match held(i, cond, a, b, results) {
                    Held::Yes => {}
                    Held::Contradicted => against.extend(i.map(|i| (i, cond))),
                    Held::No => {
                        near = false;
                        break;
                    }
                }
            }
            if near && !against.is_empty() {
                out.push(against);
            }
        }
        out
    }

    /// Whether `cond`, on field `i`, holds between two records that both have a value there
    /// (agreement, not the absence of a contradiction).
    pub(crate) fn agrees(&self, i: usize, cond: &Condition, x: &Prepared, z: &Prepared) -> Result<bool> {
        let (Some(vx), Some(vz)) = (x.get(i), z.get(i)) else { return Ok(false) };
        let r = compare_values(&self.policy.fields[i].comparator, vx, vz)?;
        Ok(result_holds(cond, &r))
    }

    /// The verdict and score of a pair, with its fields' comparisons kept for an explanation.
    pub(crate) fn evaluate(&self, a: &Prepared, b: &Prepared) -> Result<Evaluation> {
        let mut results = Vec::with_capacity(self.policy.fields.len());
        let decision = self.decide_pair(a, b, &mut results)?;
        Ok(Evaluation { verdict: decision.verdict, score: decision.score, decision, results })
    }

    /// The verdict on a pair with every field explained.
    pub(crate) fn score(&self, left: &str, right: &str, a: &Prepared, b: &Prepared) -> Result<PairMatch> {
        let e = self.evaluate(a, b)?;
        Ok(self.explain(left, right, a, b, &e))
    }

    /// Explanations for an evaluated pair.
    pub(crate) fn explain(&self, left: &str, right: &str, a: &Prepared, b: &Prepared, e: &Evaluation) -> PairMatch {
        self.explain_results(left, right, a, b, &e.decision, &e.results)
    }

    /// Explanations for a decided pair and its fields' comparisons.
    #[allow(clippy::many_single_char_names)] // a and b: the two sides, as everywhere here
    pub(crate) fn explain_results(
        &self,
        left: &str,
        right: &str,
        a: &Prepared,
        b: &Prepared,
        d: &Decision,
        results: &[Option<FieldResult>],
    ) -> PairMatch {
        // Fellegi-Sunter: each scored field's level and weight, as `decide` found them.
        let mut levels: Vec<Option<(String, f64)>> = vec![None; self.policy.fields.len()];
        if let Some(model) = &self.policy.fellegi_sunter {
            for (f, &i) in model.fields.iter().zip(&self.fs_fields) {
                let company = self.policy.fields[i].comparator == Comparator::CompanyName;
                levels[i] = Some(match &results[i] {
                    None => ("blank".to_owned(), 0.0),
                    Some(r) => {
                        let (level, w) = self.fs_weight(f, i, company, r, a.get(i));
                        (level_name(f.thresholds.as_slice(), company, level), round4(w))
                    }
                });
            }
        }
        let fields = self
            .policy
            .fields
            .iter()
            .enumerate()
            .zip(levels)
            .map(|((i, spec), level)| {
                let (level, weight) = level.map_or((None, None), |(name, w)| (Some(name), Some(w)));
                FieldExplanation {
                    field: spec.field.clone(),
                    left: a.get(i).map(display),
                    right: b.get(i).map(display),
                    similarity: results[i].as_ref().map(|r| round4(r.similarity)),
                    level,
                    weight,
                    verdict: results[i].as_ref().and_then(|r| r.verdict),
                    reasons: results[i].as_ref().map(|r| r.reasons.as_slice().to_vec()).unwrap_or_default(),
                }
            })
            .collect();
        let rule = match (&self.policy.rules, d.verdict, d.rule) {
            (Some(rules), Verdict::Duplicate, Some(k)) => rules.duplicate.get(k).map(|r| r.name.clone()),
            (Some(rules), Verdict::Related, Some(k)) => rules.related.get(k).map(|r| r.name.clone()),
            _ => None,
        };
        PairMatch {
            left: left.to_owned(),
            right: right.to_owned(),
            verdict: d.verdict,
            score: d.score,
            match_weight: d.match_weight,
            band: d.band,
            rule,
            fields,
        }
    }

    /// A scored field's level and weight log2(m / u), u of an exact agreement replaced by
    /// the value's frequency in the book when the field asks for it.
    #[allow(clippy::many_single_char_names)] // f, i, r, a: the field, its place, its result, the side
    fn fs_weight(
        &self,
        f: &FsField,
        i: usize,
        company: bool,
        r: &FieldResult,
        a: Option<ValueRef<'_>>,
    ) -> (usize, f64) {
        let level = level_of(f.thresholds.as_slice(), company, r);
        let mut u = f.u[level];
        if f.tf_adjust
            && level == 0
            && let (Some(tf), Some(v)) = (self.tf, a)
            && let Some(freq) = tf.frequency(i, &display(v))
        {
            u = freq.max(1e-12);
        }
        (level, (f.m[level] / u).log2())
    }

    fn apply_model(
        &self,
        model: &FsModel,
        a: &[Option<ValueRef<'_>>],
        results: &[Option<FieldResult>],
        d: &mut Decision,
    ) {
        let mut total = (model.prior / (1.0 - model.prior)).log2();
        let mut structural_related = false;
        for (f, &i) in model.fields.iter().zip(&self.fs_fields) {
            let company = self.policy.fields[i].comparator == Comparator::CompanyName;
            let Some(r) = &results[i] else { continue };
            total += self.fs_weight(f, i, company, r, a.get(i).copied().flatten()).1;
            structural_related |= r.verdict == Some(Verdict::Related);
        }
        let band = if total >= model.bands.duplicate {
            Band::Match
        } else if total >= model.bands.related {
            Band::Possible
        } else {
            Band::NonMatch
        };
        d.verdict = match band {
            Band::Match if !structural_related => Verdict::Duplicate,
            Band::Match | Band::Possible => Verdict::Related,
            Band::NonMatch => Verdict::Distinct,
        };
        d.band = Some(band);
        d.match_weight = Some(round4(total));
        d.score = round4(1.0 / (1.0 + (-total).exp2()));
    }
}

/// How a rule's condition reads a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Yes,
    No,
    /// An `or_blank` condition that fails: both records have the field and it disagrees.
    Contradicted,
}

/// A condition on a pair: `i` its field's place in the policy (`None`: a field the policy
/// lacks, which never holds), `results` the pair's comparisons.
#[allow(clippy::many_single_char_names)] // a and b: the two sides, as everywhere here
fn held(
    i: Option<usize>,
    cond: &Condition,
    a: &[Option<ValueRef<'_>>],
    b: &[Option<ValueRef<'_>>],
    results: &[Option<FieldResult>],
) -> Held {
    let Some(i) = i else { return Held::No };
    match results.get(i) {
        Some(Some(r)) if result_holds(cond, r) => Held::Yes,
        Some(Some(_)) if cond.or_blank => Held::Contradicted,
        Some(Some(_)) | None => Held::No,
        Some(None) => {
            let blank = |side: &[Option<ValueRef<'_>>]| side.get(i).copied().flatten().is_none();
            let (x, y) = (blank(a), blank(b));
            if (cond.or_blank && (x || y)) || (cond.match_blanks && x && y) {
                Held::Yes
            } else {
                Held::No
            }
        }
    }
}

/// Whether a condition holds on a field both records have.
fn result_holds(cond: &Condition, r: &FieldResult) -> bool {
    match cond.verdict {
        // A verdict and a minimum: both (a DUPLICATE name without a typing slip).
        Some(v) => r.verdict.is_some_and(|got| got <= v) && cond.min.is_none_or(|m| r.similarity >= m - 1e-12),
        None => r.similarity >= cond.min.unwrap_or(1.0) - 1e-12,
    }
}

/// A scored pair before its explanation is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    pub verdict: Verdict,
    pub score: f64,
    pub decision: Decision,
    pub results: Vec<Option<FieldResult>>,
}

/// The comparison level of a result.
pub(crate) fn level_of(thresholds: &[f64], company: bool, r: &FieldResult) -> usize {
    if company {
        return match (r.reasons.as_slice().first(), r.verdict) {
            (Some(MatchReason::NameExact), _) => 0,
            (_, Some(Verdict::Duplicate)) => 1,
            (_, Some(Verdict::Related)) => 2,
            _ => 3,
        };
    }
    if r.similarity >= 1.0 - 1e-12 {
        return 0;
    }
    thresholds.iter().position(|t| r.similarity >= *t).map_or(thresholds.len() + 1, |j| j + 1)
}

fn level_name(thresholds: &[f64], company: bool, level: usize) -> String {
    if company {
        return ["name_exact", "duplicate", "related", "distinct"][level.min(3)].to_owned();
    }
    match level {
        0 => "exact".to_owned(),
        l if l <= thresholds.len() => format!(">={}", thresholds[l - 1]),
        _ => "else".to_owned(),
    }
}

/// Number of levels of FS field `k` of the policy's model.
pub(crate) fn field_levels(policy: &MatchPolicy, model: &FsModel, k: usize, i: usize) -> usize {
    levels(&model.fields[k], policy.fields[i].comparator == Comparator::CompanyName)
}

/// Compares two records under a policy: every field, the rule set or Fellegi-Sunter model,
/// and a per-field explanation.
///
/// # Errors
///
/// The policy's validation errors (a Fellegi-Sunter model must carry m and u: train it with
/// `estimate_model`); the error of an unreadable value at `a.fields.<name>` /
/// `b.fields.<name>` (an unparsable phone, an invalid credit code).
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{match_records, MatchPolicy, DedupRecord, Verdict};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}},
///              {"field": "phone", "comparator": {"type": "phone"}}],
///   "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}],
///             "related": [{"name": "same group", "all": [{"field": "company", "verdict": "RELATED"}]}]}
/// }"#, "")?;
/// let a: DedupRecord = from_json(r#"{"id": "A", "fields": {"company": "北京字节跳动科技有限公司"}}"#, "a")?;
/// let b: DedupRecord = from_json(r#"{"id": "B", "fields": {"company": "北京字节跳动科技有限公司上海分公司"}}"#, "b")?;
/// let m = match_records(&policy, &a, &b)?;
/// assert_eq!((m.verdict, m.rule.as_deref()), (Verdict::Related, Some("same group")));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn match_records(policy: &MatchPolicy, a: &DedupRecord, b: &DedupRecord) -> Result<PairMatch> {
    let scorer = Scorer::new(policy, None)?;
    let pa = prepare_record(policy, a, "a", None)?;
    let pb = prepare_record(policy, b, "b", None)?;
    scorer.score(&a.id, &b.id, &pa, &pb)
}

/// `duplicate_name` when two records share an id.
pub(crate) fn check_unique_ids<'r>(records: impl Iterator<Item = &'r DedupRecord>, root: &str) -> Result<()> {
    let ids: Vec<&str> = records.map(|r| r.id.as_str()).collect();
    match super::blocking::first_repeat(&ids, 1) {
        None => Ok(()),
        Some((i, first)) => Err(Error::DuplicateName {
            path: format!("{root}[{i}].id"),
            name: ids[i].to_owned(),
            first: format!("{root}[{first}].id"),
        }),
    }
}
