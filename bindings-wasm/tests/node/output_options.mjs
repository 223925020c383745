// The `options` argument of the functions with a columnar output (`{ output: "columns" }`),
// checked alike for each (imported by their *.test.mjs files): the report by default and with
// `output: "report"`, bad options refused with a code and a path.
import assert from "node:assert/strict";
import { test } from "node:test";

/** Registers the tests of `call(options)`; `isReport(out)` says `out` is the report. */
export function outputOptionTests(call, isReport) {
  test("the same report by default and with output 'report'", () => {
    const want = call();
    assert.ok(isReport(want));
    for (const options of [undefined, null, {}, { output: "report" }, { output: undefined }]) {
      assert.deepEqual(call(options), want);
    }
  });

  test("options refused with a code and a path", () => {
    assert.throws(() => call("columns"), { name: "CrmkitError", code: "invalid_type", path: "options" });
    assert.throws(() => call({ output: "rows" }), { code: "invalid_value", path: "options.output" });
    assert.throws(() => call({ output: 1 }), { code: "invalid_type", path: "options.output" });
  });
}
