//! Assignment (分配): records routed to a team by the first matching route, then to a rep by
//! the team's strategy, or to a fallback queue. Deterministic: the cursors come in and go out,
//! and weighted draws come from the caller's seed.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How records are routed and shared out.
///
/// # Examples
///
/// ```
/// let policy: crmkit::pool::AssignPolicy = crmkit::wire::from_json(r#"{
///     "teams": [{"id": "north", "strategy": "round_robin", "reps": [{"id": "li"}, {"id": "wang"}]}],
///     "routes": [{"id": "n", "when": {"regions": ["north"]}, "team": "north"}],
///     "fallback_queue": "unassigned"
/// }"#, "")?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AssignPolicy {
    /// The teams reps are drawn from.
    pub teams: Vec<Team>,
    /// Tried in order; the first whose `when` takes a record sends it to its team.
    pub routes: Vec<Route>,
    /// Where a record goes when no route takes it or its team has no rep who can.
    pub fallback_queue: String,
}

/// A team and how it shares records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Unique id.
    pub id: String,
    /// How the next rep is chosen.
    pub strategy: Strategy,
    /// The reps, in round-robin order.
    pub reps: Vec<Rep>,
}

/// How a team chooses the rep for the next record. Inactive reps and reps at capacity are
/// always skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The next rep from the team's cursor on; the cursor moves past the chosen rep.
    RoundRobin,
    /// A draw weighted by `weight` from the caller's seed; the cursor counts the draws.
    Weighted,
    /// The rep holding the fewest records (held + assigned in this run); ties go to the first
    /// from the cursor on, which then moves past the chosen rep.
    LeastLoaded,
}

/// One rep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Rep {
    /// User id, unique in the team.
    pub id: String,
    /// Share under `weighted`, 0 to 1000 (default 1).
    #[serde(default = "one")]
    pub weight: i64,
    /// Most records the rep may hold (held + assigned), ≥ 0. A count, never divided into
    /// days (Odoo's capacity ÷ 30, rounded, gave small capacities a quota of 0). Absent:
    /// unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// Inactive reps (leave, left the company) get nothing and keep nobody's turn.
    #[serde(default = "yes")]
    pub active: bool,
}

fn one() -> i64 {
    1
}

fn yes() -> bool {
    true
}

/// A route: the records it takes go to `team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Unique id.
    pub id: String,
    /// Which records.
    pub when: RouteMatch,
    /// The team's id.
    pub team: String,
}

/// Which records a route takes: every non-empty list must hold the record's value; with no
/// list it takes none, unless `any`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    /// Every record (no list may be given beside it).
    #[serde(default)]
    pub any: bool,
    /// Regions (territories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub regions: Vec<String>,
    /// Product lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product_lines: Vec<String>,
    /// Customer levels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub levels: Vec<String>,
    /// Lead sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub sources: Vec<String>,
}

impl RouteMatch {
    pub(crate) fn lists(&self) -> [&[String]; 4] {
        [&self.regions, &self.product_lines, &self.levels, &self.sources]
    }

    fn takes(&self, r: &AssignRecord) -> bool {
        if self.any {
            return true;
        }
        let values = [&r.region, &r.product_line, &r.level, &r.source];
        let mut listed = false;
        for (list, value) in self.lists().into_iter().zip(values) {
            if !list.is_empty() {
                listed = true;
                if !value.as_ref().is_some_and(|v| list.contains(v)) {
                    return false;
                }
            }
        }
        listed
    }
}

/// A record to assign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AssignRecord {
    /// Unique id.
    pub id: String,
    /// Region (territory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_line: Option<String>,
    /// Customer level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Lead source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A rep's load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RepLoad {
    /// User id.
    pub rep: String,
    /// Records held before this run, ≥ 0.
    pub held: i64,
    /// Records assigned in this run (output only; 0 on input).
    #[serde(default)]
    pub assigned: i64,
}

/// The input of [`assign_records`](super::assign_records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// The records, assigned in this order.
    pub records: Vec<AssignRecord>,
    /// Reps' current holdings (a rep not listed holds nothing).
    #[serde(default)]
    pub load: Vec<RepLoad>,
    /// Each team's cursor from the previous run (absent: 0).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, number>"))]
    pub cursors: BTreeMap<String, u64>,
    /// Seed of the weighted draws: an integer or a decimal string (a JS `BigInt` or string
    /// beyond 2^53), as every seed.
    #[serde(default, with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(type = "number | bigint | string"))]
    pub seed: u64,
}

