//! The columnar claims and assignment entry points against the record API: the same rows give
//! the same answers line for line, and the same first error (its row named as columns name it).

use crmkit::pool::{
    assign_records, assign_records_columns, check_claims, check_claims_columns, AsOf, AssignColumns, AssignInput,
    AssignPolicy, AssignReason, AssignReasonCode, AssignState, Assignment, ClaimColumns, ClaimCount, ClaimDecision,
    ClaimInput, ClaimReason, ClaimReasonCode, CodeColumn, HoldingColumns, LedgerColumns, LedgerEvent, PoolPolicy,
    PooledColumns, RequestColumns, ZonedInstant, ASSIGN_CHOICES, CLAIM_REASONS, NONE,
};
use proptest::prelude::*;
use serde_json::json;

/// Labels in first-appearance order, and each value's code (-1: none). `extra` puts an unused
/// label first, so that codes are not row order by accident.
fn coded(values: &[Option<String>], extra: bool) -> (Vec<i32>, Vec<String>) {
    let labels = if extra { vec!["unused".into()] } else { Vec::new() };
    crmkit_tests::first_seen_codes(values.iter().map(Option::as_deref), labels)
}

fn some(values: impl IntoIterator<Item = String>) -> Vec<Option<String>> {
    values.into_iter().map(Some).collect()
}

fn cc(k: &(Vec<i32>, Vec<String>)) -> CodeColumn<'_> {
    CodeColumn { codes: &k.0, labels: &k.1 }
}

/// A key column; one with no value on any row may be left out, as a caller without it would.
fn col(k: &(Vec<i32>, Vec<String>), extra: bool) -> Option<CodeColumn<'_>> {
    (extra || k.0.iter().any(|&c| c >= 0)).then(|| cc(k))
}

const REGIONS: [&str; 3] = ["north", "south", "west"];
const SOURCES: [&str; 2] = ["web", "fair"];

prop_compose! {
    fn assign_case()(strategies in prop::collection::vec(0usize..3, 2),
                     reps in prop::collection::vec((0usize..5, 0i64..4, prop::option::of(0i64..6), prop::bool::weighted(0.8)), 1..7),
                     routes in prop::collection::vec((0usize..4, 0usize..3, 0usize..2, 0usize..3), 0..4),
                     records in prop::collection::vec((0usize..4, 0usize..3, any::<bool>()), 0..30),
                     held in prop::collection::vec((0usize..6, -1i64..5), 0..5),
                     cursors in prop::collection::vec(prop::option::of(0u64..8), 3),
                     extra: bool, seed: u64, clean in prop::bool::weighted(0.8))
                    -> (serde_json::Value, serde_json::Value, bool) {
        // Mostly valid input (unique reps and loads, known teams); else errors to agree on.
        let mut reps = reps;
        let mut held = held;
        if clean {
            let mut seen = std::collections::HashSet::new();
            reps.retain(|r| seen.insert(r.0));
            let mut seen = std::collections::HashSet::new();
            held.retain(|h| seen.insert(h.0) && h.1 >= 0);
        }
        let names = ["round_robin", "weighted", "least_loaded"];
        // Reps r0..r4 in two teams (a rep may be in both); a duplicate in a team is an error case.
        let team = |t: usize| -> Vec<serde_json::Value> {
            reps.iter().filter(|r| r.0 % 2 == t || r.0 == 4).map(|&(id, w, cap, active)| {
                let mut r = json!({"id": format!("r{id}"), "weight": w, "active": active});
                if let Some(c) = cap { r["capacity"] = json!(c); }
                r
            }).collect()
        };
        let teams = json!([{"id": "t0", "strategy": names[strategies[0]], "reps": team(0)},
                           {"id": "t1", "strategy": names[strategies[1]], "reps": team(1)}]);
        // A route: any (kind 0), regions, sources, or both; team 2 is not in the policy.
        let routes: Vec<_> = routes.iter().enumerate().map(|(i, &(kind, region, source, t))| {
            let when = match kind {
                0 => json!({"any": true}),
                1 => json!({"regions": [REGIONS[region]]}),
                2 => json!({"sources": [SOURCES[source]]}),
                _ => json!({"regions": [REGIONS[region], REGIONS[(region + 1) % 3]], "sources": [SOURCES[source]]}),
            };
            json!({"id": format!("route{i}"), "when": when, "team": format!("t{}", t.min(if i == 3 && !clean { 2 } else { 1 }))})
        }).collect();
        let policy = json!({"teams": teams, "routes": routes, "fallback_queue": "queue"});
        let records: Vec<_> = records.iter().enumerate().map(|(i, &(region, source, level))| {
            let mut r = json!({"id": format!("x{i}")});
            if region < 3 { r["region"] = json!(REGIONS[region]); }
            if source < 2 { r["source"] = json!(SOURCES[source]); }
            if level { r["level"] = json!("A"); }
            r
        }).collect();
        let load: Vec<_> = held.iter().map(|&(rep, h)| json!({"rep": format!("r{rep}"), "held": h})).collect();
        let mut cur = serde_json::Map::new();
        for (t, c) in cursors.iter().enumerate().take(if clean { 2 } else { 3 }) {
            if let Some(c) = c { cur.insert(format!("t{t}"), json!(c)); }
        }
        (policy, json!({"records": records, "load": load, "cursors": cur, "seed": seed}), extra)
    }
}

