//! End-to-end tests of the `crmsql` binary: real and synthetic exports, rejected rows, saved
//! reports cross-checked by an independent recomputation, and the Parquet files read by DuckDB.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

#[test]
fn real_export_imports_twelve_deals() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let sample = samples().join("amoimport_leads_test_sanitized.csv");
    let output = import(home.path(), &warehouse, &[&sample]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("deals: загружено 12 строк из 1 файла"),
        "{}",
        stdout(&output)
    );

    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, outcome, closed_at IS NULL AS open, to_char(created_at, '%d.%m.%Y %H:%M:%S') AS created, \
         to_char(closed_at, '%d.%m.%Y %H:%M:%S') AS closed, stage, manager FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 12);

    let export: HashMap<String, HashMap<String, String>> = read_export(&sample)
        .into_iter()
        .map(|row| (row["ID"].clone(), row))
        .collect();
    for row in &rows {
        let source = &export[&row["id"]];
        assert_eq!(
            row["created"], source["Дата создания сделки"],
            "created_at of {}",
            row["id"]
        );
        let closed_text = &source["Дата закрытия"];
        if closed_text == "не закрыта" {
            assert_eq!(row["open"], "true", "deal {} is open", row["id"]);
            assert_eq!(row["closed"], "");
        } else {
            assert_eq!(row["open"], "false", "deal {} is closed", row["id"]);
            assert_eq!(&row["closed"], closed_text);
        }
        let expected_outcome = match source["Этап сделки"].as_str() {
            "Успешно реализовано" => "won",
            "Закрыто и не реализовано" => "lost",
            _ => "open",
        };
        assert_eq!(row["outcome"], expected_outcome, "outcome of {}", row["id"]);
        assert_eq!(row["manager"], source["Ответственный"]);
    }
    let count = |outcome: &str| rows.iter().filter(|r| r["outcome"] == outcome).count();
    assert_eq!(count("won"), 1);
    assert_eq!(count("lost"), 5);
    assert_eq!(count("open"), 6);

    // A deal created 22.03.2022 13:32:57 Moscow time is 10:32:57 UTC.
    let utc = query(
        home.path(),
        &warehouse,
        "SELECT CAST(to_unixtime(created_at) AS BIGINT) AS unix FROM deals WHERE id = 27680693",
    );
    assert_eq!(utc[0]["unix"], "1647945177");
}

#[test]
fn real_export_keeps_every_column() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let sample = samples().join("amoimport_leads_test_sanitized.csv");
    assert!(import(home.path(), &warehouse, &[&sample]).status.success());

    let columns = query(
        home.path(),
        &warehouse,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'",
    );
    let names: Vec<&str> = columns.iter().map(|c| c["column_name"].as_str()).collect();
    // 76 export columns plus the derived outcome and loss_reason.
    assert_eq!(names.len(), 78, "{names:?}");
    for name in [
        "source__2",
        "product__2",
        "roistat__2",
        "cid__2",
        "uid__2",
        "tid__2",
        "tovar",
        "user_agreement",
        "from_",
        "ym_uid",
    ] {
        if name == "tovar" {
            assert!(!names.contains(&name), "Товар maps to product, not {name}");
            continue;
        }
        assert!(names.contains(&name), "missing column {name}: {names:?}");
    }

    let rows = query(
        home.path(),
        &warehouse,
        "SELECT source, source__2, product, user_agreement, note_1 FROM deals WHERE id = 27625607",
    );
    assert_eq!(rows[0]["source"], "Звонок Exp");
    assert_eq!(rows[0]["source__2"], "Звонок Express Com Ua");
    assert_eq!(rows[0]["user_agreement"], "Нет");
    assert!(
        rows[0]["note_1"].contains('\n'),
        "multi-line note kept: {:?}",
        rows[0]["note_1"]
    );
}

#[test]
fn synthetic_exports_import_same_values() {
    let home = tempfile::tempdir().unwrap();
    for (file, third_budget) in [
        ("synthetic_leads_legacy_utf8_comma.csv", "42000.00"),
        (
            "synthetic_leads_current_headers_bom_semicolon.csv",
            "42000.50",
        ),
        ("synthetic_leads_cp1251_semicolon.csv", "42000.50"),
    ] {
        let warehouse = home.path().join(file);
        let output = import(home.path(), &warehouse, &[&samples().join(file)]);
        assert!(output.status.success(), "{file}");
        let rows = query(
            home.path(),
            &warehouse,
            "SELECT id, name, budget, manager, outcome, stage, closed_at IS NULL AS open, \
             array_to_string(tags, '|') AS tags, cardinality(tags) AS tag_count, company, contact, \
             utm_source, array_to_string(mobile_phone, '|') AS mobile_phone, \
             array_to_string(work_phone, '|') AS work_phone FROM deals ORDER BY id",
        );
        assert_eq!(rows.len(), 3, "{file}");
        assert_eq!(rows[0]["budget"], "185000.00", "{file}");
        assert_eq!(rows[1]["budget"], "0.00", "{file}");
        assert_eq!(rows[2]["budget"], third_budget, "{file}");
        assert_eq!(rows[0]["manager"], "Андрей Петров", "{file}");
        assert_eq!(rows[0]["outcome"], "won", "{file}");
        assert_eq!(rows[1]["outcome"], "lost", "{file}");
        assert_eq!(rows[2]["outcome"], "open", "{file}");
        assert_eq!(rows[2]["stage"], "Переговоры", "{file}");
        assert_eq!(rows[2]["open"], "true", "{file}");
        assert_eq!(rows[0]["tags"], "опт|повторный", "{file}");
        assert_eq!(rows[0]["tag_count"], "2", "{file}");
        assert_eq!(rows[1]["tag_count"], "0", "{file}");
        assert_eq!(rows[0]["company"], "ООО \"Ромашка\"", "{file}");
        assert_eq!(rows[0]["contact"], "Ирина Соколова", "{file}");
        assert_eq!(rows[0]["utm_source"], "yandex", "{file}");
        assert_eq!(rows[0]["mobile_phone"], "+79004445566", "{file}");
    }

    // Two phones in one cell become two items of the list.
    let warehouse = home.path().join("synthetic_leads_legacy_utf8_comma.csv");
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT array_to_string(work_phone, '|') AS work_phone FROM deals WHERE id = 41000001",
    );
    assert_eq!(rows[0]["work_phone"], "+7 900 111-22-33|+7 900 111-22-34");

    // In the older file the third deal's utm_source sits in the repeated utm_source column.
    let warehouse = home.path().join("synthetic_leads_legacy_utf8_comma.csv");
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT utm_source, utm_source__2 FROM deals WHERE id = 41000003",
    );
    assert_eq!(rows[0]["utm_source"], "vk");
    assert_eq!(rows[0]["utm_source__2"], "vk");
}

#[test]
fn unreadable_rows_go_to_rejects_file() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let file = fixture("leads_bad_rows.csv");
    let output = import(home.path(), &warehouse, &[&file]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("deals: загружены 2 строки из 1 файла"),
        "{}",
        stdout(&output)
    );
    let rejects_path = warehouse.join("_rejects/deals.csv");
    assert!(
        stderr(&output).contains(&format!(
            "отклонены 4 строки, причины и сами строки — в {}",
            rejects_path.display()
        )),
        "{}",
        stderr(&output)
    );

    let rejects = parse_csv(
        std::fs::read_to_string(&rejects_path)
            .unwrap()
            .trim_start_matches('\u{feff}'),
    );
    let summary: Vec<(&str, &str, &str, &str)> = rejects
        .iter()
        .map(|r| {
            (
                r["line"].as_str(),
                r["column"].as_str(),
                r["value"].as_str(),
                r["reason_code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("3", "", "", "wrong_field_count"),
            ("4", "Бюджет ", "сто тысяч", "invalid_money"),
            (
                "5",
                "Дата создания сделки",
                "31.02.2024 10:00:00",
                "impossible_date"
            ),
            ("6", "ID", "", "missing_id"),
        ]
    );
    for reject in &rejects {
        assert_eq!(reject["file"], file.display().to_string());
        assert!(!reject["reason"].is_empty());
    }
    assert!(
        rejects[0]["record"].ends_with("Продажи,лишнее"),
        "{}",
        rejects[0]["record"]
    );
    // The repeated id 1001 on line 7 is not rejected: the later copy replaces the earlier one.
    assert!(
        stdout(&output).contains("пропущены как устаревшие: 1"),
        "{}",
        stdout(&output)
    );

    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, name, budget, stage, outcome, loss_reason FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "Повтор ID");
    assert_eq!(rows[1]["name"], "Сделка с \"кавычками\", и запятой");
    assert_eq!(rows[1]["budget"], "2500.00");
    assert_eq!(rows[1]["stage"], "Закрыто и не реализовано");
    assert_eq!(rows[1]["outcome"], "lost");
    assert_eq!(rows[1]["loss_reason"], "Дорого");
}

#[test]
fn failed_import_keeps_previous_table() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );

    let output = import(
        home.path(),
        &warehouse,
        &[&fixture("leads_all_rejected.csv")],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("ни одна строка не загружена"), "{message}");
    assert!(
        message.contains("строка 2, столбец «Бюджет », значение «много»"),
        "{message}"
    );

    let notes = home.path().join("notes.csv");
    std::fs::write(
        &notes,
        "Заметка,Автор
позвонить,Иван
",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&notes]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("не похож на выгрузку сделок amoCRM"),
        "{}",
        stderr(&output)
    );

    let rows = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    assert_eq!(rows[0]["n"], "4");
    let staging: Vec<_> = std::fs::read_dir(warehouse.join(".staging"))
        .into_iter()
        .flatten()
        .collect();
    assert!(staging.is_empty(), "staging left behind: {staging:?}");
}

#[test]
fn months_follow_account_calendar() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["run", "avg_check_by_month", "--format", "csv"]));
    assert!(output.status.success());
    let rows = parse_csv(&stdout(&output));
    let months: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["month"].as_str(),
                r["deals_won"].as_str(),
                r["revenue"].as_str(),
                r["avg_check"].as_str(),
            )
        })
        .collect();
    // Closed 01.07.2024 00:30 Moscow time (30 June in UTC): July.
    assert_eq!(
        months,
        [
            ("2024-06", "1", "100000.00", "100000.00"),
            ("2024-07", "2", "500000.50", "250000.25")
        ]
    );
}

