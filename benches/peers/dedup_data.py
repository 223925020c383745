"""A CRM-like book of company records with known truth, for the dedup peer benchmark.

    generate(n, seed) -> pandas.DataFrame with columns
        id, entity (the truth), company, phone, email, owner

Entities are 85 % Chinese companies (region + 字号 + industry + legal form, the structure of
《企业名称登记管理规定》) and 15 % Latin ones. About a quarter of the entities appear more than
once, each extra record a variant real books hold: region in full- or half-width brackets,
traditional characters, full-width letters and spaces, the short name, 有限责任公司 for 有限公司,
a homophone or doubled character in the 字号, a reformatted, missing or second phone, a
missing e-mail; Latin names with other case, punctuation, legal-form spelling or one typo.
Distractors come free: short 字号 repeat across regions and industries (other entities, the
same brand in another city: RELATED, never DUPLICATE). No two entities share a registered
name (region + 字号 + industry; a Latin name but for its legal form), as registries require;
until 2026-11-29 they could, and pairs of distinct entities with one name, which no
name-based matcher can separate, dominated the false pairs.
Seeded: same n and seed, same book.
"""

from __future__ import annotations

import random

import pandas as pd

REGIONS = ["北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "南京", "苏州", "天津", "重庆", "西安",
           "长沙", "郑州", "青岛", "厦门", "合肥", "济南", "福州", "昆明", "宁波", "无锡", "东莞", "佛山"]
# Brand characters, including both sides of the homophone pairs below.
BRAND = list("华信达通天明成海安佳利源盛鑫恒泰瑞宏博创新科智联云图睿星辰汇金银凯越航嘉禾丰远景美中"
             "正德诚和兴荣辉腾飞龙凤祥瑞康宁泽润万方圣圆合众拓展维纳思迈启元亿百千乐优品汉唐宋楚")
HOMOPHONE = {"华": "化", "信": "新", "达": "大", "通": "同", "天": "田", "明": "名", "成": "城", "安": "按",
             "佳": "家", "利": "力", "源": "元", "盛": "胜", "鑫": "新", "恒": "衡", "泰": "太", "瑞": "睿",
             "宏": "洪", "博": "波", "创": "窗", "智": "志", "联": "连", "云": "运", "星": "兴", "汇": "会"}
TRADITIONAL = {"华": "華", "达": "達", "通": "通", "天": "天", "盛": "盛", "鑫": "鑫", "联": "聯", "云": "雲",
               "图": "圖", "汇": "匯", "银": "銀", "凯": "凱", "航": "航", "丰": "豐", "远": "遠", "景": "景",
               "诚": "誠", "兴": "興", "荣": "榮", "辉": "輝", "腾": "騰", "飞": "飛", "龙": "龍", "凤": "鳳",
               "宁": "寧", "润": "潤", "万": "萬", "圣": "聖", "众": "眾", "维": "維", "纳": "納", "迈": "邁",
               "启": "啟", "亿": "億", "乐": "樂", "优": "優", "汉": "漢", "科": "科", "技": "技", "网": "網",
               "络": "絡", "术": "術", "贸": "貿", "易": "易", "电": "電", "讯": "訊", "业": "業", "团": "團"}
INDUSTRY = ["科技", "网络科技", "信息技术", "电子商务", "贸易", "实业", "投资管理", "文化传媒", "物流", "医药",
            "生物科技", "建筑工程", "餐饮管理", "教育科技", "新材料", "智能科技", "汽车销售", "咨询"]
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司"]
LATIN_FORMS = [("Inc.", "Incorporated"), ("Ltd.", "Limited"), ("LLC", "L.L.C."), ("GmbH", "GmbH"),
               ("Co., Ltd.", "Co Ltd"), ("Corp.", "Corporation")]
SYLLABLES = ["ac", "me", "glo", "bex", "ini", "tech", "vor", "tan", "zen", "lux", "ora", "nex", "pla", "tor",
             "qui", "mar", "sol", "ver", "dyn", "cor", "bel", "kin", "ros", "fal", "tri", "um", "vis", "ton"]
OWNERS = [f"rep{i:03d}" for i in range(200)]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def _phone(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.7:
        return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    if roll < 0.9:
        area = rng.choice(["010", "021", "0755", "020", "0571", "028", "027", "025"])
        return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
    return None


def _reformat_phone(phone: str, rng: random.Random) -> str:
    digits = phone.replace("-", "")
    if digits.startswith("1"):
        return rng.choice([f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}", f"0086-{digits}", f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"])
    return rng.choice([f"({phone[: phone.index('-')]}) {phone[phone.index('-') + 1:]}", f"+86 {digits[1:]}", digits])


