//! The columnar loop's fast lane: integer amounts (or floats rounded to units), and every
//! placement through tables: a stage's month slot (`remaining_full`, `half_elapsed`), the
//! slot of each close day (`expected_close`), the slot of each day in stage per stage
//! (`actual`, up to the day from which every deal is overdue). Each deal's weighted amount is
//! summed as an integer (amount units × its stage's probability units) straight into a
//! group × month table of 24-byte cells, plus per stage label: 500 owners × 17 months fit the
//! L2 cache. Without a date to read (a stage's slot is its own), the rows' amounts and deals
//! are summed per group × stage label instead, 16-byte cells, and weighted once per cell. No branch depends on valid data: a row's checks end in one comparison (its cell
//! is one of the cells), choices are selects, sums wrap and are proven exact afterwards from
//! a bound on the amounts. Any row it
//! cannot take as is (a bad code, a negative amount, a date after `as_of`, a close date past
//! the table, an undated deal under `undated: error`) makes it give up, and the general loop
//! redoes the rows and reports the error; sums it cannot prove exact are redone with a check
//! per addition, and past 64 bits by the general loop. The report is the same either way,
//! only faster when all is well (bit-identical: `forecast_props` compares it with the record
//! path; `benches/examples/forecast_cpu` prints the weighted total of each bench workload).

use std::ops::Range;

use super::inputs::{DayAt, Days, Plain, StageCodes};
use super::sums::{Acc, Int, Tables};

/// How the loops read an amount column's values as integer units: in as few instructions
/// as the column's type allows, with no check per row. A valid amount's units are below
/// 2^[`Units::VALID_BITS`]; an invalid one's (negative, too large, not a number) have a bit
/// at or above it set, so that the units ORed over the rows (each loop's `bits`) say whether
/// every row was valid: [`Units::checked`] after each loop turns that into the top bit, the
/// mark [`unproven`] and the checked loop read.
pub(super) trait Units<A: Copy> {
    /// The bits a valid amount's units may use.
    const VALID_BITS: u32;

    /// `value`'s units (see the trait).
    fn of(&self, value: A) -> u64;

    /// `bits` (units ORed), its top bit set when some unit was invalid.
    #[inline]
    fn checked(&self, bits: u64) -> u64 {
        if bits >> Self::VALID_BITS == 0 {
            bits
        } else {
            bits | 1 << 63
        }
    }
}

/// Integer units as an `i64` holds them: a negative one keeps its sign bit, the mark.
#[derive(Clone, Copy)]
pub(super) struct WholeUnits;

impl Units<i64> for WholeUnits {
    const VALID_BITS: u32 = 63;

    #[inline]
    fn of(&self, value: i64) -> u64 {
        value as u64
    }
}

/// Where the deals of one stage label go.
#[derive(Clone, Copy)]
pub(super) struct KLane {
    /// A policy stage (else the row is an error).
    pub valid: bool,
    /// Won or lost: summed per stage only.
    pub closed: bool,
    /// The policy stage.
    pub stage: u32,
    /// Open, placement without dates: its month slot.
    pub slot: u32,
    /// Open, placed by a date, without one: its slot; [`BAD`] when undated deals are an
    /// error.
    pub undated: u32,
    /// Open, placed by a date: where its slots start in [`Dated::table`], and the last index
    /// it may read there (every later day lands where that one does).
    pub table: u32,
    pub last: u32,
    /// Its probability in integer units (see [`super::sums::probability_units`]); 0 closed.
    pub probability: u64,
}

/// [`KLane`] as the wrapping loop reads it (64 bytes: a code's lane is at `code << 6`). A
/// row's cell is `((group × stride + slot) & mask) + offset` (see [`KernelSums`]): its group's
/// cell of its slot (+ 1) when open, the dump (0) when closed, past the cells when the code
/// is no policy stage.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct FastLane {
    /// All ones open, 0 closed or invalid.
    mask: u64,
    /// Open: 1, plus the lane's slot when the loop reads no date; closed: 0; invalid:
    /// `u64::MAX`.
    offset: u64,
    probability: u64,
    undated: u32,
    table: u32,
    last: u32,
    /// Mode `QUOTA`: the lane reads the won slot of an entry of its own table (else the
    /// open one).
    won: bool,
    /// The policy stage.
    stage: u32,
}

/// Stage label codes the wrapping loop takes (the last lane stands for every code past
/// the labels); more labels take the checked loop.
const MAX_FAST_LANES: usize = 256;

/// `run_wrapping`'s modes: no date read, `expected_close` (every open lane reads the whole
/// table), `actual`, and `expected_close` with a quota's won lanes (the open lanes read one
/// span of the table and the won lanes another, both indexed from [`Kernel::day0`]: see
/// [`Kernel::won_cols`]).
/// `CLOSE_FAR` is `expected_close` with close dates past [`NEAR_DAYS`]: its table on the heap.
const UNDATED: u8 = 0;
const CLOSE: u8 = 1;
const ELAPSED: u8 = 2;
const QUOTA: u8 = 3;
const CLOSE_FAR: u8 = 4;
/// [`DaySlots::slot`]'s form of `QUOTA` for the dated by-code loop (see
/// [`DaySlots::halves`]).
const QUOTA_BY_CODE: u8 = 5;
/// `CLOSE` with [`Kernel::deferred`] (in the by-code loop: a loop of its own).
const CLOSE_DEFERRED: u8 = 6;

/// Mode `CLOSE`'s table of close days from `as_of` (11 years), on the stack: the loop reads
/// it at a fixed offset from the stack pointer with a constant last index, which leaves two
/// registers to the loop's own values (a column's start was spilled and reloaded per row).
const NEAR_DAYS: usize = 4096;

/// Mode `QUOTA` in the dated by-code loop: at most this many days from `day0` (to the latest
/// close day), each with two slots (the open span's and the won span's) in `close_or_code`.
const QUOTA_DAYS: usize = NEAR_DAYS / 2;

/// A stage code as the wrapping loop reads it: its lane's index. Every code that names no
/// label (-1, a missing stage, or one past the labels) lands on a lane past the labels, which
/// makes the row invalid.
trait LaneCode: Copy {
    /// The most labels whose codes [`LaneCode::lane`] keeps apart from the invalid ones.
    const MAX_LABELS: usize;
    /// Its lane, below [`MAX_FAST_LANES`].
    fn lane(self) -> usize;
    /// The code as unsigned, not clamped (a negative one huge): [`Kernel::run_wrapping_by_code`]'s
    /// column.
    fn column(self) -> u64;
}

impl LaneCode for i32 {
    const MAX_LABELS: usize = MAX_FAST_LANES - 1;

    /// Any code past the labels (-1 too: huge as unsigned) on the last lane.
    #[inline]
    fn lane(self) -> usize {
        (self as u32 as usize).min(MAX_FAST_LANES - 1)
    }

    #[inline]
    fn column(self) -> u64 {
        u64::from(self as u32)
    }
}

impl LaneCode for i8 {
    const MAX_LABELS: usize = 128;

    /// Its byte as unsigned: no clamp (a compare and a select a row fewer, and one register
    /// more for the loop); a negative code lands on lanes 128 to 255, past the labels when
    /// there are at most 128 (a pandas categorical's int8 codes have at most 127).
    #[inline]
    fn lane(self) -> usize {
        usize::from(self as u8)
    }

    #[inline]
    fn column(self) -> u64 {
        u64::from(self as u8)
    }
}

/// The most cells of a dated table by group × slot × stage code (see
/// [`Kernel::run_by_code_dated`]): 1 MB of 8-byte cells. With 16-byte cells, on the book
/// (`expected_close`, 17 months, 8 codes, 1,000,000 rows), by group × slot × code against by
/// group × slot: 20 teams (45 KB against 8.5) 0.5 ms faster, 50 and 100 owners (111 and 220
/// KB) 0.5-0.9, 200 owners (437 KB) 0.3-0.5 faster; 500 owners (1.1 MB against 204 KB) 1.2 ms
/// slower. With 8-byte cells, 500 owners (544 KB, past the former 512 KB limit), idle, in
/// turns: by owner 3.86-4.10 → 3.68-3.86 ms, won dated 3.77-3.95 → 3.42-3.57, the frame's
/// ticks 5.70-7.06 → 4.99-5.64 (201 page faults a call against 76: the table is mapped anew).
const BY_CODE_CELLS: usize = 1 << 17;

