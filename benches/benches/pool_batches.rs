//! Public-pool assignment and claims over columns against the record API, on the same rows:
//! assign 1,000,000 records (20 regions, 3 sources; 4 teams of 25 reps, one per strategy plus
//! a capacity-bound one), and decide 50,000 claims against 200,000 pooled records, a
//! 1,000,000-entry ledger and 2,000 users' holdings.
//! Run: `cargo bench -p crmkit-benches --bench pool_batches`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::pool::{
    assign_records, assign_records_columns, check_claims, check_claims_columns, AsOf, AssignColumns, AssignInput,
    AssignPolicy, AssignRecord, AssignState, ClaimColumns, ClaimInput, CodeColumn, Holding, HoldingColumns, Instant,
    LedgerColumns, LedgerEntry, LedgerEvent, PoolPolicy, PooledColumns, PooledRecord, RepLoad, RequestColumns,
};
use serde_json::json;

/// splitmix64 stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn assign_book() -> (AssignPolicy, AssignInput, Vec<i32>, Vec<i32>, Vec<String>, Vec<String>) {
    let strategies = ["round_robin", "weighted", "least_loaded", "round_robin"];
    let teams: Vec<_> = (0..4)
        .map(|t| {
            let reps: Vec<_> = (0..25)
                .map(|r| {
                    let mut rep = json!({"id": format!("rep{t}_{r}"), "weight": 1 + r % 5, "active": r % 12 != 0});
                    if t == 3 {
                        rep["capacity"] = json!(5_000);
                    }
                    rep
                })
                .collect();
            json!({"id": format!("team{t}"), "strategy": strategies[t], "reps": reps})
        })
        .collect();
    let routes: Vec<_> = (0..4)
        .map(|t| json!({"id": format!("route{t}"), "when": {"regions": (0..5).map(|k| format!("region{}", t * 5 + k)).collect::<Vec<_>>(), "sources": ["web", "fair"]}, "team": format!("team{t}")}))
        .collect();
    let policy = json!({"teams": teams, "routes": routes, "fallback_queue": "queue"});
    let policy: AssignPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("policy");
    let (regions, sources) = (labels("region", 20), vec!["web".to_string(), "fair".to_string(), "call".to_string()]);
    let mut rng = Rng(42);
    let n = 1_000_000;
    let region: Vec<i32> = (0..n).map(|_| rng.below(20) as i32).collect();
    let source: Vec<i32> = (0..n).map(|_| rng.below(3) as i32).collect();
    let records = (0..n)
        .map(|i| AssignRecord {
            id: format!("lead{i}"),
            region: Some(regions[region[i] as usize].clone()),
            product_line: None,
            level: None,
            source: Some(sources[source[i] as usize].clone()),
        })
        .collect();
    let load = (0..25i64).map(|r| RepLoad { rep: format!("rep2_{r}"), held: r * 37 % 100, assigned: 0 }).collect();
    let input = AssignInput { records, load, cursors: [("team0".to_string(), 7)].into(), seed: 42 };
    (policy, input, region, source, regions, sources)
}

struct ClaimBook {
    policy: PoolPolicy,
    input: ClaimInput,
    users: Vec<String>,
    records: Vec<String>,
    pools: Vec<String>,
    events: Vec<String>,
    pooled_id: Vec<i32>,
    pooled_pool: Vec<i32>,
    pooled_at: Vec<i64>,
    holding_user: Vec<i32>,
    owned: Vec<i64>,
    ledger_at: Vec<i64>,
    ledger_user: Vec<i32>,
    ledger_record: Vec<i32>,
    ledger_pool: Vec<i32>,
    ledger_event: Vec<i32>,
    request_user: Vec<i32>,
    request_record: Vec<i32>,
}

/// 2026-11-01T00:00:00+08:00 in ms.
const START: i64 = 1_793_462_400_000;
const DAY: i64 = 86_400_000;

