# crmsql messages in English.

rows = { $count } { $count ->
    [one] row
   *[other] rows
}

rows-hidden = { $count } { $count ->
    [one] row
   *[other] rows
}, { $shown ->
    [1] the first shown
   *[other] { $shown } shown, the first and the last
}; all of them: \last in the shell or --maxrows 0
table-record = record

## I/O errors

io-not-found = not found
io-permission-denied = permission denied
io-already-exists = already exists
io-storage-full = no space left on the disk
io-is-a-directory = is a folder, not a file
io-not-a-directory = is a file, not a folder
io-addr-in-use = the address is in use by another program
io-addr-not-available = this machine has no such address
io-connection-refused = connection refused

## Warehouse

warehouse-io = warehouse: { $path }: { $detail }
warehouse-meta = warehouse: description file { $path } is damaged: { $detail }
    hint: if it is a snapshot in the snapshots folder, write the name of the snapshot before it into the warehouse's CURRENT file; else delete the warehouse and import the exports again

## Import

import-io = failed to read or write { $path }: { $detail }
import-no-export-files = { $path } contains no files to load: amoCRM exports, API JSON, Excel or CSV tables
import-empty-file = { $path } is empty: it has no header row; check that the export downloaded in full, and download it again
import-nested-folder = the folder { $path } inside was skipped: only the files of a folder are read; to import this folder too, name it in the command as well
import-not-deals-export = { $path } does not look like an amoCRM deals export: it has no "ID" column with "Название сделки" or "Этап сделки" (header: { $header })
    hint: export deals from amoCRM with "Сделки → ⋯ → Экспорт → CSV"; load any other table with --table NAME, for example --table purchases
import-not-deals-export-named = { $path } does not look like an amoCRM deals export: it has no "ID" column with "Название сделки" or "Этап сделки" (header: { $header })
    hint: the deals table takes deals exports only; to import the file as a table of your own, give it another name, such as --table purchases
import-not-deals-export-forced = { $path } does not look like an amoCRM deals export: it has no "ID" column with "Название сделки" or "Этап сделки" (header: { $header })
    hint: the header was read with the given --encoding or --delimiter; try without them so both are detected
import-unknown-timezone = unknown time zone "{ $value }"
    hint: give an IANA zone name such as Europe/Moscow or Asia/Yekaterinburg
import-unknown-encoding = unknown encoding "{ $value }"
    hint: utf-8, windows-1251 (cp1251), koi8-r, utf-16le and utf-16be are supported
import-invalid-delimiter = delimiter "{ $value }" must be one character other than a quote or a line break, such as ; or , or tab
import-nothing-imported = no row was imported: { $rejected } { $rejected ->
    [one] row was
   *[other] rows were
} rejected; the first is { $file }, line { $line }{ $cell }: { $reason }
    every rejected row and its reason is in { $rejects }; the warehouse was not changed
import-parquet = failed to write Parquet file { $path }: { $detail }
import-arrow = internal error while building columns: { $detail }
import-summary = { $table }: imported { $rows } { $rows ->
    [one] row
   *[other] rows
} from { $files } { $files ->
    [one] file
   *[other] files
}
import-summary-rejected = { $table }: rejected { $rejected } { $rejected ->
    [one] row
   *[other] rows
}; reasons and the rows themselves are in { $path }
import-source = { $path }: encoding { $encoding }, delimiter "{ $delimiter }", { $rows } { $rows ->
    [one] row
   *[other] rows
}{ $rejected ->
    [0] {""}
   *[other] , rejected: { $rejected }
}
import-missing-columns = { $path } has no columns { $columns }: they are empty in the table, and reports over them show nothing
    hint: if the account names these columns differently, rename the headers in the file
import-skipped = skipped a file: { $reason }
import-done = Warehouse: { $path }

## Reasons for rejected rows

reject-field-count = the row has { $actual } fields but the header has { $expected }
reject-cell = , column "{ $column }", value "{ $value }"
reject-invalid-integer = not a whole number
reject-invalid-money = not an amount of money; expected, for example, 185000, 185 000 or 42 000,50
reject-invalid-api-money = not an amount of money; expected a number or a string with one, such as 185000 or "42000.50"
reject-too-many-decimals = more than two decimals: kopecks cannot be kept exactly
reject-money-out-of-range = the amount has more than 16 digits before the decimal point
reject-invalid-date = not a date; expected dd.mm.yyyy hh:mm:ss, dd.mm.yyyy hh:mm, dd.mm.yyyy or yyyy-mm-dd hh:mm:ss
reject-date-out-of-range = the year is outside 1900–2200, the range reports can compute with; if it stands for "never", such as 31.12.9999, clear the cell
reject-invalid-api-time = not a time; the API gives times as Unix seconds, such as 1718965507, and crmsql also takes text such as dd.mm.yyyy hh:mm:ss
reject-duplicate-key = the key ({ $key }) already occurred in this file, on line { $line }, so this row was rejected. If these are separate amounts, merge them into one row or import the table with another --key and --replace
reject-impossible-date = no such date or time exists
reject-nonexistent-local-time = this time does not exist in time zone { $timezone } (clock change)
reject-missing-id = the deal ID is empty
reject-repeated-header = a header row among the data, as when two exports were joined into one file; this row was rejected and the others imported
reject-invalid-encoding = the cell is not in the file's encoding ({ $encoding }); if the whole file is in another encoding, give it with --encoding, and if only some rows are, save the file again in one encoding

## Queries and reports

