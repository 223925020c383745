//! Attribution models as data, and their validation.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How won revenue is credited to the touches of a journey.
///
/// Rule-based models look at one journey at a time; `markov` and `shapley` learn each
/// channel's value from all journeys (non-converting ones included), then split each
/// journey's revenue over its channels by those values.
///
/// Read strictly (`model_de.rs`): an option the kind does not take (`{"kind": "linear",
/// "lookback_days": 7}`) or any other key is `unknown_field` at its own path
/// (`model.lookback_days`), and an option's own error is at its path (`model.seed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Model {
    /// 100 % to the first touch.
    FirstTouch,
    /// 100 % to the last touch before the conversion.
    LastTouch,
    /// Equal shares per touch (a channel touched twice gets two shares).
    Linear,
    /// Position-based 40 / 20 / 40: first and last touch 40 % each, 20 % spread over the
    /// touches between; two touches 50 / 50, one touch 100 %.
    UShaped,
    /// 30 % each to the first touch, the lead-creation touch and the deal-creation touch,
    /// 10 % spread over the others. Unmarked milestones fall on the first (lead) and last
    /// (deal) touch; coinciding roles add up on one touch.
    WShaped,
    /// Custom position weights, summing to exactly 1.
    Position(PositionWeights),
    /// 100 % to the last touch whose channel is not `direct` (typed-in visits, bookmarks:
    /// Google Analytics' last non-direct click); a journey of direct touches only gives its
    /// last touch everything.
    LastNonDirect {
        /// The channels that count as direct, each in the taxonomy.
        direct: Vec<String>,
    },
    /// Exponential decay by days before the conversion: weight 2^(−days ÷ half-life).
    TimeDecay {
        /// Half-life in days, > 0 (Google Ads and HubSpot use 7).
        #[serde(default = "seven", with = "crate::wire::decimal")]
        #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
        half_life_days: Decimal,
    },
    /// Data-driven: each channel's removal effect in a Markov chain of the journeys.
    Markov {
        /// Order of the chain: a state is the last `order` channels (1 to 4).
        #[serde(default = "one")]
        order: u32,
    },
    /// Data-driven: each channel's Shapley value in the coalition game of the journey's
    /// channels, exact up to 15 channels, from seeded sampled permutations beyond.
    Shapley {
        /// The coalition value (default `conversion_rate`).
        #[serde(default)]
        value: CoalitionValue,
        /// Permutations sampled for a journey with more than 15 channels (1 to 1,000,000).
        #[serde(default = "samples")]
        samples: u32,
        /// Seed of the sampling: an integer or a decimal string (a JS `BigInt` or string
        /// beyond 2^53), as every seed.
        #[serde(default, with = "crate::wire::uint")]
        #[cfg_attr(feature = "typescript", tsify(type = "number | bigint | string"))]
        seed: u64,
    },
}

pub(super) fn seven() -> Decimal {
    Decimal::from(7)
}

pub(super) fn one() -> u32 {
    1
}

pub(super) fn samples() -> u32 {
    10_000
}

/// What a coalition S of channels is worth in the Shapley game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum CoalitionValue {
    /// Conversions ÷ journeys, over the journeys whose channel set lies within S: the one
    /// value that uses non-converting journeys, so a channel common in failing journeys is
    /// worth less. The default.
    #[default]
    ConversionRate,
    /// Conversions of the journeys whose channel set lies within S. Over all channels this
    /// makes Shapley equal to linear attribution over distinct channels.
    Within,
    /// Conversions of the journeys whose channel set equals S (DP6's implementation).
    ExactSet,
}

/// Custom position weights: each touch gets the weights of the roles it holds; touches
/// holding no weighted role share `middle` equally (when there are none, `middle` is
/// dropped and the rest renormalised). The five weights sum to exactly 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PositionWeights {
    /// The first touch.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub first: Decimal,
    /// Spread over the touches that hold no weighted role.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub middle: Decimal,
    /// The last touch.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub last: Decimal,
    /// The touch marked `lead_created` (else the first).
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub lead_created: Decimal,
    /// The touch marked `deal_created` (else the last).
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub deal_created: Decimal,
}

/// Weights in units of 10^-12, the precision position weights are honoured to.
pub(crate) const WEIGHT_DP: u32 = 12;

impl PositionWeights {
    /// U-shaped 40 / 20 / 40.
    pub(crate) fn u_shaped() -> Self {
        Self::of(4, 2, 4, 0, 0)
    }

    /// W-shaped 30 / 30 / 30 + 10.
    pub(crate) fn w_shaped() -> Self {
        Self::of(3, 1, 0, 3, 3)
    }

