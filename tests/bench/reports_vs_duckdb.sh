#!/usr/bin/env bash
# Runs saved reports with crmsql and the same questions with DuckDB's command-line binary over
# the same Parquet files, alternating the two tools, and prints for each report both median wall
# times, their ratio and both peak memories. It also checks that both tools return the same
# numbers, and exits 1 when they differ.
#
# The warehouse comes from an export that `crmsql demo --rows N` generates and crmsql imports;
# DuckDB reads the Parquet files of that warehouse directly.
#
# usage: tests/bench/reports_vs_duckdb.sh [ROWS] [RUNS]     (defaults 1000000 and 5)
# environment: CRMSQL (default target/release/crmsql), BENCH_DIR (default a new temporary folder)

set -euo pipefail

rows=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
crmsql=${CRMSQL:-$root/target/release/crmsql}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
csv=$work/amocrm_export_leads_$rows.csv

if ! command -v duckdb >/dev/null; then
    python3 -m pip install --quiet duckdb-cli
fi
if [ ! -x "$crmsql" ]; then
    echo "crmsql not found at $crmsql: build it with cargo build --release" >&2
    exit 2
fi
if [ ! -f "$csv" ]; then
    "$crmsql" demo --rows "$rows" --output "$csv"
fi
if [ ! -d "$work/warehouse" ]; then
    "$crmsql" --warehouse "$work/warehouse" import "$csv" > /dev/null
fi
deals="$work/warehouse/data/deals/*.parquet"

# DuckDB's questions, written to give the same columns and rounding as the reports. Months and
# quarters are taken in the account's time zone, as crmsql takes them.
cat > "$work/duckdb_avg_check_by_month.sql" <<SQL
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT strftime(date_trunc('month', closed_at), '%Y-%m') AS month,
       count(*) AS deals_won,
       sum(budget) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('$deals')
WHERE outcome = 'won' AND closed_at IS NOT NULL
GROUP BY 1 ORDER BY 1
) TO '/dev/stdout' (FORMAT csv, HEADER);
SQL
cat > "$work/duckdb_sales_by_manager.sql" <<SQL
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT coalesce(manager, '(не указан)') AS manager,
       count(*) AS deals_won,
       coalesce(sum(budget), 0) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('$deals')
WHERE outcome = 'won'
  AND closed_at >= TIMESTAMPTZ '2024-07-01 00:00:00+03' AND closed_at < TIMESTAMPTZ '2024-10-01 00:00:00+03'
GROUP BY 1 ORDER BY revenue DESC, manager
) TO '/dev/stdout' (FORMAT csv, HEADER);
SQL
cat > "$work/duckdb_pipeline_stages.sql" <<SQL
COPY (
SELECT pipeline, stage,
       count(*) AS deals,
       coalesce(sum(budget), 0) AS budget,
       CAST(round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS DECIMAL(5, 2)) AS share_pct,
       CAST(round(100.0 * coalesce(sum(budget), 0) / nullif(sum(sum(budget)) OVER (), 0), 2) AS DECIMAL(5, 2)) AS budget_share_pct
FROM read_parquet('$deals')
GROUP BY pipeline, stage, outcome
ORDER BY pipeline, CASE outcome WHEN 'open' THEN 0 WHEN 'won' THEN 1 ELSE 2 END, deals DESC, stage
) TO '/dev/stdout' (FORMAT csv, HEADER);
SQL