/// The most rows [`Kernel::run`] sums in one block. The dated by-code loop's 8-byte cells
/// count a block's deals in the bits above bit `s` (see [`Kernel::run_by_code_dated`]), so
/// the fewer the rows, the larger the amounts a cell holds: 2^20 keeps the book's 1,000,000
/// rows one block (s = 43: 8.8 × 10^12 units a cell), and makes 10,000,000 rows ten blocks
/// of as many rows each (in one, s = 39: 5.5 × 10^11 units, which a cell of the book by team
/// reaches; the group × slot loop then redid the rows). In unit tests 16, so that the
/// tests' tables take several blocks too.
const BLOCK_ROWS: usize = if cfg!(test) { 1 << 4 } else { 1 << 20 };

/// The tables a dated row's slot is read from (built once per call by
/// [`Kernel::run_wrapping`]; [`Kernel::run_by_code_dated`] reads a copy of them with every
/// slot shifted), and the step from a row's day to its slot that both dated loops take
/// ([`DaySlots::slot`]).
#[derive(Clone, Copy)]
struct DaySlots<'t> {
    /// `CLOSE_FAR`: the slot of each close day from `as_of` on, then the overdue slot (never
    /// empty).
    by_day: &'t [u32],
    /// `CLOSE`: the same in a table of fixed length (its last entry, `NEAR_DAYS - 1`, the
    /// overdue slot), then each label code's undated slot (`BAD` past the labels), so that a
    /// row's slot is one load from an index chosen by a select, not a select of two loads'
    /// addresses (in the by-code loop 35 → 32 instructions a row: by team 2.20-2.31 →
    /// 2.06-2.09 ms in turns, by owner −0.15).
    close_or_code: &'t [u32; NEAR_DAYS + MAX_FAST_LANES],
    /// `ELAPSED`: per label code a row `undated_col + 1` wide (a power of two): the slot of
    /// each day in stage, then the undated one. A row's entry is its code times that width
    /// plus its column: a multiplication by a value the loop reads as an operand (a table of
    /// each code's row start took a register for its address, and the loop reloaded one
    /// more value a row: actual 2.75-3.02 → 2.54-2.78 ms in turns; a clamp and a shift by a
    /// register before that, 2.50-2.53 → 2.42-2.44 on another day's host).
    by_code_day: &'t [u32],
    undated_col: u64,
    /// `QUOTA`: per day from `day0`, the open span's slot and the won span's, then index 0's
    /// (never empty).
    pairs: &'t [[u32; 2]],
    /// `QUOTA` in the dated by-code loop (`QUOTA_BY_CODE`): per code, where its half of
    /// `close_or_code`'s first `NEAR_DAYS` entries starts: `QUOTA_DAYS` for a won lane, whose
    /// rows read the second half (the won span's slot of each day from `day0`), 0 for the open
    /// lanes (the open span's); each half continued to its end with the entry for earlier days
    /// and none (index 0's). The offset itself, not a flag: one load and an add a row, where a
    /// byte masked and shifted took four instructions and a spilled register (book by owner
    /// with quota, the loop alone in turns: 3.85-3.86 → 3.56-3.68 ms).
    halves: &'t [u32; MAX_FAST_LANES],
    as_of_days: i64,
    day0: i64,
}

/// `ELAPSED`: the most days in stage a row of a valid entry date has (one on the first day
/// of the year 1). The loops OR every dated row's days in stage (wrapping: an entry date
/// after `as_of` is huge) and give up when the OR is past this bound, so that they check
/// the entry dates as they read them; the rows' dates need no pass of their own first (a
/// sufficient test: an OR past it with every row valid, which no real book's dates make,
/// takes the general loop, after the dates' own check).
fn elapsed_limit(as_of_days: i64) -> u64 {
    as_of_days.saturating_sub(crate::wire::MIN_EPOCH_DAY).max(0) as u64
}

impl DaySlots<'_> {
    /// The slot of a row of stage code `code` (below [`MAX_FAST_LANES`]) in mode `MODE`
    /// (dated), from its day `d` or none, given its lane's undated slot and whether it is a
    /// won lane (see [`FastLane::won`]; modes `QUOTA` and `CLOSE_FAR` read them); `None`
    /// when its code has no row in `actual`'s table (invalid). Dates are within the years 1
    /// to 9999 (checked; under `ELAPSED` by the loop: `seen` receives the row's days in stage,
    /// see [`elapsed_limit`]); none gives some day, whose slot is then the undated one.
    #[inline]
    fn slot<const MODE: u8>(
        &self,
        (d, none): (i64, bool),
        code: usize,
        (undated, won): (u32, bool),
        seen: &mut u64,
    ) -> Option<u32> {
        let code = code & (MAX_FAST_LANES - 1);
        if MODE == ELAPSED {
            // Days in stage (never negative in a valid row), the last day's column for any
            // later day; none: the code's undated column.
            let elapsed = self.as_of_days.wrapping_sub(d) as u64;
            *seen |= if none { 0 } else { elapsed };
            let col = if none { self.undated_col } else { elapsed.min(self.undated_col - 1) };
            // The code's row: `code` rows of `undated_col + 1` in (past the table for a code
            // past the labels; in 64 bits, so that no product wraps on wasm32 either).
            let at = code as u64 * (self.undated_col + 1) + col;
            return self.by_code_day.get(usize::try_from(at).unwrap_or(usize::MAX)).copied();
        }
        if MODE == QUOTA_BY_CODE {
            // Days from `day0` in the code's half; earlier ones and none: huge, the half's
            // last entry; none: the code's undated slot. A select, not a branch on "dated?"
            // (LLVM's choice here otherwise: mispredicted for about one row in three).
            let i = d.wrapping_sub(self.day0) as u64;
            let dated = self.halves[code] as usize + i.min(QUOTA_DAYS as u64 - 1) as usize;
            return Some(self.close_or_code[std::hint::select_unpredictable(none, NEAR_DAYS + code, dated)]);
        }
        if MODE == CLOSE {
            // Days after as_of; overdue (negative: huge) the last day's entry; none the code's.
            let t = d.wrapping_sub(self.as_of_days) as u64;
            let by_code = NEAR_DAYS + code;
            return Some(self.close_or_code[if none { by_code } else { t.min(NEAR_DAYS as u64 - 1) as usize }]);
        }
        let by_date = if MODE == QUOTA {
            // Days from `day0` (see `Kernel::day0`); earlier ones and none: huge, the last
            // entry (index 0's).
            let i = d.wrapping_sub(self.day0) as u64;
            self.pairs[i.min(self.pairs.len() as u64 - 1) as usize][usize::from(won)]
        } else {
            // (`CLOSE_FAR`.) Days after as_of; overdue (negative) and none: huge, the last
            // entry.
            let t = d.wrapping_sub(self.as_of_days) as u64;
            self.by_day[t.min(self.by_day.len() as u64 - 1) as usize]
        };
        Some(if none { undated } else { by_date })
    }
}

/// A slot no row may use.
pub(super) const BAD: u32 = u32::MAX;

/// The date column the placement reads, and the slot of each day.
pub(super) struct Dated<'a> {
    /// Per row: its day (checked to be within the years 1 to 9999), or none.
    pub days: Days<'a>,
    /// Slots: a lane reads `table[lane.table + index.clamp(0, lane.last)]`, where the index
    /// is, under `expected_close`, the days from [`Kernel::day0`] to the close date, and
    /// under `actual`, the days since the deal entered its stage (negative: an error).
    pub table: Vec<u32>,
    /// `actual`: the index counts days in stage.
    pub elapsed: bool,
    /// The latest day in `days`, `None` when no row has one.
    pub latest: Option<i64>,
}

/// The loop's invariants.
pub(super) struct Kernel<'a> {
    pub stage: StageCodes<'a>,
    pub lanes: Vec<KLane>,
    /// Placements `expected_close` and `actual`: the dates and their slots.
    pub dated: Option<Dated<'a>>,
    pub as_of_days: i64,
    /// Placement `expected_close`: the day of index 0 in every lane's span of
    /// [`Dated::table`]. The day before `as_of` (index 0: overdue, 1 + d: d days after
    /// `as_of`), or with a quota's won lanes the first day of their span, so that one index
    /// serves every lane (an open lane's span then starts with as many more overdue slots).
    pub day0: i64,
    pub n_slots: usize,
    pub n_groups: usize,
    pub n_stages: usize,
    /// Placement `expected_close` for a quota: besides its `n_slots` month slots, each
    /// group's row of cells has this many more, where the won lanes (not closed, their span
    /// in [`Dated::table`]) sum their deals per period back from `as_of`'s,
    /// the last one for those closed before the table (see [`KernelSums::won`]). 0: none.
    pub won_cols: usize,
    /// Placement `expected_close` with the close dates not checked before the loop (a pass
    /// over 8 MB of `i64` days for 1,000,000 rows, 0.3-0.45 ms): `Some(fixed)`, the furthest
    /// month slot a deal lands in without its close date (undated or overdue). `n_slots` is
    /// then provisional: the months up to the close table's end ([`deferred_slots`] and
    /// [`DEFERRED_DAYS`] at most), the last of them the unscheduled slot. The by-code loop
    /// reads the close table from [`DEFERRED_BACK`] days before `as_of`, so that any day it
    /// does not hold (one before the year 1 among them) ends the loop as an invalid row does;
    /// the months the rows reach are then read off its cells (the later of `fixed` and the
    /// latest close day's, as [`super::phasing::Placer::max_offset`] gives them), and its sums
    /// come in the report's own shape ([`KernelSums::months`]). Any other form of the loop
    /// gives up: the caller then checks the dates and reads the rows again.
    pub deferred: Option<u32>,
}

