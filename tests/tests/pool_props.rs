//! Public-pool invariants over generated books.

use crmkit::pool::{evaluate_pool, AsOf, PoolActivity, PoolPolicy, PoolRecord, PoolVerdict};
use proptest::prelude::*;
use serde_json::json;

const ZONES: [&str; 4] = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"];
const UNITS: [&str; 3] = ["calendar_days", "working_days", "hours"];
const OWNERS: [&str; 3] = ["li", "wang", "zhao"];
/// 2026-01-01T00:00:00Z in ms; generated instants fall in the year after it.
const BASE: i64 = 1_767_225_600_000;
const YEAR_MS: i64 = 365 * 86_400_000;

#[derive(Debug, Clone)]
struct Setup {
    zone: usize,
    unit: usize,
    inclusive: bool,
    limits: Vec<i64>,
    warn: Option<i64>,
    actor: usize,
}

prop_compose! {
    fn setup()(zone in 0usize..4, unit in 0usize..3, inclusive: bool, limits in prop::collection::vec(1i64..40, 1..3),
               warn in prop::option::of(0i64..12), actor in 0usize..3) -> Setup {
        Setup { zone, unit, inclusive, limits, warn, actor }
    }
}

fn policy(s: &Setup) -> PoolPolicy {
    let kinds = ["no_follow_up", "no_new_opportunity", "no_won_deal"];
    let rules: Vec<_> = s
        .limits
        .iter()
        .enumerate()
        .map(|(i, l)| json!({"id": format!("r{i}"), "kind": kinds[i % 3], "limit": l}))
        .collect();
    let actor = ["owner", "team", "anyone"][s.actor];
    let mut pool = json!({
        "id": "p", "scope": {"everyone": true}, "unit": UNITS[s.unit], "calendar": "cn",
        "boundary": if s.inclusive { "inclusive" } else { "exclusive" },
        "follow_up": {"actor": actor, "backdate_limit_hours": 30},
        "rules": rules,
    });
    if let Some(w) = s.warn {
        pool["warn_before"] = json!(w);
    }
    let policy = json!({
        "time_zone": ZONES[s.zone],
        "calendars": {"cn": {"holidays": ["2026-10-01", "2026-10-02", "2026-10-05"], "workdays": ["2026-09-27"]}},
        "pools": [pool],
    });
    crmkit::wire::from_json(&policy.to_string(), "").expect("generated policy is valid")
}

fn ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).expect("in range").to_rfc3339()
}

/// (claimed offset, owner, locked, opportunity offset)
type Rec = (i64, usize, bool, Option<i64>);
/// (record, at offset, delay before logged, actor, deleted)
type Act = (usize, i64, i64, usize, bool);

fn book(recs: &[Rec], acts: &[Act], as_of: i64) -> (Vec<PoolRecord>, Vec<PoolActivity>) {
    let records = recs
        .iter()
        .enumerate()
        .map(|(i, &(c, o, locked, opp))| {
            let mut r = json!({"id": format!("c{i}"), "owner": OWNERS[o], "claimed_at": ts(BASE + c % as_of), "locked": locked,
                               "team": ["zhao"]});
            if let Some(opp) = opp {
                r["last_opportunity_at"] = json!(ts(BASE + opp % as_of));
            }
            r
        })
        .collect::<Vec<_>>();
    let activities = acts
        .iter()
        .filter(|a| a.0 < recs.len())
        .map(|&(r, at, delay, actor, deleted)| {
            let at = BASE + at % as_of;
            let logged = (at + delay).min(BASE + as_of);
            json!({"record": format!("c{r}"), "at": ts(at), "logged_at": ts(logged), "type": "call", "actor": OWNERS[actor], "deleted": deleted})
        })
        .collect::<Vec<_>>();
    (
        crmkit::wire::from_json(&serde_json::Value::from(records).to_string(), "records").expect("records"),
        crmkit::wire::from_json(&serde_json::Value::from(activities).to_string(), "activities").expect("activities"),
    )
}

fn rec() -> impl Strategy<Value = Rec> {
    (0i64..YEAR_MS, 0usize..3, prop::bool::weighted(0.1), prop::option::of(0i64..YEAR_MS))
}

