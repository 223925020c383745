//! `campaign_roi_columns` at scale: for each campaign count, the best and median on-CPU time
//! of the calling thread (`/proc/thread-self/schedstat`) over `runs` calls of the core, then of
//! the report written as JSON (what `campaignRoiColumns` hands to `JSON.parse`), with the JSON's
//! size and an FNV-1a digest of it (a speed change must leave every byte as it was).
//! `chrt -f 1 target/release/examples/roi_campaigns [runs] [n,n,...] [plain|full]`: `plain` is
//! the call of /work/patches-s25/wasm-repro-units.mjs (unique ids, one channel, cost only,
//! pro rata without dates); `full` (the default) 12 channels, budgets, expected revenue,
//! counts and runs of 1 to 120 days over 2026, pro rata by month.

use crmkit::forecast::{AmountColumn, KeyColumn};
use crmkit::roi::{campaign_roi_columns, CampaignColumns, RoiPolicy, SparseAmounts};
use crmkit_benches::measure::{runs_and_sizes, thread_cpu_ns};
use crmkit_benches::{draw, fnv1a};

#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1);
    let (runs, sizes) = runs_and_sizes(&mut args, "1024,4096,16384,65536,131072");
    let full = args.next().as_deref() != Some("plain");
    let policy: RoiPolicy =
        crmkit::wire::from_json(r#"{"cost_allocation": "pro_rata"}"#, "policy").expect("benchmark policy");
    let channel_names: Vec<String> = policy.channels.iter().map(|c| c.name.clone()).collect();
    for n in sizes {
        let ids: Vec<i32> = (0..n as i32).collect();
        let id_labels: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let r = |i: usize, k: u64| draw(7, (i as u64) * 8 + k);
        let channel: Vec<i32> =
            (0..n).map(|i| if full { (r(i, 0) % channel_names.len() as u64) as i32 } else { 0 }).collect();
        let cost: Vec<i64> = (0..n).map(|i| if full { (r(i, 1) % 10_000_000) as i64 } else { 100_000 }).collect();
        let won: Vec<i64> = (0..n).map(|i| (r(i, 2) % 20_000_000) as i64).collect();
        let budget: Vec<i64> = (0..n).map(|i| (r(i, 3) % 12_000_000) as i64).collect();
        let missing: Vec<bool> = (0..n).map(|i| r(i, 3) % 5 == 0).collect();
        let start: Vec<i64> = (0..n).map(|i| 20_454 + (r(i, 4) % 300) as i64).collect();
        let end: Vec<i64> = start.iter().enumerate().map(|(i, s)| s + (r(i, 5) % 120) as i64).collect();
        let counts: Vec<Vec<i64>> =
            (0..4).map(|k| (0..n).map(|i| (r(i, 6) % (5000 >> (k * 2))) as i64).collect()).collect();
        let columns = CampaignColumns {
            id: KeyColumn { codes: &ids, labels: &id_labels },
            channel: KeyColumn { codes: &channel, labels: &channel_names },
            cost: AmountColumn::Units { units: &cost, scale: 2 },
            won_revenue: full.then_some(AmountColumn::Units { units: &won, scale: 2 }),
            budget: full.then_some(SparseAmounts {
                amounts: AmountColumn::Units { units: &budget, scale: 2 },
                missing: Some(&missing),
            }),
            expected_revenue: None,
            start_on: full.then_some(start.as_slice()),
            end_on: full.then_some(end.as_slice()),
            leads: full.then_some(counts[0].as_slice()),
            customers: full.then_some(counts[1].as_slice()),
            opportunities: full.then_some(counts[2].as_slice()),
            won: full.then_some(counts[3].as_slice()),
            new_customers: None,
        };
        let (mut core, mut json) = (Vec::new(), Vec::new());
        let mut text = String::new();
        for _ in 0..runs {
            let t = thread_cpu_ns();
            let report = campaign_roi_columns(&policy, &columns).expect("benchmark campaigns");
            let u = thread_cpu_ns();
            text = serde_json::to_string(&report).expect("report as JSON");
            let v = thread_cpu_ns();
            core.push((u - t) as f64 / 1e6);
            json.push((v - u) as f64 / 1e6);
        }
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[0], v[v.len() / 2])
        };
        let ((cb, cm), (jb, jm)) = (stats(&mut core), stats(&mut json));
        println!(
            r#"{{"n": {n}, "layout": "{}", "core_best_ms": {cb:.2}, "core_median_ms": {cm:.2}, "json_best_ms": {jb:.2}, "json_median_ms": {jm:.2}, "json_bytes": {}, "digest": "{:016x}"}}"#,
            if full { "full" } else { "plain" },
            text.len(),
            fnv1a(text.bytes().map(u64::from))
        );
    }
}
