//! Collaborative forecasting (Salesforce's): a tree of owners whose forecasts roll up, and
//! managers' adjustments on any number of their subtree, shown beside the reps' own call and
//! the stage-weighted forecast. Adjustments never touch a deal line.
//!
//! Per owner, period and forecast category (cumulative, as Salesforce forecasts them:
//! `commit` = closed + commit, `best_case` = commit + best case, `pipeline` = best case +
//! pipeline): `own` is the owner's own deals, `call` the roll-up of the reps' own calls over
//! the owner's subtree, `weighted` the stage-weighted forecast of the same deals, and
//! `adjusted` the number that rolls up: the highest adjustment made on the owner, or else
//! `own` plus the subordinates' `adjusted` numbers.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book;
use super::calendar::{month_label, PeriodId, PeriodKind, Periods};
use super::policy::{ForecastCategory, ForecastPolicy, StageKind};
use super::Deal;
use crate::error::{Error, Result};
use crate::money;

/// The owner tree and the periods of [`forecast_hierarchy`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct HierarchyPolicy {
    /// Every owner once, with their manager (none for the one root: rep → manager → director
    /// → VP).
    pub owners: Vec<OwnerNode>,
    /// Month, quarter (default) or year of the forecast policy's fiscal year.
    #[serde(default)]
    pub period: PeriodKind,
}

/// One owner of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct OwnerNode {
    /// The owner, as deals name it.
    pub owner: String,
    /// Their manager, another owner of the tree; absent for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub manager: Option<String>,
}

/// The deals and the adjustments of [`forecast_hierarchy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct HierarchyInput {
    /// The pipeline, as [`forecast`](super::forecast) takes it; every deal has an `owner` of
    /// the tree; won deals count on their `expected_close_on`.
    pub deals: Vec<Deal>,
    /// Managers' (and owners' own) adjustments.
    #[serde(default)]
    pub adjustments: Vec<ForecastAdjustment>,
}

/// `by` sets `owner`'s forecast of `category` in `period` to `amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ForecastAdjustment {
    /// Who adjusts: `owner` or one of their managers up the tree.
    pub by: String,
    /// Whose number.
    pub owner: String,
    /// `commit`, `best_case` or `pipeline` (cumulative; `closed` is a fact, not a call).
    pub category: ForecastCategory,
    /// The period's label, as the forecast writes it (`2026-Q4`).
    pub period: String,
    /// The adjusted number, ≥ 0 (rounded to the policy's places).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// What [`forecast_hierarchy`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct HierarchyReport {
    /// The caller's "now".
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub as_of: NaiveDate,
    /// The kind of the periods.
    pub period: PeriodKind,
    /// One line per owner and period (every period with a deal or an adjustment), owners in
    /// tree order (each manager before their reports, siblings by name), then by period.
    pub lines: Vec<HierarchyLine>,
}

/// One owner in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct HierarchyLine {
    /// The owner.
    pub owner: String,
    /// Their manager (`null` at the root).
    #[cfg_attr(feature = "typescript", tsify(type = "string | null"))]
    pub manager: Option<String>,
    /// Levels below the root (0 at the root).
    pub level: u32,
    /// The period's label.
    pub period: String,
    /// Its first calendar month, `YYYY-MM`.
    pub first_month: String,
    /// Its last calendar month.
    pub last_month: String,
    /// Deals of the subtree in the period (won or placed open; lost and unscheduled in none).
    pub deals: u64,
    /// One entry per forecast category: closed, commit, best case, pipeline.
    pub forecasts: Vec<CategoryForecast>,
}

/// One cumulative forecast category of one owner and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CategoryForecast {
    /// The category; its figures include the categories before it.
    pub category: ForecastCategory,
    /// The owner's own deals.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub own: Decimal,
    /// The reps' own call over the subtree: the roll-up of the deals' amounts, unadjusted.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub call: Decimal,
    /// The stage-weighted forecast of the same deals (won deals count their amount).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weighted: Decimal,
    /// The number that rolls up: after every adjustment on the owner and below.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub adjusted: Decimal,
    /// The adjustments made on this owner's number, lowest adjuster first; the last one is
    /// `adjusted`.
    pub adjustments: Vec<AppliedAdjustment>,
    /// Why: `unadjusted`, `adjusted`, `adjusted_below`.
    pub reasons: Vec<HierarchyReason>,
}

/// An adjustment as applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AppliedAdjustment {
    /// Who adjusted.
    pub by: String,
    /// The number before it (the roll-up, or the adjustment below it).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub from: Decimal,
    /// The number it set.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub to: Decimal,
    /// `to − from`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub delta: Decimal,
}

