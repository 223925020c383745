// The declarations against what the functions return: every export is called with the inputs
// of the shared vectors (tests/vectors), each distinct output shape is written as a TypeScript
// object literal annotated with the declared return type, and `tsc --strict` with
// `exactOptionalPropertyTypes` checks them. So a key the runtime gives that the .d.ts lacks
// (excess property), a declared key it does not give (missing property), a number where a
// decimal string is declared, null where only absence is declared (`x?: T`) or absence where
// null is declared (`x: T | null`) all fail here, naming the function and the vector.
// Every error a function throws on those inputs is checked to be a `CrmkitError` (an `Error`)
// with string `code` and `path`, as the declarations say.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import * as crmkit from "crmkit";
import { callVector } from "../shared/vectors.mjs";
import { readJson, repoRoot, vectorFiles, vectorsDir, wasmPackage } from "../repo.mjs";

const isClass = (f) => typeof f === "function" && /^class\b/.test(Function.prototype.toString.call(f));
const classes = Object.keys(crmkit).filter((k) => isClass(crmkit[k]) && k !== "CrmkitError");
const functions = Object.keys(crmkit).filter((k) => typeof crmkit[k] === "function" && !isClass(crmkit[k]) && k !== "default");

// The overloaded exports: the declared return type of a call depends on its `output` option,
// so it is named here (ReturnType<> would take the last overload).
const outputOption = (args, at) => args[at]?.output === "columns";
const overloaded = {
  forecastColumns: (args) => (outputOption(args, 3) ? "crmkit.ForecastTable" : "crmkit.ForecastReport"),
  quotaColumns: (args) => (outputOption(args, 5) ? "crmkit.QuotaTable" : "crmkit.QuotaReport"),
  campaignRoiColumns: (args) => (outputOption(args, 2) ? "crmkit.RoiTable" : "crmkit.RoiReport"),
};

/** crmkit with every call recorded: `{ name, args, result }` or `{ name, args, error }`. */
function recording(calls, label) {
  const record = (name, type, run, args) => {
    try {
      const result = run();
      calls.push({ name, type: type(args), args, result, label: label() });
      return wrapInstance(result);
    } catch (error) {
      calls.push({ name, args, error, label: label() });
      throw error;
    }
  };
  const wrapInstance = (value) => {
    const cls = classes.find((c) => value instanceof crmkit[c]);
    if (!cls) return value;
    return new Proxy(value, {
      get(target, key) {
        const v = Reflect.get(target, key, target);
        if (typeof v !== "function" || typeof key !== "string") return v;
        const name = `${cls}.${key}`;
        const type = () => `ReturnType<crmkit.${cls}[${JSON.stringify(key)}]>`;
        return (...args) => record(name, type, () => v.apply(target, args), args);
      },
    });
  };
  return new Proxy(crmkit, {
    get(target, key) {
      const v = target[key];
      if (typeof key !== "string" || typeof v !== "function" || key === "CrmkitError") return v;
      if (isClass(v)) {
        return new Proxy(v, {
          construct: (C, args) => record(`new ${key}`, () => `crmkit.${key}`, () => new C(...args), args),
          get(C, k) {
            const s = Reflect.get(C, k);
            if (typeof s !== "function" || typeof k !== "string") return s;
            const type = () => `ReturnType<typeof crmkit.${key}[${JSON.stringify(k)}]>`;
            return (...args) => record(`${key}.${k}`, type, () => s.apply(C, args), args);
          },
        });
      }
      const type = overloaded[key] ?? (() => `ReturnType<typeof crmkit.${key}>`);
      return (...args) => record(key, type, () => v(...args), args);
    },
  });
}

const kind = (v) => {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  const cls = classes.find((c) => v instanceof crmkit[c]);
  if (cls) return cls;
  return typeof v;
};

/** `path:kind` for every value in `v`, array positions folded into `[]`. */
function shape(v, path = "", out = new Set()) {
  const k = kind(v);
  out.add(`${path}:${k}`);
  if (k === "array") v.forEach((x) => shape(x, `${path}[]`, out));
  else if (k === "object") for (const [key, x] of Object.entries(v)) shape(x, `${path}.${key}`, out);
  return out;
}

