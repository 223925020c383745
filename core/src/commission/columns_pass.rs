//! The one pass of [`commission_columns`](super::commission_columns) over the rows: in input
//! order when every rep's rows are already by date (a ledger), so the columns are read and
//! written sequentially and only the reps' running totals (a small array) are touched at
//! random; each row's lines of both statements written as it is paid, with the same numbers
//! as `statement::walk`.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::columns::{LineColumns, MAX_COLUMN_LINES};
use super::columns_extra::{Extras, NO_RULE};
use super::columns_walk::{
    bit, div_round_pow10, kind_code, rounds_away, IntTable, Labels, Seg, ACCELERATED, AT_END, BELOW_ZERO, HELD,
    MARGINAL, MET, NOT_MET, ORIGINAL, REFUND, RULE, SO_FAR,
};
use super::credit::Rep;
use super::plan::{Accrual, CommissionPlan, PlanKind};
use super::report::LineKind;
use super::table::{Position, Table};
use crate::error::{Error, Result};
use crate::money::{from_units, mul, to_units, RoundingStrategy};

/// Which statement a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Provisional,
    Final,
}

/// One line of a statement, before it is written.
#[derive(Debug, Clone, Copy)]
struct Line {
    kind: LineKind,
    row: i64,
    tier: i32,
    from: i128,
    to: i128,
    base: i128,
    rate: i32,
    multiplier: i32,
    amount: i128,
    reasons: u32,
}

/// A rep's walk so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepState {
    /// Running credit, in credit units.
    pub pos: i128,
    /// Where it ends (the final statement pays at the end's tier and threshold).
    pub end: i128,
    /// Lines written so far in the final and provisional statements.
    pub steps: [u32; 2],
    /// What the rows paid so far in each statement, in money units.
    pub totals: [i128; 2],
    /// A hint: the table segment the running credit was last in (see [`seek`]).
    cursor: usize,
    /// Earlier periods' credit still standing (refunds at an original rate take it back),
    /// in credit units.
    prior_left: i128,
    /// What the final statement's clawbacks at an original rate took back, in money units.
    clawed: i128,
}

impl RepState {
    pub fn new(table: &IntTable, end: i128) -> Self {
        Self {
            pos: table.start,
            end,
            steps: [0; 2],
            totals: [0; 2],
            cursor: seek(&table.segs, 0, table.start),
            prior_left: table.start,
            clawed: 0,
        }
    }
}

/// A sale some refund in the columns refers to: what is left of it for its refunds.
#[derive(Debug, Clone, Copy, Default)]
struct Sale {
    /// Amount left to refund, in amount units.
    amount: i128,
    /// What its lines paid in the provisional statement (less what clawbacks took back), in
    /// money units, and the credit under that pay, in credit units.
    paid: i128,
    credit: i128,
    /// Per statement (final, provisional): its SPIF left, and the credit under it.
    spiff: [i128; 2],
    spiff_credit: [i128; 2],
}

/// A rate rule: a flat rate instead of the table, or a multiplier on what the table pays
/// (in units of 10^-`rule_scale`, and as the decimal for the lines' labels).
#[derive(Debug, Clone, Copy)]
enum RuleInt {
    Rate(Decimal),
    Multiplier(i128, Decimal),
}

/// Both statements of every rep, written into per-row pay and line columns.
pub(crate) struct Walk<'a> {
    plan: &'a CommissionPlan,
    /// Each row's amount in units of 10^-`amount_scale` (the places credit is kept at).
    units: &'a [i64],
    amount_scale: u32,
    refund: Option<&'a [bool]>,
    /// The provisional statement looks at each row as it comes (retroactive tiers reached so
    /// far, thresholds, accrual on attainment): else its rows are the final ones'.
    twice: bool,
    /// No lines to write and one statement to walk through a flat or graduated table: the
    /// row's pay is the sum of its rounded slices, without building the lines.
    bare: bool,
    provisional: Vec<i64>,
    final_pay: Vec<i64>,
    lines: Option<LineColumns>,
    /// Rate rules, SPIFs and refunds' links, when the plan or the columns have any.
    extras: Option<Extras<'a>>,
    /// The rates and multipliers the lines' codes index.
    labels: Labels,
    /// The sales refunds refer to, by row.
    sales: HashMap<u32, Sale>,
    /// The plan's rate rules, and the places of their multipliers.
    rules: Vec<RuleInt>,
    rule_scale: u32,
    /// The rates' codes by value (numerically equal rates share one).
    rate_index: HashMap<Decimal, i32>,
}

