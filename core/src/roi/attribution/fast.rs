//! The rule-based models over columns in one pass: each journey is validated, weighed and
//! split as it is read, its credits written straight into the output column and added to its
//! channels' totals. The credits are those of the general loop in `engine` (the record API),
//! bit for bit: the same integer weights, the same largest-remainder split, only computed
//! with fewer and cheaper operations.
//!
//! - First touch, last touch, last non-direct and linear need no weights: the revenue divided evenly, the
//!   remainder to the earliest touches (what the split gives equal weights).
//! - Position models (U, W, custom) weigh a journey by its length alone when no touch is
//!   marked with a milestone: the weights of each length are computed once, divided by their
//!   greatest common divisor (the split is the same) so that products stay in 64 bits.
//! - Time decay weighs a touch by its gap to the journey's latest touch: one weight per
//!   distinct gap, from a table.
//! - The split divides by the weights' sum with a floating-point estimate of each quotient
//!   corrected to the exact integer one (a remainder in `[0, sum)`), cheaper than 128-bit
//!   divisions; revenue too large for the estimate to be within a unit or two, or weights
//!   summing beyond 64 bits, take the general split.

use super::engine::Prepared;
use super::model::{Model, PositionWeights};
use super::reader::{Reader, Run};
use super::split::{decay, last_non_direct, position, roles, split};
use crate::error::{Error, Result};

/// `$body` for a journey of `$n` touches (at most [`SMALL`]) with the constant `$len` its
/// length: journeys of up to 8 touches each by a body of their own length (loops of a known
/// length, unrolled), longer ones by [`SMALL`]'s (whose loops take the slices' length).
macro_rules! with_length {
    ($n:expr_2021, $len:ident => $body:expr_2021) => {
        with_length!(@arms $n, $len, $body, 1 2 3 4 5 6 7 8)
    };
    (@arms $n:expr_2021, $len:ident, $body:expr_2021, $($k:literal)*) => {
        match $n {
            $($k => {
                const $len: usize = $k;
                $body
            })*
            _ => {
                const $len: usize = SMALL;
                $body
            }
        }
    };
}

/// Lengths whose position weights are kept (longer journeys compute theirs each time).
const CACHED_LENGTHS: usize = 256;
/// Gaps in days whose decay weights are kept in the table.
const CACHED_GAPS: usize = 4096;
/// Revenue units below which the quotient estimate is within two of the exact one.
const ESTIMATE_BELOW: u64 = 1 << 50;

/// The rule of a rule-based model.
enum Rule {
    First,
    Last,
    LastNonDirect,
    Linear,
    Position([u64; 5]),
    Decay(f64),
}

/// One channel's totals over converting journeys.
#[derive(Debug, Clone)]
pub(crate) struct ChannelTotal {
    pub credit: i128,
    pub touches: u64,
    pub conversions: u64,
    /// Touched by some journey, converting or not (with more than 64 channels; see
    /// [`Totals::present`]).
    present: bool,
    /// The last journey counted in `conversions` (with more than 64 channels).
    last_journey: usize,
}

/// Channels whose sums go through the lanes (one bit each in a journey's mask).
const LANE_CHANNELS: usize = 64;
/// Channels whose conversions are counted per set of channels a journey touched (one count
/// per converting journey, in a table of 2^10 sets: 8 KB), spread over the channels when the
/// totals are flushed; more are counted over the journey's bits.
const MASK_CHANNELS: usize = 10;
/// Copies of each channel's running sums: touch `k` of a journey adds to lane `k % LANES`, so
/// consecutive touches of one channel do not wait for each other's stores.
const LANES: usize = 4;
/// Units the lanes take between flushes: their credits sum to at most this, so no 64-bit lane
/// overflows.
const LANE_UNITS: u64 = 1 << 63;

/// The lane of the `k`-th touch, on channel `c` (< 64, so the index is below the lanes' length;
/// the mask lets the compiler drop the bounds check).
#[inline]
fn lane(c: u32, k: usize) -> usize {
    (c as usize * LANES + k % LANES) & (LANE_CHANNELS * LANES - 1)
}

/// Per-channel totals over converting journeys. [`Totals::flush`] before reading `channels`.
#[derive(Debug)]
pub(crate) struct Totals {
    /// Per channel of the taxonomy (one record per channel: one bounds check per touch).
    pub channels: Vec<ChannelTotal>,
    pub total: i128,
    pub converted: u64,
    /// Revenue of converting journeys without a touch inside the lookback window.
    pub unattributed: i128,
    /// With at most 64 channels, the channels some journey touched, one bit each.
    seen: u64,
    /// With at most 64 channels, credits and touches since the last flush per channel and
    /// lane (`c * LANES + lane`): a 64-bit add per touch instead of a 128-bit one.
    lane_credit: Box<[u64; LANE_CHANNELS * LANES]>,
    lane_touches: Box<[u64; LANE_CHANNELS * LANES]>,
    /// With at most [`MASK_CHANNELS`] channels, converting journeys since the last flush per
    /// set of channels touched (one bit each).
    by_mask: Box<[u64; 1 << MASK_CHANNELS]>,
    /// Units of the journeys added to the lanes since the last flush.
    pending: u64,
}

