//! The groups of a forecast as one long table (group × month lines), for callers that want
//! columns, not records: `forecast_frame` from Python turns it into a DataFrame. The same
//! figures as the record report's [`GroupLine`]s, each rounded once from the same exact sums,
//! built straight from the per-group sums: no key map, month text or vector per group.

use super::columns::{run, DealColumns, KeyIds, RowPath};
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
    /// Per `group_by` field, in order: when its column held integer ids
    /// ([`GroupColumn::Ids32`](super::GroupColumn::Ids32) or `Ids64`), each group number's id
    /// (its key value in `keys` is the id's text; `None` where that is `None`); `None` for a
    /// column of codes. What a caller giving the keys back as integers reads, instead of
    /// parsing the text.
    pub ids: Vec<Option<Vec<Option<i64>>>>,
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

    /// The table of a record report's groups (taken out of it), `order[k]` being the group
    /// number of `groups[k]` in the run's key values and ids `(keys, ids)` (which the table
    /// keeps as they are: [`GroupSums::table`]'s numbering).
    pub(super) fn of_groups(
        groups: Vec<GroupLine>,
        order: &[usize],
        (keys, ids): (Vec<Vec<Option<String>>>, KeyIds),
    ) -> Self {
        let mut table = Self { keys, ids, ..Self::default() };
        for ((k, line), &g) in groups.into_iter().enumerate().zip(order) {
            let GroupLine { sums, months, beyond_horizon, .. } = line;
            table.groups.push(TableGroup { key: g, sums, beyond_horizon });
            let group = k as u32;
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
    /// give the span a dense table covers), `keys[g]` being group `g`'s key values (`ids`:
    /// [`GroupTable::ids`] by the same numbers) and `unscheduled` the last (unscheduled)
    /// slot. The same groups, lines and figures as `build_report` gives them.
    pub(super) fn table(
        self,
        policy: &ForecastPolicy,
        report: &ForecastReport,
        (keys, ids): (Vec<Vec<Option<String>>>, KeyIds),
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
        Ok(GroupTable { keys, ids, groups, lines })
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
            ids: vec![None],
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

    /// Each group of an id column carries its id (the integer its key is the text of)
    /// however the run numbers the groups: a narrow range of ids by place, ids through a
    /// table over their range, ids too spread out for one (coded), beside a column of codes
    /// (which carries none), and through the general loop (decimal amounts: the table made
    /// from the record report's groups).
    #[test]
    fn id_columns_give_their_groups_ids() {
        use super::super::{AmountColumn, GroupColumn, KeyColumn, StageCodes};
        use crate::prelude::{DurationUnit, Placement, Stage};
        use rust_decimal::Decimal;
        let stage = [0i32, 0, 0, 0, 0, 0, 0, 1];
        let units = [10_000i64, 20_000, 5_000, 40_000, 1, 2, 3, 4];
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::new(u, 2)).collect();
        let narrow = [3i32, 1, 2, 3, 1, 2, 1, 3];
        let gap = [10_037i32, 10_000, 10_037, 10_074, 9, 9, 10_000, 10_074];
        let wide = [-(1i64 << 40), 5, 1 << 40, 5, 5, -(1 << 40), 1 << 40, 5];
        let codes = [0i32, 1, 1, 0, -1, 1, 0, 0];
        let labels = ["b".to_owned(), "a".to_owned()];
        let stages = ["open".to_owned(), "won".to_owned()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        // Per group, in order: its key value in column `k` and its id there.
        let per_group = |table: &GroupTable, k: usize| -> Vec<(Option<String>, Option<i64>)> {
            let ids = table.ids[k].as_ref();
            table.groups.iter().map(|g| (table.keys[g.key][k].clone(), ids.and_then(|ids| ids[g.key]))).collect()
        };
        let cases = [
            (vec![GroupColumn::Ids32(&narrow)], vec![Some(vec![1, 2, 3])]),
            (vec![GroupColumn::Ids32(&gap)], vec![Some(vec![10_000, 10_037, 10_074, 9])]),
            (vec![GroupColumn::Ids64(&wide)], vec![Some(vec![-(1 << 40), 1 << 40, 5])]),
            (vec![KeyColumn { codes: &codes, labels: &labels }.into()], vec![None]),
            (
                vec![GroupColumn::Ids64(&wide), KeyColumn { codes: &codes, labels: &labels }.into()],
                vec![Some(vec![-(1 << 40), -(1 << 40), 1 << 40, 1 << 40, 5, 5, 5]), None],
            ),
        ];
        for (keys, want) in cases {
            let mut policy = ForecastPolicy::new(
                vec![Stage::open("open", Decimal::new(25, 2), Decimal::from(10)), Stage::won("won")],
                DurationUnit::Days,
                Placement::RemainingFull,
            );
            policy.group_by = (0..keys.len()).map(|k| format!("key{k}")).collect();
            let columns = DealColumns {
                stage: StageCodes::I32(&stage),
                stage_labels: &stages,
                amount: AmountColumn::Units { units: &units, scale: 2 },
                entered_stage_on: None,
                expected_close_on: None,
                snoozed_until: None,
                last_activity_on: None,
                keys,
                probability: None,
                category: None,
            };
            let (_, fast) = forecast_columns_table(&policy, &columns, as_of, 1).unwrap();
            let general = DealColumns { amount: AmountColumn::Decimal(&decimals), ..columns.clone() };
            let (_, slow) = forecast_columns_table(&policy, &general, as_of, 1).unwrap();
            assert_eq!(fast.ids.len(), want.len());
            for (k, want) in want.iter().enumerate() {
                let groups = per_group(&fast, k);
                assert_eq!(groups, per_group(&slow, k), "{k}");
                match want {
                    Some(want) => {
                        let ids: Vec<Option<i64>> = groups.iter().map(|(_, id)| *id).collect();
                        assert_eq!(ids, want.iter().copied().map(Some).collect::<Vec<_>>(), "{k}");
                        for (text, id) in &groups {
                            assert_eq!(text.as_deref(), id.map(|id| id.to_string()).as_deref());
                        }
                    }
                    None => assert!(fast.ids[k].is_none() && slow.ids[k].is_none(), "{k}"),
                }
            }
        }
    }
}