fn-error-unknown-period = unknown period '{ $preset }'; use one of: { $presets }
fn-error-unknown-comparison = unknown comparison '{ $how }'; use 'previous' or 'year'
fn-error-bad-now = crmsql.now is '{ $value }'; give a local time such as '2025-07-15 10:00:00' or leave it empty
fn-error-null-threshold = segment_bucket: a threshold is NULL; give numbers only
fn-error-thresholds-order = segment_bucket: thresholds must ascend, but { $first } comes before { $second }
fn-error-label-count = segment_bucket: { $thresholds } { $thresholds ->
    [one] threshold makes
   *[other] thresholds make
} { $segments } segments, but { $labels } { $labels ->
    [one] label is
   *[other] labels are
} given
fn-error-buckets-constant = quantile_bucket: the number of buckets must be a constant such as 5
fn-error-buckets-range = quantile_bucket: the number of buckets must be from 1 to 1000, got { $value }
fn-error-rfm-score = rfm_segment: '{ $value }' is not an RFM score; give three digits from 1 to 5 such as '545', as rfm_score returns
sql-error = query failed: { $detail }
sql-column-not-found = there is no column "{ $name }"
sql-function-not-found = there is no function "{ $name }"
sql-syntax = the query has a syntax error
sql-at = line { $line }, column { $column }:
sql-did-you-mean = hint: perhaps "{ $name }" was meant
sql-columns-are = hint: the columns are { $columns }
sql-functions-hint = hint: \df in the shell lists crmsql's functions with descriptions, and \df PATTERN searches the built-in ones
sql-group-by = a column in SELECT is neither in GROUP BY nor inside an aggregate
sql-group-by-hint = hint: add the column to GROUP BY or wrap it in an aggregate: sum, count, avg_check…
sql-divide-by-zero = division by zero
sql-divide-by-zero-hint = hint: crmsql's functions (conversion, margin, roi…) give NULL for a zero denominator; or divide by nullif(x, 0)
sql-ambiguous = more than one table of the query has a column of this name
sql-ambiguous-hint = hint: name the table or its alias, such as d.manager
sql-aggregate-in-where = an aggregate (sum, count…) cannot stand in WHERE
sql-aggregate-in-where-hint = hint: a condition on an aggregate goes in HAVING after GROUP BY
sql-types = values of types that do not mix in one expression
sql-types-hint = hint: cast one of them, such as CAST(x AS DOUBLE) or CAST(x AS DATE)
sql-cast = a value does not convert to the type needed
sql-cast-hint = hint: check the value, or write try_cast(x AS INT), which gives NULL instead of an error; a date is written as '2025-07-01', a number without spaces
sql-memory = the query ran out of memory: the --memory-limit is { $limit }
sql-memory-hint = hint: raise --memory-limit or narrow the query (a period, a filter); sorts and aggregations spill to disk, while joins keep one side in memory
sql-detail = details from DataFusion: { $detail }
table-not-found = there is no table "{ $name }"; tables: { $available }
table-not-found-empty = there is no table "{ $name }": the warehouse is empty; load an export with crmsql import FILE
table-hint-purchases =     hint: a purchase history is imported with: crmsql import FILE --table purchases
table-hint-product-costs =     hint: product costs come from a file with the columns "Товар" and "Себестоимость %": crmsql import FILE
table-hint-ad-spend =     hint: ad spend comes from a file with the columns "Дата", "Канал" and "Расход": crmsql import FILE
table-hint-expenses =     hint: other expenses come from a file with the columns "Месяц", "Статья" and "Сумма": crmsql import FILE
table-hint-api =     hint: customers and their purchases come from an amoCRM API dump (customers, transactions): crmsql import FOLDER_OF_JSON
report-not-found = report "{ $name }" not found
    hint: available reports are { $available }; list them with descriptions with crmsql reports
param-unknown = report "{ $report }" has no parameter "{ $name }"; its parameters: { $known }
param-none = none
param-default = default { $value }
param-required = required
param-optional = optional
report-params-heading = Parameters:
report-origin = File: { $path }
report-origin-builtin = A report built into crmsql ({ $file } in the sources); to change it, save a copy under the same name in the queries folder
help-show = Show a report: description, parameters and SQL
help-show-report = Report name or path to a .sql file
param-syntax = --param "{ $value }": expected KEY=VALUE, such as --param manager=Maria
param-invalid = parameter { $name } of report "{ $report }": "{ $value }" is not { $type }
param-out-of-range = parameter { $name } of report "{ $report }": { $value } is out of range, from { $low } to { $high }
param-twice = parameter { $name } is given twice: "{ $first }" and "{ $second }"; keep one value (--period and --compare give the parameters period and compare too)
param-missing = report "{ $report }" needs parameter { $name }: give it with --param { $name }=VALUE
param-undeclared = report "{ $report }" uses ${ $name }, but its header has no line "-- param: { $name } TYPE"; add one
param-unclosed = report "{ $report }" opens an optional clause with "[[" that no "]]" closes; close it
param-type-text = text
param-type-int = a whole number such as 12
param-type-number = a number such as 1.5
param-type-money = an amount with at most two decimals, such as 50000 or 1500.50
param-type-date = a date written YYYY-MM-DD or DD.MM.YYYY
param-type-bool = yes or no (true or false)
param-type-period = a period: today, yesterday, this_week, last_month, this_quarter, last_year, last_30_days, 2025, 2025-07, 2025-Q3 or 2025-07-01..2025-07-31
param-type-compare = a comparison: previous or year
report-read = failed to read report { $path }: { $detail }
report-no-query = { $path }: the file has no query, only comments
    hint: write the report's SQL query after the header
report-no-name = { $path }: the header has no "-- name: report_name" line
    hint: a report starts with the comments "-- name: report_name" and "-- description: what it shows"
report-no-description = { $path }: the header has no "-- description: …" line describing the report
    hint: say in one line what the report shows: "-- description: revenue per manager for a period"
report-name-twice = { $path }, line { $line }: the report's name is given a second time; a report has one name
report-bad-name = { $path }, line { $line }: "{ $value }" will not do as a report name: use Latin letters, digits, _ or -
report-bad-param = { $path }, line { $line }: the parameter line "{ $value }" cannot be read
    hint: a parameter is declared as "-- param: NAME TYPE [= DEFAULT] [required] | description", such as "-- param: period period = last_month | Period"
report-bad-param-name = { $path }, line { $line }: "{ $value }" will not do as a parameter name: use Latin letters, digits and _, starting with a letter
report-unknown-type = { $path }, line { $line }: parameter { $name } has an unknown type "{ $value }"
    hint: parameter types are text, int, number, money, date, bool, period and compare