impl Totals {
    pub fn new(channels: usize) -> Self {
        let zero = ChannelTotal { credit: 0, touches: 0, conversions: 0, present: false, last_journey: usize::MAX };
        Self {
            channels: vec![zero; channels],
            total: 0,
            converted: 0,
            unattributed: 0,
            seen: 0,
            lane_credit: Box::new([0; LANE_CHANNELS * LANES]),
            lane_touches: Box::new([0; LANE_CHANNELS * LANES]),
            by_mask: Box::new([0; 1 << MASK_CHANNELS]),
            pending: 0,
        }
    }

    /// Moves the lanes' sums into `channels`.
    pub fn flush(&mut self) {
        for (c, line) in self.channels.iter_mut().take(LANE_CHANNELS).enumerate() {
            for lane in c * LANES..(c + 1) * LANES {
                line.credit += i128::from(std::mem::take(&mut self.lane_credit[lane]));
                line.touches += std::mem::take(&mut self.lane_touches[lane]);
            }
        }
        for (mask, count) in self.by_mask.iter_mut().enumerate().filter(|(_, n)| **n > 0) {
            for (c, line) in self.channels.iter_mut().take(MASK_CHANNELS).enumerate() {
                if (mask >> c) & 1 == 1 {
                    line.conversions += *count;
                }
            }
            *count = 0;
        }
        self.pending = 0;
    }

    /// Whether some journey, converting or not, touched channel `c`.
    pub fn present(&self, c: usize) -> bool {
        self.channels[c].present || (c < 64 && self.seen & (1 << c) != 0)
    }

    /// Adds journey `j` (touching `channels`, credited `credits` when it converted).
    #[inline]
    pub fn add(&mut self, j: usize, converted: bool, units: i128, channels: &[u32], credits: impl Fn(usize) -> i128) {
        self.add_counting::<true>(j, converted, units, channels, credits);
    }

    /// [`Totals::add`], counting the touches, conversions, channels present and the total only
    /// with `COUNTS` (another model's totals over the same journeys count them: they are the
    /// same under every model, see [`Totals::counts_of`]). Inlined into each caller: the
    /// compiler called it per journey and model, its loop over the touches taking the credits
    /// through a closure it could not see (linear + time decay over a frame's columns
    /// 55.8-56.1 → 52.9-53.1 ms per million journeys).
    #[allow(clippy::inline_always)] // see above
    #[inline(always)]
    fn add_counting<const COUNTS: bool>(
        &mut self,
        j: usize,
        converted: bool,
        units: i128,
        channels: &[u32],
        credits: impl Fn(usize) -> i128,
    ) {
        if self.channels.len() > LANE_CHANNELS {
            self.add_many::<COUNTS>(j, converted, units, channels, credits);
            return;
        }
        if !COUNTS {
            if converted {
                if !self.reserve(units) {
                    self.add_many::<COUNTS>(j, converted, units, channels, credits);
                    return;
                }
                for (k, &c) in channels.iter().enumerate() {
                    self.lane_credit[lane(c, k)] += credits(k) as u64;
                }
            }
            return;
        }
        // The journey's channels as bits: a register per touch instead of a stored
        // last-journey mark, and each channel's conversion counted once after the touches.
        let mut mask = 0u64;
        if converted {
            // The credits are not negative and sum to `units`.
            if !self.reserve(units) {
                self.add_many::<COUNTS>(j, converted, units, channels, credits);
                return;
            }
            self.converted += 1;
            self.total += units;
            for (k, &c) in channels.iter().enumerate() {
                mask |= 1 << c;
                let lane = lane(c, k);
                self.lane_credit[lane] += credits(k) as u64;
                self.lane_touches[lane] += 1;
            }
            self.seen |= mask;
            if self.channels.len() <= MASK_CHANNELS {
                // One count for the set of channels: no loop over the channels or over the
                // set bits (whose count the CPU cannot predict).
                self.by_mask[mask as usize & ((1 << MASK_CHANNELS) - 1)] += 1;
            } else {
                while mask != 0 {
                    self.channels[mask.trailing_zeros() as usize].conversions += 1;
                    mask &= mask - 1;
                }
            }
        } else {
            for &c in channels {
                mask |= 1 << c;
            }
            self.seen |= mask;
        }
    }

