//! Seeded benchmark data shared by the criterion benches and the peer comparisons.
//!
//! The generator is splitmix64 used as a counter, so Python (numpy) and JS (BigInt) produce
//! the same deals: `x_k = mix(seed + (k + 1) * GOLDEN)`, deal `i` uses `x_{2i}` and `x_{2i+1}`.

pub mod book;
pub mod claims;
pub mod commission;
pub mod history;
pub mod measure;
pub mod pool;
pub mod roi;

use crmkit::forecast::{AmountColumn, DateColumn, DealColumns, ForecastPolicy, KeyColumn, Placement, StageCodes};

pub mod scoring;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// 64-bit FNV-1a over `words` (bytes or whole words): the timing examples' digest of an
/// output, so that a speed change can be checked to leave every bit as it was.
pub fn fnv1a(words: impl IntoIterator<Item = u64>) -> u64 {
    words.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, w| (h ^ w).wrapping_mul(0x0100_0000_01b3))
}

/// splitmix64's output function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `k`-th output of splitmix64 seeded with `seed`.
pub fn draw(seed: u64, k: u64) -> u64 {
    mix(seed.wrapping_add(k.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// `as_of` of every benchmark: 2026-11-23.
pub fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date")
}

/// The benchmark funnel: four open stages in days, won, lost; grouped by owner.
pub fn policy(placement: Placement) -> ForecastPolicy {
    let placement = match placement {
        Placement::RemainingFull => "remaining_full",
        Placement::HalfElapsed => "half_elapsed",
        Placement::Actual => "actual",
        Placement::ExpectedClose => "expected_close",
    };
    crmkit::wire::from_json(
        &format!(
            r#"{{"stages": [
                {{"name": "lead", "conversion": "0.3", "duration": "30"}},
                {{"name": "qualified", "conversion": "0.5", "duration": "20"}},
                {{"name": "proposal", "conversion": "0.6", "duration": "15"}},
                {{"name": "negotiation", "conversion": "0.8", "duration": "10"}},
                {{"name": "won", "kind": "won"}},
                {{"name": "lost", "kind": "lost"}}],
              "duration_unit": "days", "placement": "{placement}", "group_by": ["owner"]}}"#
        ),
        "",
    )
    .expect("benchmark policy is valid")
}

/// `n` generated deals as owned columns.
pub struct Deals {
    /// Stage codes into `stage_labels`.
    pub stage: Vec<i32>,
    /// Stage names.
    pub stage_labels: Vec<String>,
    /// Amounts in cents.
    pub cents: Vec<i64>,
    /// Entered-stage dates, days since 1970-01-01.
    pub entered: Vec<i64>,
    /// Owner codes into `owner_labels`.
    pub owner: Vec<i32>,
    /// `rep000`..`rep199`.
    pub owner_labels: Vec<String>,
}

impl Deals {
    /// Generates `n` deals from `seed` (42 in every published figure).
    pub fn generate(n: usize, seed: u64) -> Self {
        let as_of_days = (as_of() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
        let mut d = Self {
            stage: Vec::with_capacity(n),
            stage_labels: ["lead", "qualified", "proposal", "negotiation", "won", "lost"].map(String::from).to_vec(),
            cents: Vec::with_capacity(n),
            entered: Vec::with_capacity(n),
            owner: Vec::with_capacity(n),
            owner_labels: (0..200).map(|i| format!("rep{i:03}")).collect(),
        };
        for i in 0..n as u64 {
            let a = draw(seed, 2 * i);
            let b = draw(seed, 2 * i + 1);
            d.stage.push((a % 6) as i32);
            d.cents.push(100_000 + (b % 100_000_000) as i64);
            d.owner.push(((a >> 32) % 200) as i32);
            d.entered.push(as_of_days - ((b >> 40) % 120) as i64);
        }
        d
    }

    /// Borrowed as crmkit columns.
    pub fn columns(&self) -> DealColumns<'_> {
        DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: &self.stage_labels,
            amount: AmountColumn::Units { units: &self.cents, scale: 2 },
            entered_stage_on: Some(DateColumn::Days(&self.entered)),
            expected_close_on: None,
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes: &self.owner, labels: &self.owner_labels }.into()],
            probability: None,
            category: None,
        }
    }
}

/// A seeded CRM-like book for the dedup benches: Chinese company names (region + 字号 +
/// industry + legal form), a quarter of them repeated as a variant (region in brackets,
/// the short name, 有限责任公司, a doubled character), with mobiles and e-mails.
pub fn dedup_book(n: usize, seed: u64) -> Vec<crmkit::dedup::DedupRecord> {
    const REGIONS: [&str; 12] =
        ["北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "南京", "苏州", "天津", "重庆", "西安"];
    const INDUSTRY: [&str; 8] = ["科技", "网络科技", "信息技术", "电子商务", "贸易", "实业", "文化传媒", "物流"];
    let brand_chars: Vec<char> = "华信达通天明成海安佳利源盛鑫恒泰瑞宏博创新科智联云图睿星辰汇金银凯越航嘉禾丰远景美中正德诚和兴荣辉腾飞龙凤祥康宁泽润万方圣圆合众拓展维纳思迈启元亿百千乐优品汉唐宋楚"
        .chars()
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut k = 0u64;
    let mut next = || {
        k += 1;
        draw(seed, k)
    };
    let mut entity = 0u64;
    while out.len() < n {
        let region = REGIONS[(next() % 12) as usize];
        let len = 2 + (next() % 3) as usize;
        let brand: String = (0..len).map(|_| brand_chars[(next() % brand_chars.len() as u64) as usize]).collect();
        let industry = INDUSTRY[(next() % 8) as usize];
        let phone = format!("1{}{:09}", 3 + next() % 7, next() % 1_000_000_000);
        let email = format!("info@b{entity}.com.cn");
        let name = format!("{region}{brand}{industry}有限公司");
        let record = |id: usize, company: String, phone: Option<&str>, email: Option<&str>| {
            let mut fields = std::collections::BTreeMap::new();
            fields.insert("company".to_owned(), Some(company));
            fields.insert("phone".to_owned(), phone.map(str::to_owned));
            fields.insert("email".to_owned(), email.map(str::to_owned));
            crmkit::dedup::DedupRecord {
                id: format!("R{id:07}"),
                owner: Some(format!("rep{:03}", entity % 200)),
                fields,
            }
        };
        out.push(record(out.len(), name, Some(&phone), Some(&email)));
        if next() % 4 == 0 && out.len() < n {
            let variant = match next() % 4 {
                0 => format!("{brand}（{region}）{industry}有限公司"),
                1 => format!("{brand}{industry}"),
                2 => format!("{region}{brand}{industry}有限责任公司"),
                _ => {
                    let first: String = brand.chars().take(1).collect();
                    format!("{region}{first}{brand}{industry}有限公司")
                }
            };
            out.push(record(out.len(), variant, Some(&phone), None));
        }
        entity += 1;
    }
    out
}
