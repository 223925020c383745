// Node, `require("crmkit")` (and, through js/node.mjs, `import`): the synchronous build in
// pkg/node, plus the CrmkitError class and an `init()` that has nothing to do. One module
// instance serves both require and import, so there is one CrmkitError class.
"use strict";

const { existsSync } = require("node:fs");
const { join } = require("node:path");

if (!existsSync(join(__dirname, "..", "pkg", "node", "crmkit.js"))) {
  throw new Error(require("./unbuilt.cjs").message);
}

// The `module.exports = require(...)` form lets Node's ESM loader see every export of the
// generated module, so `import { forecast } from "crmkit"` works without a list kept here.
module.exports = require("../pkg/node/crmkit.js");

/** A crmkit error: a stable snake_case `code` and the `path` of the offending field. */
class CrmkitError extends Error {
  constructor(message, code, path) {
    super(message);
    this.name = "CrmkitError";
    this.code = code;
    this.path = path;
  }
}
module.exports.CrmkitError = CrmkitError;
// The web build needs its .wasm fetched; this one has it loaded already. Kept so that code
// written for the browser (`await init()`) runs unchanged in Node.
module.exports.init = function init() {
  return Promise.resolve();
};
module.exports.__setErrorClass(CrmkitError);