/// Why a record went where it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum AssignReasonCode {
    /// `route` took it.
    Routed,
    /// No route took it: fallback queue.
    NoRoute,
    /// Its team had no active rep under capacity (with weight, under `weighted`): fallback queue.
    NoAvailableRep,
    /// Chosen by round robin at `cursor`.
    RoundRobin,
    /// Chosen by weighted draw number `cursor`.
    WeightedDraw,
    /// Chosen as the least loaded, holding `count`.
    LeastLoaded,
    /// `count` reps were skipped as inactive.
    SkippedInactive,
    /// `count` reps were skipped as at capacity.
    SkippedFull,
}

/// One reason with its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AssignReason {
    /// What.
    pub code: AssignReasonCode,
    /// `routed`: the route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `round_robin`, `weighted_draw`: the cursor used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<u64>,
    /// `least_loaded`: records held; `skipped_*`: reps skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl AssignReason {
    fn code(code: AssignReasonCode) -> Self {
        Self { code, route: None, cursor: None, count: None }
    }
}

/// Where one record went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Assignment {
    /// The record.
    pub record: String,
    /// Its team (absent when no route took it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Its rep, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<String>,
    /// the fallback queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Why.
    pub reasons: Vec<AssignReason>,
}

/// What [`assign_records`](super::assign_records) returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AssignReport {
    /// One per record, in input order.
    pub assignments: Vec<Assignment>,
    /// Every team's cursor for the next run.
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, number>"))]
    pub cursors: BTreeMap<String, u64>,
    /// Every rep's load after the run, by rep id.
    pub load: Vec<RepLoad>,
}

/// splitmix64: the draw stream of the weighted strategy.
fn splitmix64(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How a record's rep was chosen (or why it has none): the reason after `routed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// No route took it.
    NoRoute,
    /// Its team had no rep who could take it.
    NoAvailableRep,
    /// Round robin at the cursor.
    RoundRobin(u64),
    /// Weighted draw number cursor.
    WeightedDraw(u64),
    /// Least loaded, holding this many.
    LeastLoaded(i64),
}

/// Where one record went: route and team (None: no route), rep (global index into
/// [`Assigner::reps`]; None: the fallback queue), how, and the reps skipped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    pub route: Option<usize>,
    pub team: Option<usize>,
    pub rep: Option<usize>,
    pub choice: Choice,
    pub inactive: i64,
    pub full: i64,
}

/// The state of one run: checked policy and input state, each rep's load by a global index
/// (rep ids sorted, the report's load order), each team's cursor. The record and the column
/// entry points both place their rows through [`Assigner::place`], so they agree line for line.
pub(crate) struct Assigner<'a> {
    policy: &'a AssignPolicy,
    /// Team of each route.
    route_team: Vec<usize>,
    /// Every rep id (policy reps and load entries), sorted.
    pub reps: Vec<&'a str>,
    /// Global rep index of each team's reps.
    team_reps: Vec<Vec<usize>>,
    held: Vec<i64>,
    given: Vec<i64>,
    cursors: Vec<u64>,
    seed: u64,
}

