"""Batch de-duplication of a CRM-like book with known truth: crmkit, recordlinkage and
Splink (DuckDB) in one run.

    python benches/peers/dedup_peers.py [n ...] [--only crmkit,splink,recordlinkage] [--timeout S]

Run it through `bash benches/peers/dedup_bench.sh [n ...]`, which makes its own virtualenv
(`target/bench-venv`) with the peers from PyPI and the crmkit wheel; the test command never
installs them. The book comes from `dedup_data.py` (seeded; see there for the variants). Each
tool runs in its own child process (so its peak memory, ru_maxrss, is its own) on the same
DataFrame written as Parquet; reading it is not timed, everything after it is (preparing the
columns, blocking, scoring, clustering). Quality is pairwise against the truth: a predicted
pair is two records put in one cluster; precision, recall and F1 over those pairs.

How each peer is set up, as its documentation and an expert would, with the same
feature engineering a pandas user would write first (NFKC, lower case, legal forms and
bracketed parts removed by regex, phone digits without +86 / 0086, e-mail lower-cased):
- recordlinkage: an index that is the union of blocks on phone, on e-mail and on the first
  four characters of the cleaned name; `Compare` with Jaro-Winkler on the cleaned name and
  exact phone and e-mail; a pair is a match when the name scores >= 0.88 and (phone or
  e-mail agree, or the name scores >= 0.95); clusters by connected components (scipy).
- Splink 4 on DuckDB: the same three blocking rules; Jaro-Winkler levels 0.95 / 0.88 on the
  cleaned name, exact phone and e-mail; u by random sampling (1e6 pairs), m by EM on two
  training blocks; predictions at match probability 0.9, clustered at 0.9.
- crmkit: `dedup_frame` with the company comparator, phone and e-mail, and a rule set:
  DUPLICATE when the company comparator says DUPLICATE with the same 字号 or a homophone
  (`"min": 0.95`), or says DUPLICATE for a name one typing slip apart and nothing contradicts
  it (phones agree or either is blank, e-mails at one company domain or either blank:
  `"or_blank": true`, as a blank weighs nothing in Fellegi-Sunter and a disagreement weighs
  against) or the e-mails are at one company domain whatever the phones say, or phone and
  e-mail both agree. Measured 2026-11-30 with benches/examples/dedup_tsv.rs at 1,000,000:
  a slip DUPLICATE whatever the phones said (before): precision 0.949, recall 0.978, F1
  0.963; these rules: 0.988 / 0.966 / 0.977; only the e-mail conflict refusing a slip: 0.959 /
  0.978 / 0.968 (no recall lost); asking a slip for a phone or e-mail domain that agrees
  (positive evidence) instead: 0.995 / 0.936 / 0.965, since most variants lack one.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LEGAL = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,? ?ltd\.?|inc\.?|incorporated|ltd\.?|limited|llc|l\.l\.c\.|gmbh|corp\.?|corporation)\s*$")
BRACKETS = re.compile(r"[(（][^)）]*[)）]")


def clean_name(s):
    if not isinstance(s, str):
        return None
    s = unicodedata.normalize("NFKC", s).lower()
    s = BRACKETS.sub("", s)
    for _ in range(2):
        s = LEGAL.sub("", s.strip())
    s = re.sub(r"[\s\.,\-]+", "", s)
    return s or None


def clean_phone(s):
    if not isinstance(s, str):
        return None
    d = re.sub(r"\D", "", unicodedata.normalize("NFKC", s))
    for p in ("0086", "86"):
        if d.startswith(p) and len(d) > 11:
            d = d[len(p):]
    return d.lstrip("0") or None


def prepared(df):
    import pandas as pd

    out = pd.DataFrame({"unique_id": range(len(df))})
    out["name"] = [clean_name(v) for v in df["company"]]
    out["phone"] = [clean_phone(v) for v in df["phone"]]
    out["email"] = [v.lower() if isinstance(v, str) else None for v in df["email"]]
    out["name4"] = [v[:4] if v else None for v in out["name"]]
    return out


def clusters_to_pairs(labels):
    """Row pairs (i < j) that share a cluster label (None / -1: no cluster)."""
    groups = {}
    for i, c in enumerate(labels):
        if c is not None and c >= 0:
            groups.setdefault(c, []).append(i)
    pairs = set()
    for rows in groups.values():
        rows.sort()
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                pairs.add((rows[a], rows[b]))
    return pairs


def run_crmkit(df):
    import crmkit

    policy = {
        "fields": [
            {"field": "company", "comparator": {"type": "company_name"}},
            {"field": "phone", "comparator": {"type": "phone"}},
            {"field": "email", "comparator": {"type": "email"}},
        ],
        "rules": {"duplicate": [
            {"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE", "min": 0.95}]},
            {"name": "one slip, nothing against it", "all": [
                {"field": "company", "verdict": "DUPLICATE"},
                {"field": "phone", "min": 0.8, "or_blank": True},
                {"field": "email", "min": 0.5, "or_blank": True},
            ]},
            {"name": "one slip, one company domain", "all": [{"field": "company", "verdict": "DUPLICATE"}, {"field": "email", "min": 0.5}]},
            {"name": "same phone and e-mail", "all": [{"field": "phone"}, {"field": "email"}]},
        ]},
    }
    out = crmkit.dedup_frame(df, policy, id="id", owner="owner", settings={"max_cluster_size": 50})
    return out["cluster"].tolist()


def run_recordlinkage(df):
    import numpy as np
    import recordlinkage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    p = prepared(df).set_index("unique_id")
    indexer = recordlinkage.Index()
    indexer.block("phone")
    indexer.block("email")
    indexer.block("name4")
    pairs = indexer.index(p)
    cmp = recordlinkage.Compare()
    cmp.string("name", "name", method="jarowinkler", label="name")
    cmp.exact("phone", "phone", label="phone")
    cmp.exact("email", "email", label="email")
    f = cmp.compute(pairs, p)
    match = (f["name"] >= 0.88) & ((f["phone"] + f["email"] > 0) | (f["name"] >= 0.95))
    m = f.index[match.to_numpy()]
    a = m.get_level_values(0).to_numpy()
    b = m.get_level_values(1).to_numpy()
    n = len(p)
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    sizes = np.bincount(labels)
    return [int(c) if sizes[c] > 1 else -1 for c in labels]


def run_splink(df):
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    p = prepared(df)
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("phone"), block_on("email"), block_on("name4")],
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("email"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(p, settings, db_api=DuckDBAPI())
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name4"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    pred = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9).as_pandas_dataframe()
    sizes = clusters["cluster_id"].value_counts()
    label = dict(zip(clusters["unique_id"], clusters["cluster_id"]))
    ids = {c: i for i, c in enumerate(sizes.index)}
    return [ids[label[i]] if sizes[label[i]] > 1 else -1 for i in range(len(p))]


RUNNERS = {"crmkit": run_crmkit, "recordlinkage": run_recordlinkage, "splink": run_splink}


def child(tool, parquet, out):
    import pandas as pd

    df = pd.read_parquet(parquet)
    cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # noqa: E731  user + system, all threads
    start, cpu_start = time.perf_counter(), cpu()
    labels = RUNNERS[tool](df)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(out).write_text(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak_kb / 1024, "labels": labels}))


def main(argv):
    import dedup_data

    sizes = [int(a) for a in argv if a.isdigit()] or [100_000]
    only = next((a.split("=", 1)[1].split(",") for a in argv if a.startswith("--only=")), list(RUNNERS))
    timeout = float(next((a.split("=", 1)[1] for a in argv if a.startswith("--timeout=")), "3600"))
    # Wall time and CPU time (all threads: DuckDB's, crmkit's): on a machine shared with
    # other work, wall time is mostly waiting for a core.
    print(f"{'n':>9} {'tool':<14} {'time s':>9} {'CPU s':>9} {'peak MB':>9} {'precision':>9} {'recall':>7} {'F1':>6}", flush=True)
    for n in sizes:
        df = dedup_data.generate(n, seed=42)
        truth = dedup_data.true_pairs(df)
        with tempfile.TemporaryDirectory() as tmp:
            parquet = Path(tmp) / "book.parquet"
            df.to_parquet(parquet)
            for tool in only:
                out = Path(tmp) / f"{tool}.json"
                try:
                    subprocess.run([sys.executable, __file__, "--child", tool, str(parquet), str(out)], check=True, timeout=timeout)
                except subprocess.TimeoutExpired:
                    print(f"{n:>9} {tool:<14} {'> ' + str(int(timeout)):>9} {'':>9} {'timed out':>9}")
                    continue
                except subprocess.CalledProcessError as e:
                    print(f"{n:>9} {tool:<14} {'failed':>9} (exit {e.returncode}: out of memory or an error above)")
                    continue
                r = json.loads(out.read_text())
                found = clusters_to_pairs(r["labels"])
                tp = len(found & truth)
                precision = tp / len(found) if found else 0.0
                recall = tp / len(truth) if truth else 0.0
                f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
                print(f"{n:>9} {tool:<14} {r['seconds']:>9.2f} {r['cpu_seconds']:>9.2f} {r['peak_mb']:>9.0f} {precision:>9.4f} {recall:>7.4f} {f1:>6.4f}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main(sys.argv[1:])
