#!/usr/bin/env bash
# Benchmarks crmsql against DuckDB's command-line binary on one generated amoCRM account: first
# the conversion of the deals export to Parquet, then saved reports over the resulting warehouse.
# It prints a summary that can be pasted into the docs, headed by the date, the machine (CPUs,
# memory, kernel), both versions, the number of deals, the size of the export and the runs.
#
# The account comes from `crmsql demo --rows ROWS --delimiter ';' --kopecks --output-dir`. Its
# deals export looks like a file re-saved by Excel. It has the 45 columns of the older export
# header, `;` between fields, budgets with a decimal comma (`42000,50`), dates as
# `dd.mm.yyyy hh:mm:ss`, `не закрыта` in open deals' closing date and quoted multi-line notes.
# Beside it are ad spend per day, other expenses per month and the cost share of each product.
#
# Import: each tool converts the deals export RUNS times, the two alternating, on a warm page
# cache. crmsql imports it into a new warehouse each time. DuckDB reads it with read_csv, given the
# options it needs for those types, and writes a new zstd Parquet file with COPY. The script
# prints both median wall times, the rows per second of each, the ratio of those rates and both
# peak memories (the largest over the runs).
# Then it checks that both tools read the same values: the number of deals, the sum of budgets,
# the number of open deals (no closing date), the first and last creation and closing dates, and
# the numbers of managers, stages and loss reasons. crmsql computes its side from the `deals`
# table of its last warehouse, DuckDB from its last file. crmsql stores dates as UTC instants,
# converted from the account's time zone (Europe/Moscow in a new warehouse), and formats them
# back in that zone. DuckDB reads them as written, without a zone. So both sides print the wall
# time of the export. crmsql splits a lost deal's stage `Закрыто и не реализовано (Дорого)` into
# the stage and the loss reason, and DuckDB's side splits it the same way.
#
# Reports: the last warehouse of the import also gets the other files of the account. The demo
# has no purchase history and no amoCRM customers, so the script derives both from the won deals
# with crmsql: a purchases table (customer = contact) and API transactions (customer = company,
# else contact; one in 25 marked deleted), and imports them too. Then it runs saved reports with
# crmsql and the same questions with DuckDB over the Parquet files of that warehouse, alternating
# RUNS times. For each report it prints both median wall times, their ratio and both peak
# memories. Text must be equal, and numbers equal within 0.011: DuckDB's avg and quotients of
# decimals are DOUBLE where crmsql keeps decimals, so a value rounded to kopecks may differ by one.
#
# Each report that is compared has a file tests/bench/duckdb/REPORT.sql. Its first line gives
# crmsql's arguments, split at spaces (no quoting), for example
#     -- crmsql: run channel_roi --period 2024 --param margin_pct=30
# and the rest is DuckDB SQL that writes CSV to standard output. In it @TABLE@ stands for the
# Parquet files of a warehouse table, WAREHOUSE/data/TABLE/*.parquet.
#
# The script exits 1, after printing everything, when the tools read different values from the
# export or any report differs. A folder given as BENCH_DIR keeps the account and the finished
# warehouse of each number of rows, and a later run with the same number reuses them. The import
# is timed in every run all the same.
#
# usage: tests/bench/vs_duckdb.sh [ROWS] [RUNS]     (defaults 1000000 and 5)
# environment: CRMSQL (default target/release/crmsql, built with cargo when missing), DUCKDB
# (default the binary of pip's duckdb-cli, else duckdb on PATH), BENCH_DIR (default a new
# temporary folder)

set -euo pipefail

rows=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
account=$work/rows_$rows/account
warehouse=$work/rows_$rows/warehouse
scratch=$work/rows_$rows/import
mkdir -p "$work/rows_$rows"

crmsql=${CRMSQL:-}
if [ -z "$crmsql" ]; then
    crmsql=$root/target/release/crmsql
    if [ ! -x "$crmsql" ]; then
        (cd "$root" && cargo build --release --locked)
    fi
fi
if [ ! -x "$crmsql" ]; then
    echo "crmsql not found at $crmsql: set CRMSQL to the binary, or unset it to build target/release/crmsql" >&2
    exit 2
fi

