//! Runs every shared vector case in Rust.

use crmkit_tests::{call, subset_mismatch_within, vector_files};
use serde_json::Value;

#[test]
fn every_vector_case_passes() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for file in vector_files() {
        let text = std::fs::read_to_string(&file).expect("readable vector file");
        let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
        let function = doc["function"].as_str().expect("function");
        for case in doc["cases"].as_array().expect("cases") {
            let id = case["id"].as_str().expect("id");
            let result = call(function, &case["config"], &case["input"], case["as_of"].as_str().expect("as_of"));
            let problem = match (result, case.get("expected"), case.get("expected_error")) {
                (Ok(out), Some(expected), None) => {
                    let tolerance = case.get("tolerance").and_then(Value::as_f64).unwrap_or(0.0);
                    subset_mismatch_within(expected, &out, "output", tolerance)
                }
                (Err(e), None, Some(want)) => {
                    let got = serde_json::json!({"code": e.code(), "path": e.path()});
                    (got != *want).then(|| format!("expected error {want}, got {got} ({e})"))
                }
                (Ok(_), None, Some(want)) => Some(format!("expected error {want}, got a result")),
                (Err(e), Some(_), None) => Some(format!("unexpected error {}: {e}", e.code())),
                _ => Some("a case has exactly one of expected / expected_error".into()),
            };
            match problem {
                None => passed += 1,
                Some(p) => failures.push(format!("{}: {id}: {p}", file.display())),
            }
        }
    }
    println!("rust vectors: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 240, "every vector file was read");
}
