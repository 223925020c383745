//! A match policy as data: the fields compared (each with its comparator) and the model
//! that turns their comparisons into a verdict — Salesforce-style rule sets or a
//! Fellegi-Sunter model.

use serde::{Deserialize, Serialize};

use super::company_match::Verdict;
use super::compare::Comparator;
use crate::error::{Error, Result};

/// What records are matched on and how.
///
/// # Examples
///
/// ```
/// let policy: crmkit::dedup::MatchPolicy = crmkit::wire::from_json(r#"{
///   "fields": [
///     {"field": "company", "comparator": {"type": "company_name"}},
///     {"field": "phone", "comparator": {"type": "phone"}}
///   ],
///   "rules": {"duplicate": [
///     {"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
///     {"name": "same phone", "all": [{"field": "phone"}]}
///   ]}
/// }"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct MatchPolicy {
    /// The fields compared, each by its comparator.
    pub fields: Vec<FieldSpec>,
    /// A rule set (give this or `fellegi_sunter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RuleSet>,
    /// A Fellegi-Sunter model (give this or `rules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fellegi_sunter: Option<FsModel>,
    /// A blocking key shared by more records than this is not used to find candidates (a
    /// switchboard number, a big company's domain): Odoo's "≥ 21 hits" cut, configurable.
    #[serde(default = "default_max_block")]
    pub max_block_size: u32,
    /// Most threads a batch (`find_duplicates`, `find_duplicates_columns`, `cluster_pairs`)
    /// or an index build runs on, 1 to 64. Default (absent): the machine's, up to four; 1
    /// keeps the work on the caller's thread (a server that runs one request per core).
    /// Small work (under 50,000 candidate pairs, 20,000 records) stays on one thread, and
    /// wasm32 has one. The answer is the same on any number of threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
}

/// Most threads a policy may ask for.
const MAX_THREADS: u32 = 64;

fn default_max_block() -> u32 {
    200
}

/// One field of the records and its comparator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The key in each record's `fields`.
    pub field: String,
    /// How two values are compared (and normalised).
    pub comparator: Comparator,
    /// Whether its normalised values are blocking keys (default: yes for company names,
    /// phones, e-mail, domains, credit codes and `exact`; no for fuzzy text, numbers, dates
    /// and person names, which too many records share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<bool>,
}

impl FieldSpec {
    pub(crate) fn blocks(&self) -> bool {
        self.block.unwrap_or(matches!(
            self.comparator,
            Comparator::CompanyName
                | Comparator::Phone { .. }
                | Comparator::Email
                | Comparator::Domain
                | Comparator::CreditCode
                | Comparator::Exact
        ))
    }
}

/// Salesforce-style matching rules: a pair is DUPLICATE when any `duplicate` rule holds,
/// else RELATED when any `related` rule holds, else DISTINCT. A rule holds when all its
/// conditions do (an OR of AND-clauses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Rules that make a pair DUPLICATE.
    pub duplicate: Vec<Rule>,
    /// Rules that make a pair RELATED.
    #[serde(default)]
    pub related: Vec<Rule>,
}

/// An AND of conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in explanations.
    pub name: String,
    /// Every condition must hold.
    pub all: Vec<Condition>,
}

/// One field's condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A field of the policy.
    pub field: String,
    /// Similarity at least this (default 1: equal after normalisation, unless `verdict` is
    /// given). With a `verdict` too, both must hold: `{"verdict": "DUPLICATE", "min": 0.95}`
    /// is a DUPLICATE company name whose 字号 is the same or a homophone, not one typing slip
    /// away (a slip scores 1 − 1/length), so that a rule can ask a slip for more evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// For a company name: the comparator's verdict at least this (DUPLICATE, or RELATED,
    /// which DUPLICATE also satisfies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Whether two blank values satisfy it (Salesforce's "match blank fields"); default no.
    #[serde(default)]
    pub match_blanks: bool,
    /// Whether a blank on either side satisfies it (default no): a condition that asks the
    /// field not to contradict the others rather than to agree. `{"field": "phone", "min":
    /// 0.8, "or_blank": true}` holds when the phones agree or either record has none, and
    /// fails only when both have one and they differ — as a blank weighs nothing in
    /// Fellegi-Sunter while a disagreement weighs against (a name one slip from another
    /// firm's, with that firm's other phone, is that other firm).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub or_blank: bool,
}

