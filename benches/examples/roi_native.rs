//! Attribution timing on a machine shared with other work: for each model, the best wall time
//! and the best on-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`: time
//! spent running, not waiting for a core) over 5 runs of `attribute_columns` on the criterion
//! bench's 1,000,000 journeys × 5 touches.
//! `cargo run --release -q -p crmkit-benches --example roi_native -- [n] [models...]`; with
//! `CRMKIT_FRAME_COLUMNS=1` the columns are laid out as `attribution_frame` hands a pandas
//! frame over (int8 category codes, datetime64[s] ticks) and the credits written into one
//! buffer (as the binding writes numpy's array), to profile the Python path's core. A model
//! list joined by `+` (`linear+time_decay`) times `compare_attribution_columns_into` over those
//! models (one reading of the journeys for all of them), each model's credits into a buffer of
//! its own. Every line ends with an FNV-1a digest of each row's credit (per model for a list), to
//! check that a speed change leaves every credit as it was.

use std::time::Instant;

use crmkit::roi::{
    attribute_columns, attribute_columns_into, compare_attribution_columns_into, AttributionPolicy, CodeColumn,
    ComparisonPolicy, DayColumn, NOT_CONVERTED,
};
use crmkit_benches::roi::Journeys;

use crmkit_benches::measure::thread_cpu_ns;

#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let wanted: Vec<String> = args.collect();
    let journeys = Journeys::generate(n, 42);
    let mut columns = journeys.columns();
    // The frame's layout: int8 codes, seconds since 1970 (NaT stays the missing value).
    let codes: Vec<i8> = journeys.channel.iter().map(|&c| c as i8).collect();
    let seconds =
        |days: &[i64]| -> Vec<i64> { days.iter().map(|&d| if d == NOT_CONVERTED { d } else { d * 86_400 }).collect() };
    let (on, converted_on) = (seconds(&journeys.on), seconds(&journeys.converted_on));
    let frame = std::env::var_os("CRMKIT_FRAME_COLUMNS").is_some_and(|v| v == "1");
    let mut buffer = vec![0i64; if frame { columns.journey.len() } else { 0 }];
    if frame {
        columns.channel = CodeColumn::I8(&codes);
        columns.on = DayColumn { values: &on, per_day: 86_400 };
        columns.converted_on = DayColumn { values: &converted_on, per_day: 86_400 };
    }
    let models = [
        r#"{"kind": "first_touch"}"#,
        r#"{"kind": "last_touch"}"#,
        r#"{"kind": "linear"}"#,
        r#"{"kind": "u_shaped"}"#,
        r#"{"kind": "w_shaped"}"#,
        r#"{"kind": "time_decay", "half_life_days": "7"}"#,
        r#"{"kind": "markov"}"#,
        r#"{"kind": "shapley"}"#,
    ];
    let model_of = |name: &str| {
        models.iter().find(|m| m.contains(&format!(r#""{name}""#))).unwrap_or_else(|| panic!("no model {name}"))
    };
    for list in wanted.iter().filter(|w| w.contains('+')) {
        let chosen: Vec<&str> = list.split('+').map(model_of).copied().collect();
        let policy: ComparisonPolicy =
            crmkit::wire::from_json(&format!(r#"{{"models": [{}]}}"#, chosen.join(", ")), "")
                .expect("benchmark policy");
        let mut buffers = vec![vec![0i64; columns.journey.len()]; chosen.len()];
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        let mut total = String::new();
        for _ in 0..5 {
            let mut slices: Vec<&mut [i64]> = buffers.iter_mut().map(Vec::as_mut_slice).collect();
            let (start, cpu0) = (Instant::now(), thread_cpu_ns());
            let comparison = compare_attribution_columns_into(&policy, &columns, &mut slices).expect("comparison");
            cpu = cpu.min((thread_cpu_ns() - cpu0) as f64 / 1e6);
            wall = wall.min(start.elapsed().as_secs_f64() * 1e3);
            total = comparison.total.to_string();
        }
        let digests: Vec<String> = buffers.iter().map(|b| format!("{:016x}", digest(b))).collect();
        let digests = digests.join(",");
        println!(
            r#"{{"n":{n},"model":"{list}","best_wall_ms":{wall:.1},"best_cpu_ms":{cpu:.1},"total":"{total}","credits":"{digests}"}}"#
        );
    }
    for model in models {
        let policy: AttributionPolicy =
            crmkit::wire::from_json(&format!(r#"{{"model": {model}}}"#), "").expect("benchmark policy");
        let name = policy.model.name();
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        let mut total = String::new();
        for _ in 0..5 {
            let (start, cpu0) = (Instant::now(), thread_cpu_ns());
            let report = if frame {
                attribute_columns_into(&policy, &columns, &mut buffer).expect("attribution")
            } else {
                let out = attribute_columns(&policy, &columns).expect("attribution");
                buffer = out.credits;
                out.report
            };
            cpu = cpu.min((thread_cpu_ns() - cpu0) as f64 / 1e6);
            wall = wall.min(start.elapsed().as_secs_f64() * 1e3);
            total = report.total.to_string();
        }
        let credits = digest(&buffer);
        println!(
            r#"{{"n":{n},"model":"{name}","best_wall_ms":{wall:.1},"best_cpu_ms":{cpu:.1},"total":"{total}","credits":"{credits:016x}"}}"#
        );
    }
}

/// An FNV-1a digest of every row's credit, to check that a speed change leaves them as they were.
fn digest(credits: &[i64]) -> u64 {
    crmkit_benches::fnv1a(credits.iter().map(|&c| c as u64))
}