impl<'a> Assigner<'a> {
    /// Checks the policy, the load and the cursors, in the order the errors are documented.
    pub(crate) fn new(
        policy: &'a AssignPolicy,
        load: &'a [RepLoad],
        cursors: &BTreeMap<String, u64>,
        seed: u64,
    ) -> Result<Self> {
        let mut team_of: HashMap<&str, usize> = HashMap::new();
        for (t, team) in policy.teams.iter().enumerate() {
            if let Some(first) = team_of.insert(team.id.as_str(), t) {
                return Err(dup(format!("teams[{t}].id"), &team.id, format!("teams[{first}].id")));
            }
            let mut seen = HashMap::new();
            for (r, rep) in team.reps.iter().enumerate() {
                if let Some(first) = seen.insert(rep.id.as_str(), r) {
                    return Err(dup(
                        format!("teams[{t}].reps[{r}].id"),
                        &rep.id,
                        format!("teams[{t}].reps[{first}].id"),
                    ));
                }
                if !(0..=1000).contains(&rep.weight) {
                    return Err(Error::out_of_range(format!("teams[{t}].reps[{r}].weight"), rep.weight, 0, 1000));
                }
                if let Some(c) = rep.capacity.filter(|c| *c < 0) {
                    return Err(Error::out_of_range(format!("teams[{t}].reps[{r}].capacity"), c, 0, "inf"));
                }
            }
        }
        let mut route_team = Vec::with_capacity(policy.routes.len());
        for (i, route) in policy.routes.iter().enumerate() {
            if route.when.any && route.when.lists().iter().any(|l| !l.is_empty()) {
                return Err(Error::InvalidValue {
                    path: format!("routes[{i}].when.any"),
                    reason: "a route taking any record cannot also list values".into(),
                });
            }
            route_team.push(*team_of.get(route.team.as_str()).ok_or_else(|| Error::InvalidValue {
                path: format!("routes[{i}].team"),
                reason: format!("team {:?} is not in the policy", route.team),
            })?);
        }
        for name in cursors.keys() {
            if !team_of.contains_key(name.as_str()) {
                return Err(Error::InvalidValue {
                    path: format!("cursors.{name}"),
                    reason: format!("team {name:?} is not in the policy"),
                });
            }
        }
        let mut held_by: BTreeMap<&str, i64> = BTreeMap::new();
        for (i, l) in load.iter().enumerate() {
            if l.held < 0 {
                return Err(Error::out_of_range(format!("load[{i}].held"), l.held, 0, "inf"));
            }
            if held_by.insert(l.rep.as_str(), l.held).is_some() {
                let first = load.iter().position(|x| x.rep == l.rep).unwrap_or(0);
                return Err(dup(format!("load[{i}].rep"), &l.rep, format!("load[{first}].rep")));
            }
        }
        for team in &policy.teams {
            for rep in &team.reps {
                held_by.entry(rep.id.as_str()).or_insert(0);
            }
        }
        let index: HashMap<&str, usize> = held_by.keys().enumerate().map(|(k, id)| (*id, k)).collect();
        let team_reps = policy.teams.iter().map(|t| t.reps.iter().map(|r| index[r.id.as_str()]).collect()).collect();
        Ok(Self {
            policy,
            route_team,
            held: held_by.values().copied().collect(),
            given: vec![0; held_by.len()],
            reps: held_by.into_keys().collect(),
            team_reps,
            cursors: policy.teams.iter().map(|t| cursors.get(&t.id).copied().unwrap_or(0)).collect(),
            seed,
        })
    }

    /// Places the next record, which `route` (the first route taking it) sends to its team.
    pub(crate) fn place(&mut self, route: Option<usize>) -> Placed {
        let Some(route) = route else {
            return Placed { route: None, team: None, rep: None, choice: Choice::NoRoute, inactive: 0, full: 0 };
        };
        let t = self.route_team[route];
        let team = &self.policy.teams[t];
        let global = &self.team_reps[t];
        let load = |g: usize| self.held[g] + self.given[g];
        let (mut inactive, mut full) = (0, 0);
        let mut eligible = Vec::with_capacity(team.reps.len());
        for (i, rep) in team.reps.iter().enumerate() {
            if !rep.active {
                inactive += 1;
            } else if rep.capacity.is_some_and(|c| load(global[i]) >= c) {
                full += 1;
            } else if team.strategy != Strategy::Weighted || rep.weight > 0 {
                eligible.push(i);
            }
        }
        let len = team.reps.len() as u64;
        let cursor = self.cursors[t];
        // From the cursor on, wrapping: the order round robin and ties look in.
        let from_cursor = |i: usize| (i as u64 + len - cursor % len.max(1)) % len.max(1);
        let chosen = match team.strategy {
            Strategy::RoundRobin => eligible.iter().copied().min_by_key(|&i| from_cursor(i)).map(|i| {
                self.cursors[t] = (i as u64 + 1) % len;
                (i, Choice::RoundRobin(cursor))
            }),
            Strategy::LeastLoaded => {
                eligible.iter().copied().min_by_key(|&i| (load(global[i]), from_cursor(i))).map(|i| {
                    self.cursors[t] = (i as u64 + 1) % len;
                    (i, Choice::LeastLoaded(load(global[i])))
                })
            }
            Strategy::Weighted => {
                let total: i64 = eligible.iter().map(|&i| team.reps[i].weight).sum();
                (total > 0).then(|| {
                    let mut x = (splitmix64(self.seed, cursor) % total as u64) as i64;
                    self.cursors[t] = cursor.wrapping_add(1);
                    let mut pick = eligible[0];
                    for &i in &eligible {
                        if x < team.reps[i].weight {
                            pick = i;
                            break;
                        }
                        x -= team.reps[i].weight;
                    }
                    (pick, Choice::WeightedDraw(cursor))
                })
            }
        };
        let (rep, choice) = match chosen {
            Some((i, choice)) => {
                self.given[global[i]] += 1;
                (Some(global[i]), choice)
            }
            None => (None, Choice::NoAvailableRep),
        };
        Placed { route: Some(route), team: Some(t), rep, choice, inactive, full }
    }

