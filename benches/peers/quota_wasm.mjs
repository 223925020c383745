// quotaColumns from JS on the issue-7 book: 1,000,000 deals (splitmix64, seed 42), 500 owners
// as label codes, won rows dated in the past, 4,500 quotas (500 owners x 9 quarters, 5,000
// lines), against forecastColumns on the same columns.
//
//   node benches/peers/quota_wasm.mjs [PKG_DIR]        (default bindings-wasm/pkg)
//
// Needs the Node build (`bash scripts/wasm.sh --build-only`). Prints the report's and the
// quotas' JSON sizes, then the best of 7 (after 3 untimed) for: JSON.stringify of the quotas
// with a replacer (what reading them as input costs in JS), JSON.parse of the report,
// forecastColumns as objects and with { output: "columns" }, quotaColumns as a report and with
// { output: "columns" } (typed-array lines).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
const pkg = process.argv[2] ?? fileURLToPath(new URL("../../bindings-wasm/pkg", import.meta.url));
const crmkit = createRequire(import.meta.url)(pkg + "/node/crmkit.js");
const n = 1_000_000, AS_OF = "2026-11-23";
const M64 = (1n << 64n) - 1n, GOLDEN = 0x9e3779b97f4a7c15n, SEED = 42n;
function mix(z) {
  z = (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n & M64;
  z = (z ^ (z >> 27n)) * 0x94d049bb133111ebn & M64;
  return z ^ (z >> 31n);
}
const draw = (i) => mix((SEED + GOLDEN * (i + 1n)) & M64);
const asOfDays = Date.UTC(2026, 10, 23) / 86_400_000;
const stage = new Int32Array(n), units = new Float64Array(n), close = new Int32Array(n), owner = new Int32Array(n);
for (let i = 0; i < n; i++) {
  const a = draw(3n * BigInt(i)), b = draw(3n * BigInt(i) + 1n), c = draw(3n * BigInt(i) + 2n);
  const rep = Number((a >> 8n) % 500n);
  stage[i] = Number(a % 8n); owner[i] = rep;
  units[i] = 100_000 + Number(b % 99_900_000n);
  close[i] = c % 100n < 60n ? asOfDays - 60 + Number((c >> 16n) % 511n) : -2147483648;
  if (stage[i] === 6) close[i] = asOfDays - (i % 400);
}
const labels = Array.from({ length: 500 }, (_, k) => String(10_000 + 37 * k));
const cols = { stage, stageLabels: ["prospect", "qualify", "demo", "proposal", "negotiate", "contract", "won", "lost"],
  amountUnits: units, amountScale: 2, expectedCloseOn: close, keys: [{ codes: owner, labels }] };
const policy = { stages: [
  { name: "prospect", conversion: "0.5", duration: "3" }, { name: "qualify", conversion: "0.6", duration: "2" },
  { name: "demo", conversion: "0.7", duration: "2" }, { name: "proposal", conversion: "0.75", duration: "1" },
  { name: "negotiate", conversion: "0.8", duration: "1" }, { name: "contract", conversion: "0.9", duration: "0.5" },
  { name: "won", kind: "won" }, { name: "lost", kind: "lost" }],
  duration_unit: "months", placement: "expected_close", undated: "half_elapsed", group_by: ["owner"] };
const quarters = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"];
const quotas = labels.flatMap((o, k) => quarters.map((q) => ({ key: { owner: o }, period: q, amount: String(1_000_000 + 10_000 * k) })));
const best = { forecast: Infinity, quota: Infinity, stringify: Infinity, parse: Infinity, objects: Infinity, table: Infinity };
let lines = 0;
for (let run = 0; run < 10; run++) {
  let t = performance.now();
  crmkit.forecastColumns(policy, cols, AS_OF, { output: "columns" });
  const f = performance.now() - t;
  t = performance.now();
  const r = crmkit.quotaColumns(policy, { group_by: ["owner"], period: "quarter" }, cols, { quotas }, AS_OF);
  const q = performance.now() - t;
  lines = r.lines.length;
  t = performance.now(); const text = JSON.stringify({ quotas }, (k, v) => v); const s = performance.now() - t;
  const rt = JSON.stringify(r); t = performance.now(); JSON.parse(rt); const p = performance.now() - t;
  t = performance.now(); crmkit.forecastColumns(policy, cols, AS_OF); const o = performance.now() - t;
  t = performance.now(); const tb = crmkit.quotaColumns(policy, { group_by: ["owner"], period: "quarter" }, cols, { quotas }, AS_OF, { output: "columns" }); const tt = performance.now() - t;
  if (run >= 3 && !Array.isArray(tb.lines)) best.table = Math.min(best.table, tt);
  if (run >= 3) { best.stringify = Math.min(best.stringify, s); best.parse = Math.min(best.parse, p); best.objects = Math.min(best.objects, o); }
  if (run === 3) console.log("report JSON bytes", rt.length, "quotas JSON bytes", text.length);
  if (run >= 3) { best.forecast = Math.min(best.forecast, f); best.quota = Math.min(best.quota, q); }
}
console.log(`stringify quotas with a replacer ${best.stringify.toFixed(2)}, JSON.parse of the report ${best.parse.toFixed(2)}, forecastColumns (objects) ${best.objects.toFixed(2)}`);
console.log(`${pkg}: lines ${lines}, forecastColumns (columns) ${best.forecast.toFixed(2)} ms, quotaColumns ${best.quota.toFixed(2)} ms, quotaColumns columns ${best.table.toFixed(2)} ms (best of 7)`);