/// The most month slots (the unscheduled one included) a [`Kernel::deferred`] table of
/// `n_groups` groups and `labels` stage labels may have: its cells, slot by slot, are at most
/// [`BY_CODE_CELLS`], and its close days within `CLOSE`'s table.
pub(super) fn deferred_slots(n_groups: usize, labels: usize) -> usize {
    BY_CODE_CELLS / n_groups.max(1).saturating_mul(labels.max(1).next_power_of_two())
}

/// Days before `as_of` whose close dates a [`Kernel::deferred`] table holds (the overdue
/// slot; an earlier one makes the loop give up: 5.6 years back).
const DEFERRED_BACK: i64 = 2048;

/// The most days after `as_of` a [`Kernel::deferred`] close table may cover (`CLOSE`'s table
/// on the stack, after the days before `as_of`; its last entry for every other day).
pub(super) const DEFERRED_DAYS: i64 = NEAR_DAYS as i64 - 3 - DEFERRED_BACK;

/// The most rows a [`Kernel::deferred`] loop takes: one block (its months are found per
/// block, so that blocks' sums would not merge).
pub(super) const DEFERRED_ROWS: usize = BLOCK_ROWS;

/// Exact sums of one cell, in integer units.
#[derive(Clone, Copy, Default)]
pub(super) struct KCell {
    amount: u64,
    weighted: u64,
    deals: u64,
}

impl KCell {
    #[inline]
    fn add(&mut self, amount: u64, weighted: u64) -> bool {
        let (a, x) = self.amount.overflowing_add(amount);
        let (w, y) = self.weighted.overflowing_add(weighted);
        *self = KCell { amount: a, weighted: w, deals: self.deals + 1 };
        !(x | y)
    }

    /// Adds sums proven not to overflow.
    fn add_exact(&mut self, other: &KCell) {
        self.amount += other.amount;
        self.weighted += other.weighted;
        self.deals += other.deals;
    }

    fn merge(&mut self, other: &KCell) -> Option<()> {
        self.amount = self.amount.checked_add(other.amount)?;
        self.weighted = self.weighted.checked_add(other.weighted)?;
        self.deals = self.deals.checked_add(other.deals)?;
        Some(())
    }

    fn int(self) -> Int {
        Int { deals: self.deals, amount: i128::from(self.amount), weighted: i128::from(self.weighted) }
    }
}

/// What the fast lane sums: group × slot cells, after one for closed deals (the dump, cell
/// 0), and per policy stage.
pub(super) struct KernelSums {
    cells: Vec<KCell>,
    stages: Vec<KCell>,
    /// Cells per group: the month slots, then the won columns.
    stride: usize,
}

impl KernelSums {
    /// Month slots per group (the unscheduled one included), besides the won columns.
    pub fn months(&self, won_cols: usize) -> usize {
        self.stride - won_cols
    }

    /// Adds another thread's share.
    pub fn merge(&mut self, other: &KernelSums) -> Option<()> {
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells).chain(self.stages.iter_mut().zip(&other.stages)) {
            mine.merge(theirs)?;
        }
        Some(())
    }

    /// The sums of `parts` (a thread's or a block's rows each) merged; `None` when a part is
    /// `None`, a sum passes 64 bits, or there is no part.
    pub fn merged(parts: impl IntoIterator<Item = Option<KernelSums>>) -> Option<KernelSums> {
        let mut parts = parts.into_iter();
        let mut total = parts.next()??;
        for part in parts {
            total.merge(&part?)?;
        }
        Some(total)
    }

    /// The report's tables (amount units at `scale`, weighted at `w_scale`), and the closed
    /// stages' (deals, amount units); `None` when a figure does not fit a `Decimal` exactly.
    pub fn tables(
        &self,
        open: &[usize],
        scale: u32,
        w_scale: u32,
        n_slots: usize,
    ) -> Option<(Tables, Vec<(u64, i128)>)> {
        let n_groups = (self.cells.len() - 1) / self.stride;
        let mut by_slot = vec![Int::default(); n_slots];
        let mut by_group = vec![Int::default(); n_groups];
        let mut group_slots: Vec<Vec<(usize, Acc)>> = vec![Vec::new(); n_groups];
        for (g, row) in self.cells[1..].chunks_exact(self.stride).enumerate() {
            for (slot, cell) in row[..n_slots].iter().enumerate().filter(|(_, c)| c.deals > 0) {
                let sums = cell.int();
                by_slot[slot].add(&sums)?;
                by_group[g].add(&sums)?;
                group_slots[g].push((slot, sums.acc(scale, w_scale)?));
            }
        }
        let mut by_stage = vec![Acc::default(); self.stages.len()];
        let mut closed = vec![(0, 0); self.stages.len()];
        for (s, cell) in self.stages.iter().enumerate() {
            if open.contains(&s) {
                by_stage[s] = cell.int().acc(scale, w_scale)?;
            } else {
                closed[s] = (cell.deals, i128::from(cell.amount));
            }
        }
        let tables = Tables {
            by_stage,
            by_slot: by_slot.iter().map(|x| x.acc(scale, w_scale)).collect::<Option<_>>()?,
            by_group: by_group.iter().map(|x| x.acc(scale, w_scale)).collect::<Option<_>>()?,
            group_slots,
        };
        Some((tables, closed))
    }

    /// The won columns' sums after the `n_slots` month slots of each group (see
    /// [`Kernel::won_cols`]): `f(group, column, deals, amount units)` for each cell holding
    /// deals, by group, then column.
    pub fn won(&self, n_slots: usize, mut f: impl FnMut(usize, usize, u64, u64)) {
        for (g, row) in self.cells[1..].chunks_exact(self.stride).enumerate() {
            for (col, cell) in row[n_slots..].iter().enumerate().filter(|(_, c)| c.deals > 0) {
                f(g, col, cell.deals, cell.amount);
            }
        }
    }
}

