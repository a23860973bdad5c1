#!/usr/bin/env python3
"""Recompute the saved reports from an amoCRM deals export with Python's standard library and
compare them with crmsql's CSV output.

The export is read as plain CSV, without crmsql's importer or warehouse: months come straight from
the wall-clock text of `Дата закрытия`, which is already in the account's time zone.

usage: check_reports.py EXPORT.csv REPORT[:MONTH[:COMPARE]]=RESULT.csv ...

Each argument after the export names a report, the month it was run for (`--period YYYY-MM`, or
nothing for the whole history), the comparison (`previous` or `year`) and its CSV output.

The reports that join other tables take the paths of those files in place of the comparison:
  channel_roi:MONTH[@MARGIN]:SPEND.csv
  end_to_end_fit:YEAR:SPEND.csv
  budget_reallocation:FROM,CHANGE,TO:SPEND.csv (dates; the before period is [FROM, CHANGE))
  product_economics:[MONTH]:COSTS.csv
  full_profitability:FIRST,LAST:COSTS.csv,SPEND.csv,EXPENSES.csv (first and last day)
"""

import csv
import sys
from collections import defaultdict
from datetime import date, timedelta
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
    labels = ("ID", "Бюджет", "Ответственный", "Дата закрытия", "Этап сделки", "Воронка", "utm_source", "Источник", "Товар",
              "Компания", "Полное имя контакта", "Дата создания сделки")
    index = {label: header.index(label) for label in labels}
    deals = []
    for row in rows[1:]:
        stage = row[index["Этап сделки"]].strip()
        outcome = "open"
        reason = None
        if stage == WON:
            outcome = "won"
        elif stage == LOST or stage.startswith(LOST + " ("):
            outcome = "lost"
            if stage.endswith(")") and "(" in stage:
                reason = stage[len(LOST) + 2:-1].strip() or None
            stage = LOST
        closed = row[index["Дата закрытия"]].strip()
        month = None
        closed_day = None
        if closed and closed != "не закрыта":
            day, mon, year = closed.split(" ")[0].split(".")
            month = f"{year}-{mon}"
            closed_day = date(int(year), int(mon), int(day))
        deals.append({
            "budget": money(row[index["Бюджет"]]),
            "manager": row[index["Ответственный"]].strip() or "(не указан)",
            "month": month,
            "stage": stage,
            "pipeline": row[index["Воронка"]].strip(),
            "outcome": outcome,
            "reason": reason,
            "channel": row[index["utm_source"]].strip() or row[index["Источник"]].strip() or "(не указан)",
            "product": row[index["Товар"]].strip() or "(не указан)",
            "company": row[index["Компания"]].strip() or None,
            "customer": row[index["Компания"]].strip() or row[index["Полное имя контакта"]].strip() or None,
            "closed_day": closed_day,
            "created_month": "-".join(reversed(row[index["Дата создания сделки"]].split(" ")[0].split(".")[1:])),
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


def month_before(month, how):
    year, mon = int(month[:4]), int(month[5:])
    if how == "year":
        return f"{year - 1}-{mon:02d}"
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def last_day(month):
    year, mon = int(month[:4]), int(month[5:])
    following = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return (following - timedelta(days=1)).isoformat()


def growth(current, previous):
    if previous is None or previous == 0 or current is None:
        return None
    return rounded((current - previous) / abs(previous) * 100)


def check_growth(label, expected, actual):
    if expected is None:
        check(label, "", actual)
    else:
        check(label, expected, actual, Decimal("0.006"))


def won_in(deals, month):
    return [d for d in deals if d["outcome"] == "won" and (month is None or d["month"] == month)]


def check_sales_overview(deals, result, month, how):
    before = month_before(month, how or "previous")
    check("sales_overview rows", 1, len(result))
    row = result[0]
    check("period_start", f"{month}-01", row["period_start"])
    check("period_last_day", last_day(month), row["period_last_day"])
    check("compare_start", f"{before}-01", row["compare_start"])
    check("compare_last_day", last_day(before), row["compare_last_day"])
    figures = {}
    for key, m in (("now", month), ("before", before)):
        won = won_in(deals, m)
        revenue = sum((d["budget"] or Decimal(0) for d in won), Decimal(0))
        figures[key] = (revenue, len(won), revenue / len(won) if won else None)
    (revenue, count, avg), (revenue_b, count_b, avg_b) = figures["now"], figures["before"]
    check("revenue", revenue, row["revenue"])
    check("revenue_before", revenue_b, row["revenue_before"])
    check_growth("revenue_change_pct", growth(revenue, revenue_b), row["revenue_change_pct"])
    check("deals_won", count, row["deals_won"])
    check("deals_won_before", count_b, row["deals_won_before"])
    check_growth("deals_won_change_pct", growth(Decimal(count), Decimal(count_b)), row["deals_won_change_pct"])
    # A period without sales has no average check: the report leaves it empty.
    check("avg_check", rounded(avg) if avg is not None else "", row["avg_check"])
    check("avg_check_before", rounded(avg_b) if avg_b is not None else "", row["avg_check_before"])
    check_growth("avg_check_change_pct", growth(avg, avg_b), row["avg_check_change_pct"])


def check_avg_check_by(key, deals, result, month):
    groups = defaultdict(lambda: [0, Decimal(0)])
    for deal in won_in(deals, month) if month else [d for d in deals if d["outcome"] == "won"]:
        group = groups[deal[key]]
        group[0] += 1
        group[1] += deal["budget"] or Decimal(0)
    expected = sorted(groups, key=lambda name: (-groups[name][1], name))
    check(f"avg_check_by_{key} order", expected, [row[key] for row in result])
    for row in result:
        count, revenue = groups.get(row[key], (0, Decimal(0)))
        check(f"{row[key]} deals_won", count, row["deals_won"])
        check(f"{row[key]} revenue", revenue, row["revenue"])
        check(f"{row[key]} avg_check", rounded(revenue / count), row["avg_check"])


def closed_in(deals, month):
    return [d for d in deals if d["outcome"] in ("won", "lost") and (month is None or d["month"] == month)]


def check_win_rate(deals, result, month):
    groups = defaultdict(lambda: {"won": 0, "lost": 0, "won_budget": Decimal(0), "lost_budget": Decimal(0)})
    for deal in closed_in(deals, month):
        group = groups[deal["pipeline"]]
        group[deal["outcome"]] += 1
        group[deal["outcome"] + "_budget"] += deal["budget"] or Decimal(0)
    check("win_rate pipelines", sorted(groups), [row["pipeline"] for row in result])
    for row in result:
        group = groups[row["pipeline"]]
        for key in ("won", "lost", "won_budget", "lost_budget"):
            check(f"{row['pipeline']} {key}", group[key], row[key])
        rate = rounded(Decimal(100 * group["won"]) / (group["won"] + group["lost"]))
        check(f"{row['pipeline']} win_rate_pct", rate, row["win_rate_pct"], Decimal("0.006"))


def check_loss_reasons(deals, result, month):
    groups = defaultdict(lambda: [0, Decimal(0)])
    lost = [d for d in closed_in(deals, month) if d["outcome"] == "lost"]
    for deal in lost:
        group = groups[deal["reason"] or "(не указана)"]
        group[0] += 1
        group[1] += deal["budget"] or Decimal(0)
    expected = sorted(groups, key=lambda name: (-groups[name][0], name))
    check("loss_reasons order", expected, [row["loss_reason"] for row in result])
    for row in result:
        count, budget = groups[row["loss_reason"]]
        check(f"{row['loss_reason']} deals", count, row["deals"])
        check(f"{row['loss_reason']} budget", budget, row["budget"])
        check(f"{row['loss_reason']} share_pct", rounded(Decimal(100 * count) / len(lost)), row["share_pct"], Decimal("0.006"))


def quintile(values, value):
    """The quintile of `value` among `values`: the share of values strictly below it, in fifths."""
    below = sum(1 for v in values if v < value)
    return below * 5 // len(values) + 1


def rfm_name(r, f):
    if r == 5 and f >= 4:
        return "Чемпионы"
    if r in (3, 4) and f >= 4:
        return "Лояльные"
    if r >= 4 and f in (2, 3):
        return "Потенциально лояльные"
    if (r, f) == (5, 1):
        return "Новички"
    if (r, f) == (4, 1):
        return "Перспективные"
    if (r, f) == (3, 3):
        return "Требуют внимания"
    if r == 3:
        return "Засыпающие"
    if f == 5:
        return "Нельзя потерять"
    if f in (3, 4):
        return "В зоне риска"
    if (r, f) == (1, 1):
        return "Потерянные"
    return "Спящие"


def check_rfm_segments(deals, result, as_of_text):
    as_of = date.fromisoformat(as_of_text)
    customers = defaultdict(lambda: {"last": None, "count": 0, "sum": Decimal(0)})
    for deal in deals:
        if deal["outcome"] != "won" or deal["closed_day"] is None or deal["customer"] is None:
            continue
        if deal["closed_day"] > as_of:
            continue
        c = customers[deal["customer"]]
        c["last"] = max(c["last"] or deal["closed_day"], deal["closed_day"])
        c["count"] += 1
        c["sum"] += deal["budget"] or Decimal(0)
    recency = [(as_of - c["last"]).days for c in customers.values()]
    frequency = [c["count"] for c in customers.values()]
    monetary = [c["sum"] for c in customers.values()]
    segments = defaultdict(lambda: [0, 0, Decimal(0)])
    for c in customers.values():
        r = 6 - quintile(recency, (as_of - c["last"]).days)
        f = quintile(frequency, c["count"])
        segment = segments[rfm_name(r, f)]
        segment[0] += 1
        segment[1] += c["count"]
        segment[2] += c["sum"]
    total = sum(s[2] for s in segments.values())
    expected = sorted(segments, key=lambda name: (-segments[name][2], name))
    check("rfm_segments order", expected, [row["segment"] for row in result])
    for row in result:
        count, purchases, revenue = segments[row["segment"]]
        check(f"{row['segment']} customers", count, row["customers"])
        check(f"{row['segment']} revenue", revenue, row["revenue"])
        check(f"{row['segment']} revenue_share_pct", rounded(100 * revenue / total), row["revenue_share_pct"], Decimal("0.006"))
        check(f"{row['segment']} avg_check", rounded(revenue / purchases), row["avg_check"])
        check(f"{row['segment']} ltv", rounded(revenue / count), row["ltv"])


def third(values, value):
    """The group, 1 to 3, of `value` among `values`, as quantile_bucket(x, 3) gives it."""
    below = sum(1 for v in values if v < value)
    return below * 3 // len(values) + 1


def count_level(count):
    """The purchase count's level: 1 for one purchase, 2 for two or three, 3 for four or more."""
    if count < 2:
        return 1
    if count < 4:
        return 2
    return 3


def check_customer_segments(deals, result, month):
    customers = defaultdict(lambda: [0, Decimal(0)])
    for deal in deals:
        if deal["outcome"] != "won" or deal["customer"] is None:
            continue
        if month and deal["month"] != month:
            continue
        c = customers[deal["customer"]]
        c[0] += 1
        c[1] += deal["budget"] or Decimal(0)
    totals = [c[1] for c in customers.values()]
    checks = [c[1] / c[0] for c in customers.values()]
    names = ({3: "большая", 2: "средняя", 1: "малая"}, {3: "4 и больше", 2: "2–3", 1: "1"},
             {3: "высокий", 2: "средний", 1: "низкий"})
    segments = defaultdict(lambda: [0, 0, Decimal(0)])
    for count, total in customers.values():
        key = (third(totals, total), count_level(count), third(checks, total / count))
        segment = segments[key]
        segment[0] += 1
        segment[1] += count
        segment[2] += total
    revenue_all = sum(s[2] for s in segments.values())
    expected = [tuple(names[i][k[i]] for i in range(3)) for k in sorted(segments, reverse=True)]
    actual = [(row["purchase_sum"], row["purchase_count"], row["avg_check_level"]) for row in result]
    check("customer_segments order", expected, actual)
    by_label = {tuple(names[i][k[i]] for i in range(3)): v for k, v in segments.items()}
    for row, label in zip(result, actual):
        customers_count, purchases, revenue = by_label.get(label, (0, 1, Decimal(0)))
        check(f"{label} customers", customers_count, row["customers"])
        check(f"{label} revenue", revenue, row["revenue"])
        check(f"{label} revenue_share_pct", rounded(100 * revenue / revenue_all), row["revenue_share_pct"], Decimal("0.006"))
        check(f"{label} avg_check", rounded(revenue / purchases), row["avg_check"])
        check(f"{label} ltv", rounded(revenue / customers_count), row["ltv"])


def check_customers_by_manager(deals, result, month):
    groups = defaultdict(lambda: {"customers": set(), "purchases": 0, "revenue": Decimal(0)})
    for deal in deals:
        if deal["outcome"] != "won" or (month and deal["month"] != month):
            continue
        kind = "компания" if deal["company"] else "контакт"
        group = groups[(deal["manager"], kind)]
        if deal["customer"]:
            group["customers"].add(deal["customer"])
        group["purchases"] += 1
        group["revenue"] += deal["budget"] or Decimal(0)
    total = sum(g["revenue"] for g in groups.values())
    check("customers_by_manager rows", sorted(groups), [(row["manager"], row["customer_type"]) for row in result])
    for row in result:
        group = groups[(row["manager"], row["customer_type"])]
        label = f"{row['manager']} {row['customer_type']}"
        check(f"{label} customers", len(group["customers"]), row["customers"])
        check(f"{label} purchases", group["purchases"], row["purchases"])
        per = rounded(Decimal(group["purchases"]) / len(group["customers"])) if group["customers"] else ""
        check(f"{label} purchases_per_customer", per, row["purchases_per_customer"], Decimal("0.006"))
        check(f"{label} revenue", group["revenue"], row["revenue"])
        check(f"{label} avg_check", rounded(group["revenue"] / group["purchases"]), row["avg_check"])
        check(f"{label} revenue_share_pct", rounded(100 * group["revenue"] / total), row["revenue_share_pct"], Decimal("0.006"))


def check_sales_forecast(deals, result, horizon):
    horizon = int(horizon or 3)
    monthly = defaultdict(float)
    last = None
    for deal in deals:
        if deal["outcome"] == "won" and deal["closed_day"] is not None:
            day = deal["closed_day"]
            monthly[(day.year, day.month)] += float(deal["budget"] or 0)
            last = max(last or day, day)
    history = {}
    first = min(monthly)
    for (year, month), revenue in monthly.items():
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        if following - timedelta(days=1) <= last and (year, month) != first:
            history[year * 12 + month] = (month, revenue)
    ts = list(history)
    mean_t = sum(ts) / len(ts)
    mean_r = sum(r for _, r in history.values()) / len(ts)
    slope = sum((t - mean_t) * (history[t][1] - mean_r) for t in ts) / sum((t - mean_t) ** 2 for t in ts)
    intercept = mean_r - slope * mean_t
    ratios = defaultdict(list)
    for t, (month, revenue) in history.items():
        ratios[month].append(revenue / (intercept + slope * t))
    factors = {month: sum(values) / len(values) for month, values in ratios.items()}
    check("sales_forecast rows", horizon, len(result))
    for step, row in enumerate(result, start=1):
        t = max(ts) + step
        year, month = (t - 1) // 12, (t - 1) % 12 + 1
        trend = intercept + slope * t
        factor = factors.get(month, 1.0) if len(ts) >= 24 else 1.0
        check(f"forecast {step} month", f"{year}-{month:02d}", row["month"])
        check(f"forecast {step} trend", rounded(Decimal(trend)), row["trend"], Decimal("0.05"))
        check(f"forecast {step} factor", Decimal(factor).quantize(Decimal("0.0001")), row["seasonal_factor"], Decimal("0.0002"))
        check(f"forecast {step} forecast", rounded(Decimal(trend * factor)), row["forecast"], Decimal("0.05"))
        check(f"forecast {step} history_months", len(ts), row["history_months"])


def check_channel_roi(deals, result, month, spend_path, margin=Decimal(30)):
    spend = defaultdict(Decimal)
    with open(spend_path, encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter=";"))[1:]:
            day, mon, year = row[0].split(".")
            if f"{year}-{mon}" == month:
                spend[row[1].strip().lower()] += money(row[3])
    expected = sorted(spend, key=lambda name: (-spend[name], name))
    check("channel_roi order", expected, [row["channel"] for row in result])
    for row in result:
        channel = row["channel"]
        mine = [d for d in deals if d["channel"].lower() == channel]
        leads = sum(1 for d in mine if d["created_month"] == month)
        won = [d for d in mine if d["outcome"] == "won" and d["month"] == month]
        revenue = sum((d["budget"] or Decimal(0) for d in won), Decimal(0))
        cost = spend[channel]
        check(f"{channel} spend", cost, row["spend"])
        check(f"{channel} leads", leads, row["leads"])
        check(f"{channel} customers", len(won), row["customers"])
        check(f"{channel} revenue", revenue, row["revenue"])
        check(f"{channel} roi_pct", rounded((revenue - cost) / cost * 100), row["roi_pct"], Decimal("0.006"))
        check(f"{channel} romi_pct", rounded((revenue * margin / 100 - cost) / cost * 100), row["romi_pct"], Decimal("0.006"))
        check(f"{channel} cpl", rounded(cost / leads) if leads else "", row["cpl"], Decimal("0.006"))
        check(f"{channel} cac", rounded(cost / len(won)) if won else "", row["cac"], Decimal("0.006"))


def check_budget_reallocation(deals, result, dates, spend_path):
    start, change, end = (date.fromisoformat(d) for d in dates.split(","))
    rows = defaultdict(lambda: {"spend": [Decimal(0), Decimal(0)], "deals": [0, 0], "revenue": [Decimal(0), Decimal(0)]})
    with open(spend_path, encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter=";"))[1:]:
            day, mon, year = row[0].split(".")
            day = date(int(year), int(mon), int(day))
            if start <= day < end:
                rows[row[1].strip().lower()]["spend"][day >= change] += money(row[3])
    for deal in deals:
        day = deal["closed_day"]
        if deal["outcome"] == "won" and day is not None and start <= day < end:
            entry = rows[deal["channel"].lower()]
            entry["deals"][day >= change] += 1
            entry["revenue"][day >= change] += deal["budget"] or Decimal(0)
    total = {"spend": [Decimal(0), Decimal(0)], "deals": [0, 0], "revenue": [Decimal(0), Decimal(0)], "paid": [Decimal(0), Decimal(0)]}
    for entry in rows.values():
        for key in ("spend", "deals", "revenue"):
            for side in (0, 1):
                total[key][side] += entry[key][side]
        for side in (0, 1):
            if entry["spend"][side] > 0:
                total["paid"][side] += entry["revenue"][side]
    check("budget_reallocation rows", sorted(rows) + ["(все каналы)"], sorted(r["channel"] for r in result[:-1]) + [result[-1]["channel"]])
    for row in result:
        entry = total if row["channel"] == "(все каналы)" else rows[row["channel"]]
        paid = entry.get("paid", entry["revenue"])
        label = row["channel"]
        months = [Decimal((change - start).days) / Decimal("30.4375"), Decimal((end - change).days) / Decimal("30.4375")]
        for side, suffix in ((0, "before"), (1, "after")):
            check(f"{label} spend_{suffix}", entry["spend"][side], row[f"spend_{suffix}"])
            check(f"{label} spend_month_{suffix}", rounded(entry["spend"][side] / months[side]), row[f"spend_month_{suffix}"], Decimal("0.011"))
            check(f"{label} revenue_{suffix}", entry["revenue"][side], row[f"revenue_{suffix}"])
            count = entry["deals"][side]
            check(f"{label} avg_check_{suffix}", rounded(entry["revenue"][side] / count) if count else "", row[f"avg_check_{suffix}"])
            cost = entry["spend"][side]
            roi = rounded((paid[side] - cost) / cost * 100) if cost else None
            check_growth(f"{label} roi_{suffix}_pct", roi, row[f"roi_{suffix}_pct"])
        checks = [entry["revenue"][side] / entry["deals"][side] if entry["deals"][side] else None for side in (0, 1)]
        check_growth(f"{label} avg_check_change_pct", growth(checks[1], checks[0]), row["avg_check_change_pct"])


