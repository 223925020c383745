#!/usr/bin/env bash
# Builds the npm package `crmkit` (bindings-wasm/pkg/node: CommonJS for Node, bindings-wasm/pkg/web:
# ES module for browsers and bundlers, behind the entry points in bindings-wasm/js/) from one
# wasm32 build, packs it as target/npm/crmkit-<version>.tgz (what users `npm install`), then
# runs the shared vectors in Node and in headless Chromium and tests the packed package.
#
#   bash scripts/wasm.sh               build + pack + test
#   bash scripts/wasm.sh --build-only  build + pack
#   bash scripts/wasm.sh --test-only   test what the last build packed (scripts/test.sh builds
#                                      in the background while the Rust and Python tests run)
#
# Cargo builds in a target folder of its own, target/wasm: cargo locks a target folder for the
# length of a build, and this one (fat LTO, one codegen unit: minutes of one core) runs beside
# the test command's other cargo commands.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in
  all | --build-only | --test-only) ;;
  *) echo "wasm.sh: unknown option $mode" >&2; exit 2 ;;
esac
build_only=false
[ "$mode" = --build-only ] && build_only=true
say() { printf '\n== %s\n' "$*"; }

pkg=bindings-wasm/pkg
export CARGO_TARGET_DIR=target/wasm
wasm=$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/crmkit_wasm.wasm

