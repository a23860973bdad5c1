#!/usr/bin/env bash
# Start-up time of crmsql on a warehouse built from ten years of monthly imports.
#
# The warehouse is built with the crmsql binary alone. `crmsql demo --output-dir` writes a demo
# account: the deals export, ad_spend, expenses and product_costs. A small Python step cuts it
# into 120 monthly sets of files for 2016-01 … 2025-12, and each month is imported with its own
# `crmsql import`, oldest first.
#
# The demo account covers 2023-01 … 2025-12, so month M of year 2016+K is made from month M of
# year 2023+(K mod 3), with every date moved by the difference in years. In common years
# 29 February becomes the 28th in deals, and ad_spend drops that day. Deal ids get K*100000000
# added, so that no import replaces the rows of an earlier one. The product_costs price list
# gets a `month` column and the key (product, month), because under its default key (product)
# each re-import replaces every row and the table keeps a single file.
#
# Each import adds one Parquet file per table it loads (deals: one per year of creation, so one
# here) and rewrites an older file only when it replaces rows of it. Nothing merges small
# files, so the warehouse ends with 120 files in each of the four tables.
#
# Then it times, RUNS times each after one untimed run:
#   crmsql --warehouse W -c "select 1"
#   crmsql --warehouse W -c "select count(*) from deals"
#   the REPL on a pseudo-terminal, from start to its first prompt, and to its exit after `\q`
# For each it prints min/median/max wall milliseconds, the median CPU time and the largest peak
# resident memory. CPU time is user + system from GNU time, in steps of 10 ms. With strace
# installed it also counts the opens and reads of Parquet files at start-up and for each query
# of one REPL session.
#
# usage: tests/bench/startup.sh [DIR]     (default /tmp/crmsql-startup)
# environment: CRMSQL (default target/release/crmsql), RUNS (default 10), REBUILD=1 builds the
# warehouse again even when DIR holds a finished one.

set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
crmsql=${CRMSQL:-$root/target/release/crmsql}
work=${1:-/tmp/crmsql-startup}
runs=${RUNS:-10}

if [ ! -x "$crmsql" ]; then
    echo "crmsql not found at $crmsql: build it with cargo build --release" >&2
    exit 2
fi
crmsql=$(cd "$(dirname "$crmsql")" && pwd)/$(basename "$crmsql")
if [ ! -x /usr/bin/time ]; then
    echo "GNU time not found at /usr/bin/time: install it with apt-get install time" >&2
    exit 2
fi
mkdir -p "$work/home"
work=$(cd "$work" && pwd)
warehouse=$work/warehouse
months=$work/months

# Prefix that isolates crmsql from the user's settings: no CRMSQL_* variables, a HOME of its own
# (so no ~/.crmsqlrc and no shared history), and the work folder as the current one.
# The work folder has no queries/ folder, so only the built-in reports are loaded.
isolated=(env -u CRMSQL_WAREHOUSE -u CRMSQL_QUERIES -u CRMSQL_TIMEZONE -u CRMSQL_MEMORY_LIMIT
    -u CRMSQL_LOG -u XDG_DATA_HOME HOME="$work/home" LANG=C.UTF-8)
run_crmsql() {
    (cd "$work" && "${isolated[@]}" "$@")
}

build_warehouse() {
    rm -rf "$warehouse" "$months" "$work/demo" "$work/built"
    run_crmsql "$crmsql" demo --seed 1 --output-dir "$work/demo" > /dev/null

    python3 - "$work/demo" "$months" <<'PY'
import csv
import pathlib
import re
import sys

demo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
FIRST_YEAR, YEARS, SOURCE_FIRST, SOURCE_YEARS = 2016, 10, 2023, 3
DATE = re.compile(r"^(\d\d)\.(\d\d)\.(\d{4})(.*)$")


def leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def moved(text, delta):
    """Moves a dd.mm.yyyy[ time] value by delta years; other text stays."""
    match = DATE.match(text)
    if not match:
        return text
    day, month, year, rest = match.groups()
    year = int(year) + delta
    if day == "29" and month == "02" and not leap(year):
        day = "28"
    return f"{day}.{month}.{year}{rest}"


def read(path, delimiter):
    with open(path, encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter=delimiter))
    return rows[0], rows[1:]