def check_end_to_end_fit(result, year, spend_path):
    spend = defaultdict(Decimal)
    channels = defaultdict(set)
    with open(spend_path, encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter=";"))[1:]:
            day, mon, y = row[0].split(".")
            if y != year:
                continue
            amount = money(row[3])
            spend[f"{y}-{mon}"] += amount
            if amount > 0:
                channels[f"{y}-{mon}"].add(row[1].strip().lower())
    check("end_to_end_fit months", sorted(spend), [row["month"] for row in result])
    for row in result:
        month = row["month"]
        fits = spend[month] > 50000 or len(channels[month]) > 1
        check(f"{month} spend", spend[month], row["spend"])
        check(f"{month} channels", len(channels[month]), row["channels"])
        check(f"{month} fits", str(fits).lower(), row["fits"])


def read_costs(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {row[0].strip().lower(): money(row[1]) for row in list(csv.reader(f, delimiter=";"))[1:]}


def check_product_economics(deals, result, month, costs_path):
    costs = read_costs(costs_path)
    groups = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for deal in won_in(deals, month):
        group = groups[deal["product"]]
        amount = deal["budget"] or Decimal(0)
        group[0] += 1
        group[1] += amount
        group[2] += amount * costs.get(deal["product"].lower(), Decimal(0)) / 100
    expected = sorted(groups, key=lambda name: (-(groups[name][1] - groups[name][2]), name))
    check("product_economics order", expected, [row["product"] for row in result])
    for row in result:
        count, revenue, cost = groups[row["product"]]
        profit = revenue - cost
        label = row["product"]
        check(f"{label} deals_won", count, row["deals_won"])
        check(f"{label} revenue", revenue, row["revenue"])
        check(f"{label} cost", rounded(cost), row["cost"], Decimal("0.006"))
        check(f"{label} profit", rounded(profit), row["profit"], Decimal("0.006"))
        check(f"{label} margin_pct", rounded(100 * profit / revenue), row["margin_pct"], Decimal("0.006"))
        check_growth(f"{label} profitability_pct", rounded(100 * profit / cost) if cost else None, row["profitability_pct"])


def check_full_profitability(deals, result, dates, paths):
    start, last = (date.fromisoformat(d) for d in dates.split(","))
    costs_path, spend_path, expenses_path = paths.split(",")
    costs = read_costs(costs_path)
    months = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), Decimal(0)])
    for deal in deals:
        day = deal["closed_day"]
        if deal["outcome"] == "won" and day is not None and start <= day <= last:
            entry = months[deal["month"]]
            amount = deal["budget"] or Decimal(0)
            entry[0] += amount
            entry[1] += amount * costs.get(deal["product"].lower(), Decimal(0)) / 100
    with open(spend_path, encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter=";"))[1:]:
            d, m, y = row[0].split(".")
            if start <= date(int(y), int(m), int(d)) <= last:
                months[f"{y}-{m}"][2] += money(row[3])
    with open(expenses_path, encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f, delimiter=";"))[1:]:
            if start <= date.fromisoformat(row[0] + "-01") <= last:
                months[row[0]][3] += money(row[2])
    check("full_profitability months", sorted(months), [row["month"] for row in result])
    for row in result:
        revenue, goods, ads, other = months[row["month"]]
        profit = revenue - goods - ads - other
        label = row["month"]
        check(f"{label} revenue", revenue, row["revenue"])
        check(f"{label} cost_of_goods", rounded(goods), row["cost_of_goods"], Decimal("0.006"))
        check(f"{label} ad_spend", ads, row["ad_spend"])
        check(f"{label} expenses", other, row["expenses"])
        check(f"{label} profit", rounded(profit), row["profit"], Decimal("0.006"))
        check_growth(f"{label} profit_pct", rounded(100 * profit / revenue) if revenue else None, row["profit_pct"])


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    deals = read_export(sys.argv[1])
    for argument in sys.argv[2:]:
        spec, path = argument.split("=", 1)
        name, month, how = (spec.split(":") + [None, None])[:3]
        if name == "channel_roi":
            month, _, margin = month.partition("@")
            check_channel_roi(deals, read_result(path), month, how, Decimal(margin or 30))
            continue
        if name == "end_to_end_fit":
            check_end_to_end_fit(read_result(path), month, how)
            continue
        if name == "budget_reallocation":
            check_budget_reallocation(deals, read_result(path), month, how)
            continue
        if name == "product_economics":
            check_product_economics(deals, read_result(path), month or None, how)
            continue
        if name == "full_profitability":
            check_full_profitability(deals, read_result(path), month, how)
            continue
        result = read_result(path)
        if month is None and name in ("avg_check_by_month", "pipeline_stages", "sales_by_manager"):
            {"avg_check_by_month": check_avg_check_by_month,
             "pipeline_stages": check_pipeline_stages,
             "sales_by_manager": check_sales_by_manager}[name](deals, result)
        elif name == "sales_overview":
            check_sales_overview(deals, result, month, how)
        elif name == "avg_check_by_channel":
            check_avg_check_by("channel", deals, result, month)
        elif name == "avg_check_by_product":
            check_avg_check_by("product", deals, result, month)
        elif name == "win_rate":
            check_win_rate(deals, result, month)
        elif name == "loss_reasons":
            check_loss_reasons(deals, result, month)
        elif name == "rfm_segments":
            check_rfm_segments(deals, result, month)
        elif name == "customer_segments":
            check_customer_segments(deals, result, month)
        elif name == "customers_by_manager":
            check_customers_by_manager(deals, result, month)
        elif name == "sales_forecast":
            check_sales_forecast(deals, result, month)
        else:
            failures.append(f"no recomputation for {argument}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"{len(sys.argv) - 2} report runs match the export ({len(deals)} deals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
