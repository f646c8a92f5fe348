"""The roster corpus: workbooks with the habits interns have, as data. Plain Python (no
Django): ``bin/build-roster-corpus`` reads it with the system Python and LibreOffice's
UNO bridge to write each case as XLSX, XLS and CSV (UTF-8, UTF-8 with BOM, GBK,
GB18030) with a manifest of the rows it must produce; ``tests/corpus/test_corpus.py``
imports every file and checks those rows.

A cell is a string (typed as text), a number, None, or a dict: ``{"date": ISO,
"format": ...}``, ``{"number": n, "format": ...}``, ``{"formula": "=SUM(...)"}``.
"""

TITLE = "复旦大学校园大使名单（2026年秋季）"
YUAN = '"¥"#,##0.00'
MONTH_DAY = 'M"月"D"日"'

# What the database holds before each file is imported (the test builds it).
WORLD = {
    "school": {"name": "复旦大学", "slug": "fudan"},
    "pilot": {"name": "2025秋季试点", "starts_on": "2025-09-01", "ends_on": "2026-01-31"},
    "campaign": {
        "slug": "fudan-run",
        "rounds": [[1, "晨跑打卡"], [2, "夜跑"], [3, ""], [4, "周末骑行"]],
    },
    "ambassadors": [["0230120003", "王五", "intern"], ["2025000101", "赵六", "lead"]],
}

AMB = ["姓名", "学号", "手机号", "角色", "时薪", "在职"]


def d(iso, fmt="YYYY-MM-DD"):
    return {"date": iso, "format": fmt}


def money(n):
    return {"number": n, "format": YUAN}