# Customer segments: thirds of purchase sum and of average check, where a value's group counts
# the values below it, as quantile_bucket does (rank() - 1 of them).
cat > "$work/duckdb_customer_segments.sql" <<SQL
COPY (
WITH customers AS (
    SELECT coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
           count(*) AS purchases, sum(coalesce(budget, 0)) AS total
    FROM read_parquet('$deals')
    WHERE outcome = 'won' AND coalesce(nullif(company, ''), nullif(contact, '')) IS NOT NULL
    GROUP BY 1
),
levels AS (
    SELECT purchases, total,
           (rank() OVER (ORDER BY total) - 1) * 3 // count(*) OVER () + 1 AS sum_group,
           CASE WHEN purchases < 2 THEN 1 WHEN purchases < 4 THEN 2 ELSE 3 END AS count_group,
           (rank() OVER (ORDER BY CAST(total AS DOUBLE) / purchases) - 1) * 3 // count(*) OVER () + 1 AS check_group
    FROM customers
)
SELECT CASE sum_group WHEN 3 THEN 'большая' WHEN 2 THEN 'средняя' ELSE 'малая' END AS purchase_sum,
       CASE count_group WHEN 3 THEN '4 и больше' WHEN 2 THEN '2–3' ELSE '1' END AS purchase_count,
       CASE check_group WHEN 3 THEN 'высокий' WHEN 2 THEN 'средний' ELSE 'низкий' END AS avg_check_level,
       count(*) AS customers,
       sum(total) AS revenue,
       round(100.0 * sum(total) / sum(sum(total)) OVER (), 2) AS revenue_share_pct,
       round(sum(total) / sum(purchases), 2) AS avg_check,
       round(avg(total), 2) AS ltv
FROM levels
GROUP BY sum_group, count_group, check_group
ORDER BY sum_group DESC, count_group DESC, check_group DESC
) TO '/dev/stdout' (FORMAT csv, HEADER);
SQL

# Runs a command under GNU time, keeping its output, and prints "seconds peak_kib".
measure() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" > "$out" 2> "$work/err.txt" || {
        cat "$work/err.txt" >&2
        exit 1
    }
    cat "$work/time.txt"
}

# Read the files once so that neither tool pays for the first read from disk.
cat $deals > /dev/null

status=0
printf '%-22s %10s %10s %7s %12s %12s %s\n' report crmsql_s duckdb_s ratio crmsql_mib duckdb_mib values
for report in avg_check_by_month sales_by_manager pipeline_stages customer_segments; do
    options=()
    if [ "$report" = sales_by_manager ]; then
        options=(--period 2024-Q3)
    fi
    : > "$work/$report.times"
    for _ in $(seq "$runs"); do
        read -r c_s c_kib < <(measure "$work/$report.crmsql.csv" \
            "$crmsql" --warehouse "$work/warehouse" --format csv run "$report" "${options[@]}")
        read -r d_s d_kib < <(measure "$work/$report.duckdb.csv" \
            duckdb -c ".read $work/duckdb_$report.sql")
        echo "$c_s $c_kib $d_s $d_kib" >> "$work/$report.times"
    done
    python3 - "$report" "$work/$report.times" "$work/$report.crmsql.csv" "$work/$report.duckdb.csv" <<'PY' || status=1
import csv, statistics, sys
from decimal import Decimal

report, times, ours, theirs = sys.argv[1:]
rows = [line.split() for line in open(times)]
c_s = statistics.median(float(r[0]) for r in rows)
d_s = statistics.median(float(r[2]) for r in rows)
c_mib = max(int(r[1]) for r in rows) / 1024
d_mib = max(int(r[3]) for r in rows) / 1024

def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))

def same(a, b):
    try:
        return abs(Decimal(a) - Decimal(b)) <= Decimal("0.011")
    except Exception:
        return a == b

a, b = read(ours), read(theirs)
agree = len(a) == len(b) and all(
    len(x) == len(y) and all(same(p, q) for p, q in zip(x, y)) for x, y in zip(a, b)
)
print(f"{report:<22} {c_s:>10.3f} {d_s:>10.3f} {c_s / d_s:>7.2f} {c_mib:>12.0f} {d_mib:>12.0f} "
      f"{'same' if agree else 'DIFFERENT'} ({len(a) - 1} rows)")
sys.exit(0 if agree else 1)
PY
done
exit $status
