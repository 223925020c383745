// Duplicate matching's declarations as a TypeScript user writes against them.
import { estimateModel, type DedupRecord, type EstimateReport, type EstimateSettings, type MatchPolicy } from "crmkit";

const policy = {
  fields: [{ field: "company", comparator: { type: "company_name" } }],
  fellegi_sunter: { prior: 0.1, bands: { duplicate: 4, related: 0 }, fields: [{ field: "company" }] },
} as MatchPolicy;
const records = [{ id: "1", fields: { company: "北京字节跳动科技有限公司" } }] as DedupRecord[];
// A seed is an integer or its decimal text: beyond 2^53 a BigInt or a string, as every seed.
const big: EstimateSettings = { seed: 18446744073709551557n };
const text: EstimateSettings = { seed: "18446744073709551557", random_pairs: 500 };
const small: EstimateSettings = { seed: 7 };
const none: EstimateSettings = {};
const report: EstimateReport = estimateModel(policy, records, big);
const iterations: number = report.iterations;
// @ts-expect-error: a seed is not a boolean
const badSeed: EstimateSettings = { seed: true };

export { text, small, none, iterations, badSeed };

// Optional trailing arguments may be left out, as the README's calls do.
import { findDuplicates, linkRecords, normalizePhone, DedupIndex, type DedupReport, type Phone } from "crmkit";

const clusters: DedupReport = findDuplicates(policy, records);
const phone: Phone = normalizePhone("010-8888 6666");
const linked = linkRecords(policy, records, records);
const index = new DedupIndex(policy);
// @ts-expect-error: the settings are an object
findDuplicates(policy, records, 4);

export { clusters, phone, linked, index };