# Each case: kind, sheets (name, rows, merges), the active sheet, and what it must
# import as: "rows" (see test_corpus.ROW_FIELDS), "new"/"updated", the skipped rows; a
# per-format override ("csv" for every CSV, or "csv-gbk" ...) where a format differs.
CASES = [
    {
        "name": "title-row",
        "kind": "ambassadors",
        "why": "a title row merged across the columns above the header",
        "sheets": [
            {
                "name": "名单",
                "rows": [
                    [TITLE, None, None, None, None, None],
                    AMB,
                    ["张三", "2025000001", "13800138000", "组长", 30, "是"],
                    ["李四", "2025000002", "13800138001", "实习生", 25, "是"],
                    ["钱七", "2025000003", None, None, 25, "否"],
                ],
                "merges": ["A1:F1"],
            }
        ],
        "expect": {
            "header_line": 2,
            "skipped": [1],
            "new": 3,
            "rows": [
                ["2025000001", "张三", "lead", "+8613800138000", "30.00", True],
                ["2025000002", "李四", "intern", "+8613800138001", "25.00", True],
                ["2025000003", "钱七", "intern", "", "25.00", False],
            ],
        },
    },
    {
        "name": "merged-role",
        "kind": "ambassadors",
        "why": "the role 组长 merged over the two rows of the team's leads",
        "sheets": [
            {
                "name": "名单",
                "rows": [
                    AMB,
                    ["张三", "2025000001", "13800138000", "组长", 30, "是"],
                    ["李四", "2025000002", "13800138001", None, 30, "是"],
                    ["钱七", "2025000003", "13800138002", "实习生", 25, "是"],
                ],
                "merges": ["D2:D3"],
            }
        ],
        "expect": {
            "new": 3,
            "rows": [
                ["2025000001", "张三", "lead", "+8613800138000", "30.00", True],
                ["2025000002", "李四", "lead", "+8613800138001", "30.00", True],
                ["2025000003", "钱七", "intern", "+8613800138002", "25.00", True],
            ],
        },
        # A CSV keeps no merges: the second row's role is blank there, so the default.
        "by_format": {
            "csv": {
                "rows": [
                    ["2025000001", "张三", "lead", "+8613800138000", "30.00", True],
                    ["2025000002", "李四", "intern", "+8613800138001", "30.00", True],
                    ["2025000003", "钱七", "intern", "+8613800138002", "25.00", True],
                ]
            }
        },
    },
    {
        "name": "leading-zeros",
        "kind": "ambassadors",
        "why": "a student id the spreadsheet made a number (230120003 for 0230120003)",
        "sheets": [
            {
                "name": "名单",
                "rows": [
                    AMB,
                    ["王五", 230120003, "13800138005", "lead", 28, "yes"],
                    ["孙八", "0012", None, "intern", 20, "no"],
                ],
            }
        ],
        "expect": {
            "new": 1,
            "updated": 1,
            "rows": [
                ["0012", "孙八", "intern", "", "20.00", False],
                ["0230120003", "王五", "lead", "+8613800138005", "28.00", True],
            ],
        },
    },
    {
        "name": "summary-sheet-active",
        "kind": "ambassadors",
        "why": "saved while looking at a summary sheet; the roster is the second sheet",
        "sheets": [
            {"name": "汇总", "rows": [["角色", "人数"], ["组长", 1], ["实习生", 1]]},
            {
                "name": "名单",
                "rows": [
                    AMB,
                    ["张三", "2025000001", "13800138000", "组长", 30, "是"],
                    ["李四", "2025000002", "13800138001", "实习生", 25, "是"],
                ],
            },
        ],
        "active": 0,
        "csv_sheet": 1,
        "expect": {
            "sheet": "名单",
            "new": 2,
            "rows": [
                ["2025000001", "张三", "lead", "+8613800138000", "30.00", True],
                ["2025000002", "李四", "intern", "+8613800138001", "25.00", True],
            ],
        },
        "by_format": {"csv": {"sheet": None}},
    },
    {
        "name": "instructions-first",
        "kind": "ambassadors",
        "why": "the template's 填写说明 sheet comes first and was the one open when saved",
        "sheets": [
            {
                "name": "填写说明",
                "rows": [["填写说明"], ["红色表头为必填项"], ["学号请按文本填写"]],
            },
            {
                "name": "大使名单",
                "rows": [AMB, ["张三", "2025000001", "13800138000", "负责人", 30, "在职"]],
            },
        ],
        "active": 0,
        "csv_sheet": 1,
        "expect": {
            "sheet": "大使名单",
            "new": 1,
            "rows": [["2025000001", "张三", "lead", "+8613800138000", "30.00", True]],
        },
        "by_format": {"csv": {"sheet": None}},
    },
    {
        "name": "no-roster-sheet",
        "kind": "ambassadors",
        "why": "no sheet holds the columns: refused, naming the sheets read",
        "sheets": [
            {"name": "填写说明", "rows": [["填写说明"], ["请在第二个表填写"]]},
            {"name": "汇总", "rows": [["角色", "人数"], ["组长", 1]]},
        ],
        "active": 1,
        "expect": {"ok": False, "problems": [[None, "汇总"], [None, "填写说明"]]},
        "by_format": {"csv": {"problems": [[1, "学号"]]}},
    },
    {
        "name": "gbk-currency-merged-date-total",
        "kind": "expenses",
        "why": "amounts formatted ¥ (a GBK CSV writes ?), a date merged down one day's rows, "
        "a 合计 row with =SUM(), notes with full-width punctuation",
        "sheets": [
            {
                "name": "费用",
                "rows": [
                    ["复旦大学费用明细（2025秋）", None, None, None],
                    ["日期", "类别", "金额", "备注"],
                    [d("2025-11-09"), "广告投放", money(1500), "海报，横幅！"],
                    [None, "印刷", money(200.5), "传单（500份）"],
                    [d("2025-11-10"), "advertising", money(80), "朋友圈推广"],
                    ["合计", None, {"formula": "=SUM(C3:C5)"}, None],
                ],
                "merges": ["A1:D1", "A3:A4"],
            }
        ],
        "expect": {
            "header_line": 2,
            "skipped": [1, 6],
            "new": 3,
            "rows": [
                ["2025-11-09", "advertising", "1500.00", "海报，横幅！"],
                ["2025-11-09", "printing", "200.50", "传单（500份）"],
                ["2025-11-10", "advertising", "80.00", "朋友圈推广"],
            ],
        },
        "by_format": {
            # The CSV has the date on the first row of the merge only.
            "csv": {"ok": False, "problems": [[4, "日期"]]},
        },
    },
    {
        "name": "gbk-currency",
        "kind": "expenses",
        "why": "amounts formatted ¥: a GBK CSV writes them as ?1,500.00",
        "sheets": [
            {
                "name": "费用",
                "rows": [
                    ["日期", "类别", "金额", "备注"],
                    [d("2025-11-09"), "广告投放", money(1500), "海报，横幅！"],
                    [d("2025-11-09"), "印刷", money(200.5), "传单"],
                ],
            }
        ],
        "expect": {
            "new": 2,
            "rows": [
                ["2025-11-09", "advertising", "1500.00", "海报，横幅！"],
                ["2025-11-09", "printing", "200.50", "传单"],
            ],
        },
        "by_format": {"csv-gbk": {"notes": [2, 3]}},
    },
    {
        "name": "yearless-dates",
        "kind": "expenses",
        "why": "dates shown as 11月9日 (a CSV keeps no year) and typed as text 1月5日; 总计",
        "sheets": [
            {
                "name": "费用",
                "rows": [
                    ["日期", "类别", "金额", "备注"],
                    [d("2025-11-09", MONTH_DAY), "奖品", 300, "一等奖"],
                    ["1月5日", "场地", 800, "教室"],
                    ["总计", None, {"formula": "=SUM(C2:C3)"}, None],
                ],
            }
        ],
        "expect": {
            "skipped": [4],
            "new": 2,
            "rows": [
                ["2025-11-09", "prizes", "300.00", "一等奖"],
                ["2026-01-05", "venue", "800.00", "教室"],
            ],
        },
    },
    {
        "name": "yearless-outside-pilot",
        "kind": "expenses",
        "why": "a date without a year that no year of the pilot holds: refused, saying why",
        "sheets": [
            {
                "name": "费用",
                "rows": [["日期", "类别", "金额", "备注"], ["7月1日", "奖品", 300, "一等奖"]],
            }
        ],
        "expect": {"ok": False, "problems": [[2, "7月1日"]]},
    },
    {
        "name": "merged-date-subtotal",
        "kind": "worklogs",
        "why": "a title row, a date merged down the rows of one day, a 小计 row, "
        "an id the spreadsheet made a number",
        "sheets": [
            {
                "name": "工时",
                "rows": [
                    ["11月工时表", None, None, None],
                    ["学号", "姓名", "日期", "小时", "任务"],
                    [230120003, "王五", d("2025-11-09"), 2, "摆摊宣传，发传单"],
                    ["2025000101", "赵六", None, 3.5, "社群运营"],
                    ["小计", None, None, {"formula": "=SUM(D3:D4)"}, None],
                ],
                "merges": ["A1:E1", "C3:C4"],
            }
        ],
        "expect": {
            "header_line": 2,
            "skipped": [1, 5],
            "new": 2,
            "rows": [
                ["0230120003", "2025-11-09", "2.00", "摆摊宣传，发传单"],
                ["2025000101", "2025-11-09", "3.50", "社群运营"],
            ],
        },
        "by_format": {"csv": {"ok": False, "problems": [[4, "日期"]]}},
    },
    {
        "name": "rounds-written-out",
        "kind": "contestants",
        "why": "rounds as 第2轮, 第4天, a topic and a number; a round merged over two rows; "
        "captions with full-width punctuation",
        "sheets": [
            {
                "name": "选手",
                "rows": [
                    ["参赛选手名单", None, None, None],
                    ["姓名", "学号", "轮次", "配文"],
                    ["张三", "2025000001", "第2轮", "每天5公里，坚持第100天！"],
                    ["李四", "2025000002", "第4天", "雨天也跑：）"],
                    ["钱七", "2025000003", "晨跑打卡", "早起的鸟儿"],
                    ["孙八", "2025000004", 3, "Ｈｉ！"],
                    ["周九", "2025000005", "Round 1", "第一次参加"],
                    ["吴十", "2025000006", None, "一起跑"],
                ],
                "merges": ["A1:D1", "C7:C8"],
            }
        ],
        "expect": {
            "header_line": 2,
            "skipped": [1],
            "new": 6,
            "rows": [
                [1, "2025000003", "钱七", "早起的鸟儿"],
                [1, "2025000005", "周九", "第一次参加"],
                [1, "2025000006", "吴十", "一起跑"],
                [2, "2025000001", "张三", "每天5公里，坚持第100天！"],
                [3, "2025000004", "孙八", "Ｈｉ！"],
                [4, "2025000002", "李四", "雨天也跑：）"],
            ],
        },
        "by_format": {"csv": {"ok": False, "problems": [[8, "轮次"]]}},
    },
]

