// Where things are in the repository, for the Node side of the tests.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const wasmPackage = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(wasmPackage, "..");
export const vectorsDir = join(repoRoot, "tests", "vectors");

/** Every `tests/vectors/<domain>/*.json`, sorted, as paths relative to tests/vectors. */
export function vectorFiles() {
  return readdirSync(vectorsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(vectorsDir, d.name))
        .filter((f) => f.endsWith(".json"))
        .map((f) => relative(vectorsDir, join(vectorsDir, d.name, f)).split("\\").join("/")),
    )
    .sort();
}

export const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** `version` of `[workspace.package]` in the workspace Cargo.toml. */
export function cargoVersion() {
  const toml = readFileSync(join(repoRoot, "Cargo.toml"), "utf8");
  const section = toml.split(/^\[workspace\.package\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  return /^version\s*=\s*"([^"]+)"/m.exec(section)?.[1];
}

// TOOLCHAIN.md: without the networking flags Chromium keeps dialling the closed network.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
