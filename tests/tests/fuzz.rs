//! Arbitrary JSON, and mutations of the shared vectors, fed to every public entry point: never
//! a panic; either a result or an `Error` with a documented code and a well-formed path.
//!
//! Every function a vector file names is fuzzed (through `crmkit_tests::call`); an entry point
//! without vectors is added with one line in [`ENTRY_POINTS`]. A domain's error codes must be
//! in the README's "Error codes" table, which this test reads. Case counts stay small in the test command;
//! `scripts/fuzz.sh` runs the same properties longer (`PROPTEST_CASES`).

use crmkit_tests::{call, replace_nth, vector_files};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Entry points reachable from JSON besides the ones the vector files name (which are all
/// fuzzed, see [`entry_points`]): one line per function a domain has no vector file for.
const ENTRY_POINTS: &[&str] = &[];

/// Every function the vector files name, plus [`ENTRY_POINTS`], each once.
fn entry_points() -> Vec<String> {
    let mut all: Vec<String> = vector_cases().iter().map(|c| c.0.clone()).collect();
    all.extend(ENTRY_POINTS.iter().map(|s| (*s).to_owned()));
    all.sort();
    all.dedup();
    all
}

/// The codes the README's "Error codes" table documents (first column, in backticks): an
/// error code a domain adds must be documented there before it can pass this test.
fn documented_codes() -> &'static [String] {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
        let table = readme.split("## Error codes").nth(1).expect("an Error codes section");
        let table = table.split("\n## ").next().unwrap_or_default();
        table
            .lines()
            .filter_map(|l| l.strip_prefix('|').and_then(|l| l.split('|').next()))
            .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>())
            .collect()
    })
}

/// Runs one call and checks the outcome; `Err` carries what is wrong with it.
fn check(function: &str, config: &Value, input: &Value, as_of: &str) -> Result<(), TestCaseError> {
    let outcome = std::panic::catch_unwind(|| call(function, config, input, as_of));
    match outcome {
        Err(_) => {
            Err(TestCaseError::fail(format!("{function} panicked on config {config} input {input} as_of {as_of:?}")))
        }
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            prop_assert!(
                documented_codes().iter().any(|c| c == e.code()),
                "code {} is not in the README's Error codes table ({e})",
                e.code()
            );
            let path = e.path();
            prop_assert!(!path.contains('?') && !path.contains(".."), "malformed path {path:?} ({e})");
            prop_assert!(!e.to_string().trim().is_empty());
            Ok(())
        }
    }
}

/// Any JSON value, with the strings and numbers crmkit inputs are made of.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e30f64..1e30).prop_map(Value::from),
        prop_oneof![
            Just("0".to_owned()),
            Just("1".to_owned()),
            Just("0.5".to_owned()),
            Just("-1".to_owned()),
            Just("79228162514264337593543950335".to_owned()),
            Just("0.0000000000000000000000000001".to_owned()),
            Just("2026-01-05".to_owned()),
            Just("0001-01-01".to_owned()),
            Just("9999-12-31".to_owned()),
            Just("open".to_owned()),
            Just("won".to_owned()),
            Just("days".to_owned()),
            Just("months".to_owned()),
            Just("actual".to_owned()),
            Just("expected_close".to_owned()),
            "[a-z_]{0,8}",
            "[0-9.\\-]{0,12}",
            any::<String>(),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

type Case = (String, Value, Value, String);

/// Every vector case as (function, config, input, as_of), read once.
fn vector_cases() -> &'static [Case] {
    static CASES: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(read_cases)
}

fn read_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for file in vector_files() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).expect("JSON");
        let function = doc["function"].as_str().expect("function").to_owned();
        for case in doc["cases"].as_array().expect("cases") {
            let as_of = case["as_of"].as_str().unwrap_or_default().to_owned();
            out.push((function.clone(), case["config"].clone(), case["input"].clone(), as_of));
        }
    }
    out
}

fn config() -> ProptestConfig {
    // Small in the test command; scripts/fuzz.sh raises PROPTEST_CASES.
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_json_to_every_entry_point(
        config in any_json(),
        input in any_json(),
        deals in any_json(),
        as_of in prop_oneof![Just("2026-01-05".to_owned()), any::<String>()],
    ) {
        for function in &entry_points() {
            check(function, &config, &input, &as_of)?;
            // The list-shaped inputs, where the entry points look for them.
            let wrapped = json!({"deals": deals, "events": deals, "history": deals, "target": "100"});
            check(function, &config, &wrapped, &as_of)?;
        }
    }

    #[test]
    fn mutated_vectors(pick in any::<prop::sample::Index>(), at in 0usize..64, with in any_json(), in_config in any::<bool>()) {
        let (function, mut config, mut input, as_of) = pick.get(vector_cases()).clone();
        let mut n = at;
        if in_config { replace_nth(&mut config, &mut n, &with) } else { replace_nth(&mut input, &mut n, &with) };
        check(&function, &config, &input, &as_of)?;
    }
}

#[test]
fn the_errors_table_is_read() {
    let codes = documented_codes();
    for code in ["invalid_type", "limit_exceeded", "overflow"] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
}

#[test]
fn every_entry_point_is_dispatched() {
    let points = entry_points();
    assert!(points.len() >= 4, "{points:?}");
    for function in &points {
        // `call` panics on a function it does not dispatch.
        let _ = call(function, &Value::Null, &Value::Null, "2026-01-05");
    }
}
