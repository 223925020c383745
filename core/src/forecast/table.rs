//! The groups of a forecast as one long table (group × month lines), for callers that want
//! columns, not records: `forecast_frame` from Python turns it into a DataFrame. The same
//! figures as the record report's [`GroupLine`]s, each rounded once from the same exact sums,
//! built straight from the per-group sums: no key map, month text or vector per group.

use super::columns::{run, DealColumns, RowPath};
use super::per_deal::PerDeal;
use super::policy::{ForecastPolicy, Funnel};
use super::report::{ForecastReport, GroupLayout, GroupLine, MonthLine, Sums};
use super::sums::{Acc, Tables};
use crate::error::{Error, Result};
use chrono::NaiveDate;

/// The groups of a [`ForecastReport`] as a long table: the lines of every group's months
/// (group-major, months in order; what [`GroupLine::months`] holds), each group's totals,
/// and its key values. [`GroupTable::group_lines`] gives the record report's groups back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupTable {
    /// Key values (one per `group_by` field, `None` for a missing value) by group number;
    /// [`TableGroup::key`] indexes them. Groups without deals have keys but no line.
    pub keys: Vec<Vec<Option<String>>>,
    /// The groups holding deals, sorted by key, as the record report orders them.
    pub groups: Vec<TableGroup>,
    /// Their month lines.
    pub lines: Vec<TableLine>,
}

/// One group of a [`GroupTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct TableGroup {
    /// Its key values: `keys[key]`.
    pub key: usize,
    /// Its deals, their amounts and weighted amounts, rounded once.
    pub sums: Sums,
    /// With the policy's `horizon_months`: its open deals placed past the horizon.
    pub beyond_horizon: Option<Sums>,
}

/// One group × month line of a [`GroupTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct TableLine {
    /// Its group's position in [`GroupTable::groups`].
    pub group: u32,
    /// Months (periods) after the one holding `as_of`: the report's month line of that offset
    /// names it.
    pub offset: u32,
    /// Its deals, their amounts and weighted amounts, rounded once.
    pub sums: Sums,
}

impl GroupTable {
    /// The record report's groups (see [`ForecastReport::groups`]) of this table, `months`
    /// being the report's month lines (which name every month a line has).
    ///
    /// # Errors
    ///
    /// `invalid_value` at `offset` when a line's month is not among `months`, at `group` when a
    /// line names no group of the table, at `key` when a group names no key values (a table
    /// changed by hand).
    pub fn group_lines(&self, group_by: &[String], months: &[MonthLine]) -> Result<Vec<GroupLine>> {
        let invalid = |path: &str, reason: String| Error::InvalidValue { path: path.into(), reason };
        let mut out = self
            .groups
            .iter()
            .map(|g| {
                let key = self.keys.get(g.key).ok_or_else(|| invalid("key", format!("no key values at {}", g.key)))?;
                Ok(GroupLine {
                    key: group_by.iter().cloned().zip(key.iter().cloned()).collect(),
                    sums: g.sums.clone(),
                    months: Vec::new(),
                    beyond_horizon: g.beyond_horizon.clone(),
                })
            })
            .collect::<Result<Vec<GroupLine>>>()?;
        for line in &self.lines {
            let month = MonthLine::at(months, line.offset)
                .ok_or_else(|| invalid("offset", format!("no month line at {}", line.offset)))?;
            let month = MonthLine { month: month.month.clone(), offset: line.offset, sums: line.sums.clone() };
            let group = out
                .get_mut(line.group as usize)
                .ok_or_else(|| invalid("group", format!("no group at {}", line.group)))?;
            group.months.push(month);
        }
        Ok(out)
    }

    /// The table of a record report's groups (taken out of it), `group_by` ordering each
    /// group's key values.
    pub(super) fn of_groups(groups: Vec<GroupLine>, group_by: &[String]) -> Self {
        let mut table = Self::default();
        for (g, line) in groups.into_iter().enumerate() {
            let GroupLine { mut key, sums, months, beyond_horizon } = line;
            table.keys.push(group_by.iter().map(|k| key.remove(k).flatten()).collect());
            table.groups.push(TableGroup { key: g, sums, beyond_horizon });
            let group = g as u32;
            table.lines.extend(months.into_iter().map(|m| TableLine { group, offset: m.offset, sums: m.sums }));
        }
        table
    }
}

/// The groups' parts of the report's tables: each group's exact total and month cells.
pub(super) struct GroupSums {
    by_group: Vec<Acc>,
    group_slots: Vec<Vec<(usize, Acc)>>,
}

impl GroupSums {
    /// Takes the groups' sums out of `tables`, the deals' own probabilities applied to them,
    /// and leaves zero totals and no cells behind: the report built from `tables` then has no
    /// group lines (and applies `per_deal` to its own sums, which it still holds).
    pub(super) fn take(tables: &mut Tables, per_deal: &PerDeal) -> Result<Self> {
        let n_groups = tables.by_group.len();
        let mut parts = Tables {
            by_stage: vec![Acc::default(); tables.by_stage.len()],
            by_slot: vec![Acc::default(); tables.by_slot.len()],
            by_group: std::mem::replace(&mut tables.by_group, vec![Acc::default(); n_groups]),
            group_slots: std::mem::replace(&mut tables.group_slots, vec![Vec::new(); n_groups]),
        };
        per_deal.apply(&mut parts)?;
        Ok(Self { by_group: parts.by_group, group_slots: parts.group_slots })
    }

