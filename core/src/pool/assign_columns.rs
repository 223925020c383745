//! `assign_records` over columns: the records' routing keys as integer codes into labels
//! (pandas categoricals, Arrow dictionaries, JS `Int32Array`s), the assignments back as
//! columns. Each row goes through the same [`Assigner`] as a record of `assign_records`, so
//! both give the same team, rep, reasons, cursors and load, line for line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assign::{AssignPolicy, Assigner, Choice, RepLoad};
use super::columns::{check_codes, CodeColumn};
use crate::error::Result;

/// Most rows [`assign_records_columns`](super::assign_records_columns) takes: `rows` is a bare
/// count when no key column is given, and the answer is about 45 bytes a row (450 MB here,
/// within a 32-bit WASM memory).
pub const MAX_ASSIGN_ROWS: u64 = 10_000_000;

/// The records to assign as columns (row `i` is one record, assigned in row order). A key
/// column's code -1 is no value; an absent column is no value on every row.
#[derive(Debug, Clone, Copy)]
pub struct AssignColumns<'a> {
    /// Number of records (every column given has this many rows).
    pub rows: usize,
    /// Region (territory).
    pub region: Option<CodeColumn<'a>>,
    /// Product line.
    pub product_line: Option<CodeColumn<'a>>,
    /// Customer level.
    pub level: Option<CodeColumn<'a>>,
    /// Lead source.
    pub source: Option<CodeColumn<'a>>,
}

/// What [`assign_records_columns`](super::assign_records_columns) takes beside the columns:
/// [`AssignInput`](super::AssignInput) without its records.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AssignState {
    /// Reps' current holdings (a rep not listed holds nothing).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub load: Vec<RepLoad>,
    /// Each team's cursor from the previous run (absent: 0).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, number>"))]
    pub cursors: BTreeMap<String, u64>,
    /// Seed of the weighted draws: an integer or a decimal string (a JS `BigInt` or string
    /// beyond 2^53), as every seed.
    #[serde(default, with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "number | bigint | string"))]
    pub seed: u64,
}

/// The labels of [`AssignmentColumns::choice`], in code order: how a record's rep was chosen,
/// or why it went to the fallback queue (the record API's reason after `routed`).
pub const ASSIGN_CHOICES: [&str; 5] = ["no_route", "no_available_rep", "round_robin", "weighted_draw", "least_loaded"];

/// Assignments as columns, one row per record; the record API's [`Assignment`] reasons are
/// `routed` (`route`), the `choice` with its number, then `skipped_inactive` and
/// `skipped_full` when not 0.
///
/// [`Assignment`]: super::Assignment
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentColumns {
    /// Index of the route that took the record in the policy's routes (-1: none).
    pub route: Vec<i32>,
    /// Index of its team in the policy's teams (-1: no route).
    pub team: Vec<i32>,
    /// Index of its rep in `reps` (and `load`); -1: the fallback queue.
    pub rep: Vec<i32>,
    /// Code into [`ASSIGN_CHOICES`].
    pub choice: Vec<u8>,
    /// `round_robin`, `weighted_draw`: the cursor used (0 otherwise).
    pub cursor: Vec<u64>,
    /// `least_loaded`: records the rep held (0 otherwise).
    pub held: Vec<i64>,
    /// Reps skipped as inactive.
    pub skipped_inactive: Vec<i64>,
    /// Reps skipped as at capacity.
    pub skipped_full: Vec<i64>,
    /// Route ids, in policy order.
    pub routes: Vec<String>,
    /// Team ids, in policy order.
    pub teams: Vec<String>,
    /// Rep ids, sorted: the labels of `rep`, in `load`'s order.
    pub reps: Vec<String>,
    /// Every team's cursor for the next run.
    pub cursors: BTreeMap<String, u64>,
    /// Every rep's load after the run, by rep id.
    pub load: Vec<RepLoad>,
}

/// A route as a row reads it: whether it takes any record, and per key it lists (by index)
/// which labels it takes.
type RouteTable = (bool, Vec<(usize, Vec<bool>)>);

/// Whether each label of a key column is in a route's list (`None`: the route lists none).
fn listed(list: &[String], col: Option<&CodeColumn>) -> Option<Vec<bool>> {
    (!list.is_empty()).then(|| col.map_or_else(Vec::new, |c| c.labels.iter().map(|l| list.contains(l)).collect()))
}

pub(crate) fn assign(policy: &AssignPolicy, cols: &AssignColumns, state: &AssignState) -> Result<AssignmentColumns> {
    let mut assigner = Assigner::new(policy, &state.load, &state.cursors, state.seed)?;
    let n = cols.rows;
    crate::limits::check("rows", n, MAX_ASSIGN_ROWS, "records to assign")?;
    let keys = [cols.region, cols.product_line, cols.level, cols.source];
    for (name, col) in ["region", "product_line", "level", "source"].into_iter().zip(&keys) {
        if let Some(c) = col {
            check_codes(name, c, n, true)?;
        }
    }
    // Per route and key: which labels its list takes; a row's route is then a few lookups.
    let tables: Vec<RouteTable> = policy
        .routes
        .iter()
        .map(|route| {
            let lists = route.when.lists();
            let dims = (0..4).filter_map(|k| listed(lists[k], keys[k].as_ref()).map(|t| (k, t))).collect();
            (route.when.any, dims)
        })
        .collect();
    let takes = |(any, dims): &RouteTable, i: usize| {
        *any || (!dims.is_empty()
            && dims
                .iter()
                .all(|(k, table)| keys[*k].is_some_and(|c| usize::try_from(c.codes[i]).is_ok_and(|code| table[code]))))
    };
    let mut out = AssignmentColumns {
        route: Vec::with_capacity(n),
        team: Vec::with_capacity(n),
        rep: Vec::with_capacity(n),
        choice: Vec::with_capacity(n),
        cursor: Vec::with_capacity(n),
        held: Vec::with_capacity(n),
        skipped_inactive: Vec::with_capacity(n),
        skipped_full: Vec::with_capacity(n),
        routes: policy.routes.iter().map(|r| r.id.clone()).collect(),
        teams: policy.teams.iter().map(|t| t.id.clone()).collect(),
        reps: Vec::new(),
        cursors: BTreeMap::new(),
        load: Vec::new(),
    };
    let index = |v: Option<usize>| v.map_or(-1, |k| k as i32);
    for i in 0..n {
        let placed = assigner.place(tables.iter().position(|t| takes(t, i)));
        let (choice, cursor, held) = match placed.choice {
            Choice::NoRoute => (0, 0, 0),
            Choice::NoAvailableRep => (1, 0, 0),
            Choice::RoundRobin(c) => (2, c, 0),
            Choice::WeightedDraw(c) => (3, c, 0),
            Choice::LeastLoaded(h) => (4, 0, h),
        };
        out.route.push(index(placed.route));
        out.team.push(index(placed.team));
        out.rep.push(index(placed.rep));
        out.choice.push(choice);
        out.cursor.push(cursor);
        out.held.push(held);
        out.skipped_inactive.push(placed.inactive);
        out.skipped_full.push(placed.full);
    }
    out.reps = assigner.reps.iter().map(|r| (*r).to_owned()).collect();
    out.cursors = assigner.cursors();
    out.load = assigner.load();
    Ok(out)
}
