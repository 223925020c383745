// Browsers and bundlers (vite, webpack, esbuild...): the ES-module build in pkg/web, its
// .wasm fetched and instantiated by a top-level await, so functions work as soon as the
// import resolves; `init()` is kept, harmless, for code written against the raw build.
import initWasm, { __setErrorClass } from "../pkg/web/crmkit.js";
import { CrmkitError } from "./error.mjs";

export * from "../pkg/web/crmkit.js";
export { CrmkitError };

// `new URL("crmkit_bg.wasm", import.meta.url)` inside pkg/web/crmkit.js: bundlers copy the
// file and rewrite the URL; a plain page must serve it as application/wasm.
await initWasm();
__setErrorClass(CrmkitError);

/** Nothing left to do: the module is ready when the import resolves. */
export function init() {
  return Promise.resolve();
}
export default init;