impl<'a> Walk<'a> {
    pub fn new(
        plan: &'a CommissionPlan,
        statements: bool,
        (units, amount_scale): (&'a [i64], u32),
        refund: Option<&'a [bool]>,
        extras: Option<Extras<'a>>,
        labels: Labels,
    ) -> Result<Self> {
        // A refund of a sale in the columns takes the sale's provisional pay back: its
        // provisional lines are its own.
        let twice = plan.kind == PlanKind::Retroactive
            || plan.threshold.is_some()
            || plan.accrual == Accrual::Attainment
            || extras.as_ref().is_some_and(Extras::links);
        let n = units.len();
        let rule_scale =
            plan.rates.iter().filter_map(|r| r.multiplier).map(|m| m.normalize().scale()).max().unwrap_or(0);
        let rules = plan
            .rates
            .iter()
            .map(|r| match (r.rate, r.multiplier) {
                (Some(rate), _) => Ok(RuleInt::Rate(rate)),
                (None, m) => {
                    let m = m.unwrap_or(Decimal::ONE);
                    Ok(RuleInt::Multiplier(to_units(m, rule_scale).ok_or_else(|| Error::overflow("rates"))?, m))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            plan,
            units,
            amount_scale,
            refund,
            twice,
            bare: !statements && !twice && extras.is_none(),
            provisional: if twice { vec![0; n] } else { Vec::new() },
            final_pay: vec![0; n],
            // About one line per row and statement, plus the tiers crossed: room for a quarter more.
            lines: statements.then(|| LineColumns::with_capacity(n.saturating_mul(2).saturating_add(n / 4))),
            extras,
            labels,
            sales: HashMap::new(),
            rules,
            rule_scale,
            rate_index: HashMap::new(),
        })
    }

    /// The per-row pay of both statements, the lines, and the labels their codes index.
    pub fn finish(self) -> (Vec<i64>, Vec<i64>, Option<LineColumns>, Labels) {
        let provisional = if self.twice { self.provisional } else { self.final_pay.clone() };
        (provisional, self.final_pay, self.lines, self.labels)
    }

    /// Writes `line` into `mode`'s statement of rep `k` (and into the provisional one too when
    /// the two are the same).
    fn push(&mut self, mode: Mode, k: u32, steps: &mut [u32; 2], line: &Line) -> Result<()> {
        let Some(lines) = self.lines.as_mut() else { return Ok(()) };
        if lines.amount.len() as u64 >= MAX_COLUMN_LINES {
            return Err(crate::limits::exceeded("lines", "more", MAX_COLUMN_LINES, "statement lines"));
        }
        let small = |x: i128| i64::try_from(x).map_err(|_| Error::overflow(format!("amount[{}]", line.row.max(0))));
        let (from, to, base, amount) = (small(line.from)?, small(line.to)?, small(line.base)?, small(line.amount)?);
        let both = mode == Mode::Final && !self.twice && line.row >= 0;
        for provisional in [mode == Mode::Provisional, true].into_iter().take(if both { 2 } else { 1 }) {
            let step = &mut steps[usize::from(provisional)];
            *step += 1;
            lines.provisional.push(provisional);
            lines.rep.push(k);
            lines.step.push(*step);
            lines.kind.push(kind_code(line.kind));
            lines.row.push(line.row);
            lines.tier.push(line.tier);
            lines.from.push(from);
            lines.to.push(to);
            lines.base.push(base);
            lines.rate.push(line.rate);
            lines.multiplier.push(line.multiplier);
            lines.amount.push(amount);
            lines.reasons.push(line.reasons);
        }
        Ok(())
    }

    /// Whether [`Walk::bare_rows`] pays the rows (no lines, one statement, flat or graduated).
    pub fn is_bare(&self) -> bool {
        self.bare
    }

    /// Pays every row without lines (the `bare` case), in `order` (row order when `None`):
    /// what [`Walk::row`] pays, in a loop that touches per row only a small array of running
    /// totals and the table, shared by the reps whose tables cut the credit alike (all of
    /// them unless quotas move accelerators), so that both stay in the L1 cache.
    pub fn bare_rows(
        &mut self,
        ints: &[IntTable],
        rep_of_code: &[u32],
        states: &mut [RepState],
        codes: &[i32],
        order: Option<&[u32]>,
    ) -> Result<()> {
        // Tables that cut the credit alike (the same segments at the same rates: their lines
        // may differ, their pay does not) are walked as one.
        let mut tables: Vec<&IntTable> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        let mut table_of = Vec::with_capacity(ints.len());
        for t in ints {
            let cuts: Vec<(i128, i128, i128)> = t.segs.iter().map(|s| (s.lo, s.hi, s.factor)).collect();
            table_of.push(*seen.entry((t.shift, t.per_unit, cuts)).or_insert_with(|| {
                tables.push(t);
                tables.len() - 1
            }));
        }
        let strategy = self.plan.rounding.strategy;
        if let Some(narrow) = Narrow::new(&tables, states, self.units) {
            let mut hot: Vec<Hot64> = rep_of_code
                .iter()
                .map(|&k| {
                    let s = &states[k as usize];
                    Hot64 {
                        total: 0,
                        pos: s.pos as i64,
                        cursor: s.cursor as u32,
                        table: table_of[k as usize] as u32,
                        moved: false,
                    }
                })
                .collect();
            narrow.walk(&mut hot, codes, self.units, self.refund, order, strategy, &mut self.final_pay)?;
            for (h, &k) in hot.iter().zip(rep_of_code).filter(|(h, _)| h.moved) {
                let s = &mut states[k as usize];
                s.pos = i128::from(h.pos);
                s.cursor = h.cursor as usize;
                s.totals = [h.total; 2];
            }
            return Ok(());
        }
        // Sums beyond 64 bits: the general walk, row by row.
        let mut pay = |i: u32| {
            let k = rep_of_code[codes[i as usize] as usize]; // codes checked
            self.row(&ints[k as usize], k, &mut states[k as usize], i)
        };
        match order {
            None => (0..codes.len() as u32).try_for_each(&mut pay),
            Some(order) => order.iter().try_for_each(|&i| pay(i)),
        }
    }

    /// Pays row `r` of rep `k` in both statements and moves the rep's running credit.
    pub fn row(&mut self, t: &IntTable, k: u32, state: &mut RepState, r: u32) -> Result<()> {
        let row = r as usize;
        let refund = self.refund.is_some_and(|f| f[row]);
        let c = i128::from(self.units[row]) * t.per_unit; // i64 × 10^k, k ≤ 26: no overflow
        let credit = if refund { -c } else { c };
        if self.extras.is_some() {
            self.link(t, state, r, credit)?;
        }
        let before = state.pos;
        let after = before.checked_add(credit).ok_or_else(|| Error::overflow(format!("amount[{row}]")))?;
        state.pos = after;
        let paid = self.pay(t, k, state, Mode::Final, (r, refund, credit), (before, after, state.end))?;
        state.totals[0] += paid; // |Σ| < 2^63 × 2^32 × rate: bounded far below i128
        self.final_pay[row] = i64::try_from(paid).map_err(|_| Error::overflow(format!("amount[{row}]")))?;
        if self.twice {
            let paid = self.pay(t, k, state, Mode::Provisional, (r, refund, credit), (before, after, state.end))?;
            state.totals[1] += paid;
            self.provisional[row] = i64::try_from(paid).map_err(|_| Error::overflow(format!("amount[{row}]")))?;
        } else {
            state.totals[1] += paid;
        }
        Ok(())
    }

    /// A refund's link, checked as the rows are paid (by date), as `compute_commission`
    /// credits them: a refund of a sale in the columns takes at most what is left of it; a
    /// refund at an original rate at most the earlier periods' credit still standing.
    fn link(&mut self, t: &IntTable, state: &mut RepState, r: u32, credit: i128) -> Result<()> {
        let Some(extras) = self.extras.as_ref() else { return Ok(()) };
        let row = r as usize;
        let places = self.amount_scale;
        let path = || format!("amount[{row}]");
        let amount = i128::from(self.units[row]);
        let dec = |units: i128, scale: u32| from_units(units, scale).ok_or_else(|| Error::overflow(path()));
        if let Some(o) = extras.refers_to(row) {
            let sale = self.sales.entry(o).or_default(); // paid before: an earlier date, or a sale of the day
            if amount > sale.amount {
                return Err(Error::out_of_range(path(), dec(amount, places)?, 0, dec(sale.amount, places)?));
            }
            sale.amount -= amount;
        } else if credit >= 0 && extras.referred.contains(&r) {
            self.sales.insert(r, Sale { amount, ..Sale::default() });
        }
        if extras.original_rate(row).is_some() {
            let standing = state.prior_left + credit;
            if standing < 0 {
                let left = dec(state.prior_left, t.scale)?;
                return Err(Error::out_of_range(
                    path(),
                    dec(amount, places)?,
                    0,
                    format!("{left} (the rep's prior credit left)"),
                ));
            }
            state.prior_left = standing;
        }
        Ok(())
    }

    /// One row's lines in one statement (as `statement::walk` writes them); what they pay.
    fn pay(
        &mut self,
        t: &IntTable,
        k: u32,
        state: &mut RepState,
        mode: Mode,
        (r, refund, credit): (u32, bool, i128),
        (before, after, end): (i128, i128, i128),
    ) -> Result<i128> {
        let provisional = mode == Mode::Provisional;
        let path = || format!("amount[{r}]");
        let why = if refund { REFUND } else { 0 };
        let whole = |kind, reasons| Line {
            kind,
            row: i64::from(r),
            tier: -1,
            from: before,
            to: after,
            base: credit,
            rate: -1,
            multiplier: 0,
            amount: 0,
            reasons,
        };
        let held = provisional && self.plan.accrual == Accrual::Attainment;
        let paid = if self.extras.is_some() { self.spiff(t, k, state, mode, held, (r, refund, credit))? } else { 0 };
        if held {
            self.push(mode, k, &mut state.steps, &whole(LineKind::Held, why | HELD))?;
            return Ok(paid);
        }
        let (original_rate, refers_to, rule) = match &self.extras {
            None => (None, None, NO_RULE),
            Some(e) => (
                e.original_rate(r as usize),
                e.refers_to(r as usize),
                e.rule.get(r as usize).copied().unwrap_or(NO_RULE),
            ),
        };
        if let Some(rate) = original_rate {
            // An earlier period's sale: its pay taken back at the rate it was paid at, in both
            // statements (that period is closed).
            let amount = self.money(mul(t.credit(credit)?, rate, path)?)?;
            let line = Line { rate: self.rate_code(rate), amount, ..whole(LineKind::Clawback, why | ORIGINAL) };
            self.push(mode, k, &mut state.steps, &line)?;
            if !provisional {
                state.clawed += amount;
            }
            return Ok(paid + amount);
        }
        if let (true, Some(o)) = (provisional, refers_to) {
            // The sale's provisional pay taken back in proportion to the credit refunded; all
            // that is left of it when the refund takes all the credit left.
            let sale = self.sales.get(&o).copied().unwrap_or_default();
            let amount = if -credit == sale.credit || sale.credit == 0 {
                -sale.paid
            } else {
                let (left, under) = (self.units_decimal(sale.paid)?, t.credit(sale.credit)?);
                let part = mul(left, t.credit(credit)?, path)?;
                self.money(part.checked_div(under).ok_or_else(|| Error::overflow(path()))?)?
            };
            self.push(mode, k, &mut state.steps, &Line { amount, ..whole(LineKind::Clawback, why | ORIGINAL) })?;
            let s = self.sales.entry(o).or_default();
            s.paid += amount;
            s.credit += credit;
            return Ok(paid + amount);
        }
        if !t.gate_at(if provisional { after } else { end }) {
            self.push(mode, k, &mut state.steps, &whole(LineKind::BelowThreshold, why | NOT_MET))?;
            self.record(mode, r, refund, 0, credit);
            return Ok(paid);
        }
        let why = why | if t.gate.is_some() { MET } else { 0 };
        let rule = if rule == NO_RULE { None } else { Some(self.rules[rule as usize]) };
        let rule_m = match rule {
            Some(RuleInt::Rate(rate)) => {
                let amount = self.money(mul(t.credit(credit)?, rate, path)?)?;
                let code = self.rate_code(rate);
                self.push(mode, k, &mut state.steps, &Line { rate: code, amount, ..whole(LineKind::RateRule, why) })?;
                self.record(mode, r, refund, amount, credit);
                return Ok(paid + amount);
            }
            Some(RuleInt::Multiplier(units, m)) => Some((units, m)),
            None => None,
        };
        let why = why | if rule_m.is_some() { RULE } else { 0 };
        // A rule's multiplier on top of the table's: one more factor, and its places.
        let (rule_units, shift) = match rule_m {
            Some((units, _)) => (units, t.shift + self.rule_scale),
            None => (1, t.shift),
        };
        let strategy = self.plan.rounding.strategy;
        if t.kind == PlanKind::Retroactive {
            let at = if provisional { after } else { end };
            let (tier, rate, rate_code) = t.tier_at(at);
            let (m, m_code) = t.multiplier_at(at);
            let factor =
                rate.checked_mul(m).and_then(|f| f.checked_mul(rule_units)).ok_or_else(|| Error::overflow(path()))?;
            let exact = credit.checked_mul(factor).ok_or_else(|| Error::overflow(path()))?;
            let amount = div_round_pow10(exact, shift, strategy);
            let (multiplier, product) = self.times(m_code, rule_m.map(|x| x.1));
            let mut reasons = why | if provisional { SO_FAR } else { AT_END };
            if m_code != 0 && product != Some(Decimal::ONE) {
                reasons |= ACCELERATED;
            }
            let kind = LineKind::Retroactive;
            let line = Line { tier, rate: rate_code, multiplier, amount, ..whole(kind, reasons) };
            self.push(mode, k, &mut state.steps, &line)?;
            self.record(mode, r, refund, amount, credit);
            return Ok(paid + amount);
        }
        // Flat / graduated: one slice per segment crossed (one where it stands for a zero move).
        let mut slices_paid = 0i128;
        let mut slice =
            |walk: &mut Self, steps: &mut [u32; 2], seg: &Seg, from: i128, to: i128, base: i128| -> Result<()> {
                let factor = seg.factor.checked_mul(rule_units).ok_or_else(|| Error::overflow(path()))?;
                let exact = base.checked_mul(factor).ok_or_else(|| Error::overflow(path()))?;
                let amount = div_round_pow10(exact, shift, strategy);
                slices_paid += amount;
                let below = if from < 0 || to < 0 { BELOW_ZERO } else { 0 };
                let (multiplier, _) = walk.times(seg.multiplier, rule_m.map(|x| x.1));
                let line = Line {
                    kind: LineKind::TierSlice,
                    row: i64::from(r),
                    tier: seg.tier,
                    from,
                    to,
                    base,
                    rate: seg.rate,
                    multiplier,
                    amount,
                    reasons: why | MARGINAL | seg.bits | below,
                };
                walk.push(mode, k, steps, &line)
            };
        // The segments crossed: from the one holding the lower end, up while they start below
        // the upper end (the rep's cursor makes the search O(1) as running totals move).
        let segs = &t.segs;
        let (lo, hi) = (before.min(after), before.max(after));
        let start = seek(segs, state.cursor, lo);
        let mut last = start;
        while last < segs.len() && segs[last].lo < hi {
            last += 1;
        }
        state.cursor = seek(segs, start, after);
        let steps = &mut state.steps;
        if before < after {
            for seg in &segs[start..last] {
                let (from, to) = (seg.lo.max(before), seg.hi.min(after));
                slice(self, steps, seg, from, to, to - from)?;
            }
        } else if before > after {
            for seg in segs[start..last].iter().rev() {
                let (from, to) = (seg.lo.max(after), seg.hi.min(before));
                slice(self, steps, seg, to, from, from - to)?;
            }
        } else if let Some(seg) = segs.get(start).filter(|seg| before >= seg.lo) {
            slice(self, steps, seg, before, before, 0)?;
        }
        self.record(mode, r, refund, slices_paid, credit);
        Ok(paid + slices_paid)
    }

    /// A sale's pay in the provisional statement, kept for the refunds that refer to it.
    #[inline]
    fn record(&mut self, mode: Mode, r: u32, refund: bool, amount: i128, credit: i128) {
        if mode == Mode::Provisional
            && !refund
            && let Some(s) = self.sales.get_mut(&r)
        {
            s.paid += amount;
            s.credit += credit;
        }
    }

    /// The SPIF line of a row, if it has one (as `statement::spiff_line`): a sale's SPIF, or
    /// a refund of a sale in the columns taking it back in proportion; what it pays.
    #[allow(clippy::too_many_arguments)]
    fn spiff(
        &mut self,
        t: &IntTable,
        k: u32,
        state: &mut RepState,
        mode: Mode,
        held: bool,
        (r, refund, credit): (u32, bool, i128),
    ) -> Result<i128> {
        let Some(extras) = self.extras.as_ref() else { return Ok(0) };
        let slot = usize::from(mode == Mode::Provisional);
        let path = || format!("amount[{r}]");
        let (sale, exact) = if !refund {
            let spiff = extras.spiff.get(r as usize).map_or(0, |&s| i128::from(s));
            if let Some(s) = self.sales.get_mut(&r) {
                s.spiff[slot] += spiff;
                s.spiff_credit[slot] += credit;
            }
            if spiff == 0 {
                return Ok(0);
            }
            (None, spiff)
        } else if let Some(o) = extras.refers_to(r as usize) {
            let s = self.sales.get(&o).copied().unwrap_or_default();
            let (left, under) = (s.spiff[slot], s.spiff_credit[slot]);
            if left == 0 {
                return Ok(0);
            }
            let exact = if -credit == under || under == 0 {
                -left
            } else {
                let part = mul(self.units_decimal(left)?, t.credit(credit)?, path)?;
                self.money(part.checked_div(t.credit(under)?).unwrap_or_default())?
            };
            (Some(o), exact)
        } else {
            return Ok(0);
        };
        let amount = if held { 0 } else { exact };
        let reasons = if refund { REFUND } else { 0 } | if held { HELD } else { 0 };
        let line = Line {
            kind: LineKind::Spiff,
            row: i64::from(r),
            tier: -1,
            from: 0,
            to: 0,
            base: amount.checked_mul(t.per_money).ok_or_else(|| Error::overflow(path()))?,
            rate: -1,
            multiplier: 0,
            amount,
            reasons,
        };
        self.push(mode, k, &mut state.steps, &line)?;
        if let Some(o) = sale {
            let s = self.sales.entry(o).or_default();
            s.spiff[slot] += amount;
            s.spiff_credit[slot] += credit;
        }
        Ok(amount)
    }

    /// A rate's code in the labels (only written lines need one): original rates may be as
    /// many as the rows, so they are found by hash, not by a scan of the labels.
    fn rate_code(&mut self, rate: Decimal) -> i32 {
        if self.lines.is_none() {
            return -1;
        }
        let labels = &mut self.labels.rates;
        if self.rate_index.len() < labels.len() {
            for (k, r) in labels.iter().enumerate().skip(self.rate_index.len()) {
                self.rate_index.entry(*r).or_insert(k as i32);
            }
        }
        *self.rate_index.entry(rate).or_insert_with(|| {
            labels.push(rate);
            (labels.len() - 1) as i32
        })
    }

    /// A line's multiplier code: the table's (`code`) times a rule's, and that product.
    fn times(&mut self, code: i32, rule: Option<Decimal>) -> (i32, Option<Decimal>) {
        let Some(m) = rule else { return (code, None) };
        let table = self.labels.multipliers.get(code as usize).copied().unwrap_or(Decimal::ONE);
        let product = table.checked_mul(m);
        match (product, self.lines.is_some()) {
            (Some(p), true) => (Labels::code(&mut self.labels.multipliers, p), Some(p)),
            _ => (code, product),
        }
    }

    /// Money (exact) rounded by the plan, in units of its places.
    fn money(&self, exact: Decimal) -> Result<i128> {
        let dp = self.plan.rounding.dp;
        to_units(self.plan.rounding.round(exact), dp).ok_or_else(|| Error::overflow("transactions"))
    }

    /// Money units as a decimal.
    fn units_decimal(&self, units: i128) -> Result<Decimal> {
        from_units(units, self.plan.rounding.dp).ok_or_else(|| Error::overflow("transactions"))
    }

    /// A statement's closing lines: earlier periods repriced (final only) and the cap.
    /// Returns the statement's total and what the cap withheld, as `Decimal`s.
    #[allow(clippy::too_many_arguments)]
    pub fn tail(
        &mut self,
        t: &IntTable,
        table: &Table,
        rep: &Rep,
        k: u32,
        state: &mut RepState,
        mode: Mode,
        end: Position,
    ) -> Result<(Decimal, Decimal)> {
        let plan = self.plan;
        let dp = plan.rounding.dp;
        let provisional = mode == Mode::Provisional;
        let path = || format!("reps[{k}]");
        let money = |x: Decimal| to_units(plan.rounding.round(x), dp).ok_or_else(|| Error::overflow(path()));
        let mut total = state.totals[usize::from(provisional)];
        let none = Line {
            kind: LineKind::PriorPeriods,
            row: -1,
            tier: -1,
            from: 0,
            to: t.start,
            base: t.start,
            rate: -1,
            multiplier: 0,
            amount: 0,
            reasons: 0,
        };
        let mut steps = state.steps;
        if !provisional {
            let start = Position { credit: rep.prior_credit, target: rep.prior_target };
            let end_gate = table.gate(end, &path)?;
            // The prior credit still standing: what clawbacks at an original rate took back is
            // not repriced.
            let refunded = from_units(state.prior_left - t.start, t.scale).ok_or_else(|| Error::overflow(path()))?;
            let standing = Position {
                credit: crate::money::add(start.credit, refunded, path)?,
                target: crate::money::add(start.target, refunded, path)?,
            };
            let clawed = from_units(state.clawed, dp).ok_or_else(|| Error::overflow(path()))?;
            let prior =
                super::statement::prior_periods(plan, table, start, standing, end, end_gate, rep.prior_paid, clawed)?;
            if let Some((exact, reasons)) = prior {
                let amount = money(exact)?;
                total = total.checked_add(amount).ok_or_else(|| Error::overflow(path()))?;
                let reasons = reasons.iter().fold(0, |b, r| b | bit(*r));
                self.push(mode, k, &mut steps, &Line { amount, reasons, ..none })?;
            }
        }
        let mut capped = 0i128;
        if let Some(cap) = plan.cap_in_force() {
            let cap = money(cap)?;
            if total > cap {
                capped = total - cap;
                let units = |x: i128| x.checked_mul(t.per_money).ok_or_else(|| Error::overflow(path()));
                let (from, to) = (units(total)?, units(cap)?);
                let line = Line { kind: LineKind::Cap, from, to, base: from, amount: -capped, ..none };
                self.push(mode, k, &mut steps, &line)?;
                total = cap;
            }
        }
        state.steps = steps;
        let dec = |x: i128| from_units(x, dp).ok_or_else(|| Error::overflow(path()));
        Ok((dec(total)?, dec(if provisional { 0 } else { capped })?))
    }
}

/// The first segment (from `i` on, or before it) whose upper end is above `x`: the one holding
/// `x`. `i` is any hint; from the segment a rep's credit last stood in, a move within or into
/// the next tier takes a step or two.
#[inline]
fn seek(segs: &[Seg], mut i: usize, x: i128) -> usize {
    i = i.min(segs.len());
    while i > 0 && segs[i - 1].hi > x {
        i -= 1;
    }
    while i < segs.len() && segs[i].hi <= x {
        i += 1;
    }
    i
}

/// A rep's running credit in the narrow walk.
#[derive(Clone, Copy)]
struct Hot64 {
    /// What the rep's rows paid so far.
    total: i128,
    pos: i64,
    cursor: u32,
    table: u32,
    /// Paid a row (a label without rows may stand in for rep 0 in `rep_of_code`).
    moved: bool,
}

/// A segment in 64 bits: open ends at the i64 limits, which no position reaches.
#[derive(Clone, Copy)]
struct Cut64 {
    lo: i64,
    hi: i64,
    factor: i64,
}

/// The bare walk in 64-bit integers, when every running credit provably fits: the prior
/// credits plus every row's credit stay below 2^62 credit units, the cuts and rates fit, and
/// the rounding divides by at most 10^18. Products that do not fit 64 bits are redone in 128.
struct Narrow {
    tables: Vec<Vec<Cut64>>,
    per_unit: i64,
    shift: u32,
}

impl Narrow {
    fn new(tables: &[&IntTable], states: &[RepState], units: &[i64]) -> Option<Self> {
        const BOUND: i128 = 1 << 62;
        let first = tables.first()?;
        let (per_unit, shift) = (first.per_unit, first.shift);
        if shift > 18 || tables.iter().any(|t| t.per_unit != per_unit || t.shift != shift) {
            return None;
        }
        // Amounts are ≥ 0 (checked), so their sum bounds every move.
        let gross = units.iter().map(|&u| i128::from(u)).sum::<i128>().checked_mul(per_unit)?;
        let start = states.iter().map(|s| s.pos.abs()).max().unwrap_or(0);
        if gross.checked_add(start)? >= BOUND {
            return None;
        }
        let narrow = |x: i128| match x {
            i128::MIN => Some(i64::MIN),
            i128::MAX => Some(i64::MAX),
            _ => i64::try_from(x).ok(),
        };
        let mut cuts = Vec::with_capacity(tables.len());
        for t in tables {
            let segs = t
                .segs
                .iter()
                .map(|s| Some(Cut64 { lo: narrow(s.lo)?, hi: narrow(s.hi)?, factor: i64::try_from(s.factor).ok()? }));
            cuts.push(segs.collect::<Option<Vec<_>>>()?);
        }
        Some(Self { tables: cuts, per_unit: i64::try_from(per_unit).ok()?, shift })
    }

    /// Each row's slices of the move from its rep's running credit, rounded one by one and
    /// summed: what `Walk::pay` writes as lines (the same slices, rounded alike).
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        hot: &mut [Hot64],
        codes: &[i32],
        units: &[i64],
        refund: Option<&[bool]>,
        order: Option<&[u32]>,
        strategy: RoundingStrategy,
        final_pay: &mut [i64],
    ) -> Result<()> {
        let args = (hot, codes, units, refund, order, strategy, final_pay);
        // The common places by a constant divisor: a multiplication, not a division per row.
        macro_rules! by {
            ($($k:literal),*) => {
                match self.shift {
                    $($k => self.walk_by::<$k>(args),)*
                    _ => self.walk_by::<{ u32::MAX }>(args),
                }
            };
        }
        by!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    }

    /// [`Narrow::walk`] dividing by 10^`K` (`u32::MAX`: by 10^`shift`, known at run time).
    #[allow(clippy::type_complexity)]
    fn walk_by<const K: u32>(
        &self,
        (hot, codes, units, refund, order, strategy, final_pay): (
            &mut [Hot64],
            &[i32],
            &[i64],
            Option<&[bool]>,
            Option<&[u32]>,
            RoundingStrategy,
            &mut [i64],
        ),
    ) -> Result<()> {
        let (per_unit, shift) = (self.per_unit, self.shift);
        let divisor = if K == u32::MAX { 10i64.pow(shift) } else { const { 10i64.pow(if K > 18 { 0 } else { K }) } };
        let mut pay = |i: usize| -> Result<()> {
            let h = &mut hot[codes[i] as usize]; // codes checked
            let segs = &self.tables[h.table as usize];
            let u = units[i] * per_unit; // < 2^62: checked by `new`
            let credit = if refund.is_some_and(|f| f[i]) { -u } else { u };
            let before = h.pos;
            let after = before + credit;
            h.pos = after;
            h.moved = true;
            let (lo, hi, sign) = if before <= after { (before, after, 1) } else { (after, before, -1) };
            let here = segs[h.cursor as usize]; // the cursor always points at a segment
            if here.lo <= lo && hi < here.hi {
                // Within the segment the credit stands in (most rows): one slice, no move.
                let paid = match credit.checked_mul(here.factor) {
                    Some(exact) => round64(exact, divisor, strategy),
                    None => {
                        i64::try_from(div_round_pow10(i128::from(credit) * i128::from(here.factor), shift, strategy))
                            .map_err(|_| Error::overflow(format!("amount[{i}]")))?
                    }
                };
                h.total += i128::from(paid);
                final_pay[i] = paid;
                return Ok(());
            }
            let mut j = seek64(segs, h.cursor as usize, lo);
            let mut paid = 0i128;
            while j < segs.len() && segs[j].lo < hi {
                let seg = segs[j];
                let base = (seg.hi.min(hi) - seg.lo.max(lo)) * sign;
                paid += match base.checked_mul(seg.factor) {
                    Some(exact) => i128::from(round64(exact, divisor, strategy)),
                    None => div_round_pow10(i128::from(base) * i128::from(seg.factor), shift, strategy),
                };
                j += 1;
            }
            h.cursor = seek64(segs, j.saturating_sub(1), after) as u32;
            h.total += paid;
            final_pay[i] = i64::try_from(paid).map_err(|_| Error::overflow(format!("amount[{i}]")))?;
            Ok(())
        };
        match order {
            None => (0..codes.len()).try_for_each(&mut pay),
            Some(order) => order.iter().try_for_each(|&i| pay(i as usize)),
        }
    }
}

/// [`seek`] over 64-bit cuts.
#[inline]
fn seek64(segs: &[Cut64], mut i: usize, x: i64) -> usize {
    i = i.min(segs.len());
    while i > 0 && segs[i - 1].hi > x {
        i -= 1;
    }
    while i < segs.len() && segs[i].hi <= x {
        i += 1;
    }
    i
}

/// `n / d` rounded by `strategy` in 64 bits (`d` > 0), as `div_round` rounds.
#[inline]
fn round64(n: i64, d: i64, strategy: RoundingStrategy) -> i64 {
    let (q, r) = (n / d, n % d);
    if r == 0 {
        return q;
    }
    let (r, rest) = (r.unsigned_abs(), d.unsigned_abs() - r.unsigned_abs());
    if rounds_away(u128::from(r), u128::from(rest), q % 2 != 0, strategy) {
        q + n.signum()
    } else {
        q
    }
}
