// What an unbuilt copy of the package says, at install time (`npm install ./bindings-wasm`
// runs the `install` script below) and when loaded.
"use strict";

const { existsSync } = require("node:fs");
const { join, resolve } = require("node:path");

const message =
  "crmkit: this is the npm package's source, without its WebAssembly build (pkg/ is missing). " +
  "From the repository root, `bash scripts/wasm.sh --build-only` builds it and packs " +
  "target/npm/crmkit-<version>.tgz: `npm install <path to that .tgz>`.";

module.exports = { message };

if (require.main === module) {
  const root = join(__dirname, "..");
  const built = ["node", "web"].every((t) => existsSync(join(root, "pkg", t, "crmkit.js")));
  // `npm ci` in bindings-wasm itself (INIT_CWD is the package) comes before the build.
  const ownInstall = process.env.INIT_CWD !== undefined && resolve(process.env.INIT_CWD) === resolve(root);
  if (!built && !ownInstall) {
    console.error(message);
    process.exit(1);
  }
}