#[test]
fn reports_match_independent_recomputation() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // The whole demo account: deals, ad spend, expenses and product costs.
    assert!(
        import(home.path(), &warehouse, &[&demo_folder()])
            .status
            .success()
    );
    let demo = |name: &str| demo_folder().join(name).display().to_string();
    let spend = demo("ad_spend.csv");
    let costs = demo("product_costs.csv");
    let expenses = demo("expenses.csv");
    let roi_march = format!("2025-03:{spend}");
    let roi_september_margin = format!("2025-09@35:{spend}");
    let reallocation = format!("2023-01-01,2025-07-01,2026-01-12:{spend}");
    let reallocation_quarters = format!("2025-04-01,2025-07-01,2025-10-01:{spend}");
    let economics = format!("2025-09:{costs}");
    let economics_all = format!(":{costs}");
    let profitability = format!("2025-01-01,2025-12-31:{costs},{spend},{expenses}");
    let fit = format!("2025:{spend}");
    // Each run: the report, what the recomputation needs to know of the run, and its options.
    let runs: [(&str, &str, &[&str]); 28] = [
        ("avg_check_by_month", "", &[]),
        ("pipeline_stages", "", &[]),
        ("sales_by_manager", "", &[]),
        (
            "sales_overview",
            "2024-06:previous",
            &["--period", "2024-06"],
        ),
        (
            "sales_overview",
            "2024-06:year",
            &["--period", "2024-06", "--compare", "year"],
        ),
        // The month before the first sale: the comparison period has none.
        (
            "sales_overview",
            "2023-01:previous",
            &["--period", "2023-01"],
        ),
        ("avg_check_by_channel", "", &[]),
        ("avg_check_by_channel", "2024-06", &["--period", "2024-06"]),
        ("avg_check_by_product", "2024-06", &["--period", "2024-06"]),
        ("win_rate", "", &[]),
        ("win_rate", "2024-06", &["--period", "2024-06"]),
        ("loss_reasons", "", &[]),
        ("loss_reasons", "2024-06", &["--period", "2024-06"]),
        (
            "rfm_segments",
            "2026-01-12",
            &["--param", "as_of=2026-01-12"],
        ),
        // As of a day inside the history: later purchases do not count.
        (
            "rfm_segments",
            "2024-12-31",
            &["--param", "as_of=2024-12-31"],
        ),
        ("channel_roi", &roi_march, &["--period", "2025-03"]),
        (
            "channel_roi",
            &roi_september_margin,
            &["--period", "2025-09", "--param", "margin_pct=35"],
        ),
        (
            "budget_reallocation",
            &reallocation,
            &["--param", "change_date=2025-07-01"],
        ),
        (
            "budget_reallocation",
            &reallocation_quarters,
            &[
                "--param",
                "change_date=2025-07-01",
                "--param",
                "before_from=2025-04-01",
                "--param",
                "after_to=2025-10-01",
            ],
        ),
        ("product_economics", &economics, &["--period", "2025-09"]),
        ("product_economics", &economics_all, &[]),
        ("full_profitability", &profitability, &["--period", "2025"]),
        ("end_to_end_fit", &fit, &["--period", "2025"]),
        ("customer_segments", "", &[]),
        ("customer_segments", "2024-06", &["--period", "2024-06"]),
        ("customers_by_manager", "", &[]),
        ("customers_by_manager", "2024-06", &["--period", "2024-06"]),
        ("sales_forecast", "6", &["--param", "horizon=6"]),
    ];
    let mut arguments = Vec::new();
    for (index, (report, known, options)) in runs.iter().enumerate() {
        let path = home.path().join(format!("{index}_{report}.csv"));
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["run", report, "--format", "csv", "--output"])
            .arg(&path)
            .args(*options));
        assert!(output.status.success(), "{report}");
        assert!(
            !parse_csv(&std::fs::read_to_string(&path).unwrap()).is_empty(),
            "{report} returned rows"
        );
        let spec = if known.is_empty() {
            report.to_string()
        } else {
            format!("{report}:{known}")
        };
        arguments.push(format!("{spec}={}", path.display()));
    }
    let check = run(Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_reports.py"))
        .arg(demo_export())
        .args(&arguments));
    assert!(
        check.status.success(),
        "reports differ from the recomputation:\n{}",
        stderr(&check)
    );

    // The demo account's story: from July 2025 the two weak channels get no budget, the three
    // channels it moved to return about 300%, and the average check rises by about 18%.
    let index = runs.iter().position(|run| run.1 == reallocation).unwrap();
    let path = home.path().join(format!("{index}_budget_reallocation.csv"));
    let rows = parse_csv(&std::fs::read_to_string(path).unwrap());
    let value = |channel: &str, column: &str| -> f64 {
        let row = rows.iter().find(|r| r["channel"] == channel).unwrap();
        row[column].parse().unwrap_or(f64::NAN)
    };
    for weak in ["google", "avito"] {
        assert_eq!(value(weak, "spend_after"), 0.0, "{weak}");
        assert!(value(weak, "roi_before_pct") < 50.0, "{weak}");
    }
    for strong in ["yandex", "vk", "telegram"] {
        for column in ["roi_before_pct", "roi_after_pct"] {
            let roi = value(strong, column);
            assert!((280.0..=320.0).contains(&roi), "{strong} {column} {roi}");
        }
        // The channel spends more each month than before.
        assert!(
            value(strong, "spend_month_after") > 1.3 * value(strong, "spend_month_before"),
            "{strong}"
        );
    }
    let total = "(все каналы)";
    let change = value(total, "avg_check_change_pct");
    assert!((16.0..=20.0).contains(&change), "{change}");
    assert!(value(total, "roi_after_pct") > value(total, "roi_before_pct") + 50.0);
}

#[test]
fn parquet_files_open_in_duckdb() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[
                &demo_export(),
                &samples().join("amoimport_leads_test_sanitized.csv")
            ]
        )
        .status
        .success()
    );
    let ours = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS rows, CAST(sum(budget) AS VARCHAR) AS budget, count(*) FILTER (WHERE outcome = 'won') AS won FROM deals",
    );
    let output = run(Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_parquet.py"))
        .arg(warehouse.join("data/deals")));
    assert!(
        output.status.success(),
        "DuckDB could not read the warehouse: {}",
        stderr(&output)
    );
    let theirs: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    // Each export is split into one file per year of the deals' creation.
    assert!(theirs["files"].as_u64().unwrap() >= 2, "{theirs}");
    assert_eq!(theirs["rows"].to_string(), ours[0]["rows"]);
    assert_eq!(theirs["rows"], 9012);
    assert_eq!(theirs["budget"].as_str().unwrap(), ours[0]["budget"]);
    assert_eq!(theirs["won"].to_string(), ours[0]["won"]);
    // Columns of a few names are stored uncompressed, the others with zstd.
    assert_eq!(
        theirs["codecs"],
        serde_json::json!(["UNCOMPRESSED", "ZSTD"]),
        "{theirs}"
    );
}

/// A named warehouse folder without tables is not filled with the demo, and a query on it
/// reports that the warehouse is empty and how to load it.
#[test]
fn empty_named_warehouse_says_how_to_load() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("empty");
    std::fs::create_dir_all(&warehouse).unwrap();
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["-c", "SELECT count(*) FROM deals"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(
            "таблицы «deals» нет: хранилище пусто; загрузите выгрузку командой crmsql import"
        ),
        "{message}"
    );
}

#[test]
fn empty_default_warehouse_gets_demo() {
    let home = tempfile::tempdir().unwrap();
    let output = run(crmsql(home.path()).args(["run", "avg_check_by_month", "--format", "csv"]));
    assert!(output.status.success());
    assert!(
        stderr(&output).contains("загружена демонстрационная выгрузка (9000 сделок"),
        "{}",
        stderr(&output)
    );
    let rows = parse_csv(&stdout(&output));
    assert!(
        rows.len() >= 36,
        "three years of months, got {}",
        rows.len()
    );
    assert!(home.path().join("crmsql/warehouse/CURRENT").is_file());

    // The second run uses the warehouse built by the first and prints no message about it.
    let output =
        run(crmsql(home.path()).args(["-c", "SELECT count(*) AS n FROM deals", "--format", "csv"]));
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
    assert_eq!(parse_csv(&stdout(&output))[0]["n"], "9000");

    // On demo data, period presets and "today" count from the day of the demo export.
    let output = run(crmsql(home.path()).args(["run", "sales_overview", "--format", "csv"]));
    let overview = parse_csv(&stdout(&output));
    assert_eq!(overview[0]["period_start"], "2025-12-01");
    assert_eq!(overview[0]["compare_start"], "2025-11-01");
    let rfm = |extra: &[&str]| {
        let output = run(crmsql(home.path())
            .args(["run", "rfm_segments", "--format", "csv"])
            .args(extra));
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(rfm(&[]), rfm(&["--param", "as_of=2026-01-12"]));
    let today = run(crmsql(home.path()).args([
        "-c",
        "SELECT CAST(period_start('today') AS DATE) AS d",
        "--format",
        "csv",
    ]));
    assert_eq!(parse_csv(&stdout(&today))[0]["d"], "2026-01-12");

    // The other tables of the demo account come with it.
    for (table, file) in [
        ("ad_spend", "ad_spend.csv"),
        ("expenses", "expenses.csv"),
        ("product_costs", "product_costs.csv"),
    ] {
        let lines = std::fs::read_to_string(demo_folder().join(file))
            .unwrap()
            .lines()
            .count();
        let output = run(crmsql(home.path()).args([
            "-c",
            &format!("SELECT count(*) AS n FROM {table}"),
            "--format",
            "csv",
        ]));
        assert_eq!(
            parse_csv(&stdout(&output))[0]["n"],
            (lines - 1).to_string(),
            "{table}"
        );
    }

    // The standard tables' columns are described in the user's language.
    let described = run(crmsql(home.path()).args(["-c", "\\d ad_spend"]));
    assert!(
        stdout(&described).contains("рекламный канал; сравнивается с utm_source сделок"),
        "{}",
        stdout(&described)
    );

    // `demo --output-dir` writes the same files as the committed account.
    let folder = home.path().join("account");
    let output = run(crmsql(home.path())
        .args(["demo", "--output-dir"])
        .arg(&folder));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut written: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written.len(), 4);
    for name in written {
        assert!(
            std::fs::read(folder.join(&name)).unwrap()
                == std::fs::read(demo_folder().join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn output_formats() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let base = |format: &str| {
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["run", "sales_by_manager", "--format", format]));
        assert!(output.status.success());
        stdout(&output)
    };
    let csv = base("csv");
    assert_eq!(
        csv.lines().next(),
        Some("manager,deals_won,revenue,avg_check")
    );
    let json: serde_json::Value = serde_json::from_str(&base("json")).unwrap();
    assert_eq!(json[0]["manager"], "Иван Орлов");
    assert_eq!(json[0]["deals_won"], 2);
    assert_eq!(json[1]["manager"], "Мария Кузнецова");
    let table = base("table");
    assert!(table.contains("│ Иван Орлов "), "{table}");
    assert!(table.trim_end().ends_with("(2 строки)"), "{table}");
    // Money on screen: digits grouped by narrow no-break spaces and a decimal comma in Russian,
    // commas and a point in English.
    let revenue = parse_csv(&csv)[0]["revenue"].clone();
    let (whole, cents) = revenue.split_once('.').unwrap();
    let grouped = |separator: &str| -> String {
        let digits: Vec<char> = whole.chars().collect();
        let groups: Vec<String> = digits
            .rchunks(3)
            .rev()
            .map(|chunk| chunk.iter().collect())
            .collect();
        groups.join(separator)
    };
    assert!(whole.len() > 4, "{revenue}");
    let russian = format!("{},{cents}", grouped("\u{202F}"));
    assert!(
        table.contains(&format!(" {russian} │")),
        "{russian} in {table}"
    );
    let english = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--lang", "en", "run", "sales_by_manager"]));
    let english = stdout(&english);
    assert!(
        english.contains(&format!(" {}.{cents} │", grouped(","))),
        "{english}"
    );
    assert!(english.trim_end().ends_with("(2 rows)"), "{english}");

    // `--maxrows` cuts a table, and the footer counts the rows left out.
    let cut = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["run", "sales_by_manager", "--maxrows", "1"]));
    let cut = stdout(&cut);
    assert!(!cut.contains("Мария Кузнецова"), "{cut}");
    assert!(
        cut.trim_end().ends_with(
            "(2 строки, показана первая; все строки — \\last в оболочке или --maxrows 0)"
        ),
        "{cut}"
    );

    let tags = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c", "SELECT tags FROM deals LIMIT 1"]));
    assert!(tags.status.success(), "lists are written to CSV as text");
}

