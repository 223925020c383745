//! Native timing of the public pool on the bench book, for the README.
//! `cargo run --release -q -p crmkit-benches --example pool_native -- [evaluate|simulate] [runs]`
//! prints one line per call: its wall time, the CPU time of the calling thread and the time it
//! spent runnable but waiting for a core (read from `/proc/thread-self/schedstat` on Linux,
//! so a loaded machine's waiting shows apart from the work), the minor page faults it took
//! (`/proc/thread-self/stat`), then the counts. What is left of the wall time after CPU and
//! waiting is time the thread was blocked (major page faults, I/O). `evaluate`:
//! `evaluate_pool_columns` over 1,000,000 records and 10,000,000 activities; `simulate`:
//! `simulate_pool` over 90 days and 100,000 records, two policies; `claims`: `check_claims`
//! (structs already built) and `check_claims_columns` on the claims book (50,000 requests,
//! 200,000 pooled records, a 1,000,000-entry ledger), in turns, each line with a digest of
//! the answers (the two APIs' digests agree with each other and with earlier builds).

use std::hash::{DefaultHasher, Hash, Hasher};

use crmkit::pool::{
    check_claims, check_claims_columns, evaluate_pool_columns, simulate_pool, AsOf, PoolPolicy, CLAIM_REASONS,
};
use crmkit_benches::claims::{claim_book, CLAIMS_AS_OF};
use crmkit_benches::measure::timed;
use crmkit_benches::pool::{policy, Book, AS_OF, POLICY_JSON};

/// One claim's answer for the digest: its pool, whether accepted, each reason's code and
/// numbers (count, limit, since and until in ms; -1 or `i64::MIN` where the reason has none).
type Answer = (Option<String>, bool, Vec<(String, [i64; 4])>);

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "evaluate".into());
    let runs: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let policy = policy();
    let as_of = AsOf::parse(AS_OF).expect("as_of");
    if what == "claims" {
        let book = claim_book();
        let as_of = AsOf::parse(CLAIMS_AS_OF).expect("as_of");
        let columns = book.columns();
        // One digest for both APIs: per request its pool, verdict, reason codes and numbers
        // (instants in ms), then the holdings.
        let digest = |rows: &mut dyn Iterator<Item = Answer>, holdings: &str| {
            let mut h = DefaultHasher::new();
            for row in rows {
                row.hash(&mut h);
            }
            holdings.hash(&mut h);
            format!("digest {:016x}", h.finish())
        };
        for _ in 0..runs {
            timed(
                "check_claims",
                || check_claims(&book.policy, &book.input, as_of).expect("claims"),
                |r| {
                    let ms = |t: &Option<crmkit::pool::ZonedInstant>| {
                        t.as_ref().map_or(i64::MIN, |t| {
                            chrono::DateTime::parse_from_rfc3339(&t.0).expect("rfc3339").timestamp_millis()
                        })
                    };
                    let mut rows = r.decisions.iter().map(|d| {
                        let reasons = d.reasons.iter().map(|x| {
                            let code =
                                serde_json::to_value(x.code).expect("code").as_str().unwrap_or_default().to_owned();
                            (code, [x.count.unwrap_or(-1), x.limit.unwrap_or(-1), ms(&x.since), ms(&x.until)])
                        });
                        (d.pool.clone(), d.accepted, reasons.collect())
                    });
                    let accepted = r.decisions.iter().filter(|d| d.accepted).count();
                    let holdings = serde_json::to_string(&r.holdings).expect("json");
                    format!("accepted {accepted}, {}", digest(&mut rows, &holdings))
                },
            );
            timed(
                "check_claims_columns",
                || check_claims_columns(&book.policy, &columns, as_of).expect("claims"),
                |out| {
                    let mut rows = (0..out.accepted.len()).map(|k| {
                        let numbers = |code: usize| match code {
                            0 => [-1, -1, i64::MIN, i64::MIN],
                            1 => [-1, -1, out.embargo_since[k], out.embargo_until[k]],
                            2 => [-1, -1, out.cooldown_since[k], out.cooldown_until[k]],
                            3 => [out.holdings_count[k], out.holdings_limit[k], i64::MIN, i64::MIN],
                            _ => [out.daily_count[k], out.daily_limit[k], i64::MIN, i64::MIN],
                        };
                        let reasons = (0..CLAIM_REASONS.len())
                            .filter(|&b| out.reasons[k] >> b & 1 == 1)
                            .map(|b| (CLAIM_REASONS[b].to_owned(), numbers(b)));
                        let pool = usize::try_from(out.pool[k]).ok().map(|p| out.pools[p].clone());
                        (pool, out.accepted[k], reasons.collect())
                    });
                    let accepted = out.accepted.iter().filter(|&&a| a).count();
                    let holdings = serde_json::to_string(&out.holdings).expect("json");
                    format!("accepted {accepted}, {}", digest(&mut rows, &holdings))
                },
            );
        }
    } else if what == "simulate" {
        let (records, activities) = Book::generate(100_000, 10, 42).rows();
        let b: PoolPolicy =
            crmkit::wire::from_json(&POLICY_JSON.replace("\"limit\": 30", "\"limit\": 15"), "").expect("policy b");
        let from = chrono::NaiveDate::from_ymd_opt(2026, 8, 26).expect("date");
        let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        for _ in 0..runs {
            timed(
                "simulate_pool",
                || simulate_pool(&policy, &b, &records, &activities, from, to).expect("simulate"),
                |r| format!("recycled a {} b {}", r.total.a, r.total.b),
            );
        }
    } else {
        let book = Book::generate(1_000_000, 10, 42);
        for _ in 0..runs {
            timed(
                "evaluate_pool_columns",
                || evaluate_pool_columns(&policy, &book.records(), &book.activities(), as_of).expect("evaluate"),
                |out| {
                    let n = out.totals;
                    format!("keep {} warn {} recycle {} exempt {}", n.keep, n.warn, n.recycle, n.exempt)
                },
            );
        }
    }
}
