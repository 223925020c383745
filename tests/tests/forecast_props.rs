//! Forecast invariants over generated pipelines.

use chrono::NaiveDate;
use crmkit::forecast::{
    forecast, forecast_columns, forecast_columns_parallel, forecast_columns_table, AmountColumn, DateColumn, Deal,
    DealColumns, ForecastPolicy, ForecastReport, GroupColumn, KeyColumn, ProbabilityColumn, StageCodes,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

const STAGES: [&str; 5] = ["a", "b", "c", "won", "lost"];
const OWNERS: [&str; 3] = ["li", "wang", "zhao"];

fn policy(rates: &[u32; 3], durations: &[u32; 3], unit: &str, placement: &str) -> ForecastPolicy {
    let open: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"name": "{}", "conversion": "0.{:02}", "duration": "{}", "stall_after": "{}"}}"#,
                STAGES[i],
                rates[i],
                durations[i],
                durations[i] / 2
            )
        })
        .collect();
    crmkit::wire::from_json(
        &format!(
            r#"{{"stages": [{}, {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
               "duration_unit": "{unit}", "placement": "{placement}", "group_by": ["owner"], "undated": "half_elapsed"}}"#,
            open.join(",")
        ),
        "",
    )
    .expect("generated policy is valid")
}

/// (stage, cents, owner, days in stage, days until expected close)
type Row = (usize, i64, Option<usize>, Option<u64>, Option<i64>);

prop_compose! {
    fn deal()(stage in 0usize..5, cents in 0i64..10_000_000_000, owner in proptest::option::of(0usize..3),
              days in proptest::option::of(0u64..400), close in proptest::option::of(-60i64..800)) -> Row {
        (stage, cents, owner, days, close)
    }
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).expect("date")
}

fn deals(rows: &[Row]) -> Vec<Deal> {
    rows.iter()
        .enumerate()
        .map(|(i, &(stage, cents, owner, days, close))| Deal {
            id: format!("d{i}"),
            stage: STAGES[stage].into(),
            amount: Decimal::new(cents, 2),
            entered_stage_on: days.map(|d| as_of() - chrono::Days::new(d)),
            expected_close_on: close.map(|c| as_of() + chrono::TimeDelta::days(c)),
            snoozed_until: None,
            snooze_reason: None,
            last_activity_on: None,
            category: None,
            probability: None,
            owner: owner.map(|o| OWNERS[o].into()),
            team: None,
            product: None,
            attributes: std::collections::BTreeMap::default(),
        })
        .collect()
}

/// The rows laid out as columns (stage codes, cents, owner codes) with the deal list's dates.
struct Laid {
    stage: Vec<i32>,
    cents: Vec<i64>,
    owner: Vec<i32>,
    entered: Vec<i64>,
    close: Vec<i64>,
    stage_labels: Vec<String>,
    owner_labels: Vec<String>,
}

impl Laid {
    fn new(rows: &[Row], list: &[Deal]) -> Self {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
        let days = |d: Option<NaiveDate>| d.map_or(i64::MIN, |e| (e - epoch).num_days());
        Self {
            stage: rows.iter().map(|r| r.0 as i32).collect(),
            cents: rows.iter().map(|r| r.1).collect(),
            owner: rows.iter().map(|r| r.2.map_or(-1, |o| o as i32)).collect(),
            entered: list.iter().map(|d| days(d.entered_stage_on)).collect(),
            close: list.iter().map(|d| days(d.expected_close_on)).collect(),
            stage_labels: STAGES.map(String::from).to_vec(),
            owner_labels: OWNERS.map(String::from).to_vec(),
        }
    }

    /// Raw rows of (stage code, cents, entry day, close day, owner code), codes and days as
    /// they come (bad ones too), over the stages a, b, c, won, lost, gone.
    fn raw(rows: impl Iterator<Item = (i32, i64, i64, i64, i32)> + Clone) -> Self {
        Self {
            stage: rows.clone().map(|r| r.0).collect(),
            cents: rows.clone().map(|r| r.1).collect(),
            entered: rows.clone().map(|r| r.2).collect(),
            close: rows.clone().map(|r| r.3).collect(),
            owner: rows.map(|r| r.4).collect(),
            stage_labels: ["a", "b", "c", "won", "lost", "gone"].map(String::from).to_vec(),
            owner_labels: OWNERS.map(String::from).to_vec(),
        }
    }