#[test]
fn english_messages_on_request() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let output = run(crmsql(home.path())
        .args(["--lang", "en", "import", "--warehouse"])
        .arg(&warehouse)
        .arg(fixture("leads_bad_rows.csv")));
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("deals: imported 2 rows from 1 file"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("warning: deals: rejected 4 rows"),
        "{}",
        stderr(&output)
    );

    let output = run(crmsql(home.path()).env("LANG", "en_US.UTF-8").arg("--help"));
    assert!(stdout(&output).contains("Usage:"), "{}", stdout(&output));
    let output = run(crmsql(home.path()).arg("--help"));
    assert!(
        stdout(&output).contains("Использование:"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn user_errors_exit_with_one() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );

    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["-c", "SELECT nosuch FROM deals"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("ошибка: "),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("nosuch"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());

    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["run", "no_such_report"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("avg_check_by_month"),
        "lists available reports: {}",
        stderr(&output)
    );

    let output = run(crmsql(home.path())
        .args(["import", "--timezone", "Europe/Moskva"])
        .arg(fixture("leads_month_boundary.csv")));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("неизвестный часовой пояс «Europe/Moskva»"),
        "{}",
        stderr(&output)
    );

    let output = run(crmsql(home.path())
        .args(["import"])
        .arg(home.path().join("missing.csv")));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("missing.csv"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sql_from_stdin_and_file() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );

    let output = run_with_input(
        crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["--format", "csv"]),
        "SELECT count(*) AS n FROM deals;\nSELECT sum(budget) AS s FROM deals;\n",
    );
    assert!(output.status.success());
    // A blank line keeps the two results apart.
    assert_eq!(stdout(&output), "n\n4\n\ns\n650000.50\n");

    let script = home.path().join("script.sql");
    std::fs::write(&script, "-- comment\nSELECT max(id) AS top\nFROM deals;").unwrap();
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-f"])
        .arg(&script));
    assert_eq!(stdout(&output), "top\n2004\n");
}

/// Shell commands among the statements of standard input or `-f` run as in the shell: `\d`
/// prints, the first failure stops the rest with the line it came from, and `\q` ends the text.
#[test]
fn piped_input_runs_shell_commands() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let piped = |input: &str| {
        run_with_input(
            crmsql(home.path())
                .arg("--warehouse")
                .arg(&warehouse)
                .args(["--format", "csv"]),
            input,
        )
    };

    let output = piped("\\d\nSELECT count(*) AS n\nFROM deals;\n\\d deals\nSELECT 2 AS b;\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("deals "), "{text}");
    assert!(text.contains("4 строки"), "{text}");
    assert!(text.contains("n\n4\n"), "{text}");
    assert!(text.contains("budget "), "{text}");
    // The two results stay apart, as those of SQL alone do.
    assert!(text.ends_with("\n\nb\n2\n"), "{text}");

    let output = piped("SELECT 1 AS a;\n\\dx\nSELECT 2 AS b;\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "a\n1\n");
    let message = stderr(&output);
    assert!(message.contains("<stdin>, строка 2:"), "{message}");
    assert!(message.contains("неизвестная команда \\dx"), "{message}");

    let output = piped("\\d\nSELEC 2;\nSELECT 3 AS c;\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(!stdout(&output).contains("c\n3"), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("<stdin>, строка 2:"), "{message}");
    assert!(message.contains("синтаксическая ошибка"), "{message}");

    let script = home.path().join("quit.sql");
    std::fs::write(&script, "SELECT 1 AS a;\n\\q\nSELECT 2 AS b;\n").unwrap();
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-f"])
        .arg(&script));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "a\n1\n");

    // SQL alone runs statement by statement too, and its error names the source and line.
    let output = piped("SELECT 1 AS a;\n\nSELECT nosuch\nFROM deals;\nSELECT 2 AS b;\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "a\n1\n");
    let message = stderr(&output);
    assert!(
        message.contains("<stdin>, строка 3: столбца «nosuch» нет"),
        "{message}"
    );

    // A comment before a command belongs to no statement, and errors name the file's lines.
    let output = piped("-- the tables\n\\d\n/* the count */\nSELECT\n  nosuch FROM deals;\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with("deals "), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("<stdin>, строка 3: столбца «nosuch» нет"),
        "{message}"
    );
    assert!(message.contains("строка 5, столбец 3:"), "{message}");

    // A file that includes itself stops at once, with an error, and ends the batch.
    let looping = home.path().join("loop.sql");
    std::fs::write(&looping, format!("\\i {}\n", looping.display())).unwrap();
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .arg("-f")
        .arg(&looping));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("не выполнен: этот файл уже выполняется"),
        "{message}"
    );
    assert_eq!(
        message.matches("loop.sql, строка 1:").count(),
        1,
        "{message}"
    );

    // `\q` among the texts of `-c` ends the run too.
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS a",
            "-c",
            "\\q",
            "-c",
            "SELECT 2 AS b",
        ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "a\n1\n");

    // A file of results has no place for what a shell command shows.
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .arg("-f")
        .arg(&script)
        .arg("--output")
        .arg(home.path().join("out.csv")));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("у команды оболочки \\q (") && message.contains("quit.sql, строка 2)"),
        "{message}"
    );
    assert!(!home.path().join("out.csv").exists());
}

/// A negative number for an option that takes a count or a port is an invalid value, not an
/// unknown option.
#[test]
fn negative_number_is_invalid_value() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--maxrows", "-5", "-c", "SELECT 1"],
            "«-5» не годится для --maxrows",
        ),
        (
            &["executor", "--concurrency", "-1"],
            "«-1» не годится для --concurrency",
        ),
        (&["scheduler", "--port", "-5"], "«-5» не годится для --port"),
    ];
    for (args, expected) in cases {
        let output = run(crmsql(home.path()).args(args));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
}

#[test]
fn closed_pipe_ends_quietly() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(home.path(), &warehouse, &[&demo_export()])
            .status
            .success()
    );
    let mut child = crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c", "SELECT * FROM deals"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("id,name,budget"));
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// Runs the REPL on a pseudo-terminal made by `script` (util-linux), typing `input` with the
/// given pauses, and returns everything the terminal showed.
fn run_repl(home: &Path, args: &str, input: &[(&str, u64)]) -> String {
    use std::io::{Read, Write};
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_crmsql"));
    let mut script = Command::new("script");
    script
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_remove("CRMSQL_WAREHOUSE")
        .env_remove("CRMSQL_LANG")
        .env("LANG", "ru_RU.UTF-8")
        .env("XDG_DATA_HOME", home)
        .env("TERM", "xterm")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = script
        .spawn()
        .expect("util-linux `script` is needed for REPL tests");
    let mut stdin = process.stdin.take().unwrap();
    let mut stdout = process.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    // Give the REPL time to start before typing, as a person would.
    std::thread::sleep(std::time::Duration::from_millis(500));
    for (text, pause_ms) in input {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*pause_ms));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if process.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = process.kill();
            panic!("the REPL did not exit within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(stdin);
    let shown = reader.join().unwrap();
    eprintln!("terminal:\n{shown}");
    shown
}

#[test]
fn repl_runs_statements_and_keeps_history() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let history = home.path().join("history.txt");
    let args = format!(
        "--warehouse {} --history-file {} --format csv",
        warehouse.display(),
        history.display()
    );
    let shown = run_repl(
        home.path(),
        &args,
        &[
            ("\\d\r", 300),
            ("SELECT count(*) AS n\r", 200),
            ("FROM deals;\r", 500),
            ("SELECT nosuch FROM deals;\r", 500),
            ("\\xyz\r", 300),
            ("\\d deals\r", 300),
            ("SELECT 40 + 2 AS answer;\r", 500),
            ("\\q\r", 300),
        ],
    );
    assert!(shown.contains("deals"), "\\d lists the table");
    assert!(shown.contains("4 строки"), "\\d shows the row count");
    assert!(shown.contains("n\r\n4\r\n"), "multi-line statement ran");
    assert!(shown.contains("nosuch"), "SQL error shown");
    assert!(
        shown.contains("неизвестная команда \\xyz"),
        "unknown command reported"
    );
    assert!(
        shown.contains("итог: won"),
        "\\d deals describes columns in Russian"
    );
    assert!(
        shown.contains("answer\r\n42\r\n"),
        "the REPL went on after the errors"
    );

    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("SELECT count(*) AS n"), "{saved}");
    assert!(saved.contains("FROM deals;"), "{saved}");
    assert!(saved.contains("SELECT 40 + 2 AS answer;"), "{saved}");
}

/// `\\save NAME` in the shell writes the last query as a report with the description typed at
/// the prompt, and `run NAME` then runs it.
#[test]
fn repl_saves_last_query_as_report() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let args = format!("--warehouse {} --format csv", warehouse.display());
    let shown = run_repl(
        home.path(),
        &args,
        &[
            ("\\save first\r", 300),
            ("SELECT count(*) AS n FROM deals;\r", 500),
            ("\\save deal_count\r", 300),
            ("Число сделок в хранилище\r", 400),
            ("\\save bad name\r", 300),
            ("SELECT nosuch FROM deals;\r", 500),
            ("\\save other\r", 300),
            ("SELECT 1 AS one;\r", 400),
            ("\\save win_rate\r", 300),
            ("нет\r", 300),
            ("\\run sales_by_manager --period 2024 pipeline=x\r", 600),
            ("\\run sales_by_manager --period 2024\r", 600),
            ("\\q\r", 300),
        ],
    );
    assert!(
        shown.contains("сохранять нечего"),
        "nothing to save before a query"
    );
    assert!(
        shown.contains("последний запрос завершился ошибкой"),
        "a failed query is not replaced by an older one"
    );
    assert!(shown.contains("win_rate — встроенный отчёт"), "{shown}");
    assert!(!home.path().join("queries/win_rate.sql").exists());
    assert!(
        shown.contains("у отчёта «sales_by_manager» нет параметра «pipeline»"),
        "{shown}"
    );
    assert!(
        shown.contains("manager,deals_won,revenue,avg_check"),
        "\\run takes --period: {shown}"
    );
    assert!(shown.contains("Отчёт deal_count сохранён"), "saved");
    assert!(
        shown.contains("не годится в имя отчёта"),
        "a bad name is refused"
    );
    let saved = std::fs::read_to_string(home.path().join("queries/deal_count.sql")).unwrap();
    assert_eq!(
        saved,
        "-- name: deal_count\n-- description: Число сделок в хранилище\nSELECT count(*) AS n FROM deals;\n"
    );
    let output = run(crmsql(home.path()).current_dir(home.path()).args([
        "--warehouse",
        warehouse.to_str().unwrap(),
        "--format",
        "csv",
        "run",
        "deal_count",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(parse_csv(&stdout(&output))[0]["n"], "4");
}

#[test]
fn repl_ctrl_c_cancels_query_only() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    std::fs::create_dir_all(&warehouse).unwrap();
    let args = format!(
        "--warehouse {} --history-file {}",
        warehouse.display(),
        home.path().join("h.txt").display()
    );
    let shown = run_repl(
        home.path(),
        &args,
        &[
            (
                "SELECT count(*) FROM generate_series(1, 100000000000);\r",
                1500,
            ),
            ("\u{3}", 1000),
            ("SELECT 7 AS seven;\r", 800),
            // A join that computes for long stretches without returning is cancelled too.
            (
                "SELECT count(*) FROM generate_series(1, 200000) a, generate_series(1, 200000) b WHERE a.value * b.value < 0;\r",
                1500,
            ),
            ("\u{3}", 1000),
            ("SELECT 8 AS eight;\r", 800),
            ("\\q\r", 300),
        ],
    );
    assert!(
        shown.contains("запрос отменён"),
        "Ctrl-C cancelled the query"
    );
    assert!(
        shown.contains("выполняется: прочитано") && shown.contains("Ctrl-C — отменить"),
        "a query longer than a second shows its progress"
    );
    assert!(shown.contains("seven"), "the session went on after Ctrl-C");
    assert_eq!(
        shown.matches("запрос отменён").count(),
        2,
        "both queries cancelled"
    );
    assert!(
        shown.contains("eight"),
        "the session went on after the join"
    );
}

#[test]
fn utf16_export_imports() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let text = std::fs::read_to_string(fixture("leads_month_boundary.csv"))
        .unwrap()
        .replace('\n', "\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let path = home.path().join("amocrm_export_leads_utf16.csv");
    std::fs::write(&path, bytes).unwrap();

    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("кодировка utf-16le, разделитель «;», 4 строки"),
        "{}",
        stdout(&output)
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT sum(budget) AS s, min(manager) AS m FROM deals",
    );
    assert_eq!(rows[0]["s"], "650000.50");
    assert_eq!(rows[0]["m"], "Иван Орлов");
}