# The build: the wasm32 module, the nodejs and web packages, their checks, the packed .tgz.
build() {
  # The CLI must be the exact wasm-bindgen of Cargo.lock (scripts/setup.sh installs it).
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    echo "wasm-bindgen CLI $have, Cargo.lock wants $want: run scripts/setup.sh" >&2
    exit 1
  fi
  # binaryen (wasm-opt), typescript (tsc), playwright-core, vite and vitest, as package-lock.json pins them.
  if [ ! -x bindings-wasm/node_modules/.bin/wasm-opt ] || [ ! -x bindings-wasm/node_modules/.bin/tsc ] ||
    [ ! -d bindings-wasm/node_modules/playwright-core ] || [ ! -x bindings-wasm/node_modules/.bin/vite ] ||
    [ ! -x bindings-wasm/node_modules/.bin/vitest ]; then
    (cd bindings-wasm && npm ci --no-audit --no-fund)
  fi

  say "cargo build -p crmkit-wasm (wasm32, profile wasm-release)"
  # Only this crate: the workspace as a whole does not build for wasm32 (pyo3).
  # With 128-bit SIMD: every runtime the package supports has it (Node >= 16.4, so every Node its
  # package.json allows; Chrome and Edge 91, Firefox 89, Safari 16.4 and later); with the
  # wasm-release profile's opt-level 3 (Cargo.toml) LLVM vectorises the columns' passes (checks, a
  # Float64Array of units read as integers). A runtime without SIMD cannot compile the module.
  # Set here, for this build only (the project's shape has no .cargo/ folder).
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    cargo build -p crmkit-wasm --target wasm32-unknown-unknown --profile wasm-release --locked

  say "wasm-bindgen $have (nodejs, web) + wasm-opt -Oz"
  rm -rf "$pkg"
  for target in nodejs web; do
    wasm-bindgen --target "$target" --out-dir "$pkg/${target%js}" --out-name crmkit "$wasm"
  done
  before=$(wc -c <"$pkg/node/crmkit_bg.wasm")
  # binaryen from npm: Debian's wasm-opt is too old for what rustc and wasm-bindgen emit.
  # The forecast kernel's loops (one function per form, never inlined by rustc) stay
  # functions of their own: inlined into their one caller, as binaryen does with a function
  # called once, they made one huge function that V8 compiles 2-5 ms slower per 1M-deal call.
  # wasm-opt takes 2.5 minutes of one core on this module, and wasm-bindgen writes the same
  # module for both targets (only the JS glue differs): it runs once, on the node build, and
  # the web build gets its output; were the two modules ever to differ, each is optimised.
  opt() { bindings-wasm/node_modules/.bin/wasm-opt --no-inline='*run_wrapping*' -Oz "$1" -o "$1"; }
  if cmp -s "$pkg/node/crmkit_bg.wasm" "$pkg/web/crmkit_bg.wasm"; then
    opt "$pkg/node/crmkit_bg.wasm"
    cp "$pkg/node/crmkit_bg.wasm" "$pkg/web/crmkit_bg.wasm"
  else
    opt "$pkg/node/crmkit_bg.wasm" &
    opt "$pkg/web/crmkit_bg.wasm"
    wait $!
  fi
  # DedupIndex makes wasm-bindgen declare `[Symbol.dispose](): void`, which TypeScript only knows
  # with the `esnext.disposable` lib: without this line a user whose tsconfig lacks that lib (and
  # who does not set skipLibCheck) gets TS2550 inside our declarations. The reference pulls the
  # lib in for them (TypeScript >= 5.2).
  for dts in "$pkg/node/crmkit.d.ts" "$pkg/web/crmkit.d.ts"; do
    if grep -qF 'Symbol.dispose' "$dts"; then
      { echo '/// <reference lib="esnext.disposable" />'; cat "$dts"; } >"$dts.tmp" && mv "$dts.tmp" "$dts"
    fi
  done
  # The web glue is an ES module in a .js file: say so to Node and to tools that ask it.
  echo '{ "type": "module" }' >"$pkg/web/package.json"
  raw=$(wc -c <"$pkg/web/crmkit_bg.wasm")
  gz=$(gzip -9c "$pkg/web/crmkit_bg.wasm" | wc -c)
  echo "crmkit_bg.wasm: $raw bytes raw, $gz bytes gzipped ($before bytes before wasm-opt)"

  # The declarations must carry the core's types, not `any`.
  dts="$pkg/node/crmkit.d.ts"
  for t in ForecastPolicy Deal ForecastReport DealLine Decimal IsoDate CrmkitError DealColumns ForecastTable ForecastColumnsOptions ForecastLineColumns ForecastGroupColumns ForecastSumColumns AllocationPolicy AllocationInput AllocationReport AllocationTreePolicy AllocationTreeInput AllocationTreeReport AllocationNode RangeSettings RangeReport HistoryPolicy StageEvent HistoryReport CommissionPlan CommissionInput CommissionReport StatementLine InterestPolicy Batch InterestReport CollectionsPolicy CollectionsReport DiscountPolicy DiscountRequest DiscountRoute \
    RoiPolicy Campaign RoiReport RoiLine AttributionPolicy Journey AttributionReport Model \
    ComparisonPolicy Comparison JourneyColumns ColumnsAttribution CampaignColumns \
    ScoringPolicy ScoringRule FieldCondition EventRule Lead LeadEvent ScoreReport LeadScore ScoreItem ScoreCut PriorityTier \
    QuotaPolicy QuotaInput QuotaReport FiscalYear WeekRule FiscalCalendar FiscalPeriod StallFlag DaysPercentile HistoryGroup EntryWindow BacktestPolicy BacktestReport HierarchyPolicy HierarchyInput HierarchyReport \
    ModelConfig LeadModel PredictionReport Prediction Contribution CalibrationReport TimeSplit LeadColumns ScoreColumns \
    CompanyName Comparator ValueComparison Phone Email Domain PersonName CreditCode Verdict MatchReason MatchPolicy DedupRecord PairMatch QueryReport DedupReport ColumnsReport LinkReport EstimateReport RecordColumnsInput \
    QuotaPolicy QuotaInput QuotaReport QuotaData \
    PoolPolicy PoolRecord PoolActivity PoolReport PoolDecision Instant ClaimInput ClaimReport AssignPolicy AssignInput AssignReport LintReport SimulationReport PoolRecordColumns PoolActivityColumns PoolDecisionColumns \
    AssignState AssignRecordColumns AssignmentColumns ClaimTables ClaimDecisionColumns; do
    grep -Eq "^export (interface|type) $t\b" "$dts" || { echo "$dts lacks $t" >&2; exit 1; }
  done
  for sig in 'forecast(policy: ForecastPolicy, deals: Deal[], asOf: string): ForecastReport;' \
    'forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string): ForecastReport;' \
    'forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string, options: { output: "columns" }): ForecastTable;' \
    'allocateTarget(policy: AllocationPolicy, input: AllocationInput, asOf: string): AllocationReport;' \
    'allocateTree(policy: AllocationTreePolicy, input: AllocationTreeInput, asOf: string): AllocationTreeReport;' \
    'forecastRanges(policy: ForecastPolicy, settings: RangeSettings, deals: Deal[], asOf: string): RangeReport;' \
    'funnelHistory(policy: HistoryPolicy, events: StageEvent[], asOf: string): HistoryReport;' \
    'computeCommission(plan: CommissionPlan, input: CommissionInput, asOf: string): CommissionReport;' \
    'campaignRoi(policy: RoiPolicy, campaigns: Campaign[]): RoiReport;' \
    'attribute(policy: AttributionPolicy, journeys: Journey[]): AttributionReport;' \
    'compareAttribution(policy: ComparisonPolicy, journeys: Journey[]): Comparison;' \
    'attributeColumns(policy: AttributionPolicy, columns: JourneyColumns): ColumnsAttribution;' \
    'compareAttributionColumns(policy: ComparisonPolicy, columns: JourneyColumns): Comparison;' \
    'campaignRoiColumns(policy: RoiPolicy, columns: CampaignColumns): RoiReport;' \
    'scoreLeads(policy: ScoringPolicy, leads: Lead[], asOf: string): ScoreReport;' \
    'backtest(policy: ForecastPolicy, settings: BacktestPolicy, events: StageEvent[], asOf: string): BacktestReport;' \
    'fiscalPeriods(fiscalYear: FiscalYear, start: string, end: string): FiscalCalendar;' \
    'quotaAttainment(policy: ForecastPolicy, quota: QuotaPolicy, input: QuotaInput, asOf: string): QuotaReport;' \
    'quotaColumns(policy: ForecastPolicy, quota: QuotaPolicy, columns: DealColumns, data: QuotaData, asOf: string): QuotaReport;' \
    'forecastHierarchy(policy: ForecastPolicy, hierarchy: HierarchyPolicy, input: HierarchyInput, asOf: string): HierarchyReport;' \
    'scoreLeadsColumns(policy: ScoringPolicy, columns: LeadColumns, asOf: string): ScoreColumns;' \
    'trainLeadModel(config: ModelConfig, leads: Lead[], asOf: string): LeadModel;' \
    'trainLeadModelColumns(config: ModelConfig, columns: LeadColumns, asOf: string): LeadModel;' \
    'modelFields(config: ModelConfig): string[];' \
    'predictLeads(model: LeadModel, leads: Lead[]): PredictionReport;' \
    'timeSplit(leads: Lead[], dateField: string, cutoff: string): TimeSplit;' \
    'paymentInterest(policy: InterestPolicy, batches: Batch[], asOf: string): InterestReport;' \
    'collections(policy: CollectionsPolicy, batches: Batch[], asOf: string): CollectionsReport;' \
    'routeDiscount(policy: DiscountPolicy, request: DiscountRequest): DiscountRoute;' \
    'normalizeCompany(name: string): CompanyName;' \
    'compare(comparator: Comparator, a: string, b: string): ValueComparison;' \
    'matchRecords(policy: MatchPolicy, a: DedupRecord, b: DedupRecord): PairMatch;' \
    'findDuplicates(policy: MatchPolicy, records: DedupRecord[], settings?: BatchSettings): DedupReport;' \
    'evaluatePool(policy: PoolPolicy, records: PoolRecord[], activities: PoolActivity[], asOf: string): PoolReport;' \
    'checkClaims(policy: PoolPolicy, input: ClaimInput, asOf: string): ClaimReport;' \
    'assignRecords(policy: AssignPolicy, input: AssignInput): AssignReport;' \
    'lintPool(policy: PoolPolicy): LintReport;' \
    'simulatePool(a: PoolPolicy, b: PoolPolicy, records: PoolRecord[], activities: PoolActivity[], from: string, to: string): SimulationReport;' \
    'evaluatePoolColumns(policy: PoolPolicy, records: PoolRecordColumns, activities: PoolActivityColumns, asOf: string): PoolDecisionColumns;' \
    'simulatePoolColumns(a: PoolPolicy, b: PoolPolicy, records: PoolRecordColumns, activities: PoolActivityColumns, from: string, to: string): SimulationReport;' \
    'assignRecordsColumns(policy: AssignPolicy, records: AssignRecordColumns, state?: AssignState): AssignmentColumns;' \
    'checkClaimsColumns(policy: PoolPolicy, claims: ClaimTables, asOf: string): ClaimDecisionColumns;'; do
    grep -qF "export function $sig" "$dts" || { echo "$dts lacks: $sig" >&2; exit 1; }
  done
  # ...and be valid, strict TypeScript that refuses float money and unknown placements.
  bindings-wasm/node_modules/.bin/tsc -p bindings-wasm/tests/types
  echo "crmkit.d.ts (node, web): types check"

  # The package as users install it: the built package.json without its scripts (the `install`
  # check for unbuilt copies) and devDependencies, the entry points, both builds, the licences.
  version=$(node -p 'require("./bindings-wasm/package.json").version')
  say "npm pack -> target/npm/crmkit-$version.tgz"
  stage=target/npm/package
  rm -rf target/npm
  mkdir -p "$stage/pkg"
  cp -r bindings-wasm/js bindings-wasm/README.md LICENSE-MIT LICENSE-APACHE "$stage/"
  cp -r "$pkg/node" "$pkg/web" "$stage/pkg/"
  node -e 'const p = require("./bindings-wasm/package.json"); delete p.scripts; delete p.devDependencies;
    process.stdout.write(JSON.stringify(p, null, 2) + "\n")' >"$stage/package.json"
  (cd target/npm && npm pack ./package --silent >/dev/null)
  rm -rf "$stage"
  tgz=target/npm/crmkit-$version.tgz
  echo "$tgz: $(wc -c <"$tgz") bytes; install it with: npm install $tgz"
}
[ "$mode" = --test-only ] || build

$build_only && exit 0
version=$(node -p 'require("./bindings-wasm/package.json").version')
for built in "$pkg/node/crmkit_bg.wasm" "$pkg/web/crmkit_bg.wasm" "target/npm/crmkit-$version.tgz" bindings-wasm/node_modules/.bin/tsc; do
  [ -e "$built" ] || { echo "wasm.sh --test-only: $built missing; run scripts/wasm.sh --build-only" >&2; exit 1; }
done

say "node --test (Node $(node --version))"
node --test --test-reporter=spec bindings-wasm/tests/node/

say "the packed package: Node ESM, Node CommonJS, TypeScript, vitest, a vite build in Chromium, unbuilt install"
node --test --test-reporter=spec bindings-wasm/tests/package/

say "node --test + playwright-core (headless $(/usr/bin/chromium --version 2>/dev/null || echo chromium))"
node --test --test-reporter=spec bindings-wasm/tests/browser/