report-bad-default = { $path }, line { $line }: the default "{ $value }" does not suit parameter { $name }
report-param-twice = { $path }, line { $line }: parameter { $value } is declared a second time
report-unknown-param-en = { $path }, line { $line }: "-- param.en:" names parameter "{ $value }", which no "-- param:" line above declares
report-bad-chart = { $path }, line { $line }: the chart line "{ $value }" cannot be read; write "-- chart: bar|line [LABEL_COLUMN [NUMBER_COLUMN]]"
report-bad-check = { $path }, line { $line }: the check "{ $value }" cannot be read; write "-- check: CONDITION | message", and "-- check.en:" after it
param-check = report "{ $report }": { $message }
report-failed = report { $report } ({ $path }): { $detail }
report-skipped = report left out: { $detail }
report-duplicate = two reports are named "{ $name }": { $first } is used and { $second } left out
    hint: rename one of them in its "-- name:" line
output-error = failed to write the result: { $detail }
write-failed = failed to write { $path }: { $detail }
config-unreadable = cannot read the settings file { $path }: { $detail }; fix the CRMSQL_CONFIG variable, or set it empty to run without the file
config-invalid = in the settings file { $path }: { $detail }
config-invalid-line = in the settings file { $path }, line { $line }: { $detail }
config-run-option = { $option } belongs to a single run, not to the settings
config-run-command = { $command } is a command, and the settings file holds options only
    hint: the file holds command-line options, one argument a line, such as --memory-limit=2G; options of one command (-c, --period) do not belong there
format-needs-file = the { $format } format is written to a file: give --output FILE
format-one-result = a { $format } file holds one result, but report "{ $report }" returned { $count }; keep one SELECT in the report or choose csv or json
write-no-folder = cannot write { $path }: the folder { $folder } does not exist; create it or name a file in an existing folder
read-failed = failed to read { $path }: { $detail }

## Command line

error-prefix = error
internal-error-prefix = internal error
warning-prefix = warning
unknown-lang = unknown language "{ $value }": ru and en are supported
demo-warehouse-created = The warehouse { $path } was empty, so the demo export was imported into it ({ $rows } { $rows ->
    [one] deal
   *[other] deals
}, file { $export }), with the ad spend, other expenses and product costs of the folder { $folder }.
    To work with your own data, import an amoCRM export: crmsql import FILE.csv

demo-format = crmsql demo writes an amoCRM export as CSV; --format does not apply to it
explain-scans = Tables read (what is left after skipping by the statistics of files, row groups and pages):
explain-scan = { $table }: file ranges { $files } of { $files_total }, row groups { $groups } of { $groups_total }, pages { $pages } of { $pages_total }; rows passed on: { $rows }
explain-scan-no-pages = { $table }: file ranges { $files } of { $files_total }, row groups { $groups } of { $groups_total }, pages not checked; rows passed on: { $rows }
memory-limit-invalid = "{ $value }" will not do for --memory-limit: give a size of at least 1M in K, M or G (a number without a unit is bytes), such as 512M or 2G
memory-limit-invalid-env = "{ $value }" in the variable CRMSQL_MEMORY_LIMIT will not do for --memory-limit: it needs a size of at least 1M in K, M or G (a number without a unit is bytes), such as 512M or 2G; correct the variable or unset it
demo-now = On demo data, periods such as last_month count from { $day }, the day of the demo export.

help-crmsql = crmsql: SQL analytics over amoCRM exports: average check, pipelines, managers, channels.
help-crmsql-after = Without -c and -f, crmsql opens the interactive shell (REPL); SQL can also come on standard input. Options for every run, such as --memory-limit=2G, can be kept in ~/.config/crmsql/config (or the file named by CRMSQL_CONFIG), one argument a line.
    Without --warehouse and CRMSQL_WAREHOUSE, the warehouse in the user's data folder is used; an empty one is filled with demo data.
