// The ES-module (web) build's declarations: init first, then the same functions.
import init, { forecast, type ForecastReport } from "../../pkg/web/crmkit.js";

export const ready: Promise<ForecastReport> = init().then(() =>
  forecast(
    { stages: [{ name: "open", conversion: "1", duration: "0" }], duration_unit: "months", placement: "remaining_full" },
    [{ id: "a", stage: "open", amount: "1" }],
    "2026-11-23",
  ),
);
