//! Queries on a Ballista cluster give the numbers they give on one machine: on a cluster inside
//! the test, and on `crmsql scheduler` and two `crmsql executor` processes on loopback ports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{crmsql, run, stderr, stdout, workspace};
use crmsql_engine::{Engine, EngineOptions, QueryResult, ReportLibrary};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Queries that between them call every CRM function, on the demo account.
const FUNCTION_QUERIES: &[&str] = &[
    "SELECT manager, avg_check(budget) AS avg_check, ltv_observed(budget) AS paid, count(*) AS deals \
     FROM deals WHERE outcome = 'won' GROUP BY manager ORDER BY manager",
    "SELECT utm_source, roi(sum(budget), 1000) AS roi, roi_profit(sum(budget), sum(budget) / 4, 1000) AS roi_profit, \
     romi(sum(budget), 1000, 30) AS romi, roas(sum(budget), 1000) AS roas, drr(1000, sum(budget)) AS drr, \
     cpl(1000, count(*)) AS cpl, cac(1000, count(*) FILTER (WHERE outcome = 'won')) AS cac, \
     margin(sum(budget), sum(budget) / 4) AS margin, \
     conversion(count(*) FILTER (WHERE outcome = 'won'), count(*)) AS conversion, \
     growth(count(*), count(*) FILTER (WHERE outcome = 'won')) AS growth, \
     ltv(avg_check(budget), 2, 3, 30) AS ltv \
     FROM deals GROUP BY utm_source ORDER BY utm_source",
    "SELECT segment_bucket(budget, [10000, 50000, 100000]) AS bucket, \
     segment_bucket(budget, [50000], ['small', 'large']) AS size, count(*) AS deals \
     FROM deals GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT contact, rfm_segment(score) AS segment, score, bucket \
     FROM (SELECT contact, \
             rfm_score(date_part('day', TIMESTAMP '2026-01-12 00:00:00' - max(closed_at)), count(*), sum(budget)) OVER () AS score, \
             quantile_bucket(sum(budget), 4) OVER () AS bucket \
           FROM deals WHERE outcome = 'won' AND contact IS NOT NULL GROUP BY contact) \
     ORDER BY contact",
    "SELECT count(*) FILTER (WHERE in_period(created_at, 'last_month')) AS last_month, \
     count(*) FILTER (WHERE in_period(created_at, 'last_quarter', 'year')) AS last_year_quarter, \
     count(*) FILTER (WHERE created_at >= period_start('this_year') AND created_at < period_end('last_month')) AS this_year \
     FROM deals",
    // A preset that depends on the row is resolved on the executors, with the session's "now".
    "SELECT id % 3 AS k, \
     in_period(created_at, CASE WHEN id % 3 = 0 THEN 'last_month' ELSE 'this_year' END) AS inside, \
     period_start(CASE WHEN id % 3 = 0 THEN 'last_month' ELSE 'this_year' END) AS start, \
     period_end(CASE WHEN id % 3 = 0 THEN 'last_month' ELSE 'this_year' END, 'previous') AS end_previous, \
     count(*) AS deals \
     FROM deals GROUP BY 1, 2, 3, 4 ORDER BY 1, 2",
    "SELECT date_trunc('month', created_at) AS month, CAST(created_at AS DATE) < DATE '2025-01-01' AS early, \
     count(*) AS deals, count(DISTINCT lower(manager)) AS managers \
     FROM deals GROUP BY 1, 2 ORDER BY 1, 2",
];

/// Queries whose tasks differ within a stage: a task that reads one arm of a `UNION ALL` runs
/// other operators than its neighbours, which Ballista 55's scheduler cannot merge the metrics of.
const PLAN_QUERIES: &[&str] = &[
    "SELECT kind, count(*) AS n, sum(amount) AS total \
     FROM (SELECT 'won' AS kind, budget AS amount FROM deals WHERE outcome = 'won' \
           UNION ALL SELECT 'spend', spend FROM ad_spend WHERE clicks > 0 \
           UNION ALL SELECT 'fixed', x FROM (SELECT 1 AS x UNION ALL SELECT 2)) \
     GROUP BY kind ORDER BY kind",
    "SELECT d.manager, c.x, count(*) AS deals, sum(d.budget) AS budget \
     FROM deals d, (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) c \
     WHERE d.id % 1 = c.x % 1 GROUP BY 1, 2 ORDER BY 1, 2",
];

/// A query that keeps two executors busy for seconds: every deal against every deal, twice.
const LONG_QUERY: &str = "SELECT a.manager, count(*) AS pairs, sum(b.budget) AS budget \
     FROM deals a, deals b, (SELECT 1 AS x UNION ALL SELECT 2) c \
     WHERE a.id % 1 = b.id % 1 GROUP BY a.manager ORDER BY a.manager";

/// The result of [`LONG_QUERY`], computed without the join.
const LONG_QUERY_RESULT: &str = "SELECT manager, count(*) * 9000 * 2 AS pairs, \
     count(*) * (SELECT sum(budget) FROM deals) * 2 AS budget \
     FROM deals GROUP BY manager ORDER BY manager";

/// How long a query on the cluster may take in these tests before it counts as hung.
const QUERY_LIMIT: Duration = Duration::from_secs(300);

/// Builds the demo warehouse the way a first run does, so that its "now" is the demo's.
fn demo_warehouse(home: &Path) -> PathBuf {
    let output = run(crmsql(home).args(["-c", "SELECT 1"]));
    assert!(output.status.success(), "{}", stderr(&output));
    home.join("crmsql/warehouse")
}

/// Builds a warehouse of purchase histories for the reports that read them: CDNOW's purchases
/// and a page of amoCRM customers' transactions.
fn history_warehouse(home: &Path) -> PathBuf {
    let warehouse = home.join("history");
    let cdnow = common::data_sets().join("cdnow/CDNOW_master.txt");
    let output = common::import_with(home, &warehouse, &["--table", "purchases"], &[&cdnow]);
    assert!(output.status.success(), "{}", stderr(&output));
    let transactions: Vec<serde_json::Value> = (0..60u32)
        .map(|n| {
            let completed =
                1_704_067_200 + i64::from(n * 37 % 365) * 86_400 + i64::from(n % 5) * 3_600;
            serde_json::json!({
                "id": 1_500_000 + n,
                "customer_id": 1_400_000 + (n * 7 % 20),
                "price": 1_000 + n * 250 % 9_000,
                "completed_at": completed,
                "created_at": completed,
                "updated_at": completed,
                "is_deleted": false,
                "account_id": 30000001,
            })
        })
        .collect();
    let page = home.join("transactions.json");
    let json = serde_json::json!({"_embedded": {"transactions": transactions}});
    std::fs::write(&page, json.to_string()).unwrap();
    let output = common::import(home, &warehouse, &[&page]);
    assert!(output.status.success(), "{}", stderr(&output));
    warehouse
}

