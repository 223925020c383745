// The class of every error crmkit throws, for `instanceof` (browsers and bundlers; js/node.cjs
// has the same class for Node). The wasm module constructs it: `new CrmkitError(message,
// code, path)`.

/** A crmkit error: a stable snake_case `code` and the `path` of the offending field. */
export class CrmkitError extends Error {
  constructor(message, code, path) {
    super(message);
    this.name = "CrmkitError";
    this.code = code;
    this.path = path;
  }
}