impl Kernel<'_> {
    /// The sums of `rows`, or `None` when some row needs the general loop. Row `i`'s group
    /// is `group(groups[i])` (`n_groups` or more when invalid: a `u32`), its amount
    /// `units.of(amounts[i])` (see [`Units`]: an invalid amount's units have a bit at or
    /// above [`Units::VALID_BITS`] set).
    ///
    /// The loop adds with wrapping arithmetic and no per-row overflow check: it ORs the
    /// units together instead, and afterwards proves from that bound (every unit below the
    /// next power of two, times the rows) and from the exact total (times the largest
    /// probability) that no sum can have wrapped. Only when the proof fails does it redo
    /// the rows with a check per addition ([`Kernel::run_checked`]).
    ///
    /// More than [`BLOCK_ROWS`] rows go in blocks of as many rows each, whose sums are merged
    /// (checked: past 64 bits, the general loop).
    #[inline]
    pub fn run<A: Copy, G: Copy>(
        &self,
        rows: Range<usize>,
        (amounts, units): (&[A], impl Units<A>),
        (groups, group): (&[G], impl Fn(G) -> u32),
    ) -> Option<KernelSums> {
        let blocks = rows.len().div_ceil(BLOCK_ROWS);
        if blocks <= 1 {
            return self.run_block(rows, (amounts, &units), (groups, &group));
        }
        let size = rows.len().div_ceil(blocks);
        let block =
            |start: usize| self.run_block(start..rows.end.min(start + size), (amounts, &units), (groups, &group));
        KernelSums::merged(rows.clone().step_by(size).map(block))
    }

    /// [`Kernel::run`] over one block of rows.
    #[inline]
    fn run_block<A: Copy, G: Copy>(
        &self,
        rows: Range<usize>,
        (amounts, units): (&[A], &impl Units<A>),
        (groups, group): (&[G], &impl Fn(G) -> u32),
    ) -> Option<KernelSums> {
        let (amount, key) = ((&amounts[rows.clone()], units), (&groups[rows.clone()], group));
        // (Entry dates after as_of are refused before: the caller takes the general loop.)
        let sums = if self.lanes.len() >= MAX_FAST_LANES {
            Wrapping::Unproven
        } else {
            match self.stage {
                StageCodes::I8(stage) => self.run_codes(&stage[rows.clone()], rows.clone(), amount, key),
                StageCodes::I32(stage) => self.run_codes(&stage[rows.clone()], rows.clone(), amount, key),
            }
        };
        match sums {
            Wrapping::Exact(sums) => Some(sums),
            Wrapping::Invalid => None,
            Wrapping::Unproven => {
                self.run_checked(rows, |i| group(groups[i]) as usize, |i| units.checked(units.of(amounts[i])))
            }
        }
    }

    /// [`Kernel::run_wrapping`] over the stage codes of `rows` (`stage`, sliced to them) in
    /// their own width.
    #[inline]
    fn run_codes<S: LaneCode, A: Copy, G: Copy>(
        &self,
        stage: &[S],
        rows: Range<usize>,
        amount: (&[A], &impl Units<A>),
        key: (&[G], &impl Fn(G) -> u32),
    ) -> Wrapping {
        // More labels than this code width's lanes keep apart: the checked loop.
        if self.lanes.len() > S::MAX_LABELS {
            return Wrapping::Unproven;
        }
        match &self.dated {
            Some(d) => match d.days {
                Days::Plain(days) => self.dated_run(stage, rows, (days, d), amount, key),
                Days::Wide(days) => self.dated_run(stage, rows, (days, d), amount, key),
                Days::Narrow(days) => self.dated_run(stage, rows, (days, d), amount, key),
            },
            None => self.run_wrapping_by_code(stage, amount, key).unwrap_or_else(|| {
                self.run_wrapping::<UNDATED, _, _, _, _>(stage, (None::<Plain>, &[], None), amount, key)
            }),
        }
    }

    /// [`Kernel::run_wrapping`] over the dated column `days`.
    #[inline]
    fn dated_run<S: LaneCode, D: DayAt, A: Copy, G: Copy>(
        &self,
        stage: &[S],
        rows: Range<usize>,
        (days, dated): (D, &Dated),
        amount: (&[A], &impl Units<A>),
        key: (&[G], &impl Fn(G) -> u32),
    ) -> Wrapping {
        let days = Some(days.cut(rows));
        if dated.elapsed {
            self.run_wrapping::<ELAPSED, _, _, _, _>(stage, (days, &dated.table, dated.latest), amount, key)
        } else if self.won_cols > 0 {
            self.run_wrapping::<QUOTA, _, _, _, _>(stage, (days, &dated.table, dated.latest), amount, key)
        } else if dated.table.len() <= NEAR_DAYS + 1 {
            self.run_wrapping::<CLOSE, _, _, _, _>(stage, (days, &dated.table, dated.latest), amount, key)
        } else {
            self.run_wrapping::<CLOSE_FAR, _, _, _, _>(stage, (days, &dated.table, dated.latest), amount, key)
        }
    }

    /// The loop itself, monomorphised by which date columns it reads; every column sliced
    /// to `rows` already (no bounds check per row). Never inlined: each form (placement mode
    /// × day reader × group reader) is a function of its own, chosen once per call (and
    /// scripts/wasm.sh keeps wasm-opt from inlining them back). Inlined, the up to 35 forms
    /// made `Pass::kernel_rows` one huge function that V8 compiled to slower code: 2-5 ms more
    /// per `forecastColumns` call on 1,000,000 deals in every workload (measured in Node).
    #[inline(never)]
    #[allow(clippy::needless_bitwise_bool)] // no branch per row: `&` and `|` on purpose
    fn run_wrapping<const MODE: u8, S: LaneCode, D: DayAt, A: Copy, G: Copy>(
        &self,
        stage: &[S],
        (days, slots, latest): (Option<D>, &[u32], Option<i64>),
        (amounts, units): (&[A], &impl Units<A>),
        (groups, group): (&[G], &impl Fn(G) -> u32),
    ) -> Wrapping {
        // Close dates not checked yet: only the by-code loop below reads them as it must.
        if self.deferred.is_some() && MODE != CLOSE {
            return Wrapping::Invalid;
        }
        // A group's row of cells: its month slots, and in mode `QUOTA` its won columns.
        let stride = if MODE == QUOTA { self.n_slots + self.won_cols } else { self.n_slots };
        // The dump (cell 0), then each group's row. Fewer than 2^32 cells (checked): a cell
        // index, group × stride + slot (+ 1) in 64 bits, never wraps (a group and a slot are
        // `u32`s), also where `usize` has 32 bits (wasm32).
        let Some(n_cells) = self.n_groups.checked_mul(stride).and_then(|c| c.checked_add(1)) else {
            return Wrapping::Invalid;
        };
        if self.n_groups == 0 || n_cells > BAD as usize {
            return Wrapping::Invalid;
        }
        let mut cells = vec![KCell::default(); n_cells];
        let cells_in = cells.as_mut_slice();
        // Per stage label code (the amounts and deals; weighted = amount × probability);
        // codes past the labels share the last entry. Two arrays, not one of pairs: the
        // compiler then adds to each with one instruction instead of pairing them in a vector
        // register (5 instructions a row).
        let (mut stage_units, mut stage_deals) = ([0u64; MAX_FAST_LANES], [0u64; MAX_FAST_LANES]);
        // Per code, and for codes past the labels (as a missing stage): see [`FastLane`].
        let invalid = FastLane {
            mask: 0,
            offset: u64::MAX,
            probability: 0,
            undated: BAD,
            table: 0,
            last: 0,
            won: false,
            stage: 0,
        };
        let mut lanes = [invalid; MAX_FAST_LANES];
        for (fast, l) in lanes.iter_mut().zip(&self.lanes) {
            let open = 1 + if MODE == UNDATED { u64::from(l.slot) } else { 0 };
            *fast = FastLane {
                mask: if l.closed || !l.valid { 0 } else { u64::MAX },
                offset: if !l.valid {
                    u64::MAX
                } else if l.closed {
                    0
                } else {
                    open
                },
                probability: l.probability,
                undated: l.undated,
                table: l.table,
                last: l.last,
                won: false,
                stage: l.stage,
            };
        }
        // Every lane's slots within the table (else nothing is read there).
        if MODE != UNDATED
            && (slots.is_empty() || lanes.iter().any(|l| l.table as usize + l.last as usize >= slots.len()))
        {
            return Wrapping::Invalid;
        }
        // `expected_close` with a quota's won lanes: the open lanes share one span of the table
        // and the won lanes another (see `Kernel::day0`), and the loop reads both from one
        // table indexed as `CLOSE`'s below: entry `i` (the day `day0 + i`) holds the open
        // span's slot of that day and the won span's, and a lane takes the one of its span
        // (`FastLane::won`); after the days up to the latest close day, the entry of
        // index 0, for earlier days (negative: huge as unsigned). No lane's start, last
        // index, clamp or bounds check per row. A slot, not a half of a `u64` taken by a
        // shift: the undated rows' choice stays a select of two loads, which compiles to one
        // load from a selected address; with the shift after the load it became a branch on
        // "dated?", mispredicted for about one row in three (+0.5 ms on 1,000,000 rows).
        let pairs: Vec<[u32; 2]> = if MODE == QUOTA {
            let mut spans: Vec<(u32, u32)> = Vec::with_capacity(2);
            for l in self.lanes.iter().filter(|l| l.valid && !l.closed) {
                if !spans.contains(&(l.table, l.last)) {
                    spans.push((l.table, l.last));
                }
            }
            let (open, won) = match spans[..] {
                [] => ((0, 0), (0, 0)),
                [a] => (a, a),
                [a, b] => (a, b),
                _ => return Wrapping::Invalid,
            };
            for (fast, l) in lanes.iter_mut().zip(&self.lanes) {
                fast.won = l.valid && !l.closed && (l.table, l.last) != open;
            }
            // Each span's slots are within the table (checked above).
            let last = open.1.max(won.1);
            if latest.is_some_and(|d| d.saturating_sub(self.day0) > i64::from(last)) {
                return Wrapping::Invalid;
            }
            let at = |(start, end): (u32, u32), i: u32| slots[start as usize + i.min(end) as usize];
            let entry = |i: u32| [at(open, i), at(won, i)];
            (0..=last).map(entry).chain([entry(0)]).collect()
        } else {
            Vec::new()
        };
        // Never empty, so that the clamped index is below its length without a bounds check
        // per row.
        let pairs: &[[u32; 2]] = if pairs.is_empty() { &[[BAD; 2]] } else { &pairs };
        // `expected_close`: every open lane's span is the whole table (the slot of each close
        // day), so the loop reads it without the lane's start and last index (two loads and
        // an add per row fewer, where registers are short). Closed lanes' slots are not used.
        let close = MODE == CLOSE || MODE == CLOSE_FAR;
        let whole = slots.len().saturating_sub(1);
        if close && self.lanes.iter().any(|l| l.valid && !l.closed && (l.table != 0 || l.last as usize != whole)) {
            return Wrapping::Invalid;
        }
        // `expected_close`: the table from `as_of` on, then the overdue slot (index 0), so
        // that one unsigned minimum indexes it: a close day `t` days after as_of reads entry
        // `t`, an earlier one (negative: huge unsigned) the last. Only when it covers every
        // close day (the table's last entry, `BAD`, is for days past it; such rows take the
        // general loop, which refuses those open deals).
        let by_day: Vec<u32> = if close {
            if latest.is_some_and(|d| d.saturating_sub(self.as_of_days) > whole as i64 - 2) {
                return Wrapping::Invalid;
            }
            let Some(ahead) = slots.get(1..whole) else { return Wrapping::Invalid };
            ahead.iter().chain(&slots[..1]).copied().collect()
        } else {
            Vec::new()
        };
        // `CLOSE`: the same on the stack, its last entry the overdue slot (the entries between
        // are never read: no close day reaches them), then each code's undated slot (see
        // `DaySlots::close_or_code`); the heap's freed.
        #[allow(clippy::large_stack_arrays)] // 17 KB on the stack on purpose: fixed offsets
        let mut close_or_code = [BAD; NEAR_DAYS + MAX_FAST_LANES];
        let by_day = if MODE == CLOSE {
            let Some((&overdue, ahead)) = by_day.split_last() else { return Wrapping::Invalid };
            let Some(to) = close_or_code.get_mut(..ahead.len()).filter(|_| ahead.len() < NEAR_DAYS) else {
                return Wrapping::Invalid;
            };
            to.copy_from_slice(ahead);
            close_or_code[NEAR_DAYS - 1] = overdue;
            for (to, lane) in close_or_code[NEAR_DAYS..].iter_mut().zip(&lanes) {
                *to = lane.undated;
            }
            Vec::new()
        } else {
            by_day
        };
        // Never empty, so that the clamped index is below its length without a bounds check
        // per row.
        let by_day: &[u32] = if by_day.is_empty() { &[BAD] } else { &by_day };
        // `actual`: entry dates are on or before as_of (else the general loop reports the
        // first one after), so a day in stage is never negative.
        if MODE == ELAPSED && latest.is_some_and(|d| d > self.as_of_days) {
            return Wrapping::Invalid;
        }
        // `actual`: each label code's slots in a row of its own, all rows one power of two
        // wide: its span (its last slot repeated to the row's end), then its undated slot,
        // so that a row's entry is `code × width + column`, read without the lane's start
        // and last index (two loads and an add in each row's chain of dependent loads). Codes
        // past the labels are past the rows (an invalid row, as their lane makes it).
        let (by_code_day, undated_col) = if MODE == ELAPSED {
            let widest = self.lanes.iter().map(|l| (l.last as usize).saturating_add(2)).max().unwrap_or(2);
            let Some(width) = widest.checked_next_power_of_two() else {
                return Wrapping::Invalid;
            };
            // Built per call: no larger than the rows it serves (else the general loop).
            let entries = self.lanes.len().saturating_mul(width);
            if entries > stage.len().max(1 << 14) {
                return Wrapping::Invalid;
            }
            let mut table = Vec::with_capacity(entries);
            for l in &self.lanes {
                let span = |j: usize| slots.get(l.table as usize + j.min(l.last as usize)).copied().unwrap_or(BAD);
                table.extend((0..width - 1).map(span));
                table.push(l.undated);
            }
            (table, width as u64 - 1)
        } else {
            (Vec::new(), 1)
        };
        // An open deal's cell (1 + group × stride + slot) is valid when it is one of the cells:
        // every slot a lane or the table gives is below the stride or `BAD` (checked here), so
        // that one comparison checks both the group and the slot.
        let slot_ok = |&s: &u32| (s as usize) < stride || s == BAD;
        if !slots.iter().all(slot_ok)
            || !self.lanes.iter().all(|l| l.closed || (slot_ok(&l.slot) && slot_ok(&l.undated)))
        {
            return Wrapping::Invalid;
        }
        // (Locals: `self` is not read in the loop nor after it, so that no register keeps it
        // or its lanes' start and length through the loop, as one did: the loop's own values
        // were spilled and reloaded per row instead.)
        let day_slots = DaySlots {
            by_day,
            close_or_code: &close_or_code,
            by_code_day: &by_code_day,
            undated_col,
            pairs,
            halves: &[0; MAX_FAST_LANES],
            as_of_days: self.as_of_days,
            day0: self.day0,
        };
        let (mut bits, mut seen) = (0u64, 0u64);
        let n = stage.len();
        let (amounts, groups) = (&amounts[..n], &groups[..n]);
        // Sliced to `rows` (by `dated_run`): its length is `n`.
        let days = days.unwrap_or_default();
        if MODE != UNDATED && days.len() != n {
            return Wrapping::Invalid;
        }
        // `expected_close` and `actual` with few enough cells: by group × slot × stage code
        // (see `run_by_code_dated`).
        let width = self.lanes.len().max(1).next_power_of_two();
        // (Also in WebAssembly since its 8-byte cells: by team in Node, columns read in place,
        // 4.6-5.5 → 3.4-4.3 ms; with 16-byte cells V8's code of it had been slower there.)
        // `QUOTA`: a won lane's periods go to its own code's slot cells (as many slots as won
        // columns at least: see `run_by_code_dated`), a group's row as wide as without them.
        let by_code = close
            || MODE == ELAPSED
            || (MODE == QUOTA && self.won_cols <= self.n_slots && day_slots.pairs.len() <= QUOTA_DAYS);
        let by_code_cells = if MODE == QUOTA { self.n_groups * self.n_slots } else { n_cells - 1 };
        if by_code && by_code_cells.saturating_mul(width) <= BY_CODE_CELLS {
            // Sums it cannot prove exact: the group × slot loop's own proof.
            let args = ((days, day_slots, &lanes), (by_code_cells, width), (amounts, units), (groups, group));
            let sums = if self.deferred.is_some() {
                self.run_by_code_dated::<CLOSE_DEFERRED, _, _, _, _>(stage, args.0, args.1, args.2, args.3)
            } else {
                self.run_by_code_dated::<MODE, _, _, _, _>(stage, args.0, args.1, args.2, args.3)
            };
            match sums {
                Wrapping::Unproven => {}
                done => return done,
            }
        }
        // (Nor does the group × slot loop take unchecked close dates.)
        if self.deferred.is_some() {
            return Wrapping::Invalid;
        }
        // No branch depends on valid data: a row's checks end in its cell's index (an invalid
        // row's is past the cells: the loop stops there), choices are selects of values both
        // computed (a branch on "dated?" or "closed?" mispredicted about one row in three:
        // ~40 % of the loop's time, measured). The loop is bound by its instructions per row
        // (the cells' cache misses overlap): each one counts.
        for k in 0..n {
            // -1 (a missing stage) becomes huge, as any code past the labels: the last lane.
            let code = stage[k].lane();
            let lane = &lanes[code];
            let units = units.of(amounts[k]);
            bits |= units;
            let weighted = units.wrapping_mul(lane.probability);
            // Past the last group (invalid): its cell is past the last.
            let row = u64::from(group(groups[k])) * stride as u64;
            let at = if MODE == UNDATED {
                (row & lane.mask).wrapping_add(lane.offset)
            } else {
                let (d, none, _) = days.at(k);
                let Some(slot) = day_slots.slot::<MODE>((d, none), code, (lane.undated, lane.won), &mut seen) else {
                    return Wrapping::Invalid;
                };
                ((row + u64::from(slot)) & lane.mask).wrapping_add(lane.offset)
            };
            // Past the last cell: an invalid row, the general loop redoes the rows. (One
            // compare and a branch never taken on valid rows, where a clamped index ORed into
            // an error flag took 8 instructions a row.)
            let Some(cell) = cells_in.get_mut(usize::try_from(at).unwrap_or(usize::MAX)) else {
                return Wrapping::Invalid;
            };
            cell.amount = cell.amount.wrapping_add(units);
            cell.weighted = cell.weighted.wrapping_add(weighted);
            cell.deals += 1;
            stage_units[code] = stage_units[code].wrapping_add(units);
            stage_deals[code] += 1;
        }
        let total = || stage_units.iter().map(|&s| u128::from(s)).sum();
        // (From the loop's own lanes: see above.)
        let max_p = lanes.iter().map(|l| l.probability).max().unwrap_or(0);
        if MODE == ELAPSED && seen > elapsed_limit(self.as_of_days) {
            return Wrapping::Invalid;
        }
        if let Some(stop) = unproven(units.checked(bits), n, total, max_p) {
            return stop;
        }
        // Per policy stage, from the codes' sums (exact: each fits, as their total does).
        let mut by_stage = vec![KCell::default(); self.n_stages];
        // Only valid lanes' codes hold deals here (any other row ended the loop).
        for (lane, s) in lanes.iter().zip(stage_units.iter().zip(&stage_deals)) {
            if *s.1 > 0 {
                by_stage[lane.stage as usize].add_exact(&KCell {
                    amount: *s.0,
                    weighted: s.0 * lane.probability,
                    deals: *s.1,
                });
            }
        }
        Wrapping::Exact(KernelSums { cells, stages: by_stage, stride })
    }

    /// Modes `CLOSE`, `CLOSE_FAR` and `ELAPSED` with few enough cells (`n_cells`, group ×
    /// slot, times `width` at most [`BY_CODE_CELLS`]): amounts and deals summed per group ×
    /// slot × stage code, weighted once per cell afterwards (see [`Kernel::fold_by_code`]):
    /// two additions a row, no multiplication, mask or per-code sums. A row's slot comes from
    /// its day as in the group × slot loop ([`DaySlots::slot`]). A code past the lanes reads
    /// some lane (its row is found invalid after the loop); a closed lane's slot is a valid
    /// one (its undated slot 0, a close day's in the table; under `actual` the table's first,
    /// else `BAD`: the general loop then), so its deals land in a cell of their own code. (A
    /// group (a `u32`) times its row of at most 2^17 cells, plus a slot and a code (each a
    /// `u32`), is below 2^50: no wrap.)
    #[inline]
    fn run_by_code_dated<const MODE: u8, S: LaneCode, D: DayAt, A: Copy, G: Copy>(
        &self,
        stage: &[S],
        (days, day_slots, lanes): (D, DaySlots, &[FastLane; MAX_FAST_LANES]),
        (n_cells, width): (usize, usize),
        (amounts, units): (&[A], &impl Units<A>),
        (groups, group): (&[G], &impl Fn(G) -> u32),
    ) -> Wrapping {
        let shift = width.trailing_zeros();
        // A row's cell is group × (stride << shift) + (slot << shift) + code: every slot the
        // loop reads is shifted here, once (`BAD` stays `BAD`, past every cell), not per row
        // (a shift by a register: three instructions a row, and one register fewer).
        let stride = (self.n_slots as u64) << shift;
        let wide = |s: u32| if s == BAD { BAD } else { s << shift };
        let deferred = self.deferred.filter(|_| MODE == CLOSE_DEFERRED);
        let n = stage.len();
        if days.len() != n {
            return Wrapping::Invalid;
        }
        // Every slot shifted, at fixed offsets from the stack pointer where the loop reads
        // them (no register of their own): `CLOSE`'s table of close days and codes, and each
        // code's undated slot (past the labels: `BAD`); on the heap, `CLOSE_FAR`'s and
        // `ELAPSED`'s tables.
        #[allow(clippy::large_stack_arrays)] // 17 KB on the stack on purpose: fixed offsets
        let close_or_code = if MODE == CLOSE || MODE == CLOSE_DEFERRED {
            day_slots.close_or_code.map(wide)
        } else {
            [BAD; NEAR_DAYS + MAX_FAST_LANES]
        };
        let by_day: Vec<u32> =
            if MODE == CLOSE_FAR { day_slots.by_day.iter().map(|&s| wide(s)).collect() } else { Vec::new() };
        let by_code_day: Vec<u32> =
            if MODE == ELAPSED { day_slots.by_code_day.iter().map(|&s| wide(s)).collect() } else { Vec::new() };
        let day_slots = DaySlots {
            close_or_code: &close_or_code,
            by_day: if MODE == CLOSE_FAR { &by_day } else { day_slots.by_day },
            by_code_day: &by_code_day,
            ..day_slots
        };
        let mut undated = [BAD; MAX_FAST_LANES];
        for (u, lane) in undated.iter_mut().zip(lanes) {
            *u = wide(lane.undated);
        }
        // `QUOTA`: the pairs in the two halves of `close_or_code`'s first `NEAR_DAYS` entries
        // (see `DaySlots::halves`), then each code's undated slot. A won lane's column (its
        // period back from `as_of`'s, after the `n_slots` month slots) becomes its slot: its
        // deals go to its own code's cells, which no open row uses, and `fold_by_code` moves
        // them to the won columns.
        let mut close_or_code = close_or_code;
        let mut halves = [0u32; MAX_FAST_LANES];
        if MODE == QUOTA {
            let n_slots = self.n_slots as u32;
            let won_slot = |s: u32| match s {
                BAD => Some(BAD),
                s => s.checked_sub(n_slots).filter(|&c| c < n_slots).map(wide),
            };
            // (No won lane: the pairs' won half is the open span's, read by no row.)
            let any_won = lanes.iter().any(|l| l.won);
            let Some(&last) = day_slots.pairs.last().filter(|_| day_slots.pairs.len() <= QUOTA_DAYS) else {
                return Wrapping::Invalid;
            };
            for i in 0..QUOTA_DAYS {
                let [open, won] = day_slots.pairs.get(i).copied().unwrap_or(last);
                let Some(won) = won_slot(if any_won { won } else { BAD }) else { return Wrapping::Invalid };
                close_or_code[i] = wide(open);
                close_or_code[QUOTA_DAYS + i] = won;
            }
            close_or_code[NEAR_DAYS..].copy_from_slice(&undated);
            for (h, lane) in halves.iter_mut().zip(lanes) {
                *h = if lane.won { QUOTA_DAYS as u32 } else { 0 };
            }
        }
        // `Kernel::deferred`: the table indexed from `DEFERRED_BACK` days before `as_of`: the
        // overdue slot for those days, then `CLOSE`'s slot of each day from `as_of` on, `BAD`
        // past them and for any earlier day (a close date before the year 1 among them), so
        // that a row of a day the table does not hold ends the loop as an invalid one does.
        // No check per row beyond `CLOSE`'s: the months the rows reach are read off the
        // cells after the loop.
        let back = DEFERRED_BACK as usize;
        let as_of_days = if deferred.is_some() {
            let overdue = close_or_code[NEAR_DAYS - 1];
            close_or_code.copy_within(..NEAR_DAYS - 1 - back, back);
            close_or_code[..back].fill(overdue);
            close_or_code[NEAR_DAYS - 1] = BAD;
            let lo = day_slots.as_of_days - DEFERRED_BACK;
            if lo < crate::wire::MIN_EPOCH_DAY || lo + NEAR_DAYS as i64 > crate::wire::MAX_EPOCH_DAY {
                return Wrapping::Invalid;
            }
            lo
        } else {
            day_slots.as_of_days
        };
        let day_slots = DaySlots { close_or_code: &close_or_code, halves: &halves, as_of_days, ..day_slots };
        // 8-byte cells: a row adds its units plus 2^s (its deal), so that a cell's word holds
        // its amount below bit `s` and its deals above (n < 2^(64 - s): no count reaches past
        // the word); `packed_exact` checks after the loop that no amount reached 2^s.
        let s = (n as u64).leading_zeros().saturating_sub(1);
        let deal = 1u64 << s;
        // Zeroed by writing, not by `vec![0; …]` (`calloc`): a fresh mapping (544 KB by 500
        // owners) then faulted twice a page, the loop's first read mapping the zero page and
        // its write copying it; written first, once a page (by owner 300 → 201 faults a call;
        // ~1 µs a fault here).
        #[allow(clippy::slow_vector_initialization)] // on purpose: see above
        let mut cells = Vec::with_capacity(n_cells * width);
        cells.resize(n_cells * width, 0u64);
        let rows = (stage, days, amounts, groups);
        let Some([bits, columns, seen]) =
            by_code_rows::<MODE, _, _, _, _>(rows, (units, group), (&day_slots, &undated), (stride, deal), &mut cells)
        else {
            return Wrapping::Invalid;
        };
        let bits = units.checked(bits);
        if MODE == ELAPSED && seen > elapsed_limit(self.as_of_days) {
            return Wrapping::Invalid;
        }
        let read = |&c: &u64| [c & (deal - 1), c >> s];
        if let Some(fixed) = deferred {
            // The months the rows reach: up to the later of `fixed` and the last one holding
            // a row (the latest close day's, as `Placer::max_offset` gives it), then the
            // unscheduled slot (the table's last).
            let slot_cells = width * self.n_slots;
            let unscheduled = self.n_slots.saturating_sub(1);
            let mut months = fixed as usize + 1;
            if months >= unscheduled {
                return Wrapping::Invalid;
            }
            for row in cells.chunks_exact(slot_cells) {
                if let Some(last) = row[months * width..unscheduled * width].iter().rposition(|&c| c != 0) {
                    months += last / width + 1;
                }
            }
            if months >= unscheduled {
                return Wrapping::Invalid;
            }
            let used = cells
                .chunks_exact(slot_cells)
                .flat_map(|row| row[..months * width].iter().chain(&row[unscheduled * width..]));
            if !packed_exact(used, s, bits, n) {
                return Wrapping::Invalid;
            }
            let n_groups = self.n_groups;
            let slots = (0..months).chain([unscheduled]);
            let units =
                (0..n_groups).flat_map(|group| slots.clone().enumerate().map(move |(out, slot)| (group, out, slot)));
            let rows = units.map(|(group, out, slot)| {
                let at = (group * self.n_slots + slot) * width;
                ((group, out), &cells[at..at + width])
            });
            return self.fold_by_code(rows, (read, width, Some(months + 1)), &|_| false, (bits, columns, n));
        }
        if !packed_exact(cells.iter(), s, bits, n) {
            return Wrapping::Unproven;
        }
        let won = |code: usize| MODE == QUOTA && halves.get(code).is_some_and(|&h| h != 0);
        let n_slots = self.n_slots;
        let units = (0..self.n_groups).flat_map(|group| (0..n_slots).map(move |slot| (group, slot)));
        let rows = units.zip(cells.chunks_exact(width));
        self.fold_by_code(rows, (read, width, Some(n_slots)), &won, (bits, columns, n))
    }

    /// Mode `UNDATED` (a lane's slot is its own, read from no date): the rows summed per
    /// group × stage label code, amounts and deals only, in a table of 16-byte cells a
    /// group's row of `width` (the labels rounded up to a power of two) wide; then each
    /// code's sums go to its lane's cell and stage, weighted once per code (its amount × its
    /// probability: exact, as every product of a row's is). A row costs a cell's two
    /// additions (no lane read, no mask, no multiplication, no per-code sums beside the
    /// cell's: 200 owners × 8 codes are 25 KB, in L1). The codes are checked after the loop,
    /// from their OR (below `width`; on wasm32 see `run_wrapping_by_code_rows`) and the
    /// deals in the columns of no valid lane. `None`
    /// when this table would be much larger than the slot table (many groups, many labels):
    /// [`Kernel::run_wrapping`] then. Never inlined, as that one (its name matched by
    /// scripts/wasm.sh too).
    #[inline(never)]
    fn run_wrapping_by_code<S: LaneCode, A: Copy, G: Copy>(
        &self,
        stage: &[S],
        (amounts, units): (&[A], &impl Units<A>),
        (groups, group): (&[G], &impl Fn(G) -> u32),
    ) -> Option<Wrapping> {
        // At most `MAX_FAST_LANES` lanes (checked by the caller): 256 columns at most.
        let width = self.lanes.len().max(1).next_power_of_two();
        let n_cells = self.n_groups.checked_mul(width)?;
        let slot_cells = self.n_groups.saturating_mul(self.n_slots);
        if self.n_groups == 0 || n_cells > slot_cells.saturating_mul(2).max(1 << 12) {
            return None;
        }
        let shift = width.trailing_zeros();
        let mut cells = vec![[0u64; 2]; n_cells];
        let cells_in = cells.as_mut_slice();
        #[cfg(not(target_arch = "wasm32"))]
        let (mut bits, mut columns) = (0u64, 0u64);
        let n = stage.len();
        let (amounts, groups) = (&amounts[..n], &groups[..n]);
        #[cfg(not(target_arch = "wasm32"))]
        for k in 0..n {
            let column = stage[k].column();
            columns |= column;
            let units = units.of(amounts[k]);
            bits |= units;
            // A group past the last (invalid) is past the cells; a code past the row's
            // width may land in the next group's row, which `columns` tells after the loop.
            // (In 64 bits: a `u32` group shifted by at most 8.)
            let at = (u64::from(group(groups[k])) << shift).wrapping_add(column);
            let Some(cell) = cells_in.get_mut(usize::try_from(at).unwrap_or(usize::MAX)) else {
                return Some(Wrapping::Invalid);
            };
            cell[0] = cell[0].wrapping_add(units);
            cell[1] += 1;
        }
        #[cfg(target_arch = "wasm32")]
        let Some((bits, columns)) =
            run_wrapping_by_code_rows(stage, (amounts, units), (groups, group), shift, cells_in)
        else {
            return Some(Wrapping::Invalid);
        };
        let bits = units.checked(bits);
        let rows = cells.chunks_exact(width).enumerate().map(|(group, row)| ((group, 0), row));
        Some(self.fold_by_code(rows, (|&c: &[u64; 2]| c, width, None), &|_| false, (bits, columns, n)))
    }

    /// The sums of a by-code loop's cells (see [`Kernel::run_wrapping_by_code`]): `rows`, each
    /// `width` cells (one per stage label code) with its group and slot: a row per group
    /// (slot 0), or when `months` is given (dated), per group × slot, the sums then in rows
    /// of that many month slots (besides the won columns: `won(code)` for a won lane's).
    /// Checks the codes (`columns`, their OR) and the wrap proof (`bits`, the units ORed,
    /// over `n` rows) first.
    fn fold_by_code<'c, C: 'c>(
        &self,
        rows: impl Iterator<Item = ((usize, usize), &'c [C])> + Clone,
        (read, width, months): (impl Fn(&C) -> [u64; 2], usize, Option<usize>),
        won: &dyn Fn(usize) -> bool,
        (bits, columns, n): (u64, u64, usize),
    ) -> Wrapping {
        // A code past the width, or deals of a code that is no policy stage (a column past
        // the labels or an unknown label): the general loop reports it.
        let dated = months.is_some();
        let stride = months.unwrap_or(self.n_slots);
        let lane_ok =
            |c: usize| self.lanes.get(c).is_some_and(|l| l.valid && (l.closed || dated || (l.slot as usize) < stride));
        if columns >= width as u64
            || rows.clone().any(|(_, row)| row.iter().enumerate().any(|(c, cell)| read(cell)[1] > 0 && !lane_ok(c)))
        {
            return Wrapping::Invalid;
        }
        let total = || rows.clone().flat_map(|(_, row)| row).map(|c| u128::from(read(c)[0])).sum();
        let max_p = self.lanes.iter().map(|l| l.probability).max().unwrap_or(0);
        if let Some(stop) = unproven(bits, n, total, max_p) {
            return stop;
        }
        // Exact from here: every cell's amount is at most the total, its weighted at most
        // the total × the largest probability, both proven to fit.
        // A group's row: its month slots, then (`QUOTA`) its won columns.
        let out_stride = stride + self.won_cols;
        let mut out = KernelSums {
            cells: vec![KCell::default(); self.n_groups * out_stride + 1],
            stages: vec![KCell::default(); self.n_stages],
            stride: out_stride,
        };
        for ((group, slot), row) in rows {
            for (code, (lane, [amount, deals])) in
                self.lanes.iter().zip(row.iter().map(&read)).enumerate().filter(|(_, (_, c))| c[1] > 0)
            {
                let sums = KCell { amount, weighted: amount * lane.probability, deals };
                // Closed: the dump (cell 0), as the other forms do; an open lane's slot is
                // below the stride (checked above); a won lane's slot is its won column.
                let at = if lane.closed {
                    0
                } else if dated {
                    1 + group * out_stride + slot + if won(code) { stride } else { 0 }
                } else {
                    1 + group * stride + lane.slot as usize
                };
                out.cells[at].add_exact(&sums);
                out.stages[lane.stage as usize].add_exact(&sums);
            }
        }
        Wrapping::Exact(out)
    }

    /// [`Kernel::run`] with a check per addition: for sums the wrapping loop could not prove
    /// exact (amounts near 2^63, or billions of rows of large ones).
    fn run_checked(
        &self,
        rows: Range<usize>,
        group: impl Fn(usize) -> usize,
        amount: impl Fn(usize) -> u64,
    ) -> Option<KernelSums> {
        let stride = self.n_slots + self.won_cols;
        let mut cells = vec![KCell::default(); self.n_groups.checked_mul(stride)?.checked_add(1)?];
        let mut stages = vec![KCell::default(); self.n_stages];
        let last_lane = self.lanes.len().checked_sub(1)?;
        let last_group = self.n_groups.checked_sub(1)?;
        let last_slot = stride - 1;
        let last_stage = self.n_stages.checked_sub(1)?;
        let limit = elapsed_limit(self.as_of_days);
        for i in rows {
            // -1 (a missing stage) becomes huge, as any code past the labels.
            let code = self.stage.code(i) as u32 as usize;
            let lane = self.lanes[code.min(last_lane)];
            let units = amount(i);
            let g = group(i);
            let mut ok = code <= last_lane && lane.valid && units >> 63 == 0 && g <= last_group;
            let slot = if let Some(dated) = &self.dated {
                let d = dated.days.day(i);
                let index = if dated.elapsed {
                    let elapsed = self.as_of_days.wrapping_sub(d);
                    // (Also where the loop checks the entry dates: see `elapsed_limit`.)
                    ok &= d == i64::MIN || elapsed as u64 <= limit;
                    elapsed
                } else {
                    d.wrapping_sub(self.day0)
                };
                let at = lane.table as usize + index.clamp(0, i64::from(lane.last)) as usize;
                let slot = if d == i64::MIN { lane.undated } else { dated.table.get(at).copied().unwrap_or(BAD) };
                ok &= lane.closed || slot != BAD;
                slot
            } else {
                lane.slot
            } as usize;
            let (weighted, overflow) = units.overflowing_mul(lane.probability);
            let at = if lane.closed { 0 } else { 1 + g.min(last_group) * stride + slot.min(last_slot) };
            ok &= !overflow;
            ok &= cells[at].add(units, weighted);
            ok &= stages[(lane.stage as usize).min(last_stage)].add(units, weighted);
            if !ok {
                return None;
            }
        }
        Some(KernelSums { cells, stages, stride })
    }
}

