//! Writes native results for generated inputs, for the Node parity test
//! (`bindings-wasm/tests/node/parity.test.mjs`): every shared vector case, then mutations of
//! them (a node replaced by a value from a palette of awkward ones), each with what the native
//! build returns (`result`) or its error (`error: {code, path}`). The WASM build must give the
//! same for every case (wasm32's 32-bit `usize` must not change an answer).
//!
//! `cargo run -q -p crmkit-tests --example parity -- [mutations] [seed]` prints JSON.
//!
//! Each mutation is drawn from a generator seeded by its case's identity (file name, function, case id)
//! and the run's seed, never by the case's position in the list: adding a vector leaves the
//! other cases' mutations as they were (it may take over a slot from one case, no more), so a
//! new vector cannot re-draw 300 mutations and surface an old mismatch as if it were new.

use std::io::Write as _;

use crmkit_tests::{call, replace_nth, vector_files};
use serde_json::{json, Value};

fn main() {
    let mut args = std::env::args().skip(1);
    let mutations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut cases: Vec<(u64, String, Value, Value, String)> = Vec::new();
    for file in vector_files() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).expect("JSON");
        let function = doc["function"].as_str().expect("function").to_owned();
        for case in doc["cases"].as_array().expect("cases") {
            let as_of = case["as_of"].as_str().unwrap_or_default().to_owned();
            let id = case["id"].as_str().unwrap_or_default();
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let key = fnv1a(seed, format!("{name}\u{0}{function}\u{0}{id}").as_bytes());
            cases.push((key, function.clone(), case["config"].clone(), case["input"].clone(), as_of));
        }
    }
    // Values that are awkward on one platform or another; integers stay within 2^53, which
    // JSON.parse in JS reads exactly.
    let palette = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(9_007_199_254_740_991_u64),
        json!(0.5),
        json!(1e30),
        json!(""),
        json!("0"),
        json!("1"),
        json!("0.5"),
        json!("-0.01"),
        json!("1200"),
        json!("36500"),
        json!("79228162514264337593543950335"),
        json!("0.0000000000000000000000000001"),
        json!("33.333333333333333333333333333"),
        json!("2026-01-05"),
        json!("0001-01-01"),
        json!("9999-12-31"),
        json!("2026-1-5"),
        json!("open"),
        json!("won"),
        json!("lost"),
        json!("months"),
        json!("days"),
        json!("actual"),
        json!("expected_close"),
        json!("half_elapsed"),
        json!(["owner"]),
        json!({}),
        json!([]),
        json!([{}]),
    ];
    let mut out = Vec::new();
    let mut run = |function: &str, config: &Value, input: &Value, as_of: &str| {
        let outcome = match call(function, config, input, as_of) {
            Ok(result) => json!({"result": result}),
            Err(e) => json!({"error": {"code": e.code(), "path": e.path()}}),
        };
        let mut case = json!({"function": function, "config": config, "input": input, "as_of": as_of});
        case.as_object_mut().expect("object").extend(outcome.as_object().expect("object").clone());
        out.push(case);
    };
    for (_, function, config, input, as_of) in &cases {
        run(function, config, input, as_of);
    }
    // The cases in the order of their keys; mutation k mutates the (k mod n)-th, with a
    // generator seeded by that case's key and the round (k div n).
    let mut order: Vec<&(u64, String, Value, Value, String)> = cases.iter().collect();
    order.sort_by_key(|c| c.0);
    for k in 0..mutations {
        let (key, function, config, input, as_of) = order[k % order.len()];
        let mut state = key ^ (k / order.len()) as u64;
        let mut next = move || splitmix(&mut state);
        let (mut config, mut input) = (config.clone(), input.clone());
        let with = &palette[(next() % palette.len() as u64) as usize];
        let target = if next() % 2 == 0 { &mut config } else { &mut input };
        let mut n = (next() % count(target) as u64) as usize;
        replace_nth(target, &mut n, with);
        run(function, &config, &input, as_of);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", Value::Array(out)).expect("stdout");
}

/// SplitMix64: a small, well-mixed generator; the state is the case's key.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes, started from the run's seed: a stable key per case.
fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325 ^ seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}