duckdb=${DUCKDB:-}
if [ -z "$duckdb" ]; then
    if ! command -v duckdb >/dev/null; then
        python3 -m pip install --quiet duckdb-cli
    fi
    # The duckdb command of pip's duckdb-cli is a Python script that starts the binary shipped in
    # the package. It adds about a quarter of a second to every run, so the binary is run directly.
    package=$(python3 -c 'import duckdb_cli, os; print(os.path.dirname(duckdb_cli.__file__))' 2>/dev/null || true)
    if [ -n "$package" ] && [ -x "$package/duckdb" ]; then
        duckdb=$package/duckdb
    else
        duckdb=$(command -v duckdb || true)
    fi
fi
if [ ! -x "$duckdb" ]; then
    echo "duckdb not found: install it with python3 -m pip install duckdb-cli or set DUCKDB" >&2
    exit 2
fi

# Each folder is built under a temporary name and renamed when complete, so that an interrupted
# run leaves nothing a later run would take for finished.
if [ ! -d "$account" ]; then
    rm -rf "$account.partial"
    "$crmsql" demo --rows "$rows" --delimiter ';' --kopecks --output-dir "$account.partial" > /dev/null
    mv "$account.partial" "$account"
fi
exports=("$account"/amocrm_export_leads_*.csv)
if [ "${#exports[@]}" -ne 1 ] || [ ! -f "${exports[0]}" ]; then
    echo "$account: expected exactly one amocrm_export_leads_*.csv: delete the folder to generate it again" >&2
    exit 2
fi
deals=${exports[0]}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
size=$(stat -c %s "$deals")
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs${cpu:+ ($cpu)}, $(awk -v k="$memory_kib" 'BEGIN { printf "%.1f GiB", k / 1048576 }') memory, $(uname -sr)"
"$crmsql" --version
echo "duckdb $("$duckdb" --version)"
echo "deals export: $rows rows, $(awk -v b="$size" 'BEGIN { printf "%.1f MiB", b / 1048576 }'); runs of each tool: $runs"

