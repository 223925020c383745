// The browser entry's declarations (js/web.mjs): init() is harmless, the functions and the
// CrmkitError class are there as in Node.
import init, { CrmkitError, forecast, type ForecastReport } from "../../js/web.mjs";

export const ready: Promise<ForecastReport> = init().then(() =>
  forecast(
    { stages: [{ name: "open", conversion: "1", duration: "0" }], duration_unit: "months", placement: "remaining_full" },
    [{ id: "a", stage: "open", amount: "1" }],
    "2026-11-23",
  ),
);

export function codeOf(e: unknown): string | undefined {
  return e instanceof CrmkitError ? e.code : undefined;
}
