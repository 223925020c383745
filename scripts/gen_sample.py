"""Generates the bundled sample book under tests/data/ (run once; the output is committed).

Deterministic: `python3 scripts/gen_sample.py` rewrites the same files byte for byte.
A fictional Chinese B2B software vendor: 6 reps in 3 teams, 3 product lines, a 4-stage
funnel (the Neocrm stages), leads from 6 sources, 12 campaigns, collections on won deals.
"""
import json
import random
from datetime import date, timedelta
from pathlib import Path

rng = random.Random(2026)
AS_OF = date(2026, 11, 23)
OUT = Path(__file__).resolve().parent.parent / "tests" / "data"

REPS = [("张伟", "华北"), ("王芳", "华北"), ("李娜", "华东"), ("刘洋", "华东"), ("陈静", "华南"), ("杨磊", "华南")]
PRODUCTS = ["ERP", "CRM", "BI"]
STAGES = ["潜在客户", "项目投标", "商务洽谈", "签订合同", "输单"]
STAGE_WEIGHTS = [40, 25, 15, 12, 8]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "天津", "成都"]
WORDS = ["华信", "中科", "远航", "博雅", "东方", "恒通", "新锐", "天成", "金桥", "瑞丰", "宏图", "立信"]
TRADES = ["科技", "制造", "医药", "物流", "能源", "教育"]
FORMS = ["有限公司", "股份有限公司", "集团有限公司"]


def company():
    return f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}"


def money(lo, hi, step=100):
    return str(rng.randrange(lo // step, hi // step + 1) * step)


def deals():
    out = []
    for i in range(1, 301):
        owner, team = rng.choice(REPS)
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        d = {
            "id": f"D{i:04d}",
            "stage": stage,
            "amount": money(20_000, 800_000),
            "owner": owner,
            "team": team,
            "product": rng.choice(PRODUCTS),
            "attributes": {"customer": company()},
        }
        if stage in STAGES[:3]:
            d["entered_stage_on"] = (AS_OF - timedelta(days=rng.randrange(0, 75))).isoformat()
        out.append(d)
    return out


def leads():
    sources = ["百度推广", "官网", "微信", "展会", "转介绍", "电话营销"]
    events = ["visit_pricing", "download_whitepaper", "attend_webinar", "email_open", "demo_request", "unsubscribe"]
    out = []
    for i in range(1, 301):
        created = AS_OF - timedelta(days=rng.randrange(0, 180))
        n = rng.randrange(0, 6)
        out.append({
            "id": f"L{i:04d}",
            "company": company(),
            "contact": rng.choice(["赵", "钱", "孙", "周", "吴", "郑"]) + rng.choice(["先生", "女士", "总", "经理"]),
            "phone": f"+86 1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            "source": rng.choice(sources),
            "industry": rng.choice(TRADES),
            "region": rng.choice(REPS)[1],
            "created_on": created.isoformat(),
            "events": sorted(
                ({"type": rng.choice(events), "on": (created + timedelta(days=rng.randrange(0, 60))).isoformat()} for _ in range(n)),
                key=lambda e: e["on"],
            ),
        })
    return out


def campaigns():
    kinds = [("百度推广", "online"), ("微信广告", "online"), ("邮件营销", "online"), ("行业展会", "offline"), ("客户沙龙", "offline"), ("平面广告", "offline")]
    out = []
    for i in range(1, 13):
        name, channel = kinds[(i - 1) % len(kinds)]
        budget = int(money(20_000, 300_000, 1000))
        start = AS_OF - timedelta(days=rng.randrange(30, 300))
        out.append({
            "id": f"C{i:02d}",
            "name": f"{name} {start.year}-{start.month:02d}",
            "channel": channel,
            "owner": rng.choice(REPS)[0],
            "budget": str(budget),
            "cost": str(int(budget * rng.uniform(0.6, 1.2)) // 100 * 100),
            "expected_revenue": str(budget * rng.randrange(2, 8)),
            "start_on": start.isoformat(),
            "end_on": (start + timedelta(days=rng.randrange(7, 60))).isoformat(),
        })
    return out


def payments(book):
    out = []
    won = [d for d in book if d["stage"] == "签订合同"]
    for d in won:
        total = int(d["amount"])
        parts = rng.choice([1, 2, 3])
        signed = AS_OF - timedelta(days=rng.randrange(20, 200))
        left = total
        for k in range(parts):
            amount = left if k == parts - 1 else total // parts // 100 * 100
            left -= amount
            due = signed + timedelta(days=30 * (k + 1))
            late = rng.choice([None, -5, 0, 3, 12, 40, 95])
            paid = None if late is None or due + timedelta(days=late) > AS_OF else (due + timedelta(days=late)).isoformat()
            out.append({"id": f"P{len(out) + 1:04d}", "deal_id": d["id"], "customer": d["attributes"]["customer"],
                        "owner": d["owner"], "due_on": due.isoformat(), "paid_on": paid, "amount": str(amount)})
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    book = deals()
    for name, data in [("deals", book), ("leads", leads()), ("campaigns", campaigns()), ("payments", payments(book))]:
        (OUT / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (OUT / "forecast_policy.json").write_text(json.dumps({
        "stages": [
            {"name": "潜在客户", "conversion": "0.5", "duration": "2"},
            {"name": "项目投标", "conversion": "0.8", "duration": "1", "category": "best_case", "stall_after": "1.5"},
            {"name": "商务洽谈", "conversion": "0.9", "duration": "1", "category": "commit", "stall_after": "1"},
            {"name": "签订合同", "kind": "won"},
            {"name": "输单", "kind": "lost"},
        ],
        "duration_unit": "months",
        "placement": "actual",
        "undated": "half_elapsed",
        "group_by": ["team"],
        "rounding": {"dp": 2, "strategy": "half_even"},
        "fiscal_year": {"start_month": 4, "named_by": "end"},
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