/// Returns how a saved report runs in these tests: on the purchase histories or on the demo account,
/// and with which parameters.
fn report_case(name: &str) -> (bool, Vec<(String, String)>) {
    let param = |key: &str, value: &str| vec![(key.to_owned(), value.to_owned())];
    match name {
        "budget_reallocation" => (false, param("change_date", "2025-07-01")),
        "purchase_rfm_segments" => (true, param("as_of", "1998-07-01")),
        "purchase_segments" => (true, Vec::new()),
        "transaction_rfm_segments" => (true, param("as_of", "2025-01-01")),
        _ => (false, Vec::new()),
    }
}

fn cell_texts(result: &QueryResult) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in &result.batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    rows
}

/// Returns whether two cells hold the same value: equal text, or numbers equal to 12 significant
/// digits, as a sum over other partitions may differ in its last bits.
fn same_cell(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// Compares two results as sets of rows with the same columns: the cluster may return rows
/// in another order where the query gives none.
fn assert_same_rows(what: &str, local: Vec<Vec<String>>, cluster: Vec<Vec<String>>) {
    assert_eq!(
        local.len(),
        cluster.len(),
        "{what}: {} rows here, {} on the cluster",
        local.len(),
        cluster.len()
    );
    let mut local = local;
    let mut cluster = cluster;
    local.sort();
    cluster.sort();
    for (a, b) in local.iter().zip(&cluster) {
        assert!(
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_cell(x, y)),
            "{what}: row {a:?} here, {b:?} on the cluster"
        );
    }
}

fn columns(result: &QueryResult) -> Vec<String> {
    result
        .schema
        .fields()
        .iter()
        .map(|field| field.name().clone())
        .collect()
}

async fn open(warehouse: &Path, cluster: Option<crmsql_cluster::ClusterUrl>) -> Engine {
    let warehouse = crmsql_schema::Warehouse::new(warehouse);
    let options = EngineOptions {
        cluster,
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(&warehouse, &options).await.unwrap();
    engine.set_now(
        &crmsql_demo::demo_now()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    );
    engine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_cluster_matches_local() {
    // The queries call every CRM function.
    let used: String = FUNCTION_QUERIES.concat();
    for name in crmsql_functions::function_names() {
        assert!(used.contains(&format!("{name}(")), "no query calls {name}");
    }

    let home = tempfile::tempdir().unwrap();
    let warehouse = demo_warehouse(home.path());
    let history = history_warehouse(home.path());
    let url = crmsql_cluster::start_in_process(2, 2).await.unwrap();
    let local = open(&warehouse, None).await;
    let cluster = open(&warehouse, Some(url.clone())).await;
    let local_history = open(&history, None).await;
    let cluster_history = open(&history, Some(url)).await;

    let library = ReportLibrary::load_folder(&workspace().join("queries")).unwrap();
    let files = std::fs::read_dir(workspace().join("queries"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert_eq!(library.reports().len(), files);
    let mut rows = 0;
    for report in library.reports() {
        let (on_history, params) = report_case(&report.name);
        let (local, cluster) = match on_history {
            true => (&local_history, &cluster_history),
            false => (&local, &cluster),
        };
        let here = local
            .run_report(report, &params)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", report.name));
        let there = cluster
            .run_report(report, &params)
            .await
            .unwrap_or_else(|error| panic!("{} on the cluster: {error}", report.name));
        assert_eq!(here.len(), there.len());
        for (a, b) in here.iter().zip(&there) {
            assert_eq!(columns(a), columns(b), "{}", report.name);
            rows += a.row_count();
            assert_same_rows(&report.name, cell_texts(a), cell_texts(b));
        }
    }
    // The reports are not all empty on the demo account.
    assert!(rows > 100, "{rows} rows in all reports");

    for sql in FUNCTION_QUERIES.iter().chain(PLAN_QUERIES) {
        let here = local.run_sql(sql).await.unwrap();
        let there = tokio::time::timeout(QUERY_LIMIT, cluster.run_sql(sql))
            .await
            .unwrap_or_else(|_| panic!("{sql} did not end on the cluster"))
            .unwrap_or_else(|error| panic!("{sql} on the cluster: {error}"));
        assert!(here[0].row_count() > 0, "{sql} gave no rows");
        assert_same_rows(sql, cell_texts(&here[0]), cell_texts(&there[0]));
    }

    // Segment names follow the session's language on the executors too.
    cluster.set_language(crmsql_i18n::Lang::En);
    let sql = "SELECT DISTINCT rfm_segment(concat(CAST(id % 5 + 1 AS VARCHAR), '45')) AS s \
               FROM deals ORDER BY s";
    let names = cluster.run_sql(sql).await.unwrap();
    local.set_language(crmsql_i18n::Lang::En);
    let expected = local.run_sql(sql).await.unwrap();
    assert_eq!(cell_texts(&names[0]), cell_texts(&expected[0]));
    assert!(
        cell_texts(&names[0])
            .concat()
            .contains(&"Champions".to_owned())
    );
}

/// A child process the test started, killed when the test ends however it ends.
struct Node {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Node {
    fn start(name: &str, home: &Path, args: &[String]) -> Node {
        let log = home.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = crmsql(home)
            .args(args)
            .env("CRMSQL_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Node {
            name: name.to_owned(),
            child,
            log,
        }
    }

    fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} ended ({status}):\n{}", self.name, self.log_tail());
        }
    }

    /// Counts the tasks that the executor's log reports as started and finished.
    fn tasks(&self) -> (usize, usize) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        (
            text.matches("Execute task").count(),
            text.matches("Finished task").count(),
        )
    }

    /// Waits up to `limit` while the node runs until its log passes `done`, and returns the log.
    fn wait_for_log(&mut self, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            self.assert_alive();
            let log = std::fs::read_to_string(&self.log).unwrap();
            if done(&log) {
                return log;
            }
            assert!(start.elapsed() < limit, "{}: {log}", self.name);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} log:\n{}", self.name, self.log_tail());
        }
    }
}