def write(path, delimiter, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


deals_header, deals = read(next(demo.glob("amocrm_export_leads_*.csv")), ",")
created = deals_header.index("Дата создания сделки")
spend_header, spend = read(demo / "ad_spend.csv", ";")
costs_header, costs = read(demo / "expenses.csv", ";")
products_header, products = read(demo / "product_costs.csv", ";")

for k in range(YEARS):
    year = FIRST_YEAR + k
    source = SOURCE_FIRST + k % SOURCE_YEARS
    delta = year - source
    for month in range(1, 13):
        tag = f"{year}-{month:02d}"
        source_month = f"{month:02d}.{source}"
        folder = out / tag
        rows = []
        for row in deals:
            if row[created][3:10] != source_month:
                continue
            row = [moved(value, delta) for value in row]
            row[0] = str(int(row[0]) + k * 100_000_000)
            rows.append(row)
        write(folder / f"amocrm_export_leads_{tag}.csv", ",", deals_header, rows)
        rows = [
            [moved(row[0], delta)] + row[1:]
            for row in spend
            if row[0][3:10] == source_month
            and not (row[0][:5] == "29.02" and not leap(year))
        ]
        write(folder / f"ad_spend_{tag}.csv", ";", spend_header, rows)
        rows = [[tag] + row[1:] for row in costs if row[0] == f"{source}-{month:02d}"]
        write(folder / f"expenses_{tag}.csv", ";", costs_header, rows)
        rows = [row + [tag] for row in products]
        write(folder / f"product_costs_{tag}.csv", ";", products_header + ["month"], rows)
PY

    local first=1 month
    for month in $(ls "$months"); do
        if [ "$first" = 1 ]; then
            # The first import of the price list sets its key, and later imports keep it.
            run_crmsql "$crmsql" --warehouse "$warehouse" import --key product,month \
                "$months/$month"/product_costs_*.csv > /dev/null
            run_crmsql "$crmsql" --warehouse "$warehouse" import \
                "$months/$month"/amocrm_export_leads_*.csv "$months/$month"/ad_spend_*.csv \
                "$months/$month"/expenses_*.csv > /dev/null
            first=0
        else
            run_crmsql "$crmsql" --warehouse "$warehouse" import "$months/$month"/*.csv > /dev/null
        fi
    done
    touch "$work/built"
}

if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$work/built" ]; then
    started=$EPOCHREALTIME
    build_warehouse
    echo "built $warehouse from $(ls "$months" | wc -l) monthly imports in" \
        "$(python3 -c "print(round($EPOCHREALTIME - $started))") s"
fi

echo
echo "warehouse $warehouse"
python3 - "$warehouse" <<'PY'
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
name = (root / "CURRENT").read_text().strip()
snapshot = json.loads((root / "snapshots" / name).read_text())
print(f"snapshot {name}, {len(snapshot['tables'])} tables")
print(f"{'table':<15}{'rows':>8}{'files':>7}{'on disk':>9}{'MiB':>8}  key")
for table, meta in snapshot["tables"].items():
    on_disk = list((root / "data" / table).glob("*.parquet"))
    size = sum(path.stat().st_size for path in on_disk) / 2**20
    print(f"{table:<15}{meta['rows']:>8}{len(meta['files']):>7}{len(on_disk):>9}{size:>8.1f}"
          f"  {', '.join(meta['key'])}")
PY

# Read the warehouse once so that every timed run finds it in the page cache.
cat "$warehouse"/data/*/*.parquet > /dev/null

# Runs crmsql once untimed, then RUNS times under GNU time, and prints one line of the table.
# Wall time comes from the shell's clock in microseconds. GNU time gives the CPU time and the
# peak memory.
measure() {
    local label=$1 i started
    shift
    run_crmsql "$crmsql" --warehouse "$warehouse" "$@" > /dev/null 2>&1
    : > "$work/times.txt"
    for ((i = 0; i < runs; i++)); do
        started=$EPOCHREALTIME
        run_crmsql /usr/bin/time -f '%M %U %S' -o "$work/time.txt" \
            "$crmsql" --warehouse "$warehouse" "$@" > /dev/null 2> "$work/err.txt" || {
            cat "$work/err.txt" >&2
            exit 1
        }
        echo "$started $EPOCHREALTIME $(cat "$work/time.txt")" >> "$work/times.txt"
    done
    python3 - "$label" "$work/times.txt" <<'PY'
import statistics
import sys

label, path = sys.argv[1], sys.argv[2]
runs = [line.split() for line in open(path)]
ms = [(float(run[1]) - float(run[0])) * 1000 for run in runs]
cpu = statistics.median((float(run[3]) + float(run[4])) * 1000 for run in runs)
rss = max(int(run[2]) for run in runs) / 1024
print(f"{label:<40}{min(ms):>8.1f}{statistics.median(ms):>8.1f}{max(ms):>8.1f}{cpu:>8.0f}"
      f"{rss:>9.1f}")
PY
}

# Starts the REPL on a pseudo-terminal RUNS times (plus one untimed run) and prints the lines
# for the time to the first prompt and the time to the exit after `\q`.
measure_repl() {
    rm -f "$work/history.txt"
    (cd "$work" && PYTHONPATH="$root/tests/bench" python3 - "$runs" "$work" "${isolated[@]}" \
        /usr/bin/time -f '%M %U %S' \
        -o "$work/time.txt" "$crmsql" --warehouse "$warehouse" \
        --history-file "$work/history.txt" <<'PY'
import statistics
import sys
import time

from pty_repl import drive

runs, work, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]


def once():
    started = time.perf_counter()
    prompt = None

    def on_output(piece, seen, write):
        nonlocal prompt
        if prompt is None and b"crmsql> " in seen:
            prompt = time.perf_counter()
            write(b"\\q\r")

    status, seen = drive(command, on_output, 30, "no prompt within 30 s")
    ended = time.perf_counter()
    if prompt is None or status != 0:
        sys.exit(f"the REPL ended without a prompt or failed:\n{seen.decode(errors='replace')}")
    rss, user, system = open(f"{work}/time.txt").read().split()[-3:]
    return (prompt - started) * 1000, (ended - started) * 1000, int(rss), \
        (float(user) + float(system)) * 1000


once()
results = [once() for _ in range(runs)]
rss = max(r[2] for r in results) / 1024
cpu = statistics.median(r[3] for r in results)
for label, ms in (("REPL: first prompt", [r[0] for r in results]),
                  ("REPL: \\q at the prompt, exit", [r[1] for r in results])):
    print(f"{label:<40}{min(ms):>8.1f}{statistics.median(ms):>8.1f}{max(ms):>8.1f}{cpu:>8.0f}"
          f"{rss:>9.1f}")
PY
    )
}

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $runs runs each"
printf '%-40s%8s%8s%8s%8s%9s\n' "" "min ms" "median" "max ms" "cpu ms" "peak MiB"
measure 'crmsql -c "select 1"' -c "select 1"
measure 'crmsql -c "select count(*) from deals"' -c "select count(*) from deals"
measure_repl

