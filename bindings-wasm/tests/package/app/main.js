// A web app as its author writes it: the package by its name, bundled by vite, no init().
import { CrmkitError, forecast, version } from "crmkit";

const policy = {
  stages: [
    { name: "open", conversion: "0.25", duration: "10" },
    { name: "won", kind: "won" },
  ],
  duration_unit: "days",
  placement: "remaining_full",
};
const report = forecast(policy, [{ id: "a", stage: "open", amount: "100.00" }], "2026-01-05");
let error = null;
try {
  forecast({ ...policy, placement: "halfway" }, [], "2026-01-05");
} catch (e) {
  error = { isCrmkitError: e instanceof CrmkitError, isError: e instanceof Error, name: e.name, code: e.code, path: e.path };
}
window.result = { version: version(), weighted: report.totals.open.weighted, error };