/// wasm32: [`Kernel::run_wrapping_by_code`]'s loop, in a function of its own so that only
/// the loop's values are live there: inlined, V8 kept the caller's values in registers and
/// spilled the loop's own (the units' OR, the codes' OR, the row count: stored and reloaded
/// every row). Fewer of those too: a code past the row's width, or a cell index past 32 bits
/// (a `u32` group shifted by at most 8), sets the top bit of the units' OR, as a negative
/// amount does (the rows are invalid: see [`unproven`]), instead of an OR of the codes of its
/// own and the index clamped to `usize` (the cell at such an index's low 32 bits, if any, is
/// then never read). The units' OR and 0 for the codes' OR, or `None` when a row's cell is
/// past the cells. Its name matches scripts/wasm.sh's `*run_wrapping*` (never inlined).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn run_wrapping_by_code_rows<S: LaneCode, A: Copy, G: Copy>(
    stage: &[S],
    (amounts, units): (&[A], &impl Units<A>),
    (groups, group): (&[G], &impl Fn(G) -> u32),
    shift: u32,
    cells: &mut [[u64; 2]],
) -> Option<(u64, u64)> {
    let mut bits = 0u64;
    for ((code, &amount), &g) in stage.iter().zip(amounts).zip(groups) {
        let column = code.column();
        let units = units.of(amount);
        let at = (u64::from(group(g)) << shift).wrapping_add(column);
        bits |= units | ((column >> shift) | (at >> 32)).wrapping_neg();
        let cell = cells.get_mut(at as u32 as usize)?;
        cell[0] = cell[0].wrapping_add(units);
        cell[1] += 1;
    }
    Some((bits, 0))
}