    /// The table of these sums under `policy`, for `report` (built without them: its months
    /// give the span a dense table covers), `keys[g]` being group `g`'s key values and
    /// `unscheduled` the last (unscheduled) slot. The same groups, lines and figures as
    /// `build_report` gives them.
    pub(super) fn table(
        self,
        policy: &ForecastPolicy,
        report: &ForecastReport,
        keys: Vec<Vec<Option<String>>>,
        unscheduled: usize,
    ) -> Result<GroupTable> {
        let round = |x: rust_decimal::Decimal| policy.rounding.round(x);
        let span = match (report.months.first(), report.months.last()) {
            (Some(a), Some(b)) => a.offset as usize..b.offset as usize + 1,
            _ => 0..0,
        };
        let layout = GroupLayout::new(policy, span, unscheduled);
        let order = layout.order(&self.by_group, &keys)?;
        let mut groups = Vec::with_capacity(order.len());
        let mut lines = Vec::new();
        for (k, &g) in order.iter().enumerate() {
            let group = u32::try_from(k).map_err(|_| Error::overflow("groups"))?;
            let cells = &self.group_slots[g];
            layout.lines(cells, |slot, a| lines.push(TableLine { group, offset: slot as u32, sums: a.sums(&round) }));
            let beyond_horizon = layout.beyond_horizon(cells, round)?;
            groups.push(TableGroup { key: g, sums: self.by_group[g].sums(&round), beyond_horizon });
        }
        Ok(GroupTable { keys, groups, lines })
    }
}

/// [`forecast_columns_parallel`](super::forecast_columns_parallel)'s report with its groups
/// as a [`GroupTable`] (the report's own `groups` left empty): what a caller turning the
/// groups into columns (a DataFrame) wants, built without a record per group and month.
/// `table.group_lines(&policy.group_by, &report.months)` is the record report's `groups`.
///
/// # Errors
///
/// As [`forecast_columns`](super::forecast_columns).
///
/// # Examples
///
/// ```
/// use crmkit::prelude::*;
/// use crmkit::forecast::{forecast_columns_table, GroupColumn};
///
/// let mut policy = ForecastPolicy::new(
///     vec![Stage::open("open", Decimal::new(25, 2), Decimal::from(10)), Stage::won("won")],
///     DurationUnit::Days,
///     Placement::RemainingFull,
/// );
/// policy.group_by = vec!["owner".into()];
/// let stage = [0i32, 0, 1, 0];
/// let units = [10_000i64, 20_000, 5_000, 40_000];
/// let owner = [7i32, 3, 7, 7];
/// let labels = ["open".to_owned(), "won".to_owned()];
/// let columns = DealColumns {
///     stage: StageCodes::I32(&stage),
///     stage_labels: &labels,
///     amount: AmountColumn::Units { units: &units, scale: 2 },
///     entered_stage_on: None,
///     expected_close_on: None,
///     snoozed_until: None,
///     last_activity_on: None,
///     keys: vec![GroupColumn::Ids32(&owner)],
///     probability: None,
///     category: None,
/// };
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
/// let (report, table) = forecast_columns_table(&policy, &columns, as_of, 1)?;
/// let owners: Vec<_> = table.groups.iter().map(|g| table.keys[g.key][0].as_deref()).collect();
/// assert_eq!(owners, [Some("3"), Some("7")]);
/// assert_eq!(table.groups[1].sums.weighted.to_string(), "125.00"); // its open deals
/// let lines: Vec<_> = table.lines.iter().map(|l| (l.group, l.offset, l.sums.deals)).collect();
/// assert_eq!(lines, [(0, 0, 1), (1, 0, 2)]);
/// assert_eq!(table.group_lines(&policy.group_by, &report.months)?, forecast_columns(&policy, &columns, as_of)?.groups);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_columns_table(
    policy: &ForecastPolicy,
    columns: &DealColumns,
    as_of: NaiveDate,
    threads: usize,
) -> Result<(ForecastReport, GroupTable)> {
    let funnel = Funnel::new(policy)?;
    let row_path: &RowPath = &|i, field| format!("{field}[{i}]");
    let mut table = GroupTable::default();
    let (report, _) = run(&funnel, columns, as_of, row_path, threads, None, Some(&mut table))?;
    Ok((report, table))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A table changed by hand (a line naming no group or month, a group naming no key values)
    /// gives an error at the part that is wrong, never a panic.
    #[test]
    fn group_lines_of_a_changed_table_are_errors() {
        let months = [MonthLine { month: Arc::from("2026-01"), offset: 2, sums: Sums::default() }];
        let group_by = ["owner".to_owned()];
        let line = |group, offset| TableLine { group, offset, sums: Sums::default() };
        let table = GroupTable {
            keys: vec![vec![Some("li".to_owned())]],
            groups: vec![TableGroup { key: 0, sums: Sums::default(), beyond_horizon: None }],
            lines: vec![line(0, 2)],
        };
        let groups = table.group_lines(&group_by, &months).unwrap();
        assert_eq!((groups.len(), &*groups[0].months[0].month), (1, "2026-01"));
        let path = |t: &GroupTable| t.group_lines(&group_by, &months).unwrap_err().path().to_owned();
        assert_eq!(path(&GroupTable { lines: vec![line(1, 2)], ..table.clone() }), "group");
        assert_eq!(path(&GroupTable { lines: vec![line(0, 3)], ..table.clone() }), "offset");
        assert_eq!(path(&GroupTable { lines: vec![line(0, 1)], ..table.clone() }), "offset");
        assert_eq!(path(&GroupTable { keys: vec![], ..table.clone() }), "key");
        assert_eq!(MonthLine::at(&[], 0), None);
    }
}