#[test]
fn files_that_are_not_exports_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );

    let xlsx = home.path().join("amocrm_export_leads.xlsx");
    std::fs::write(&xlsx, b"PK\x03\x04\x14\x00\x06\x00rest of a zip").unwrap();
    let binary = home.path().join("dump.csv");
    std::fs::write(&binary, b"ID,\x00\x01\x02\x03").unwrap();
    let header_only = home.path().join("header_only.csv");
    std::fs::write(&header_only, "ID,Название сделки,Бюджет,Этап сделки\n").unwrap();
    let empty = home.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();

    let cases: [(&Path, &str); 4] = [
        (&xlsx, "не удалось прочитать таблицу Excel"),
        (&binary, "не текстовый файл"),
        (&header_only, "только строка заголовков"),
        (&empty, "пуст"),
    ];
    for (path, expected) in cases {
        let output = import(home.path(), &warehouse, &[path]);
        assert_eq!(output.status.code(), Some(1), "{}", path.display());
        let message = stderr(&output);
        assert!(message.contains(expected), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    let rows = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    assert_eq!(rows[0]["n"], "4", "the previous table is kept");
}

#[test]
fn folder_import_skips_other_files() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let folder = home.path().join("exports");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        fixture("leads_month_boundary.csv"),
        folder.join("amocrm_export_leads_1.csv"),
    )
    .unwrap();
    std::fs::copy(
        fixture("leads_bad_rows.csv"),
        folder.join("amocrm_export_leads_2.csv"),
    )
    .unwrap();
    std::fs::write(folder.join("notes.csv"), "Заметка,Автор\nпозвонить,Иван\n").unwrap();
    std::fs::write(folder.join("report.xlsx"), b"PK\x03\x04zip").unwrap();
    std::fs::write(folder.join(".hidden.csv"), b"junk").unwrap();

    let output = import(home.path(), &warehouse, &[&folder]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("deals: загружено 6 строк из 2 файлов"),
        "{}",
        stdout(&output)
    );
    let warnings = stderr(&output);
    assert_eq!(warnings.matches("пропущен файл").count(), 2, "{warnings}");
    assert!(
        warnings.contains("notes.csv не похож на выгрузку сделок"),
        "{warnings}"
    );
    assert!(
        warnings.contains("не удалось прочитать таблицу Excel") && warnings.contains("report.xlsx"),
        "{warnings}"
    );
    assert!(!warnings.contains(".hidden.csv"), "{warnings}");

    let only_others = home.path().join("others");
    std::fs::create_dir_all(&only_others).unwrap();
    std::fs::write(only_others.join("report.xlsx"), b"PK\x03\x04zip").unwrap();
    let output = import(home.path(), &warehouse, &[&only_others]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("нет файлов, которые можно загрузить"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("таблицу Excel") && stderr(&output).contains("report.xlsx"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn crlf_export_reports_true_lines() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let text = std::fs::read_to_string(fixture("leads_bad_rows.csv"))
        .unwrap()
        .replace('\n', "\r\n");
    let path = home.path().join("amocrm_export_leads_crlf.csv");
    std::fs::write(&path, text).unwrap();
    assert!(import(home.path(), &warehouse, &[&path]).status.success());
    let rejects = parse_csv(
        std::fs::read_to_string(warehouse.join("_rejects/deals.csv"))
            .unwrap()
            .trim_start_matches('\u{feff}'),
    );
    let lines: Vec<&str> = rejects.iter().map(|r| r["line"].as_str()).collect();
    assert_eq!(lines, ["3", "4", "5", "6"]);
}

#[test]
fn unterminated_quote_stops_import() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let mut text = String::from("ID,Название сделки,Бюджет,Этап сделки\n");
    for id in 1..30 {
        if id == 11 {
            text.push_str("11,\"Сделка без конца,1100,Переговоры\n");
        } else {
            text.push_str(&format!("{id},Сделка {id},{},Переговоры\n", id * 100));
        }
    }
    let path = home.path().join("unterminated.csv");
    std::fs::write(&path, text).unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("строка 12: кавычка в записи не закрыта"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("19 строк прочитано как одна запись"),
        "{}",
        stderr(&output)
    );
    let rows = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    assert_eq!(rows[0]["n"], "4", "the previous table is kept");
}

#[test]
fn json_and_csv_of_empty_result() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let json = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "json", "-c", "SELECT id FROM deals WHERE false"]));
    assert_eq!(stdout(&json), "[]\n");
    let csv = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c", "SELECT id FROM deals WHERE false"]));
    assert_eq!(stdout(&csv), "id\n");
    let nulls = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args([
            "--format",
            "json",
            "-c",
            "SELECT id, loss_reason FROM deals WHERE id = 2001",
        ]));
    assert_eq!(stdout(&nulls), "[{\"id\":2001,\"loss_reason\":null}]\n");
}

#[test]
fn missing_key_columns_are_reported() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("renamed.csv");
    std::fs::write(
        &path,
        "ID,Название сделки,Сумма,Менеджер,Этап сделки\n1,Сделка,1000,Иван,Переговоры\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    let warnings = stderr(&output);
    assert!(
        warnings.contains("нет столбцов budget («Бюджет»), manager («Ответственный»)"),
        "{warnings}"
    );
    assert!(
        warnings.contains("closed_at («Дата закрытия»)"),
        "{warnings}"
    );
    assert!(!warnings.contains("name («"), "{warnings}");
}

#[test]
fn describe_and_plain_sql_file() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["-c", "\\d deals"]));
    assert!(output.status.success());
    let shown = stdout(&output);
    assert!(shown.contains("budget        DECIMAL(18, 2)"), "{shown}");
    assert!(
        shown.contains("closed_at     TIMESTAMP WITH TIME ZONE (Europe/Moscow)"),
        "{shown}"
    );
    assert!(shown.contains("tags          LIST of TEXT"), "{shown}");

    let script = home.path().join("q.sql");
    std::fs::write(&script, "SELECT count(*) AS n FROM deals;\n").unwrap();
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "run"])
        .arg(&script));
    assert!(output.status.success());
    assert_eq!(stdout(&output), "n\n4\n");
}

#[test]
fn wrong_forced_encoding_gets_hint() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let output = run(crmsql(home.path())
        .args(["import", "--encoding", "cp1251", "--warehouse"])
        .arg(&warehouse)
        .arg(fixture("leads_bad_rows.csv")));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("попробуйте без них"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn newest_overlapping_export_wins() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let folder = home.path().join("exports");
    std::fs::create_dir_all(&folder).unwrap();
    let header = "ID,Название сделки,Бюджет,Ответственный,Дата закрытия,Этап сделки,Воронка\n";
    std::fs::write(
        folder.join("amocrm_export_leads_2024-01-31.csv"),
        format!("{header}1,Первая,100,Иван,не закрыта,Переговоры,Продажи\n2,Вторая,200,Иван,не закрыта,Переговоры,Продажи\n"),
    )
    .unwrap();
    std::fs::write(
        folder.join("amocrm_export_leads_2024-02-29.csv"),
        format!("{header}2,Вторая,250,Иван,20.02.2024 12:00,Успешно реализовано,Продажи\n"),
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&folder]);
    assert!(output.status.success());
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, budget, outcome FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["budget"], "250.00");
    assert_eq!(rows[1]["outcome"], "won");
    // The older copy is merged away, not rejected.
    assert!(!warehouse.join("_rejects/deals.csv").exists());
    assert!(
        stdout(&output).contains("пропущены как устаревшие: 1; всего в таблице 2 строки"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn stray_quote_closed_later_is_rejected() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("stray.csv");
    std::fs::write(
        &path,
        "ID,Название сделки,Бюджет,Этап сделки\n1,\"плохо,100,Переговоры\n2,вторая,200,Переговоры\n3,конец\",300,Переговоры\n4,четвёртая,400,Переговоры\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    let rejects = parse_csv(
        std::fs::read_to_string(warehouse.join("_rejects/deals.csv"))
            .unwrap()
            .trim_start_matches('\u{feff}'),
    );
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "2");
    assert_eq!(rejects[0]["reason_code"], "line_break_in_cell");
    assert!(
        rejects[0]["reason"].contains("склеила 3 строки"),
        "{}",
        rejects[0]["reason"]
    );
    let rows = query(home.path(), &warehouse, "SELECT id FROM deals");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], "4");
}