/// The rows of [`Kernel::run_by_code_dated`] summed into its `cells` (each row adds its units
/// plus `deal` to the cell of its group × slot × code; `stride` a group's cells, every slot
/// in `day_slots` and `undated` already shifted): the units ORed, the codes ORed and (under
/// `ELAPSED`) the days in stage ORed, for the checks after the loop; `None` at a row whose
/// cell is past the cells (an invalid one). A function of its own, never inlined, its
/// parameters the loop's own values: in the body of `run_by_code_dated`, with that
/// function's other values live across it, the loop kept the stride, `as_of` and the cells'
/// bound in registers and reloaded the groups', days' and amounts' pointers and the row count
/// from the stack every row (32 instructions a row by team); here it keeps the pointers and
/// reads the invariants as operands (28).
#[inline(never)]
fn by_code_rows<const MODE: u8, S: LaneCode, D: DayAt, A: Copy, G: Copy>(
    (stage, days, amounts, groups): (&[S], D, &[A], &[G]),
    (units, group): (&impl Units<A>, &impl Fn(G) -> u32),
    (day_slots, undated): (&DaySlots, &[u32; MAX_FAST_LANES]),
    (stride, deal): (u64, u64),
    cells: &mut [u64],
) -> Option<[u64; 3]> {
    // The columns' lengths stated here, where the loop is (the caller checked them too), so
    // that no row's read needs a bounds check of its own.
    let n = stage.len();
    if days.len() != n {
        return None;
    }
    let (amounts, groups) = (&amounts[..n], &groups[..n]);
    let (mut bits, mut columns, mut seen) = (0u64, 0u64, 0u64);
    for k in 0..n {
        let column = stage[k].column();
        columns |= column;
        let lane = (undated[column as usize & (MAX_FAST_LANES - 1)], false);
        let units = units.of(amounts[k]);
        bits |= units;
        let row = u64::from(group(groups[k])) * stride;
        let (d, none, _) = days.at(k);
        // A code of 256 or more reads some code's entries, and its column past the width
        // makes the row invalid after the loop (`columns`), as any code past the lanes does.
        let slot = if MODE == QUOTA {
            day_slots.slot::<QUOTA_BY_CODE>((d, none), column as usize, lane, &mut seen)
        } else if MODE == CLOSE_DEFERRED {
            day_slots.slot::<CLOSE>((d, none), column as usize, lane, &mut seen)
        } else {
            day_slots.slot::<MODE>((d, none), column as usize, lane, &mut seen)
        };
        let at = (row + u64::from(slot?)).wrapping_add(column);
        let cell = cells.get_mut(usize::try_from(at).unwrap_or(usize::MAX))?;
        *cell = cell.wrapping_add(units.wrapping_add(deal));
    }
    Some([bits, columns, seen])
}

