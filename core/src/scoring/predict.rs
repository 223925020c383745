//! Scoring open leads with a trained model: a probability and its additive log-odds.

// The formulas' own letters (a, b, s_W, N_L...) keep the code next to Odoo's description.
#![allow(clippy::many_single_char_names)]

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::detmath::{exp, ln};
use super::features::{Features, Reader};
use super::lead::Lead;
use super::model::{LeadModel, Method, TeamTable};
use crate::error::Result;

/// A logit beyond ±36 would make the probability round to exactly 0 or 1.
const MAX_LOGIT: f64 = 36.0;

/// The predictions, one per lead in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PredictionReport {
    /// One line per lead.
    pub leads: Vec<Prediction>,
}

/// One lead's probability of winning and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Prediction {
    /// The lead's id.
    pub id: String,
    /// Probability of winning (none when the model has no history for the lead's team).
    pub probability: Option<f64>,
    /// `odoo`: the stored percentage, round(100 P, 2) kept within 0.01–99.99 (0 for a lead
    /// without a stage, 100 in a won stage).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub percent: Option<Decimal>,
    /// Σ contributions: the log-odds of winning.
    pub logit: Option<f64>,
    /// Additive log-odds: the prior, then the stage, then each field value with a row.
    pub contributions: Vec<Contribution>,
    /// The largest positive contributions (prior excluded).
    pub top_for: Vec<Contribution>,
    /// The most negative contributions (prior excluded).
    pub top_against: Vec<Contribution>,
    /// `scored`, `no_stage`, `won_stage` or `no_history`.
    pub reason: PredictionReason,
}

/// One additive term of the logit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Contribution {
    /// `prior`, `stage` or the field's name.
    pub factor: String,
    /// The value (the stage's name, a field's value, a bin's label).
    pub value: Option<String>,
    /// ln(likelihood_won / likelihood_lost).
    pub log_odds: f64,
    /// P(value | won) (for the prior: the share of won leads).
    pub likelihood_won: f64,
    /// P(value | lost).
    pub likelihood_lost: f64,
}

/// Why a prediction is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PredictionReason {
    /// The model scored it.
    Scored,
    /// `odoo`: a lead without a stage scores 0.
    NoStage,
    /// `odoo`: a lead in a won stage scores 100.
    WonStage,
    /// `odoo`: its team's table (or all teams') has no won or no lost leads.
    NoHistory,
}

/// Predicts each lead's probability of winning with a trained `model`.
///
/// # Errors
///
/// `unknown_stage` at `leads[i].stage`; `invalid_type` for a field of the wrong type.
///
/// # Examples
///
/// A model trained by [`super::train_lead_model`] (see its example), or stored as JSON:
///
/// ```
/// use crmkit::scoring::{predict_leads, train_lead_model, Lead, ModelConfig};
///
/// let config: ModelConfig = crmkit::wire::from_json(r#"{"method": "odoo",
///   "fields": [{"name": "source"}], "stages": [{"name": "new"}, {"name": "won", "won": true}]}"#, "")?;
/// let closed: Vec<Lead> = crmkit::wire::from_json(r#"[
///   {"id": "a", "outcome": "won", "stage": "won", "source": "fair"},
///   {"id": "b", "outcome": "lost", "stage": "new", "source": "ads"}]"#, "leads")?;
/// let model = train_lead_model(&config, &closed, crmkit::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())?;
/// let open: Vec<Lead> = crmkit::wire::from_json(r#"[{"id": "o", "stage": "new", "source": "fair"}]"#, "leads")?;
/// let report = predict_leads(&model, &open)?;
/// let sum: f64 = report.leads[0].contributions.iter().map(|c| c.log_odds).sum();
/// assert!((sum - report.leads[0].logit.unwrap()).abs() < 1e-12); // the contributions explain the logit
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn predict_leads(model: &LeadModel, leads: &[Lead]) -> Result<PredictionReport> {
    let pooled = (model.config.method == Method::Odoo).then(|| pool(&model.teams));
    let mut out = Vec::with_capacity(leads.len());
    let reader = Reader::new(&model.config);
    let mut found = vec![None; reader.width()];
    let mut f = Features::default();
    for (i, lead) in leads.iter().enumerate() {
        reader.read(lead, &mut found);
        reader.features(&found, i, &mut f)?;
        let terms = match model.config.method {
            Method::Odoo => odoo(model, pooled.as_ref(), &f),
            Method::Bayes => Ok(bayes(model, &f)),
        };
        out.push(finish(model, lead.id.clone(), terms));
    }
    Ok(PredictionReport { leads: out })
}

