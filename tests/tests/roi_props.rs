//! Attribution and ROI invariants.

use chrono::NaiveDate;
use crmkit::forecast::AmountColumn;
use crmkit::roi::{
    attribute, attribute_columns, attribute_columns_into, campaign_roi, campaign_roi_columns, compare_attribution,
    compare_attribution_columns, compare_attribution_columns_into, AttributionPolicy, Campaign, CampaignColumns,
    Channel, CodeColumn, ComparisonPolicy, DayColumn, Journey, JourneyColumns, Milestone, Model, RoiPolicy,
    SparseAmounts, Touch, NOT_CONVERTED,
};
use crmkit::wire::from_json;
use proptest::prelude::*;
use rust_decimal::Decimal;

const CHANNELS: [&str; 6] = ["web_ads", "search", "mobile", "email", "events", "tv"];

fn models() -> Vec<Model> {
    [
        r#"{"kind": "first_touch"}"#,
        r#"{"kind": "last_touch"}"#,
        r#"{"kind": "last_non_direct", "direct": ["email", "tv"]}"#,
        r#"{"kind": "linear"}"#,
        r#"{"kind": "u_shaped"}"#,
        r#"{"kind": "w_shaped"}"#,
        r#"{"kind": "position", "first": "0.15", "middle": "0.35", "last": "0.3", "lead_created": "0.2"}"#,
        r#"{"kind": "time_decay", "half_life_days": "3.5"}"#,
        r#"{"kind": "markov"}"#,
        r#"{"kind": "markov", "order": 2}"#,
        r#"{"kind": "shapley"}"#,
        r#"{"kind": "shapley", "value": "within"}"#,
        r#"{"kind": "shapley", "value": "exact_set"}"#,
    ]
    .iter()
    .map(|m| from_json(m, "model").expect("model"))
    .collect()
}

