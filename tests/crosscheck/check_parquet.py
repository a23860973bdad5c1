#!/usr/bin/env python3
"""Open a warehouse table's Parquet files with DuckDB and print its row count and totals as JSON,
so a test can compare them with what crmsql reports for the same table.

usage: check_parquet.py TABLE_FOLDER
"""

import json
import sys

try:
    import duckdb
except ImportError:
    print("DuckDB for Python is missing: install it with `pip install duckdb` (.ci/run does)", file=sys.stderr)
    sys.exit(3)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = sys.argv[1]
    con = duckdb.connect()
    files = con.execute("SELECT count(*) FROM glob(?)", [f"{folder}/*.parquet"]).fetchone()[0]
    rows, budget, won = con.execute(
        "SELECT count(*), CAST(sum(budget) AS VARCHAR), count(*) FILTER (WHERE outcome = 'won') "
        "FROM read_parquet(?)",
        [f"{folder}/*.parquet"],
    ).fetchone()
    codecs = [row[0] for row in con.execute(
        "SELECT DISTINCT compression FROM parquet_metadata(?) ORDER BY 1", [f"{folder}/*.parquet"]
    ).fetchall()]
    print(json.dumps({"files": files, "rows": rows, "budget": budget, "won": won, "codecs": codecs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
