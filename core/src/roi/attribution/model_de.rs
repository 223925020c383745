//! Reading a [`Model`] strictly.
//!
//! serde's internally tagged enums accept any key beside a unit variant's tag (`{"kind":
//! "linear", "lookback_days": 7}` was read as `linear`, the window silently dropped; `{"kind":
//! "u_shaped", "first": "0.5"}` as plain U-shaped), and they buffer the value before reading
//! it, so an error inside (a float half-life, a seed beyond 64 bits) was reported at `model`
//! rather than at `model.half_life_days`. This reader takes the keys one at a time, as the
//! dedup comparator's does: each option is read where it stands (its errors carry
//! `.seed`), a key outside the model vocabulary is `unknown_field` at its path, and once the
//! kind is known an option it does not take is `unknown_field` at that option's path, also
//! when it came before `kind` (through [`crate::wire::error_at`]).

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::model::{one, samples, seven, CoalitionValue, Model, PositionWeights};
use crate::wire::{note_key, refuse_stray_option, WireDecimal};

/// The models, as `kind` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FirstTouch,
    LastTouch,
    Linear,
    UShaped,
    WShaped,
    Position,
    LastNonDirect,
    TimeDecay,
    Markov,
    Shapley,
}

/// Every key a model may have; another is `unknown_field` at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Kind,
    First,
    Middle,
    Last,
    LeadCreated,
    DealCreated,
    Direct,
    HalfLifeDays,
    Order,
    Value,
    Samples,
    Seed,
}

impl Key {
    const fn name(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::First => "first",
            Self::Middle => "middle",
            Self::Last => "last",
            Self::LeadCreated => "lead_created",
            Self::DealCreated => "deal_created",
            Self::Direct => "direct",
            Self::HalfLifeDays => "half_life_days",
            Self::Order => "order",
            Self::Value => "value",
            Self::Samples => "samples",
            Self::Seed => "seed",
        }
    }
}

impl Kind {
    /// The options this kind takes.
    const fn options(self) -> &'static [&'static str] {
        match self {
            Self::Position => &["first", "middle", "last", "lead_created", "deal_created"],
            Self::LastNonDirect => &["direct"],
            Self::TimeDecay => &["half_life_days"],
            Self::Markov => &["order"],
            Self::Shapley => &["value", "samples", "seed"],
            _ => &[],
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::FirstTouch => "first_touch",
            Self::LastTouch => "last_touch",
            Self::Linear => "linear",
            Self::UShaped => "u_shaped",
            Self::WShaped => "w_shaped",
            Self::Position => "position",
            Self::LastNonDirect => "last_non_direct",
            Self::TimeDecay => "time_decay",
            Self::Markov => "markov",
            Self::Shapley => "shapley",
        }
    }
}

const KINDS: [Kind; 10] = [
    Kind::FirstTouch,
    Kind::LastTouch,
    Kind::Linear,
    Kind::UShaped,
    Kind::WShaped,
    Kind::Position,
    Kind::LastNonDirect,
    Kind::TimeDecay,
    Kind::Markov,
    Kind::Shapley,
];

const NAMES: [&str; 10] = [
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "position",
    "last_non_direct",
    "time_decay",
    "markov",
    "shapley",
];

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::tag(d, &KINDS, Self::name, &NAMES)
    }
}

/// A seed by the wire rule for seeds (an integer or a decimal string, 0 to 2^64 − 1).
#[derive(Deserialize)]
#[serde(transparent)]
struct Seed(#[serde(with = "crate::wire::uint")] u64);

impl<'de> Deserialize<'de> for Model {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ModelVisitor)
    }
}

struct ModelVisitor;

/// The options read so far.
#[derive(Default)]
struct Options {
    weights: [Option<Decimal>; 5],
    direct: Option<Vec<String>>,
    half_life_days: Option<Decimal>,
    order: Option<u32>,
    value: Option<CoalitionValue>,
    samples: Option<u32>,
    seed: Option<u64>,
}

impl<'de> Visitor<'de> for ModelVisitor {
    type Value = Model;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a model object such as {\"kind\": \"linear\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Model, A::Error> {
        let mut kind: Option<Kind> = None;
        let mut o = Options::default();
        let mut given: Vec<Key> = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            note_key(&mut given, key, key.name())?;
            match key {
                Key::Kind => kind = Some(map.next_value()?),
                Key::First => o.weights[0] = Some(map.next_value::<WireDecimal>()?.0),
                Key::Middle => o.weights[1] = Some(map.next_value::<WireDecimal>()?.0),
                Key::Last => o.weights[2] = Some(map.next_value::<WireDecimal>()?.0),
                Key::LeadCreated => o.weights[3] = Some(map.next_value::<WireDecimal>()?.0),
                Key::DealCreated => o.weights[4] = Some(map.next_value::<WireDecimal>()?.0),
                Key::Direct => o.direct = Some(map.next_value()?),
                Key::HalfLifeDays => o.half_life_days = Some(map.next_value::<WireDecimal>()?.0),
                Key::Order => o.order = Some(map.next_value()?),
                Key::Value => o.value = Some(map.next_value()?),
                Key::Samples => o.samples = Some(map.next_value()?),
                Key::Seed => o.seed = Some(map.next_value::<Seed>()?.0),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        let stray = given.iter().filter(|k| **k != Key::Kind).map(|k| (*k as u8, k.name()));
        refuse_stray_option(stray, kind.options(), "model", kind.name())?;
        let [first, middle, last, lead_created, deal_created] = o.weights.map(Option::unwrap_or_default);
        Ok(match kind {
            Kind::FirstTouch => Model::FirstTouch,
            Kind::LastTouch => Model::LastTouch,
            Kind::Linear => Model::Linear,
            Kind::UShaped => Model::UShaped,
            Kind::WShaped => Model::WShaped,
            Kind::Position => Model::Position(PositionWeights { first, middle, last, lead_created, deal_created }),
            Kind::LastNonDirect => {
                Model::LastNonDirect { direct: o.direct.ok_or_else(|| de::Error::missing_field("direct"))? }
            }
            Kind::TimeDecay => Model::TimeDecay { half_life_days: o.half_life_days.unwrap_or_else(seven) },
            Kind::Markov => Model::Markov { order: o.order.unwrap_or_else(one) },
            Kind::Shapley => Model::Shapley {
                value: o.value.unwrap_or_default(),
                samples: o.samples.unwrap_or_else(samples),
                seed: o.seed.unwrap_or(0),
            },
        })
    }
}