if command -v strace > /dev/null; then
    # Counts opens and reads of Parquet files at start-up and for each statement of one REPL
    # session. The statements come one line at a time from a pseudo-terminal. Between them a
    # constant query, which opens no file, marks where the next statement starts.
    echo
    echo "Parquet files under strace: opens, reads (pread64), bytes read"
    run_crmsql strace -f -qq -y -e trace=openat,pread64 -o "$work/strace-c.txt" \
        "$crmsql" --warehouse "$warehouse" -c "select 1" > /dev/null
    printf '  %-38s%6s%7s\n' 'crmsql -c "select 1"' \
        "$(grep -c '^[0-9]* *openat(.*\.parquet"' "$work/strace-c.txt" || true)" \
        "$(grep -c '^[0-9]* *pread64([0-9]*<[^>]*\.parquet>' "$work/strace-c.txt" || true)"
    # A new history file, because the line editor's hints from older sessions would print
    # later marks early.
    rm -f "$work/strace-history.txt"
    (cd "$work" && PYTHONPATH="$root/tests/bench" python3 - "$work" "${isolated[@]}" \
        strace -f -qq -y \
        -e trace=openat,pread64,write -s 4096 -o "$work/strace-repl.txt" "$crmsql" \
        --warehouse "$warehouse" --history-file "$work/strace-history.txt" <<'PY'
import collections
import re
import sys

from pty_repl import drive

work, command = sys.argv[1], sys.argv[2:]
lines = [b"select 'mark-1';", b"select count(*) from deals;", b"select 'mark-2';",
         b"select count(*) from deals;", b"select 'mark-3';", b"select sum(budget) from deals;",
         b"select 'mark-4';", b"select sum(budget) from deals;", b"select 'mark-5';", b"\\q"]
parts = ["start-up and first prompt", "select count(*) from deals", "  again",
         "select sum(budget) from deals", "  again"]


def on_output(piece, seen, write):
    # The line editor turns on bracketed paste each time it starts reading a line, so the next
    # line is sent then, after the result of the previous one.
    if b"\x1b[?2004h" in piece and lines:
        write(lines.pop(0) + b"\r")


drive(command, on_output, 60, "the REPL under strace did not answer within 60 s")

# With -y strace prints the file behind each descriptor. A call interrupted by another
# thread's call ends on a later "resumed" line of the same thread.
counts = collections.defaultdict(collections.Counter)
part, pending = 0, {}
for line in open(f"{work}/strace-repl.txt"):
    thread, call = line.split(" ", 1)
    call = call.lstrip()
    mark = re.match(r"write\(1<.*mark-(\d)", call)
    if mark:
        part = max(part, int(mark.group(1)))
        continue
    if call.startswith("openat(") and '.parquet"' in call:
        counts[part]["opens"] += 1
    elif call.startswith("pread64(") and ".parquet>" in call:
        counts[part]["reads"] += 1
        done = re.search(r"\) += (\d+)$", call)
        if done:
            counts[part]["bytes"] += int(done.group(1))
        else:
            pending[thread] = part
    elif call.startswith("<... pread64 resumed>") and thread in pending:
        done = re.search(r"\) += (\d+)$", call)
        if done:
            counts[pending.pop(thread)]["bytes"] += int(done.group(1))
for index, label in enumerate(parts):
    got = counts[index]
    print(f"  {label:<38}{got['opens']:>6}{got['reads']:>7}{got['bytes'] / 2**20:>8.2f} MiB")
PY
    )
fi