/// Why a category forecast says what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HierarchyReason {
    /// Nothing adjusted here or below: `adjusted` = `call`.
    Unadjusted,
    /// Someone adjusted this owner's number.
    Adjusted,
    /// A number below was adjusted and rolls up into this one.
    AdjustedBelow,
}

/// The categories a hierarchy forecasts, cumulative in this order.
const FORECAST: [ForecastCategory; 4] =
    [ForecastCategory::Closed, ForecastCategory::Commit, ForecastCategory::BestCase, ForecastCategory::Pipeline];

/// The validated tree: parent per node, nodes in an order where every manager comes first.
pub(crate) struct Tree<'a> {
    pub names: Vec<&'a str>,
    pub index: HashMap<&'a str, usize>,
    pub parent: Vec<Option<usize>>,
    pub level: Vec<u32>,
    /// Pre-order: each manager before their reports, siblings by name.
    pub order: Vec<usize>,
}

impl<'a> Tree<'a> {
    /// Checks the tree: owners named once, managers in it, one root, no cycle.
    pub fn new(owners: &'a [OwnerNode], path: &str) -> Result<Self> {
        if owners.is_empty() {
            return Err(Error::InvalidValue { path: path.to_owned(), reason: "the tree needs an owner".into() });
        }
        let mut index = HashMap::with_capacity(owners.len());
        for (i, o) in owners.iter().enumerate() {
            if let Some(first) = index.insert(o.owner.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: format!("{path}[{i}].owner"),
                    name: o.owner.clone(),
                    first: format!("{path}[{first}].owner"),
                });
            }
        }
        let mut parent = Vec::with_capacity(owners.len());
        let mut root = None;
        for (i, o) in owners.iter().enumerate() {
            let p = if let Some(m) = &o.manager {
                let m = index
                    .get(m.as_str())
                    .ok_or_else(|| Error::UnknownKey { path: format!("{path}[{i}].manager"), name: m.clone() })?;
                Some(*m)
            } else {
                if let Some(first) = root.replace(i) {
                    return Err(Error::InvalidValue {
                        path: format!("{path}[{i}].manager"),
                        reason: format!("a second root: {path}[{first}] has no manager either"),
                    });
                }
                None
            };
            parent.push(p);
        }
        // Levels by walking up; a walk longer than the tree is a cycle.
        let n = owners.len();
        let mut level: Vec<Option<u32>> = vec![None; n];
        for start in 0..n {
            let mut chain = Vec::new();
            let mut at = start;
            while level[at].is_none() {
                chain.push(at);
                match parent[at] {
                    Some(p) if chain.len() <= n => at = p,
                    Some(_) => {
                        // `at` is on the cycle: name its first owner in the input.
                        let mut first = at;
                        let mut walk = parent[at];
                        while let Some(w) = walk.filter(|&w| w != at) {
                            first = first.min(w);
                            walk = parent[w];
                        }
                        return Err(Error::InvalidValue {
                            path: format!("{path}[{first}].manager"),
                            reason: format!("{:?} manages themselves through a cycle", owners[first].owner),
                        });
                    }
                    None => {
                        level[at] = Some(0);
                        chain.pop();
                        break;
                    }
                }
            }
            let mut l = level[at].unwrap_or(0);
            for &c in chain.iter().rev() {
                l += 1;
                level[c] = Some(l);
            }
        }
        let level: Vec<u32> = level.into_iter().map(Option::unwrap_or_default).collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let names: Vec<&str> = owners.iter().map(|o| o.owner.as_str()).collect();
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<usize> = root.into_iter().collect();
        while let Some(i) = stack.pop() {
            order.push(i);
            let mut kids = children[i].clone();
            kids.sort_by(|a, b| names[*b].cmp(names[*a]));
            stack.extend(kids);
        }
        Ok(Self { names, index, parent, level, order })
    }

    /// Whether `node` is `manager` or below them.
    pub fn is_under(&self, node: usize, manager: usize) -> bool {
        let mut at = Some(node);
        while let Some(i) = at {
            if i == manager {
                return true;
            }
            at = self.parent[i];
        }
        false
    }
}

#[derive(Clone, Copy, Default)]
struct Figures {
    deals: u64,
    own: [Decimal; 4],
    own_weighted: [Decimal; 4],
}