/// Report parameters: a period and a pipeline narrow the saved reports, hostile text is bound as
/// a value, and wrong names, types and missing values stop the run before any query.
#[test]
fn report_parameters_typed_and_bound() {
    let home = tempfile::tempdir().unwrap();
    let run_csv = |args: &[&str]| {
        let mut all = vec!["--format", "csv", "run"];
        all.extend_from_slice(args);
        run(crmsql(home.path()).args(&all))
    };
    // The demo warehouse: every month of two years.
    let all = run_csv(&["avg_check_by_month"]);
    assert!(all.status.success());
    let all = parse_csv(&stdout(&all));
    let month = all[3]["month"].clone();

    // A month as the period gives that month's row only, with the same figures.
    let one = run_csv(&["avg_check_by_month", "--period", &month]);
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(parse_csv(&stdout(&one)), vec![all[3].clone()]);

    // The same numbers from plain SQL over the pipeline the parameter names.
    let pipeline =
        query_default(home.path(), "SELECT min(pipeline) AS p FROM deals")[0]["p"].clone();
    let by_pipeline = run_csv(&[
        "avg_check_by_month",
        "--param",
        &format!("pipeline={pipeline}"),
    ]);
    assert!(by_pipeline.status.success(), "{}", stderr(&by_pipeline));
    let expected = query_default(
        home.path(),
        &format!(
            "SELECT count(*) AS n FROM deals WHERE outcome = 'won' AND closed_at IS NOT NULL \
             AND pipeline = '{pipeline}'"
        ),
    )[0]["n"]
        .clone();
    let counted: u64 = parse_csv(&stdout(&by_pipeline))
        .iter()
        .map(|row| row["deals_won"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(counted.to_string(), expected);

    // Hostile text is a value: it matches no pipeline and changes nothing.
    let hostile = run_csv(&[
        "pipeline_stages",
        "--param",
        "pipeline=x'; DROP TABLE deals; --",
    ]);
    assert!(hostile.status.success(), "{}", stderr(&hostile));
    assert_eq!(parse_csv(&stdout(&hostile)).len(), 0);
    let count = query_default(home.path(), "SELECT count(*) AS n FROM deals");
    assert_eq!(count[0]["n"], "9000");

    // Mistakes are named before anything runs.
    let unknown = run_csv(&["sales_by_manager", "--param", "manager=Мария"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("нет параметра «manager»; параметры отчёта: period"),
        "{}",
        stderr(&unknown)
    );
    let invalid = run_csv(&["sales_by_manager", "--period", "прошлый месяц"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        stderr(&invalid).contains("«прошлый месяц» — не период"),
        "{}",
        stderr(&invalid)
    );
    let syntax = run_csv(&["sales_by_manager", "--param", "period"]);
    assert!(
        stderr(&syntax).contains("нужен вид КЛЮЧ=ЗНАЧЕНИЕ"),
        "{}",
        stderr(&syntax)
    );

    // A required parameter of a report file, and a $name the header does not declare.
    let file = home.path().join("by_channel.sql");
    std::fs::write(
        &file,
        "-- name: by_channel\n-- description: Сделки канала.\n-- param: channel text required | Канал\n\
         SELECT count(*) AS n FROM deals WHERE utm_source = $channel\n",
    )
    .unwrap();
    let missing = run_csv(&[file.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing)
            .contains("нужен параметр channel: задайте его через --param channel=ЗНАЧЕНИЕ"),
        "{}",
        stderr(&missing)
    );
    let given = run_csv(&[file.to_str().unwrap(), "--param", "channel=yandex"]);
    assert!(given.status.success(), "{}", stderr(&given));
    let expected = query_default(
        home.path(),
        "SELECT count(*) AS n FROM deals WHERE utm_source = 'yandex'",
    );
    assert_eq!(parse_csv(&stdout(&given))[0]["n"], expected[0]["n"]);
    std::fs::write(
        &file,
        "-- name: by_channel\n-- description: Сделки канала.\nSELECT count(*) FROM deals WHERE utm_source = $channel\n",
    )
    .unwrap();
    let undeclared = run_csv(&[file.to_str().unwrap()]);
    assert!(
        stderr(&undeclared).contains("используется $channel, но в заголовке нет строки"),
        "{}",
        stderr(&undeclared)
    );

    // The listing and the report page name the parameters.
    let listing = run(crmsql(home.path()).args(["reports"]));
    assert!(
        stdout(&listing).contains("--period (period, необязательный): Период закрытия сделок"),
        "{}",
        stdout(&listing)
    );
    let page = run(crmsql(home.path()).args(["reports", "show", "pipeline_stages"]));
    assert!(page.status.success());
    assert!(stdout(&page).contains("--param pipeline (text, необязательный): Воронка"));
    assert!(stdout(&page).contains("[[WHERE lower(pipeline) = lower($pipeline)]]"));
}

/// Runs SQL on the default warehouse and returns the rows.
fn query_default(home: &Path, sql: &str) -> Vec<std::collections::HashMap<String, String>> {
    let output = run(crmsql(home).args(["--format", "csv", "-c", sql]));
    assert!(output.status.success(), "query failed: {sql}");
    parse_csv(&stdout(&output))
}

/// A scheduled run writes every report into dated files, goes on past a failing report, logs
/// each one and exits with an error when any failed.
#[test]
fn run_all_writes_dated_files_and_logs() {
    let home = tempfile::tempdir().unwrap();
    let reports = home.path().join("q");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("broken.sql"),
        "-- name: broken\n-- description: Сломанный отчёт.\nSELECT nope FROM deals\n",
    )
    .unwrap();
    std::fs::write(
        reports.join("won.sql"),
        "-- name: won\n-- description: Выигранные сделки.\n-- param: period period\n\
         SELECT count(*) AS n FROM deals WHERE outcome = 'won' [[AND in_period(closed_at, $period)]]\n",
    )
    .unwrap();
    // A header with a typo, a report that needs a value and one over a table the warehouse
    // lacks.
    std::fs::write(
        reports.join("typo.sql"),
        "-- nme: typo\n-- description: Опечатка.\nSELECT 1\n",
    )
    .unwrap();
    std::fs::write(
        reports.join("needs.sql"),
        "-- name: needs\n-- description: Нужен параметр.\n-- param: min int required | Порог\n\
         SELECT $min AS m\n",
    )
    .unwrap();
    std::fs::write(
        reports.join("bought.sql"),
        "-- name: bought\n-- description: Покупки.\nSELECT count(*) AS n FROM purchases\n",
    )
    .unwrap();
    let out = home.path().join("out");
    let output = run(crmsql(home.path()).args([
        "run-all",
        reports.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--period",
        "2024",
    ]));
    assert_eq!(output.status.code(), Some(1));
    let typo = reports.join("typo.sql").display().to_string();
    assert!(
        stderr(&output).contains(&format!(
            "выполнено отчётов: 1 из 5; пропущено: 2 (bought, needs); с ошибкой: {typo}, broken"
        )),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(&format!(
            "файл отчёта не прочитан: {typo}: в заголовке нет строки «-- name: имя_отчёта»"
        )),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("отчёт bought пропущен: в хранилище нет таблицы purchases"),
        "{}",
        stderr(&output)
    );
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let won = files
        .iter()
        .find(|f| f.starts_with("won_") && f.ends_with(".csv"))
        .unwrap_or_else(|| panic!("{files:?}"));
    // The file name carries the run's date, YYYY-MM-DD.
    assert_eq!(won.len(), "won_2026-12-05.csv".len());
    let rows = parse_csv(&std::fs::read_to_string(out.join(won)).unwrap());
    let expected = query_default(
        home.path(),
        "SELECT count(*) AS n FROM deals WHERE outcome = 'won' \
         AND closed_at >= TIMESTAMPTZ '2024-01-01T00:00:00+03:00' \
         AND closed_at < TIMESTAMPTZ '2025-01-01T00:00:00+03:00'",
    );
    assert_eq!(rows[0]["n"], expected[0]["n"]);
    assert!(!files.iter().any(|f| f.starts_with("broken_")), "{files:?}");
    let log = std::fs::read_to_string(out.join("run-all.log")).unwrap();
    assert!(log.contains("отчёт won: записан"), "{log}");
    assert!(
        log.contains("отчёт broken: ошибка: столбца «nope» нет\nстрока 3, столбец 8:"),
        "{log}"
    );
    assert!(
        log.contains("отчёт needs пропущен: нужен параметр min"),
        "{log}"
    );

    // The value a report needs is given once for the reports that take it, and checked first.
    let again = home.path().join("again");
    let run_all = |extra: &[&str]| {
        run(crmsql(home.path())
            .args(["run-all", reports.to_str().unwrap(), "--output-dir"])
            .arg(&again)
            .args(extra))
    };
    let output = run_all(&["--param", "min=7"]);
    assert_eq!(output.status.code(), Some(1), "broken and typo still fail");
    let needs = std::fs::read_dir(&again)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("needs_")
        })
        .unwrap();
    assert_eq!(
        parse_csv(&std::fs::read_to_string(needs).unwrap())[0]["m"],
        "7"
    );
    let output = run_all(&["--param", "min=семь"]);
    assert!(
        stderr(&output).contains("параметр min отчёта «needs»: «семь» — не"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("отчёт won"), "nothing ran");
    let output = run_all(&["--param", "max=1"]);
    assert!(
        stderr(&output).contains("ни один отчёт не принимает параметр «max»"),
        "{}",
        stderr(&output)
    );
}

/// Markdown and Parquet results: Markdown aligns numbers right and escapes `|`; Parquet goes to
/// a file only and keeps the result's types.
#[test]
fn markdown_and_parquet_results() {
    let home = tempfile::tempdir().unwrap();
    let output = run(crmsql(home.path()).args([
        "--format",
        "markdown",
        "-c",
        "SELECT 'a|b' AS name, 42 AS n",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "| name | n |\n|---|---:|\n| a\\|b | 42 |\n"
    );

    let output = run(crmsql(home.path()).args(["--format", "parquet", "run", "sales_by_manager"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("укажите --output ФАЙЛ"),
        "{}",
        stderr(&output)
    );
    let file = home.path().join("managers.parquet");
    let output = run(crmsql(home.path()).args([
        "--format",
        "parquet",
        "run",
        "sales_by_manager",
        "--output",
        file.to_str().unwrap(),
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let reader =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&file).unwrap(),
        )
        .unwrap();
    let schema = reader.schema().clone();
    let rows_in_file: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    let from_report = run(crmsql(home.path()).args(["--format", "csv", "run", "sales_by_manager"]));
    let rows = parse_csv(&stdout(&from_report));
    assert_eq!(rows_in_file, rows.len());
    let revenue = schema.field_with_name("revenue").unwrap();
    assert!(
        matches!(
            revenue.data_type(),
            datafusion::arrow::datatypes::DataType::Decimal128(_, 2)
        ),
        "{revenue:?}"
    );

    // An Excel workbook of the same report reads back, through the importer, with the same rows.
    let workbook = home.path().join("managers.xlsx");
    let output = run(crmsql(home.path()).args([
        "--format",
        "xlsx",
        "run",
        "sales_by_manager",
        "--output",
        workbook.to_str().unwrap(),
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let warehouse = home.path().join("wh_xlsx");
    let output = import_with(
        home.path(),
        &warehouse,
        &["--table", "managers"],
        &[&workbook],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let back = query(
        home.path(),
        &warehouse,
        "SELECT manager, deals_won, CAST(revenue AS VARCHAR) AS revenue FROM managers",
    );
    assert_eq!(back.len(), rows.len());
    for (ours, theirs) in rows.iter().zip(&back) {
        assert_eq!(ours["manager"], theirs["manager"]);
        assert_eq!(ours["deals_won"], theirs["deals_won"]);
        // Whole amounts read back as whole numbers, so compare the values.
        let ours: f64 = ours["revenue"].parse().unwrap();
        let theirs: f64 = theirs["revenue"].parse().unwrap();
        assert_eq!(ours, theirs);
    }
}

/// Channel returns join the ad spend table to the deals. The end-to-end fit marks months of
/// large spend or several channels. Both are checked against the input files.
#[test]
fn channel_roi_against_ad_spend() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let spend = home.path().join("spend.csv");
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход;Клики;Показы\n\
         01.06.2024;yandex;search;1500000;3000;90000\n\
         15.06.2024;Yandex;rsya;500000;2000;80000\n\
         10.06.2024;vk;target;800000;1500;60000\n\
         20.06.2024;avito;ads;2000000;900;40000\n\
         05.07.2024;yandex;search;700000;1000;30000\n\
         12.08.2024;email;digest;20000;100;1000\n",
    )
    .unwrap();
    assert!(
        import(home.path(), &warehouse, &[&demo_export(), &spend])
            .status
            .success()
    );
    let result = home.path().join("roi.csv");
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args([
            "--format",
            "csv",
            "run",
            "channel_roi",
            "--period",
            "2024-06",
            "--output",
        ])
        .arg(&result));
    assert!(output.status.success(), "{}", stderr(&output));
    // Yandex and yandex are one channel.
    let rows = parse_csv(&std::fs::read_to_string(&result).unwrap());
    assert_eq!(rows.len(), 3);
    let check = run(Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_reports.py"))
        .arg(demo_export())
        .arg(format!(
            "channel_roi:2024-06:{}={}",
            spend.display(),
            result.display()
        )));
    assert!(check.status.success(), "{}", stderr(&check));

    // Before and after 1 July 2024: spend, revenue, average check and ROI per channel.
    let moved = home.path().join("moved.csv");
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "run", "budget_reallocation", "--output"])
        .arg(&moved)
        .args([
            "--param",
            "change_date=2024-07-01",
            "--param",
            "before_from=2024-06-01",
            "--param",
            "after_to=2024-08-01",
        ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let check = run(Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_reports.py"))
        .arg(demo_export())
        .arg(format!(
            "budget_reallocation:2024-06-01,2024-07-01,2024-08-01:{}={}",
            spend.display(),
            moved.display()
        )));
    assert!(check.status.success(), "{}", stderr(&check));
    // Without the required date the report does not run.
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["run", "budget_reallocation"]));
    assert!(
        stderr(&output).contains("нужен параметр change_date"),
        "{}",
        stderr(&output)
    );

    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args([
            "--format",
            "csv",
            "run",
            "end_to_end_fit",
            "--period",
            "2024",
        ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let months: Vec<(String, String, String, String)> = parse_csv(&stdout(&output))
        .into_iter()
        .map(|r| {
            (
                r["month"].clone(),
                r["spend"].clone(),
                r["channels"].clone(),
                r["fits"].clone(),
            )
        })
        .collect();
    let expected = [
        ("2024-06", "4800000.00", "3", "true"),
        ("2024-07", "700000.00", "1", "true"),
        ("2024-08", "20000.00", "1", "false"),
    ]
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()));
    assert_eq!(months, expected);
}

/// Product economics and full profitability join deals to product costs, ad spend and other
/// expenses; both equal a recomputation from the files.
#[test]
fn product_and_full_profitability() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let costs = home.path().join("costs.csv");
    std::fs::write(
        &costs,
        "Товар;Себестоимость %\nСтеллажи складские;55\nПаллетные стеллажи;60\n\
         Складская техника;70\nМонтаж;35\nСервисное обслуживание;25\n",
    )
    .unwrap();
    let spend = home.path().join("spend.csv");
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход\n01.06.2024;yandex;search;1500000\n\
         20.07.2024;vk;target;800000\n",
    )
    .unwrap();
    let expenses = home.path().join("expenses.csv");
    std::fs::write(
        &expenses,
        "Месяц;Статья;Сумма\n2024-06;Зарплаты;1800000\n2024-06;Программы;60000\n\
         2024-08;Аренда;250000\n",
    )
    .unwrap();
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&demo_export(), &spend, &expenses]
        )
        .status
        .success()
    );
    assert!(
        import_with(
            home.path(),
            &warehouse,
            &["--table", "product_costs"],
            &[&costs]
        )
        .status
        .success()
    );
    let mut arguments = Vec::new();
    for (report, period, known) in [
        (
            "product_economics",
            "2024-06",
            format!("2024-06:{}", costs.display()),
        ),
        (
            "full_profitability",
            "2024-06-01..2024-08-31",
            format!(
                "2024-06-01,2024-08-31:{},{},{}",
                costs.display(),
                spend.display(),
                expenses.display()
            ),
        ),
    ] {
        let result = home.path().join(format!("{report}.csv"));
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args([
                "--format", "csv", "run", report, "--period", period, "--output",
            ])
            .arg(&result));
        assert!(output.status.success(), "{}", stderr(&output));
        arguments.push(format!("{report}:{known}={}", result.display()));
    }
    let check = run(Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_reports.py"))
        .arg(demo_export())
        .args(&arguments));
    assert!(check.status.success(), "{}", stderr(&check));
}