    /// Makes room in the lanes for a converted journey of `units` (flushing them first when
    /// their sums could overflow); `false` when the journey is too large for the lanes at all
    /// (the caller then adds it through [`Self::add_many`]).
    #[inline]
    fn reserve(&mut self, units: i128) -> bool {
        let Some(u) = u64::try_from(units).ok().filter(|&u| u < LANE_UNITS) else {
            return false;
        };
        if self.pending + u >= LANE_UNITS {
            self.flush();
        }
        self.pending += u;
        true
    }

    /// [`Totals::add`] over more than 64 channels (or of a journey of 2^63 units or more).
    #[cold]
    fn add_many<const COUNTS: bool>(
        &mut self,
        j: usize,
        converted: bool,
        units: i128,
        channels: &[u32],
        credits: impl Fn(usize) -> i128,
    ) {
        if !converted {
            if COUNTS {
                for &c in channels {
                    self.channels[c as usize].present = true;
                }
            }
            return;
        }
        if COUNTS {
            self.converted += 1;
            self.total += units;
        }
        for (k, &c) in channels.iter().enumerate() {
            let line = &mut self.channels[c as usize];
            line.credit += credits(k);
            if COUNTS {
                line.present = true;
                line.touches += 1;
                line.conversions += u64::from(line.last_journey != j);
                line.last_journey = j;
            }
        }
    }

    /// Takes `counted`'s touches, conversions, channels present and totals: those of a pass
    /// over the same journeys that counted them ([`Totals::add_counting`]).
    fn counts_of(&mut self, counted: &Self) {
        for (line, theirs) in self.channels.iter_mut().zip(&counted.channels) {
            line.touches = theirs.touches;
            line.conversions = theirs.conversions;
            line.present = theirs.present;
        }
        self.seen = counted.seen;
        (self.total, self.converted, self.unattributed) = (counted.total, counted.converted, counted.unattributed);
    }

    /// The totals of journeys already attributed by the general loop, over the touches
    /// `kept` inside the lookback window (all without one).
    pub fn of(channels: usize, p: &Prepared, credits: &[i128], kept: Option<&[bool]>) -> Self {
        let mut t = Self::new(channels);
        let (mut chans, mut own) = (Vec::new(), Vec::new());
        for (j, start, n) in p.journeys() {
            let Some(kept) = kept else {
                t.add(j, p.converted[j], p.units[j], &p.channel[start..start + n], |k| credits[start + k]);
                continue;
            };
            chans.clear();
            own.clear();
            for i in (start..start + n).filter(|&i| kept[i]) {
                chans.push(p.channel[i]);
                own.push(credits[i]);
            }
            if chans.is_empty() {
                // Converted (a journey that did not keeps every touch), nothing inside.
                t.converted += 1;
                t.unattributed += p.units[j];
            } else {
                t.add(j, p.converted[j], p.units[j], &chans, |k| own[k]);
            }
        }
        t.flush();
        t
    }
}

/// Whether the one pass applies: a rule-based model (one journey at a time), no lookback
/// window, no cohorts.
pub(crate) fn applies(policy: &super::AttributionPolicy) -> bool {
    !matches!(policy.model, Model::Markov { .. } | Model::Shapley { .. })
        && policy.lookback_days.is_none()
        && !policy.cohorts
}

/// Runs the rule-based `model` (validated) over every journey of `reader`: each row's credit
/// into `credits` (every row written, whatever it held), the channel totals returned.
pub(crate) fn run(
    model: &Model,
    channels: usize,
    direct: &[bool],
    reader: &mut Reader,
    credits: &mut [i64],
) -> Result<Totals> {
    let mut pass = Pass::new(model, channels, direct)?;
    let milestones = reader.milestones();
    let mut j = 0usize;
    while let Some(run) = reader.next_run()? {
        pass.journey::<true>(j, &run, reader, milestones, &mut credits[run.start..run.end])?;
        j += 1;
    }
    pass.totals.flush();
    Ok(pass.totals)
}

/// [`run`] of several rule-based models (validated, each with its direct channels) over one
/// reading of the journeys: each journey is read and validated once, then split under every
/// model in turn, model `m`'s credits into `credits[m]`.
pub(crate) fn run_many(
    models: &[(&Model, Vec<bool>)],
    channels: usize,
    reader: &mut Reader,
    credits: &mut [&mut [i64]],
) -> Result<Vec<Totals>> {
    let mut passes =
        models.iter().map(|(model, direct)| Pass::new(model, channels, direct)).collect::<Result<Vec<_>>>()?;
    let milestones = reader.milestones();
    let mut j = 0usize;
    let Some((first, others)) = passes.split_first_mut() else { return Ok(Vec::new()) };
    let Some((first_out, other_outs)) = credits.split_first_mut() else { return Ok(Vec::new()) };
    while let Some(run) = reader.next_run()? {
        // The first model counts the touches, conversions and totals for all.
        first.journey::<true>(j, &run, reader, milestones, &mut first_out[run.start..run.end])?;
        for (pass, out) in others.iter_mut().zip(other_outs.iter_mut()) {
            pass.journey::<false>(j, &run, reader, milestones, &mut out[run.start..run.end])?;
        }
        j += 1;
    }
    first.totals.flush();
    for pass in others.iter_mut() {
        pass.totals.flush();
        pass.totals.counts_of(&first.totals);
    }
    Ok(passes.into_iter().map(|p| p.totals).collect())
}