fn act() -> impl Strategy<Value = Act> {
    (0usize..12, 0i64..YEAR_MS, 0i64..200_000_000, 0usize..3, prop::bool::weighted(0.1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decisions_are_idempotent_and_ignore_activity_order(s in setup(), recs in prop::collection::vec(rec(), 1..12),
                                                         acts in prop::collection::vec(act(), 0..40), as_of in YEAR_MS / 2..YEAR_MS) {
        let policy = policy(&s);
        let (records, mut activities) = book(&recs, &acts, as_of);
        let at = AsOf::Instant(crmkit::pool::Instant(BASE + as_of));
        let first = evaluate_pool(&policy, &records, &activities, at).unwrap();
        prop_assert_eq!(&first, &evaluate_pool(&policy, &records, &activities, at).unwrap());
        activities.reverse();
        prop_assert_eq!(&first, &evaluate_pool(&policy, &records, &activities, at).unwrap());
    }

    #[test]
    fn warn_at_never_after_due_at_and_recycling_is_monotone(s in setup(), recs in prop::collection::vec(rec(), 1..12),
                                                            acts in prop::collection::vec(act(), 0..40), as_of in YEAR_MS / 2..YEAR_MS - 86_400_000,
                                                            later in 1i64..86_400_000) {
        let policy = policy(&s);
        let (records, activities) = book(&recs, &acts, as_of);
        let now = evaluate_pool(&policy, &records, &activities, AsOf::Instant(crmkit::pool::Instant(BASE + as_of))).unwrap();
        let next = evaluate_pool(&policy, &records, &activities, AsOf::Instant(crmkit::pool::Instant(BASE + as_of + later))).unwrap();
        for (d, n) in now.decisions.iter().zip(&next.decisions) {
            if let (Some(w), Some(due)) = (&d.warn_at, &d.due_at) {
                let (w, due) = (chrono::DateTime::parse_from_rfc3339(&w.0).unwrap(), chrono::DateTime::parse_from_rfc3339(&due.0).unwrap());
                prop_assert!(w <= due, "{:?}", d);
            }
            // With the same data, time only moves a record towards the pool.
            let rank = |v: PoolVerdict| match v { PoolVerdict::Keep => 0, PoolVerdict::Warn => 1, PoolVerdict::Recycle => 2, PoolVerdict::Exempt => 3 };
            prop_assert!(rank(n.decision) >= rank(d.decision), "{:?} then {:?}", d, n);
        }
    }

    #[test]
    fn an_effective_follow_up_today_is_never_recycled_today(s in setup(), recs in prop::collection::vec(rec(), 1..8),
                                                          as_of in YEAR_MS / 2..YEAR_MS, back in 0i64..3_600_000) {
        // Only follow-up rules: another rule may recycle the record for its own reason.
        let mut s = s;
        s.limits.truncate(1);
        let policy = policy(&s);
        // Each record's owner calls it earlier on as_of's own local day (or within the hour).
        let (mut records, _) = book(&recs, &[], as_of);
        let zone: chrono_tz::Tz = ZONES[s.zone].parse().unwrap();
        let now = chrono::DateTime::from_timestamp_millis(BASE + as_of).unwrap().with_timezone(&zone);
        let midnight = now.date_naive().and_hms_opt(0, 0, 0).unwrap();
        let day_start = chrono::TimeZone::from_local_datetime(&zone, &midnight).earliest().map_or(BASE + as_of, |t| t.timestamp_millis());
        let at = (BASE + as_of - back).max(day_start);
        let mut activities = Vec::new();
        for r in &mut records {
            r.claimed_at = crmkit::pool::Instant(r.claimed_at.0.min(at));
            activities.push(crmkit::wire::from_json::<PoolActivity>(
                &json!({"record": r.id, "at": ts(at), "type": "call", "actor": r.owner}).to_string(), "a").unwrap());
        }
        let report = evaluate_pool(&policy, &records, &activities, AsOf::Instant(crmkit::pool::Instant(BASE + as_of))).unwrap();
        for d in &report.decisions {
            prop_assert!(d.decision != PoolVerdict::Recycle, "{:?}", d);
        }
    }
}

/// Two pools with the given limits; `counts` (daily, holdings, cool-down of `p`, then of `q`)
/// says which count in `this_pool`.
fn claims_policy(daily: i64, holdings: i64, cooldown: i64, embargo: i64, counts: [bool; 6]) -> PoolPolicy {
    let count = |b: bool| if b { "this_pool" } else { "all_pools" };
    let pool = |id: &str, c: &[bool]| {
        json!({"id": id, "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
            "claims": {"daily_limit": daily, "holdings_limit": holdings, "cooldown": cooldown, "embargo": embargo,
                       "daily_limit_counts": count(c[0]), "holdings_limit_counts": count(c[1]), "cooldown_counts": count(c[2])}})
    };
    let policy = json!({"time_zone": "Asia/Shanghai", "pools": [pool("p", &counts[..3]), pool("q", &counts[3..])]});
    crmkit::wire::from_json(&policy.to_string(), "").expect("valid")
}

/// (at offset, user, record, event kind, in pool q)
type ClaimEvent = (i64, usize, usize, usize, bool);

/// A claims book: the pooled records (`c0`..`c5`, each in `p` or `q`), holdings per user (and
/// pool, when `by_pool`), and a ledger whose entries name their pool.
struct ClaimBook {
    pooled: Vec<serde_json::Value>,
    holdings: Vec<serde_json::Value>,
    ledger: Vec<serde_json::Value>,
}

impl ClaimBook {
    fn new(events: &[ClaimEvent], held: &[i64], in_q: &[bool], by_pool: bool) -> Self {
        let pool = |q: bool| if q { "q" } else { "p" };
        let mut events = events.to_vec();
        events.sort_by_key(|e| e.0);
        let kinds = ["claim", "assign", "release", "recycle"];
        let ledger = events
            .iter()
            .map(|&(t, u, r, k, q)| {
                json!({"at": ts(BASE + t), "user": OWNERS[u], "record": format!("c{r}"), "event": kinds[k], "pool": pool(q)})
            })
            .collect();
        let pooled = (0..6)
            .map(|r| json!({"id": format!("c{r}"), "pool": pool(in_q[r]), "pooled_at": ts(BASE + r as i64 * 86_400_000)}))
            .collect();
        let holdings = if by_pool {
            held.iter()
                .enumerate()
                .map(|(k, &h)| json!({"user": OWNERS[k / 2], "pool": pool(k % 2 == 1), "owned": h}))
                .collect()
        } else {
            held.iter().take(3).enumerate().map(|(u, &h)| json!({"user": OWNERS[u], "owned": h})).collect()
        };
        Self { pooled, holdings, ledger }
    }

    fn input(&self, ledger: &[serde_json::Value], reqs: &[serde_json::Value]) -> crmkit::pool::ClaimInput {
        let v = json!({"pooled": self.pooled, "holdings": self.holdings, "ledger": ledger, "requests": reqs});
        crmkit::wire::from_json(&v.to_string(), "").expect("claim input")
    }
}

fn claim_requests(requests: &[(usize, usize)]) -> Vec<serde_json::Value> {
    requests.iter().map(|&(u, r)| json!({"user": OWNERS[u], "record": format!("c{r}")})).collect()
}

fn claim_events() -> impl Strategy<Value = Vec<ClaimEvent>> {
    prop::collection::vec((0i64..10 * 86_400_000, 0usize..3, 0usize..6, 0usize..4, any::<bool>()), 0..20)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_refused_claim_changes_nothing(daily in 0i64..4, limit in 0i64..6, cooldown in 0i64..5, embargo in 0i64..3,
                                       counts: [bool; 6], by_pool: bool, in_q: [bool; 6], events in claim_events(),
                                       held in prop::collection::vec(0i64..5, 6),
                                       requests in prop::collection::vec((0usize..3, 0usize..8), 0..12)) {
        let policy = claims_policy(daily, limit, cooldown, embargo, counts);
        let book = ClaimBook::new(&events, &held, &in_q, by_pool || counts[1] || counts[4]);
        let reqs = claim_requests(&requests);
        let as_of = AsOf::Instant(crmkit::pool::Instant(BASE + 10 * 86_400_000));
        let all = crmkit::pool::check_claims(&policy, &book.input(&book.ledger, &reqs), as_of).unwrap();
        let kept: Vec<_> = reqs.iter().zip(&all.decisions).filter(|(_, d)| d.accepted).map(|(r, _)| r.clone()).collect();
        let only = crmkit::pool::check_claims(&policy, &book.input(&book.ledger, &kept), as_of).unwrap();
        prop_assert!(only.decisions.iter().all(|d| d.accepted));
        prop_assert_eq!(&all.ledger, &only.ledger);
        let held_of = |r: &crmkit::pool::ClaimReport| r.holdings.iter().filter(|h| h.owned > 0).cloned().collect::<Vec<_>>();
        prop_assert_eq!(held_of(&all), held_of(&only));
        for (d, h) in all.decisions.iter().filter(|d| d.accepted).zip(&only.decisions) {
            prop_assert_eq!(&d.record, &h.record);
        }
    }

    /// Counting across all pools (the default) ignores the pools the ledger names, as before
    /// the ledger had them; with every record and entry in one pool, `this_pool` counts the same.
    #[test]
    fn pools_on_the_ledger_change_nothing_across_pools(daily in 0i64..4, limit in 0i64..6, cooldown in 0i64..5,
                                       in_q: [bool; 6], events in claim_events(),
                                       held in prop::collection::vec(0i64..5, 6),
                                       requests in prop::collection::vec((0usize..3, 0usize..8), 0..12)) {
        let as_of = AsOf::Instant(crmkit::pool::Instant(BASE + 10 * 86_400_000));
        let reqs = claim_requests(&requests);
        let across = claims_policy(daily, limit, cooldown, 0, [false; 6]);
        let book = ClaimBook::new(&events, &held, &in_q, false);
        let bare: Vec<_> = book.ledger.iter().map(|e| {
            let mut e = e.clone();
            e.as_object_mut().expect("object").remove("pool");
            e
        }).collect();
        let named = crmkit::pool::check_claims(&across, &book.input(&book.ledger, &reqs), as_of).unwrap();
        let unnamed = crmkit::pool::check_claims(&across, &book.input(&bare, &reqs), as_of).unwrap();
        prop_assert_eq!(&named, &unnamed);
        // One pool holds every record and entry: per pool counts what across pools counts (the
        // reasons differ only in the `counts` they report).
        let events: Vec<ClaimEvent> = events.iter().map(|&(t, u, r, k, _)| (t, u, r, k, false)).collect();
        let held: Vec<i64> = held.iter().enumerate().map(|(k, &h)| if k % 2 == 1 { 0 } else { h }).collect();
        let one = ClaimBook::new(&events, &held, &[false; 6], true);
        let input = one.input(&one.ledger, &reqs);
        let per = crmkit::pool::check_claims(&claims_policy(daily, limit, cooldown, 0, [true; 6]), &input, as_of).unwrap();
        let all = crmkit::pool::check_claims(&across, &input, as_of).unwrap();
        let strip = |r: &crmkit::pool::ClaimReport| {
            let mut r = r.clone();
            r.decisions.iter_mut().flat_map(|d| &mut d.reasons).for_each(|x| x.counts = None);
            r
        };
        prop_assert_eq!(strip(&per), strip(&all));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn assignment_places_every_record_once_within_capacity(strategy in 0usize..3, reps in prop::collection::vec((0i64..4, prop::option::of(0i64..6), prop::bool::weighted(0.8), 0i64..5), 1..5),
                                                          records in prop::collection::vec((0usize..3, 0usize..3), 0..30), cursor in 0u64..10, seed: u64) {
        let strategies = ["round_robin", "weighted", "least_loaded"];
        let team: Vec<_> = reps.iter().enumerate().map(|(i, &(w, cap, active, _))| {
            let mut r = json!({"id": format!("r{i}"), "weight": w, "active": active});
            if let Some(c) = cap { r["capacity"] = json!(c); }
            r
        }).collect();
        let policy = json!({"teams": [{"id": "t", "strategy": strategies[strategy], "reps": team}, {"id": "u", "strategy": "round_robin", "reps": [{"id": "r0"}]}],
            "routes": [{"id": "north", "when": {"regions": ["north"]}, "team": "t"}, {"id": "south", "when": {"regions": ["south"]}, "team": "u"}],
            "fallback_queue": "q"});
        let regions = ["north", "south", "west"];
        let recs: Vec<_> = records.iter().enumerate().map(|(i, &(r, _))| json!({"id": format!("x{i}"), "region": regions[r]})).collect();
        let load: Vec<_> = reps.iter().enumerate().map(|(i, r)| json!({"rep": format!("r{i}"), "held": r.3})).collect();
        let policy: crmkit::pool::AssignPolicy = crmkit::wire::from_json(&policy.to_string(), "").unwrap();
        let input: crmkit::pool::AssignInput = crmkit::wire::from_json(
            &json!({"records": recs, "load": load, "cursors": {"t": cursor}, "seed": seed}).to_string(), "").unwrap();
        let report = crmkit::pool::assign_records(&policy, &input).unwrap();
        prop_assert_eq!(&report, &crmkit::pool::assign_records(&policy, &input).unwrap());
        // A permutation: every record once, in order, to exactly one rep or the queue.
        prop_assert_eq!(report.assignments.len(), recs.len());
        for (a, r) in report.assignments.iter().zip(&input.records) {
            prop_assert_eq!(&a.record, &r.id);
            prop_assert!(a.rep.is_some() != a.queue.is_some());
        }
        // Capacities and activity respected; the load adds up.
        let assigned = report.assignments.iter().filter(|a| a.rep.is_some()).count() as i64;
        prop_assert_eq!(report.load.iter().map(|l| l.assigned).sum::<i64>(), assigned);
        for l in &report.load {
            let given = report.assignments.iter().filter(|a| a.rep.as_deref() == Some(l.rep.as_str()) && a.team.as_deref() == Some("t")).count() as i64;
            if let Some(i) = l.rep.strip_prefix('r').and_then(|i| i.parse::<usize>().ok()).filter(|i| *i < reps.len()) {
                let (_, cap, active, held) = reps[i];
                if !active { prop_assert_eq!(given, 0); }
                if let (Some(c), true) = (cap, given > 0) { prop_assert!(held + given <= c.max(held)); }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn columns_agree_with_records(s in setup(), recs in prop::collection::vec(rec(), 1..12),
                                  acts in prop::collection::vec(act(), 0..40), as_of in YEAR_MS / 2..YEAR_MS) {
        let mut s = s;
        s.actor = s.actor.min(1) * 2; // owner or anyone: columns have no team
        let policy = policy(&s);
        let (records, activities) = book(&recs, &acts, as_of);
        let at = AsOf::Instant(crmkit::pool::Instant(BASE + as_of));
        let report = evaluate_pool(&policy, &records, &activities, at).unwrap();
        let users: Vec<String> = OWNERS.iter().map(|s| (*s).to_string()).collect();
        let types = vec!["call".to_string()];
        let owner: Vec<i32> = records.iter().map(|r| OWNERS.iter().position(|o| *o == r.owner).unwrap() as i32).collect();
        let claimed: Vec<i64> = records.iter().map(|r| r.claimed_at.0).collect();
        let locked: Vec<bool> = records.iter().map(|r| r.locked).collect();
        let opp: Vec<i64> = records.iter().map(|r| r.last_opportunity_at.map_or(crmkit::pool::NONE, |t| t.0)).collect();
        let act_record: Vec<i32> = activities.iter().map(|a| a.record[1..].parse::<i32>().unwrap()).collect();
        let act_at: Vec<i64> = activities.iter().map(|a| a.at.0).collect();
        let logged: Vec<i64> = activities.iter().map(|a| a.logged_at.map_or(crmkit::pool::NONE, |t| t.0)).collect();
        let kind = vec![0; activities.len()];
        let actor: Vec<i32> = activities.iter().map(|a| OWNERS.iter().position(|o| *o == a.actor).unwrap() as i32).collect();
        let deleted: Vec<bool> = activities.iter().map(|a| a.deleted).collect();
        let cols = crmkit::pool::evaluate_pool_columns(
            &policy,
            &crmkit::pool::RecordColumns {
                owner: crmkit::pool::CodeColumn { codes: &owner, labels: &users }, claimed_at: &claimed,
                department: None, region: None, product_line: None, level: None,
                locked: Some(&locked), open_contract: None, last_won_at: None, last_opportunity_at: Some(&opp),
                team: None, tags: None,
            },
            &crmkit::pool::ActivityColumns {
                record: &act_record, at: &act_at, logged_at: Some(&logged),
                kind: crmkit::pool::CodeColumn { codes: &kind, labels: &types },
                actor: crmkit::pool::CodeColumn { codes: &actor, labels: &users }, deleted: Some(&deleted),
            },
            at,
        ).unwrap();
        let parse = |z: &Option<crmkit::pool::ZonedInstant>| z.as_ref().map_or(crmkit::pool::NONE, |z| chrono::DateTime::parse_from_rfc3339(&z.0).unwrap().timestamp_millis());
        for (i, d) in report.decisions.iter().enumerate() {
            let code = match d.decision { PoolVerdict::Keep => 0, PoolVerdict::Warn => 1, PoolVerdict::Recycle => 2, PoolVerdict::Exempt => 3 };
            prop_assert_eq!(cols.decision[i], code);
            prop_assert_eq!(cols.due_at[i], parse(&d.due_at));
            prop_assert_eq!(cols.warn_at[i], parse(&d.warn_at));
            prop_assert_eq!(cols.last_follow_up_at[i], parse(&d.last_follow_up_at));
        }
        prop_assert_eq!(cols.totals, report.totals);
    }
}

const TYPES: [&str; 3] = ["call", "visit", "email"];
const TAGS: [&str; 3] = ["vip", "gov", "x"];

/// Two pools that count differently: `li`'s records in a pool of another zone that counts
/// calls and visits back-dated by at most 10 hours, everyone else's in `p` (any type;
/// back-dating limited to 30 hours unless `lenient`). Both count the same actors.
fn split_policy(s: &Setup, lenient: bool) -> PoolPolicy {
    let mut policy: serde_json::Value = serde_json::to_value(policy(s)).expect("a policy serialises");
    let mut li = policy["pools"][0].clone();
    li["id"] = json!("li");
    li["priority"] = json!(1);
    li["scope"] = json!({"owners": ["li"]});
    li["time_zone"] = json!(ZONES[(s.zone + 1) % 4]);
    li["follow_up"]["types"] = json!(["call", "visit"]);
    li["follow_up"]["backdate_limit_hours"] = json!(10);
    if lenient {
        policy["pools"][0]["follow_up"]["backdate_limit_hours"] = serde_json::Value::Null;
    }
    policy["pools"].as_array_mut().expect("pools").insert(0, li);
    crmkit::wire::from_json(&policy.to_string(), "").expect("generated policy is valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn columns_agree_with_records_over_pools_that_count_differently(
        s in setup(), lenient: bool, as_date: bool, recs in prop::collection::vec(rec(), 1..12),
        acts in prop::collection::vec((act(), 0usize..3), 0..60), as_of in YEAR_MS / 2..YEAR_MS,
        tag_sets in prop::collection::vec(0usize..8, 12), teams in prop::collection::vec(0usize..8, 12)) {
        let mut policy = serde_json::to_value(split_policy(&s, lenient)).expect("a policy serialises");
        policy["pools"][0]["exempt"]["tags"] = json!(["gov"]);
        policy["pools"][1]["exempt"]["tags"] = json!(["vip", "x"]);
        let policy: PoolPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("valid");
        let acts: Vec<(Act, usize)> = acts.into_iter().filter(|(a, _)| a.0 < recs.len()).collect();
        let plain: Vec<Act> = acts.iter().map(|(a, _)| *a).collect();
        let (mut records, mut activities) = book(&recs, &plain, as_of);
        for (a, (_, t)) in activities.iter_mut().zip(&acts) {
            a.kind = TYPES[*t].to_string();
        }
        // Tags and teams from bit sets over three labels each (the book gives every record
        // the team ["zhao"]; here each gets its own).
        let (mut tag_rows, mut tag_codes, mut team_rows, mut team_codes) = (vec![], vec![], vec![], vec![]);
        for (i, r) in records.iter_mut().enumerate() {
            r.tags = (0..3).filter(|b| tag_sets[i] >> b & 1 == 1).map(|b| TAGS[b].to_string()).collect();
            r.team = (0..3).filter(|b| teams[i] >> b & 1 == 1).map(|b| OWNERS[b].to_string()).collect();
            for b in (0..3).filter(|b| tag_sets[i] >> b & 1 == 1) {
                tag_rows.push(i as i32);
                tag_codes.push(b);
            }
            for b in (0..3).filter(|b| teams[i] >> b & 1 == 1) {
                team_rows.push(i as i32);
                team_codes.push(b);
            }
        }
        let tag_labels: Vec<String> = TAGS.iter().map(|s| (*s).to_string()).collect();
        let at = if as_date {
            // The day after as_of's UTC date: later than every instant of the book in every zone.
            let d = chrono::DateTime::from_timestamp_millis(BASE + as_of).unwrap().date_naive();
            AsOf::Date(d.succ_opt().unwrap())
        } else {
            AsOf::Instant(crmkit::pool::Instant(BASE + as_of))
        };
        let report = evaluate_pool(&policy, &records, &activities, at).unwrap();
        let users: Vec<String> = OWNERS.iter().map(|s| (*s).to_string()).collect();
        let types: Vec<String> = TYPES.iter().map(|s| (*s).to_string()).collect();
        let owner: Vec<i32> = records.iter().map(|r| OWNERS.iter().position(|o| *o == r.owner).unwrap() as i32).collect();
        let claimed: Vec<i64> = records.iter().map(|r| r.claimed_at.0).collect();
        let locked: Vec<bool> = records.iter().map(|r| r.locked).collect();
        let opp: Vec<i64> = records.iter().map(|r| r.last_opportunity_at.map_or(crmkit::pool::NONE, |t| t.0)).collect();
        let act_record: Vec<i32> = activities.iter().map(|a| a.record[1..].parse::<i32>().unwrap()).collect();
        let act_at: Vec<i64> = activities.iter().map(|a| a.at.0).collect();
        let logged: Vec<i64> = activities.iter().map(|a| a.logged_at.map_or(crmkit::pool::NONE, |t| t.0)).collect();
        let kind: Vec<i32> = acts.iter().map(|(_, t)| *t as i32).collect();
        let actor: Vec<i32> = activities.iter().map(|a| OWNERS.iter().position(|o| *o == a.actor).unwrap() as i32).collect();
        let deleted: Vec<bool> = activities.iter().map(|a| a.deleted).collect();
        let cols = crmkit::pool::evaluate_pool_columns(
            &policy,
            &crmkit::pool::RecordColumns {
                owner: crmkit::pool::CodeColumn { codes: &owner, labels: &users }, claimed_at: &claimed,
                department: None, region: None, product_line: None, level: None,
                locked: Some(&locked), open_contract: None, last_won_at: None, last_opportunity_at: Some(&opp),
                team: Some(crmkit::pool::MemberColumns { record: &team_rows, value: crmkit::pool::CodeColumn { codes: &team_codes, labels: &users } }),
                tags: Some(crmkit::pool::MemberColumns { record: &tag_rows, value: crmkit::pool::CodeColumn { codes: &tag_codes, labels: &tag_labels } }),
            },
            &crmkit::pool::ActivityColumns {
                record: &act_record, at: &act_at, logged_at: Some(&logged),
                kind: crmkit::pool::CodeColumn { codes: &kind, labels: &types },
                actor: crmkit::pool::CodeColumn { codes: &actor, labels: &users }, deleted: Some(&deleted),
            },
            at,
        ).unwrap();
        let parse = |z: &Option<crmkit::pool::ZonedInstant>| z.as_ref().map_or(crmkit::pool::NONE, |z| chrono::DateTime::parse_from_rfc3339(&z.0).unwrap().timestamp_millis());
        for (i, d) in report.decisions.iter().enumerate() {
            let code = match d.decision { PoolVerdict::Keep => 0, PoolVerdict::Warn => 1, PoolVerdict::Recycle => 2, PoolVerdict::Exempt => 3 };
            prop_assert_eq!(&cols.pools[cols.pool[i] as usize], &d.pool);
            prop_assert_eq!(cols.decision[i], code);
            prop_assert_eq!(cols.due_at[i], parse(&d.due_at));
            prop_assert_eq!(cols.warn_at[i], parse(&d.warn_at));
            prop_assert_eq!(cols.last_follow_up_at[i], parse(&d.last_follow_up_at));
        }
        prop_assert_eq!(cols.totals, report.totals);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The replay's shortcuts (per-day tables, jumping to the next logged follow-up or due
    /// day) give the day a night-by-night evaluation would first recycle each record on.
    #[test]
    fn simulation_matches_a_night_by_night_evaluation(s in setup(), recs in prop::collection::vec(rec(), 1..8),
                                                     acts in prop::collection::vec(act(), 0..30), as_of in YEAR_MS / 2..YEAR_MS) {
        let policy = policy(&s);
        let (records, activities) = book(&recs, &acts, as_of);
        let to = chrono::DateTime::from_timestamp_millis(BASE + as_of).unwrap().date_naive().succ_opt().unwrap();
        let from = to - chrono::Duration::days(12);
        let report = crmkit::pool::simulate_pool(&policy, &policy, &records, &activities, from, to).unwrap();
        let zone: chrono_tz::Tz = ZONES[s.zone].parse().unwrap();
        let mut first: Vec<Option<chrono::NaiveDate>> = vec![None; records.len()];
        let mut day = from;
        while day <= to {
            let next = chrono::TimeZone::from_local_datetime(&zone, &day.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap());
            let end = crmkit::pool::Instant(next.earliest().expect("these zones have every midnight").timestamp_millis() - 1);
            let keep: Vec<usize> = (0..records.len()).filter(|&i| records[i].claimed_at <= end).collect();
            let rs: Vec<PoolRecord> = keep.iter().map(|&i| {
                let mut r = records[i].clone();
                r.last_opportunity_at = r.last_opportunity_at.filter(|t| *t <= end);
                r
            }).collect();
            let acts: Vec<PoolActivity> = activities.iter()
                .filter(|a| rs.iter().any(|r| r.id == a.record) && a.at <= end && a.logged_at.unwrap_or(a.at) <= end)
                .cloned().collect();
            let night = evaluate_pool(&policy, &rs, &acts, AsOf::Date(day)).unwrap();
            for (k, d) in night.decisions.iter().enumerate() {
                if d.decision == PoolVerdict::Recycle && first[keep[k]].is_none() {
                    first[keep[k]] = Some(day);
                }
            }
            day = day.succ_opt().unwrap();
        }
        let mut want: std::collections::BTreeMap<(chrono::NaiveDate, String), u64> = std::collections::BTreeMap::new();
        for (i, d) in first.iter().enumerate() {
            if let Some(d) = d {
                *want.entry((*d, records[i].owner.clone())).or_default() += 1;
            }
        }
        let got: std::collections::BTreeMap<(chrono::NaiveDate, String), u64> =
            report.lines.iter().map(|l| ((l.date, l.owner.clone()), l.a)).filter(|(_, a)| *a > 0).collect();
        prop_assert_eq!(got, want);
    }
}

/// A book's rows as owned columns (users and types as labels, teams as a long table).
struct OwnedColumns {
    users: Vec<String>,
    types: Vec<String>,
    owner: Vec<i32>,
    claimed: Vec<i64>,
    locked: Vec<bool>,
    opp: Vec<i64>,
    team_record: Vec<i32>,
    team_user: Vec<i32>,
    act_record: Vec<i32>,
    act_at: Vec<i64>,
    logged: Vec<i64>,
    kind: Vec<i32>,
    actor: Vec<i32>,
    deleted: Vec<bool>,
}

impl OwnedColumns {
    fn of(records: &[PoolRecord], activities: &[PoolActivity]) -> Self {
        let code = |name: &str| OWNERS.iter().position(|o| *o == name).expect("a known user") as i32;
        let row = |id: &str| records.iter().position(|r| r.id == id).expect("a known record") as i32;
        let none = crmkit::pool::NONE;
        let teams: Vec<(i32, i32)> =
            records.iter().enumerate().flat_map(|(i, r)| r.team.iter().map(move |u| (i as i32, code(u)))).collect();
        Self {
            users: OWNERS.iter().map(|s| (*s).to_string()).collect(),
            types: vec!["call".to_string()],
            owner: records.iter().map(|r| code(&r.owner)).collect(),
            claimed: records.iter().map(|r| r.claimed_at.0).collect(),
            locked: records.iter().map(|r| r.locked).collect(),
            opp: records.iter().map(|r| r.last_opportunity_at.map_or(none, |t| t.0)).collect(),
            team_record: teams.iter().map(|t| t.0).collect(),
            team_user: teams.iter().map(|t| t.1).collect(),
            act_record: activities.iter().map(|a| row(&a.record)).collect(),
            act_at: activities.iter().map(|a| a.at.0).collect(),
            logged: activities.iter().map(|a| a.logged_at.map_or(none, |t| t.0)).collect(),
            kind: vec![0; activities.len()],
            actor: activities.iter().map(|a| code(&a.actor)).collect(),
            deleted: activities.iter().map(|a| a.deleted).collect(),
        }
    }

    fn records(&self) -> crmkit::pool::RecordColumns<'_> {
        crmkit::pool::RecordColumns {
            owner: crmkit::pool::CodeColumn { codes: &self.owner, labels: &self.users },
            claimed_at: &self.claimed,
            department: None,
            region: None,
            product_line: None,
            level: None,
            locked: Some(&self.locked),
            open_contract: None,
            last_won_at: None,
            last_opportunity_at: Some(&self.opp),
            team: Some(crmkit::pool::MemberColumns {
                record: &self.team_record,
                value: crmkit::pool::CodeColumn { codes: &self.team_user, labels: &self.users },
            }),
            tags: None,
        }
    }

    fn activities(&self) -> crmkit::pool::ActivityColumns<'_> {
        crmkit::pool::ActivityColumns {
            record: &self.act_record,
            at: &self.act_at,
            logged_at: Some(&self.logged),
            kind: crmkit::pool::CodeColumn { codes: &self.kind, labels: &self.types },
            actor: crmkit::pool::CodeColumn { codes: &self.actor, labels: &self.users },
            deleted: Some(&self.deleted),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The columnar replay gives the record replay's report, under two different policies.
    #[test]
    fn simulation_over_columns_equals_rows(s in setup(), t in setup(), recs in prop::collection::vec(rec(), 1..10),
                                           acts in prop::collection::vec(act(), 0..40), as_of in YEAR_MS / 2..YEAR_MS) {
        let (a, b) = (policy(&s), policy(&t));
        let (records, activities) = book(&recs, &acts, as_of);
        let to = chrono::DateTime::from_timestamp_millis(BASE + as_of).expect("in range").date_naive().succ_opt().expect("a date");
        let from = to - chrono::Duration::days(40);
        let rows = crmkit::pool::simulate_pool(&a, &b, &records, &activities, from, to).expect("simulate");
        let cols = OwnedColumns::of(&records, &activities);
        let columns = crmkit::pool::simulate_pool_columns(&a, &b, &cols.records(), &cols.activities(), from, to).expect("columns");
        prop_assert_eq!(columns, rows);
    }
}