/// `--output` writes through a link and into a pipe, and without `--format` takes the format
/// from the file name.
#[cfg(unix)]
#[test]
fn output_to_links_pipes_and_named_formats() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let run_to = |path: &Path, extra: &[&str]| {
        run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(extra)
            .args(["run", "sales_by_manager", "--output"])
            .arg(path))
    };
    let real = home.path().join("real.txt");
    std::fs::write(&real, "old").unwrap();
    let link = home.path().join("link.csv");
    std::os::unix::fs::symlink("real.txt", &link).unwrap();
    assert!(run_to(&link, &[]).status.success());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(
        written.starts_with("manager,deals_won,revenue,avg_check\n"),
        "{written}"
    );

    let pipe = home.path().join("pipe.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    assert!(run_to(&pipe, &[]).status.success());
    assert_eq!(reader.join().unwrap(), written);
    assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());

    // `.xlsx` makes a workbook (a ZIP file); `--format` still decides when given.
    let book = home.path().join("managers.xlsx");
    assert!(run_to(&book, &[]).status.success());
    assert_eq!(&std::fs::read(&book).unwrap()[..2], b"PK");
    let table = home.path().join("managers.json");
    assert!(run_to(&table, &["--format", "csv"]).status.success());
    assert!(
        std::fs::read_to_string(&table)
            .unwrap()
            .starts_with("manager,")
    );
}

/// Tab completes a table after FROM, a column and a function in the shell; the statements only
/// run, and give their values, when the completed names are right.
#[test]
fn repl_completes_tables_columns_and_functions() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let expected = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n, sum(budget) AS s, avg_check(budget) AS a FROM deals",
    );
    let args = format!("--warehouse {} --format csv", warehouse.display());
    let shown = run_repl(
        home.path(),
        &args,
        &[
            ("SELECT count(*) AS n FROM dea\t", 400),
            (";\r", 600),
            ("SELECT sum(budg\t", 400),
            (") AS s FROM deals;\r", 600),
            ("SELECT avg_ch\t", 400),
            ("(budget) AS a FROM deals;\r", 600),
            ("\\q\r", 300),
        ],
    );
    assert!(
        shown.contains(&format!("n\r\n{}\r\n", expected[0]["n"])),
        "table completed"
    );
    assert!(
        shown.contains(&format!("s\r\n{}\r\n", expected[0]["s"])),
        "column completed"
    );
    assert!(
        shown.contains(&format!("a\r\n{}\r\n", expected[0]["a"])),
        "function completed"
    );
    assert!(!shown.contains("ошибка"), "no statement failed");
}

/// A mistyped name gets a message in the user's language, the line with a caret under the
/// name, the nearest right name and DataFusion's own words; in the shell too.
#[test]
fn sql_errors_point_at_the_typo() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let sql = |lang: &str, text: &str| {
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["--lang", lang, "-c", text]));
        assert_eq!(output.status.code(), Some(1));
        stderr(&output)
    };
    assert_eq!(
        sql("ru", "SELECT id,\n  manger FROM deals"),
        "ошибка: столбца «manger» нет\nстрока 2, столбец 3:\n      manger FROM deals\n      ^^^^^^\n\
         подсказка: возможно, имелось в виду «manager»\n\
         подробности от DataFusion: Schema error: No field named manger. Did you mean 'deals.manager'?\n"
    );
    // Under a self-join, the columns of `a` are listed once each.
    let joined = sql(
        "ru",
        "SELECT a.name FROM deals a, deals b WHERE a.zzzz = b.id",
    );
    let hint = joined
        .lines()
        .find(|line| line.starts_with("подсказка: есть столбцы "))
        .unwrap_or_else(|| panic!("{joined}"));
    let listed: Vec<&str> = hint["подсказка: есть столбцы ".len()..]
        .split(", ")
        .collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert!(listed.contains(&"manager"), "{hint}");
    assert_eq!(listed.len(), unique.len(), "{hint}");
    let table = sql("en", "SELECT * FROM deal");
    assert!(
        table.starts_with("error: there is no table \"deal\""),
        "{table}"
    );
    assert!(
        table.contains("    SELECT * FROM deal\n                  ^^^^\n"),
        "{table}"
    );
    assert!(
        table.contains("hint: perhaps \"deals\" was meant"),
        "{table}"
    );
    let function = sql("ru", "SELECT avg_chek(budget) FROM deals");
    assert!(
        function.starts_with("ошибка: функции «avg_chek» нет"),
        "{function}"
    );
    assert!(
        function.contains("возможно, имелось в виду «avg_check»"),
        "{function}"
    );
    let syntax = sql("ru", "SELEC 1");
    assert!(
        syntax.starts_with("ошибка: в запросе синтаксическая ошибка\nстрока 1, столбец 1:\n    SELEC 1\n    ^^^^^\n"),
        "{syntax}"
    );

    // The CRM functions' own mistakes are in the user's language, plurals included.
    let period = sql("ru", "SELECT period_start('last_moth')");
    assert!(
        period.starts_with("ошибка: неизвестный период «last_moth»; можно: today, yesterday"),
        "{period}"
    );
    assert_eq!(
        sql("ru", "SELECT segment_bucket(5, [10, 20], ['a'])"),
        "ошибка: segment_bucket: 2 границы дают 3 сегмента, а названий 1\n"
    );
    assert_eq!(
        sql("en", "SELECT segment_bucket(5, [10], ['a'])"),
        "error: segment_bucket: 1 threshold makes 2 segments, but 1 label is given\n"
    );

    // The shell shows the same frame under the statement typed.
    let args = format!("--warehouse {}", warehouse.display());
    let shown = run_repl(
        home.path(),
        &args,
        &[("SELECT manger FROM deals;\r", 600), ("\\q\r", 300)],
    );
    let shown = shown.replace("\r\n", "\n");
    assert!(
        shown.contains("    SELECT manger FROM deals;\n           ^^^^^^\n"),
        "{shown}"
    );
}

/// Results go through `$PAGER` on a terminal, and never when standard output is a pipe.
#[test]
fn pager_on_a_terminal_only() {
    let home = tempfile::tempdir().unwrap();
    let paged = home.path().join("paged.txt");
    let pager = home.path().join("pager.sh");
    std::fs::write(&pager, format!("#!/bin/sh\ncat > '{}'\n", paged.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pager, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let sql = "SELECT value AS n FROM generate_series(1, 100)";
    // A pipe gets every row and no pager, even with --pager on.
    let output = run(crmsql(home.path())
        .env("PAGER", &pager)
        .args(["--pager", "on", "-c", sql]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("(100 строк)"),
        "{}",
        stdout(&output)
    );
    assert!(!paged.exists(), "no pager for a pipe");

    // On a terminal the pager gets the table.
    let command = format!(
        "env PAGER={} {} --pager on -c '{sql}'",
        pager.display(),
        env!("CARGO_BIN_EXE_crmsql")
    );
    let status = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("LANG", "ru_RU.UTF-8")
        .env_remove("CRMSQL_LANG")
        .env("XDG_DATA_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&paged).unwrap();
    assert!(text.contains("│   1 │"), "{text}");
    assert!(text.contains("показано 40"), "{text}");
}

/// A report's HTML page loads in headless Chromium (from Debian's `chromium` package, which
/// `.ci/run` installs) and lays out its chart; the SVG format draws a bar per row.
#[test]
fn report_page_draws_its_chart_in_chromium() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(home.path(), &warehouse, &[&demo_export()])
            .status
            .success()
    );
    let run_report = |report: &str, extra: &[&str]| {
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["run", report])
            .args(extra));
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let months = parse_csv(&run_report("avg_check_by_month", &["--format", "csv"]));
    let page = home.path().join("page.html");
    run_report("avg_check_by_month", &["--output", page.to_str().unwrap()]);
    let managers = parse_csv(&run_report("sales_by_manager", &["--format", "csv"]));
    let image = home.path().join("managers.svg");
    run_report("sales_by_manager", &["--output", image.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&image).unwrap();
    assert_eq!(svg.matches("<rect class=\"bar\"").count(), managers.len());
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));

    let chromium = std::env::var("CRMSQL_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    let profile = home.path().join("chromium-profile");
    let output = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|error| {
            panic!("headless Chromium is needed (apt-get install chromium): {error}")
        });
    assert!(output.status.success(), "{}", stderr(&output));
    let dom = stdout(&output);
    // The page's script marks a chart that the browser laid out with a width.
    assert!(dom.contains("data-chart=\"drawn\""), "{dom}");
    assert!(
        dom.contains("<polyline class=\"line\""),
        "a line over months"
    );
    assert_eq!(
        dom.matches("<circle").count(),
        months.len(),
        "a point per month"
    );
    assert_eq!(dom.matches("<tr>").count(), months.len() + 1, "the table");
    assert!(dom.contains("<h1>Средний чек по месяцам</h1>"), "{dom}");
}