arg-invalid-choice = "{ $value }" will not do for { $arg }: choose { $valid }
arg-missing-value = { $arg } needs a value
arg-invalid-value = "{ $value }" will not do for { $arg }
arg-unknown = unknown option { $arg }
arg-unknown-command = unknown command { $command }
arg-missing = { $arg } is missing
arg-twice = { $arg } is given twice; keep one value
arg-conflict = { $arg } cannot be combined with { $prior }
arg-too-many = { $arg } has too many values
arg-did-you-mean = hint: perhaps { $suggested } was meant
arg-see-help = hint: see crmsql --help, and crmsql COMMAND --help for a command
help-usage-heading = Usage:
value-char = CHAR
value-columns = COLUMNS
value-dir = DIR
value-encoding = ENCODING
value-file = FILE
value-format = FORMAT
value-key-value = KEY=VALUE
value-label-name-type = LABEL=NAME:TYPE
value-name = NAME
value-path = PATH
value-period = PERIOD
value-report = REPORT
value-report-dir = REPORT_DIR
value-size = SIZE
value-stage = STAGE
value-zone = ZONE
help-usage-crmsql = crmsql [OPTIONS] [-c SQL | -f FILE | COMMAND]
help-usage-import = crmsql import [OPTIONS] PATH...
help-usage-run = crmsql run [OPTIONS] REPORT
help-usage-run-all = crmsql run-all [OPTIONS] --output-dir DIR [REPORT_DIR]
help-usage-reports = crmsql reports [show REPORT]
help-usage-show = crmsql reports show REPORT
help-usage-demo = crmsql demo [OPTIONS]
help-commands-heading = Commands
help-command-value = COMMAND
help-arguments-heading = Arguments
help-options-heading = Options
help-arg-help = Print this help
help-arg-version = Print the version
help-arg-warehouse = Warehouse folder (Parquet files of the tables); also the CRMSQL_WAREHOUSE variable
help-arg-format = Result format: table, csv, json, markdown, html (a page with a chart) and svg (the chart), or parquet and xlsx (to a file, with --output)
help-arg-lang = Language of messages and help: ru or en; defaults to the locale, otherwise Russian
help-arg-maxrows = Rows of a table shown on a terminal, the first and the last (40 by default; 0 shows all). Files and pipes get every row
help-arg-pager = Page long and wide results on a terminal with $PAGER (else less): auto when they do not fit, on always, off never
help-arg-memory_limit = Memory a query may take (on a cluster executor, all its tasks together), such as 1G; beyond it, sorts and aggregations spill to disk. Also the CRMSQL_MEMORY_LIMIT variable
help-arg-queries = Folder of saved reports (*.sql); also the CRMSQL_QUERIES variable and the ./queries folder
help-arg-verbose = Verbose log on stderr (-v progress, -vv debugging)
help-crmsql-sql = Run SQL (several statements separated by ";") and exit; may be repeated
help-crmsql-file = Run SQL from a file and exit
output-needs-sql = --output without a command writes the results of -c or -f; for a report: crmsql run REPORT --output FILE
output-shell-command = --output writes the results of SQL statements, and the shell command { $command } ({ $source }, line { $line }) has none; remove it, or run without --output
format-one-statement = a { $format } file holds one result, but { $count } statements return one; keep one
help-crmsql-output = Write the results of -c or -f to a file, whole; the format comes from --format or the file name (.csv, .xlsx, .parquet, .html…)
help-crmsql-init = File of commands and queries the shell runs before its first prompt; ~/.crmsqlrc by default, when it exists
help-crmsql-history_file = REPL history file
help-import = Import amoCRM exports, API JSON, Excel sheets and other tables (files, or folders of them) into the warehouse
help-import-paths = Export files or folders of them
help-import-timezone = Time zone of the amoCRM account in which the export's dates are written (IANA; by default the zone of the tables already in the warehouse, or Europe/Moscow in an empty one); also the CRMSQL_TIMEZONE variable
help-import-encoding = File encoding instead of detecting it: utf-8, windows-1251 (cp1251), koi8-r, utf-16le or utf-16be
help-import-delimiter = Field delimiter instead of detecting it: ",", ";", tab or any other single character such as "|"
help-import-won_stages = Another name of the won stage (when the account renamed it); may be repeated
help-import-lost_stages = Another name of the lost stage; may be repeated
help-run = Run a saved report by name or by path to a .sql file
help-run-report = Report name (see crmsql reports) or path to a .sql file
help-run-output = Write the result to a file instead of standard output
help-run-period = Period of the report: last_month, this_quarter, last_30_days, 2025-07, 2025-07-01..2025-07-31 and so on (the period parameter)
help-run-compare = Period to compare with: previous, or year for the same period a year earlier (the compare parameter)
help-run-params = Value of a report parameter, KEY=VALUE; may be repeated
help-run-explain = Instead of the result, show how the report ran: the plan with rows and time per step, and how many files, row groups and pages were skipped
run-all-done = report { $report }: wrote { $path } ({ $rows ->
    [one] { $rows } row
   *[other] { $rows } rows
})
run-all-failed = report { $report }: failed: { $detail }
run-all-not-started = the run did not start, and no report ran: { $detail }
run-all-interrupted-at = the run was stopped at the report { $report } (Ctrl-C or SIGTERM); that report and the ones after it did not run: { $detail }
run-all-interrupted = the run was stopped (Ctrl-C or SIGTERM); the reports after this point did not run: { $detail }
run-all-summary = reports run: { $done } of { $total }
run-all-some-failed = { $summary }; failed: { $failed }
run-all-broken = a report file could not be read: { $detail }
run-all-skipped-param = report { $report } left out: it needs parameter { $param }; give it with run-all --param { $param }=VALUE
run-all-skipped-table = report { $report } left out: the warehouse has no table { $table }
run-all-summary-skipped = { $summary }; left out: { $count } ({ $skipped })
run-all-param-unused = no report takes parameter "{ $name }"; the reports' parameters are listed by crmsql reports
help-run-all = Run every report into files named with the date, for scheduled runs
help-run-all-dir = Folder of reports; without it, every report available (as crmsql reports lists)
help-run-all-output_dir = Folder for the result files and the run-all.log log
help-run-all-period = Period for the reports that take the period parameter
help-run-all-params = A parameter value, KEY=VALUE, for the reports that take it; may be repeated
help-run-all-compare = Comparison for the reports that take the compare parameter: previous or year
help-reports = List saved reports with descriptions
help-demo = Generate a demo amoCRM deals export (CSV) or, with --output-dir, the whole demo account
help-demo-rows = Number of deals (default 9000)
help-demo-seed = Generator seed: the same seed gives the same file
help-demo-output = File to write instead of standard output
help-demo-output_dir = Folder to write the whole demo account into: the deals export, ad spend by day, other expenses by month and product costs

## Interactive shell

repl-welcome = crmsql { $version }. End queries with ";"; \? for help, \q to quit.
repl-history-folder-missing = warning: the folder of the history file { $path } does not exist, so this session's history will not be saved; create the folder or give another --history-file
repl-cancelled = query cancelled
repl-demo-mark = {" "}(demo data)
repl-column-from-label = export column "{ $label }"
repl-unknown-command = unknown command { $command }; did you mean: { $near }
repl-save-name = "{ $name }" cannot name a report: use Latin letters, digits, _ or -, such as \save sales_by_city
repl-save-nothing = nothing to save: run a query first, then \save NAME
repl-save-cancelled = The report was not saved
repl-save-replace = { $path } exists. Replace it? (yes/no):{" "}
repl-save-description = Report description:{" "}
repl-save-no-description = the report was not saved: it needs a description that says what it shows
repl-saved = Report { $name } saved to { $path }; run it with { $command }
repl-save-failed = nothing to save: the last query failed; fix it, run it and type \save NAME again
repl-save-builtin = { $name } is a built-in report; the saved one will take its place in crmsql run { $name }. Save it? (yes/no):{" "}
repl-save-shell-only = \save works in the interactive shell: start crmsql, run a query, then type \save NAME
repl-help = Commands:
    \d                        list tables
    \d TABLE                  columns of a table with types and descriptions
    \df [PATTERN]             crmsql's functions with descriptions; with a pattern, built-in ones too
    \reports                  saved reports
    \run REPORT [K=V]         run a report with parameters, such as \run sales_overview period=2025-09
    \save NAME                save the last query as report NAME
    \i FILE                   run a file: its queries and commands
    \o [FILE]                 send results to a file; without a name, back to the screen
    \format FORMAT            output format: table, csv, json or markdown
    \timing [on|off]          show how long queries take
    \x [on|off]               each record as a block, a line per column
    \pager auto|on|off        page long results: when they do not fit, always or never
    \last                     the whole last result, nothing left out
    \chart [bar|line] [X Y]   chart of the last result: bars or a line; X labels, Y numbers
    \history                  query history
    \?                        this help
    \q                        quit (or Ctrl-D)
    An SQL query may span several lines and ends with ";". Ctrl-C cancels the running query.