fn claim_book() -> ClaimBook {
    let pool = |id: &str, counts: &str| {
        json!({"id": id, "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
               "claims": {"daily_limit": 5, "holdings_limit": 200, "cooldown": 15, "embargo": 1, "daily_limit_counts": counts}})
    };
    let policy = json!({"time_zone": "Asia/Shanghai", "pools": [pool("east", "all_pools"), pool("west", "this_pool")]});
    let policy: PoolPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("policy");
    let (users, records, pools) =
        (labels("user", 2_000), labels("cust", 400_000), vec!["east".to_string(), "west".to_string()]);
    let events: Vec<String> = ["claim", "assign", "release", "recycle"].iter().map(|s| (*s).to_string()).collect();
    let mut rng = Rng(7);
    // Records 0..200,000 are in a pool, pooled in the 30 days before the run.
    let pooled_id: Vec<i32> = (0..200_000).collect();
    let pooled_pool: Vec<i32> = pooled_id.iter().map(|_| rng.below(2) as i32).collect();
    let pooled_at: Vec<i64> = pooled_id.iter().map(|_| START + rng.below(30 * DAY as u64) as i64).collect();
    let holding_user: Vec<i32> = (0..2_000).collect();
    let owned: Vec<i64> = holding_user.iter().map(|_| rng.below(220) as i64).collect();
    // A 1,000,000-entry ledger over the 30 days, in time order.
    let mut ledger_at: Vec<i64> = (0..1_000_000).map(|_| START + rng.below(30 * DAY as u64) as i64).collect();
    ledger_at.sort_unstable();
    let ledger_user: Vec<i32> = ledger_at.iter().map(|_| rng.below(2_000) as i32).collect();
    let ledger_record: Vec<i32> = ledger_at.iter().map(|_| rng.below(400_000) as i32).collect();
    let ledger_pool: Vec<i32> = ledger_at.iter().map(|_| rng.below(2) as i32).collect();
    let ledger_event: Vec<i32> = ledger_at.iter().map(|_| rng.below(4) as i32).collect();
    let request_user: Vec<i32> = (0..50_000).map(|_| rng.below(2_000) as i32).collect();
    let request_record: Vec<i32> = (0..50_000).map(|_| rng.below(250_000) as i32).collect();
    let kinds = [LedgerEvent::Claim, LedgerEvent::Assign, LedgerEvent::Release, LedgerEvent::Recycle];
    let input = ClaimInput {
        pooled: (0..pooled_id.len())
            .map(|i| PooledRecord {
                id: records[pooled_id[i] as usize].clone(),
                pool: pools[pooled_pool[i] as usize].clone(),
                pooled_at: Instant(pooled_at[i]),
            })
            .collect(),
        holdings: (0..2_000).map(|u| Holding { user: users[u].clone(), pool: None, owned: owned[u], won: 0 }).collect(),
        ledger: (0..ledger_at.len())
            .map(|j| LedgerEntry {
                at: Instant(ledger_at[j]),
                user: users[ledger_user[j] as usize].clone(),
                record: records[ledger_record[j] as usize].clone(),
                pool: Some(pools[ledger_pool[j] as usize].clone()),
                event: kinds[ledger_event[j] as usize],
            })
            .collect(),
        requests: (0..request_user.len())
            .map(|k| crmkit::pool::ClaimRequest {
                user: users[request_user[k] as usize].clone(),
                record: records[request_record[k] as usize].clone(),
            })
            .collect(),
    };
    ClaimBook {
        policy,
        input,
        users,
        records,
        pools,
        events,
        pooled_id,
        pooled_pool,
        pooled_at,
        holding_user,
        owned,
        ledger_at,
        ledger_user,
        ledger_record,
        ledger_pool,
        ledger_event,
        request_user,
        request_record,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_batches");
    group.sample_size(10);
    let (policy, input, region, source, regions, sources) = assign_book();
    let columns = AssignColumns {
        rows: region.len(),
        region: Some(CodeColumn { codes: &region, labels: &regions }),
        product_line: None,
        level: None,
        source: Some(CodeColumn { codes: &source, labels: &sources }),
    };
    let state = AssignState { load: input.load.clone(), cursors: input.cursors.clone(), seed: input.seed };
    group.throughput(Throughput::Elements(region.len() as u64));
    group.bench_function("assign_records_1m", |b| b.iter(|| assign_records(&policy, &input).expect("assign")));
    group.bench_function("assign_records_columns_1m", |b| {
        b.iter(|| assign_records_columns(&policy, &columns, &state).expect("assign"));
    });
    drop(input);
    let book = claim_book();
    let as_of = AsOf::parse("2026-12-01T10:00:00+08:00").expect("as_of");
    let col = |codes, labels| CodeColumn { codes, labels };
    let columns = ClaimColumns {
        pooled: PooledColumns {
            id: col(&book.pooled_id, &book.records),
            pool: col(&book.pooled_pool, &book.pools),
            pooled_at: &book.pooled_at,
        },
        holdings: Some(HoldingColumns {
            user: col(&book.holding_user, &book.users),
            pool: None,
            owned: &book.owned,
            won: None,
        }),
        ledger: Some(LedgerColumns {
            at: &book.ledger_at,
            user: col(&book.ledger_user, &book.users),
            record: col(&book.ledger_record, &book.records),
            pool: Some(col(&book.ledger_pool, &book.pools)),
            event: col(&book.ledger_event, &book.events),
        }),
        requests: RequestColumns {
            user: col(&book.request_user, &book.users),
            record: col(&book.request_record, &book.records),
        },
    };
    group.throughput(Throughput::Elements(book.input.requests.len() as u64));
    group.bench_function("check_claims_50k_requests_1m_ledger", |b| {
        b.iter(|| check_claims(&book.policy, &book.input, as_of).expect("claims"));
    });
    group.bench_function("check_claims_columns_50k_requests_1m_ledger", |b| {
        b.iter(|| check_claims_columns(&book.policy, &columns, as_of).expect("claims"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