/** `v` as a TypeScript expression, each array kept to the items that show a shape not yet shown. */
function literal(v, path = "") {
  const k = kind(v);
  if (k === "null" || k === "string" || k === "boolean") return JSON.stringify(v);
  if (k === "number") return Object.is(v, -0) ? "0" : String(v);
  if (k === "bigint") return `${v}n`;
  if (k === "undefined") return "undefined";
  if (ArrayBuffer.isView(v)) return `new ${k}()`;
  if (k === "array") {
    const seen = new Set();
    const kept = v.length <= 8 ? v : v.filter((x, i) => {
      const s = [...shape(x, `${path}[]`)];
      const fresh = s.some((p) => !seen.has(p)) || i === 0;
      s.forEach((p) => seen.add(p));
      return fresh;
    });
    return `[${kept.map((x) => literal(x, `${path}[]`)).join(", ")}]`;
  }
  if (k === "object") {
    return `{ ${Object.entries(v).map(([key, x]) => `${JSON.stringify(key)}: ${literal(x, `${path}.${key}`)}`).join(", ")} }`;
  }
  if (classes.includes(k)) return `(null as unknown as crmkit.${k})`;
  throw new Error(`cannot write a ${k} as TypeScript`);
}

const calls = [];
let label = "";
const recorded = recording(calls, () => label);
for (const rel of vectorFiles()) {
  const file = readJson(join(vectorsDir, rel));
  for (const c of file.cases) {
    label = `${rel} ${c.id}`;
    try {
      callVector(recorded, file.function, structuredClone(c));
    } catch {
      // Errors are checked below, from the recorded calls.
    }
  }
}
// What the vectors do not call: ColumnBuffer's own methods, version(), the pool's columns (as
// tests/node/pool.test.mjs calls them), scoringFields.
label = "declarations.test.mjs";
{
  const b = new recorded.ColumnBuffer("int32", 2);
  b.view();
  b.free();
  recorded.version();
  const policy = {
    time_zone: "Asia/Shanghai",
    pools: [{ id: "all", scope: { everyone: true }, warn_before: 3, follow_up: { types: ["call"] }, rules: [{ id: "30d", kind: "no_follow_up", limit: 30 }] }],
  };
  const at = (...t) => Float64Array.from(t, (s) => Date.parse(s));
  const records = {
    owner: { codes: Int32Array.of(0, 1, 1), labels: ["wang", "li"] },
    claimedAt: at("2026-09-01T10:00:00+08:00", "2026-10-20T10:00:00+08:00", "2026-09-01T10:00:00+08:00"),
    locked: Uint8Array.of(0, 0, 1),
  };
  const activities = {
    record: Int32Array.of(0, 1),
    at: at("2026-10-01T09:00:00+08:00", "2026-10-25T09:00:00+08:00"),
    type: { codes: Int32Array.of(0, 1), labels: ["call", "note"] },
    actor: { codes: Int32Array.of(0, 1), labels: ["wang", "li"] },
  };
  recorded.evaluatePoolColumns(policy, records, activities, "2026-11-01");
  recorded.simulatePoolColumns(policy, { ...policy, pools: [{ ...policy.pools[0], rules: [{ id: "15d", kind: "no_follow_up", limit: 15 }] }] }, records, activities, "2026-09-01", "2026-11-30");
  // scoringFields (tests/node/scoring_edges.test.mjs checks its answers):
  recorded.scoringFields({
    rules: [{ id: "a", dimension: "fit", points: 1, when: [{ field: "employees", op: "range", min: 1, bounds: "[]" }, { field: "phone", op: "exists" }] }],
    tie_break: [{ field: "revenue" }],
  });
}
// Not part of the declared API: the entry points' hook and their init().
const undeclared = ["__setErrorClass", "init"];

test("every exported function is called by the vectors", () => {
  const called = new Set(calls.map((c) => c.name));
  const missing = functions.filter((f) => !called.has(f) && !undeclared.includes(f));
  assert.deepEqual(missing, [], `not called: ${missing.join(", ")}`);
});