# Every format each case is written in: (suffix, LibreOffice filter, CSV options).
# CSV options: separator 44 (","), text delimiter 34 ("), the character set (76 UTF-8,
# 61 Windows-936 = GBK, 85 GB18030), first line 1. LibreOffice 7.4 writes no BOM: the
# BOM variant is its UTF-8 output with the three bytes Excel's "CSV UTF-8" adds.
FORMATS = [
    ("xlsx", "xlsx", "Calc MS Excel 2007 XML", None),
    ("xls", "xls", "MS Excel 97", None),
    ("csv-utf8", "csv", "Text - txt - csv (StarCalc)", "44,34,76,1"),
    ("csv-utf8-bom", "csv", "Text - txt - csv (StarCalc)", "44,34,76,1"),
    ("csv-gbk", "csv", "Text - txt - csv (StarCalc)", "44,34,61,1"),
    ("csv-gb18030", "csv", "Text - txt - csv (StarCalc)", "44,34,85,1"),
]


def expectation(case: dict, fmt: str) -> dict:
    """The case's expectation for one format: its own, then "csv", then e.g. "csv-gbk"."""
    expect = {"ok": True, "new": 0, "updated": 0, "skipped": [], "notes": [], "rows": []}
    expect.update(case["expect"])
    overrides = case.get("by_format", {})
    if fmt.startswith("csv"):
        expect.update(overrides.get("csv", {}))
    expect.update(overrides.get(fmt, {}))
    if not expect["ok"]:
        expect.update(new=0, updated=0, rows=[])
    if "sheet" not in expect:
        active = case["sheets"][case.get("active", 0)]["name"]
        expect["sheet"] = None if fmt.startswith("csv") else active
    return expect