    /// Every team's cursor for the next run.
    pub(crate) fn cursors(&self) -> BTreeMap<String, u64> {
        self.policy.teams.iter().zip(&self.cursors).map(|(t, c)| (t.id.clone(), *c)).collect()
    }

    /// Every rep's load after the run, by rep id.
    pub(crate) fn load(&self) -> Vec<RepLoad> {
        (0..self.reps.len())
            .map(|g| RepLoad { rep: self.reps[g].to_owned(), held: self.held[g], assigned: self.given[g] })
            .collect()
    }
}

pub(crate) fn run(policy: &AssignPolicy, input: &AssignInput) -> Result<AssignReport> {
    let mut assigner = Assigner::new(policy, &input.load, &input.cursors, input.seed)?;
    let mut ids = HashMap::new();
    for (i, r) in input.records.iter().enumerate() {
        if let Some(first) = ids.insert(r.id.as_str(), i) {
            return Err(dup(format!("records[{i}].id"), &r.id, format!("records[{first}].id")));
        }
    }
    let mut assignments = Vec::with_capacity(input.records.len());
    for r in &input.records {
        let placed = assigner.place(policy.routes.iter().position(|route| route.when.takes(r)));
        let Some(route) = placed.route else {
            assignments.push(Assignment {
                record: r.id.clone(),
                team: None,
                rep: None,
                queue: Some(policy.fallback_queue.clone()),
                reasons: vec![AssignReason::code(AssignReasonCode::NoRoute)],
            });
            continue;
        };
        let code = AssignReason::code;
        let mut reasons =
            vec![AssignReason { route: Some(policy.routes[route].id.clone()), ..code(AssignReasonCode::Routed) }];
        reasons.push(match placed.choice {
            Choice::RoundRobin(c) => AssignReason { cursor: Some(c), ..code(AssignReasonCode::RoundRobin) },
            Choice::WeightedDraw(c) => AssignReason { cursor: Some(c), ..code(AssignReasonCode::WeightedDraw) },
            Choice::LeastLoaded(n) => AssignReason { count: Some(n), ..code(AssignReasonCode::LeastLoaded) },
            Choice::NoAvailableRep | Choice::NoRoute => code(AssignReasonCode::NoAvailableRep),
        });
        for (count, c) in
            [(placed.inactive, AssignReasonCode::SkippedInactive), (placed.full, AssignReasonCode::SkippedFull)]
        {
            if count > 0 {
                reasons.push(AssignReason { count: Some(count), ..code(c) });
            }
        }
        let rep = placed.rep.map(|g| assigner.reps[g].to_owned());
        assignments.push(Assignment {
            record: r.id.clone(),
            team: placed.team.map(|t| policy.teams[t].id.clone()),
            queue: rep.is_none().then(|| policy.fallback_queue.clone()),
            rep,
            reasons,
        });
    }
    Ok(AssignReport { assignments, cursors: assigner.cursors(), load: assigner.load() })
}

fn dup(path: String, name: &str, first: String) -> Error {
    Error::DuplicateName { path, name: name.to_owned(), first }
}