    /// Without per-deal columns.
    fn columns(&self) -> DealColumns<'_> {
        DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: &self.stage_labels,
            amount: AmountColumn::Units { units: &self.cents, scale: 2 },
            entered_stage_on: Some(DateColumn::Days(&self.entered)),
            expected_close_on: Some(DateColumn::Days(&self.close)),
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes: &self.owner, labels: &self.owner_labels }.into()],
            probability: None,
            category: None,
        }
    }
}

fn placements() -> impl Strategy<Value = (&'static str, &'static str)> {
    (
        prop_oneof![Just("days"), Just("months")],
        prop_oneof![Just("remaining_full"), Just("half_elapsed"), Just("actual"), Just("expected_close")],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn columns_and_deal_lists_agree(rows in proptest::collection::vec(deal(), 0..60), rates in any::<[u32; 3]>(), durs in any::<[u32; 3]>(), (unit, placement) in placements()) {
        let rates = rates.map(|r| r % 100);
        let durs = durs.map(|d| d % 90);
        let policy = policy(&rates, &durs, unit, placement);
        let list = deals(&rows);
        let by_list = forecast(&policy, &list, as_of()).expect("valid input");
        let laid = Laid::new(&rows, &list);
        let columns = laid.columns();
        let mut by_columns = forecast_columns(&policy, &columns, as_of()).expect("valid input");
        for threads in 2..=4 {
            let parallel = forecast_columns_parallel(&policy, &columns, as_of(), threads).expect("valid input");
            prop_assert_eq!(&parallel, &by_columns);
        }
        prop_assert_eq!(by_list.totals.stalled.deals, by_list.deals.iter().filter(|d| d.stalled).count() as u64);
        by_columns.deals = by_list.deals.clone();
        prop_assert_eq!(by_columns, by_list);
    }

    #[test]
    fn forecast_is_bounded_by_pipeline_and_months_add_up(rows in proptest::collection::vec(deal(), 0..60), rates in any::<[u32; 3]>(), durs in any::<[u32; 3]>(), (unit, placement) in placements()) {
        let policy = policy(&rates.map(|r| r % 100), &durs.map(|d| d % 90), unit, placement);
        let list = deals(&rows);
        let r = forecast(&policy, &list, as_of()).expect("valid input");
        prop_assert!(r.totals.open.weighted <= r.totals.open.amount);
        prop_assert!(r.totals.open.weighted >= Decimal::ZERO);
        for line in &r.deals {
            prop_assert!(line.weighted <= line.amount.round_dp(2));
            prop_assert!(line.probability >= Decimal::ZERO && line.probability <= Decimal::ONE);
        }
        // months + unscheduled = weighted pipeline, up to half a cent of rounding per line
        let months: Decimal = r.months.iter().map(|m| m.sums.weighted).sum::<Decimal>() + r.totals.unscheduled.weighted;
        let slack = Decimal::new(5, 3) * Decimal::from(r.months.len() + 2);
        prop_assert!((months - r.totals.open.weighted).abs() <= slack);
        let deals_in_months: u64 = r.months.iter().map(|m| m.sums.deals).sum::<u64>() + r.totals.unscheduled.deals;
        prop_assert_eq!(deals_in_months, r.totals.open.deals);
        // quarters and years hold the same months
        for periods in [&r.quarters, &r.years] {
            prop_assert_eq!(periods.iter().map(|p| p.sums.deals).sum::<u64>(), deals_in_months - r.totals.unscheduled.deals);
            let weighted: Decimal = periods.iter().map(|p| p.sums.weighted).sum::<Decimal>() + r.totals.unscheduled.weighted;
            prop_assert!((weighted - r.totals.open.weighted).abs() <= slack);
        }
        // later stages never have a lower probability of winning
        let open: Vec<_> = r.stages.iter().filter(|s| s.kind == crmkit::forecast::StageKind::Open).collect();
        for w in open.windows(2) {
            prop_assert!(w[0].probability <= w[1].probability);
        }
    }

    #[test]
    fn categories_partition_the_pipeline(rows in proptest::collection::vec(deal(), 0..60), calls in proptest::collection::vec(0usize..4, 60)) {
        use crmkit::forecast::{ForecastCategory as C, StageKind};
        let policy = policy(&[30, 50, 80], &[20, 10, 5], "days", "half_elapsed");
        let mut list = deals(&rows);
        for (d, call) in list.iter_mut().zip(&calls) {
            // a valid own category for an open deal; closed deals keep theirs
            if !matches!(d.stage.as_str(), "won" | "lost") {
                d.category = Some([C::Pipeline, C::BestCase, C::Commit, C::Omitted][*call]);
            }
        }
        let r = forecast(&policy, &list, as_of()).expect("valid input");
        prop_assert_eq!(r.categories.iter().map(|c| c.sums.deals).sum::<u64>(), list.len() as u64);
        let all: Decimal = r.categories.iter().map(|c| c.sums.amount).sum();
        let total = r.totals.open.amount + r.totals.won.amount + r.totals.lost.amount;
        prop_assert!((all - total).abs() <= Decimal::new(5, 3) * Decimal::from(8));
        let closed = &r.categories[0];
        prop_assert_eq!(closed.sums.amount, r.totals.won.amount);
        let quantum = Decimal::new(1, 2);
        prop_assert!((r.commit.gap - (r.commit.stage_forecast - r.commit.commit)).abs() <= quantum);
        for (line, d) in r.deals.iter().zip(&list) {
            let kind = r.stages.iter().find(|s| s.stage == d.stage).map(|s| s.kind);
            prop_assert_eq!(line.category, d.category.unwrap_or(match kind {
                Some(StageKind::Won) => C::Closed,
                Some(StageKind::Lost) => C::Omitted,
                _ => C::Pipeline,
            }));
        }
    }

    #[test]
    fn deal_order_does_not_change_aggregates(rows in proptest::collection::vec(deal(), 1..40), seed in any::<u64>(), (unit, placement) in placements()) {
        let policy = policy(&[30, 50, 80], &[20, 10, 5], unit, placement);
        let list = deals(&rows);
        let mut shuffled = list.clone();
        let n = shuffled.len();
        for i in (1..n).rev() {
            shuffled.swap(i, (seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)) as usize);
        }
        let mut a = forecast(&policy, &list, as_of()).expect("valid");
        let mut b = forecast(&policy, &shuffled, as_of()).expect("valid");
        a.deals.clear();
        b.deals.clear();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn threads_report_the_lowest_bad_row(bad in proptest::collection::vec(0usize..40, 1..4), threads in 1usize..5) {
        let policy = policy(&[30, 50, 80], &[20, 10, 5], "days", "half_elapsed");
        let mut cents = vec![100i64; 40];
        for &b in &bad {
            cents[b] = -1;
        }
        let stage = vec![0i32; 40];
        let labels: Vec<String> = STAGES.map(String::from).to_vec();
        let owners: Vec<String> = OWNERS.map(String::from).to_vec();
        let owner = vec![0i32; 40];
        let columns = DealColumns {
            stage: StageCodes::I32(&stage),
            stage_labels: &labels,
            amount: AmountColumn::Units { units: &cents, scale: 2 },
            entered_stage_on: None,
            expected_close_on: None,
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes: &owner, labels: &owners }.into()],
            probability: None,
            category: None,
        };
        let e = forecast_columns_parallel(&policy, &columns, as_of(), threads).expect_err("negative amounts");
        prop_assert_eq!(e.path(), format!("amount[{}]", bad.iter().min().expect("non-empty")));
    }

    #[test]
    fn arbitrary_json_never_panics(policy_json in "\\PC{0,200}", deals_json in "\\PC{0,200}") {
        let policy = crmkit::wire::from_json::<ForecastPolicy>(&policy_json, "");
        let deals = crmkit::wire::from_json::<Vec<Deal>>(&deals_json, "deals");
        if let (Ok(p), Ok(d)) = (policy, deals) {
            let _ = forecast(&p, &d, as_of());
        }
    }

    #[test]
    fn extreme_but_valid_numbers_error_instead_of_panicking(mantissa in any::<i64>(), scale in 0u32..28, rate in 0u32..=100, dur in 0u32..36_500) {
        let json = format!(r#"{{"stages": [{{"name": "a", "conversion": "{}", "duration": "{dur}"}}, {{"name": "won", "kind": "won"}}],
            "duration_unit": "days", "placement": "half_elapsed"}}"#, Decimal::new(i64::from(rate), 2));
        let policy: ForecastPolicy = crmkit::wire::from_json(&json, "").expect("valid");
        let amount = Decimal::new(mantissa, scale).abs() * Decimal::from(1_000_000_000u64);
        let d = vec![Deal { id: "x".into(), stage: "a".into(), amount, entered_stage_on: None, expected_close_on: None, snoozed_until: None, snooze_reason: None, last_activity_on: None, category: None, probability: None, owner: None, team: None, product: None, attributes: std::collections::BTreeMap::default() }];
        let _ = forecast(&policy, &d, as_of());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the columns hold (bad codes, negative or huge amounts, dates anywhere), the
    /// columnar entry point answers with a report or a typed error, never a panic.
    #[test]
    fn arbitrary_columns_never_panic(
        rows in proptest::collection::vec(
            (-2i32..7, any::<i64>(), prop_oneof![Just(i64::MIN), any::<i64>(), -100_000i64..100_000],
             prop_oneof![Just(i64::MIN), any::<i64>(), -100_000i64..100_000], -3i32..5, any::<f64>()),
            0..40),
        (unit, placement) in placements(),
        threads in 1usize..4,
        scale in 0u32..30,
        floats in any::<bool>(),
    ) {
        let policy = policy(&[30, 50, 80], &[20, 10, 5], unit, placement);
        let laid = Laid::raw(rows.iter().map(|r| (r.0, r.1, r.2, r.3, r.4)));
        let values: Vec<f64> = rows.iter().map(|r| r.5).collect();
        let amount =
            if floats { AmountColumn::Float { values: &values, scale } } else { AmountColumn::Units { units: &laid.cents, scale } };
        let columns = DealColumns { amount, ..laid.columns() };
        let serial = forecast_columns(&policy, &columns, as_of());
        let parallel = forecast_columns_parallel(&policy, &columns, as_of(), threads);
        match (&serial, &parallel) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!((a.code(), a.path()), (b.code(), b.path())),
            _ => prop_assert!(false, "serial and parallel disagree: {serial:?} vs {parallel:?}"),
        }
    }
}