type Terms = std::result::Result<(Vec<Contribution>, Option<f64>), PredictionReason>;

fn term(factor: &str, value: Option<&str>, a: f64, b: f64) -> Contribution {
    Contribution {
        factor: factor.to_owned(),
        value: value.map(str::to_owned),
        log_odds: ln(a) - ln(b),
        likelihood_won: a,
        likelihood_lost: b,
    }
}

/// Every team's rows summed: Odoo's table for a team that has none of its own.
fn pool(teams: &[TeamTable]) -> TeamTable {
    let mut all = TeamTable::default();
    for t in teams {
        all.won += t.won;
        all.lost += t.lost;
        all.stages.resize(t.stages.len().max(all.stages.len()), [0.0; 2]);
        for (a, b) in all.stages.iter_mut().zip(&t.stages) {
            a[0] += b[0];
            a[1] += b[1];
        }
        all.fields.resize(t.fields.len().max(all.fields.len()), super::model::FieldTable::default());
        for (a, b) in all.fields.iter_mut().zip(&t.fields) {
            a.field.clone_from(&b.field);
            for v in &b.values {
                match a.values.iter_mut().find(|x| x.value == v.value) {
                    Some(x) => {
                        x.won += v.won;
                        x.lost += v.lost;
                    }
                    None => a.values.push(v.clone()),
                }
            }
        }
    }
    all
}

/// Odoo's formula: terms, and P computed its way (products of ratios).
fn odoo(model: &LeadModel, pooled: Option<&TeamTable>, f: &Features<'_>) -> Terms {
    let stage = f.stage.ok_or(PredictionReason::NoStage)?;
    if model.config.stages[stage].won {
        return Err(PredictionReason::WonStage);
    }
    let own = model.teams.iter().find(|t| t.team.as_deref() == f.team).filter(|t| has_rows(t));
    let table = own.or(pooled).ok_or(PredictionReason::NoHistory)?;
    let [n_w, n_l] = table.stages.first().copied().unwrap_or_default();
    if n_w == 0.0 || n_l == 0.0 {
        return Err(PredictionReason::NoHistory);
    }
    let (mut s_w, mut s_l) = (n_w / (n_w + n_l), n_l / (n_w + n_l));
    let mut terms = vec![term("prior", None, s_w, s_l)];
    let [w, l] = table.stages[stage];
    if w > 0.0 || l > 0.0 {
        let (a, b) = (w / n_w, l / n_l);
        s_w *= a;
        s_l *= b;
        terms.push(term("stage", Some(&model.config.stages[stage].name), a, b));
    }
    for &(field, value) in &f.values {
        let feature = &model.config.fields[field];
        let value = value.label(feature);
        let Some(rows) = table.fields.get(field) else { continue };
        // Odoo drops tag rows seen on fewer than 50 closed leads, from the sums too.
        let kept = |w: f64, l: f64| !feature.tags || w + l >= 50.0;
        let Some(row) = rows.values.iter().find(|r| r.value == value.as_ref() && kept(r.won, r.lost)) else { continue };
        let (sum_w, sum_l) =
            rows.values.iter().filter(|r| kept(r.won, r.lost)).fold((0.0, 0.0), |(a, b), r| (a + r.won, b + r.lost));
        let (a, b) = (row.won / sum_w, row.lost / sum_l);
        s_w *= a;
        s_l *= b;
        terms.push(term(&feature.name, Some(value.as_ref()), a, b));
    }
    Ok((terms, Some(s_w / (s_w + s_l))))
}

fn has_rows(t: &TeamTable) -> bool {
    t.stages.iter().any(|s| s[0] > 0.0 || s[1] > 0.0) || t.fields.iter().any(|f| !f.values.is_empty())
}

