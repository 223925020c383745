//! Quota invariants over generated books: every deal is counted once, in one line and in its
//! period's total, and the figures agree with the forecast's own totals.

use chrono::Datelike;
use chrono::NaiveDate;
use crmkit::forecast::{forecast, quota_attainment, Deal, Quota, QuotaInput, QuotaPolicy, WonDeal};
use crmkit_tests::quota_book::{deal, policy};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |a, b| a + b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn lines_add_up_to_totals_and_to_the_forecast(
        book in proptest::collection::vec((0usize..4, 0i64..1_000_000, 0u8..4, proptest::option::of(-200i64..400)), 0..40),
        quotas in proptest::collection::vec((0u8..4, 0i64..1_000_000), 0..6),
        period in 0usize..3,
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let deals: Vec<Deal> = book
            .iter()
            .enumerate()
            .map(|(i, &(stage, cents, owner, day))| deal(i, stage, cents, owner, day, as_of, 1))
            .collect();
        let kind = ["month", "quarter", "year"][period];
        let quota: QuotaPolicy = crmkit::wire::from_json(&format!(r#"{{"group_by": ["owner"], "period": "{kind}"}}"#), "").expect("quota");
        let label = ["2026-11", "FY2027-Q2", "FY2027"][period];
        let mut seen = std::collections::BTreeSet::new();
        let quotas: Vec<Quota> = quotas
            .iter()
            .filter(|(owner, _)| seen.insert(*owner))
            .map(|&(owner, cents)| Quota {
                key: [("owner".to_owned(), format!("o{owner}"))].into(),
                period: label.into(),
                amount: Decimal::new(cents, 2),
            })
            .collect();
        let input = QuotaInput { deals: deals.clone(), quotas: quotas.clone(), won: Vec::new() };
        let policy = policy(&[]);
        let r = quota_attainment(&policy, &quota, &input, as_of).expect("valid book");
        let f = forecast(&policy, &deals, as_of).expect("valid book");
        // Every deal once: won and open (placed + unscheduled) match the forecast's totals.
        prop_assert_eq!(sum(r.lines.iter().map(|l| l.won.amount)), f.totals.won.amount);
        prop_assert_eq!(sum(r.lines.iter().map(|l| l.open.amount)) + r.unscheduled.amount, f.totals.open.amount);
        prop_assert_eq!(sum(r.totals.iter().map(|l| l.open.amount)), sum(r.lines.iter().map(|l| l.open.amount)));
        prop_assert_eq!(
            sum(r.lines.iter().map(|l| l.open.deals.into())) + Decimal::from(r.unscheduled.deals),
            Decimal::from(f.totals.open.deals)
        );
        for total in &r.totals {
            let lines = r.lines.iter().filter(|l| l.period == total.period);
            prop_assert_eq!(sum(lines.clone().map(|l| l.won.amount)), total.won.amount);
            prop_assert_eq!(total.quota.is_some(), lines.clone().any(|l| l.quota.is_some()));
        }
        for (l, q) in r.lines.iter().filter_map(|l| l.quota.map(|q| (l, q))) {
            // gap = quota − won exactly; coverage only while something is left to cover.
            prop_assert_eq!(l.gap, Some(q - l.won.amount));
            prop_assert_eq!(l.coverage.is_some(), q > l.won.amount);
            if let (Some(a), false) = (l.attainment, q.is_zero()) {
                prop_assert!((a - l.won.amount / q).abs() <= Decimal::new(5, 5));
            }
        }
        prop_assert_eq!(r.lines.iter().filter(|l| l.quota.is_some()).count(), quotas.len());
    }
}

/// One (owner, month)'s expected quota cents, won and open (deals, cents).
#[derive(Default)]
struct Tally {
    quota: Option<i64>,
    won: (u64, i64),
    open: (u64, i64),
}

/// Tens of thousands of distinct months, each key's quotas, won deals and open deals given
/// latest first, two keys interleaved (one key's months fall between the other's): every line
/// and total is where an independent tally puts it, in order (the per-period lists turn into
/// maps on the way; sorted `Vec`s there made such an input quadratic).
#[test]
fn many_periods_in_reverse_order() {
    use std::collections::BTreeMap;
    const MONTHS: i64 = 24_000;
    let as_of = NaiveDate::from_ymd_opt(4000, 1, 1).expect("date");
    // Month index m (months since year 0) and the key that has it.
    let first = 1500 * 12;
    let month_day =
        |m: i64, day: u32| NaiveDate::from_ymd_opt((m / 12) as i32, (m % 12) as u32 + 1, day).expect("date");
    let label = |m: i64| format!("{:04}-{:02}", m / 12, m % 12 + 1);
    let owner = |m: i64| if m % 2 == 0 { "a" } else { "b" };
    // The tally per (owner, month).
    let mut want: BTreeMap<(&str, i64), Tally> = BTreeMap::new();
    let mut quotas = Vec::new();
    let mut won = Vec::new();
    for m in (first..first + MONTHS).rev() {
        let cents = 100_000 + (m % 977) * 1_000;
        quotas.push(Quota {
            key: [("owner".to_owned(), owner(m).to_owned())].into(),
            period: label(m),
            amount: Decimal::new(cents, 2),
        });
        want.entry((owner(m), m)).or_default().quota = Some(cents);
        if m % 3 != 0 {
            // A won deal of the other key in some months (no quota there: no_quota lines).
            let (who, won_cents) = (owner(m + i64::from(m % 5 == 0)), 5_000 + (m % 89) * 700);
            won.push(WonDeal {
                id: format!("w{m}"),
                amount: Decimal::new(won_cents, 2),
                closed_on: month_day(m, 1 + (m % 28) as u32),
                owner: Some(who.to_owned()),
                team: None,
                product: None,
                attributes: BTreeMap::new(),
            });
            let cell = want.entry((who, m)).or_default();
            cell.won = (cell.won.0 + 1, cell.won.1 + won_cents);
        }
    }
    // Open deals closing in the next 1,000 months, latest first.
    let mut deals = Vec::new();
    let now = i64::from(as_of.year_ce().1) * 12;
    for (i, m) in (now..now + 1_000).rev().enumerate() {
        let mut d = deal(i, 0, 10_000 + m % 313, u8::from(m % 2 == 1), None, as_of, 1);
        d.owner = Some(owner(m).to_owned());
        d.expected_close_on = Some(month_day(m, 10));
        deals.push(d);
        let cell = want.entry((owner(m), m)).or_default();
        cell.open = (cell.open.0 + 1, cell.open.1 + 10_000 + m % 313);
    }
    let quota: QuotaPolicy =
        crmkit::wire::from_json(r#"{"group_by": ["owner"], "period": "month"}"#, "").expect("quota");
    let input = QuotaInput { deals, quotas, won };
    let r = quota_attainment(&policy(&[]), &quota, &input, as_of).expect("valid book");
    assert_eq!(r.lines.len(), want.len());
    for (line, (&(who, m), tally)) in r.lines.iter().zip(&want) {
        let (q, (won_deals, won_cents), (open_deals, open_cents)) = (tally.quota, tally.won, tally.open);
        assert_eq!(line.key.get("owner"), Some(&Some(who.to_owned())));
        assert_eq!(&*line.period, label(m));
        assert_eq!(line.quota, q.map(|c| Decimal::new(c, 2)));
        assert_eq!((line.won.deals, line.won.amount), (won_deals, Decimal::new(won_cents, 2)));
        assert_eq!((line.open.deals, line.open.amount), (open_deals, Decimal::new(open_cents, 2)));
        if let Some(q) = q {
            assert_eq!(line.gap, Some(Decimal::new(q - won_cents, 2)));
            let attainment = (Decimal::new(won_cents, 2) / Decimal::new(q, 2)).round_dp(4);
            assert_eq!(line.attainment, Some(attainment));
        }
    }
    // One total per month, in order, summing both keys.
    let months: BTreeMap<i64, (i64, i64, i64)> = want.iter().fold(BTreeMap::new(), |mut t, (&(_, m), c)| {
        let e = t.entry(m).or_insert((0, 0, 0));
        (e.0, e.1, e.2) = (e.0 + c.quota.unwrap_or(0), e.1 + c.won.1, e.2 + c.open.1);
        t
    });
    assert_eq!(r.totals.len(), months.len());
    for (total, (&m, &(q, won_cents, open_cents))) in r.totals.iter().zip(&months) {
        assert_eq!(&*total.period, label(m));
        let has_quota = (first..first + MONTHS).contains(&m);
        assert_eq!(total.quota, has_quota.then(|| Decimal::new(q, 2)));
        assert_eq!((total.won.amount, total.open.amount), (Decimal::new(won_cents, 2), Decimal::new(open_cents, 2)));
    }
}