/// The assignments of the columns as the record API writes them.
fn assignments(policy: &AssignPolicy, input: &AssignInput, out: &crmkit::pool::AssignmentColumns) -> Vec<Assignment> {
    (0..out.rep.len())
        .map(|i| {
            let code = |c| AssignReason { code: c, route: None, cursor: None, count: None };
            let index = |k: i32| usize::try_from(k).ok();
            let choice = ASSIGN_CHOICES[out.choice[i] as usize];
            let mut reasons = Vec::new();
            if let Some(route) = index(out.route[i]) {
                reasons.push(AssignReason { route: Some(out.routes[route].clone()), ..code(AssignReasonCode::Routed) });
            }
            reasons.push(match choice {
                "no_route" => code(AssignReasonCode::NoRoute),
                "no_available_rep" => code(AssignReasonCode::NoAvailableRep),
                "round_robin" => AssignReason { cursor: Some(out.cursor[i]), ..code(AssignReasonCode::RoundRobin) },
                "weighted_draw" => AssignReason { cursor: Some(out.cursor[i]), ..code(AssignReasonCode::WeightedDraw) },
                _ => AssignReason { count: Some(out.held[i]), ..code(AssignReasonCode::LeastLoaded) },
            });
            for (n, c) in [
                (out.skipped_inactive[i], AssignReasonCode::SkippedInactive),
                (out.skipped_full[i], AssignReasonCode::SkippedFull),
            ] {
                if n > 0 {
                    reasons.push(AssignReason { count: Some(n), ..code(c) });
                }
            }
            let rep = index(out.rep[i]).map(|k| out.reps[k].clone());
            Assignment {
                record: input.records[i].id.clone(),
                team: index(out.team[i]).map(|t| out.teams[t].clone()),
                queue: rep.is_none().then(|| policy.fallback_queue.clone()),
                rep,
                reasons,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn assignment_columns_agree_with_records((policy, input, extra) in assign_case()) {
        let policy: AssignPolicy = crmkit::wire::from_json(&policy.to_string(), "").unwrap();
        let input: AssignInput = crmkit::wire::from_json(&input.to_string(), "").unwrap();
        let key = |f: fn(&crmkit::pool::AssignRecord) -> Option<String>| {
            coded(&input.records.iter().map(f).collect::<Vec<_>>(), extra)
        };
        let (region, product_line, level, source) =
            (key(|r| r.region.clone()), key(|r| r.product_line.clone()), key(|r| r.level.clone()), key(|r| r.source.clone()));
        let columns = AssignColumns {
            rows: input.records.len(),
            region: col(&region, extra),
            product_line: col(&product_line, extra),
            level: col(&level, extra),
            source: col(&source, extra),
        };
        let state = AssignState { load: input.load.clone(), cursors: input.cursors.clone(), seed: input.seed };
        let records = assign_records(&policy, &input);
        let columns = assign_records_columns(&policy, &columns, &state);
        match (records, columns) {
            (Ok(r), Ok(c)) => {
                prop_assert_eq!(&r.assignments, &assignments(&policy, &input, &c));
                prop_assert_eq!(&r.cursors, &c.cursors);
                prop_assert_eq!(&r.load, &c.load);
                prop_assert_eq!(c.reps, c.load.iter().map(|l| l.rep.clone()).collect::<Vec<_>>());
            }
            (Err(r), Err(c)) => prop_assert_eq!(r, c),
            (r, c) => prop_assert!(false, "records {:?}, columns {:?}", r.map(|_| ()), c.map(|_| ())),
        }
    }
}

const USERS: [&str; 3] = ["li", "wang", "zhao"];
/// 2026-01-01T00:00:00Z in ms.
const BASE: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;

/// Two pools `p` and `q` (a third name, `x`, is in no policy): `counts` says which limits
/// count in `this_pool`.
fn claims_policy(limits: [i64; 4], counts: [bool; 6], zone: bool) -> PoolPolicy {
    let count = |b: bool| if b { "this_pool" } else { "all_pools" };
    let pool = |id: &str, c: &[bool]| {
        json!({"id": id, "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
            "claims": {"daily_limit": limits[0], "holdings_limit": limits[1], "cooldown": limits[2], "embargo": limits[3],
                       "daily_limit_counts": count(c[0]), "holdings_limit_counts": count(c[1]), "cooldown_counts": count(c[2])}})
    };
    let mut q = pool("q", &counts[3..]);
    if zone {
        q["time_zone"] = json!("America/New_York");
    }
    let policy = json!({"time_zone": "Asia/Shanghai", "pools": [pool("p", &counts[..3]), q]});
    crmkit::wire::from_json(&policy.to_string(), "").expect("valid")
}

fn ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).expect("in range").to_rfc3339()
}

/// (at offset, user, record, event, pool: 0 none, 1 p, 2 q, 3 x)
type Event = (i64, usize, usize, usize, usize);

prop_compose! {
    fn claim_case()(limits in (0i64..4, 0i64..6, 0i64..5, 0i64..3), counts: [bool; 6], zone: bool,
                    pooled in prop::collection::vec((0usize..6, 0usize..5, 0i64..12 * DAY), 0..7),
                    held in prop::collection::vec((0usize..3, 0usize..4, -1i64..5, 0i64..3), 0..6),
                    events in prop::collection::vec((0i64..11 * DAY, 0usize..3, 0usize..6, 0usize..4, 0usize..4), 0..20),
                    sorted in prop::bool::weighted(0.9),
                    requests in prop::collection::vec((0usize..3, 0usize..7), 0..12),
                    clean in prop::bool::weighted(0.75), named: bool)
                   -> (PoolPolicy, serde_json::Value) {
        // Mostly valid input (known pools, unique ids and lines, the pools a `this_pool` count
        // needs, the ledger in order); else errors to agree on.
        let (mut pooled, mut held, sorted) = (pooled, held, sorted || clean);
        let by_pool = named || counts[1] || counts[4];
        if clean {
            let mut seen = std::collections::HashSet::new();
            pooled.retain(|p| seen.insert(p.0));
            for p in &mut pooled {
                p.1 %= 2;
            }
            let mut seen = std::collections::HashSet::new();
            held.retain(|h| seen.insert((h.0, if by_pool { h.1 % 2 } else { 0 })) && h.2 >= 0);
            for h in &mut held {
                h.1 = if by_pool { h.1 % 2 + 1 } else { 0 };
                h.3 = h.3.min(h.2);
            }
        }
        let events: Vec<Event> = if clean {
            events.iter().map(|&(t, u, r, k, p)| (t, u, r, k, if named || counts.iter().any(|&c| c) { p % 2 + 1 } else { p % 3 })).collect()
        } else {
            events
        };
        let policy = claims_policy([limits.0, limits.1, limits.2, limits.3], counts, zone);
        let pool_name = |k: usize| ["p", "q", "x", "p", "q"][k];
        let pooled: Vec<_> = pooled.iter().map(|&(r, p, at)| json!({"id": format!("c{r}"), "pool": pool_name(p), "pooled_at": ts(BASE + at)})).collect();
        // Holdings: pool 0 none, 1 p, 2 q, 3 x; won up to owned + 1 (an error case).
        let holdings: Vec<_> = held.iter().map(|&(u, p, owned, won)| {
            let mut h = json!({"user": USERS[u], "owned": owned, "won": won.min(owned.max(0) + 1)});
            if p > 0 { h["pool"] = json!(["p", "q", "x"][p - 1]); }
            h
        }).collect();
        let mut events: Vec<Event> = events;
        if sorted { events.sort_by_key(|e| e.0); }
        let kinds = ["claim", "assign", "release", "recycle"];
        let ledger: Vec<_> = events.iter().map(|&(t, u, r, k, p)| {
            let mut e = json!({"at": ts(BASE + t), "user": USERS[u], "record": format!("c{r}"), "event": kinds[k]});
            if p > 0 { e["pool"] = json!(["p", "q", "x"][p - 1]); }
            e
        }).collect();
        let requests: Vec<_> = requests.iter().map(|&(u, r)| json!({"user": USERS[u], "record": format!("c{r}")})).collect();
        (policy, json!({"pooled": pooled, "holdings": holdings, "ledger": ledger, "requests": requests}))
    }
}

/// `table[i].field` as the columns name it: `table.field[i]`.
fn column_path(path: &str) -> String {
    let Some((head, field)) = path.split_once("].") else { return path.to_owned() };
    let Some((table, row)) = head.split_once('[') else { return path.to_owned() };
    format!("{table}.{field}[{row}]")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn claim_columns_agree_with_records((policy, input) in claim_case(), hours in 0i64..48) {
        let input: ClaimInput = crmkit::wire::from_json(&input.to_string(), "").unwrap();
        let as_of = AsOf::Instant(crmkit::pool::Instant(BASE + 11 * DAY + hours * 3_600_000));
        let s = |v: &str| Some(v.to_owned());
        let pooled_id = coded(&input.pooled.iter().map(|r| s(&r.id)).collect::<Vec<_>>(), true);
        let pooled_pool = coded(&input.pooled.iter().map(|r| s(&r.pool)).collect::<Vec<_>>(), false);
        let pooled_at: Vec<i64> = input.pooled.iter().map(|r| r.pooled_at.0).collect();
        let h_user = coded(&some(input.holdings.iter().map(|h| h.user.clone())), false);
        let h_pool = coded(&input.holdings.iter().map(|h| h.pool.clone()).collect::<Vec<_>>(), true);
        let owned: Vec<i64> = input.holdings.iter().map(|h| h.owned).collect();
        let won: Vec<i64> = input.holdings.iter().map(|h| h.won).collect();
        let l_at: Vec<i64> = input.ledger.iter().map(|e| e.at.0).collect();
        let l_user = coded(&some(input.ledger.iter().map(|e| e.user.clone())), false);
        let l_record = coded(&some(input.ledger.iter().map(|e| e.record.clone())), false);
        let l_pool = coded(&input.ledger.iter().map(|e| e.pool.clone()).collect::<Vec<_>>(), false);
        let event_name = |e: LedgerEvent| serde_json::to_value(e).unwrap().as_str().unwrap().to_owned();
        let l_event = coded(&some(input.ledger.iter().map(|e| event_name(e.event))), true);
        let r_user = coded(&some(input.requests.iter().map(|r| r.user.clone())), true);
        let r_record = coded(&some(input.requests.iter().map(|r| r.record.clone())), false);
        let c = cc;
        let columns = ClaimColumns {
            pooled: PooledColumns { id: c(&pooled_id), pool: c(&pooled_pool), pooled_at: &pooled_at },
            holdings: (!input.holdings.is_empty()).then(|| HoldingColumns { user: c(&h_user), pool: Some(c(&h_pool)), owned: &owned, won: Some(&won) }),
            ledger: (!input.ledger.is_empty()).then(|| LedgerColumns { at: &l_at, user: c(&l_user), record: c(&l_record), pool: Some(c(&l_pool)), event: c(&l_event) }),
            requests: RequestColumns { user: c(&r_user), record: c(&r_record) },
        };
        match (check_claims(&policy, &input, as_of), check_claims_columns(&policy, &columns, as_of)) {
            (Ok(r), Ok(out)) => {
                let zone = |k: usize| -> chrono_tz::Tz {
                    policy.pools[k].time_zone.as_deref().unwrap_or(&policy.time_zone).parse().unwrap()
                };
                let decisions: Vec<ClaimDecision> = input.requests.iter().enumerate().map(|(k, req)| {
                    let pool = usize::try_from(out.pool[k]).ok();
                    let rules = pool.map(|p| &policy.pools[p].claims);
                    let at = |ms: i64| ZonedInstant(crmkit::pool::Instant(ms).format(zone(pool.unwrap())));
                    let counts = |f: fn(&crmkit::pool::ClaimRules) -> ClaimCount| rules.map(f);
                    let reasons = CLAIM_REASONS.iter().enumerate().filter(|(b, _)| out.reasons[k] >> b & 1 == 1).map(|(_, name)| {
                        let code: ClaimReasonCode = serde_json::from_value(json!(name)).unwrap();
                        let mut r = ClaimReason { code, count: None, limit: None, since: None, until: None, counts: None };
                        match code {
                            ClaimReasonCode::NotInPool => {}
                            ClaimReasonCode::Embargoed => (r.since, r.until) = (Some(at(out.embargo_since[k])), Some(at(out.embargo_until[k]))),
                            ClaimReasonCode::Cooldown => {
                                (r.since, r.until) = (Some(at(out.cooldown_since[k])), Some(at(out.cooldown_until[k])));
                                r.counts = counts(|c| c.cooldown_counts);
                            }
                            ClaimReasonCode::HoldingsLimit => {
                                (r.count, r.limit) = (Some(out.holdings_count[k]), Some(out.holdings_limit[k]));
                                r.counts = counts(|c| c.holdings_limit_counts);
                            }
                            ClaimReasonCode::DailyLimit => {
                                (r.count, r.limit) = (Some(out.daily_count[k]), Some(out.daily_limit[k]));
                                r.counts = counts(|c| c.daily_limit_counts);
                            }
                        }
                        r
                    }).collect();
                    ClaimDecision { user: req.user.clone(), record: req.record.clone(), pool: pool.map(|p| out.pools[p].clone()), accepted: out.accepted[k], reasons }
                }).collect();
                prop_assert_eq!(&r.decisions, &decisions);
                prop_assert_eq!(&r.holdings, &out.holdings);
                let claimed: Vec<i64> = r.decisions.iter().zip(&out.claimed_at).filter(|(d, _)| d.accepted).map(|(_, &t)| t).collect();
                prop_assert_eq!(r.ledger.iter().map(|e| e.at.0).collect::<Vec<_>>(), claimed);
                prop_assert!(r.decisions.iter().zip(&out.claimed_at).all(|(d, &t)| d.accepted || t == NONE));
            }
            (Err(r), Err(c)) => {
                prop_assert_eq!(r.code(), c.code());
                prop_assert_eq!(column_path(r.path()), c.path());
            }
            (r, c) => prop_assert!(false, "records {:?}, columns {:?}", r.map(|_| ()), c.map(|_| ())),
        }
    }
}
