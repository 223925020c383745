// Declarations of js/web.mjs: the generated ones, plus the CrmkitError class and init().
export * from "../pkg/web/crmkit.js";

/** What every crmkit function throws: a stable snake_case `code` and the `path` of the offending field. */
export declare class CrmkitError extends Error {
  constructor(message: string, code: string, path: string);
  name: "CrmkitError";
  /** Stable snake_case code, the same in Rust, Python and JS (`invalid_decimal`, `unknown_stage`...). */
  code: string;
  /** Where: `stages[1].conversion`, `deals[3].amount`, `amount[7]`. */
  path: string;
}
/** Nothing to do: the module is ready when the import resolves (its .wasm is loaded by a top-level await). */
export declare function init(): Promise<void>;
export default init;
