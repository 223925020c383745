//! Native timing of `score_columns` on the bench leads, for the README.
//! `cargo run --release -q -p crmkit-benches --example scoring_native -- [runs] [leads]`
//! prints one line per call (`crmkit_benches::measure::timed`): its wall time, the CPU time of
//! the calling thread and the time it spent runnable but waiting for a core (read from
//! `/proc/thread-self/schedstat` on Linux, so a loaded machine's waiting shows apart from the
//! work), the rest and the minor page faults, then the output's digest. The leads are
//! `benches/src/scoring.rs`'s (1,000,000 by default, 10 events each), the policy its 30 rules.

use crmkit::scoring::{score_columns, GroupedEvents, LeadColumns, ScoreColumns};
use crmkit_benches::as_of;
use crmkit_benches::measure::timed;
use crmkit_benches::scoring::{policy, Leads};

/// FNV-1a over every output column's bits: two runs (or two versions) agree to the bit
/// exactly when their digests do.
fn digest(out: &ScoreColumns) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for c in [&out.score, &out.fit, &out.engagement] {
        for v in c {
            eat(v.to_bits());
        }
    }
    out.rank.iter().for_each(|&v| eat(u64::from(v)));
    for c in std::iter::once(&out.grade).chain([&out.tier]).chain(&out.reasons) {
        for &v in c {
            eat(u64::from(v.cast_unsigned()));
        }
    }
    h
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let leads = Leads::generate(n, 42);
    let policy = policy();
    let grouped = GroupedEvents::group(&leads.event_lead, &leads.event_type, &leads.event_on, n).expect("events");
    let columns = LeadColumns { rows: n, fields: leads.fields(), events: Some(grouped.columns(&leads.event_labels)) };
    for _ in 0..runs {
        timed(
            &format!("score_columns {n} leads"),
            || score_columns(&policy, &columns, as_of()).expect("scores"),
            |out| format!("digest {:016x}", digest(out)),
        );
    }
}
