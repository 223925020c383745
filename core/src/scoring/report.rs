//! What [`super::score_leads`] returns: one explained line per lead, the ranking, counts.

use serde::{Deserialize, Serialize};

use super::eval::Compiled;
use super::pass::{RowCut, RowItem, Scope, Scratch};
use super::rules::{Dimension, ScoringPolicy};

/// The scored leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ScoreReport {
    /// One line per lead, in input order.
    pub leads: Vec<LeadScore>,
    /// Lead ids from first to last (score descending, then the policy's `tie_break`, then id).
    pub ranking: Vec<String>,
    /// Leads per tier, in the policy's order, then `none` for leads in no tier.
    pub tiers: Vec<ScoreCount>,
    /// Leads per grade, in matrix order.
    pub grades: Vec<ScoreCount>,
}

/// A count of leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ScoreCount {
    /// PriorityTier id or grade.
    pub key: String,
    /// How many leads.
    pub leads: u64,
}

/// One lead's score and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct LeadScore {
    /// The lead's id.
    pub id: String,
    /// 1 for the first lead of the ranking.
    pub rank: u64,
    /// Total score: fit + engagement, within the policy's `total` bounds.
    pub score: f64,
    /// Fit score.
    pub fit: f64,
    /// Engagement score.
    pub engagement: f64,
    /// Grade of the matrix (`A1`), if the policy has one.
    pub grade: Option<String>,
    /// Id of the first tier the lead meets.
    pub tier: Option<String>,
    /// That tier's label (`重点线索`).
    pub tier_label: Option<String>,
    /// Every rule that matched, in the policy's order.
    pub items: Vec<ScoreItem>,
    /// Every cap or floor that changed a sum: group, `fit`, `engagement`, then `total`.
    pub cuts: Vec<ScoreCut>,
    /// ScoringRule ids of the largest items by absolute points after decay (ties: policy order).
    pub top_reasons: Vec<String>,
}

/// One matched rule: `score = Σ items.decayed + Σ cuts.cut`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ScoreItem {
    /// The rule's id.
    pub rule: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its group.
    pub group: Option<String>,
    /// Points before decay (× events scored, for a per-event rule).
    pub points: f64,
    /// Points after decay.
    pub decayed: f64,
    /// Qualifying events counted (event rules).
    pub events: Option<u32>,
    /// Age in days of the most recent qualifying event (event rules).
    pub newest_age_days: Option<i64>,
    /// Why: `conditions_met`, `events_counted` or `events_decayed`.
    pub reason: ItemReason,
}

/// Why an item scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum ItemReason {
    /// Every field condition holds.
    ConditionsMet,
    /// Enough qualifying events, no decay.
    EventsCounted,
    /// Enough qualifying events, points decayed by age.
    EventsDecayed,
}

/// A cap (or floor) that changed a sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ScoreCut {
    /// `group`, `fit`, `engagement` or `total`.
    pub scope: CutScope,
    /// The group's id (group scope).
    pub group: Option<String>,
    /// The sum before.
    pub before: f64,
    /// The sum after.
    pub after: f64,
    /// `after − before` (negative for a cap).
    pub cut: f64,
}

/// What a cut applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum CutScope {
    /// A rule group.
    Group,
    /// The fit score.
    Fit,
    /// The engagement score.
    Engagement,
    /// The total.
    Total,
}

/// Indices of the `k` largest items by |after|, ties in rule order.
pub(crate) fn top_items(items: &[RowItem], k: usize, out: &mut Vec<usize>) {
    out.clear();
    out.extend(0..items.len());
    out.sort_by(|&a, &b| items[b].after.abs().total_cmp(&items[a].after.abs()).then(a.cmp(&b)));
    out.truncate(k);
}

pub(crate) fn build(policy: &ScoringPolicy, engine: &Compiled<'_>, ids: &[String]) -> ScoreReport {
    let n = ids.len();
    let mut s: Scratch = engine.scratch(policy);
    let mut leads = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut tier_counts = vec![0_u64; policy.tiers.len() + 1];
    let mut grade_counts = vec![0_u64; engine.grade_labels.len()];
    let mut top = Vec::new();
    for (row, id) in ids.iter().enumerate() {
        let r = engine.score_row(policy, row, &mut s);
        scores.push(r.score);
        tier_counts[r.tier.map_or(policy.tiers.len(), |t| t as usize)] += 1;
        if let Some(g) = r.grade {
            grade_counts[g as usize] += 1;
        }
        top_items(&s.items, policy.top_reasons as usize, &mut top);
        let tier = r.tier.map(|t| &policy.tiers[t as usize]);
        leads.push(LeadScore {
            id: id.clone(),
            rank: 0,
            score: r.score,
            fit: r.fit,
            engagement: r.engagement,
            grade: r.grade.map(|g| engine.grade_labels[g as usize].clone()),
            tier: tier.map(|t| t.id.clone()),
            tier_label: tier.and_then(|t| t.label.clone()),
            items: s.items.iter().map(|it| item(policy, engine, it)).collect(),
            cuts: s.cuts.iter().map(|c| cut(policy, c)).collect(),
            top_reasons: top.iter().map(|&i| policy.rules[s.items[i].rule].id.clone()).collect(),
        });
    }
    let mut order = vec![0_u32; scores.len()];
    engine.ranking(&scores, |p, row| order[p] = row);
    for (rank, &row) in order.iter().enumerate() {
        leads[row as usize].rank = rank as u64 + 1;
    }
    let ranking = order.iter().map(|&row| ids[row as usize].clone()).collect();
    let mut tiers: Vec<ScoreCount> =
        policy.tiers.iter().zip(&tier_counts).map(|(t, &c)| ScoreCount { key: t.id.clone(), leads: c }).collect();
    tiers.push(ScoreCount { key: "none".into(), leads: tier_counts[policy.tiers.len()] });
    let grades =
        engine.grade_labels.iter().zip(grade_counts).map(|(g, c)| ScoreCount { key: g.clone(), leads: c }).collect();
    ScoreReport { leads, ranking, tiers, grades }
}

fn item(policy: &ScoringPolicy, engine: &Compiled<'_>, it: &RowItem) -> ScoreItem {
    let rule = &policy.rules[it.rule];
    let decays = engine.rules[it.rule].event.is_some_and(|k| engine.events[k].half_life.is_some());
    ScoreItem {
        rule: rule.id.clone(),
        dimension: rule.dimension,
        group: rule.group.clone(),
        points: it.before,
        decayed: it.after,
        events: rule.event.as_ref().map(|_| it.events),
        newest_age_days: it.age,
        reason: match (&rule.event, decays) {
            (None, _) => ItemReason::ConditionsMet,
            (Some(_), false) => ItemReason::EventsCounted,
            (Some(_), true) => ItemReason::EventsDecayed,
        },
    }
}

fn cut(policy: &ScoringPolicy, c: &RowCut) -> ScoreCut {
    let (scope, group) = match c.scope {
        Scope::Group(g) => (CutScope::Group, Some(policy.groups[g].id.clone())),
        Scope::Fit => (CutScope::Fit, None),
        Scope::Engagement => (CutScope::Engagement, None),
        Scope::Total => (CutScope::Total, None),
    };
    ScoreCut { scope, group, before: c.before, after: c.after, cut: c.after - c.before }
}