fn policy(model: Model, dp: u32) -> AttributionPolicy {
    let mut p: AttributionPolicy = from_json(r#"{"model": {"kind": "linear"}}"#, "").expect("policy");
    p.model = model;
    p.rounding.dp = dp;
    p
}

/// (converted, revenue cents, touches as (channel, days before conversion, milestone code)).
type Raw = (bool, i64, Vec<(usize, u32, u8)>);

fn journeys(raw: &[Raw], names: &[&str]) -> Vec<Journey> {
    let conv = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
    raw.iter()
        .enumerate()
        .map(|(j, (converted, cents, touches))| {
            let mut days: Vec<_> = touches.clone();
            days.sort_by_key(|t| std::cmp::Reverse(t.1)); // oldest first: time order
            Journey {
                id: format!("j{j}"),
                revenue: if *converted { Decimal::new(*cents, 2) } else { Decimal::ZERO },
                converted_on: converted.then_some(conv),
                touches: days
                    .iter()
                    .map(|&(c, d, m)| Touch {
                        channel: names[c].to_owned(),
                        on: conv - chrono::Days::new(u64::from(d)),
                        milestone: match m {
                            1 => Some(Milestone::LeadCreated),
                            2 => Some(Milestone::DealCreated),
                            _ => None,
                        },
                    })
                    .collect(),
            }
        })
        .collect()
}

fn raw_journeys() -> impl Strategy<Value = Vec<Raw>> {
    proptest::collection::vec(
        (any::<bool>(), 0i64..100_000_000, proptest::collection::vec((0usize..6, 0u32..60, 0u8..4), 1..7)),
        1..25,
    )
}

/// Journeys with revenue up to 10^20 units (the columns' 64-bit fast path and its fallback)
/// and, now and then, 9 to 16 touches (the short split of any length) or more than 64 (the
/// split's general path).
fn wide_journeys() -> impl Strategy<Value = Vec<Raw>> {
    let touches = prop_oneof![
        8 => proptest::collection::vec((0usize..6, 0u32..60, 0u8..4), 1..9),
        2 => proptest::collection::vec((0usize..6, 0u32..400, 0u8..4), 9..17),
        1 => proptest::collection::vec((0usize..6, 0u32..5000, 0u8..6), 60..90),
    ];
    let cents = prop_oneof![3 => 0i64..100_000_000, 1 => 0i64..i64::MAX / 1000, 1 => Just(i64::MAX / 100)];
    proptest::collection::vec((any::<bool>(), cents, touches), 1..12)
}

/// Journey codes, channel codes, touch days, revenue cents, conversion days, milestone codes.
type Columns = (Vec<i64>, Vec<i32>, Vec<i64>, Vec<i64>, Vec<i64>, Vec<i8>);

/// `js` as columns, revenue in cents; the days since 1970 of their dates.
fn as_columns(js: &[Journey]) -> Columns {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let day = |d: NaiveDate| (d - epoch).num_days();
    let mut c = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (j, journey) in js.iter().enumerate() {
        for t in &journey.touches {
            c.0.push(j as i64 * 3 + 1); // any increasing codes
            c.1.push(CHANNELS.iter().position(|n| *n == t.channel).expect("channel") as i32);
            c.2.push(day(t.on));
            let mut cents = journey.revenue;
            cents.rescale(2);
            c.3.push(i64::try_from(cents.mantissa()).expect("cents"));
            c.4.push(journey.converted_on.map_or(NOT_CONVERTED, day));
            c.5.push(match t.milestone {
                None => 0,
                Some(Milestone::LeadCreated) => 1,
                Some(Milestone::DealCreated) => 2,
            });
        }
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The columnar comparison is the record API's on the same journeys: every model, with and
    /// without a lookback window, at any rounding; the same error where the record API fails.
    #[test]
    fn columns_compare_as_the_record_api(
        raw in raw_journeys(),
        dp in 0u32..4,
        picks in proptest::collection::vec(0usize..13, 1..5),
        window in proptest::option::of(0u32..40),
        rules_only in any::<bool>(),
    ) {
        let js = journeys(&raw, &CHANNELS);
        let (journey, channel, on, cents, converted_on, milestone) = as_columns(&js);
        let labels: Vec<String> = CHANNELS.iter().map(|s| (*s).to_owned()).collect();
        let columns = JourneyColumns {
            journey: &journey,
            channel: CodeColumn::I32(&channel),
            channel_labels: &labels,
            on: DayColumn::days(&on),
            revenue: AmountColumn::Units { units: &cents, scale: 2 },
            converted_on: DayColumn::days(&converted_on),
            milestone: Some(&milestone),
        };
        let all = models();
        let mut p: ComparisonPolicy = from_json("{}", "").expect("policy");
        // Rule-based models only (the one pass for all of them without a window) or any.
        p.models = picks.iter().map(|&k| all[if rules_only { k % 8 } else { k }].clone()).collect();
        p.channels = CHANNELS.iter().map(|n| Channel { name: (*n).into(), group: "g".into() }).collect();
        p.rounding.dp = dp;
        p.lookback_days = window;
        match (compare_attribution(&p, &js), compare_attribution_columns(&p, &columns)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
            (a, b) => return Err(TestCaseError::fail(format!("records {a:?} vs columns {b:?}"))),
        }
        // Into buffers of garbage: every row written, each model's credits its own
        // attribution's.
        let mut buffers = vec![vec![-7i64; journey.len()]; p.models.len()];
        let mut slices: Vec<&mut [i64]> = buffers.iter_mut().map(Vec::as_mut_slice).collect();
        let compared = compare_attribution_columns_into(&p, &columns, &mut slices);
        if let Ok(c) = &compared {
            let plain = compare_attribution_columns(&p, &columns).ok();
            prop_assert_eq!(Some(c), plain.as_ref());
        }
        let singles: Vec<_> = p
            .models
            .iter()
            .map(|model| {
                let mut single = policy(model.clone(), dp);
                single.channels = p.channels.clone();
                single.lookback_days = window;
                let done = attribute_columns(&single, &columns);
                (single, done)
            })
            .collect();
        // It fails when some model fails alone.
        prop_assert_eq!(compared.is_ok(), singles.iter().all(|(_, done)| done.is_ok()));
        for (m, (single, done)) in singles.into_iter().enumerate() {
            if let (Ok(want), true) = (done, compared.is_ok()) {
                prop_assert_eq!(&buffers[m], &want.credits);
                let mut credits = vec![-7i64; journey.len()];
                let report = attribute_columns_into(&single, &columns, &mut credits).expect("same columns");
                prop_assert_eq!((report, credits), (want.report, want.credits));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn columns_credit_every_touch_as_the_record_api(raw in wide_journeys(), dp in 0u32..4) {
        let js = journeys(&raw, &CHANNELS);
        let (journey, channel, on, cents, converted_on, milestone) = as_columns(&js);
        let labels: Vec<String> = CHANNELS.iter().map(|s| (*s).to_owned()).collect();
        let columns = JourneyColumns {
            journey: &journey,
            channel: CodeColumn::I32(&channel),
            channel_labels: &labels,
            on: DayColumn::days(&on),
            revenue: AmountColumn::Units { units: &cents, scale: 2 },
            converted_on: DayColumn::days(&converted_on),
            milestone: Some(&milestone),
        };
        // The same days as a datetime64[s] column's ticks, the codes as a categorical's int8.
        let seconds = |days: &[i64]| -> Vec<i64> { days.iter().map(|&d| if d == NOT_CONVERTED { d } else { d * 86_400 }).collect() };
        let (on_s, converted_s) = (seconds(&on), seconds(&converted_on));
        let narrow: Vec<i8> = channel.iter().map(|&c| i8::try_from(c).expect("few channels")).collect();
        let ticks = JourneyColumns {
            channel: CodeColumn::I8(&narrow),
            on: DayColumn { values: &on_s, per_day: 86_400 },
            converted_on: DayColumn { values: &converted_s, per_day: 86_400 },
            ..columns
        };
        for (model, window) in models().into_iter().flat_map(|m| [(m.clone(), None), (m, Some(dp * 15))]) {
            let mut p = policy(model.clone(), dp);
            p.channels = CHANNELS.iter().map(|n| Channel { name: (*n).into(), group: "g".into() }).collect();
            // A lookback window and cohorts take the columns' general path.
            p.lookback_days = window;
            p.cohorts = window.is_some();
            let record = attribute(&p, &js);
            let cols = attribute_columns(&p, &columns);
            match (&cols, attribute_columns(&p, &ticks)) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, &b, "{} over ticks", model.name()),
                (Err(a), Err(b)) => prop_assert_eq!((a.code(), a.path()), (b.code(), b.path())),
                (a, b) => return Err(TestCaseError::fail(format!("{}: days {a:?} vs ticks {b:?}", model.name()))),
            }
            let (record, cols) = match (record, cols) {
                (Ok(r), Ok(c)) => (r, c),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.code(), b.code(), "{}", model.name());
                    continue;
                }
                (r, c) => return Err(TestCaseError::fail(format!("{}: {r:?} vs {c:?}", model.name()))),
            };
            let want: Vec<Decimal> = record.journeys.iter().flat_map(|l| l.touches.iter().map(|t| t.credit)).collect();
            let got: Vec<Decimal> = cols.credits.iter().map(|&u| Decimal::new(u, dp)).collect();
            prop_assert_eq!(got, want, "{}", model.name());
            let mut lines = record.clone();
            lines.journeys.clear();
            prop_assert_eq!(&cols.report, &lines, "{}", model.name());
        }
    }

    #[test]
    fn credits_sum_exactly_to_each_journeys_revenue(raw in raw_journeys(), dp in 0u32..4) {
        let js = journeys(&raw, &CHANNELS);
        for model in models() {
            let report = attribute(&policy(model.clone(), dp), &js).expect("attribute");
            let mut total = Decimal::ZERO;
            for (line, j) in report.journeys.iter().zip(&js) {
                let sum: Decimal = line.touches.iter().map(|t| t.credit).sum();
                let want = if j.converted_on.is_some() { j.revenue.round_dp(dp) } else { Decimal::ZERO };
                prop_assert_eq!(sum, want, "{}: journey {}", model.name(), line.id);
                prop_assert!(line.touches.iter().all(|t| !t.credit.is_sign_negative()));
                total += sum;
            }
            let by_channel: Decimal = report.channels.iter().map(|c| c.credit).sum();
            prop_assert_eq!(by_channel, total);
            prop_assert_eq!(report.total, total);
        }
    }

    #[test]
    fn a_single_touch_journey_gets_everything(
        raw in raw_journeys(), channel in 0usize..6, days in 0u32..60, cents in 0i64..1_000_000_000,
    ) {
        let mut raw = raw;
        raw.push((true, cents, vec![(channel, days, 0)]));
        let js = journeys(&raw, &CHANNELS);
        for model in models() {
            let report = attribute(&policy(model.clone(), 2), &js).expect("attribute");
            let line = report.journeys.last().expect("line");
            prop_assert_eq!(line.touches[0].credit, Decimal::new(cents, 2), "{}", model.name());
            prop_assert_eq!(line.touches[0].share, Decimal::ONE, "{}", model.name());
        }
    }

    #[test]
    fn time_decay_is_monotone_in_recency(touches in proptest::collection::vec((0usize..6, 0u32..400), 1..12), half in 1i64..400) {
        let js = journeys(&[(true, 1_000_000, touches.iter().map(|&(c, d)| (c, d, 0)).collect())], &CHANNELS);
        let model: Model = from_json(&format!(r#"{{"kind": "time_decay", "half_life_days": "{}"}}"#, Decimal::new(half, 1)), "m").expect("model");
        let report = attribute(&policy(model, 2), &js).expect("attribute");
        let t = &report.journeys[0].touches;
        for pair in t.windows(2) {
            // Later (more recent) touches weigh at least as much, and strictly more credit
            // only ever goes to the more recent of two touches on different days.
            prop_assert!(pair[1].share >= pair[0].share);
            if pair[1].on > pair[0].on {
                prop_assert!(pair[1].credit >= pair[0].credit);
            }
        }
    }

    #[test]
    fn markov_and_shapley_ignore_channel_names(raw in raw_journeys(), shift in 1usize..6) {
        // A bijection of names: channel i is called CHANNELS[(i + shift) % 6] instead.
        let renamed: Vec<&str> = (0..6).map(|i| CHANNELS[(i + shift) % 6]).collect();
        let a = journeys(&raw, &CHANNELS);
        let b = journeys(&raw, &renamed);
        for model in models().into_iter().filter(|m| matches!(m, Model::Markov { .. } | Model::Shapley { .. })) {
            let mut pa = policy(model.clone(), 2);
            pa.channels = CHANNELS.iter().map(|n| Channel { name: (*n).into(), group: "g".into() }).collect();
            let mut pb = pa.clone();
            pb.channels = renamed.iter().map(|n| Channel { name: (*n).into(), group: "g".into() }).collect();
            let ra = attribute(&pa, &a).expect("a");
            let rb = attribute(&pb, &b).expect("b");
            for (x, y) in ra.journeys.iter().zip(&rb.journeys) {
                let cx: Vec<_> = x.touches.iter().map(|t| t.credit).collect();
                let cy: Vec<_> = y.touches.iter().map(|t| t.credit).collect();
                prop_assert_eq!(cx, cy, "{}", model.name());
            }
        }
    }

    #[test]
    fn roi_lines_add_up_and_never_divide_by_zero(
        rows in proptest::collection::vec((0usize..6, 0i64..10_000_000, 0i64..50_000_000, 0u64..500, 0u64..50), 0..20),
    ) {
        let campaigns: Vec<Campaign> = rows
            .iter()
            .enumerate()
            .map(|(i, &(c, cost, won, leads, wins))| {
                from_json(&format!(
                    r#"{{"id": "c{i}", "channel": "{}", "cost": "{}", "won_revenue": "{}", "leads": {leads}, "won": {wins}}}"#,
                    CHANNELS[c], Decimal::new(cost, 2), Decimal::new(won, 2)
                ), "c").expect("campaign")
            })
            .collect();
        let report = campaign_roi(&RoiPolicy::default(), &campaigns).expect("roi");
        let cost: Decimal = report.channels.iter().map(|l| l.cost).sum();
        prop_assert_eq!(cost, report.total.cost);
        for line in report.campaigns.iter().chain(&report.channels).chain(std::iter::once(&report.total)) {
            prop_assert_eq!(line.roi_pct.is_none(), line.cost.is_zero());
            prop_assert_eq!(line.cost_per_win.is_none(), line.won == 0);
        }
    }

    #[test]
    fn roi_columns_give_the_record_report(
        rows in proptest::collection::vec(
            (0usize..6, 0i64..10_000_000, proptest::option::of(0i64..20_000_000), 0i64..50_000_000,
             proptest::option::of((0i64..800, 0i64..120)), 0i64..500, proptest::option::of(0i64..50)),
            0..16),
        pro_rata in any::<bool>(),
        period in 0usize..3,
        dup in proptest::option::of(0usize..16),
    ) {
        // Campaign i: channel, cost (cents), budget, won revenue, a run (start day from
        // 2025-06-01 and its length), leads, new customers; `dup` repeats an id.
        let base = NaiveDate::from_ymd_opt(2025, 6, 1).expect("day");
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        let n = rows.len();
        let id_of = |i: usize| match dup { Some(d) if d < i => d, _ => i };
        let campaigns: Vec<Campaign> = rows
            .iter()
            .enumerate()
            .map(|(i, &(c, cost, budget, won, run, leads, new))| Campaign {
                id: format!("c{}", id_of(i)),
                name: None,
                channel: CHANNELS[c].to_owned(),
                owner: None,
                budget: budget.map(|b| Decimal::new(b, 2)),
                cost: Decimal::new(cost, 2),
                expected_revenue: None,
                won_revenue: Decimal::new(won, 2),
                start_on: run.map(|(s, _)| base + chrono::Days::new(s as u64)),
                end_on: run.map(|(s, len)| base + chrono::Days::new((s + len) as u64)),
                leads: leads as u64,
                customers: 0,
                opportunities: 0,
                won: (leads / 10) as u64,
                new_customers: new.map(|x| x as u64),
            })
            .collect();
        let policy: RoiPolicy = from_json(&format!(
            r#"{{"period": "{}", "cost_allocation": "{}"}}"#,
            ["month", "quarter", "year"][period], if pro_rata { "pro_rata" } else { "as_entered" }
        ), "policy").expect("policy");
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let codes: Vec<i32> = (0..n).map(|i| id_of(i) as i32).collect();
        let labels: Vec<String> = CHANNELS.iter().map(|c| (*c).to_owned()).collect();
        let channel: Vec<i32> = rows.iter().map(|r| r.0 as i32).collect();
        let cost: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let budget: Vec<i64> = rows.iter().map(|r| r.2.unwrap_or(-1)).collect();
        let missing: Vec<bool> = rows.iter().map(|r| r.2.is_none()).collect();
        let won: Vec<i64> = rows.iter().map(|r| r.3).collect();
        let day = |d: Option<NaiveDate>| d.map_or(i64::MIN, |d| d.signed_duration_since(epoch).num_days());
        let start: Vec<i64> = campaigns.iter().map(|c| day(c.start_on)).collect();
        let end: Vec<i64> = campaigns.iter().map(|c| day(c.end_on)).collect();
        let leads: Vec<i64> = rows.iter().map(|r| r.5).collect();
        let wins: Vec<i64> = rows.iter().map(|r| r.5 / 10).collect();
        let new: Vec<i64> = rows.iter().map(|r| r.6.unwrap_or(i64::MIN)).collect();
        let columns = CampaignColumns {
            id: crmkit::forecast::KeyColumn { codes: &codes, labels: &ids },
            channel: crmkit::forecast::KeyColumn { codes: &channel, labels: &labels },
            cost: AmountColumn::Units { units: &cost, scale: 2 },
            won_revenue: Some(AmountColumn::Units { units: &won, scale: 2 }),
            budget: Some(SparseAmounts { amounts: AmountColumn::Units { units: &budget, scale: 2 }, missing: Some(&missing) }),
            expected_revenue: None,
            start_on: Some(&start),
            end_on: Some(&end),
            leads: Some(&leads),
            customers: None,
            opportunities: None,
            won: Some(&wins),
            new_customers: Some(&new),
        };
        let by_records = campaign_roi(&policy, &campaigns).map_err(|e| (e.code(), e.path().replace("campaigns[", "").replace("].id", "")));
        let by_columns = campaign_roi_columns(&policy, &columns).map_err(|e| (e.code(), e.path().replace("id[", "").replace(']', "")));
        prop_assert_eq!(by_records, by_columns);
    }
}