/// A Fellegi-Sunter model: per field, comparison levels with m = P(level | match) and
/// u = P(level | non-match); a pair's match weight is log2(prior odds) + Σ log2(m / u).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FsModel {
    /// Probability that two candidate records (found by blocking) are one entity, in (0, 1).
    pub prior: f64,
    /// The fields scored, each a field of the policy.
    pub fields: Vec<FsField>,
    /// Match-weight cuts: at least `duplicate` is a match, at least `related` a possible match.
    pub bands: Bands,
}

/// One field's levels: level 0 is "exact" (similarity 1), level i is similarity ≥
/// `thresholds[i - 1]`, the last level everything else; a company name's levels are its
/// verdicts instead (name exact, DUPLICATE, RELATED, DISTINCT). A blank value on either
/// side weighs nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FsField {
    /// A field of the policy.
    pub field: String,
    /// Similarity cuts, strictly decreasing, in (0, 1); empty for a company name.
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// m per level (absent until estimated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub m: Vec<f64>,
    /// u per level (absent until estimated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub u: Vec<f64>,
    /// Term-frequency adjustment: an exact agreement on a rare value weighs more than on a
    /// common one (u of the exact level replaced by the value's frequency in the book).
    #[serde(default)]
    pub tf_adjust: bool,
}

/// Match-weight bands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// At least this match weight: a match (DUPLICATE).
    pub duplicate: f64,
    /// At least this: a possible match (RELATED, for review).
    pub related: f64,
}

