//! One version for the crate, the Python package and the npm package.

#[test]
fn npm_and_python_packages_carry_the_crate_version() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("bindings-wasm/package.json")).expect("package.json"))
            .expect("package.json is JSON");
    assert_eq!(package["version"], crmkit::VERSION, "bindings-wasm/package.json");
    // The wheel takes its version from Cargo (maturin, `dynamic = ["version"]`), and the
    // binding crate inherits the workspace version.
    let pyproject = std::fs::read_to_string(root.join("bindings-python/pyproject.toml")).expect("pyproject.toml");
    assert!(pyproject.contains(r#"dynamic = ["version"]"#), "pyproject.toml must take its version from Cargo");
    for manifest in ["bindings-python/Cargo.toml", "bindings-wasm/Cargo.toml", "core/Cargo.toml"] {
        let text = std::fs::read_to_string(root.join(manifest)).expect("manifest");
        assert!(text.contains("version.workspace = true"), "{manifest} inherits the workspace version");
    }
}
