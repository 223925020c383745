//! Python bindings of crmkit (placeholder until the binding lands).
