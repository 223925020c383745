// The npm package as users get it: the .tgz that `scripts/wasm.sh` packs, installed into a
// scratch project and used from Node ESM, Node CommonJS, TypeScript, vitest, and a vite-built
// page in headless Chromium; and the unbuilt source package refusing to install with a message that says why.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { CHROMIUM_ARGS, repoRoot, readJson, wasmPackage } from "../repo.mjs";

const version = readJson(join(wasmPackage, "package.json")).version;
const tgz = join(repoRoot, "target", "npm", `crmkit-${version}.tgz`);
const scratch = mkdtempSync(join(tmpdir(), "crmkit-npm-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const npm = (cwd, ...args) =>
  spawnSync("npm", [...args, "--no-audit", "--no-fund", "--offline"], { cwd, encoding: "utf8" });

/** A fresh project with the packed crmkit installed the way the README says. */
function project(name) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  const r = npm(dir, "install", tgz);
  assert.equal(r.status, 0, `npm install ${tgz}:\n${r.stdout}\n${r.stderr}`);
  return dir;
}

let app;
before(() => {
  assert.ok(existsSync(tgz), `${tgz} missing: scripts/wasm.sh packs it`);
  app = project("app");
});

test("the .tgz holds both builds, the entry points and the licences, and no sources or tests", () => {
  const files = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of ["js/node.cjs", "js/node.mjs", "js/web.mjs", "pkg/node/crmkit_bg.wasm", "pkg/web/crmkit_bg.wasm", "LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.ok(files.includes(`package/${f}`), `${f} not packed`);
  }
  assert.ok(!files.some((f) => /\/(src|tests|node_modules)\//.test(f)), files.join("\n"));
  const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tgz, "package/package.json"], { encoding: "utf8" }));
  assert.equal(manifest.scripts, undefined, "no install script in the built package");
  assert.equal(manifest.devDependencies, undefined);
});

const CHECK = `
  const policy = { stages: [{ name: "open", conversion: "0.25", duration: "10" }, { name: "won", kind: "won" }],
    duration_unit: "days", placement: "remaining_full" };
  await init();
  const report = forecast(policy, [{ id: "a", stage: "open", amount: "100.00" }], "2026-01-05");
  let e;
  try { forecast({ ...policy, placement: "halfway" }, [], "2026-01-05"); } catch (err) { e = err; }
  console.log(JSON.stringify({ weighted: report.totals.open.weighted, instance: e instanceof CrmkitError,
    error: e instanceof Error, name: e.name, code: e.code, path: e.path, version: version() }));
`;
const WANT = { weighted: "25.00", instance: true, error: true, name: "CrmkitError", code: "invalid_value", path: "placement", version };

test("Node ESM: import { forecast, CrmkitError } and a harmless default init()", () => {
  const code = `import init, { CrmkitError, forecast, version } from "crmkit";\n${CHECK}`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: app, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), WANT);
});

test("Node CommonJS: require, the same CrmkitError class as import", () => {
  const code = `const { CrmkitError, forecast, init, version } = require("crmkit");
    (async () => { ${CHECK}
      const esm = await import("crmkit");
      if (esm.CrmkitError !== CrmkitError) throw new Error("two CrmkitError classes");
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", code], { cwd: app, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), WANT);
});

test("TypeScript (nodenext) sees the class, init and the functions through the exports", () => {
  const ts = `import init, { CrmkitError, forecast, type ForecastReport } from "crmkit";
    await init();
    try { forecast({ stages: [], duration_unit: "days", placement: "actual" }, [], "2026-01-05"); }
    catch (e) { if (e instanceof CrmkitError) { const c: string = e.code; const p: string = e.path; void c; void p; } }
    export const r: () => ForecastReport = () => forecast({ stages: [], duration_unit: "days", placement: "actual" }, [], "2026-01-05");`;
  writeFileSync(join(app, "check.mts"), ts);
  writeFileSync(join(app, "check.cts"), ts.replace("await init();", "void init();").replace("import init, {", "import {init,"));
  const compilerOptions = { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], types: [] };
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["check.mts", "check.cts"] }));
  const r = spawnSync(join(wasmPackage, "node_modules", ".bin", "tsc"), ["-p", app], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("vitest: a test file that imports crmkit runs under vitest run, init() harmless", () => {
  const dir = join(app, "vitest");
  mkdirSync(dir, { recursive: true });
  // --globals: the scratch project has crmkit only; vitest itself comes from this package.
  writeFileSync(
    join(dir, "crmkit.test.mjs"),
    `import init, { CrmkitError, forecast, version } from "crmkit";
    test("forecast and CrmkitError under vitest", async () => {
      ${CHECK.replace("console.log(JSON.stringify(", "expect((").replace(/\}\)\);\s*$/, `})).toEqual(${JSON.stringify(WANT)});`)}
    });`,
  );
  const r = spawnSync(join(wasmPackage, "node_modules", ".bin", "vitest"), ["run", "--globals", "--root", dir, "--reporter", "verbose"], {
    cwd: app,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed/);
});

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

test("a vite build of a page that imports crmkit runs in headless Chromium", async () => {
  const { build } = await import("vite");
  const root = join(app, "web");
  cpSync(join(wasmPackage, "tests", "package", "app"), root, { recursive: true });
  const outDir = join(root, "dist");
  await build({ root, logLevel: "warn", configFile: false, build: { outDir, emptyOutDir: true } });
  assert.ok(execFileSync("find", [outDir, "-name", "*.wasm"], { encoding: "utf8" }).trim(), "vite emitted the .wasm");

  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    const file = normalize(join(outDir, path === "/" ? "index.html" : decodeURIComponent(path)));
    if (!file.startsWith(outDir + sep) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const profile = mkdtempSync(join(tmpdir(), "crmkit-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.result !== undefined || false, null, { timeout: 20_000 });
    const result = await page.evaluate(() => window.result);
    assert.deepEqual(problems, []);
    assert.deepEqual(result, {
      version,
      weighted: "25.00",
      error: { isCrmkitError: true, isError: true, name: "CrmkitError", code: "invalid_value", path: "placement" },
    });
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(profile, { recursive: true, force: true });
  }
});

test("the unbuilt source package refuses to install, and to load, saying how to build it", () => {
  const src = join(scratch, "unbuilt-src");
  mkdirSync(src);
  cpSync(join(wasmPackage, "package.json"), join(src, "package.json"));
  cpSync(join(wasmPackage, "js"), join(src, "js"), { recursive: true });
  const dir = join(scratch, "unbuilt-app");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "unbuilt-app", version: "1.0.0", private: true }));
  const r = npm(dir, "install", src);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /without its WebAssembly build.*scripts\/wasm\.sh --build-only/s);
  const load = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(join(src, "js", "node.cjs"))})`], { encoding: "utf8" });
  assert.notEqual(load.status, 0);
  assert.match(load.stderr, /without its WebAssembly build/);
});