chart-empty = No data: the result has no rows for this period
chart-no-rows = nothing to draw: the result has no rows
chart-no-numbers = nothing to draw: the result has no number column
chart-unknown-column = the result has no column "{ $name }"
chart-not-numbers = column "{ $name }" does not hold numbers: a chart's values come from a number column
repl-chart-usage = give \chart [bar|line] [LABEL_COLUMN NUMBER_COLUMN], such as \chart bar manager revenue
repl-startup-failed = { $path }, line { $line }: { $detail }
repl-run-value = { $option } needs a value, such as \run sales_overview --period 2025-09
repl-output-binary = results cannot stream into { $path }: an Excel or Parquet file holds one result; run the query with crmsql -c "…" -o { $path }
repl-time = Time: { $seconds } s
repl-history-shell-only = \history works in the interactive shell
repl-include-usage = name a file: \i FILE.sql
repl-include-too-deep = \i { $path } not run: files already run { $depth } deep, one inside another; does a file include itself?
repl-include-loop = \i { $path } not run: that file is already running, so it would include itself without end
repl-output-screen = Results go to the screen again
repl-output-file = Results are written to { $path }; \o without a name brings them back to the screen
repl-format-unknown = unknown format "{ $value }": choose table, csv, json or markdown
repl-format-set = Output format: { $format }
repl-pager-set = Paging of results { $mode ->
    [on] on
    [off] off
   *[other] turns on by itself when a result does not fit the screen
}
repl-pager-value = "{ $value }" will not do: give auto, on or off
repl-timing-on = Query times are shown
repl-timing-off = Query times are not shown
repl-expanded-on = Records are shown as blocks, a line per column
repl-expanded-off = Records are shown as table rows
repl-last-nothing = there is no result yet: run a query first
repl-switch-value = "{ $value }" will not do: give on or off, or nothing to switch
functions-crm-heading = crmsql functions:
functions-builtin-hint = \df PATTERN also searches DataFusion's built-in functions, such as \df date or \df *_trunc
functions-builtin-heading = DataFusion's built-in functions matching "{ $pattern }" (described in DataFusion's documentation):
functions-none = no function matches "{ $pattern }"
function-avg_check = aggregate: the average check, sum / count
function-roi = revenue-based ROI: (revenue − spend) / spend × 100, %
function-roi_profit = profit-based ROI: (revenue − cost − spend) / spend × 100, %
function-romi = ROMI from the product margin: (revenue × margin % / 100 − spend) / spend × 100, %
function-roas = ROAS: revenue / spend × 100, %
function-drr = ad spend as a share of revenue: spend / revenue × 100, %
function-cpl = cost per lead: spend / leads
function-cac = cost of a customer: spend / customers
function-margin = margin: (revenue − cost) / revenue × 100, %
function-conversion = conversion: part / whole × 100, %
function-growth = change against the previous value: (current − previous) / |previous| × 100, %
function-segment_bucket = segment by fixed breaks: the interval's number or its name from labels
function-quantile_bucket = window: the number of the group among n groups of equal size (1 holds the smallest)
function-rfm_score = window: a three-digit RFM code, 1–5 for recency, frequency and monetary value
function-rfm_segment = the name of an RFM segment from its code: Champions, Loyal, Hibernating…
function-ltv = expected lifetime value: average check × purchases per period × periods [× margin %]
function-ltv_observed = aggregate: what a customer has paid so far, the sum of their purchases
function-period_start = start of a period (today, last_month, 2025-Q3, 2025-07-01..2025-07-31…) or of its comparison period
function-period_end = the first instant after the period
function-in_period = whether a time or date lies in the period [start, end)
sql-with-command = -c and -f cannot be combined with a command (import, run, reports, demo)
import-not-csv-zip = { $path } is an Excel or other office document (ZIP), not CSV
    hint: export deals from amoCRM as CSV, or save the file in Excel as "CSV UTF-8"
import-not-csv-xls = { $path } is an old-format Excel file (.xls), not CSV
    hint: save it in Excel as "CSV UTF-8" and import it again
import-not-csv-binary = { $path } is not a text file: it contains NUL bytes
    hint: crmsql imports amoCRM exports in CSV or Excel (.xlsx) and JSON from the API; unpack an archive first
import-no-rows = { $path } has only a header row and no deals; the warehouse was not changed
    hint: check the filter of the deals list in amoCRM before exporting
import-unterminated-quote = { $path }, line { $line }: a quote in the record is not closed before the end of the file, so { $lines } { $lines ->
    [one] line was
   *[other] lines were
} read as one record; the warehouse was not changed
    hint: close or remove the quote on line { $line } and import the file again
warehouse-not-found = warehouse { $path } not found
    hint: check the path in --warehouse or CRMSQL_WAREHOUSE; crmsql import FILE.csv --warehouse { $path } creates a new one
warehouse-empty = warehouse { $path } has no tables; import an export: crmsql import FILE.csv --warehouse { $path }
import-not-found = file or folder { $path } not found
reject-line-break = line break in a single-line column: a stray quote probably glued { $lines } { $lines ->
    [one] line
   *[other] lines
} of the file into one record; remove the stray quote and import the file again