/// The shell runs its startup file before the first prompt: commands, statements over several
/// lines, and a failing line named by its place while the rest still runs.
#[test]
fn repl_runs_its_startup_file() {
    let home = tempfile::tempdir().unwrap();
    let init = home.path().join("init.sql");
    std::fs::write(
        &init,
        "\\format csv\n-- a comment\nSELECT 40 +\n  2 AS answer;\nSELECT nosuch;\nSELECT 7 AS seven;\n",
    )
    .unwrap();
    let args = format!(
        "--warehouse {} --init {}",
        home.path().join("wh").display(),
        init.display()
    );
    std::fs::create_dir_all(home.path().join("wh")).unwrap();
    let shown = run_repl(home.path(), &args, &[("\\q\r", 500)]).replace("\r\n", "\n");
    assert!(shown.contains("answer\n42\n"), "{shown}");
    assert!(
        shown.contains(&format!(
            "ошибка: {}, строка 5: столбца «nosuch» нет",
            init.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("seven\n7\n"),
        "the lines after a failure still run"
    );
    // A missing --init file is an error for the shell; -c reads no startup file.
    let args = format!(
        "--warehouse {} --init /nonexistent/init.sql",
        home.path().join("wh").display()
    );
    let output = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("{} {args}", env!("CARGO_BIN_EXE_crmsql")),
            "/dev/null",
        ])
        .env("LANG", "ru_RU.UTF-8")
        .env_remove("CRMSQL_LANG")
        .env("XDG_DATA_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("не удалось прочитать /nonexistent/init.sql"),
        "{}",
        stdout(&output)
    );
    let output =
        run(crmsql(home.path()).args(["--init", "/nonexistent/init.sql", "-c", "SELECT 1"]));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// The help of each command, in Russian and in English, equals its snapshot in
/// `tests/snapshots`; `CRMSQL_UPDATE_SNAPSHOTS=1` rewrites the snapshots after a deliberate
/// change. The Russian help contains none of clap's English words.
#[test]
fn help_matches_snapshots_in_both_languages() {
    let home = tempfile::tempdir().unwrap();
    let update = std::env::var_os("CRMSQL_UPDATE_SNAPSHOTS").is_some();
    for lang in ["ru", "en"] {
        for command in [
            "",
            "run",
            "import",
            "run-all",
            "reports",
            "demo",
            "scheduler",
            "executor",
        ] {
            let output = run(crmsql(home.path())
                .args(["--lang", lang])
                .args((!command.is_empty()).then_some(command))
                .arg("--help"));
            assert!(output.status.success());
            let help = stdout(&output);
            // A message id in place of its text means the catalog lacks the entry.
            assert!(
                !help.contains(" help-"),
                "a message id in the help of {command:?}: {help}"
            );
            let name = if command.is_empty() {
                "crmsql"
            } else {
                command
            };
            let path = workspace().join(format!("tests/snapshots/help_{name}_{lang}.txt"));
            if update {
                std::fs::write(&path, &help).unwrap();
                continue;
            }
            let snapshot = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                help,
                snapshot,
                "{} differs; rerun with CRMSQL_UPDATE_SNAPSHOTS=1 if the change is meant",
                path.display()
            );
            if lang == "ru" {
                for english in [
                    "Usage",
                    "Options",
                    "OPTIONS",
                    "Arguments",
                    "Commands",
                    "<FILE>",
                    "<SIZE>",
                ] {
                    assert!(!help.contains(english), "{english} in {}", path.display());
                }
            }
        }
    }
}

/// Command-line mistakes are named in the user's language, with the nearest right word.
#[test]
fn argument_errors_in_both_languages() {
    let home = tempfile::tempdir().unwrap();
    let fails = |args: &[&str]| {
        let output = run(crmsql(home.path()).args(args));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        stderr(&output)
    };
    assert!(fails(&["--format", "yaml", "-c", "SELECT 1"]).starts_with(
        "ошибка: «yaml» не годится для --format <ФОРМАТ>: можно table, csv, json, markdown"
    ));
    let typo = fails(&["imprt"]);
    assert!(
        typo.starts_with("ошибка: неизвестная команда imprt\n"),
        "{typo}"
    );
    assert!(
        typo.contains("подсказка: возможно, имелось в виду import"),
        "{typo}"
    );
    assert!(fails(&["run"]).starts_with("ошибка: не хватает <ОТЧЁТ>"));
    assert!(
        fails(&["demo", "--rows", "много"])
            .starts_with("ошибка: «много» не годится для --rows <N>")
    );
    let english = fails(&["--lang", "en", "--formt", "csv"]);
    assert!(
        english.starts_with("error: unknown option --formt\nhint: perhaps --format was meant"),
        "{english}"
    );
    let demo = fails(&["--format", "csv", "demo"]);
    assert!(
        demo.starts_with("ошибка: crmsql demo пишет выгрузку amoCRM в CSV"),
        "{demo}"
    );

    // SQL that starts with a comment is SQL, not an option.
    let output =
        run(crmsql(home.path()).args(["--format", "csv", "-c", "-- выручка\nSELECT 1 AS a"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "a\n1\n");
}

/// `-c` and `-f` write their results to a file with `--output`, in the format of the file name.
#[test]
fn sql_results_to_a_file() {
    let home = tempfile::tempdir().unwrap();
    let book = home.path().join("answer.xlsx");
    let output = run(crmsql(home.path())
        .args(["-c", "SELECT 42 AS answer", "--output"])
        .arg(&book));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(&std::fs::read(&book).unwrap()[..2], b"PK");
    let text = home.path().join("two.csv");
    let output = run(crmsql(home.path())
        .args(["-c", "SELECT 1 AS a; SELECT 2 AS b", "-o"])
        .arg(&text));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "a\n1\n\nb\n2\n");
    let output = run(crmsql(home.path())
        .args(["-c", "SELECT 1; SELECT 2", "-o"])
        .arg(home.path().join("two.parquet")));
    assert!(
        stderr(&output).contains("в файл parquet помещается один результат"),
        "{}",
        stderr(&output)
    );
}

/// A command typed under an unfinished statement runs and the statement waits for its `;`;
/// `\run` takes a quoted value with spaces; `\o` writes a `.csv` file as CSV.
#[test]
fn repl_commands_inside_statements_quotes_and_output_files() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    assert!(
        import(
            home.path(),
            &warehouse,
            &[&fixture("leads_month_boundary.csv")]
        )
        .status
        .success()
    );
    let out = home.path().join("out.csv");
    let args = format!("--warehouse {} --format csv", warehouse.display());
    let shown = run_repl(
        home.path(),
        &args,
        &[
            ("SELECT 40 + 2 AS a\r", 300),
            ("\\timing\r", 400),
            (";\r", 600),
            ("\\run win_rate pipeline=\"Нет такой воронки\"\r", 800),
            (&format!("\\o {}\r", out.display()), 300),
            ("SELECT 5 AS five;\r", 500),
            ("\\o\r", 300),
            ("\\q\r", 300),
        ],
    )
    .replace("\r\n", "\n");
    assert!(shown.contains("Время выполнения показывается"), "{shown}");
    assert!(
        shown.contains("a\n42\n"),
        "the statement ran after the command: {shown}"
    );
    assert!(
        shown.contains("pipeline,won,lost,win_rate_pct,won_budget,lost_budget\n"),
        "a quoted value with spaces: {shown}"
    );
    assert!(!shown.contains("КЛЮЧ=ЗНАЧЕНИЕ"), "{shown}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "five\n5\n");
}

/// A mistake in a saved report points at its line in the report file, even after a dropped
/// optional clause on an earlier line.
#[test]
fn report_errors_point_into_the_report_file() {
    let home = tempfile::tempdir().unwrap();
    let reports = home.path().join("q");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("typo.sql"),
        "-- name: typo\n-- description: Опечатка.\n-- param: period period\n\
         SELECT manager FROM deals WHERE true [[AND in_period(closed_at, $period)]] AND sum(budjet) > 0\n",
    )
    .unwrap();
    let output = run(crmsql(home.path())
        .arg("--queries")
        .arg(&reports)
        .args(["run", "typo"]));
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    let path = reports.join("typo.sql").display().to_string();
    assert!(
        text.contains(&format!(
            "ошибка: отчёт typo ({path}): столбца «budjet» нет\nстрока 4, столбец 84:\n"
        )),
        "{text}"
    );
    // The caret is under the name in the report's own line, brackets and all.
    let line = "SELECT manager FROM deals WHERE true [[AND in_period(closed_at, $period)]] AND sum(budjet) > 0";
    let column = line.find("budjet").unwrap();
    assert!(
        text.contains(&format!("    {line}\n{}^^^^^^\n", " ".repeat(4 + column))),
        "{text}"
    );
}

