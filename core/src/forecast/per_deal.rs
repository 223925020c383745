//! Per-deal inputs beside the stage's: an owner's probability of winning and an owner's
//! forecast category. The summing loops stay as they are (every deal at its stage's
//! probability, in its stage's category); the deals that carry their own are read here, in a
//! second pass over those two columns only, and move the exact sums before anything is
//! rounded. Without the columns nothing here runs.

use std::collections::HashMap;
use std::str::FromStr as _;

use rust_decimal::Decimal;

use super::columns::KeyColumn;
use super::policy::{ForecastCategory, Funnel, StageKind};
use super::report::Override;
use super::sums::{Acc, Tables};
use crate::error::{Error, Result};
use crate::money;

/// A per-deal probability column.
#[derive(Debug, Clone, Copy)]
pub enum ProbabilityColumn<'a> {
    /// Exact decimals; `None` for the stage's own.
    Decimal(&'a [Option<Decimal>]),
    /// Binary floats, as a DataFrame's float64 column holds them; NaN for the stage's own.
    /// Each value is read as the shortest decimal that gives the float back (0.35 is 0.35,
    /// not 0.34999999999999997779...), the way it was typed.
    Float(&'a [f64]),
}

impl ProbabilityColumn<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Decimal(v) => v.len(),
            Self::Float(v) => v.len(),
        }
    }
}

/// An open deal weighted at its own probability instead of its stage's: where its weighted
/// amount sits in the tables, and by how much it moves them.
/// (Stage, slot and group in 32 bits: a policy's stages, a report's month slots and the
/// column path's groups all are; 40 bytes a deal instead of 48.)
pub(super) struct Reweight {
    pub row: usize,
    pub stage: u32,
    pub slot: u32,
    pub group: u32,
    /// `amount × (own − stage probability)`, exact.
    pub delta: Decimal,
}

/// What the per-deal columns change.
#[derive(Default)]
pub(super) struct PerDeal {
    /// Deals whose category differs from their stage's.
    pub overrides: Vec<Override>,
    /// Open deals with their own probability, by row.
    pub reweights: Vec<Reweight>,
}

/// One row as the per-deal pass sees it: its policy stage, its month slot and group (for an
/// open deal), its exact amount.
pub(super) struct DealRow {
    pub stage: usize,
    pub slot: usize,
    pub group: usize,
    pub amount: Decimal,
}