/// One rule-based model's state over a pass: its rule, its tables and scratch space, and the
/// channel totals so far.
struct Pass<'d> {
    rule: Rule,
    direct: &'d [bool],
    totals: Totals,
    /// Position weights per journey length (divided by their greatest common divisor) and
    /// their sum.
    by_length: Vec<Option<(Box<[u64]>, u64)>>,
    /// Decay weights of the gaps 0, 1, 2... up to the largest seen so far (at most
    /// [`CACHED_GAPS`]): one bounds check per touch, no mark of a weight not yet computed.
    gaps: Vec<u64>,
    weights: Vec<u64>,
    rem: Vec<u64>,
    wide: Vec<i128>,
    order: Vec<(u128, usize)>,
}

impl<'d> Pass<'d> {
    fn new(model: &Model, channels: usize, direct: &'d [bool]) -> Result<Self> {
        use rust_decimal::prelude::ToPrimitive;
        let rule = match model {
            Model::FirstTouch => Rule::First,
            Model::LastTouch => Rule::Last,
            Model::LastNonDirect { .. } => Rule::LastNonDirect,
            Model::Linear => Rule::Linear,
            Model::UShaped => Rule::Position(PositionWeights::u_shaped().units("model")?),
            Model::WShaped => Rule::Position(PositionWeights::w_shaped().units("model")?),
            Model::Position(w) => Rule::Position(w.units("model")?),
            Model::TimeDecay { half_life_days } => Rule::Decay(half_life_days.to_f64().unwrap_or(f64::MAX)),
            Model::Markov { .. } | Model::Shapley { .. } => {
                return Err(Error::InvalidValue {
                    path: "model".into(),
                    reason: "a data-driven model learns first".into(),
                })
            }
        };
        Ok(Self {
            rule,
            direct,
            totals: Totals::new(channels),
            by_length: Vec::new(),
            gaps: Vec::new(),
            weights: Vec::new(),
            rem: Vec::new(),
            wide: Vec::new(),
            order: Vec::new(),
        })
    }

