#!/usr/bin/env python3
"""Recompute the saved reports from an amoCRM deals export with Python's standard library and
compare them with crmsql's CSV output.

The export is read as plain CSV, without crmsql's importer or warehouse: months come straight from
the wall-clock text of `Дата закрытия`, which is already in the account's time zone.

usage: check_reports.py EXPORT.csv AVG_CHECK_BY_MONTH.csv PIPELINE_STAGES.csv SALES_BY_MANAGER.csv
"""

import csv
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

WON = "Успешно реализовано"
LOST = "Закрыто и не реализовано"
CENT = Decimal("0.01")


def money(text):
    text = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    return Decimal(text) if text else None


def read_export(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = [label.strip() for label in rows[0]]
    index = {label: header.index(label) for label in ("ID", "Бюджет", "Ответственный", "Дата закрытия", "Этап сделки", "Воронка")}
    deals = []
    for row in rows[1:]:
        stage = row[index["Этап сделки"]].strip()
        outcome = "open"
        if stage == WON:
            outcome = "won"
        elif stage == LOST or stage.startswith(LOST + " ("):
            outcome = "lost"
            stage = LOST
        closed = row[index["Дата закрытия"]].strip()
        month = None
        if closed and closed != "не закрыта":
            day, mon, year = closed.split(" ")[0].split(".")
            month = f"{year}-{mon}"
        deals.append({
            "budget": money(row[index["Бюджет"]]),
            "manager": row[index["Ответственный"]].strip() or "(не указан)",
            "month": month,
            "stage": stage,
            "pipeline": row[index["Воронка"]].strip(),
            "outcome": outcome,
        })
    return deals


def read_result(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def rounded(value, places=CENT):
    return value.quantize(places, rounding=ROUND_HALF_UP)


failures = []


def check(label, expected, actual, tolerance=Decimal(0)):
    if isinstance(expected, Decimal):
        actual = Decimal(actual)
        if abs(expected - actual) > tolerance:
            failures.append(f"{label}: expected {expected}, crmsql gave {actual}")
    elif str(expected) != str(actual):
        failures.append(f"{label}: expected {expected!r}, crmsql gave {actual!r}")


def check_avg_check_by_month(deals, result):
    groups = defaultdict(lambda: [0, Decimal(0)])
    for deal in deals:
        if deal["outcome"] == "won" and deal["month"]:
            group = groups[deal["month"]]
            group[0] += 1
            group[1] += deal["budget"] or Decimal(0)
    check("avg_check_by_month months", sorted(groups), [row["month"] for row in result])
    for row in result:
        count, revenue = groups.get(row["month"], (0, Decimal(0)))
        check(f"{row['month']} deals_won", count, row["deals_won"])
        check(f"{row['month']} revenue", revenue, row["revenue"])
        check(f"{row['month']} avg_check", rounded(revenue / count), row["avg_check"])


def check_pipeline_stages(deals, result):
    groups = defaultdict(lambda: [0, Decimal(0)])
    for deal in deals:
        group = groups[(deal["pipeline"], deal["stage"])]
        group[0] += 1
        group[1] += deal["budget"] or Decimal(0)
    total = len(deals)
    total_budget = sum(group[1] for group in groups.values())
    check("pipeline_stages rows", len(groups), len(result))
    check("pipeline_stages shares add up", Decimal(100), sum(Decimal(row["share_pct"]) for row in result), Decimal("0.1"))
    for row in result:
        key = (row["pipeline"], row["stage"])
        count, budget = groups.get(key, (0, Decimal(0)))
        check(f"{key} deals", count, row["deals"])
        check(f"{key} budget", budget, row["budget"])
        # Shares are computed in floating point, so allow half a hundredth.
        check(f"{key} share_pct", rounded(Decimal(100 * count) / total), row["share_pct"], Decimal("0.006"))
        check(f"{key} budget_share_pct", rounded(100 * budget / total_budget), row["budget_share_pct"], Decimal("0.006"))
    pipelines = [row["pipeline"] for row in result]
    check("pipeline_stages ordered by pipeline", sorted(pipelines), pipelines)


def check_sales_by_manager(deals, result):
    groups = defaultdict(lambda: [0, Decimal(0)])
    for deal in deals:
        if deal["outcome"] == "won":
            group = groups[deal["manager"]]
            group[0] += 1
            group[1] += deal["budget"] or Decimal(0)
    check("sales_by_manager managers", sorted(groups), sorted(row["manager"] for row in result))
    for row in result:
        count, revenue = groups.get(row["manager"], (0, Decimal(0)))
        check(f"{row['manager']} deals_won", count, row["deals_won"])
        check(f"{row['manager']} revenue", revenue, row["revenue"])
        check(f"{row['manager']} avg_check", rounded(revenue / count), row["avg_check"])
    revenues = [Decimal(row["revenue"]) for row in result]
    check("sales_by_manager ordered by revenue", sorted(revenues, reverse=True), revenues)


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    deals = read_export(sys.argv[1])
    check_avg_check_by_month(deals, read_result(sys.argv[2]))
    check_pipeline_stages(deals, read_result(sys.argv[3]))
    check_sales_by_manager(deals, read_result(sys.argv[4]))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"3 reports match the export ({len(deals)} deals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
