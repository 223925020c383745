//! Hierarchical target allocation: a company target split down a tree of keys (product →
//! region → channel...), each level by its own history window, with floors, every node's
//! children summing exactly to it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::allocation::{window_start, Window};
use super::policy::FiscalYear;
use crate::error::{Error, Result};
use crate::money::{self, split_largest_remainder, Rounding};

/// How a target is split down a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AllocationTreePolicy {
    /// The levels below the company, top first (e.g. product, region, channel); every history
    /// row names one key per level.
    pub levels: Vec<AllocationLevel>,
    /// The fiscal calendar of the levels' `ytd` / `qtd` / `mtd` windows (default: the
    /// calendar year).
    #[serde(default)]
    pub fiscal_year: FiscalYear,
    /// Rounding of every allocated amount and floor (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
}

/// One level of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AllocationLevel {
    /// Its name, shown on its lines (`product`, `region`...).
    pub name: String,
    /// The history whose shares split a parent among this level's nodes (default `all`).
    #[serde(default)]
    pub window: Window,
    /// The least each node of this level gets, ≥ 0 (default 0), rounded to the policy's
    /// places; a node's own floor in `input.floors` replaces it.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub floor: Decimal,
}

/// What to split, and the history that splits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AllocationTreeInput {
    /// The company target, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// Past results per leaf (several rows per path are summed). The tree is the set of paths
    /// found here.
    pub history: Vec<PathHistoryRow>,
    /// Floors of single nodes, replacing their level's floor.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub floors: Vec<NodeFloor>,
}

/// One leaf's result on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PathHistoryRow {
    /// One key per level, top first (`["Cloud", "East", "Online"]`).
    pub path: Vec<String>,
    /// When, ≤ `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// A floor of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct NodeFloor {
    /// The node: a path of 1 to `levels` keys found in the history.
    pub path: Vec<String>,
    /// Its floor, ≥ 0, rounded to the policy's places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// What [`allocate_tree`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AllocationTreeReport {
    /// The target, rounded: the first level's nodes sum to it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// Last day counted: `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub to: NaiveDate,
    /// Each level's window, top first.
    pub levels: Vec<AllocationLevelWindow>,
    /// One line per node, parents before their children, siblings by key.
    pub lines: Vec<AllocationNode>,
}

/// The window one level's shares come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AllocationLevelWindow {
    /// The level.
    pub name: String,
    /// First day of its history counted (`null`: all of it).
    #[serde(with = "crate::wire::date_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate | null"))]
    pub from: Option<NaiveDate>,
}

/// One node's allocation, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AllocationNode {
    /// Its level's name.
    pub level: String,
    /// Its keys from the top level down; the last is its own.
    pub path: Vec<String>,
    /// Its parent's path (`[]` under the company).
    pub parent: Vec<String>,
    /// Its parent's target, which it and its siblings split.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub parent_target: Decimal,
    /// Its history in its level's window.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub history: Decimal,
    /// Its share of its siblings' history, shown to 6 places (the split uses exact ratios).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// Its floor (its own, else its level's).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub floor: Decimal,
    /// What the siblings not raised to their floor split by history: the parent's target
    /// less the floors of those raised.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub shared: Decimal,
    /// Its allocation; the siblings' targets sum exactly to `parent_target`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// Why: `share_of_history` (its part of `shared`), `floor` (raised to it), `no_history`
    /// (none in its level's window; with `floor` when raised).
    pub reasons: Vec<AllocationNodeReason>,
}

/// Why a node's allocation is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AllocationNodeReason {
    /// Its part of `shared` by its history among the siblings not raised to a floor.
    ShareOfHistory,
    /// Its share came below its floor: raised to the floor.
    Floor,
    /// No history in its level's window.
    NoHistory,
}

/// A node while it is built: history in its level's window and where its floor came from.
#[derive(Default)]
struct Node {
    history: Decimal,
    /// `(floor, index in input.floors)` when the node has its own.
    floor: Option<(Decimal, usize)>,
}