    /// Journey `j` (`run`, its channels and days in `reader`): its credits into `out` (its
    /// rows), its channels' totals added. Inlined into each pass (a call per journey and
    /// model cost a third of linear's time).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn journey<const COUNTS: bool>(
        &mut self,
        j: usize,
        run: &Run,
        reader: &Reader,
        milestones: Option<&[i8]>,
        out: &mut [i64],
    ) -> Result<()> {
        let Run { start, end, converted, units, .. } = *run;
        let n = end - start;
        let mut known = Known::Written;
        if converted {
            let even = |out: &mut [i64]| -> Option<(i64, usize)> {
                // In 64 bits (a 128-bit division per journey cost more than the rest of it).
                let (t, count) = (u64::try_from(units).ok()?, out.len() as u64);
                let (each, extra) = split_even(t, count);
                let (each, extra) = (i64::try_from(each).ok()?, extra as usize);
                // One more to the first `extra`: no loop whose length the CPU cannot predict.
                for (k, c) in out.iter_mut().enumerate() {
                    *c = each + i64::from(k < extra);
                }
                Some((each, extra))
            };
            let single = match self.rule {
                Rule::First => 0,
                Rule::LastNonDirect => last_non_direct(&reader.channel, self.direct).0,
                _ => n - 1,
            };
            let (weights, rem) = (&mut self.weights, &mut self.rem);
            let done = match &self.rule {
                Rule::First | Rule::Last | Rule::LastNonDirect => {
                    out.fill(0);
                    even(&mut out[single..=single]).map(|(each, _)| known = Known::Single(single, each))
                }
                Rule::Linear => even(out).map(|(each, extra)| known = Known::Even(each, extra)),
                Rule::Position(units_of) => {
                    let marked = milestones.map(|m| roles(Some(&m[start..end]), n));
                    match marked {
                        Some(r) if !(r.lead_assumed && r.deal_assumed) => {
                            position(units_of, n, r, weights);
                            split_fast(units, weights, None, out, rem)
                        }
                        _ if n < CACHED_LENGTHS => {
                            if self.by_length.len() <= n {
                                self.by_length.resize(n + 1, None);
                            }
                            let (w, sum) = self.by_length[n].get_or_insert_with(|| {
                                position(units_of, n, roles(None, n), weights);
                                reduced(weights)
                            });
                            weights.clear();
                            weights.extend_from_slice(w);
                            split_fast(units, weights, Some(*sum), out, rem)
                        }
                        _ => {
                            position(units_of, n, roles(None, n), weights);
                            split_fast(units, weights, None, out, rem)
                        }
                    }
                }
                Rule::Decay(half_life) => {
                    // Relative to the most recent touch, which then weighs exactly one.
                    // Days before the conversion, in time order: the last is the fewest.
                    let (days, half_life) = (&reader.days, *half_life);
                    let latest = days.last().copied().unwrap_or(0);
                    let gaps = &mut self.gaps;
                    let short = u64::try_from(units).ok().filter(|&t| t < SMALL_BELOW && n <= SMALL);
                    if let Some(t) = short {
                        // Weights on the stack, the split in loops of a known length and the
                        // credits added to their channels from registers.
                        let d = Decayed { t, days, latest, half_life, j, channels: &reader.channel };
                        let totals = &mut self.totals;
                        with_length!(n, N => d.split::<N, COUNTS>(gaps, totals, out));
                        return Ok(());
                    }
                    weights.clear();
                    weights.extend(days.iter().map(|&d| gap_weight(gaps, half_life, d - latest)));
                    split_fast(units, weights, None, out, rem)
                }
            };
            if done.is_none() {
                known = Known::Written;
                general(&self.rule, single, units, &self.weights, &mut self.wide, &mut self.order, out, start)?;
            }
        } else {
            out.fill(0);
        }
        // The credits the totals add, from registers where the rule gives them (not read back
        // from the stores just made).
        let (totals, channels) = (&mut self.totals, &reader.channel);
        match known {
            Known::Even(each, extra) => {
                totals
                    .add_counting::<COUNTS>(j, converted, units, channels, |k| i128::from(each + i64::from(k < extra)));
            }
            Known::Single(single, each) => totals.add_counting::<COUNTS>(j, converted, units, channels, |k| {
                if k == single {
                    i128::from(each)
                } else {
                    0
                }
            }),
            Known::Written => totals.add_counting::<COUNTS>(j, converted, units, channels, |k| i128::from(out[k])),
        }
        Ok(())
    }
}

/// The decay weight (2^(−gap ÷ half-life) × 2^52) of a touch `gap` days before its journey's
/// latest, from the table of the gaps up to the largest seen so far.
#[inline]
fn gap_weight(gaps: &mut Vec<u64>, half_life: f64, gap: u32) -> u64 {
    match gaps.get(gap as usize) {
        Some(&w) => w,
        None => more_gaps(gaps, half_life, gap),
    }
}

/// [`gap_weight`] of a gap beyond the table: the table grown up to it (the weights of the
/// gaps between computed once each, as they would be when seen), or beyond [`CACHED_GAPS`]
/// the weight computed alone.
#[cold]
fn more_gaps(gaps: &mut Vec<u64>, half_life: f64, gap: u32) -> u64 {
    if gap as usize >= CACHED_GAPS {
        return decay(f64::from(gap) / half_life);
    }
    let from = gaps.len() as u32; // ≤ CACHED_GAPS
    gaps.extend((from..=gap).map(|g| decay(f64::from(g) / half_life)));
    gaps[gap as usize]
}

/// A journey under time decay, with `t` below [`SMALL_BELOW`] units: what [`Decayed::split`]
/// reads.
struct Decayed<'r> {
    t: u64,
    /// Days before the conversion, per touch, and the fewest (the latest touch's).
    days: &'r [u32],
    latest: u32,
    half_life: f64,
    /// The journey's number and channels, for the totals.
    j: usize,
    channels: &'r [u32],
}

impl Decayed<'_> {
    /// The split of a journey of `N` touches (any number up to [`SMALL`] for `N = SMALL`):
    /// [`split_fast`]'s, with the weights on the stack, then each credit added to its
    /// channel's totals (as [`Totals::add_counting`] with `COUNTS`) from the credits just
    /// computed, not read back from the journey's rows. Each weight is at most 2^52 (the
    /// latest touch's exactly) and there are at most 16: their sum is positive and below
    /// 2^56, as [`split_n`] needs.
    #[inline]
    fn split<const N: usize, const COUNTS: bool>(&self, gaps: &mut Vec<u64>, totals: &mut Totals, out: &mut [i64]) {
        let n = if N == SMALL { self.days.len() } else { N };
        let mut weights = [0u64; N];
        let mut sum = 0u64;
        for (w, &d) in weights[..n].iter_mut().zip(&self.days[..n]) {
            *w = gap_weight(gaps, self.half_life, d - self.latest);
            sum += *w;
        }
        let out = &mut out[..n];
        split_n::<N>(self.t, &weights[..n], sum, out);
        totals.add_counting::<COUNTS>(self.j, true, i128::from(self.t), &self.channels[..n], |k| i128::from(out[k]));
    }
}