/// Rolls a forecast up an owner tree, with managers' adjustments beside the reps' own call
/// and the stage-weighted forecast.
///
/// # Errors
///
/// Those of [`forecast`](super::forecast) for `input.deals`; `missing_value` or
/// `date_after_as_of` at `deals[i].expected_close_on` for a won deal without a close date or
/// closed after `as_of`; `missing_value` at `deals[i].owner` for a deal without one and
/// `unknown_key` there for an owner not in the tree; for `owners[i]`: `duplicate_name` at
/// `.owner`, `unknown_key` at `.manager` for a manager not in the tree, `invalid_value` at
/// `.manager` for a second root or a cycle (`owners` when empty); for `adjustments[i]`:
/// `unknown_key` at `.by` or `.owner`, `invalid_value` at `.owner` when the owner is outside
/// the adjuster's subtree, at `.category` for `closed` or `omitted`, at `.period` for a label
/// that is not a period of the policy's kind, `negative_amount` at `.amount`,
/// `duplicate_name` at `.by` for a second adjustment of one number by one manager.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{forecast_hierarchy, ForecastPolicy, HierarchyInput, HierarchyPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: ForecastPolicy = from_json(r#"{"stages": [
///     {"name": "negotiation", "probability": "0.6", "category": "commit"}, {"name": "won", "kind": "won"}],
///     "duration_unit": "days", "placement": "expected_close"}"#, "")?;
/// let tree: HierarchyPolicy = from_json(r#"{"owners": [
///     {"owner": "vp"}, {"owner": "ann", "manager": "vp"}, {"owner": "bob", "manager": "vp"}]}"#, "")?;
/// let input: HierarchyInput = from_json(r#"{
///   "deals": [{"id": "1", "stage": "negotiation", "amount": "100", "owner": "ann", "expected_close_on": "2026-12-01"},
///             {"id": "2", "stage": "negotiation", "amount": "50", "owner": "bob", "expected_close_on": "2026-12-15"}],
///   "adjustments": [{"by": "vp", "owner": "bob", "category": "commit", "period": "2026-Q4", "amount": "20"}]}"#, "")?;
/// let r = forecast_hierarchy(&policy, &tree, &input, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())?;
/// let commit = &r.lines[0].forecasts[1]; // vp, 2026-Q4, commit
/// assert_eq!((commit.call.to_string(), commit.adjusted.to_string()), ("150.00".into(), "120.00".into()));
/// assert_eq!(commit.weighted.to_string(), "90.00");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_hierarchy(
    policy: &ForecastPolicy,
    hierarchy: &HierarchyPolicy,
    input: &HierarchyInput,
    as_of: NaiveDate,
) -> Result<HierarchyReport> {
    policy.fiscal_year.validate("fiscal_year")?;
    let tree = Tree::new(&hierarchy.owners, "owners")?;
    let periods = Periods { fiscal_year: policy.fiscal_year, kind: hierarchy.period };
    let (_, rows) = book::place(policy, &input.deals, as_of, periods, &["owner".to_owned()])?;
    let n = tree.names.len();
    let mut figures: BTreeMap<PeriodId, Vec<Figures>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let owner = row.key[0].as_deref().ok_or_else(|| Error::MissingValue {
            path: format!("deals[{i}].owner"),
            reason: "a deal in a forecast hierarchy needs its owner".into(),
        })?;
        let node = *tree
            .index
            .get(owner)
            .ok_or_else(|| Error::UnknownKey { path: format!("deals[{i}].owner"), name: owner.to_owned() })?;
        let Some(p) = row.period else { continue };
        if row.kind == StageKind::Lost || row.category == ForecastCategory::Omitted {
            continue;
        }
        let f = &mut figures.entry(p).or_insert_with(|| vec![Figures::default(); n])[node];
        f.deals += 1;
        let first = FORECAST.iter().position(|c| *c == row.category).unwrap_or(FORECAST.len());
        for c in first..FORECAST.len() {
            let path = || format!("deals[{i}].amount");
            f.own[c] = money::add(f.own[c], row.amount, path)?;
            f.own_weighted[c] = money::add(f.own_weighted[c], row.weighted, path)?;
        }
    }
    let adjustments = adjustments(&tree, &input.adjustments, periods, policy.rounding)?;
    for (_, _, p) in adjustments.keys() {
        figures.entry(*p).or_insert_with(|| vec![Figures::default(); n]);
    }
    let rounding = policy.rounding;
    let mut lines = Vec::with_capacity(n * figures.len());
    let mut by_node: Vec<Vec<HierarchyLine>> = vec![Vec::new(); n];
    for (&p, own) in &figures {
        // Bottom-up: deepest owners first, so each manager sums finished subordinates.
        let mut call = vec![[Decimal::ZERO; 4]; n];
        let mut weighted = vec![[Decimal::ZERO; 4]; n];
        let mut adjusted = vec![[Decimal::ZERO; 4]; n];
        let mut below = vec![[false; 4]; n];
        let mut deals = vec![0u64; n];
        let mut applied: Vec<[Vec<AppliedAdjustment>; 4]> = vec![Default::default(); n];
        for &i in tree.order.iter().rev() {
            deals[i] += own[i].deals;
            for c in 0..FORECAST.len() {
                let at = || "deals".to_owned();
                call[i][c] = money::add(call[i][c], own[i].own[c], at)?;
                weighted[i][c] = money::add(weighted[i][c], own[i].own_weighted[c], at)?;
                adjusted[i][c] = money::add(adjusted[i][c], own[i].own[c], at)?;
                if let Some(list) = adjustments.get(&(i, c, p)) {
                    let mut from = rounding.round(adjusted[i][c]);
                    for (by, to) in list {
                        let delta = to.checked_sub(from).ok_or_else(|| Error::overflow("adjustments"))?;
                        applied[i][c].push(AppliedAdjustment { by: tree.names[*by].to_owned(), from, to: *to, delta });
                        from = *to;
                    }
                    adjusted[i][c] = from;
                }
            }
            if let Some(m) = tree.parent[i] {
                deals[m] += deals[i];
                for c in 0..FORECAST.len() {
                    let at = || "deals".to_owned();
                    call[m][c] = money::add(call[m][c], call[i][c], at)?;
                    weighted[m][c] = money::add(weighted[m][c], weighted[i][c], at)?;
                    adjusted[m][c] = money::add(adjusted[m][c], adjusted[i][c], at)?;
                    below[m][c] |= below[i][c] || !applied[i][c].is_empty();
                }
            }
        }
        let (first, last) = periods.months(p);
        for &i in &tree.order {
            let forecasts = (0..FORECAST.len())
                .map(|c| {
                    let mut reasons = Vec::new();
                    if !applied[i][c].is_empty() {
                        reasons.push(HierarchyReason::Adjusted);
                    }
                    if below[i][c] {
                        reasons.push(HierarchyReason::AdjustedBelow);
                    }
                    if reasons.is_empty() {
                        reasons.push(HierarchyReason::Unadjusted);
                    }
                    CategoryForecast {
                        category: FORECAST[c],
                        own: rounding.round(own[i].own[c]),
                        call: rounding.round(call[i][c]),
                        weighted: rounding.round(weighted[i][c]),
                        adjusted: rounding.round(adjusted[i][c]),
                        adjustments: std::mem::take(&mut applied[i][c]),
                        reasons,
                    }
                })
                .collect();
            by_node[i].push(HierarchyLine {
                owner: tree.names[i].to_owned(),
                manager: tree.parent[i].map(|m| tree.names[m].to_owned()),
                level: tree.level[i],
                period: periods.label(p),
                first_month: month_label(first),
                last_month: month_label(last),
                deals: deals[i],
                forecasts,
            });
        }
    }
    for &i in &tree.order {
        lines.append(&mut by_node[i]);
    }
    Ok(HierarchyReport { as_of, period: hierarchy.period, lines })
}

