// Node, `import ... from "crmkit"`: the same module instance as `require("crmkit")`.
import crmkit from "./node.cjs";

export * from "./node.cjs";
export default crmkit.init;
