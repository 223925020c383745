// The JS examples of the READMEs run as written, against this package, and print what their
// comments say: every ```js block of bindings-wasm/README.md and of the root README.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { repoRoot, wasmPackage } from "../repo.mjs";

const blocks = (file) => [...readFileSync(file, "utf8").matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

/** `console.log(...); // shown` lines: what each should print. */
const expectedLines = (code) =>
  code
    .split("\n")
    .filter((line) => /^\s*console\.log\(.*\/\/ /.test(line))
    .map((line) => line.slice(line.lastIndexOf("// ") + 3).replace(/ \.\.\.$/, ""));

for (const [name, file] of [
  ["bindings-wasm/README.md", join(wasmPackage, "README.md")],
  ["README.md", join(repoRoot, "README.md")],
]) {
  const found = blocks(file);
  test(`${name} has JS examples`, () => assert.ok(found.length > 0));
  found.forEach((code, i) => {
    test(`${name} example ${i + 1}`, () => {
      // Run from the package folder, so `import ... from "crmkit"` is this package.
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: wasmPackage, encoding: "utf8" });
      const printed = out.split("\n").filter(Boolean);
      const want = expectedLines(code);
      assert.equal(printed.length, want.length, `one printed line per commented console.log:\n${out}`);
      // Compared without quotes, brackets and commas; a comment ending in "..." is a prefix.
      const bare = (s) => s.replace(/[[\]',]/g, " ").replace(/\s+/g, " ").trim();
      want.forEach((w, j) => assert.ok(bare(printed[j]).startsWith(bare(w)), `line ${j + 1}: expected ${w}, got ${printed[j]}`));
    });
  });
}
