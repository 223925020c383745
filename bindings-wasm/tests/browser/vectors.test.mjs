// The shared vectors in headless Chromium: a local HTTP server serves the web build (.wasm as
// application/wasm, so streaming compilation is used), the vectors and a test page; the page
// imports the package's browser entry (js/web.mjs: the ES module, its .wasm loaded by a
// top-level await) and runs every case with the matcher Node uses.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { CHROMIUM_ARGS, readJson, vectorFiles, vectorsDir, wasmPackage } from "../repo.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
};
// URL prefix -> folder served under it.
const ROUTES = {
  "/pkg/web/": join(wasmPackage, "pkg", "web"),
  "/js/": join(wasmPackage, "js"),
  "/tests/shared/": join(wasmPackage, "tests", "shared"),
  "/vectors/": vectorsDir,
};

async function serve(req, res) {
  const url = new URL(req.url, "http://localhost");
  let file;
  if (url.pathname === "/" || url.pathname === "/index.html") {
    file = join(wasmPackage, "tests", "browser", "page.html");
  } else if (url.pathname === "/favicon.ico") {
    res.writeHead(204).end();
    return;
  } else if (url.pathname === "/vectors/index.json") {
    res.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify(vectorFiles()));
    return;
  } else {
    for (const [prefix, dir] of Object.entries(ROUTES)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const candidate = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
      if (candidate.startsWith(dir + sep)) file = candidate;
    }
  }
  try {
    if (!file) throw new Error("not served");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}

let server;
let profile;
let browser;
const tally = { passed: 0, failed: 0 };

before(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  // A fresh, empty profile. Playwright refuses `--user-data-dir` in `args` and takes it here.
  profile = await mkdtemp(join(tmpdir(), "crmkit-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (profile) await rm(profile, { recursive: true, force: true });
  console.log(`chromium vectors: ${tally.passed} passed, ${tally.failed} failed`);
});

test("shared vectors in headless Chromium", async (t) => {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => ["error", "warning"].includes(m.type()) && problems.push(`console ${m.type()}: ${m.text()}`));
  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof window.runVectors === "function");
  const { version, results } = await page.evaluate(() => window.runVectors());

  assert.equal(version, readJson(join(wasmPackage, "package.json")).version);
  const expected = vectorFiles().reduce((n, rel) => n + readJson(join(vectorsDir, rel)).cases.length, 0);
  assert.equal(results.length, expected, "every case ran");
  for (const file of new Set(results.map((r) => r.file))) {
    await t.test(file, async (ft) => {
      for (const r of results.filter((r) => r.file === file)) {
        await ft.test(r.id, () => {
          r.mismatch === null ? tally.passed++ : tally.failed++;
          assert.equal(r.mismatch, null);
        });
      }
    });
  }
  // Includes wasm-bindgen's warning when .wasm is not served as application/wasm.
  assert.deepEqual(problems, []);
});

test("forecastColumns' table holds its report in headless Chromium", async () => {
  const page = await browser.newPage();
  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof window.runTables === "function");
  const results = await page.evaluate(() => window.runTables());
  assert.ok(results.length > 0);
  for (const r of results) assert.equal(r.mismatch, null, r.name);
});

/** Runs `window[name]()` in a fresh page: `{ tables, errors }`, each table holding its report and
 * each error the same code and path from both outputs. */
async function checkTablesInPage(name) {
  const page = await browser.newPage();
  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction((n) => typeof window[n] === "function", name);
  const { tables, errors } = await page.evaluate((n) => window[n](), name);
  assert.ok(tables.length > 0);
  for (const r of tables) assert.equal(r.mismatch, null, r.name);
  assert.ok(errors.length > 0);
  for (const r of errors) {
    assert.match(r.report, /^CrmkitError \S+ \S+$/, r.name);
    assert.equal(r.table, r.report, r.name);
  }
}

test("quotaColumns' table holds its report in headless Chromium", () => checkTablesInPage("runQuotaTables"));

test("campaignRoiColumns' table holds its report in headless Chromium", () => checkTablesInPage("runRoiTables"));

test("forecastColumns reads ColumnBuffer views in place in headless Chromium", async () => {
  const page = await browser.newPage();
  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof window.runInPlace === "function");
  const results = await page.evaluate(() => window.runInPlace());
  assert.ok(results.length > 0);
  for (const r of results) assert.equal(r.mismatch, null, r.name);
});
