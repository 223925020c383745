//! Native timing of training the learned model on the bench's closed leads, for the README:
//! `cargo run --release -q -p crmkit-benches --example scoring_train -- [runs] [leads]`
//! prints one line per call (`crmkit_benches::measure::timed`: wall time, the calling
//! thread's CPU time, its wait for a core, minor page faults) for `train_lead_model` over the
//! leads as records (`Lead`s already built: no JSON is parsed in the timed call) and for
//! `train_lead_model_columns` over the same leads as text columns, in turns, then a digest of
//! the model (FNV-1a over its JSON): the two forms must give one model. The leads are
//! `benches/src/scoring.rs`'s `ClosedLeads` (1,000,000 by default, 10 fields, `bayes` with
//! teams blended).

use crmkit::scoring::{train_lead_model, train_lead_model_columns, LeadColumns, LeadModel};
use crmkit_benches::as_of;
use crmkit_benches::measure::timed;
use crmkit_benches::scoring::{model_config, ClosedLeads};

/// FNV-1a over the model's JSON: two runs (or two versions) give one model exactly when
/// their digests agree.
fn digest(model: &LeadModel) -> u64 {
    let json = serde_json::to_string(model).expect("a model is JSON");
    crmkit_benches::fnv1a(json.bytes().map(u64::from))
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let closed = ClosedLeads::generate(n, 7);
    let config = model_config();
    let owned = closed.columns();
    let columns = LeadColumns { rows: owned.rows, fields: owned.fields(), events: None };
    let show = |model: &crmkit::Result<LeadModel>| match model {
        Ok(m) => format!("digest {:016x}", digest(m)),
        Err(e) => format!("error {e}"),
    };
    for _ in 0..runs {
        timed(&format!("train_lead_model {n} records"), || train_lead_model(&config, closed.leads(), as_of()), show);
        timed(
            &format!("train_lead_model_columns {n} rows"),
            || train_lead_model_columns(&config, &columns, as_of()),
            show,
        );
    }
}
