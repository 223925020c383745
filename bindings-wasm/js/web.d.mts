// Declarations of js/web.mjs: the generated ones, plus the CrmkitError class and init().
export * from "../pkg/web/crmkit.js";

/**
 * Every `code` a crmkit error has: the README's "Error codes" table, the same in Rust, Python and
 * JS. A union, so that a typo in `e.code === "..."` is a type error.
 */
export type CrmkitErrorCode =
  | "invalid_json"
  | "invalid_type"
  | "missing_field"
  | "unknown_field"
  | "invalid_value"
  | "invalid_decimal"
  | "invalid_date"
  | "out_of_range"
  | "limit_exceeded"
  | "negative_amount"
  | "duplicate_name"
  | "unknown_stage"
  | "missing_value"
  | "no_open_stage"
  | "date_after_as_of"
  | "no_pool"
  | "overflow"
  | "unknown_channel"
  | "touch_after_conversion"
  | "unknown_key"
  | "tier_overlap"
  | "tier_gap"
  | "split_total"
  | "currency_mismatch"
  | "date_order"
  | "corrupt_data"
  | "unsupported_version";

/** What every crmkit function throws: a stable snake_case `code` and the `path` of the offending field. */
export declare class CrmkitError extends Error {
  constructor(message: string, code: CrmkitErrorCode, path: string);
  name: "CrmkitError";
  /** Stable snake_case code, the same in Rust, Python and JS (`invalid_decimal`, `unknown_stage`...). */
  code: CrmkitErrorCode;
  /** Where: `stages[1].conversion`, `deals[3].amount`, `amount[7]`. */
  path: string;
}
/** Nothing to do: the module is ready when the import resolves (its .wasm is loaded by a top-level await). */
export declare function init(): Promise<void>;
export default init;