reject-invalid-number = not a number; expected, for example, 3.75 or 1 234,5
reject-invalid-boolean = not yes or no; expected да/нет, yes/no, true/false or 1/0
reject-invalid-month = not a month; expected, for example, 2024-03, 03.2024 or March 2024
reject-missing-value = an empty cell in column "{ $column }", which the row needs; fill it in
reject-negative-value = a negative value in column "{ $column }": spend, clicks and impressions cannot be below zero
reject-percent-out-of-range = a cost share must be from 0 to 100 percent
import-strict-rejected = import cancelled: --strict is set and table { $table } has { $rejected ->
        [one] { $rejected } rejected row
       *[other] { $rejected } rejected rows
    }; the first: { $file }, line { $line }{ $cell }: { $reason }
    the warehouse was not changed; fix the file, or run without --strict to keep rejected rows in the rejects file
import-duplicate-column = two columns of { $path } get the name "{ $name }": "{ $first }" and "{ $second }"; give one of them another name, such as --column "{ $second }=name"
import-key-added = table { $table } has no key, and each file adds rows, and this import gives the key ({ $new }); to match rows by a key, import all the table's files again with --replace
import-key-dropped = table { $table } keeps its rows by the key ({ $old }), and this import gives no key; give --key { $old } or import all the table's files again with --replace
import-key-changed = table { $table } keeps its rows by the key ({ $old }), and this import gives the key ({ $new }); to change the key, import all the table's files again with --replace
import-timezone-changed = the dates of table { $table } are in the time zone { $old }, and --timezone gives { $new }; drop --timezone or, to change the zone, import all the table's files again with --replace
import-demo-removed = The demo data was removed from the warehouse ({ $tables }): it now holds only your exports.
table-unreadable = table { $table } is left out, the others work: { $detail }
    hint: import this table's files again with --replace
import-no-api-records = { $path } has no records of the amoCRM API entities crmsql reads: leads, contacts, companies, pipelines, users, loss_reasons, customers, transactions, catalogs, catalog_elements, events, custom_fields
    hint: docs/import.md lists the entities and file formats
import-no-table-rows = { $path } has only a header row and no data rows; the warehouse was not changed
import-standard-key-missing = { $path } has no column "{ $column }", by which table { $table } matches rows (columns: { $columns }); the warehouse was not changed
    hint: name the headers as docs/import.md describes, or import the file into another table with --table
import-invalid-table = the table name "{ $value }" has no letters or digits
    hint: give a name such as --table purchases
import-sheet-unused = --sheet was not used: none of the imported files is an Excel workbook
import-key-deals = --key was not used for table deals: deals are always matched by ID
import-column-unused = --column was not applied: it sets the columns of your own tables (--table NAME, ad spend, expenses), while exports and API JSON have fixed columns
import-mapping-label-missing = { $path } has no column "{ $label }" named in --column (header: { $header })
warehouse-missing-snapshot = { $path } names the snapshot "{ $name }", which is not in the snapshots folder
    hint: write the name of the newest snapshot, { $newest }, into { $path } to open the warehouse as the last import left it
warehouse-no-snapshots = { $path } names the snapshot "{ $name }", which does not exist, and the snapshots folder has none
    hint: delete { $path } and import the exports again
warehouse-not-a-folder = { $path } is a file, and a warehouse must be a folder
    hint: give another folder with --warehouse or the CRMSQL_WAREHOUSE variable
warehouse-current-missing = { $path } is missing or empty while the snapshots folder has snapshots of the warehouse; without it the warehouse cannot be opened, and an import would lose tables
    hint: write the name of the newest snapshot, { $newest }, into { $path } to open the warehouse as the last import left it
warehouse-newer-format = warehouse snapshot { $path } was written by a newer crmsql (format { $version }); update crmsql
import-merged = { $table }: { $added } new { $added ->
    [one] row
   *[other] rows
}, { $updated } replaced older copies, { $superseded } skipped as outdated; the table now has { $rows } { $rows ->
    [one] row
   *[other] rows
}
import-already = { $path } was already imported into table { $table } and is skipped; add --replace to load the table anew
import-waiting = warehouse { $path } is busy with another import; waiting for it to finish…
import-invalid-mapping = cannot read --column "{ $value }": expected LABEL=NAME:TYPE, for example "Amount=amount:money"; types: int, money, float, bool, date, month, timestamp, text, list
dry-run-file = { $path } → table { $table }: format { $format }, encoding { $encoding }, delimiter "{ $delimiter }", { $rows } data { $rows ->
    [one] row
   *[other] rows
}
dry-run-column =   "{ $label }" → { $name } { $type }
dry-run-file-json = { $path } → API JSON, tables: { $table }; { $rows } { $rows ->
    [one] record
   *[other] records
}
dry-run-column-combined =   from several columns → { $name } { $type }
dry-run-unknown =   not recognized, kept under their own names: { $labels }
dry-run-nothing-written = Dry run: nothing was written to the warehouse.
help-import-table = Table to load the files into (CSV, TSV or space-aligned text), for example purchases; ad_spend and expenses get standard columns
help-import-columns = Name and type of a column: LABEL=NAME:TYPE (types: int, money, float, bool, date, month, timestamp, text, list); repeatable
help-import-key = Comma-separated key columns of the table: on a later import, a row with the same key replaces the old one
help-import-dry_run = Show what would be loaded (format, encoding, delimiter, columns, row count) and write nothing
help-import-strict = Treat any rejected row as an error: the import is cancelled and the warehouse is not changed
help-import-replace = Replace the table as a whole instead of merging into it
delimiter-whitespace = spaces
delimiter-tab = tab
reject-invalid-entity-type = the "Тип" column must be "контакт" or "компания"
import-invalid-json = { $path }: neither JSON nor JSON Lines, error at line { $line }, column { $column }: { $detail }
json-eof = the text ends in the middle of a value: the file may be cut short
json-syntax = a character is missing or out of place (a comma, quote or bracket)
json-data = a value that JSON does not allow
    hint: save the API response whole (a page with _embedded) or one JSON object a line
reject-invalid-json = the line is not valid JSON: { $detail }
reject-unknown-entity = cannot tell which API entity this is: no list in _embedded and no fields to recognize it by
import-source-json = { $path }: JSON, { $rows } { $rows ->
    [one] row
   *[other] rows
} for { $table }{ $rejected ->
    [0] {""}
   *[other] , rejected: { $rejected }
}
import-spreadsheet = cannot read the spreadsheet { $path }: { $detail }
    hint: open the file in Excel and save it again as .xlsx or as "CSV UTF-8"