/// Journeys of up to this many touches divide their revenue evenly by a multiplication.
const EVEN_BY_MULTIPLY: usize = 16;
/// Revenue units below which [`split_even`]'s multiplication gives the exact quotient.
const EVEN_BELOW: u64 = 1 << 56;

/// `⌊2^64 ÷ n⌋ + 1` for `n` from 2 to [`EVEN_BY_MULTIPLY`] (0 below: unused).
const EVEN_INVERSES: [u64; EVEN_BY_MULTIPLY + 1] = {
    let mut inv = [0u64; EVEN_BY_MULTIPLY + 1];
    let mut n = 2;
    while n <= EVEN_BY_MULTIPLY {
        inv[n] = u64::MAX / n as u64 + 1;
        n += 1;
    }
    inv
};

/// `t ÷ n` and `t mod n` (`n` ≥ 1): for a short journey and `t` below [`EVEN_BELOW`], the
/// high half of `t × (⌊2^64 ÷ n⌋ + 1)` (a multiplication instead of a 64-bit division, which
/// takes several times as long): that is `t ÷ n` plus less than `t ÷ 2^64 < 2^-8 < 1 ÷ n`, so
/// its floor is the exact quotient.
#[inline]
fn split_even(t: u64, n: u64) -> (u64, u64) {
    let q = match EVEN_INVERSES.get(n as usize) {
        _ if n == 1 => t,
        Some(&inv) if t < EVEN_BELOW => ((u128::from(t) * u128::from(inv)) >> 64) as u64,
        _ => t / n,
    };
    (q, t - q * n)
}

/// A journey's credits, as the totals read them.
#[derive(Clone, Copy)]
enum Known {
    /// `each`, and one more to the first `extra` touches.
    Even(i64, usize),
    /// Everything to one touch.
    Single(usize, i64),
    /// As written into the journey's rows.
    Written,
}