/// Adjustments by (owner, category position, period): (adjuster, amount), lowest adjuster
/// first (the deepest level), so that the highest one is applied last.
type Adjustments = BTreeMap<(usize, usize, PeriodId), Vec<(usize, Decimal)>>;

fn adjustments(
    tree: &Tree,
    given: &[ForecastAdjustment],
    periods: Periods,
    rounding: crate::money::Rounding,
) -> Result<Adjustments> {
    let mut out: Adjustments = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for (i, a) in given.iter().enumerate() {
        let at = |field: &str| format!("adjustments[{i}].{field}");
        let node = |name: &str, field: &str| {
            tree.index.get(name).copied().ok_or_else(|| Error::UnknownKey { path: at(field), name: name.to_owned() })
        };
        let by = node(&a.by, "by")?;
        let owner = node(&a.owner, "owner")?;
        if !tree.is_under(owner, by) {
            return Err(Error::InvalidValue {
                path: at("owner"),
                reason: format!("{:?} is not {:?} nor one of their reports", a.owner, a.by),
            });
        }
        let c =
            FORECAST.iter().position(|c| *c == a.category).filter(|&c| c > 0).ok_or_else(|| Error::InvalidValue {
                path: at("category"),
                reason: "adjustments are made on commit, best_case or pipeline".into(),
            })?;
        let p = periods.parse(&a.period, &at("period"))?;
        if a.amount.is_sign_negative() && !a.amount.is_zero() {
            return Err(Error::NegativeAmount { path: at("amount"), value: a.amount.to_string() });
        }
        if let Some(first) = seen.insert((by, owner, c, p), i) {
            return Err(Error::DuplicateName {
                path: at("by"),
                name: a.by.clone(),
                first: format!("adjustments[{first}].by"),
            });
        }
        out.entry((owner, c, p)).or_default().push((by, rounding.round(a.amount)));
    }
    for list in out.values_mut() {
        list.sort_by_key(|(by, _)| std::cmp::Reverse(tree.level[*by]));
    }
    Ok(out)
}