import-sheet-not-found = { $path } has no sheet "{ $sheet }"; sheets: { $available }
help-import-sheet = Sheet of an Excel workbook to load (the first by default)
import-source-sheet = { $path }: sheet "{ $sheet }", { $rows } { $rows ->
    [one] row
   *[other] rows
}{ $rejected ->
    [0] {""}
   *[other] , rejected: { $rejected }
}
dry-run-file-sheet = { $path } → table { $table }: Excel, sheet "{ $sheet }", { $rows } data { $rows ->
    [one] row
   *[other] rows
}
help-demo-delimiter = Field delimiter: "," (the default, as amoCRM writes), ";" or tab
help-demo-kopecks = Budgets with kopecks after a decimal comma (42000,50), as in files re-saved by Excel
query-progress = running: { $shown } { $rows ->
    [one] row
   *[other] rows
} read, { $megabytes } MB, { $seconds } s; Ctrl-C cancels
import-progress = importing: { $done } of { $total } MB ({ $percent }%), { $rows } { $rows ->
    [one] row
   *[other] rows
}, { $rate } MB/s
import-key-column-missing = key column "{ $column }" given with --key is missing from { $path } (columns: { $columns }); the warehouse was not changed

column-ad_spend-date = day of the spend
column-ad_spend-channel = ad channel; matched to the deals' utm_source without case
column-ad_spend-campaign = ad campaign
column-ad_spend-spend = spend of the day
column-ad_spend-clicks = clicks
column-ad_spend-impressions = impressions
column-expenses-month = month of the expense, its first day
column-expenses-category = expense item: salaries, rent, software…
column-expenses-amount = amount for the month
column-product_costs-product = product; matched to the deals' product field without case
column-product_costs-cost_pct = cost as a percentage of the price
column-purchases-customer_id = customer
column-purchases-date = day of the purchase
column-purchases-quantity = units in the purchase
column-purchases-amount = amount of the purchase