# Runs a command with its output in the file $1 and appends "microseconds peak_kib" to the file
# $2: the wall time from bash's clock, finer than GNU time's hundredths, and the peak memory from
# GNU time.
measure() {
    local out=$1 times=$2 start end
    shift 2
    start=${EPOCHREALTIME//[.,]/}
    if ! /usr/bin/time -f '%M' -o "$work/memory.txt" "$@" > "$out" 2> "$work/err.txt"; then
        echo "failed: $*" >&2
        cat "$work/err.txt" >&2
        exit 1
    fi
    end=${EPOCHREALTIME//[.,]/}
    echo "$((end - start)) $(tail -n 1 "$work/memory.txt")" >> "$times"
}

status=0

# Import. The timed warehouses and Parquet files go to a scratch folder, and each run removes
# the previous ones first.
rm -rf "$scratch"
mkdir -p "$scratch"
cat > "$scratch/convert.sql" <<SQL
COPY (SELECT * FROM read_csv('$deals', delim = ';', header = true, quote = '"', escape = '"',
        decimal_separator = ',', timestampformat = '%d.%m.%Y %H:%M:%S',
        nullstr = ['', 'не закрыта'],
        types = {'ID': 'BIGINT', 'Бюджет': 'DECIMAL(18,2)', 'Дата создания сделки': 'TIMESTAMP',
                 'Дата редактирования': 'TIMESTAMP', 'Дата закрытия': 'TIMESTAMP'}))
TO '$scratch/deals.parquet' (FORMAT parquet, COMPRESSION zstd);
SQL
# Read the export once so that neither tool pays for the first read from disk.
cat "$deals" > /dev/null
: > "$scratch/crmsql.times"
: > "$scratch/duckdb.times"
for _ in $(seq "$runs"); do
    rm -rf "$scratch/warehouse"
    measure "$scratch/crmsql.out" "$scratch/crmsql.times" \
        "$crmsql" --warehouse "$scratch/warehouse" import "$deals"
    rm -f "$scratch/deals.parquet"
    measure "$scratch/duckdb.out" "$scratch/duckdb.times" "$duckdb" -c ".read $scratch/convert.sql"
done

# The same aggregates of both results, with the same column names and text forms, so that the
# two CSV files are equal when the tools agree.
"$crmsql" --warehouse "$scratch/warehouse" --format csv --output "$scratch/crmsql.csv" -c "
    SELECT count(*) AS deals,
           sum(budget) AS budget,
           count(*) FILTER (WHERE closed_at IS NULL) AS open_deals,
           to_char(min(created_at), '%Y-%m-%d %H:%M:%S') AS first_created,
           to_char(max(created_at), '%Y-%m-%d %H:%M:%S') AS last_created,
           to_char(min(closed_at), '%Y-%m-%d %H:%M:%S') AS first_closed,
           to_char(max(closed_at), '%Y-%m-%d %H:%M:%S') AS last_closed,
           count(DISTINCT manager) AS managers,
           count(DISTINCT stage) AS stages,
           count(DISTINCT loss_reason) AS loss_reasons
    FROM deals" > /dev/null
"$duckdb" -csv -c "
    COPY (
    WITH deals AS (
        SELECT *, regexp_extract(\"Этап сделки\", '^(Закрыто и не реализовано) \((.*)\)$',
                                 ['stage', 'reason']) AS lost
        FROM '$scratch/deals.parquet'
    )
    SELECT count(*) AS deals,
           sum(\"Бюджет\") AS budget,
           count(*) FILTER (WHERE \"Дата закрытия\" IS NULL) AS open_deals,
           strftime(min(\"Дата создания сделки\"), '%Y-%m-%d %H:%M:%S') AS first_created,
           strftime(max(\"Дата создания сделки\"), '%Y-%m-%d %H:%M:%S') AS last_created,
           strftime(min(\"Дата закрытия\"), '%Y-%m-%d %H:%M:%S') AS first_closed,
           strftime(max(\"Дата закрытия\"), '%Y-%m-%d %H:%M:%S') AS last_closed,
           count(DISTINCT \"Ответственный\") AS managers,
           count(DISTINCT coalesce(nullif(lost.stage, ''), \"Этап сделки\")) AS stages,
           count(DISTINCT nullif(lost.reason, '')) AS loss_reasons
    FROM deals
    ) TO '$scratch/duckdb.csv' (FORMAT csv, HEADER true)"

python3 - "$scratch"/{crmsql,duckdb}.times "$scratch"/{crmsql,duckdb}.csv <<'PY' || status=1
import csv, statistics, sys

our_times, their_times, ours, theirs = sys.argv[1:]

def timing(path):
    runs = [line.split() for line in open(path)]
    return statistics.median(int(r[0]) for r in runs) / 1e6, max(int(r[1]) for r in runs) / 1024

def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        header, values = list(csv.reader(f))
    return dict(zip(header, values))

a, b = read(ours), read(theirs)
c_s, c_mib = timing(our_times)
d_s, d_mib = timing(their_times)
c_rate = int(a["deals"]) / c_s
d_rate = int(b["deals"]) / d_s
print()
print("import of the deals export to Parquet (median times, largest peaks)")
print(f"{'tool':<8} {'rows':>10} {'seconds':>9} {'rows/s':>11} {'peak_mib':>9}")
print(f"{'crmsql':<8} {int(a['deals']):>10} {c_s:>9.3f} {c_rate:>11,.0f} {c_mib:>9.0f}")
print(f"{'duckdb':<8} {int(b['deals']):>10} {d_s:>9.3f} {d_rate:>11,.0f} {d_mib:>9.0f}")
print(f"ratio: crmsql converts {c_rate / d_rate:.2f} times as many rows per second as DuckDB")
if a == b:
    print(f"values: same ({', '.join(a)})")
    sys.exit(0)
print("values: DIFFERENT")
print(f"    {'':<14} {'crmsql':>22} {'duckdb':>22}")
for key in list(a) + [k for k in b if k not in a]:
    mark = "" if a.get(key) == b.get(key) else "  <-"
    print(f"    {key:<14} {a.get(key, '-'):>22} {b.get(key, '-'):>22}{mark}")
sys.exit(1)
PY

# Reports. Unless an earlier run left a finished warehouse, the last one of the import becomes it.
if [ ! -d "$warehouse" ]; then
    partial=$warehouse.partial
    derived=$work/rows_$rows/derived
    rm -rf "$partial" "$derived"
    mkdir -p "$derived"
    mv "$scratch/warehouse" "$partial"
    others=()
    for file in "$account"/*; do
        if [ "$file" != "$deals" ]; then
            others+=("$file")
        fi
    done
    "$crmsql" --warehouse "$partial" import "${others[@]}" > /dev/null
    "$crmsql" --warehouse "$partial" --format csv --output "$derived/purchases.csv" -c "
        SELECT contact AS customer_id, CAST(closed_at AS DATE) AS date, budget AS amount
        FROM deals WHERE outcome = 'won' ORDER BY id"
    "$crmsql" --warehouse "$partial" --format json --output "$derived/transactions.json" -c "
        SELECT id,
               dense_rank() OVER (ORDER BY coalesce(nullif(company, ''), nullif(contact, ''))) AS customer_id,
               CAST(budget AS VARCHAR) AS price,
               CAST(to_unixtime(closed_at) AS BIGINT) AS completed_at,
               id % 25 = 0 AS is_deleted
        FROM deals WHERE outcome = 'won' ORDER BY id"
    "$crmsql" --warehouse "$partial" import --table purchases "$derived/purchases.csv" > /dev/null
    "$crmsql" --warehouse "$partial" import "$derived/transactions.json" > /dev/null
    mv "$partial" "$warehouse"
fi
rm -rf "$scratch"

# Read the files once so that neither tool pays for the first read from disk.
cat "$warehouse"/data/*/*.parquet > /dev/null

echo
echo "reports over the same warehouse (median times, largest peaks; ratio is crmsql's time over DuckDB's)"
printf '%-26s %10s %10s %7s %12s %12s %s\n' report crmsql_s duckdb_s ratio crmsql_mib duckdb_mib values
for file in "$root"/tests/bench/duckdb/*.sql; do
    report=$(basename "$file" .sql)
    header=$(head -n 1 "$file")
    read -r -a arguments <<< "${header#-- crmsql:}"
    if [ "${header#-- crmsql: }" = "$header" ] || [ "${arguments[0]:-}" != run ] \
        || [ "${arguments[1]:-}" != "$report" ]; then
        echo "$file: the first line must be '-- crmsql: run $report [ARGUMENTS]'" >&2
        exit 2
    fi
    # The DuckDB file with each @TABLE@ replaced by the table's Parquet files.
    sql=$work/$report.duckdb.sql
    cp "$file" "$sql"
    for folder in "$warehouse"/data/*/; do
        table=$(basename "$folder")
        files=$(printf '%s' "${folder}*.parquet" | sed 's/[\\|&]/\\&/g')
        sed -i "s|@$table@|$files|g" "$sql"
    done
    if grep -q '@[a-z_]*@' "$sql"; then
        echo "$file: no warehouse table for $(grep -o '@[a-z_]*@' "$sql" | head -n 1)" >&2
        exit 2
    fi
    : > "$work/$report.crmsql.times"
    : > "$work/$report.duckdb.times"
    for _ in $(seq "$runs"); do
        measure "$work/$report.crmsql.csv" "$work/$report.crmsql.times" \
            "$crmsql" --warehouse "$warehouse" --queries "$root/queries" --format csv "${arguments[@]}"
        measure "$work/$report.duckdb.csv" "$work/$report.duckdb.times" "$duckdb" -c ".read $sql"
    done
    python3 - "$report" "$work/$report".{crmsql,duckdb}.times "$work/$report".{crmsql,duckdb}.csv <<'PY' || status=1
import csv, statistics, sys
from decimal import Decimal

report, our_times, their_times, ours, theirs = sys.argv[1:]

def timing(path):
    runs = [line.split() for line in open(path)]
    return statistics.median(int(r[0]) for r in runs) / 1e6, max(int(r[1]) for r in runs) / 1024

c_s, c_mib = timing(our_times)
d_s, d_mib = timing(their_times)

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
ratio = f"{c_s / d_s:>7.2f}" if d_s > 0 else f"{'-':>7}"
print(f"{report:<26} {c_s:>10.3f} {d_s:>10.3f} {ratio} {c_mib:>12.0f} {d_mib:>12.0f} "
      f"{'same' if agree else 'DIFFERENT'} ({len(a) - 1} {'row' if len(a) == 2 else 'rows'})")
if not agree:
    print(f"    compare {ours} with {theirs}", file=sys.stderr)
sys.exit(0 if agree else 1)
PY
done
exit $status