/// The improved naive Bayes: Laplace smoothing, minimum support, team blending.
fn bayes(model: &LeadModel, f: &Features<'_>) -> (Vec<Contribution>, Option<f64>) {
    let c = &model.config;
    let alpha = c.alpha();
    let min_support = c.min_support.unwrap_or(0.0);
    let global = model.global.as_ref();
    let team = c.team_blend.and_then(|m| model.teams.iter().find(|t| t.team.as_deref() == f.team).map(|t| (t, m)));
    // P(won) and each class's likelihoods, from the global table blended with the team's.
    let blend = |g: f64, t: Option<(f64, f64)>| match (t, team) {
        (Some((p, n)), Some((_, m))) if n + m > 0.0 => (n * p + m * g) / (n + m),
        _ => g,
    };
    let Some(g) = global else { return (Vec::new(), None) };
    let prior = |t: &TeamTable| (t.won + alpha) / (t.won + t.lost + 2.0 * alpha);
    let p_won = blend(prior(g), team.map(|(t, _)| (prior(t), t.won + t.lost)));
    let mut terms = vec![term("prior", None, p_won, 1.0 - p_won)];
    if let Some(stage) = f.stage {
        // Survival: the share of each class's leads that reached this stage.
        let reach = |t: &TeamTable, side: usize, total: f64| (t.stages[stage][side] + alpha) / (total + 2.0 * alpha);
        let a = blend(reach(g, 0, g.won), team.map(|(t, _)| (reach(t, 0, t.won), t.won)));
        let b = blend(reach(g, 1, g.lost), team.map(|(t, _)| (reach(t, 1, t.lost), t.lost)));
        terms.push(term("stage", Some(&c.stages[stage].name), a, b));
    }
    for &(field, value) in &f.values {
        let value = value.label(&c.fields[field]);
        let rows = &g.fields[field];
        let supported = |r: &&super::model::ValueCount| r.won + r.lost >= min_support;
        let Some(row) = rows.values.iter().filter(supported).find(|r| r.value == value.as_ref()) else { continue };
        // K values with support, plus one for every value not seen.
        let k = rows.values.iter().filter(supported).count() as f64 + 1.0;
        let like = |t: &TeamTable, side: usize| {
            let rows = &t.fields[field];
            let total: f64 = rows
                .values
                .iter()
                .filter(|r| g.fields[field].values.iter().filter(supported).any(|x| x.value == r.value))
                .map(|r| if side == 0 { r.won } else { r.lost })
                .sum();
            let count = rows.values.iter().find(|r| r.value == value.as_ref()).map_or(0.0, |r| {
                if side == 0 {
                    r.won
                } else {
                    r.lost
                }
            });
            (count + alpha) / (total + alpha * k)
        };
        let a = blend(like(g, 0), team.map(|(t, _)| (like(t, 0), t.won)));
        let b = blend(like(g, 1), team.map(|(t, _)| (like(t, 1), t.lost)));
        let _ = row;
        terms.push(term(&c.fields[field].name, Some(value.as_ref()), a, b));
    }
    (terms, None)
}

fn finish(model: &LeadModel, id: String, terms: Terms) -> Prediction {
    let odoo = model.config.method == Method::Odoo;
    let (contributions, direct) = match terms {
        Ok(t) => t,
        Err(reason) => {
            let (probability, percent) = match reason {
                PredictionReason::NoStage => (Some(0.0), Some(Decimal::ZERO)),
                PredictionReason::WonStage => (Some(1.0), Some(Decimal::ONE_HUNDRED)),
                _ => (None, None),
            };
            return Prediction {
                id,
                probability,
                percent,
                logit: None,
                contributions: Vec::new(),
                top_for: Vec::new(),
                top_against: Vec::new(),
                reason,
            };
        }
    };
    // The logit is the sum of the terms, in their order: they add up to it exactly.
    let logit = contributions.iter().fold(0.0, |s, t| s + t.log_odds);
    let probability = direct.unwrap_or_else(|| {
        let x = logit.clamp(-MAX_LOGIT, MAX_LOGIT);
        1.0 / (1.0 + exp(-x))
    });
    let percent = odoo.then(|| {
        let p = Decimal::from_f64_retain(100.0 * probability).unwrap_or_default();
        let mut p = p
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
            .clamp(Decimal::new(1, 2), Decimal::new(9999, 2));
        p.rescale(2); // "50.00", as Odoo shows it
        p
    });
    let k = model.config.top_factors as usize;
    let mut ranked: Vec<&Contribution> = contributions.iter().skip(1).collect();
    ranked.sort_by(|a, b| b.log_odds.total_cmp(&a.log_odds));
    let top_for = ranked.iter().filter(|t| t.log_odds > 0.0).take(k).map(|t| (*t).clone()).collect();
    let top_against = ranked.iter().rev().filter(|t| t.log_odds < 0.0).take(k).map(|t| (*t).clone()).collect();
    Prediction {
        id,
        probability: Some(probability),
        percent,
        logit: Some(logit),
        contributions,
        top_for,
        top_against,
        reason: PredictionReason::Scored,
    }
}
