// Declarations of js/node.mjs: those of js/node.cjs, with `init` also the default export.
export * from "./node.cjs";
import { init } from "./node.cjs";
export default init;