proptest! {
    /// The fast lane (integer amounts) and the general loop (the same amounts as decimals,
    /// which only it takes) give the same report, or the same error, whatever the columns
    /// hold: bad stage and key codes on open and closed deals, missing and far dates (close
    /// dates past the years the placement tabulates), overdue ones.
    #[test]
    fn fast_lane_and_general_loop_agree(
        rows in proptest::collection::vec(
            // Bad values now and then, so that many pipelines have none.
            (prop_oneof![30 => 0i32..5, 1 => -2i32..7], 0i64..1_000_000_000,
             prop_oneof![3 => Just(i64::MIN), 30 => 19_000i64..=20_484, 1 => 20_485i64..20_500],
             prop_oneof![10 => Just(i64::MIN), 20 => 19_000i64..21_000, 1 => Just(2_000_000i64), 10 => 20_400i64..20_440],
             prop_oneof![30 => -1i32..3, 1 => -3i32..5]),
            0..40),
        (unit, placement) in placements(),
    ) {
        let policy = policy(&[30, 50, 80], &[20, 10, 5], unit, placement);
        let laid = Laid::raw(rows.iter().copied());
        let decimals: Vec<Decimal> = laid.cents.iter().map(|&c| Decimal::new(c, 2)).collect();
        let columns = laid.columns();
        let fast = forecast_columns(&policy, &columns, as_of());
        let general = forecast_columns(&policy, &DealColumns { amount: AmountColumn::Decimal(&decimals), ..columns.clone() }, as_of());
        match (&fast, &general) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!((a.code(), a.path()), (b.code(), b.path())),
            _ => prop_assert!(false, "fast lane and general loop disagree: {fast:?} vs {general:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Quantiles are ordered, bounded by the open pipeline, and the mean of many simulations
    /// is near the weighted forecast.
    #[test]
    fn ranges_are_ordered_and_bounded(rows in proptest::collection::vec(deal(), 1..30), seed in any::<u64>()) {
        let policy = policy(&[30, 50, 80], &[20, 10, 5], "days", "half_elapsed");
        let settings: crmkit::forecast::RangeSettings = crmkit::wire::from_json(
            &format!(r#"{{"simulations": 2000, "seed": {seed}, "quantiles": ["0", "0.1", "0.5", "0.9", "1"]}}"#), "").expect("settings");
        let list = deals(&rows);
        let r = crmkit::forecast::forecast_ranges(&policy, &settings, &list, as_of()).expect("valid input");
        let open = forecast(&policy, &list, as_of()).expect("valid").totals.open.amount;
        for line in std::iter::once(&r.total).chain(&r.months) {
            let v: Vec<Decimal> = line.values.iter().map(|q| q.0).collect();
            prop_assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
            prop_assert!(v[0] >= Decimal::ZERO && v[4] <= open);
            prop_assert!(line.mean >= v[0] && line.mean <= v[4]);
        }
        let same = crmkit::forecast::forecast_ranges(&policy, &settings, &list, as_of()).expect("valid input");
        prop_assert_eq!(same, r);
    }
}

/// Per deal: its own probability in thousandths (`None`: the stage's) and its own category
/// (an index into the open ones, `None`: the stage's).
type Own = (Option<u32>, Option<usize>);

/// `rows` as deals with their own probabilities and categories, where valid for their stage
/// (a closed deal repeats its fixed probability; its category is its stage's).
fn own_deals(rows: &[Row], own: &[Own]) -> Vec<Deal> {
    use crmkit::forecast::ForecastCategory as C;
    deals(rows)
        .into_iter()
        .zip(own)
        .map(|(mut d, &(p, c))| {
            let open = !matches!(d.stage.as_str(), "won" | "lost");
            d.probability = match (open, p) {
                (true, p) => p.map(|p| Decimal::new(i64::from(p), 3)),
                (false, Some(_)) => Some(if d.stage == "won" { Decimal::ONE } else { Decimal::ZERO }),
                (false, None) => None,
            };
            d.category = c.map(|c| match d.stage.as_str() {
                "won" => C::Closed,
                "lost" => C::Omitted,
                _ => [C::Commit, C::BestCase, C::Pipeline, C::Omitted][c % 4],
            });
            d
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The per-deal probability and category columns give the record API's report, float
    /// probabilities (as a DataFrame holds them) included; and with exact rounding every
    /// weighted figure is the sum of its deals' lines, each at its own probability.
    #[test]
    fn per_deal_columns_agree_with_records(
        rows in proptest::collection::vec(deal(), 0..50),
        own in proptest::collection::vec((proptest::option::of(0u32..=1000), proptest::option::of(0usize..4)), 50),
        rates in any::<[u32; 3]>(), durs in any::<[u32; 3]>(), (unit, placement) in placements(),
    ) {
        let mut policy = policy(&rates.map(|r| r % 100), &durs.map(|d| d % 90), unit, placement);
        // 12 places: every weighted amount (cents × thousandths × rates) is exact.
        policy.rounding = crmkit::wire::from_json(r#"{"dp": 12}"#, "").expect("rounding");
        let list = own_deals(&rows, &own);
        let by_list = forecast(&policy, &list, as_of()).expect("valid input");
        let laid = Laid::new(&rows, &list);
        let floats: Vec<f64> = list.iter().map(|d| d.probability.map_or(f64::NAN, |p| p.to_string().parse().expect("float"))).collect();
        let category_labels: Vec<String> = ["omitted", "pipeline", "commit", "best_case", "closed"].map(String::from).to_vec();
        let category: Vec<i32> = list
            .iter()
            .map(|d| d.category.map_or(-1, |c| {
                let name = serde_json::to_value(c).expect("name");
                category_labels.iter().position(|l| name == l.as_str()).expect("label") as i32
            }))
            .collect();
        let columns = DealColumns {
            probability: Some(crmkit::forecast::ProbabilityColumn::Float(&floats)),
            category: Some(KeyColumn { codes: &category, labels: &category_labels }),
            ..laid.columns()
        };
        let mut by_columns = forecast_columns_parallel(&policy, &columns, as_of(), 2).expect("valid input");
        by_columns.deals = by_list.deals.clone();
        prop_assert_eq!(&by_columns, &by_list);
        // Independently of the summing: each figure is its deals' lines added up.
        let weighed = |d: &&crmkit::forecast::DealLine| d.reasons.iter().any(|r| matches!(r,
            crmkit::forecast::Reason::WeightedByStageProbability | crmkit::forecast::Reason::WeightedByDealProbability));
        let open: Vec<_> = by_list.deals.iter().filter(weighed).collect();
        let total: Decimal = open.iter().map(|d| d.weighted).sum();
        prop_assert_eq!(total, by_list.totals.open.weighted);
        for m in &by_list.months {
            let sum: Decimal = open.iter().filter(|d| d.month.as_deref() == Some(&*m.month)).map(|d| d.weighted).sum();
            prop_assert_eq!(sum, m.sums.weighted, "month {}", m.month);
        }
        let stalled: Decimal = by_list.deals.iter().filter(|d| d.stalled).map(|d| d.weighted).sum();
        prop_assert_eq!(stalled, by_list.totals.stalled.weighted);
        for (line, deal) in by_list.deals.iter().zip(&list) {
            if let Some(p) = deal.probability {
                prop_assert_eq!(line.probability, p);
            }
        }
    }
}

proptest! {
    /// `forecast_columns_table` gives the record report: the same report with its groups
    /// (every group, its totals, each month line, its past-horizon sums) as the table, or the
    /// same error; dense or not, with a horizon or not, keys as codes or as integer ids, with
    /// deals' own probabilities or not, undated deals placed or unscheduled, overdue ones moved
    /// on or left out, through the kernel (integer amounts) or the general loop (decimal
    /// amounts), on one or two threads.
    #[test]
    fn table_and_record_reports_agree(
        rows in proptest::collection::vec(
            (prop_oneof![30 => 0i32..5, 1 => -2i32..7], 0i64..1_000_000_000,
             prop_oneof![3 => Just(i64::MIN), 30 => 19_000i64..=20_484, 1 => 20_485i64..20_500],
             prop_oneof![10 => Just(i64::MIN), 20 => 19_000i64..21_000, 1 => Just(2_000_000i64), 10 => 20_400i64..20_440],
             prop_oneof![30 => -1i32..3, 1 => -3i32..5]),
            0..60),
        probabilities in proptest::collection::vec(prop_oneof![3 => Just(f64::NAN), 1 => 0.0f64..=1.0], 60),
        (unit, placement) in placements(),
        (horizon, dense, unscheduled, exclude) in (proptest::option::of(1u32..8), any::<bool>(), any::<bool>(), any::<bool>()),
        (ids, own, decimals, threads) in (any::<bool>(), any::<bool>(), any::<bool>(), 1usize..3),
    ) {
        let mut policy = policy(&[30, 50, 80], &[20, 10, 5], unit, placement);
        policy.horizon_months = horizon;
        policy.dense = dense;
        // Deals in no month (undated ones, or overdue ones left out): the unscheduled slot.
        if unscheduled {
            policy.undated = crmkit::forecast::UndatedPolicy::Unscheduled;
        }
        if exclude {
            policy.overdue = crmkit::forecast::OverduePolicy::Exclude;
        }
        let laid = Laid::raw(rows.iter().copied());
        let id_values: Vec<i64> = laid.owner.iter().map(|&o| 1_000 - 7 * i64::from(o)).collect();
        let amounts: Vec<Decimal> = laid.cents.iter().map(|&c| Decimal::new(c, 2)).collect();
        let mut columns = laid.columns();
        if ids {
            columns.keys = vec![GroupColumn::Ids64(&id_values)];
        }
        if own {
            columns.probability = Some(ProbabilityColumn::Float(&probabilities[..rows.len()]));
        }
        if decimals {
            columns.amount = AmountColumn::Decimal(&amounts);
        }
        let record = forecast_columns_parallel(&policy, &columns, as_of(), threads);
        let table = forecast_columns_table(&policy, &columns, as_of(), threads);
        match (&record, &table) {
            (Ok(record), Ok((report, table))) => {
                prop_assert!(report.groups.is_empty());
                let groups = table.group_lines(&policy.group_by, &report.months).expect("every month named");
                prop_assert_eq!(&ForecastReport { groups, ..report.clone() }, record);
            }
            (Err(a), Err(b)) => prop_assert_eq!((a.code(), a.path()), (b.code(), b.path())),
            _ => prop_assert!(false, "record and table disagree: {record:?} vs {table:?}"),
        }
    }
}