def generate(n: int, seed: int = 42) -> pd.DataFrame:
    rng = random.Random(seed)
    rows: list[tuple] = []
    entity = 0
    # A registered name is unique where it is registered: 《企业名称登记管理规定》 forbids a
    # name the same as another's in one registration area (region + 字号 + industry, whatever
    # the legal form), as company registries elsewhere refuse a name "the same as" another's
    # but for its legal form. Entities are drawn again until their name is free; their
    # variants and short names still collide with other entities', as in real books.
    taken: set[tuple] = set()
    while len(rows) < n:
        latin = rng.random() < 0.15
        owner = rng.choice(OWNERS)
        phone = _phone(rng)
        if latin:
            while True:
                brand = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
                word = rng.choice(["", " Systems", " Trading", " Labs", " Foods"])
                if (brand, word) not in taken:
                    taken.add((brand, word))
                    break
            short, long = rng.choice(LATIN_FORMS)
            name = f"{brand}{word} {short}"
            domain = f"{brand.lower()}{entity}.com"
        else:
            while True:
                region = rng.choice(REGIONS)
                brand = "".join(rng.choice(BRAND) for _ in range(rng.choice([2, 3, 3, 4, 4])))
                industry = rng.choice(INDUSTRY)
                if (region, brand, industry) not in taken:
                    taken.add((region, brand, industry))
                    break
            form = rng.choice(FORMS)
            name = f"{region}{brand}{industry}{form}"
            domain = f"b{entity}.com.cn"
        email = f"contact{rng.randint(1, 99)}@{domain}" if rng.random() < 0.5 else None
        rows.append((entity, name, phone, email, owner))
        extra = 0
        if rng.random() < 0.25:
            extra = rng.choices([1, 2, 3], [70, 25, 5])[0]
        for _ in range(extra):
            if len(rows) >= n:
                break
            v_phone = phone
            roll = rng.random()
            if phone and roll < 0.4:
                v_phone = _reformat_phone(phone, rng)
            elif roll < 0.55:
                v_phone = None
            elif roll < 0.65:
                v_phone = _phone(rng)  # a second number for the same company
            v_email = email if rng.random() < 0.6 else None
            if latin:
                kind = rng.randrange(4)
                if kind == 0:
                    v = f"{brand}{word} {long}".upper()
                elif kind == 1:
                    v = f"{brand}{word}, {short}".lower()
                elif kind == 2 and len(brand) >= 6:
                    i = rng.randrange(1, len(brand) - 1)
                    v = f"{brand[:i]}{brand[i + 1:]}{word} {short}"
                else:
                    v = f"{brand}{word}  {long}"
            else:
                kind = rng.randrange(8)
                if kind == 0:
                    v = f"{brand}（{region}）{industry}{form}"
                elif kind == 1:
                    v = f"{brand}({region}){industry}{form}"
                elif kind == 2:
                    v = "".join(TRADITIONAL.get(c, c) for c in name)
                elif kind == 3:
                    v = _full_width(f"{region} {brand} {industry}{form}")
                elif kind == 4:
                    v = f"{brand}{industry}"
                elif kind == 5 and form == "有限公司":
                    v = f"{region}{brand}{industry}有限责任公司"
                elif kind == 6 and len(brand) >= 3 and any(c in HOMOPHONE for c in brand):
                    i = next(i for i, c in enumerate(brand) if c in HOMOPHONE)
                    v = f"{region}{brand[:i]}{HOMOPHONE[brand[i]]}{brand[i + 1:]}{industry}{form}"
                elif kind == 7 and len(brand) >= 3:
                    i = rng.randrange(len(brand))
                    v = f"{region}{brand[: i + 1]}{brand[i:]}{industry}{form}"
                else:
                    v = f"{region}市{brand}{industry}{form}"
            rows.append((entity, v, v_phone, v_email, rng.choice(OWNERS) if rng.random() < 0.3 else owner))
        entity += 1
    order = list(range(len(rows)))
    rng.shuffle(order)
    df = pd.DataFrame([rows[i] for i in order], columns=["entity", "company", "phone", "email", "owner"])
    df.insert(0, "id", [f"R{i:07d}" for i in range(len(df))])
    return df


def true_pairs(df: pd.DataFrame) -> set[tuple[int, int]]:
    """Row-number pairs (i < j) of records of one entity."""
    pairs: set[tuple[int, int]] = set()
    for rows in df.groupby("entity").indices.values():
        rows = sorted(rows)
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                pairs.add((rows[a], rows[b]))
    return pairs


if __name__ == "__main__":
    # `python benches/peers/dedup_data.py --tsv N > book.tsv`: the book as tab-separated
    # id, entity, company, phone, e-mail, owner (blank when missing), for
    # `cargo run --release -p crmkit-benches --example dedup_tsv book.tsv`.
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "--tsv":
        sys.exit("usage: python dedup_data.py --tsv N > book.tsv")
    book = generate(int(sys.argv[2]), seed=42)
    out = sys.stdout
    for row in book.itertuples(index=False):
        cells = [row.id, str(row.entity)] + [v if isinstance(v, str) else "" for v in (row.company, row.phone, row.email, row.owner)]
        out.write("\t".join(c.replace("\t", " ") for c in cells) + "\n")