/// Splits `input.target` down the tree the history paths form: at every level, each
/// parent's target is split among its children by their history in that level's window,
/// children whose share would fall below their floor are raised to it and the rest share what
/// is left (largest remainder in the policy's rounding), so every node's children sum exactly
/// to it and every node gets at least its floor.
///
/// # Errors
///
/// `invalid_value` at `levels` when there are none, at `history[i].path` when a path does not
/// name one key per level, at `history` when a parent has something to share and its children
/// hold no history in their window; `duplicate_name` at `levels[d].name` or `floors[j].path`;
/// `negative_amount` at `target`, `history[i].amount`, `levels[d].floor` or
/// `floors[j].amount`; `date_after_as_of` at `history[i].on`; `unknown_key` at
/// `floors[j].path` for a node the history does not have; `out_of_range` where the floors of
/// one parent's children exceed its target (at the last of their own floors, else at
/// `levels[d].floor`); `overflow`; rounding errors as [`Rounding::validate`].
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{allocate_tree, AllocationTreeInput, AllocationTreePolicy};
///
/// let policy: AllocationTreePolicy = crmkit::wire::from_json(
///     r#"{"levels": [{"name": "product"}, {"name": "region", "floor": "10.00"}]}"#, "policy")?;
/// let input: AllocationTreeInput = crmkit::wire::from_json(r#"{"target": "100.00", "history": [
///     {"path": ["Cloud", "East"], "on": "2026-01-10", "amount": "95"},
///     {"path": ["Cloud", "West"], "on": "2026-01-10", "amount": "5"},
///     {"path": ["Seats", "East"], "on": "2026-02-10", "amount": "100"}]}"#, "input")?;
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
/// let report = allocate_tree(&policy, &input, as_of)?;
/// let shown: Vec<String> = report.lines.iter().map(|l| format!("{} {}", l.path.join("/"), l.target)).collect();
/// assert_eq!(shown, ["Cloud 50.00", "Cloud/East 40.00", "Cloud/West 10.00", "Seats 50.00", "Seats/East 50.00"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn allocate_tree(
    policy: &AllocationTreePolicy,
    input: &AllocationTreeInput,
    as_of: NaiveDate,
) -> Result<AllocationTreeReport> {
    let rounding = policy.rounding;
    rounding.validate("rounding")?;
    policy.fiscal_year.validate("fiscal_year")?;
    let depth = policy.levels.len();
    if depth == 0 {
        return Err(Error::InvalidValue { path: "levels".into(), reason: "a tree needs at least one level".into() });
    }
    let mut level_floors = Vec::with_capacity(depth);
    let mut windows = Vec::with_capacity(depth);
    for (d, level) in policy.levels.iter().enumerate() {
        if let Some(first) = policy.levels[..d].iter().position(|l| l.name == level.name) {
            return Err(Error::DuplicateName {
                path: format!("levels[{d}].name"),
                name: level.name.clone(),
                first: format!("levels[{first}].name"),
            });
        }
        non_negative(level.floor, || format!("levels[{d}].floor"))?;
        level_floors.push(rounding.round(level.floor));
        windows.push(window_start(level.window, policy.fiscal_year, as_of));
    }
    non_negative(input.target, || "target".into())?;
    // One map per level, keyed by the node's path: sorted, so siblings are contiguous and the
    // output does not depend on the input's order.
    let mut nodes: Vec<BTreeMap<&[String], Node>> = (0..depth).map(|_| BTreeMap::new()).collect();
    for (i, row) in input.history.iter().enumerate() {
        if row.path.len() != depth {
            return Err(Error::InvalidValue {
                path: format!("history[{i}].path"),
                reason: format!("a path names one key per level: {depth} levels, {} keys", row.path.len()),
            });
        }
        non_negative(row.amount, || format!("history[{i}].amount"))?;
        if row.on > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("history[{i}].on"),
                date: row.on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        for (d, level) in nodes.iter_mut().enumerate() {
            let node = level.entry(&row.path[..=d]).or_default();
            if windows[d].is_none_or(|from| row.on >= from) {
                node.history = money::add(node.history, row.amount, || format!("history[{i}].amount"))?;
            }
        }
    }
    for (j, f) in input.floors.iter().enumerate() {
        let node = (1..=depth)
            .contains(&f.path.len())
            .then(|| nodes[f.path.len() - 1].get_mut(f.path.as_slice()))
            .flatten()
            .ok_or_else(|| Error::UnknownKey { path: format!("floors[{j}].path"), name: f.path.join(" / ") })?;
        if let Some((_, first)) = node.floor {
            return Err(Error::DuplicateName {
                path: format!("floors[{j}].path"),
                name: f.path.join(" / "),
                first: format!("floors[{first}].path"),
            });
        }
        non_negative(f.amount, || format!("floors[{j}].amount"))?;
        node.floor = Some((rounding.round(f.amount), j));
    }
    let target = rounding.round(input.target);
    if nodes[0].is_empty() && !target.is_zero() {
        return Err(Error::InvalidValue { path: "history".into(), reason: "no history to share the target by".into() });
    }
    let mut parents: BTreeMap<&[String], Decimal> = BTreeMap::new();
    parents.insert(&[], target);
    let mut lines = BTreeMap::new();
    for (d, level) in nodes.iter().enumerate() {
        let mut next = BTreeMap::new();
        let entries: Vec<(&[String], &Node)> = level.iter().map(|(p, n)| (*p, n)).collect();
        let mut start = 0;
        while start < entries.len() {
            let parent = &entries[start].0[..d];
            let end = start + entries[start..].iter().take_while(|(p, _)| p[..d] == *parent).count();
            let siblings = &entries[start..end];
            let parent_target = parents.get(parent).copied().unwrap_or_default();
            let split =
                split_siblings(siblings, parent_target, level_floors[d], (d, &policy.levels[d].name), rounding)?;
            for ((path, node), part) in siblings.iter().zip(split.lines) {
                next.insert(*path, part.target);
                lines.insert(
                    *path,
                    AllocationNode {
                        level: policy.levels[d].name.clone(),
                        path: path.to_vec(),
                        parent: parent.to_vec(),
                        parent_target,
                        history: node.history,
                        share: if split.history.is_zero() {
                            Decimal::ZERO
                        } else {
                            (node.history / split.history).round_dp(6).normalize()
                        },
                        floor: part.floor,
                        shared: split.shared,
                        target: part.target,
                        reasons: part.reasons,
                    },
                );
            }
            start = end;
        }
        parents = next;
    }
    let levels = policy
        .levels
        .iter()
        .zip(windows)
        .map(|(l, from)| AllocationLevelWindow { name: l.name.clone(), from })
        .collect();
    Ok(AllocationTreeReport { target, to: as_of, levels, lines: lines.into_values().collect() })
}