impl PerDeal {
    /// Reads the rows that carry a probability or a category. `row_of(i)` places row `i`
    /// (valid by now: the summing pass checked it); `path(i, field)` names a field.
    pub(super) fn read(
        funnel: &Funnel,
        probability: Option<ProbabilityColumn>,
        category: Option<KeyColumn>,
        row_of: &dyn Fn(usize) -> Result<DealRow>,
        path: &dyn Fn(usize, &str) -> String,
    ) -> Result<Self> {
        let mut out = Self::default();
        let categories: Vec<Option<ForecastCategory>> =
            category.map_or_else(Vec::new, |c| c.labels.iter().map(|l| ForecastCategory::from_name(l)).collect());
        let n = probability.map_or(0, |p| p.len()).max(category.map_or(0, |c| c.codes.len()));
        // Probabilities take few distinct values: each float is turned into a decimal once.
        let mut floats: HashMap<u64, Decimal> = HashMap::new();
        for i in 0..n {
            let own_p = match probability {
                Some(ProbabilityColumn::Decimal(v)) => v[i],
                Some(ProbabilityColumn::Float(v)) if v[i].is_nan() => None,
                Some(ProbabilityColumn::Float(v)) => Some(if let Some(&d) = floats.get(&v[i].to_bits()) {
                    d
                } else {
                    let d =
                        float_decimal(v[i]).ok_or_else(|| Error::out_of_range(path(i, "probability"), v[i], 0, 1))?;
                    floats.insert(v[i].to_bits(), d);
                    d
                }),
                None => None,
            };
            let own_c = match category {
                Some(c) if c.codes[i] != -1 => {
                    let code = c.codes[i];
                    let label = usize::try_from(code).ok().filter(|&k| k < categories.len()).ok_or_else(|| {
                        Error::InvalidValue {
                            path: path(i, "category"),
                            reason: format!("code {code} is not an index into {} labels (or -1)", categories.len()),
                        }
                    })?;
                    Some(categories[label].ok_or_else(|| Error::InvalidValue {
                        path: path(i, "category"),
                        reason: format!("'{}' is not a forecast category", c.labels[label]),
                    })?)
                }
                _ => None,
            };
            if own_p.is_none() && own_c.is_none() {
                continue;
            }
            let row = row_of(i)?;
            let kind = funnel.kind(row.stage);
            let stage_p = funnel.probability[row.stage];
            let p = match own_p {
                Some(p) => {
                    check_probability(p, kind, stage_p, || path(i, "probability"))?;
                    p
                }
                None => stage_p,
            };
            if let Some(c) = own_c {
                c.check(kind, || path(i, "category"))?;
                if c != funnel.category[row.stage] {
                    out.overrides.push(Override { stage: row.stage, category: c, amount: row.amount, probability: p });
                }
            }
            if kind == StageKind::Open && p != stage_p {
                let at = |q| money::mul(row.amount, q, || path(i, "amount"));
                let delta = at(p)?.checked_sub(at(stage_p)?).ok_or_else(|| Error::overflow(path(i, "amount")))?;
                out.reweights.push(Reweight {
                    row: i,
                    stage: row.stage as u32,
                    slot: row.slot as u32,
                    group: row.group as u32,
                    delta,
                });
            }
        }
        Ok(out)
    }

    /// The weighted change of row `i`, if it has its own probability.
    pub(super) fn delta_of(&self, i: usize) -> Option<Decimal> {
        self.reweights.binary_search_by_key(&i, |r| r.row).ok().map(|k| self.reweights[k].delta)
    }

    /// Moves the tables' weighted sums by the deals' own probabilities.
    pub(super) fn apply(&self, tables: &mut Tables) -> Result<()> {
        let shift = |acc: &mut Acc, delta: Decimal| -> Result<()> {
            acc.weighted = money::add(acc.weighted, delta, || "totals".into())?;
            Ok(())
        };
        for r in &self.reweights {
            shift(&mut tables.by_stage[r.stage as usize], r.delta)?;
            shift(&mut tables.by_slot[r.slot as usize], r.delta)?;
            shift(&mut tables.by_group[r.group as usize], r.delta)?;
            let cells = &mut tables.group_slots[r.group as usize];
            if let Ok(k) = cells.binary_search_by_key(&(r.slot as usize), |(slot, _)| *slot) {
                shift(&mut cells[k].1, r.delta)?;
            }
        }
        Ok(())
    }
}

/// A deal's own probability: in [0, 1] when open; a closed deal's can only repeat its
/// stage's (1 won, 0 lost).
pub(super) fn check_probability(
    p: Decimal,
    kind: StageKind,
    stage_p: Decimal,
    path: impl FnOnce() -> String,
) -> Result<()> {
    match kind {
        StageKind::Open if p >= Decimal::ZERO && p <= Decimal::ONE => Ok(()),
        StageKind::Open => Err(Error::out_of_range(path(), p, 0, 1)),
        _ if p == stage_p => Ok(()),
        _ => Err(Error::out_of_range(path(), p, stage_p, stage_p)),
    }
}

/// The shortest decimal that reads back as `x`; `None` when not finite.
fn float_decimal(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    // Display never uses an exponent and prints the shortest digits that round-trip; past
    // Decimal's 28 places (below 1e-28) the value is rounded, far below any probability's
    // meaning.
    Decimal::from_str(&x.to_string()).ok().or_else(|| Decimal::from_str(&format!("{x:.28}")).ok())
}