/// `--memory-limit` bounds a query: an aggregation over more groups than fit spills to disk and
/// still gives the right result, and a join that cannot spill fails with a message that names
/// the limit.
#[test]
fn spill_files_removed_after_failed_query() {
    let home = tempfile::tempdir().unwrap();
    let temp = home.path().join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    // The spill folder of a crmsql that Ctrl-C stopped, and one of a process still running.
    let orphan = temp.join("crmsql-spill-4000000000");
    std::fs::create_dir_all(&orphan).unwrap();
    std::fs::write(orphan.join("spill.arrow"), b"x").unwrap();
    let running = temp.join(format!("crmsql-spill-{}", std::process::id()));
    std::fs::create_dir_all(&running).unwrap();

    // The sort spills, and then the join cannot fit: the query fails with files spilled.
    let sql = "SELECT a.id, b.id, a.name FROM deals a JOIN deals b ON a.manager = b.manager \
               WHERE b.id % 4 = 0 ORDER BY a.name, b.budget, b.name";
    let output = run(crmsql(home.path()).env("TMPDIR", &temp).args([
        "--memory-limit",
        "32M",
        "--format",
        "csv",
        "-c",
        sql,
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("запросу не хватило памяти"),
        "{}",
        stderr(&output)
    );
    let left: Vec<String> = std::fs::read_dir(&temp)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        [format!("crmsql-spill-{}", std::process::id())],
        "what the query spilled is removed, and so is the stopped process's folder"
    );
}

#[test]
fn memory_limit_spills_and_names_the_limit() {
    let home = tempfile::tempdir().unwrap();
    let grouped = "SELECT count(*) AS groups, sum(n) AS rows FROM \
                   (SELECT v % 300000 AS g, count(*) AS n FROM generate_series(1, 3000000) t(v) GROUP BY 1)";
    let run_sql = |limit: Option<&str>, sql: &str| {
        let mut command = crmsql(home.path());
        if let Some(limit) = limit {
            command.args(["--memory-limit", limit]);
        }
        run(command.args(["--format", "csv", "-c", sql]))
    };
    let output = run_sql(Some("4M"), grouped);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = parse_csv(&stdout(&output));
    assert_eq!(rows[0]["groups"], "300000");
    assert_eq!(rows[0]["rows"], "3000000");

    let spills = |limit: Option<&str>| -> u64 {
        let output = run_sql(
            limit,
            "EXPLAIN ANALYZE SELECT v % 300000 AS g, count(*) FROM generate_series(1, 3000000) t(v) GROUP BY 1",
        );
        assert!(output.status.success(), "{}", stderr(&output));
        total_spills(&stdout(&output))
    };
    assert!(
        spills(Some("4M")) > 0,
        "the aggregation spilled under 4 MiB"
    );
    assert_eq!(spills(None), 0, "no spilling without a limit");
    // Under a limit the aggregation has no hash repartition, whose spilling can hang in
    // DataFusion 55; without one it keeps it.
    let plan = |limit: Option<&str>| {
        let output = run_sql(
            limit,
            "EXPLAIN SELECT v % 300000 AS g, count(*) FROM generate_series(1, 3000000) t(v) GROUP BY 1",
        );
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let limited = plan(Some("4M"));
    assert!(!limited.contains("partitioning=Hash"), "{limited}");
    let free = plan(None);
    assert!(free.contains("partitioning=Hash"), "{free}");

    let output = run_sql(
        Some("1M"),
        "SELECT count(*) FROM generate_series(1, 1000000) a JOIN generate_series(1, 1000000) b ON a.value = b.value",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .starts_with("ошибка: запросу не хватило памяти: предел --memory-limit — 1024.0 KB"),
        "{}",
        stderr(&output)
    );
    // The details go on past DataFusion's first line to the operators that used the memory.
    assert!(
        stderr(&output).contains("(can spill: false) consumed "),
        "{}",
        stderr(&output)
    );
    let output = run_sql(Some("много"), "SELECT 1");
    assert!(stderr(&output).contains("«много» не годится для --memory-limit"));
    // Ten bytes could not hold one batch; a number without a unit is bytes.
    let output = run_sql(Some("10"), "SELECT 1");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("«10» не годится для --memory-limit: нужен размер не меньше 1M")
    );
    // A negative size after a space is taken as the value, not as an unknown option.
    let output = run_sql(Some("-1G"), "SELECT 1");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("«-1G» не годится для --memory-limit"),
        "{}",
        stderr(&output)
    );
    let output = run(crmsql(home.path())
        .env("CRMSQL_MEMORY_LIMIT", "zzz")
        .args(["-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("«zzz» в переменной CRMSQL_MEMORY_LIMIT не годится"),
        "{}",
        stderr(&output)
    );
}

/// Adds up the `spill_count` metrics of an EXPLAIN ANALYZE plan.
/// Under a limit of a few MiB a core, a sort spills many files and still merges them, with the
/// same result as without a limit. DataFusion's default merge set aside 10 MiB a sort and read
/// every spill file at once, so this sort failed under 32 MiB.
#[test]
fn memory_limit_sort_merges_its_spill_files() {
    let home = tempfile::tempdir().unwrap();
    // The largest k of each of 5,000 names among 5,000,000 rows: the window sorts every row.
    let sql = "SELECT count(*) AS names, sum(k) AS top_k FROM (SELECT k, row_number() OVER \
               (PARTITION BY s ORDER BY k DESC) AS rn FROM (SELECT v % 1000 AS k, 'name ' || \
               (v % 5000) AS s FROM generate_series(1, 5000000) t(v)) u) w WHERE rn = 1";
    let run_sql = |limit: Option<&str>, sql: &str| {
        let mut command = crmsql(home.path());
        if let Some(limit) = limit {
            command.args(["--memory-limit", limit]);
        }
        let output = run(command.args(["--format", "csv", "-c", sql]));
        assert!(output.status.success(), "{limit:?}: {}", stderr(&output));
        stdout(&output)
    };
    let free = parse_csv(&run_sql(None, sql));
    assert_eq!(free[0]["names"], "5000");
    for limit in ["8M", "16M"] {
        assert_eq!(parse_csv(&run_sql(Some(limit), sql)), free, "under {limit}");
    }
    let plan = run_sql(Some("16M"), &format!("EXPLAIN ANALYZE {sql}"));
    assert!(
        total_spills(&plan) > 0,
        "the sort spilled under 16 MiB: {plan}"
    );

    // Under a limit, text reads as plain strings, whose memory DataFusion counts exactly.
    let text_type = "SELECT arrow_typeof(name) AS t FROM deals LIMIT 1";
    assert_eq!(run_sql(Some("64M"), text_type), "t\nUtf8\n");
    assert_eq!(run_sql(None, text_type), "t\nUtf8View\n");
}

fn total_spills(plan: &str) -> u64 {
    plan.split("spill_count=")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

/// The settings file contains options for every run: its memory limit makes an aggregation spill,
/// a typed option or the variable wins over it, and a bad line names the file.
#[test]
fn settings_file_sets_the_memory_limit() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".config/crmsql");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("config"),
        "# limits for the shared server\n--memory-limit=4M  # small on purpose\n\n--maxrows\n5\n",
    )
    .unwrap();
    let explain = "EXPLAIN ANALYZE SELECT v % 300000 AS g, count(*) FROM generate_series(1, 3000000) t(v) GROUP BY 1";
    let spills = |command: &mut std::process::Command| -> u64 {
        let output = run(command.args(["--format", "csv", "-c", explain]));
        assert!(output.status.success(), "{}", stderr(&output));
        total_spills(&stdout(&output))
    };
    assert!(
        spills(&mut crmsql(home.path())) > 0,
        "the file's limit holds"
    );
    assert_eq!(
        spills(crmsql(home.path()).args(["--memory-limit", "1G"])),
        0,
        "a typed limit wins"
    );
    assert_eq!(
        spills(crmsql(home.path()).env("CRMSQL_MEMORY_LIMIT", "1G")),
        0,
        "the variable wins"
    );
    assert!(
        spills(crmsql(home.path()).env("CRMSQL_CONFIG", "")) == 0,
        "an empty CRMSQL_CONFIG turns the file off"
    );

    // Errors name the line; the last of two limits is the one that counts.
    std::fs::write(
        folder.join("config"),
        "--memory-limit=1G\n# the server\n--memory-limit 2X\n--pager=off\n",
    )
    .unwrap();
    let output = run(crmsql(home.path()).args(["-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("в файле настроек"), "{message}");
    assert!(message.contains("config, строка 3:"), "{message}");
    assert!(
        message.contains("«2X» не годится для --memory-limit"),
        "{message}"
    );

    std::fs::write(
        folder.join("config"),
        "--maxrows\n5\n\n--memory-limt=4M\n--pager=off\n",
    )
    .unwrap();
    let output = run(crmsql(home.path()).args(["-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("в файле настроек"), "{message}");
    assert!(message.contains("crmsql/config, строка 4:"), "{message}");
    assert!(message.contains("--memory-limit"), "{message}");

    // An option that misses its value on the last line, also one that takes a value starting
    // with a hyphen: it does not take the typed `-c` as its value.
    for (text, option) in [
        ("--pager=off\n--lang\n", "--lang"),
        ("--pager=off\n--memory-limit\n", "--memory-limit"),
    ] {
        std::fs::write(folder.join("config"), text).unwrap();
        let output = run(crmsql(home.path()).args(["-c", "SELECT 1"]));
        assert_eq!(output.status.code(), Some(1));
        let message = stderr(&output);
        assert!(message.contains("config, строка 2:"), "{message}");
        assert!(message.contains(&format!("для {option} <")), "{message}");
    }

    // What belongs to one run is refused in the file, with its line.
    for (text, expected) in [
        (
            "--pager=off\n-c\nSELECT 2\n",
            "строка 2: --command — параметр одного запуска",
        ),
        (
            "# out\n--output=out.csv\n",
            "строка 2: --output — параметр одного запуска",
        ),
        ("run\nsales_overview\n", "строка 1: run — команда"),
        (
            "--pager=off\nrun sales_overview\n",
            "строка 2: run — команда",
        ),
        ("--lang=xx\n", "строка 1: неизвестный язык «xx»"),
    ] {
        std::fs::write(folder.join("config"), text).unwrap();
        let output = run(crmsql(home.path()).args(["-c", "SELECT 1"]));
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }

    // A byte order mark before the first line is no part of it.
    std::fs::write(folder.join("config"), "\u{feff}--maxrows=1\n").unwrap();
    let output = run(crmsql(home.path()).args(["-c", "SELECT * FROM generate_series(1, 3)"]));
    assert!(output.status.success(), "{}", stderr(&output));

    // A warehouse path from the file that leads nowhere: the hint names the line, and the
    // comment after the path is not part of it.
    let missing = home.path().join("missing-warehouse");
    std::fs::write(
        folder.join("config"),
        format!(
            "# shared\n--warehouse={}  # the old server\n",
            missing.display()
        ),
    )
    .unwrap();
    let output = run(crmsql(home.path()).args(["-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("хранилище {} не найдено", missing.display())),
        "{message}"
    );
    assert!(
        message.contains("подсказка: путь к хранилищу задан в файле настроек"),
        "{message}"
    );
    assert!(message.contains("config, строка 2"), "{message}");
    let output = run(crmsql(home.path())
        .env("CRMSQL_WAREHOUSE", &missing)
        .args(["-c", "SELECT 1"]));
    let message = stderr(&output);
    assert!(
        message.contains("подсказка: путь к хранилищу задан переменной CRMSQL_WAREHOUSE"),
        "{message}"
    );

    let output = run(crmsql(home.path())
        .env("CRMSQL_CONFIG", home.path().join("missing.conf"))
        .args(["-c", "SELECT 1"]));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("не удалось прочитать файл настроек") && message.contains("missing.conf"),
        "{message}"
    );
}

/// A history file whose folder is missing is reported once at start, and the folder is not
/// created.
#[test]
fn repl_history_in_missing_folder() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("wh")).unwrap();
    let history = home.path().join("nodir").join("h.txt");
    let args = format!(
        "--warehouse {} --history-file {}",
        home.path().join("wh").display(),
        history.display()
    );
    let shown = run_repl(
        home.path(),
        &args,
        &[
            ("SELECT 1 AS a;\r", 800),
            ("SELECT 2 AS b;\r", 800),
            ("\\q\r", 300),
        ],
    );
    assert_eq!(shown.matches("папки для истории").count(), 1, "{shown}");
    assert!(!shown.contains("failed to save"), "{shown}");
    assert!(!home.path().join("nodir").exists());
}

/// `\i` runs a file as a script: its commands, its statements, and past a failing one.
#[test]
fn repl_includes_a_script() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("wh")).unwrap();
    let script = home.path().join("inc.sql");
    std::fs::write(
        &script,
        "\\format csv\nSELECT 1 AS a;\nSELECT nosuch;\nSELECT 2 AS b;\n",
    )
    .unwrap();
    let args = format!("--warehouse {}", home.path().join("wh").display());
    let shown = run_repl(
        home.path(),
        &args,
        &[
            (&format!("\\i {}\r", script.display()), 800),
            ("\\q\r", 300),
        ],
    )
    .replace("\r\n", "\n");
    assert!(shown.contains("a\n1\n"), "{shown}");
    assert!(
        shown.contains(&format!(
            "{}, строка 3: столбца «nosuch» нет",
            script.display()
        )),
        "{shown}"
    );
    assert!(shown.contains("b\n2\n"), "the script went on: {shown}");
}