// The codes of the README's "Error codes" table (its first column, in backticks).
const documentedCodes = readFileSync(join(repoRoot, "README.md"), "utf8")
  .split("## Error codes")[1]
  .split("\n## ")[0]
  .split("\n")
  .filter((l) => l.startsWith("| `"))
  .flatMap((l) => [...l.split("|")[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));

test("CrmkitErrorCode (js/node.d.cts, js/web.d.mts) is the README's Error codes table", () => {
  assert.ok(documentedCodes.length > 20);
  for (const dts of ["node.d.cts", "web.d.mts"]) {
    const text = readFileSync(join(wasmPackage, "js", dts), "utf8");
    const union = /export type CrmkitErrorCode =([^;]*);/.exec(text)?.[1] ?? "";
    const declared = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual([...declared].sort(), [...documentedCodes].sort(), dts);
  }
});

test("every thrown error is a CrmkitError (an Error) with string code and path", () => {
  const wrong = calls
    .filter((c) => "error" in c)
    .filter(({ error: e }) => !(e instanceof crmkit.CrmkitError && e instanceof Error && e.name === "CrmkitError" && documentedCodes.includes(e.code) && typeof e.path === "string"))
    .map((c) => `${c.name} (${c.label}): ${c.error?.name} ${c.error?.message} code=${c.error?.code} path=${c.error?.path}`);
  assert.deepEqual(wrong, []);
});

test("every output shape type-checks against the declared return type (tsc --strict, exactOptionalPropertyTypes)", () => {
  // Per function, the outputs that show a path:kind pair no earlier output showed.
  const seen = new Map();
  const lines = [];
  const where = [];
  for (const c of calls) {
    if (!("result" in c)) continue;
    const s = [...shape(c.result)];
    const known = seen.get(c.type) ?? seen.set(c.type, new Set()).get(c.type);
    if (!s.some((p) => !known.has(p))) continue;
    s.forEach((p) => known.add(p));
    lines.push(`export const r${lines.length}: ${c.type} = ${literal(c.result)};`);
    where.push(`${c.name} (${c.label})`);
  }
  const dir = mkdtempSync(join(tmpdir(), "crmkit-declarations-"));
  try {
    const entry = JSON.stringify(join(wasmPackage, "js", "node.mjs"));
    writeFileSync(join(dir, "outputs.mts"), [`import * as crmkit from ${entry};`, ...lines, ""].join("\n"));
    const compilerOptions = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2022",
      lib: ["es2022", "esnext.disposable"],
      types: [],
      skipLibCheck: true,
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["outputs.mts"] }));
    let out = "";
    try {
      execFileSync(join(wasmPackage, "node_modules", ".bin", "tsc"), ["-p", dir, "--pretty", "false"], { encoding: "utf8" });
    } catch (e) {
      out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    }
    // outputs.mts(LINE,COL): error TS...: one per finding; line 1 is the import.
    const findings = out
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const m = /^.*?outputs\.mts\((\d+),\d+\): (.*)$/.exec(l);
        return m ? `${where[Number(m[1]) - 2]}: ${m[2].slice(0, 600)}` : l;
      });
    assert.deepEqual(findings, [], `${lines.length} outputs checked`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every export, given arguments of the wrong kinds, returns or throws a CrmkitError", () => {
  const junk = [[], [null, null, null, null, null, null], [42, 42, 42, 42, 42, 42], ["x", "x", "x", "x", "x", "x"], [{}, {}, {}, {}, {}, {}], [[], [], [], [], [], []], [true, true, true, true, true, true]];
  const wrong = [];
  const probe = (name, run) => {
    for (const args of junk) {
      try {
        run(args);
      } catch (e) {
        if (!(e instanceof crmkit.CrmkitError && documentedCodes.includes(e.code) && typeof e.path === "string")) {
          wrong.push(`${name}(${args.map((a) => JSON.stringify(a)).join(", ")}): ${e?.name}: ${e?.message}`);
        }
      }
    }
  };
  for (const f of functions.filter((f) => ![...undeclared, "version"].includes(f))) probe(f, (args) => crmkit[f](...args));
  for (const c of classes) probe(`new ${c}`, (args) => new crmkit[c](...args));
  assert.deepEqual(wrong, []);
});