impl MatchPolicy {
    /// Checks the policy before any record is read.
    ///
    /// # Errors
    ///
    /// `missing_value` at `fields` when empty; `duplicate_name` for a field given twice;
    /// `invalid_value` when neither or both of `rules` and `fellegi_sunter` are given, when a
    /// rule or model names an unknown field, or when thresholds or bands are out of order;
    /// `out_of_range` for a `min`, prior, m or u outside its range.
    pub fn validate(&self) -> Result<()> {
        if self.fields.is_empty() {
            return Err(Error::MissingValue { path: "fields".into(), reason: "at least one field".into() });
        }
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(first) = self.fields[..i].iter().position(|g| g.field == f.field) {
                return Err(Error::DuplicateName {
                    path: format!("fields[{i}].field"),
                    name: f.field.clone(),
                    first: format!("fields[{first}].field"),
                });
            }
            f.comparator.validate(&format!("fields[{i}].comparator"))?;
        }
        if self.max_block_size < 2 {
            return Err(Error::out_of_range("max_block_size", self.max_block_size, 2, u32::MAX));
        }
        if let Some(t) = self.threads.filter(|t| !(1..=MAX_THREADS).contains(t)) {
            return Err(Error::out_of_range("threads", t, 1, MAX_THREADS));
        }
        match (&self.rules, &self.fellegi_sunter) {
            (Some(rules), None) => self.validate_rules(rules),
            (None, Some(model)) => self.validate_model(model, false),
            _ => Err(Error::InvalidValue {
                path: "rules".into(),
                reason: "give exactly one of `rules` and `fellegi_sunter`".into(),
            }),
        }
    }

    pub(crate) fn field_index(&self, name: &str, path: &str) -> Result<usize> {
        self.fields.iter().position(|f| f.field == name).ok_or_else(|| Error::InvalidValue {
            path: path.to_owned(),
            reason: format!("{name:?} is not one of the policy's fields"),
        })
    }

    fn validate_rules(&self, rules: &RuleSet) -> Result<()> {
        let lists = [("duplicate", &rules.duplicate), ("related", &rules.related)];
        for (list, rs) in lists {
            for (r, rule) in rs.iter().enumerate() {
                let at = format!("rules.{list}[{r}]");
                if rule.all.is_empty() {
                    return Err(Error::MissingValue {
                        path: format!("{at}.all"),
                        reason: "a rule needs a condition".into(),
                    });
                }
                for (c, cond) in rule.all.iter().enumerate() {
                    let at = format!("{at}.all[{c}]");
                    let i = self.field_index(&cond.field, &format!("{at}.field"))?;
                    if let Some(min) = cond.min
                        && !(0.0..=1.0).contains(&min)
                    {
                        return Err(Error::out_of_range(format!("{at}.min"), min, 0, 1));
                    }
                    if cond.verdict.is_some() && self.fields[i].comparator != Comparator::CompanyName {
                        return Err(Error::InvalidValue {
                            path: format!("{at}.verdict"),
                            reason: "only a company_name comparator gives a verdict".into(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// `trained`: m and u must be given (scoring); otherwise they may be absent (estimation).
    pub(crate) fn validate_model(&self, model: &FsModel, trained: bool) -> Result<()> {
        let at = "fellegi_sunter";
        if !(model.prior > 0.0 && model.prior < 1.0) {
            return Err(Error::out_of_range(format!("{at}.prior"), model.prior, "0 (excluded)", "1 (excluded)"));
        }
        if !(model.bands.duplicate.is_finite() && model.bands.related.is_finite()) {
            return Err(Error::InvalidValue { path: format!("{at}.bands"), reason: "bands are finite numbers".into() });
        }
        if model.bands.related > model.bands.duplicate {
            return Err(Error::InvalidValue {
                path: format!("{at}.bands.related"),
                reason: "thresholds out of order: related must not exceed duplicate".into(),
            });
        }
        if model.fields.is_empty() {
            return Err(Error::MissingValue { path: format!("{at}.fields"), reason: "at least one field".into() });
        }
        for (k, f) in model.fields.iter().enumerate() {
            let at = format!("{at}.fields[{k}]");
            let i = self.field_index(&f.field, &format!("{at}.field"))?;
            let company = self.fields[i].comparator == Comparator::CompanyName;
            if company && !f.thresholds.is_empty() {
                return Err(Error::InvalidValue {
                    path: format!("{at}.thresholds"),
                    reason: "a company name's levels are its verdicts: give no thresholds".into(),
                });
            }
            for (j, t) in f.thresholds.iter().enumerate() {
                if !(*t > 0.0 && *t < 1.0) {
                    return Err(Error::out_of_range(
                        format!("{at}.thresholds[{j}]"),
                        t,
                        "0 (excluded)",
                        "1 (excluded)",
                    ));
                }
                if j > 0 && *t >= f.thresholds[j - 1] {
                    return Err(Error::InvalidValue {
                        path: format!("{at}.thresholds[{j}]"),
                        reason: "thresholds out of order: they must decrease strictly".into(),
                    });
                }
            }
            let levels = levels(f, company);
            for (name, probs) in [("m", &f.m), ("u", &f.u)] {
                if probs.is_empty() && !trained {
                    continue;
                }
                if probs.len() != levels {
                    return Err(Error::InvalidValue {
                        path: format!("{at}.{name}"),
                        reason: format!("one probability per level: {levels} (train the model with estimate_model)"),
                    });
                }
                for (l, p) in probs.iter().enumerate() {
                    if !(*p > 0.0 && *p <= 1.0) {
                        return Err(Error::out_of_range(format!("{at}.{name}[{l}]"), p, "0 (excluded)", 1));
                    }
                }
            }
        }
        Ok(())
    }
}

impl MatchPolicy {
    /// Threads for `work` items (pairs, records): one below `min` (a thread costs more than
    /// it saves) and on wasm32; else `threads`, or the machine's up to four.
    pub(crate) fn threads_for(&self, work: u64, min: u64) -> usize {
        if cfg!(target_arch = "wasm32") || work < min {
            return 1;
        }
        match self.threads {
            Some(t) => t.clamp(1, MAX_THREADS) as usize,
            None => super::threads::machine_threads(),
        }
    }
}

/// Number of levels of a field: exact + one per threshold + else; four for a company name.
pub(crate) fn levels(f: &FsField, company: bool) -> usize {
    if company {
        4
    } else {
        f.thresholds.len() + 2
    }
}