/// Returns a port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asks the scheduler's readiness page; returns its status line and body.
fn readiness(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

/// Waits until the scheduler on `port` has `executors` executors, checking meanwhile that the
/// test's own processes are still running.
fn wait_ready(port: u16, executors: usize, nodes: &mut [&mut Node]) {
    let start = Instant::now();
    let ready = format!("ready: {executors} executors registered");
    loop {
        for node in nodes.iter_mut() {
            node.assert_alive();
        }
        if readiness(port).is_some_and(|text| text.contains(&ready)) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the scheduler on {port} did not get {executors} executors: {:?}",
            readiness(port)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Still alive: a stale process on the same port would have made ours exit.
    std::thread::sleep(Duration::from_millis(300));
    for node in nodes.iter_mut() {
        node.assert_alive();
    }
}

fn scheduler(home: &Path, name: &str) -> (Node, u16) {
    let port = free_port();
    let node = Node::start(
        name,
        home,
        &[
            "scheduler".to_owned(),
            "--port".to_owned(),
            port.to_string(),
        ],
    );
    (node, port)
}

fn executor(home: &Path, name: &str, scheduler_port: u16, work_dir: &Path) -> Node {
    executor_with(home, name, scheduler_port, work_dir, &[])
}

/// Starts an executor as [`executor`] does, with `extra` options after the others.
fn executor_with(
    home: &Path,
    name: &str,
    scheduler_port: u16,
    work_dir: &Path,
    extra: &[&str],
) -> Node {
    let args: Vec<String> = [
        "executor",
        "--scheduler",
        &format!("df://127.0.0.1:{scheduler_port}"),
        "--port",
        &free_port().to_string(),
        "--grpc-port",
        &free_port().to_string(),
        "--concurrency",
        "1",
        "--work-dir",
        &work_dir.display().to_string(),
    ]
    .iter()
    .chain(extra)
    .map(|arg| (*arg).to_owned())
    .collect();
    Node::start(name, home, &args)
}

/// Runs a command to its end, failing the test when it takes longer than [`QUERY_LIMIT`].
fn run_limited(command: &mut std::process::Command) -> std::process::Output {
    Client::start(command).finish()
}

/// Reads CSV text into rows of cells, the header first.
fn csv_table(text: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Runs crmsql on the cluster at `url`, expects it to fail with exit code 1, and returns its
/// standard error.
fn cluster_failure(home: &Path, url: &str, args: &[&str]) -> String {
    let output = run(crmsql(home).args(["--cluster", url]).args(args));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    stderr(&output)
}

/// Runs crmsql with CSV output and returns its rows, the header first.
fn csv_rows(home: &Path, args: &[&str]) -> Vec<Vec<String>> {
    let output = run_limited(crmsql(home).args(["--format", "csv"]).args(args));
    assert!(
        output.status.success(),
        "crmsql {args:?} failed: {}",
        stderr(&output)
    );
    csv_table(&output.stdout)
}

/// How many jobs an executor keeps data of.
fn job_folders(work_dir: &Path) -> usize {
    job_names(work_dir).len()
}

#[test]
fn cluster_processes_match_local() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    demo_warehouse(home);
    let history = history_warehouse(home);
    let history = history.to_str().unwrap();
    let (mut scheduler_node, port) = scheduler(home, "scheduler");
    let work: Vec<PathBuf> = (1..=2).map(|i| home.join(format!("work{i}"))).collect();
    // Spill files of an executor that was killed.
    let stale = work[0]
        .join(crmsql_cluster::SPILL_FOLDER)
        .join("datafusion-stale");
    std::fs::create_dir_all(&stale).unwrap();
    let mut first = executor(home, "executor1", port, &work[0]);
    let extra = ["--external-host", "127.0.0.1"];
    let mut second = executor_with(home, "executor2", port, &work[1], &extra);
    wait_ready(port, 2, &mut [&mut scheduler_node, &mut first, &mut second]);
    assert!(!stale.exists());
    let log = std::fs::read_to_string(&second.log).unwrap();
    assert!(
        log.contains("Планировщик и клиенты обращаются к исполнителю по имени 127.0.0.1."),
        "{log}"
    );
    // A third executor given the first one's folder would delete its data.
    let output = run(crmsql(home).args([
        "executor",
        "--scheduler",
        &format!("df://127.0.0.1:{port}"),
        "--port",
        &free_port().to_string(),
        "--grpc-port",
        &free_port().to_string(),
        "--work-dir",
        work[0].to_str().unwrap(),
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "папкой {} уже пользуется другой исполнитель",
            work[0].display()
        )),
        "{}",
        stderr(&output)
    );

    let url = format!("df://127.0.0.1:{port}");
    let queries = workspace().join("queries");
    let queries = queries.to_str().unwrap();
    let library = ReportLibrary::load_folder(Path::new(queries)).unwrap();
    assert!(library.reports().len() >= 20);
    for report in library.reports() {
        let (on_history, params) = report_case(&report.name);
        let mut args: Vec<String> = vec!["--queries".into(), queries.into()];
        if on_history {
            args.extend(["--warehouse".into(), history.into()]);
        }
        args.extend(["run".into(), report.name.clone()]);
        for (key, value) in &params {
            args.extend(["--param".into(), format!("{key}={value}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let local = csv_rows(home, &args);
        let cluster = csv_rows(home, &[&["--cluster", url.as_str()][..], &args].concat());
        assert_eq!(local.first(), cluster.first(), "{}: columns", report.name);
        assert_same_rows(
            &report.name,
            local.into_iter().skip(1).collect(),
            cluster.into_iter().skip(1).collect(),
        );
    }
    for sql in FUNCTION_QUERIES.iter().chain(PLAN_QUERIES) {
        let local = csv_rows(home, &["-c", sql]);
        let cluster = csv_rows(home, &["--cluster", &url, "-c", sql]);
        assert_eq!(local.first(), cluster.first());
        assert!(local.len() > 1, "{sql} gave no rows");
        assert_same_rows(
            sql,
            local.into_iter().skip(1).collect(),
            cluster.into_iter().skip(1).collect(),
        );
    }
    // On a cluster, text columns read as plain strings: Ballista sends every buffer a batch of
    // string views refers to, and a large result took gigabytes in the client.
    let text_type = "SELECT arrow_typeof(name) AS t FROM deals LIMIT 1";
    assert_eq!(
        csv_rows(home, &["--cluster", &url, "-c", text_type]),
        [["t"], ["Utf8"]]
    );
    assert_eq!(csv_rows(home, &["-c", text_type]), [["t"], ["Utf8View"]]);
    // The same address from the variable.
    let output = run(crmsql(home).env("CRMSQL_CLUSTER", &url).args([
        "--format",
        "csv",
        "-c",
        "SELECT avg_check(budget) AS a FROM deals WHERE outcome = 'won'",
    ]));
    assert!(output.status.success());
    assert_eq!(
        stdout(&output),
        stdout(&run(crmsql(home).args([
            "--format",
            "csv",
            "-c",
            "SELECT avg_check(budget) AS a FROM deals WHERE outcome = 'won'"
        ])))
    );

    // A table made in the session exists only in the client.
    let message = cluster_failure(
        home,
        &url,
        &["-c", "CREATE TABLE t AS SELECT 1 AS x; SELECT * FROM t"],
    );
    assert!(
        message.contains("таблица, созданная в этой сессии"),
        "{message}"
    );
    // So does a table function.
    let message = cluster_failure(
        home,
        &url,
        &["-c", "SELECT count(*) FROM generate_series(1, 10)"],
    );
    assert!(
        message.contains("табличная функция вроде generate_series"),
        "{message}"
    );

    // Ballista refuses information_schema beside warehouse tables while it plans.
    let message = cluster_failure(
        home,
        &url,
        &[
            "-c",
            "SELECT count(*) FROM information_schema.tables t JOIN deals d ON t.table_name = 'deals'",
        ],
    );
    assert!(
        message.contains("на кластере information_schema нельзя соединять с таблицами"),
        "{message}"
    );

    // Errors met on an executor read as they do locally, with the value that failed.
    let message = cluster_failure(home, &url, &["-c", "SELECT CAST(source AS INT) FROM deals"]);
    assert!(
        message
            .contains("ошибка: значение не приводится к нужному типу (на исполнителе кластера)\n"),
        "{message}"
    );
    assert!(message.contains("try_cast(x AS INT)"), "{message}");
    assert!(
        message.contains("подробности от DataFusion: Cannot cast string '"),
        "{message}"
    );
    // The period depends on the row, so that an executor, not the client, meets it.
    let bad_period = "SELECT count(*) FROM deals \
                      WHERE in_period(closed_at, CASE WHEN id > 0 THEN 'весна' END)";
    let message = cluster_failure(home, &url, &["-c", bad_period]);
    assert!(
        message.contains("ошибка: неизвестный период «весна»; можно: today"),
        "{message}"
    );
    let message = cluster_failure(home, &url, &["-c", "SELECT sum(budget) / 0 FROM deals"]);
    assert!(
        message.contains("ошибка: деление на ноль (на исполнителе кластера)"),
        "{message}"
    );

    // A plan with measurements shows what the executors did, except under a union, whose
    // stages report none.
    let output = run(crmsql(home).args(["--cluster", &url, "run", "sales_overview", "--explain"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("output_rows="),
        "{}",
        stdout(&output)
    );
    // The summary counts what the executors read, and does not claim pages they did not check.
    assert!(
        stdout(&output).contains("  deals: частей файлов "),
        "{}",
        stdout(&output)
    );
    assert!(
        !stdout(&output).contains("страниц 0 из 0"),
        "{}",
        stdout(&output)
    );
    let explain = format!("EXPLAIN ANALYZE {}", PLAN_QUERIES[0]);
    let message = cluster_failure(home, &url, &["-c", &explain]);
    assert!(
        message.contains("не строится для запросов с UNION и UNION ALL"),
        "{message}"
    );

    // Both executors ran tasks. Their spill folders are outside the job data folder, which
    // an executor cleans.
    for dir in &work {
        assert!(job_folders(dir) > 0, "{} got no work", dir.display());
        let names = job_names(dir);
        assert!(
            names.iter().all(|name| !name.starts_with("datafusion-")),
            "{names:?}"
        );
    }
    for node in [&mut scheduler_node, &mut first, &mut second] {
        node.assert_alive();
    }
}

/// Names of the job folders in an executor's work folder.
fn job_names(work_dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(work_dir.join(crmsql_cluster::JOBS_FOLDER))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A crmsql command running in the background, its output read as it comes.
struct Client {
    command: String,
    pid: String,
    output: std::sync::mpsc::Receiver<std::io::Result<std::process::Output>>,
}

impl Client {
    fn start(command: &mut std::process::Command) -> Client {
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        let (send, output) = std::sync::mpsc::channel();
        std::thread::spawn(move || send.send(child.wait_with_output()));
        Client {
            command: format!("{command:?}"),
            pid,
            output,
        }
    }

    fn assert_running(&self, what: &str) {
        if let Ok(output) = self.output.try_recv() {
            panic!(
                "the query ended before {what}:\n{}",
                stderr(&output.unwrap())
            );
        }
    }

    fn signal(&self, name: &str) {
        send_signal(&self.pid, name);
    }

    fn finish(self) -> std::process::Output {
        match self.output.recv_timeout(QUERY_LIMIT) {
            Ok(output) => {
                let output = output.unwrap();
                eprintln!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
                output
            }
            Err(_) => {
                self.signal("KILL");
                panic!("{} did not end within {QUERY_LIMIT:?}", self.command);
            }
        }
    }
}

/// Sends the signal `name`, such as `INT`, to the process `pid`.
fn send_signal(pid: &str, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Polls `done` until it returns true, and fails the test with `failure()` after `limit`.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool, failure: impl Fn() -> String) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{}", failure());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits up to `limit` for `child` to end, and returns its status. A child still running then
/// is killed, and the result is `None`.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Returns a command for `program` with the environment that [`crmsql`] sets, for a shell or
/// terminal that starts crmsql.
fn with_crmsql_env(program: &str, home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    for (key, value) in crmsql(home).get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
}

/// Waits while `client` runs until `node` is in the middle of a task after its first since
/// `before`, the task counts [`Node::tasks`] gave earlier.
fn wait_for_running_task(node: &Node, before: (usize, usize), client: &Client) {
    wait_until(
        Duration::from_secs(60),
        || {
            client.assert_running("the executor ran a task");
            let (started, finished) = node.tasks();
            started >= before.0 + 2 && started > finished
        },
        || format!("{} ran no task", node.name),
    );
}

/// Waits until each work folder has a job folder it did not have `before`, while `client` runs.
fn wait_for_new_job(work: &[PathBuf], before: &[BTreeSet<String>], client: &Client) {
    wait_until(
        Duration::from_secs(60),
        || {
            client.assert_running("both executors started on it");
            work.iter()
                .zip(before)
                .all(|(dir, seen)| job_names(dir).difference(seen).next().is_some())
        },
        || "the executors got no job".to_owned(),
    );
}

#[test]
fn cluster_job_ctrl_c_and_lost_executor() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    demo_warehouse(home);
    let (mut scheduler_node, port) = scheduler(home, "scheduler");
    let work: Vec<PathBuf> = (1..=2).map(|i| home.join(format!("work{i}"))).collect();
    let mut first = executor(home, "executor1", port, &work[0]);
    let mut second = executor(home, "executor2", port, &work[1]);
    wait_ready(port, 2, &mut [&mut scheduler_node, &mut first, &mut second]);
    let url = format!("df://127.0.0.1:{port}");

    // Ctrl-C ends the client and cancels its job, which the scheduler would otherwise keep.
    let before: Vec<_> = work.iter().map(|dir| job_names(dir)).collect();
    let client = Client::start(crmsql(home).args(["--cluster", &url, "-c", LONG_QUERY]));
    wait_for_new_job(&work, &before, &client);
    client.signal("INT");
    let output = client.finish();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("запрос отменён, и планировщик остановил его задание"),
        "{text}"
    );
    let job = text.split_whitespace().last().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scheduler_url = crmsql_cluster::ClusterUrl {
        host: "127.0.0.1".to_owned(),
        port,
    };
    let state = runtime
        .block_on(crmsql_cluster::job_state(&scheduler_url, &job))
        .unwrap();
    assert!(
        matches!(state, crmsql_cluster::JobState::Failed(_)),
        "job {job}: {state:?}"
    );

    // SIGTERM, as `systemctl stop` sends to a scheduled run-all, cancels its job the same way,
    // and the run's log names the report it stopped at.
    let output_dir = home.join("nightly");
    let reports = home.join("long-reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("long.sql"),
        format!("-- name: long\n-- description: Долгий отчёт\n{LONG_QUERY}\n"),
    )
    .unwrap();
    let before: Vec<_> = work.iter().map(|dir| job_names(dir)).collect();
    let client = Client::start(
        crmsql(home)
            .args(["--cluster", &url, "--queries"])
            .arg(&reports)
            .args(["run-all", "--output-dir"])
            .arg(&output_dir),
    );
    wait_for_new_job(&work, &before, &client);
    client.signal("TERM");
    let output = client.finish();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("запрос отменён, и планировщик остановил его задание"),
        "{}",
        stderr(&output)
    );
    let log = std::fs::read_to_string(output_dir.join("run-all.log")).unwrap();
    assert!(log.contains("прогон прерван на отчёте "), "{log}");
    assert!(log.contains("(Ctrl+C или SIGTERM)"), "{log}");

    // In the shell, Ctrl-C on the terminal cancels the job the same way, and the shell goes on.
    // `script` starts the command through `$SHELL -c`. A shell such as dash stays as the
    // parent, gets the same Ctrl-C and dies of it, so `exec` puts crmsql in its place.
    let mut script = with_crmsql_env("script", home);
    script.env("SHELL", "/bin/sh");
    let shell_command = format!("exec {} --cluster {url}", env!("CARGO_BIN_EXE_crmsql"));
    let mut terminal = script
        .current_dir(home)
        .args(["-q", "-e", "-c", &shell_command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut keys = terminal.stdin.take().unwrap();
    let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let screen = std::sync::Arc::clone(&screen);
        let mut out = terminal.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = out.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                screen.lock().unwrap().push_str(&text);
            }
        })
    };
    // Keys typed before the prompt is back would be dropped, as on a real terminal, so each
    // line waits for the prompt that follows what the previous one printed.
    let wait_for_prompt_after = |marker: &str| {
        let start = Instant::now();
        loop {
            {
                let text = screen.lock().unwrap();
                if let Some(at) = text.rfind(marker)
                    && text[at..].contains("crmsql> ")
                {
                    return;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "no prompt after {marker:?}: {text}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for_prompt_after("crmsql> ");
    let before: Vec<_> = work.iter().map(|dir| job_names(dir)).collect();
    writeln!(keys, "{LONG_QUERY};").unwrap();
    wait_until(
        Duration::from_secs(60),
        || {
            work.iter()
                .zip(&before)
                .all(|(dir, seen)| job_names(dir).difference(seen).next().is_some())
        },
        || "the shell's query reached no executor".to_owned(),
    );
    keys.write_all(b"\x03").unwrap();
    wait_for_prompt_after("остановил его задание");
    writeln!(keys, "SELECT 40 + 2 AS answer;").unwrap();
    wait_for_prompt_after("(1 строка)");
    writeln!(keys, "\\q").unwrap();
    let Some(status) = wait_exit(&mut terminal, Duration::from_secs(60)) else {
        panic!("the shell did not quit: {}", screen.lock().unwrap());
    };
    drop(keys);
    reader.join().unwrap();
    assert!(status.success(), "{status}: {}", screen.lock().unwrap());
    let screen = screen.lock().unwrap().clone();
    assert!(
        screen.contains("запрос отменён, и планировщик остановил его задание"),
        "{screen}"
    );
    assert!(screen.contains("42"), "{screen}");
    let shell_job: String = screen
        .lines()
        .find_map(|line| line.split("остановил его задание ").nth(1))
        .unwrap()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let state = runtime
        .block_on(crmsql_cluster::job_state(&scheduler_url, &shell_job))
        .unwrap();
    assert!(
        matches!(state, crmsql_cluster::JobState::Failed(_)),
        "job {shell_job}: {state:?}"
    );

    // Executors report the cancelled jobs' tasks, which Ballista would log as an error.
    let log = std::fs::read_to_string(&scheduler_node.log).unwrap();
    assert!(!log.contains("in the active cache"), "{log}");

    // An executor dies mid-query. Ballista 55 would redo its part, but counts some rows twice
    // when it does, so the job stops with a message, and the query run again on the remaining
    // executor gives the right numbers.
    let expected = csv_rows(home, &["-c", LONG_QUERY_RESULT]);
    let before: Vec<_> = work.iter().map(|dir| job_names(dir)).collect();
    let tasks_before = second.tasks();
    let cluster_query = ["--format", "csv", "--cluster", &url, "-c", LONG_QUERY];
    let client = Client::start(crmsql(home).args(cluster_query));
    wait_for_new_job(&work, &before, &client);
    // The executor dies in the middle of a task after its first.
    wait_for_running_task(&second, tasks_before, &client);
    second.child.kill().unwrap();
    client.assert_running("the executor was stopped");
    let output = client.finish();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains(
            "кластер остановил задание: пропал исполнитель, которому досталась часть запроса"
        ),
        "{}",
        stderr(&output)
    );
    wait_ready(port, 1, &mut [&mut scheduler_node, &mut first]);
    // The scheduler's log names the executors that joined and the one it removed. Whether it
    // also names a job it cancelled for the removed executor depends on whether the job was
    // still running then or had already failed on a fetch from it.
    let left = |log: &str| {
        log.lines()
            .filter_map(unstamped)
            .filter(|line| {
                line.starts_with("Исполнитель ")
                    && line.ends_with(" отключён: он остановился или не отвечает.")
            })
            .count()
    };
    let log = scheduler_node.wait_for_log(Duration::from_secs(10), |log| left(log) > 0);
    assert_eq!(left(&log), 1, "{log}");
    assert_eq!(log.matches("Подключился исполнитель ").count(), 2, "{log}");
    // The scheduler may count the executor out a few seconds before it removes it and stops
    // the jobs then running, so the query is run again as the message advises.
    let mut attempts = 0;
    let rows = loop {
        let output = run_limited(crmsql(home).args(cluster_query));
        if output.status.success() {
            break csv_table(&output.stdout);
        }
        attempts += 1;
        assert!(
            attempts < 3 && stderr(&output).contains("кластер остановил задание"),
            "{}",
            stderr(&output)
        );
    };
    assert_eq!(rows.first(), expected.first());
    assert_same_rows(
        LONG_QUERY,
        expected.into_iter().skip(1).collect(),
        rows.into_iter().skip(1).collect(),
    );
    for node in [&mut scheduler_node, &mut first] {
        node.assert_alive();
    }
}

#[test]
fn executor_rejoins_restarted_scheduler() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    demo_warehouse(home);
    let (mut scheduler_node, port) = scheduler(home, "scheduler");
    let mut node = executor(home, "executor", port, &home.join("work"));
    wait_ready(port, 1, &mut [&mut scheduler_node, &mut node]);

    // An executor that the scheduler cannot reach at its --external-host gets a message
    // naming that address. One given an IPv6 address, which Ballista's executor cannot use,
    // stops before it starts.
    let grpc = free_port().to_string();
    let scheduler_url = format!("df://127.0.0.1:{port}");
    let other = |extra: &[&str]| {
        let mut command = crmsql(home);
        command.args([
            "executor",
            "--scheduler",
            &scheduler_url,
            "--grpc-port",
            &grpc,
        ]);
        command
            .args(["--port", &free_port().to_string()])
            .args(extra);
        run(&mut command)
    };
    let output = other(&["--external-host", "127.0.0.2"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "планировщик не смог подключиться к исполнителю по адресу 127.0.0.2:{grpc}: \
             соединение отклонено"
        )),
        "{}",
        stderr(&output)
    );
    let output = other(&["--external-host", "::1"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("«::1» не годится для --external-host исполнителя"),
        "{}",
        stderr(&output)
    );

    // The scheduler dies while the executor runs a task. Ballista's executor ends its run when
    // its heartbeats fail, and crmsql's executor then waits for a scheduler on the same address.
    let tasks_before = node.tasks();
    let client = Client::start(crmsql(home).args(["--cluster", &scheduler_url, "-c", LONG_QUERY]));
    wait_for_running_task(&node, tasks_before, &client);
    scheduler_node.child.kill().unwrap();
    let output = client.finish();
    assert!(
        stderr(&output).contains("прервалась во время запроса"),
        "{}",
        stderr(&output)
    );
    node.wait_for_log(Duration::from_secs(120), |log| {
        log.contains("Исполнитель потерял связь с планировщиком")
    });

    let args = [
        "scheduler".to_owned(),
        "--port".to_owned(),
        port.to_string(),
    ];
    let mut restarted = Node::start("scheduler2", home, &args);
    wait_ready(port, 1, &mut [&mut restarted, &mut node]);
    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(
        log.contains("Исполнитель снова подключается к планировщику"),
        "{log}"
    );
    let query = "SELECT manager, count(*) AS deals FROM deals GROUP BY manager ORDER BY manager";
    let url = format!("df://127.0.0.1:{port}");
    assert_eq!(
        csv_rows(home, &["--cluster", &url, "-c", query]),
        csv_rows(home, &["-c", query])
    );

    // Ctrl-C stops the executor, and its last log line reports the stop.
    send_signal(&node.child.id().to_string(), "INT");
    let stopped = wait_exit(&mut node.child, Duration::from_secs(30));
    assert!(stopped.is_some(), "the executor did not stop");
    let log = std::fs::read_to_string(&node.log).unwrap();
    let last = log.lines().last().and_then(unstamped);
    assert_eq!(last, Some("Исполнитель остановлен."), "{log}");
}

/// Returns a node's log line without the local time it starts with, or `None` when it does not
/// start with one, such as `2026-12-05 14:03:27 `.
fn unstamped(line: &str) -> Option<&str> {
    let (stamp, rest) = (line.get(..20)?, line.get(20..)?);
    let digits = stamp.char_indices().all(|(at, c)| match at {
        4 | 7 => c == '-',
        10 | 19 => c == ' ',
        13 | 16 => c == ':',
        _ => c.is_ascii_digit(),
    });
    digits.then_some(rest)
}

#[test]
fn node_log_lines_are_stamped() {
    assert_eq!(
        unstamped("2026-12-05 14:03:27 Планировщик остановлен."),
        Some("Планировщик остановлен.")
    );
    assert_eq!(unstamped("Планировщик остановлен."), None);
}

#[test]
fn scheduler_stops_on_inherited_ignored_ctrl_c() {
    // A shell script starts background jobs with Ctrl-C ignored.
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut shell = with_crmsql_env("sh", home.path());
    // A scheduler keeps no query data, so an invalid limit in the variable does not stop it.
    shell.env("CRMSQL_MEMORY_LIMIT", "много");
    let script = format!(
        "trap '' INT; exec {} scheduler --port {port}",
        env!("CARGO_BIN_EXE_crmsql")
    );
    let log = home.path().join("scheduler.log");
    let mut scheduler = shell
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();

    let start = Instant::now();
    while readiness(port).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no scheduler on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    send_signal(&scheduler.id().to_string(), "INT");
    let ended = wait_exit(&mut scheduler, Duration::from_secs(10));
    assert!(ended.is_some(), "the scheduler kept running after Ctrl-C");
    // Every line starts with the time. The first line gives the scheduler's address and the last
    // reports the stop. Under systemd the journal keeps the time instead.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().all(|line| unstamped(line).is_some()), "{text}");
    assert!(
        lines
            .first()
            .and_then(|line| unstamped(line))
            .is_some_and(|line| line.starts_with("Планировщик crmsql слушает 127.0.0.1:")),
        "{text}"
    );
    assert_eq!(
        lines.last().and_then(|line| unstamped(line)),
        Some("Планировщик остановлен."),
        "{text}"
    );

    let port = free_port();
    let journal_log = home.path().join("journal.log");
    let mut journaled = with_crmsql_env(env!("CARGO_BIN_EXE_crmsql"), home.path())
        .env("JOURNAL_STREAM", "8:12345")
        .args(["scheduler", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&journal_log).unwrap())
        .spawn()
        .unwrap();
    wait_until(
        Duration::from_secs(60),
        || readiness(port).is_some(),
        || format!("no scheduler on {port}"),
    );
    send_signal(&journaled.id().to_string(), "INT");
    assert!(wait_exit(&mut journaled, Duration::from_secs(10)).is_some());
    let text = std::fs::read_to_string(&journal_log).unwrap();
    assert!(
        text.starts_with("Планировщик crmsql слушает 127.0.0.1:"),
        "{text}"
    );
}

#[test]
fn executor_without_crm_functions_is_named_at_the_client() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    demo_warehouse(home);
    let (mut scheduler_node, port) = scheduler(home, "scheduler");
    let start = Instant::now();
    while readiness(port).is_none() {
        scheduler_node.assert_alive();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no scheduler on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Without executors the client stops at once rather than wait.
    let url = format!("df://127.0.0.1:{port}");
    let output = run(crmsql(home).args(["--cluster", &url, "-c", "SELECT count(*) FROM deals"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("у планировщика {url} нет ни одного исполнителя")),
        "{}",
        stderr(&output)
    );

    // A stock Ballista executor: DataFusion's functions only.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ballista_executor::executor_process::ExecutorProcessConfig {
        scheduler_host: "127.0.0.1".to_owned(),
        scheduler_port: port,
        scheduler_connect_timeout_seconds: 30,
        port: free_port(),
        grpc_port: free_port(),
        vcores: 1,
        work_dir: Some(home.join("stock").display().to_string()),
        ..Default::default()
    };
    std::fs::create_dir_all(home.join("stock")).unwrap();
    runtime.spawn(ballista_executor::executor_process::start_executor_process(
        std::sync::Arc::new(config),
    ));
    wait_ready(port, 1, &mut [&mut scheduler_node]);

    let url = format!("df://127.0.0.1:{port}");
    let output = run(crmsql(home).args([
        "--lang",
        "en",
        "--cluster",
        &url,
        "-c",
        "SELECT manager, avg_check(budget) FROM deals GROUP BY manager",
    ]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("avg_check"), "{message}");
    assert!(message.contains("crmsql executor"), "{message}");

    assert!(!message.contains("ERROR"), "{message}");

    // Built-in functions alone still run there.
    let output = run(crmsql(home).args(["--cluster", &url, "-c", "SELECT count(*) FROM deals"]));
    assert!(output.status.success(), "{}", stderr(&output));
    runtime.shutdown_background();
}

#[test]
fn unreachable_scheduler_and_bad_addresses_are_explained() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    demo_warehouse(home);
    let url = format!("df://127.0.0.1:{}", free_port());
    let output = run(crmsql(home).args(["--cluster", &url, "-c", "SELECT count(*) FROM deals"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "планировщик {url} не отвечает: соединение отклонено"
        )),
        "{message}"
    );
    // Ballista's own log line of the failure is not shown beside the explanation.
    assert!(!message.contains("ERROR"), "{message}");
    assert!(!message.contains("адрес кластера задан"), "{message}");

    // An address that was not typed names where it came from.
    let query = ["-c", "SELECT count(*) FROM deals"];
    let output = run(crmsql(home).env("CRMSQL_CLUSTER", &url).args(query));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("подсказка: адрес кластера задан переменной CRMSQL_CLUSTER"),
        "{}",
        stderr(&output)
    );

    // A scheduled run-all that cannot reach its cluster leaves the reason in its log.
    let output_dir = home.join("nightly");
    let output = run(crmsql(home)
        .args(["--cluster", &url, "run-all", "--output-dir"])
        .arg(&output_dir));
    assert_eq!(output.status.code(), Some(1));
    let log = std::fs::read_to_string(output_dir.join("run-all.log")).unwrap();
    assert!(
        log.contains(&format!(
            "прогон не начался, ни один отчёт не выполнен: планировщик {url} не отвечает"
        )),
        "{log}"
    );

    // A report that does not exist is named before the cluster is asked.
    let output = run(crmsql(home).args(["--cluster", &url, "run", "nosuch"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("отчёт «nosuch» не найден"),
        "{}",
        stderr(&output)
    );

    // The address may leave out df://.
    let bare = url.trim_start_matches("df://");
    let output = run(crmsql(home).args(["--cluster", bare, "-c", "SELECT 1"]));
    assert!(stderr(&output).contains(&url), "{}", stderr(&output));

    // A client option given to a node is refused, as it would do nothing there.
    let output = run(crmsql(home).args(["executor", "--cluster", &url]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--cluster не действует для crmsql executor"),
        "{}",
        stderr(&output)
    );

    // An executor whose scheduler address belongs to another server reports that server.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(3) {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let output = run(crmsql(home).args([
        "executor",
        "--scheduler",
        &format!("127.0.0.1:{port}"),
        "--port",
        &free_port().to_string(),
        "--grpc-port",
        &free_port().to_string(),
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "по адресу df://127.0.0.1:{port} отвечает не планировщик crmsql: HTTP/1.1 404 Not Found"
        )),
        "{}",
        stderr(&output)
    );
    // The client names the other server too.
    let message = cluster_failure(home, &format!("127.0.0.1:{port}"), &["-c", "SELECT 1"]);
    assert!(
        message.contains(&format!(
            "по адресу df://127.0.0.1:{port} отвечает не планировщик crmsql, а другой сервер: «HTTP/1.1 404 Not Found»"
        )),
        "{message}"
    );

    // The settings file's address is used too, and a typed one wins over it.
    let config = home.join("config");
    std::fs::write(&config, format!("# cluster\n--cluster={url}\n")).unwrap();
    let output = run(crmsql(home)
        .env("CRMSQL_CONFIG", &config)
        .args(["-c", "SELECT count(*) FROM deals"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&url), "{}", stderr(&output));
    let origin = format!(
        "подсказка: адрес кластера задан в файле настроек {}, строка 2",
        config.display()
    );
    assert!(stderr(&output).contains(&origin), "{}", stderr(&output));
    let other = format!("df://127.0.0.1:{}", free_port());
    let output = run(crmsql(home).env("CRMSQL_CONFIG", &config).args([
        "--cluster",
        &other,
        "-c",
        "SELECT count(*) FROM deals",
    ]));
    assert!(stderr(&output).contains(&other), "{}", stderr(&output));
    assert!(!stderr(&output).contains(&url), "{}", stderr(&output));
    assert!(!stderr(&output).contains(&origin), "{}", stderr(&output));

    // An executor whose scheduler name does not resolve reports it while it waits.
    let args: Vec<String> = [
        "executor",
        "--scheduler",
        "df://nosuch.invalid:50050",
        "--port",
        &free_port().to_string(),
        "--grpc-port",
        &free_port().to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    let mut waiting = Node::start("unresolved", home, &args);
    waiting.wait_for_log(Duration::from_secs(60), |log| {
        log.contains("имя «nosuch.invalid» не удаётся разрешить")
    });
    drop(waiting);

    // A node ignores the client's options in the settings file, where typed ones are refused.
    let shared = home.join("config-shared");
    std::fs::write(
        &shared,
        format!("--warehouse={}\n--cluster={url}\n", home.display()),
    )
    .unwrap();
    let node = Client::start(crmsql(home).env("CRMSQL_CONFIG", &shared).args([
        "executor",
        "--scheduler",
        &url,
        "--port",
        &free_port().to_string(),
        "--grpc-port",
        &free_port().to_string(),
    ]));
    std::thread::sleep(Duration::from_secs(2));
    node.assert_running("the executor started with the shared settings file");
    node.signal("INT");
    let output = node.finish();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("Исполнитель ждёт планировщик {url}")),
        "{}",
        stderr(&output)
    );

    let output = run(crmsql(home).args(["--cluster", "http://x:1", "-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("«http://x:1» не годится для --cluster: адрес начинается не с df://")
    );
    let output = run(crmsql(home)
        .env("CRMSQL_CLUSTER", "df://host:99999")
        .args(["-c", "SELECT 1"]));
    assert!(
        stderr(&output).contains("в переменной CRMSQL_CLUSTER"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("порт «99999»"),
        "{}",
        stderr(&output)
    );

    // Commands that run no query do not read the address.
    let output = run(crmsql(home)
        .env("CRMSQL_CLUSTER", "nonsense")
        .args(["reports"]));
    assert!(output.status.success(), "{}", stderr(&output));

    // An empty address typed over the settings file's runs the query here.
    let config = home.join("config-local");
    std::fs::write(&config, format!("--cluster={url}\n")).unwrap();
    let output = run(crmsql(home).env("CRMSQL_CONFIG", &config).args([
        "--cluster=",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM deals",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "n\n9000\n");

    // Port 0 and one port for both of an executor's services are rejected.
    let output = run(crmsql(home).args(["scheduler", "--port", "0"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--port"), "{}", stderr(&output));
    let output = run(crmsql(home).args(["executor", "--port", "50999", "--grpc-port", "50999"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("у --port и --grpc-port один и тот же порт 50999"),
        "{}",
        stderr(&output)
    );

    // A taken port is named, and the scheduler does not start.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run(crmsql(home).args(["scheduler", "--port", &port]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("не удаётся слушать 127.0.0.1:{port}")),
        "{}",
        stderr(&output)
    );
}

/// A node that cannot read a warehouse file fails the query with the file's path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_file_on_a_node_is_named() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("t.parquet");
    let local = datafusion::prelude::SessionContext::new();
    local
        .sql(&format!(
            "COPY (SELECT 1 AS x) TO '{}' STORED AS PARQUET",
            file.display()
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let url = crmsql_cluster::start_in_process(1, 1).await.unwrap();
    let config = datafusion::prelude::SessionConfig::new();
    let ctx = crmsql_cluster::connect(&url, config, "UTC").await.unwrap();
    ctx.register_parquet("t", file.display().to_string(), Default::default())
        .await
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    let error = ctx
        .sql("SELECT sum(x) FROM t")
        .await
        .unwrap()
        .collect()
        .await;
    let error = error.expect_err("the file is gone");
    let problem = crmsql_engine::cluster_problem(&error, &BTreeSet::new());
    assert_eq!(
        problem,
        crmsql_engine::ClusterProblem::FileUnreadable(file.display().to_string()),
        "{error}"
    );
}
