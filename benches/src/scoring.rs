//! Seeded lead-scoring benchmark data: leads as columns with 10 events each, the 30-rule
//! policy, and closed leads for training. `benches/peers/scoring_pandas.py` builds the same
//! leads from the same draws (lead `i` uses draws `16 i .. 16 i + 15`).

#![allow(clippy::many_single_char_names)] // n, i, a, d, l: the draws as the peer names them

use std::collections::BTreeMap;

use crmkit::scoring::{FieldData, FieldValue, Lead, ModelConfig, ScoringPolicy};

use crate::{as_of, draw};

/// Industries (12).
pub const INDUSTRIES: [&str; 12] =
    ["制造", "能源", "医药", "教育", "物流", "科技", "金融", "零售", "地产", "农业", "汽车", "化工"];
/// Regions (6).
pub const REGIONS: [&str; 6] = ["华东", "华南", "华北", "华中", "西南", "东北"];
/// Sources (8).
pub const SOURCES: [&str; 8] = ["官网", "展会", "百度推广", "微信", "转介绍", "电话营销", "合作伙伴", "内容下载"];
/// Titles (8).
pub const TITLES: [&str; 8] = ["总经理", "采购经理", "CTO", "工程师", "市场专员", "财务总监", "CEO", "实习生"];
/// Event types (6).
pub const EVENTS: [&str; 6] =
    ["visit_pricing", "download_whitepaper", "attend_webinar", "email_open", "demo_request", "unsubscribe"];

/// Leads as owned columns; events in long form (10 per lead, grouped by lead).
pub struct Leads {
    /// Rows.
    pub n: usize,
    /// Text columns: codes.
    pub industry: Vec<i32>,
    /// Region codes.
    pub region: Vec<i32>,
    /// Source codes.
    pub source: Vec<i32>,
    /// Title codes.
    pub title: Vec<i32>,
    /// Employees (NaN for 1 lead in 16).
    pub employees: Vec<f64>,
    /// Past wins.
    pub past_wins: Vec<f64>,
    /// Last contact, days since 1970-01-01.
    pub last_contact: Vec<i32>,
    /// Labels of the text columns.
    pub labels: [Vec<String>; 4],
    /// Event lead rows.
    pub event_lead: Vec<i64>,
    /// Event type codes.
    pub event_type: Vec<i32>,
    /// Event days.
    pub event_on: Vec<i32>,
    /// Event type labels.
    pub event_labels: Vec<String>,
}

fn labels(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| (*s).to_owned()).collect()
}

impl Leads {
    /// `n` leads from `seed`.
    pub fn generate(n: usize, seed: u64) -> Self {
        let today = crmkit_day(as_of());
        let mut l = Self {
            n,
            industry: Vec::with_capacity(n),
            region: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            title: Vec::with_capacity(n),
            employees: Vec::with_capacity(n),
            past_wins: Vec::with_capacity(n),
            last_contact: Vec::with_capacity(n),
            labels: [labels(&INDUSTRIES), labels(&REGIONS), labels(&SOURCES), labels(&TITLES)],
            event_lead: Vec::with_capacity(n * 10),
            event_type: Vec::with_capacity(n * 10),
            event_on: Vec::with_capacity(n * 10),
            event_labels: labels(&EVENTS),
        };
        for i in 0..n as u64 {
            let x = |k: u64| draw(seed, 16 * i + k);
            let a = x(0);
            l.industry.push((a % 12) as i32);
            l.region.push(((a >> 8) % 6) as i32);
            l.source.push(((a >> 16) % 8) as i32);
            l.title.push(((a >> 24) % 8) as i32);
            l.employees.push(if (a >> 32) % 16 == 0 { f64::NAN } else { ((a >> 36) % 5000) as f64 });
            l.past_wins.push(((a >> 52) % 4) as f64);
            l.last_contact.push(today - ((x(1) % 120) as i32));
            for e in 0..10 {
                let d = x(2 + e);
                l.event_lead.push(i as i64);
                l.event_type.push((d % 6) as i32);
                l.event_on.push(today - ((d >> 8) % 180) as i32);
            }
        }
        l
    }