    fn of(first: i64, middle: i64, last: i64, lead: i64, deal: i64) -> Self {
        let tenth = |x| Decimal::new(x, 1);
        Self {
            first: tenth(first),
            middle: tenth(middle),
            last: tenth(last),
            lead_created: tenth(lead),
            deal_created: tenth(deal),
        }
    }

    /// `[first, middle, last, lead, deal]` in units of 10^-12.
    pub(crate) fn units(&self, path: &str) -> Result<[u64; 5]> {
        let named = [
            ("first", self.first),
            ("middle", self.middle),
            ("last", self.last),
            ("lead_created", self.lead_created),
            ("deal_created", self.deal_created),
        ];
        let mut sum = Decimal::ZERO;
        let mut out = [0u64; 5];
        for (k, (name, w)) in named.into_iter().enumerate() {
            if w.is_sign_negative() && !w.is_zero() || w > Decimal::ONE {
                return Err(Error::out_of_range(format!("{path}.{name}"), w, 0, 1));
            }
            if w.normalize().scale() > WEIGHT_DP {
                return Err(Error::InvalidValue {
                    path: format!("{path}.{name}"),
                    reason: format!("position weights have at most {WEIGHT_DP} decimal places"),
                });
            }
            sum += w; // five values in [0, 1]: no overflow
            let mut scaled = w;
            scaled.rescale(WEIGHT_DP);
            out[k] = u64::try_from(scaled.mantissa()).unwrap_or(0);
        }
        if sum != Decimal::ONE {
            return Err(Error::InvalidValue {
                path: path.to_owned(),
                reason: format!("position weights sum to {sum}, not exactly 1"),
            });
        }
        Ok(out)
    }
}

impl Model {
    /// Per taxonomy channel, whether the model counts it as direct (all `false` but under
    /// `last_non_direct`); `path` locates the model.
    ///
    /// # Errors
    ///
    /// `unknown_channel` at `{path}.direct[i]`, `duplicate_name` there for a repeat.
    pub(crate) fn direct_channels(&self, path: &str, index: &HashMap<&str, usize>) -> Result<Vec<bool>> {
        let mut direct = vec![false; index.len()];
        if let Self::LastNonDirect { direct: names } = self {
            for (i, name) in names.iter().enumerate() {
                let at = format!("{path}.direct[{i}]");
                let c = *index
                    .get(name.as_str())
                    .ok_or_else(|| Error::UnknownChannel { path: at.clone(), name: name.clone() })?;
                if direct[c] {
                    let first = names.iter().position(|n| n == name).unwrap_or(0);
                    return Err(Error::DuplicateName {
                        path: at,
                        name: name.clone(),
                        first: format!("{path}.direct[{first}]"),
                    });
                }
                direct[c] = true;
            }
        }
        Ok(direct)
    }

    /// The model's name in reports (`first_touch`, `time_decay`...).
    pub fn name(&self) -> &'static str {
        match self {
            Self::FirstTouch => "first_touch",
            Self::LastTouch => "last_touch",
            Self::LastNonDirect { .. } => "last_non_direct",
            Self::Linear => "linear",
            Self::UShaped => "u_shaped",
            Self::WShaped => "w_shaped",
            Self::Position(_) => "position",
            Self::TimeDecay { .. } => "time_decay",
            Self::Markov { .. } => "markov",
            Self::Shapley { .. } => "shapley",
        }
    }

    /// Checks the parameters; `path` locates the model (`model`, `models[2]`).
    ///
    /// # Errors
    ///
    /// `out_of_range` at `{path}.half_life_days` (≤ 0), `{path}.order` (not 1 to 4),
    /// `{path}.samples` (0; `limit_exceeded` above 1,000,000), `{path}.first`... (a weight outside [0, 1]);
    /// `invalid_value` at `path` when position weights do not sum to exactly 1.
    pub fn validate(&self, path: &str) -> Result<()> {
        match self {
            Self::Position(w) => w.units(path).map(|_| ()),
            Self::TimeDecay { half_life_days } if *half_life_days <= Decimal::ZERO => {
                Err(Error::out_of_range(format!("{path}.half_life_days"), half_life_days, "0 (excluded)", "inf"))
            }
            Self::Markov { order } if !(1..=4).contains(order) => {
                Err(Error::out_of_range(format!("{path}.order"), order, 1, 4))
            }
            Self::Shapley { samples: 0, .. } => Err(Error::out_of_range(format!("{path}.samples"), 0, 1, 1_000_000)),
            // Time: samples × channels per channel set.
            Self::Shapley { samples, .. } => {
                crate::limits::check(&format!("{path}.samples"), *samples, 1_000_000, "shapley samples")
            }
            _ => Ok(()),
        }
    }
}