help-arg-cluster = Run queries on an Apache DataFusion Ballista cluster: the scheduler's address, df://HOST:PORT. Applies to -c, -f, the shell, run and run-all; also the CRMSQL_CLUSTER variable
help-scheduler = Start a Ballista cluster scheduler with crmsql's functions
help-usage-scheduler = crmsql scheduler [--bind HOST] [--port PORT] [--external-host HOST]
help-scheduler-bind = Address to listen on (by default 127.0.0.1, this machine only); 0.0.0.0 opens the port to the whole network
help-scheduler-port = Port for clients and executors (50050 by default)
help-scheduler-external_host = Name or address other machines reach the scheduler by, when it differs from --bind
help-executor = Start a Ballista cluster executor with crmsql's functions; --memory-limit sets the memory all its tasks share
help-usage-executor = crmsql executor [--scheduler df://HOST:PORT] [OPTIONS]
help-executor-scheduler = The scheduler's address (df://127.0.0.1:50050 by default)
help-executor-bind = Address to listen on (by default 127.0.0.1, this machine only); 0.0.0.0 opens the ports to the whole network
help-executor-port = Port from which clients and other executors fetch results (Arrow Flight; 50051 by default)
help-executor-grpc_port = Port on which the scheduler sends tasks (50052 by default)
help-executor-external_host = Name or address the scheduler and clients reach the executor by, when it differs from --bind
help-executor-concurrency = Tasks to run at once (0 by default: one per core)
help-executor-work_dir = Folder for intermediate data and spills (a temporary one by default)
value-url = URL
value-host = HOST
value-port = PORT
cluster-invalid = "{ $value }" will not do for --cluster: { $reason }; give the scheduler's address as df://HOST:PORT, such as df://127.0.0.1:50050
cluster-invalid-env = "{ $value }" in the variable CRMSQL_CLUSTER will not do for --cluster: { $reason }; it needs the scheduler's address as df://HOST:PORT; correct the variable or unset it
cluster-url-scheme = the address does not start with df://
cluster-url-host = the address names no scheduler host
cluster-url-port = the port "{ $port }" is not a number from 1 to 65535
cluster-url-user = the address names a user, and Ballista has no login: keep only the host and port
cluster-url-path = the address cannot have a path or parameters after the host and port
cluster-url-quoted = the address is in quotes: the settings file takes values without quotes, such as --cluster=df://10.0.0.5:50050
scheduler-invalid = "{ $value }" will not do for --scheduler: { $reason }; give an address such as df://127.0.0.1:50050
cluster-bind = cannot listen on { $address }: { $detail }
    hint: another program holds the port (perhaps a scheduler or executor already running), or the address is not this machine's; choose another port or address
cluster-address = "{ $host }" will not do for --bind: give an IP address or name of this machine, such as 127.0.0.1 or 0.0.0.0
cluster-server-failed = the { $role } stopped with an error: { $detail }
cluster-role-scheduler = scheduler
cluster-role-executor = executor
scheduler-started = crmsql scheduler listening on { $address }. Clients connect with: crmsql --cluster { $url }. Readiness: http://{ $readiness }/readyz. Stop with Ctrl+C.
scheduler-stopped = The scheduler has stopped.
executor-started = crmsql executor: tasks on { $grpc }, results on { $flight }, scheduler { $scheduler }. Stop with Ctrl+C.
executor-stopped = The executor has stopped.
executor-external-host = The scheduler and clients reach the executor by the name { $host }.
cluster-open-port = { $address } can be reached from the network. Ballista has no login: anyone who reaches this port can run queries over the warehouse and read the files this process can read. Keep the cluster on a private network or close the port with a firewall.
cluster-unreachable = the scheduler { $url } does not answer: { $detail }
    hint: is crmsql scheduler running at this address, and can this machine reach the port? With an empty --cluster= the query runs on this machine
cluster-origin-env = hint: the cluster address comes from the variable CRMSQL_CLUSTER
cluster-origin-file = hint: the cluster address comes from the settings file { $path }, line { $line }
warehouse-origin-env = hint: the warehouse path comes from the variable CRMSQL_WAREHOUSE
warehouse-origin-file = hint: the warehouse path comes from the settings file { $path }, line { $line }
cluster-missing-function = the cluster could not run the query: the scheduler or an executor does not know the function { $function }
    hint: start the cluster's nodes with crmsql scheduler and crmsql executor of the client's version; the stock Ballista programs do not know crmsql's functions
cluster-task-rejected = the cluster could not run the query: an executor rejected a task
    hint: most often the executor was not started with crmsql executor of the client's version and does not know crmsql's functions; the executor's log has the details
cluster-task-rejected-functions = the cluster could not run the query: an executor rejected a task with crmsql functions ({ $functions })
    hint: most often the executor was not started with crmsql executor of the client's version and does not know these functions; the executor's log has the details
cluster-file-unreadable = a cluster node cannot read the warehouse file { $path }: { $detail }
    hint: the scheduler and every executor must see the warehouse at the same path as the client (a shared folder mounted the same way on every machine)
cluster-file-missing = the node finds no file at that path
cluster-job-failed = the cluster could not run the query: { $detail }
cluster-refused = connection refused: nothing listens on that port
cluster-timed-out = the connection timed out
cluster-unknown-host = no such host name
cluster-session-table = a cluster reads only the warehouse's tables: a table made in this session (CREATE TABLE … AS, CREATE TABLE … VALUES) and a table function such as generate_series exist only in this process
    hint: run the query without --cluster, or write the table as WITH (…) in the query; for a series of numbers, unnest(range(1, N + 1)) replaces generate_series(1, N)
cluster-no-executors = the scheduler { $url } has no executor, and the query would wait for one
    hint: start one: crmsql executor --scheduler { $url }
cluster-not-scheduler = another server, not a crmsql scheduler, answers at { $url }: "{ $answer }"
    hint: give the port the scheduler named when it started (50050 by default)
cluster-not-scheduler-silent = no crmsql scheduler answers at { $url }: the server did not answer the request for the readiness page /readyz
    hint: give the port the scheduler named when it started (50050 by default); ports 50051 and 50052 are an executor's
cluster-lost = the connection to the scheduler { $url } broke while the query ran: the scheduler stopped, or the network failed
    hint: check that the scheduler runs, and run the query again
cluster-executor-lost = the cluster stopped the job: an executor that had a part of the query left (or another machine cancelled the job), and Ballista cannot redo that executor's part exactly
    hint: run the query again; the remaining executors run it
cluster-explain-union = on a cluster, a plan with measurements (EXPLAIN ANALYZE, run --explain) cannot be built for a query with UNION or UNION ALL: executors send no measurements of stages with a union
    hint: read the plan with measurements without --cluster, or a plain EXPLAIN
cluster-divide-by-zero = division by zero (on a cluster executor)
    hint: crmsql's functions (conversion, margin, roi…) give NULL for a zero denominator; or divide by nullif(x, 0)
cluster-cast = a value cannot be cast to the needed type (on a cluster executor)
    hint: check the value, or write try_cast(x AS INT), which gives NULL instead of an error; a date is written as '2025-07-01', a number without spaces
    details from DataFusion: { $detail }
cluster-memory = a cluster executor ran out of memory: its --memory-limit is { $limit }
    hint: start the executors with a larger --memory-limit, or narrow the query (period, filter)
cluster-memory-unknown = a cluster executor ran out of memory
    hint: start the executors with a larger --memory-limit, or narrow the query (period, filter)
cluster-information-schema = on a cluster, information_schema cannot be joined with the warehouse's tables
    hint: query information_schema on its own, or run the query without --cluster
cluster-cancelled = query cancelled, and the scheduler stopped its job { $job }
cluster-cancel-failed = query cancelled, but the scheduler { $url } did not take the cancellation of job { $job }: { $detail }
    hint: the job may still run on the executors; it ends by itself or when the scheduler stops
scheduler-executor-joined = Executor { $executor } joined, tasks on { $address }.
scheduler-executor-left = Executor { $executor } ({ $address }) is removed: it stopped or does not answer.
scheduler-job-cancelled = executor { $executor } left while job { $job } ran; the job is cancelled, and its client is told to run the query again
scheduler-job-cancel-failed = executor { $executor } left while job { $job } ran, and the job could not be cancelled: { $detail }
executor-work-dir-taken = another executor uses the folder { $path }: two executors in one folder would delete each other's data
    hint: give this executor a --work-dir of its own
executor-unreachable = the scheduler could not connect to the executor at { $address }: { $detail }
    hint: give --external-host the name or address of this machine that the scheduler reaches it by; without --external-host, the scheduler uses the address the executor connected from
executor-ipv6 = "{ $value }" does not fit an executor's { $option }: a Ballista 55 executor does not work with IPv6 addresses
    hint: give an IPv4 address (such as 127.0.0.1 or 10.0.0.5) or a machine name that resolves to IPv4
executor-waiting = The executor waits for the scheduler { $scheduler }, which does not accept connections yet. It connects as soon as the scheduler starts.
executor-unknown-host = The executor waits for the scheduler { $scheduler }: the name "{ $host }" does not resolve. Check --scheduler; the executor connects once the name resolves and the scheduler is up.
executor-scheduler-lost = The executor lost the scheduler { $scheduler } and connects again when the scheduler is back.
executor-reconnected = The executor connects to the scheduler { $scheduler } again.
cluster-external-host = "{ $value }" will not do for --external-host: give the name or IP address other machines reach this one by, without df:// or a port, such as 10.0.0.5
executor-not-scheduler = no crmsql scheduler answers at { $scheduler }: { $answer }
    hint: give --scheduler the address the scheduler printed when it started (port 50050 by default)
executor-no-answer = the server did not answer the request for the readiness page /readyz
node-option-unused = { $option } does nothing for crmsql { $command }: a cluster node runs no queries of its own
    hint: crmsql { $command } --help lists the options
node-option-unused-cluster = { $option } does nothing for crmsql { $command }: a cluster node runs no queries of its own
    hint: an executor takes its scheduler's address from --scheduler; crmsql { $command } --help lists the options
executor-same-ports = --port and --grpc-port are both { $port }: an executor needs two different ports