    /// The field columns.
    pub fn fields(&self) -> Vec<(&str, FieldData<'_>)> {
        vec![
            ("industry", FieldData::Text { codes: &self.industry, labels: &self.labels[0] }),
            ("region", FieldData::Text { codes: &self.region, labels: &self.labels[1] }),
            ("source", FieldData::Text { codes: &self.source, labels: &self.labels[2] }),
            ("title", FieldData::Text { codes: &self.title, labels: &self.labels[3] }),
            ("employees", FieldData::Number(&self.employees)),
            ("past_wins", FieldData::Number(&self.past_wins)),
            ("last_contact_on", FieldData::Date(&self.last_contact)),
        ]
    }
}

fn crmkit_day(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// The benchmark's 30 rules (15 on fields, 15 on events), caps, grades and tiers.
pub fn policy() -> ScoringPolicy {
    crmkit::wire::from_json(POLICY, "").expect("benchmark policy is valid")
}

/// The policy as JSON (the pandas peer reads the same text).
pub const POLICY: &str = include_str!("scoring_policy.json");

/// Closed leads for training: 10 fields, outcome, stage, team, closed date.
pub struct ClosedLeads {
    leads: Vec<Lead>,
}

impl ClosedLeads {
    /// `n` closed leads from `seed`.
    pub fn generate(n: usize, seed: u64) -> Self {
        let stages = ["new", "qualified", "proposal"];
        let leads = (0..n as u64)
            .map(|i| {
                let a = draw(seed, 2 * i);
                let b = draw(seed, 2 * i + 1);
                let won = (a % 100) < 30 + (b % 20);
                let mut fields = BTreeMap::new();
                let text = |s: &str| FieldValue::Text(s.to_owned());
                fields.insert("outcome".into(), text(if won { "won" } else { "lost" }));
                fields.insert("stage".into(), text(stages[((a >> 8) % 3) as usize]));
                fields.insert("team".into(), text(["east", "south", "north", "west"][((a >> 10) % 4) as usize]));
                for f in 0..10_u64 {
                    let v = (b >> (f * 6)) % (3 + f * 3);
                    fields.insert(format!("f{f}"), FieldValue::Text(format!("v{v}")));
                }
                Lead { id: format!("c{i}"), fields, events: Vec::new() }
            })
            .collect();
        Self { leads }
    }

    /// The leads as records, borrowed (a million records take a few GB: no copy).
    pub fn leads(&self) -> &[Lead] {
        &self.leads
    }

    /// The same leads as text columns (category codes and labels), one per field.
    pub fn columns(&self) -> ClosedColumns {
        let mut names: Vec<String> = self.leads.first().map(|l| l.fields.keys().cloned().collect()).unwrap_or_default();
        names.sort();
        let mut codes = Vec::new();
        let mut labels = Vec::new();
        for name in &names {
            let mut index: std::collections::HashMap<&str, i32> = std::collections::HashMap::new();
            let mut column_labels = Vec::new();
            let column = self
                .leads
                .iter()
                .map(|l| match l.fields.get(name) {
                    Some(FieldValue::Text(t)) => *index.entry(t.as_str()).or_insert_with(|| {
                        column_labels.push(t.clone());
                        column_labels.len() as i32 - 1
                    }),
                    _ => -1,
                })
                .collect();
            codes.push(column);
            labels.push(column_labels);
        }
        ClosedColumns { rows: self.leads.len(), names, codes, labels }
    }
}

/// Closed leads as owned text columns.
pub struct ClosedColumns {
    /// Rows.
    pub rows: usize,
    /// Field names.
    pub names: Vec<String>,
    /// Per field: codes.
    pub codes: Vec<Vec<i32>>,
    /// Per field: labels.
    pub labels: Vec<Vec<String>>,
}

impl ClosedColumns {
    /// The columns as the trainer reads them.
    pub fn fields(&self) -> Vec<(&str, FieldData<'_>)> {
        self.names
            .iter()
            .zip(self.codes.iter().zip(&self.labels))
            .map(|(name, (codes, labels))| (name.as_str(), FieldData::Text { codes, labels }))
            .collect()
    }
}

/// The training configuration: improved naive Bayes over `f0`..`f9` with team blending.
pub fn model_config() -> ModelConfig {
    let fields: Vec<String> = (0..10).map(|f| format!(r#"{{"name": "f{f}"}}"#)).collect();
    crmkit::wire::from_json(
        &format!(
            r#"{{"method": "bayes", "fields": [{}], "stages": [{{"name": "new"}}, {{"name": "qualified"}}, {{"name": "proposal"}}],
                "smoothing": 1, "min_support": 10, "team_blend": 50}}"#,
            fields.join(", ")
        ),
        "",
    )
    .expect("benchmark model config is valid")
}
