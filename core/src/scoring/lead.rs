//! A lead as a record: its id, any fields, and its events.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// One lead: `id`, `events` and any other members as its fields
/// (`{"id": "L1", "industry": "制造", "employees": 250, "events": [...]}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lead {
    /// Unique id (the final ranking tie-break).
    pub id: String,
    /// Fields by name: text, numbers, booleans, `YYYY-MM-DD` dates as text, or null.
    pub fields: BTreeMap<String, FieldValue>,
    /// Behavioural events (visits, downloads, webinars...).
    pub events: Vec<LeadEvent>,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Absent.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number (or a decimal given as a string where a number is expected).
    Number(f64),
    /// Text (dates as `YYYY-MM-DD`).
    Text(String),
    /// A list of texts: tags, each a value of its own for the learned model.
    Tags(Vec<String>),
}

/// One event of a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct LeadEvent {
    /// Its type (`visit_pricing`, `download_whitepaper`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened; events after `as_of` are ignored.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number, a boolean, a list of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<FieldValue, E> {
                Ok(FieldValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<FieldValue, E> {
                Ok(FieldValue::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FieldValue, E> {
                Ok(FieldValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldValue, E> {
                Ok(FieldValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldValue, E> {
                Ok(FieldValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FieldValue, E> {
                Ok(FieldValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldValue, E> {
                Ok(FieldValue::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<FieldValue, E> {
                Ok(FieldValue::Text(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<FieldValue, A::Error> {
                let mut tags = Vec::new();
                while let Some(t) = seq.next_element::<String>()? {
                    tags.push(t);
                }
                Ok(FieldValue::Tags(tags))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_none(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => s.serialize_f64(*n),
            Self::Text(t) => s.serialize_str(t),
            Self::Tags(t) => t.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Lead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lead;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a lead object with an `id`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lead, A::Error> {
                let mut lead = Lead::default();
                let mut id = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value::<String>()?),
                        "events" => lead.events = map.next_value::<Option<Vec<LeadEvent>>>()?.unwrap_or_default(),
                        _ => {
                            let value = map.next_value::<FieldValue>()?;
                            if lead.fields.insert(key.clone(), value).is_some() {
                                return Err(de::Error::custom(format!("field {key:?} given twice")));
                            }
                        }
                    }
                }
                lead.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                Ok(lead)
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Lead {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.fields.len() + 2))?;
        m.serialize_entry("id", &self.id)?;
        for (k, v) in &self.fields {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("events", &self.events)?;
        m.end()
    }
}