/// What keeps a wrapping loop's sums of `n` rows from being exact, if anything: a unit with
/// its top bit set (`bits`, the units ORed together: a negative amount, invalid), or no proof
/// that no sum wrapped. Every unit is at most the bound `bits` gives: no amount sum of `n` of
/// them wrapped when n × bound fits; then the exact `total` times the largest probability
/// `max_p` bounds every weighted sum.
fn unproven(bits: u64, n: usize, total: impl FnOnce() -> u128, max_p: u64) -> Option<Wrapping> {
    if bits >> 63 != 0 {
        return Some(Wrapping::Invalid);
    }
    let bound = if bits == 0 { 0 } else { u64::MAX >> bits.leading_zeros() };
    let fits = |x: u128| x <= u128::from(u64::MAX);
    if !fits(u128::from(bound) * n as u128) || !total().checked_mul(u128::from(max_p)).is_some_and(fits) {
        return Some(Wrapping::Unproven);
    }
    None
}

/// Whether a packed by-code loop's `cells` (see [`Kernel::run_by_code_dated`]) hold exact
/// sums of its `n` rows, each of which added its units (at most the bound `bits`, the units
/// ORed, gives) plus 2^s. When n × (bound + 2^s) fits 64 bits, no cell's word wrapped, so
/// the words sum to the rows' exact total plus n × 2^s; a cell whose amount reached 2^s
/// carried into its count, and the amounts below bit `s` then sum to less than that total.
fn packed_exact<'c>(cells: impl Iterator<Item = &'c u64>, s: u32, bits: u64, n: usize) -> bool {
    let bound = if bits == 0 { 0 } else { u64::MAX >> bits.leading_zeros() };
    if bound.checked_add(1 << s).and_then(|b| b.checked_mul(n as u64)).is_none() {
        return false;
    }
    let low = (1u64 << s) - 1;
    let (words, amounts) = cells.fold((0u128, 0u128), |(w, a), &c| (w + u128::from(c), a + u128::from(c & low)));
    words - ((n as u128) << s) == amounts
}

/// What the wrapping loop found.
enum Wrapping {
    /// Every row valid and every sum proven exact.
    Exact(KernelSums),
    /// Some row needs the general loop (which reports its error).
    Invalid,
    /// Valid rows, but no proof that no sum wrapped.
    Unproven,
}