/// The weights divided by their greatest common divisor, and their sum.
fn reduced(w: &[u64]) -> (Box<[u64]>, u64) {
    let g = w.iter().fold(0u64, |g, &x| gcd(g, x)).max(1);
    let out: Box<[u64]> = w.iter().map(|&x| x / g).collect();
    let sum = out.iter().try_fold(0u64, |s, &x| s.checked_add(x)).unwrap_or(0);
    (out, sum)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The largest-remainder split of `units` by `weights` into `out` in 64-bit arithmetic, or
/// `None` when it needs the general one (revenue of 2^50 units or more, weights summing
/// beyond 64 bits, more than 64 touches sharing leftovers).
pub(crate) fn split_fast(
    units: i128,
    weights: &[u64],
    sum: Option<u64>,
    out: &mut [i64],
    rem: &mut Vec<u64>,
) -> Option<()> {
    let t = u64::try_from(units).ok().filter(|&t| t < ESTIMATE_BELOW)?;
    let sum = match sum {
        Some(s) if s > 0 => s,
        _ => weights.iter().try_fold(0u64, |s, &x| s.checked_add(x)).filter(|&s| s > 0)?,
    };
    if weights.len() <= SMALL && t < SMALL_BELOW && sum < SMALL_SUM {
        split_small(t, weights, sum, out);
        return Some(());
    }
    let inv = 1.0 / sum as f64;
    let tf = t as f64;
    let mut given = 0u64;
    // Remainders of the touches, for the leftovers (scratch space: zeroing an array per
    // journey cost more than the split).
    rem.clear();
    let small = weights.len() <= 64;
    for (&w, o) in weights.iter().zip(out.iter_mut()) {
        let prod = u128::from(t) * u128::from(w);
        // The estimate is within 2 of floor(t × w ÷ sum) (t < 2^50, a few roundings of 2^-53).
        let mut q = (tf * w as f64 * inv) as u64;
        let mut r = prod.wrapping_sub(u128::from(q) * u128::from(sum)) as i128;
        while r < 0 {
            q -= 1;
            r += i128::from(sum);
        }
        while r >= i128::from(sum) {
            q += 1;
            r -= i128::from(sum);
        }
        *o = q as i64; // ≤ t < 2^50
        given += q;
        rem.push(r as u64);
    }
    let left = t - given; // < number of touches
    if left > 0 {
        if !small {
            return None;
        }
        // One unit each to the largest remainders, earlier touches first on ties.
        let n = weights.len();
        let mut taken = 0u64;
        for _ in 0..left {
            let mut best = usize::MAX;
            for k in 0..n {
                if taken & (1 << k) == 0 && (best == usize::MAX || rem[k] > rem[best]) {
                    best = k;
                }
            }
            taken |= 1 << best;
            out[best] += 1;
        }
    }
    Some(())
}

/// Journeys of this many touches or fewer take [`split_small`].
const SMALL: usize = 16;
/// Revenue units below which [`split_small`]'s quotient estimate is within one of the exact
/// quotient.
const SMALL_BELOW: u64 = 1 << 48;
/// Weight sums below which [`split_small`]'s remainders are exact in 64-bit wrapping
/// arithmetic.
const SMALL_SUM: u64 = 1 << 62;
/// 1.5 × 2^52: added to a float below 2^51, it leaves the nearest integer in the low bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;

/// [`split_fast`] of a short journey (at most [`SMALL`] touches, `t` below [`SMALL_BELOW`],
/// weights summing below [`SMALL_SUM`]),
/// in loops of a known length for journeys of up to 8 touches (unrolled: about a tenth of
/// time decay's and the position models' time over a million journeys of five).
fn split_small(t: u64, weights: &[u64], sum: u64, out: &mut [i64]) {
    with_length!(weights.len(), N => split_n::<N>(t, weights, sum, out));
}

/// [`split_small`] of `N` touches (any number up to [`SMALL`] for `N = SMALL`; `t` below
/// [`SMALL_BELOW`], `sum` positive and below [`SMALL_SUM`]): in 64-bit wrapping arithmetic
/// with one correction, remainders on the stack, and the leftover units by rank, without a
/// branch on the data.
#[allow(clippy::inline_always)] // one body per length, each into its arm of split_small
#[inline(always)]
#[allow(clippy::many_single_char_names)] // the arithmetic's own names: t × w = q × sum + r
fn split_n<const N: usize>(t: u64, weights: &[u64], sum: u64, out: &mut [i64]) {
    // A constant below SMALL: the compiler unrolls every loop over the touches.
    let n = if N == SMALL { weights.len() } else { N };
    let (weights, out) = (&weights[..n], &mut out[..n]);
    let mut rem = [0i64; N];
    // t ÷ sum once (signed conversions: one instruction each, the unsigned ones take several).
    let ratio = t as i64 as f64 / sum as i64 as f64;
    let mut given = 0u64;
    for k in 0..n {
        let w = weights[k];
        // (t ÷ sum) × w to within 4 roundings of 2^-53 (t is exact; the sum, t ÷ sum, w and
        // the product round once each), so within 0.13 of the exact quotient below 2^48, then
        // rounded to the nearest integer by the 1.5 × 2^52 shift (exact below 2^51): the
        // estimate is floor(t × w ÷ sum) or one more.
        let x = ratio * w as i64 as f64 + ROUND_SHIFT;
        let mut q = x.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
        // t × w − q × sum is in [−sum, sum), below 2^62 either way: exact modulo 2^64.
        let mut r = t.wrapping_mul(w).wrapping_sub(q.wrapping_mul(sum)) as i64;
        // One too many: take it back (all ones when r < 0, else zero).
        let over = r >> 63;
        q = q.wrapping_add(over as u64);
        r += over & sum as i64;
        out[k] = q as i64; // ≤ t < 2^48
        given += q;
        rem[k] = r; // in [0, sum)
    }
    // 0 ≤ left < n.
    let left = t - given;

    // One unit each to the `left` (< n, usually one or two) largest remainders, earlier
    // touches first on ties: a touch gets one when fewer than `left` touches beat it (a
    // larger remainder, or an equal one earlier). Each pair compared once, the loser's count
    // going up: n(n − 1)/2 comparisons without a branch on the data, cheaper than `left`
    // rounds of a max whose count the CPU cannot predict (and than all n² comparisons of
    // packed keys, which cost twice as many).
    let mut beaten = [0u64; N];
    for i in 0..n {
        for j in i + 1..n {
            // j is later: it beats i only with a strictly larger remainder.
            let later_wins = u64::from(rem[j] > rem[i]);
            beaten[i] += later_wins;
            beaten[j] += 1 - later_wins;
        }
    }
    for k in 0..n {
        out[k] += i64::from(beaten[k] < left);
    }
}

/// The general split (128-bit), for what [`split_fast`] leaves.
#[allow(clippy::too_many_arguments)] // the journey and the scratch space of the loop
fn general(
    rule: &Rule,
    single: usize,
    units: i128,
    weights: &[u64],
    wide: &mut Vec<i128>,
    order: &mut Vec<(u128, usize)>,
    out: &mut [i64],
    start: usize,
) -> Result<()> {
    let n = out.len();
    wide.clear();
    wide.resize(n, 0);
    let at = || format!("journey[{start}]");
    match rule {
        Rule::First | Rule::Last | Rule::LastNonDirect => wide[single] = units,
        Rule::Linear => {
            let (each, extra) = (units / n as i128, units % n as i128);
            for (k, c) in wide.iter_mut().enumerate() {
                *c = each + i128::from((k as i128) < extra);
            }
        }
        Rule::Position(_) | Rule::Decay(_) => split(units, weights, wide, order, &at)?,
    }
    for (k, (&c, o)) in wide.iter().zip(out.iter_mut()).enumerate() {
        *o = i64::try_from(c).map_err(|_| Error::overflow(format!("revenue[{}]", start + k)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{split_fast, Totals};

    #[test]
    fn fast_splits_are_the_general_split() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |m: u64| {
            x = x.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29);
            x % m
        };
        let (mut rem, mut order, mut wide) = (Vec::new(), Vec::new(), Vec::new());
        // Every length the unrolled splits take and beyond, weights of a few units to decay's
        // 52 bits and sums on both sides of 2^62 (the 64-bit wrapping split), revenue on both
        // sides of 2^48 (its one-step correction) up to 2^50.
        for case in 0..30_000u64 {
            let n = 1 + (case % 20) as usize;
            let bits = [3, 20, 52, 59, 60, 61][(case / 20 % 6) as usize];
            let weights: Vec<u64> = (0..n).map(|_| next(1 << bits) + u64::from(case % 7 == 0)).collect();
            if weights.iter().all(|&w| w == 0) {
                continue;
            }
            let units = i128::from(next(1 << (10 + case % 41)));
            let mut out = vec![-1i64; n];
            if split_fast(units, &weights, None, &mut out, &mut rem).is_none() {
                continue; // beyond 64 bits: the general split's own
            }
            wide.clear();
            wide.resize(n, 0);
            super::split(units, &weights, &mut wide, &mut order, &String::new).unwrap();
            let want: Vec<i64> = wide.iter().map(|&c| c as i64).collect();
            assert_eq!(out, want, "{units} by {weights:?}");
        }
    }

    #[test]
    fn even_splits_by_multiplication_are_divisions() {
        let mut x = 0x6A09_E667_F3BC_C909u64;
        for n in 1..=20u64 {
            let mut values = vec![0, 1, n - 1, n, n + 1, (1 << 56) - 1, 1 << 56, u64::MAX, u64::MAX - 1];
            for m in [1u64 << 56, 1 << 50, 1 << 20] {
                values.push(m / n * n);
                values.push(m / n * n - 1);
            }
            for _ in 0..20_000 {
                x = x.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29);
                values.push(x >> (x % 64));
            }
            for t in values {
                assert_eq!(super::split_even(t, n), (t / n, t % n), "{t} / {n}");
            }
        }
    }

    /// The totals of `journeys` (converted, credits per touch by channel) written plainly.
    fn plain(channels: usize, journeys: &[(bool, Vec<(u32, i128)>)]) -> Vec<(i128, u64, u64, bool)> {
        let mut out = vec![(0i128, 0u64, 0u64, false); channels];
        for (converted, touches) in journeys {
            let mut counted = vec![false; channels];
            for &(c, credit) in touches {
                let line = &mut out[c as usize];
                line.3 = true;
                if *converted {
                    line.0 += credit;
                    line.1 += 1;
                    line.2 += u64::from(!counted[c as usize]);
                    counted[c as usize] = true;
                }
            }
        }
        out
    }

    #[test]
    fn lanes_add_up_as_plain_sums() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: u64| {
            x = x.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29);
            x % m
        };
        // 64 channels take the lanes, 65 the per-channel records, up to 10 count conversions
        // per set of channels; credits up to 2^62 flush the lanes every few journeys, and a
        // journey of 2^64 units or more bypasses them.
        for channels in [7usize, 10, 11, 64, 65] {
            let mut journeys = Vec::new();
            for j in 0..400 {
                let n = 1 + next(9) as usize;
                let big = j % 37 == 5;
                let touches: Vec<(u32, i128)> = (0..n)
                    .map(|_| {
                        let c = next(channels as u64) as u32;
                        let credit = if big { i128::from(u64::MAX) } else { i128::from(next(1 << (j % 63))) };
                        (c, credit)
                    })
                    .collect();
                journeys.push((next(4) != 0, touches));
            }
            let mut t = Totals::new(channels);
            for (j, (converted, touches)) in journeys.iter().enumerate() {
                let units: i128 = if *converted { touches.iter().map(|t| t.1).sum() } else { 0 };
                let chans: Vec<u32> = touches.iter().map(|t| t.0).collect();
                t.add(j, *converted, units, &chans, |k| touches[k].1);
            }
            t.flush();
            let got: Vec<_> = (0..channels)
                .map(|c| (t.channels[c].credit, t.channels[c].touches, t.channels[c].conversions, t.present(c)))
                .collect();
            assert_eq!(got, plain(channels, &journeys), "{channels} channels");
        }
    }
}