/// One sibling's part.
struct Part {
    floor: Decimal,
    target: Decimal,
    reasons: Vec<AllocationNodeReason>,
}

/// A parent's split among its children.
struct Split {
    /// The siblings' history in their window.
    history: Decimal,
    /// What the children not raised to their floor shared.
    shared: Decimal,
    lines: Vec<Part>,
}

/// Splits `parent` among `siblings`: those whose exact share of what is left would fall below
/// their floor get the floor, the others share the rest by history.
fn split_siblings(
    siblings: &[(&[String], &Node)],
    parent: Decimal,
    level_floor: Decimal,
    (d, level): (usize, &str),
    rounding: Rounding,
) -> Result<Split> {
    let floors: Vec<Decimal> = siblings.iter().map(|(_, n)| n.floor.map_or(level_floor, |(f, _)| f)).collect();
    let floor_path = || {
        siblings
            .iter()
            .filter_map(|(_, n)| n.floor.map(|(_, j)| j))
            .max()
            .map_or_else(|| format!("levels[{d}].floor"), |j| format!("floors[{j}].amount"))
    };
    let sum_floors = floors.iter().try_fold(Decimal::ZERO, |a, &f| money::add(a, f, floor_path))?;
    if sum_floors > parent {
        return Err(Error::out_of_range(floor_path(), sum_floors, 0, parent));
    }
    let history = siblings.iter().try_fold(Decimal::ZERO, |a, (_, n)| money::add(a, n.history, || "history".into()))?;
    // Raised to its floor: a child whose exact share (left × h / H) is below it. Raising one
    // only lowers what the others get, so repeat until none is below; checked by
    // cross-multiplication, exact. Ascending h / floor, the first pass usually settles it.
    let mut raised = vec![false; siblings.len()];
    let (mut left, mut open_history) = (parent, history);
    loop {
        let mut changed = false;
        for (i, (_, node)) in siblings.iter().enumerate() {
            if raised[i] || floors[i].is_zero() {
                continue;
            }
            let share_x_h = left.checked_mul(node.history).ok_or_else(|| Error::overflow("history"))?;
            let floor_x_h = floors[i].checked_mul(open_history).ok_or_else(|| Error::overflow("history"))?;
            if share_x_h < floor_x_h || open_history.is_zero() {
                raised[i] = true;
                changed = true;
                left = left.checked_sub(floors[i]).ok_or_else(|| Error::overflow("history"))?;
                open_history = open_history.checked_sub(node.history).ok_or_else(|| Error::overflow("history"))?;
            }
        }
        if !changed {
            break;
        }
    }
    let weights: Vec<Decimal> =
        siblings.iter().zip(&raised).map(|((_, n), &r)| if r { Decimal::ZERO } else { n.history }).collect();
    let parts = if left.is_zero() {
        vec![rounding.round(Decimal::ZERO); siblings.len()]
    } else if open_history.is_zero() {
        let under = siblings.first().map_or(String::new(), |(p, _)| p[..d].join(" / "));
        return Err(Error::InvalidValue {
            path: "history".into(),
            reason: format!("{left} under '{under}' has no {level} with history in its window to be shared by"),
        });
    } else {
        split_largest_remainder(left, &weights, rounding, "history")?
    };
    let lines = siblings
        .iter()
        .zip(parts)
        .zip(raised)
        .zip(floors)
        .map(|((((_, node), part), raised), floor)| {
            let mut reasons = Vec::with_capacity(2);
            if node.history.is_zero() {
                reasons.push(AllocationNodeReason::NoHistory);
            } else if !raised {
                reasons.push(AllocationNodeReason::ShareOfHistory);
            }
            let target = if raised {
                reasons.push(AllocationNodeReason::Floor);
                floor
            } else {
                part
            };
            Part { floor, target, reasons }
        })
        .collect();
    Ok(Split { history, shared: left, lines })
}

/// `negative_amount` at `path` below 0.
fn non_negative(amount: Decimal, path: impl FnOnce() -> String) -> Result<()> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(Error::NegativeAmount { path: path(), value: amount.to_string() });
    }
    Ok(())
}
