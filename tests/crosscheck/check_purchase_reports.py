#!/usr/bin/env python3
"""Recompute the purchase reports with Python's standard library and compare them with crmsql's
CSV output. The history is either a text file in the CDNOW layout or a `.json` page of amoCRM
API transactions. The text file has a header line, then a customer id, a date as yyyymmdd, a
quantity and an amount on each line. The Unix times of transactions are read as dates in Moscow.

usage: check_purchase_reports.py HISTORY REPORT[:OPTION]=RESULT.csv ...

purchase_rfm_segments and transaction_rfm_segments take the as_of date (YYYY-MM-DD) as their
option; purchase_segments takes nothing.
"""

import json
import sys
from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from check_reports import check, failures, read_result, rfm_name, rounded


def read_history(path):
    customers = defaultdict(lambda: {"last": None, "count": 0, "sum": Decimal(0)})
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            page = json.load(f)
        zone = ZoneInfo("Europe/Moscow")
        purchases = [
            (str(t["customer_id"]), datetime.fromtimestamp(t["completed_at"], zone).date(), Decimal(t["price"]))
            for t in page["_embedded"]["transactions"]
            if t.get("completed_at") is not None and not t.get("is_deleted")
        ]
    else:
        with open(path, encoding="utf-8") as f:
            lines = [line.split() for line in f if line.strip()]
        purchases = [
            (customer, date(int(day[:4]), int(day[4:6]), int(day[6:])), Decimal(amount))
            for customer, day, _quantity, amount in lines[1:]
        ]
    for customer, day, amount in purchases:
        c = customers[customer]
        c["last"] = max(c["last"] or day, day)
        c["count"] += 1
        c["sum"] += amount
    return customers


def bucket(sorted_values, value, n):
    """The bucket, 1 to n, of `value`: the share of values strictly below it, cut in n parts."""
    return bisect_left(sorted_values, value) * n // len(sorted_values) + 1


def check_segments_table(label, segments, result, keys):
    total = sum(s[2] for s in segments.values())
    for row in result:
        key = tuple(row[k] for k in keys)
        count, purchases, revenue = segments.get(key, (0, 1, Decimal(0)))
        check(f"{label} {key} customers", count, row["customers"])
        check(f"{label} {key} revenue", revenue, row["revenue"])
        check(f"{label} {key} revenue_share_pct", rounded(100 * revenue / total), row["revenue_share_pct"], Decimal("0.006"))
        check(f"{label} {key} avg_check", rounded(revenue / purchases), row["avg_check"])
        check(f"{label} {key} ltv", rounded(revenue / count), row["ltv"])
    check(f"{label} segments", sorted(segments), sorted(tuple(row[k] for k in keys) for row in result))


def check_purchase_rfm_segments(customers, result, as_of_text, label="purchase_rfm_segments"):
    as_of = date.fromisoformat(as_of_text)
    recency = sorted((as_of - c["last"]).days for c in customers.values())
    frequency = sorted(c["count"] for c in customers.values())
    segments = defaultdict(lambda: [0, 0, Decimal(0)])
    for c in customers.values():
        r = 6 - bucket(recency, (as_of - c["last"]).days, 5)
        f = bucket(frequency, c["count"], 5)
        segment = segments[(rfm_name(r, f),)]
        segment[0] += 1
        segment[1] += c["count"]
        segment[2] += c["sum"]
    check_segments_table(label, segments, result, ("segment",))


def check_purchase_segments(customers, result):
    totals = sorted(c["sum"] for c in customers.values())
    checks = sorted(c["sum"] / c["count"] for c in customers.values())
    names = ({3: "большая", 2: "средняя", 1: "малая"}, {3: "4 и больше", 2: "2–3", 1: "1"},
             {3: "высокий", 2: "средний", 1: "низкий"})
    segments = defaultdict(lambda: [0, 0, Decimal(0)])
    for c in customers.values():
        if c["count"] < 2:
            count = 1
        elif c["count"] < 4:
            count = 2
        else:
            count = 3
        levels = (bucket(totals, c["sum"], 3), count, bucket(checks, c["sum"] / c["count"], 3))
        segment = segments[tuple(names[i][levels[i]] for i in range(3))]
        segment[0] += 1
        segment[1] += c["count"]
        segment[2] += c["sum"]
    check_segments_table("purchase_segments", segments, result, ("purchase_sum", "purchase_count", "avg_check_level"))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    customers = read_history(sys.argv[1])
    for argument in sys.argv[2:]:
        spec, path = argument.split("=", 1)
        name, option = (spec.split(":") + [None])[:2]
        result = read_result(path)
        if name in ("purchase_rfm_segments", "transaction_rfm_segments"):
            check_purchase_rfm_segments(customers, result, option, name)
        elif name == "purchase_segments":
            check_purchase_segments(customers, result)
        else:
            failures.append(f"no recomputation for {argument}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"{len(sys.argv) - 2} report runs match the history ({len(customers)} customers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
