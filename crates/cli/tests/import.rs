//! End-to-end tests of importing into a warehouse that already has data, of tables other than
//! deals, and of the dry-run and strict modes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// Figures of the CDNOW purchase history computed straight from the text file.
struct CdnowFigures {
    rows: usize,
    cents: i64,
    customers: usize,
    first_date: String,
    last_date: String,
    first_row: Vec<String>,
}

fn read_cdnow(path: &Path) -> CdnowFigures {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["customer_id", "date", "number_of_cds", "dollar_value"]
    );
    let mut figures = CdnowFigures {
        rows: 0,
        cents: 0,
        customers: 0,
        first_date: "99999999".to_owned(),
        last_date: String::new(),
        first_row: Vec::new(),
    };
    let mut customers = BTreeSet::new();
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 4, "{line}");
        if figures.first_row.is_empty() {
            figures.first_row = fields.iter().map(|f| f.to_string()).collect();
        }
        figures.rows += 1;
        let (dollars, cents) = fields[3].split_once('.').unwrap();
        figures.cents += dollars.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
        customers.insert(fields[0].to_owned());
        figures.first_date = figures.first_date.clone().min(fields[1].to_owned());
        figures.last_date = figures.last_date.clone().max(fields[1].to_owned());
    }
    figures.customers = customers.len();
    figures
}

fn iso(compact: &str) -> String {
    format!("{}-{}-{}", &compact[..4], &compact[4..6], &compact[6..])
}

#[test]
fn cdnow_purchases_types_and_rows() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = data_sets().join("cdnow/CDNOW_master.txt");
    let expected = read_cdnow(&path);
    assert_eq!(expected.rows, 69_659);

    let output = import_with(home.path(), &warehouse, &["--table", "purchases"], &[&path]);
    assert!(output.status.success());

    let types = query(
        home.path(),
        &warehouse,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_name = 'purchases' ORDER BY ordinal_position",
    );
    let types: Vec<(String, String)> = types
        .iter()
        .map(|r| (r["column_name"].clone(), r["data_type"].clone()))
        .collect();
    assert_eq!(
        types,
        [
            ("customer_id".to_owned(), "Utf8View".to_owned()),
            ("date".to_owned(), "Date32".to_owned()),
            ("quantity".to_owned(), "Int64".to_owned()),
            ("amount".to_owned(), "Decimal128(18, 2)".to_owned()),
        ]
    );

    let totals = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n, CAST(sum(amount) * 100 AS BIGINT) AS cents, \
         count(DISTINCT customer_id) AS customers, CAST(min(date) AS VARCHAR) AS first, \
         CAST(max(date) AS VARCHAR) AS last FROM purchases",
    );
    assert_eq!(totals[0]["n"], expected.rows.to_string());
    assert_eq!(totals[0]["cents"], expected.cents.to_string());
    assert_eq!(totals[0]["customers"], expected.customers.to_string());
    assert_eq!(totals[0]["first"], iso(&expected.first_date));
    assert_eq!(totals[0]["last"], iso(&expected.last_date));

    // Zero-padded customer ids keep their digits.
    let first = &expected.first_row;
    let row = query(
        home.path(),
        &warehouse,
        &format!(
            "SELECT customer_id, CAST(date AS VARCHAR) AS date, quantity, \
             CAST(amount AS VARCHAR) AS amount FROM purchases \
             WHERE customer_id = '{}' ORDER BY date, amount LIMIT 1",
            first[0]
        ),
    );
    assert_eq!(row[0]["customer_id"], first[0]);
    assert_eq!(row[0]["date"], iso(&first[1]));
    assert_eq!(row[0]["quantity"], first[2]);
    assert_eq!(row[0]["amount"], first[3]);

    // The same file again adds nothing.
    let again = import_with(home.path(), &warehouse, &["--table", "purchases"], &[&path]);
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("уже импортирован в таблицу purchases"),
        "{}",
        stderr(&again)
    );
    let count = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM purchases",
    );
    assert_eq!(count[0]["n"], expected.rows.to_string());
}

const DEALS_HEADER: &str =
    "ID,Название сделки,Бюджет,Ответственный,Дата редактирования,Этап сделки,Воронка\n";

/// The purchase reports run on the CDNOW history and equal a recomputation from the text file.
#[test]
fn purchase_reports_match_recomputation() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = data_sets().join("cdnow/CDNOW_master.txt");
    let output = import_with(home.path(), &warehouse, &["--table", "purchases"], &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut arguments = Vec::new();
    for (report, option, args) in [
        (
            "purchase_rfm_segments",
            ":1998-07-01",
            &["--param", "as_of=1998-07-01"][..],
        ),
        ("purchase_segments", "", &[][..]),
    ] {
        let result = home.path().join(format!("{report}.csv"));
        let output = run(crmsql(home.path())
            .arg("--warehouse")
            .arg(&warehouse)
            .args(["--format", "csv", "run", report, "--output"])
            .arg(&result)
            .args(args));
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(parse_csv(&std::fs::read_to_string(&result).unwrap()).len() > 3);
        arguments.push(format!("{report}{option}={}", result.display()));
    }
    let check = run(std::process::Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_purchase_reports.py"))
        .arg(&path)
        .args(&arguments));
    assert!(check.status.success(), "{}", stderr(&check));
}

/// The RFM report over amoCRM's own customers runs on their transactions and equals a
/// recomputation from the API page.
#[test]
fn transaction_rfm_matches_recomputation() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // Twenty customers with one to six purchases each, spread over 2024, one deleted.
    let mut transactions = Vec::new();
    for n in 0..60u32 {
        let customer = 1_400_000 + (n * 7 % 20);
        let completed = 1_704_067_200 + i64::from(n * 37 % 365) * 86_400 + i64::from(n % 5) * 3_600;
        transactions.push(serde_json::json!({
            "id": 1_500_000 + n,
            "customer_id": customer,
            "price": 1_000 + n * 250 % 9_000,
            "completed_at": completed,
            "created_at": completed,
            "updated_at": completed,
            "is_deleted": n == 13,
            "account_id": 30000001,
        }));
    }
    let page = home.path().join("transactions.json");
    std::fs::write(
        &page,
        serde_json::json!({"_embedded": {"transactions": transactions}}).to_string(),
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&page]);
    assert!(output.status.success(), "{}", stderr(&output));
    let result = home.path().join("rfm.csv");
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args([
            "--format",
            "csv",
            "run",
            "transaction_rfm_segments",
            "--output",
        ])
        .arg(&result)
        .args(["--param", "as_of=2025-01-01"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(parse_csv(&std::fs::read_to_string(&result).unwrap()).len() > 2);
    let check = run(std::process::Command::new("python3")
        .arg(workspace().join("tests/crosscheck/check_purchase_reports.py"))
        .arg(&page)
        .arg(format!(
            "transaction_rfm_segments:2025-01-01={}",
            result.display()
        )));
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn deals_reimport_updates_by_id() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let january = home.path().join("amocrm_export_leads_2024-01-31.csv");
    let february = home.path().join("amocrm_export_leads_2024-02-29.csv");
    std::fs::write(
        &january,
        format!(
            "{DEALS_HEADER}1,Первая,100,Иван,10.01.2024 10:00:00,Переговоры,Продажи\n\
             2,Вторая,200,Иван,11.01.2024 10:00:00,Переговоры,Продажи\n\
             3,Третья,300,Иван,25.02.2024 10:00:00,Переговоры,Продажи\n"
        ),
    )
    .unwrap();
    // Deal 2 changed after January; deal 3 has an older copy here than in January's file;
    // deal 4 is new.
    std::fs::write(
        &february,
        format!(
            "{DEALS_HEADER}2,Вторая,250,Иван,20.02.2024 12:00:00,Успешно реализовано,Продажи\n\
             3,Третья,1,Иван,01.01.2024 10:00:00,Переговоры,Продажи\n\
             4,Четвёртая,400,Мария,21.02.2024 09:00:00,Переговоры,Продажи\n"
        ),
    )
    .unwrap();

    assert!(
        import(home.path(), &warehouse, &[&january])
            .status
            .success()
    );
    let output = import(home.path(), &warehouse, &[&february]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains(
            "deals: 1 новая строка, заменили прежние копии: 1, пропущены как устаревшие: 1; \
             всего в таблице 4 строки"
        ),
        "{}",
        stdout(&output)
    );
    let sql = "SELECT id, CAST(budget AS VARCHAR) AS budget, outcome FROM deals ORDER BY id";
    let after = query(home.path(), &warehouse, sql);
    let budgets: Vec<(&str, &str)> = after
        .iter()
        .map(|r| (r["id"].as_str(), r["budget"].as_str()))
        .collect();
    assert_eq!(
        budgets,
        [
            ("1", "100.00"),
            ("2", "250.00"),
            ("3", "300.00"),
            ("4", "400.00")
        ]
    );
    assert_eq!(after[1]["outcome"], "won");

    // Importing January again changes nothing: its copies are older or the same.
    let output = import(home.path(), &warehouse, &[&january]);
    assert!(output.status.success());
    assert_eq!(query(home.path(), &warehouse, sql), after);
    let output = import(home.path(), &warehouse, &[&february]);
    assert!(output.status.success());
    assert_eq!(query(home.path(), &warehouse, sql), after);
}

#[test]
fn ad_spend_and_expenses_recognized() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let spend = home.path().join("direct.csv");
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход, руб.;Клики;Показы\n\
         01.03.2024;Яндекс Директ;Бренд;1 250,50;40;1 200\n\
         02.03.2024;Яндекс Директ;Бренд;999,99;31;1 100\n\
         02.03.2024;VK Реклама;Ретаргет;500;12;900\n",
    )
    .unwrap();
    let expenses = home.path().join("expenses.csv");
    std::fs::write(
        &expenses,
        "Месяц,Статья,Сумма\nМарт 2024,Аренда,\"120 000\"\n2024-04,Аренда,\"120000,00\"\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&spend, &expenses]);
    assert!(output.status.success());

    let rows = query(
        home.path(),
        &warehouse,
        "SELECT CAST(date AS VARCHAR) AS date, channel, campaign, CAST(spend AS VARCHAR) AS spend, \
         clicks, impressions FROM ad_spend ORDER BY date, channel",
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["date"], "2024-03-01");
    assert_eq!(rows[0]["spend"], "1250.50");
    assert_eq!(rows[0]["impressions"], "1200");
    assert_eq!(rows[2]["channel"], "Яндекс Директ");
    assert_eq!(rows[2]["clicks"], "31");

    let months = query(
        home.path(),
        &warehouse,
        "SELECT CAST(month AS VARCHAR) AS month, category, CAST(amount AS VARCHAR) AS amount \
         FROM expenses ORDER BY month",
    );
    assert_eq!(months[0]["month"], "2024-03-01");
    assert_eq!(months[1]["month"], "2024-04-01");
    assert_eq!(months[1]["amount"], "120000.00");

    // A corrected report replaces the rows with the same date, channel and campaign.
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход, руб.;Клики;Показы\n02.03.2024;VK Реклама;Ретаргет;650;15;950\n",
    )
    .unwrap();
    assert!(import(home.path(), &warehouse, &[&spend]).status.success());
    let total = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n, CAST(sum(spend) AS VARCHAR) AS spend FROM ad_spend",
    );
    assert_eq!(total[0]["n"], "3");
    assert_eq!(total[0]["spend"], "2900.49");
}

#[test]
fn dry_run_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = samples().join("synthetic_leads_cp1251_semicolon.csv");
    let output = import_with(home.path(), &warehouse, &["--dry-run"], &[&path]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("→ таблица deals: формат csv, кодировка windows-1251, разделитель «;»"),
        "{text}"
    );
    assert!(text.contains("→ budget DECIMAL(18, 2)"), "{text}");
    assert!(text.contains("ничего не записано"), "{text}");
    assert!(!warehouse.exists());

    let cdnow = data_sets().join("cdnow/CDNOW_master.txt");
    let output = import_with(
        home.path(),
        &warehouse,
        &["--dry-run", "--table", "purchases"],
        &[&cdnow],
    );
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("69\u{202f}659 строк данных"), "{text}");
    assert!(text.contains("«date» → date DATE"), "{text}");
    assert!(!warehouse.exists());
}

#[test]
fn strict_import_keeps_warehouse() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let good = home.path().join("good.csv");
    std::fs::write(
        &good,
        format!("{DEALS_HEADER}1,Первая,100,Иван,10.01.2024 10:00:00,Переговоры,Продажи\n"),
    )
    .unwrap();
    assert!(import(home.path(), &warehouse, &[&good]).status.success());
    let bad = home.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{DEALS_HEADER}2,Вторая,сто,Иван,10.01.2024 10:00:00,Переговоры,Продажи\n\
             3,Третья,300,Иван,10.01.2024 10:00:00,Переговоры,Продажи\n"
        ),
    )
    .unwrap();
    let output = import_with(home.path(), &warehouse, &["--strict"], &[&bad]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("задан --strict"), "{message}");
    assert!(
        message.contains("bad.csv, строка 2, столбец «Бюджет», значение «сто»"),
        "{message}"
    );
    let rows = query(home.path(), &warehouse, "SELECT id FROM deals");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], "1");
}

#[test]
fn koi8_r_table_detected() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("clients.csv");
    let (bytes, _, _) = encoding_rs::KOI8_R
        .encode("Клиент;Город;Сумма покупок\nИванов;Москва;1500,50\nПетрова;Казань;700\n");
    std::fs::write(&path, &bytes).unwrap();
    let output = import_with(home.path(), &warehouse, &["--table", "clients"], &[&path]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("кодировка koi8-r"),
        "{}",
        stdout(&output)
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT klient, gorod, CAST(summa_pokupok AS VARCHAR) AS total FROM clients ORDER BY klient",
    );
    assert_eq!(rows[0]["klient"], "Иванов");
    assert_eq!(rows[1]["gorod"], "Казань");
    assert_eq!(rows[0]["total"], "1500.50");
}

/// Writes a demo export of `rows` deals and returns its path.
fn demo_file(home: &Path, rows: u64) -> std::path::PathBuf {
    let path = home.join(format!("amocrm_export_leads_{rows}.csv"));
    let output = run(crmsql(home)
        .args(["demo", "--rows", &rows.to_string(), "--output"])
        .arg(&path));
    assert!(output.status.success());
    path
}

/// Files under `data/deals` of a warehouse.
fn data_files(warehouse: &Path) -> BTreeSet<std::path::PathBuf> {
    std::fs::read_dir(warehouse.join("data/deals"))
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// Waits until the import started by `child` has written a data file of its own.
fn wait_for_new_file(warehouse: &Path, before: &BTreeSet<std::path::PathBuf>) {
    let started = std::time::Instant::now();
    while data_files(warehouse).is_subset(before) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the import wrote no file"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

const CHECK_SQL: &str = "SELECT count(*) AS n, CAST(sum(budget) AS VARCHAR) AS budget FROM deals";

#[test]
fn killed_import_keeps_warehouse() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let small = demo_file(home.path(), 500);
    let big = demo_file(home.path(), 400_000);
    assert!(import(home.path(), &warehouse, &[&small]).status.success());
    let old = query(home.path(), &warehouse, CHECK_SQL);
    assert_eq!(old[0]["n"], "500");

    let before = data_files(&warehouse);
    let mut child = crmsql(home.path())
        .arg("import")
        .arg("--warehouse")
        .arg(&warehouse)
        .arg(&big)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_new_file(&warehouse, &before);
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(query(home.path(), &warehouse, CHECK_SQL), old);
    // The next import succeeds and removes what the killed one left behind.
    let output = import(home.path(), &warehouse, &[&small]);
    assert!(output.status.success());
    assert_eq!(query(home.path(), &warehouse, CHECK_SQL), old);
    // Only the files of the current snapshot remain.
    let current = std::fs::read_to_string(warehouse.join("CURRENT")).unwrap();
    let snapshot = read_json(&warehouse.join("snapshots").join(current.trim()));
    let listed = snapshot["tables"]["deals"]["files"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(data_files(&warehouse).len(), listed);
}

#[test]
fn readers_and_writer_during_import() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let small = demo_file(home.path(), 500);
    let big = demo_file(home.path(), 200_000);
    assert!(import(home.path(), &warehouse, &[&small]).status.success());
    let old = query(home.path(), &warehouse, CHECK_SQL);

    let before = data_files(&warehouse);
    let writer = crmsql(home.path())
        .arg("import")
        .arg("--warehouse")
        .arg(&warehouse)
        .arg(&big)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_new_file(&warehouse, &before);

    // A second import waits for the first, prints a message, and then succeeds.
    let second = crmsql(home.path())
        .arg("import")
        .arg("--warehouse")
        .arg(&warehouse)
        .arg(&small)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Readers meanwhile see the old warehouse or the new one, never an error or a mix.
    let mut seen_old = false;
    for _ in 0..5 {
        let rows = query(home.path(), &warehouse, CHECK_SQL);
        seen_old |= rows == old;
        assert!(rows == old || rows[0]["n"] == "200000", "{rows:?}");
    }
    assert!(seen_old);

    let writer = writer.wait_with_output().unwrap();
    assert!(writer.status.success(), "{}", stderr(&writer));
    let second = second.wait_with_output().unwrap();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("занято другим импортом; жду"),
        "{}",
        stderr(&second)
    );
    // The demo exports share their first ids, so the small one updates rows of the big one.
    let new = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    assert_eq!(new[0]["n"], "200000");
}

#[test]
fn contacts_export_splits_by_type() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = samples().join("synthetic_contacts_legacy_utf8_comma.csv");
    // Expected values from an independent reading of the file.
    let rows = parse_csv(&std::fs::read_to_string(&path).unwrap());
    let contact = rows.iter().find(|r| r["Тип"] == "контакт").unwrap();
    let company = rows.iter().find(|r| r["Тип"] == "компания").unwrap();

    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());

    let contacts = query(
        home.path(),
        &warehouse,
        "SELECT id, name, first_name, last_name, company, manager, position, \
         array_to_string(phones, '|') AS phones, array_to_string(emails, '|') AS emails, \
         CAST(created_at AS VARCHAR) AS created_at FROM contacts",
    );
    assert_eq!(contacts.len(), 1);
    let got = &contacts[0];
    assert_eq!(got["id"], contact["ID"]);
    assert_eq!(got["name"], contact["Полное имя контакта"]);
    assert_eq!(got["first_name"], contact["Имя"]);
    assert_eq!(got["last_name"], contact["Фамилия"]);
    assert_eq!(got["company"], contact["Название компании"]);
    assert_eq!(got["manager"], contact["Ответственный"]);
    assert_eq!(got["position"], contact["Должность"]);
    let phones: Vec<&str> = ["Рабочий телефон", "Мобильный телефон"]
        .iter()
        .map(|label| contact[*label].as_str())
        .collect();
    assert_eq!(got["phones"], phones.join("|"));
    assert_eq!(got["emails"], contact["Рабочий email"]);
    // 11:58:20 Moscow time is 08:58:20 UTC.
    assert!(
        got["created_at"].starts_with("2024-06-03T08:58:20")
            || got["created_at"].starts_with("2024-06-03T11:58:20+03:00"),
        "{}",
        got["created_at"]
    );

    let companies = query(
        home.path(),
        &warehouse,
        "SELECT id, name, web, address, array_to_string(tags, '|') AS tags, \
         array_to_string(phones, '|') AS phones FROM companies",
    );
    assert_eq!(companies.len(), 1);
    let got = &companies[0];
    assert_eq!(got["id"], company["ID"]);
    assert_eq!(got["name"], company["Полное имя контакта"]);
    assert_eq!(got["web"], company["Web"]);
    assert_eq!(got["address"], company["Адрес"]);
    assert_eq!(got["tags"], company["Теги"]);
    assert_eq!(got["phones"], company["Рабочий телефон"]);
    let columns = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM information_schema.columns \
         WHERE table_name = 'companies' AND column_name IN ('first_name', 'position')",
    );
    assert_eq!(columns[0]["n"], "0");
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Formats Unix seconds as Moscow wall time the way DataFusion prints the column.
fn moscow(seconds: i64) -> String {
    // Moscow has kept UTC+3 since 2014.
    let local = seconds + 3 * 3600;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+03:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Converts days since 1970-01-01 to a calendar date (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[test]
fn api_pages_fill_every_table() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 10);
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let output = import(home.path(), &warehouse, &paths);
    assert!(output.status.success());

    // Expected values straight from the JSON.
    let users = read_json(&samples().join("api_v4_users_page.json"));
    let user_name = |id: &serde_json::Value| -> String {
        users["_embedded"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == *id)
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let pipelines = read_json(&samples().join("api_v4_pipelines.json"));
    let pipeline = &pipelines["_embedded"]["pipelines"][0];
    let stage_name = |id: &serde_json::Value| -> String {
        pipeline["_embedded"]["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == *id)
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let leads = read_json(&samples().join("api_v4_leads_page.json"));
    let deals = query(
        home.path(),
        &warehouse,
        "SELECT id, name, CAST(budget AS VARCHAR) AS budget, manager, pipeline, stage, outcome, \
         loss_reason, array_to_string(tags, ',') AS tags, CAST(created_at AS VARCHAR) AS created_at, \
         CAST(closed_at AS VARCHAR) AS closed_at, utm_source FROM deals ORDER BY id",
    );
    assert_eq!(deals.len(), 5);
    for lead in leads["_embedded"]["leads"].as_array().unwrap() {
        let id = lead["id"].to_string();
        let row = deals.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(row["name"], lead["name"].as_str().unwrap());
        assert_eq!(row["budget"], format!("{}.00", lead["price"]));
        assert_eq!(row["manager"], user_name(&lead["responsible_user_id"]));
        assert_eq!(row["pipeline"], pipeline["name"].as_str().unwrap());
        assert_eq!(row["stage"], stage_name(&lead["status_id"]));
        let expected_outcome = match lead["status_id"].as_i64() {
            Some(142) => "won",
            Some(143) => "lost",
            _ => "open",
        };
        assert_eq!(row["outcome"], expected_outcome);
        assert_eq!(
            row["created_at"],
            moscow(lead["created_at"].as_i64().unwrap())
        );
        match lead["closed_at"].as_i64() {
            Some(closed) => assert_eq!(row["closed_at"], moscow(closed)),
            None => assert_eq!(row["closed_at"], ""),
        }
        let tags: Vec<&str> = lead["_embedded"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(row["tags"], tags.join(","));
        if expected_outcome == "lost" {
            assert_eq!(
                row["loss_reason"],
                lead["_embedded"]["loss_reason"][0]["name"]
                    .as_str()
                    .unwrap()
            );
        }
    }
    assert_eq!(deals[2]["utm_source"], "yandex");

    // Leads of the real shape, whose users and pipeline the import does not have: the names
    // stay empty, the ids and values are kept.
    let real = read_json(&samples().join("api_v4_leads_page_real_shape.json"));
    let real_rows = query(
        home.path(),
        &warehouse,
        "SELECT id, name, CAST(budget AS VARCHAR) AS budget, manager, pipeline, pipeline_id,          status_id, outcome, CAST(created_at AS VARCHAR) AS created_at, company_id, account_id          FROM deals WHERE account_id = 30000002 ORDER BY id",
    );
    let real_leads = real["_embedded"]["leads"].as_array().unwrap();
    assert_eq!(real_rows.len(), real_leads.len());
    for (row, lead) in real_rows.iter().zip(real_leads) {
        assert_eq!(row["id"], lead["id"].to_string());
        assert_eq!(row["name"], lead["name"].as_str().unwrap());
        assert_eq!(row["budget"], format!("{}.00", lead["price"]));
        assert_eq!(row["manager"], "");
        assert_eq!(row["pipeline"], "");
        assert_eq!(row["pipeline_id"], lead["pipeline_id"].to_string());
        assert_eq!(row["status_id"], lead["status_id"].to_string());
        assert_eq!(row["outcome"], "open");
        assert_eq!(
            row["created_at"],
            moscow(lead["created_at"].as_i64().unwrap())
        );
        let company = lead["_embedded"]["companies"][0]["id"].to_string();
        assert_eq!(
            row["company_id"],
            if company == "null" {
                String::new()
            } else {
                company
            }
        );
    }

    // Custom field values, keyed by field id, numbers read from strings by the field type.
    let values = query(
        home.path(),
        &warehouse,
        "SELECT field_id, value, value_number, enum_id FROM custom_field_values \
         WHERE entity_type = 'leads' AND entity_id = 41000001 ORDER BY field_id, position",
    );
    let first_lead = &leads["_embedded"]["leads"][0]["custom_fields_values"];
    let expected: usize = first_lead
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["values"].as_array().unwrap().len())
        .sum();
    assert_eq!(values.len(), expected);
    let margin = values.iter().find(|v| v["field_id"] == "610004").unwrap();
    assert_eq!(margin["value_number"], "37000.5");
    let services: Vec<&str> = values
        .iter()
        .filter(|v| v["field_id"] == "610002")
        .map(|v| v["enum_id"].as_str())
        .collect();
    assert_eq!(services, ["820011", "820012"]);

    // The other entities.
    let count = |table: &str| {
        query(
            home.path(),
            &warehouse,
            &format!("SELECT count(*) AS n FROM {table}"),
        )[0]["n"]
            .clone()
    };
    assert_eq!(count("users"), "2");
    assert_eq!(count("pipelines"), "1");
    assert_eq!(
        count("statuses"),
        pipeline["_embedded"]["statuses"]
            .as_array()
            .unwrap()
            .len()
            .to_string()
    );
    assert_eq!(count("custom_fields"), "2");
    assert_eq!(count("custom_field_enums"), "2");
    let product = query(
        home.path(),
        &warehouse,
        "SELECT name, sku, CAST(price AS VARCHAR) AS price FROM catalog_elements",
    );
    assert_eq!(product[0]["sku"], "ARB-1000");
    assert_eq!(product[0]["price"], "6000.00");
    let purchase = query(
        home.path(),
        &warehouse,
        "SELECT t.customer_id, CAST(t.price AS VARCHAR) AS price, i.catalog_element_id, i.quantity \
         FROM transactions t JOIN transaction_items i ON i.transaction_id = t.id",
    );
    assert_eq!(purchase[0]["customer_id"], "1400001");
    assert_eq!(purchase[0]["price"], "12000.00");
    assert_eq!(purchase[0]["quantity"], "2.0");
    let customer = query(
        home.path(),
        &warehouse,
        "SELECT CAST(ltv AS VARCHAR) AS ltv, purchases_count, manager FROM customers",
    );
    assert_eq!(customer[0]["ltv"], "78000.00");
    assert_eq!(customer[0]["manager"], "Мария Кузнецова");
    let change = query(
        home.path(),
        &warehouse,
        "SELECT deal_id, stage_before, stage_after, outcome_after FROM lead_status_changes",
    );
    assert_eq!(change[0]["deal_id"], "41000001");
    assert_eq!(change[0]["stage_before"], "Переговоры");
    assert_eq!(change[0]["stage_after"], "Успешно реализовано");
    let contact = query(
        home.path(),
        &warehouse,
        "SELECT array_to_string(phones, ',') AS phones, array_to_string(mobile_phone, ',') AS mobile, \
         position FROM contacts",
    );
    assert_eq!(contact[0]["phones"], "+79001112233,+79004445566");
    assert_eq!(contact[0]["mobile"], "+79004445566");
    assert_eq!(contact[0]["position"], "Закупщик");
}

#[test]
fn api_json_lines_merge_and_reject() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let leads = read_json(&samples().join("api_v4_leads_page.json"));
    let mut lines: Vec<String> = leads["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.to_string())
        .collect();
    lines.insert(
        1,
        "{\"id\": 41000009, \"price\": \"много\", \"status_id\": 1, \"pipeline_id\": 1}".to_owned(),
    );
    lines.push("{broken".to_owned());
    let path = home.path().join("leads.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();

    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    let rejects = parse_csv(
        std::fs::read_to_string(warehouse.join("_rejects/deals.csv"))
            .unwrap()
            .trim_start_matches('\u{feff}'),
    );
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0]["line"], "2");
    assert_eq!(rejects[0]["column"], "$.price");
    // The rejects file keeps the line as written, spaces and key order included.
    assert_eq!(
        rejects[0]["record"],
        "{\"id\": 41000009, \"price\": \"много\", \"status_id\": 1, \"pipeline_id\": 1}"
    );
    assert_eq!(rejects[0]["value"], "\"много\"");
    assert_eq!(rejects[0]["reason_code"], "invalid_money");
    assert_eq!(rejects[1]["line"], "5");
    assert_eq!(rejects[1]["reason_code"], "invalid_json");
    let count = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    assert_eq!(count[0]["n"], "3");

    // The same leads again change nothing; their custom field values are not doubled.
    let before = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM custom_field_values",
    );
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    assert_eq!(
        query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals"),
        count
    );
    assert_eq!(
        query(
            home.path(),
            &warehouse,
            "SELECT count(*) AS n FROM custom_field_values"
        ),
        before
    );
}

/// An entity listed twice, in one page or in two files, keeps one set of custom field values:
/// those of its newest copy.
#[test]
fn api_repeated_entity_values_once() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let leads = read_json(&samples().join("api_v4_leads_page.json"));
    let lead = leads["_embedded"]["leads"][0].clone();
    let id = lead["id"].as_i64().unwrap();
    let values_of = |lead: &serde_json::Value| {
        lead["custom_fields_values"].as_array().map_or(0, |fields| {
            fields
                .iter()
                .map(|f| f["values"].as_array().map_or(0, Vec::len))
                .sum::<usize>()
        })
    };
    let expected = values_of(&lead);
    assert!(expected > 0);

    // An older copy with other values, in a second file read after the first.
    let mut older = lead.clone();
    older["updated_at"] = serde_json::json!(lead["updated_at"].as_i64().unwrap() - 864_000);
    for field in older["custom_fields_values"].as_array_mut().unwrap() {
        for value in field["values"].as_array_mut().unwrap() {
            value["value"] = serde_json::json!("old");
        }
    }
    // The same lead twice in one page.
    let twice = serde_json::json!({"_embedded": {"leads": [lead.clone(), lead.clone()]}});
    let older_page = serde_json::json!({"_embedded": {"leads": [older]}});
    let twice_path = home.path().join("twice.json");
    let older_path = home.path().join("older.json");
    std::fs::write(&twice_path, twice.to_string()).unwrap();
    std::fs::write(&older_path, older_page.to_string()).unwrap();

    let output = import(home.path(), &warehouse, &[&twice_path, &older_path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = query(
        home.path(),
        &warehouse,
        &format!(
            "SELECT count(*) AS n, count(*) FILTER (WHERE value = 'old') AS old \
             FROM custom_field_values WHERE entity_id = {id}"
        ),
    );
    assert_eq!(rows[0]["n"], expected.to_string());
    assert_eq!(rows[0]["old"], "0");

    // The older copy first and the newer one after it: the newer values replace the older.
    let warehouse = home.path().join("wh2");
    let output = import(home.path(), &warehouse, &[&older_path, &twice_path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = query(
        home.path(),
        &warehouse,
        &format!(
            "SELECT count(*) AS n, count(*) FILTER (WHERE value = 'old') AS old \
             FROM custom_field_values WHERE entity_id = {id}"
        ),
    );
    assert_eq!(rows[0]["n"], expected.to_string());
    assert_eq!(rows[0]["old"], "0");
}

/// API pages that replace every row of a web export keep the export's columns in the table, so
/// saved queries over them still run.
#[test]
fn api_replacing_export_keeps_columns() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let export = samples().join("synthetic_leads_legacy_utf8_comma.csv");
    let output = import(home.path(), &warehouse, &[&export]);
    assert!(output.status.success(), "{}", stderr(&output));
    let columns = |warehouse: &Path| -> BTreeSet<String> {
        query(
            home.path(),
            warehouse,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'",
        )
        .into_iter()
        .map(|row| row["column_name"].clone())
        .collect()
    };
    let before = columns(&warehouse);
    assert!(before.contains("note_1"), "{before:?}");

    // Every deal of the export, newer, from the API.
    let leads = read_json(&samples().join("api_v4_leads_page.json"));
    let ids: Vec<String> = query(home.path(), &warehouse, "SELECT id FROM deals ORDER BY id")
        .into_iter()
        .map(|row| row["id"].clone())
        .collect();
    let mut page = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let mut lead = leads["_embedded"]["leads"][index % 5].clone();
        lead["id"] = serde_json::json!(id.parse::<i64>().unwrap());
        lead["updated_at"] = serde_json::json!(2_000_000_000);
        page.push(lead);
    }
    let path = home.path().join("leads.json");
    std::fs::write(
        &path,
        serde_json::json!({"_embedded": {"leads": page}}).to_string(),
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));

    let after = columns(&warehouse);
    let lost: Vec<&String> = before.difference(&after).collect();
    assert!(lost.is_empty(), "columns lost: {lost:?}");
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n, count(note_1) AS notes FROM deals",
    );
    assert_eq!(rows[0]["n"], ids.len().to_string());
    assert_eq!(rows[0]["notes"], "0");
}

/// A row saved in UTF-8 inside a windows-1251 export is rejected, not read as mojibake, and the
/// rejects file shows it as written.
#[test]
fn cp1251_file_with_utf8_row_rejected() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let header = "ID,Название сделки,Бюджет,Ответственный,Дата создания сделки,Дата закрытия,Этап сделки,Воронка\n";
    let row = |id: u32, name: &str| {
        format!(
            "{id},{name},100,Мария,01.01.2025 10:00:00,02.01.2025 10:00:00,Успешно реализовано,Продажи\n"
        )
    };
    let cp1251 = |text: &str| encoding_rs::WINDOWS_1251.encode(text).0.into_owned();
    let mut bytes = cp1251(header);
    bytes.extend(cp1251(&row(1, "Первая")));
    bytes.extend(row(2, "Вторая").into_bytes());
    bytes.extend(cp1251(&row(3, "Третья")));
    let path = home.path().join("mixed.csv");
    std::fs::write(&path, bytes).unwrap();

    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let names = query(
        home.path(),
        &warehouse,
        "SELECT name FROM deals ORDER BY id",
    );
    let names: Vec<&str> = names.iter().map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["Первая", "Третья"]);
    let rejects = read_export(&warehouse.join("_rejects/deals.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "3");
    assert_eq!(rejects[0]["reason_code"], "invalid_encoding");
    assert_eq!(rejects[0]["value"], "Вторая");
    assert!(
        rejects[0]["record"].starts_with("2,Вторая,100,Мария"),
        "{}",
        rejects[0]["record"]
    );
}

/// Stage names declared won or lost count in later imports of the table too, until the table is
/// replaced.
#[test]
fn declared_stages_remembered() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("stages.csv");
    std::fs::write(
        &path,
        "ID,Название сделки,Бюджет,Ответственный,Дата создания сделки,Дата закрытия,Этап сделки,Воронка\n\
         4,a,100,A,01.01.2025 10:00:00,02.01.2025 10:00:00,Оплачено,Продажи\n\
         5,b,100,A,01.01.2025 10:00:00,02.01.2025 10:00:00,Спам,Продажи\n\
         6,c,100,A,01.01.2025 10:00:00,не закрыта,Новая,Продажи\n",
    )
    .unwrap();
    let outcomes = || -> Vec<String> {
        query(
            home.path(),
            &warehouse,
            "SELECT outcome FROM deals ORDER BY id",
        )
        .into_iter()
        .map(|row| row["outcome"].clone())
        .collect()
    };
    let path_arg = path.to_str().unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[path_arg, "--won-stage", "Оплачено", "--lost-stage", "Спам"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(outcomes(), ["won", "lost", "open"]);

    // The same export again, without the options: the outcomes stay.
    let output = import_args(home.path(), &warehouse, &[path_arg]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(outcomes(), ["won", "lost", "open"]);

    // Replacing the table drops the declared names.
    let output = import_args(home.path(), &warehouse, &[path_arg, "--replace"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(outcomes(), ["open", "open", "open"]);
}

/// Prices of API records that cannot be kept exactly get the reason of the same mistake in an
/// export: too many decimals, too large, or not an amount.
#[test]
fn api_price_reasons() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("leads.jsonl");
    std::fs::write(
        &path,
        "{\"id\": 1, \"price\": 100}\n\
         {\"id\": 2, \"price\": 123.456}\n\
         {\"id\": 3, \"price\": 1e300}\n\
         {\"id\": 4, \"price\": \"много\"}\n\
         {\"id\": 5, \"price\": \"42000.50\"}\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rejects = read_export(&warehouse.join("_rejects/deals.csv"));
    let codes: Vec<&str> = rejects.iter().map(|r| r["reason_code"].as_str()).collect();
    assert_eq!(
        codes,
        ["too_many_decimals", "money_out_of_range", "invalid_money"]
    );
    assert!(
        rejects[2]["reason"].contains("185000"),
        "{}",
        rejects[2]["reason"]
    );
    assert!(
        !rejects[2]["reason"].contains("42 000,50"),
        "{}",
        rejects[2]["reason"]
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, CAST(budget AS VARCHAR) AS budget FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["budget"], "42000.50");
}

/// Odd rows and columns of hand-edited exports: each is kept, skipped or rejected with its
/// reason, and the table stays readable.
#[test]
fn export_oddities_kept_or_explained() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("odd.csv");
    std::fs::write(
        &path,
        "ID,Название сделки,Этап сделки,Дата закрытия,outcome,loss_reason\n\
         1,a,Закрыто и не реализовано (Выбрали другого (дешевле)),02.01.2025 10:00:00,won,Дорого\n\
         ,,,,,\n\
         ID,Название сделки,Этап сделки,Дата закрытия,outcome,loss_reason\n\
         2,b,Новая,31.12.9999 23:59:59,,\n\
         3,c,Новая,не закрыта,,\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Columns named like the derived ones are kept under numbered names.
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, outcome, loss_reason, outcome__2, loss_reason__2 FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["outcome"], "lost");
    assert_eq!(rows[0]["loss_reason"], "Выбрали другого (дешевле)");
    assert_eq!(rows[0]["outcome__2"], "won");
    assert_eq!(rows[0]["loss_reason__2"], "Дорого");
    assert_eq!(rows[1]["id"], "3");

    // The row of empty cells is skipped; the repeated header and the placeholder date are
    // rejected with their reasons.
    let rejects = read_export(&warehouse.join("_rejects/deals.csv"));
    let found: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r["line"].as_str(), r["reason_code"].as_str()))
        .collect();
    assert_eq!(
        found,
        [("4", "repeated_header"), ("5", "date_out_of_range")]
    );

    // --column applies to tables of one's own only, and the import warns when it is unused.
    let output = import_args(
        home.path(),
        &warehouse,
        &[path.to_str().unwrap(), "--column", "outcome=result:text"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--column не применён"),
        "{}",
        stderr(&output)
    );
}

/// A column of an export named like a number column of API leads does not make the table
/// unreadable: it reads as text.
#[test]
fn clashing_column_types_read_as_text() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let output = import(
        home.path(),
        &warehouse,
        &[&samples().join("api_v4_leads_page.json")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let path = home.path().join("score.csv");
    std::fs::write(
        &path,
        "ID,Название сделки,Этап сделки,score,is_deleted\n5,Имя,Переговоры,высокий,Да\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, score, is_deleted FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["score"], "высокий");
    assert_eq!(rows[0]["is_deleted"], "Да");
    assert_eq!(rows[1]["is_deleted"], "false");
}

/// Pages of the entities that have no sample file, written here in the shape the API returns:
/// companies, loss reasons and catalogs, and a lead that names its loss reason only by id.
#[test]
fn api_pages_of_companies_loss_reasons_and_catalogs() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let companies = serde_json::json!({
        "_page": 1,
        "_embedded": {"companies": [{
            "id": 5200001, "name": "ООО \"Ромашка\"", "responsible_user_id": 9000101,
            "group_id": 0, "created_by": 9000101, "updated_by": 9000101,
            "created_at": 1719781200, "updated_at": 1719867600, "closest_task_at": null,
            "is_deleted": false, "account_id": 30000001,
            "custom_fields_values": [
                {"field_id": 700001, "field_name": "Телефон", "field_code": "PHONE",
                 "field_type": "multitext", "values": [
                    {"value": "+74951234567", "enum_id": 900001, "enum_code": "WORK"},
                    {"value": "+79161234567", "enum_id": 900003, "enum_code": "MOB"}]},
                {"field_id": 700002, "field_name": "Email", "field_code": "EMAIL",
                 "field_type": "multitext", "values": [
                    {"value": "info@romashka.example", "enum_id": 900011, "enum_code": "WORK"}]}],
            "_embedded": {"tags": [{"id": 1, "name": "опт"}], "contacts": [{"id": 63000001}]}
        }]}
    });
    let loss_reasons = serde_json::json!({
        "_page": 1,
        "_embedded": {"loss_reasons": [
            {"id": 8800001, "name": "Дорого", "sort": 1,
             "created_at": 1700000000, "updated_at": 1700000000},
            {"id": 8800002, "name": "Выбрали конкурента", "sort": 2,
             "created_at": 1700000000, "updated_at": 1700003600}]}
    });
    let catalogs = serde_json::json!({
        "_page": 1,
        "_embedded": {"catalogs": [{
            "id": 4100001, "name": "Товары", "type": "products", "sort": 10,
            "can_add_elements": true, "can_show_in_cards": false, "can_link_multiple": true,
            "can_be_deleted": false, "sdk_widget_code": null, "created_by": 9000101,
            "updated_by": 9000101, "created_at": 1700000000, "updated_at": 1700000000,
            "account_id": 30000001}]}
    });
    let leads = serde_json::json!({
        "_page": 1,
        "_embedded": {"leads": [{
            "id": 41000101, "name": "Отказ по цене", "price": 15000,
            "responsible_user_id": 9000101, "status_id": 143, "pipeline_id": 7100001,
            "loss_reason_id": 8800002, "created_at": 1719781200, "updated_at": 1719867600,
            "closed_at": 1719867600, "account_id": 30000001,
            "_embedded": {"tags": [], "companies": [{"id": 5200001}]}}]}
    });
    let mut paths = Vec::new();
    for (name, page) in [
        ("companies.json", &companies),
        ("loss_reasons.json", &loss_reasons),
        ("catalogs.json", &catalogs),
        ("leads.json", &leads),
    ] {
        let path = home.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(page).unwrap()).unwrap();
        paths.push(path);
    }
    for name in [
        "api_v4_users_page.json",
        "api_v4_pipelines.json",
        "api_v4_leads_custom_fields.json",
    ] {
        paths.push(samples().join(name));
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let output = import(home.path(), &warehouse, &refs);
    assert!(output.status.success(), "{}", stderr(&output));

    let company = query(
        home.path(),
        &warehouse,
        "SELECT id, name, manager, array_to_string(tags, ',') AS tags, \
         array_to_string(phones, ',') AS phones, array_to_string(work_phone, ',') AS work_phone, \
         array_to_string(mobile_phone, ',') AS mobile_phone, \
         array_to_string(emails, ',') AS emails, array_to_string(contact_ids, ',') AS contacts, \
         CAST(created_at AS VARCHAR) AS created_at FROM companies",
    );
    assert_eq!(company.len(), 1);
    let company = &company[0];
    assert_eq!(company["id"], "5200001");
    assert_eq!(company["name"], "ООО \"Ромашка\"");
    assert_eq!(company["manager"], "Андрей Петров");
    assert_eq!(company["tags"], "опт");
    assert_eq!(company["phones"], "+74951234567,+79161234567");
    assert_eq!(company["work_phone"], "+74951234567");
    assert_eq!(company["mobile_phone"], "+79161234567");
    assert_eq!(company["emails"], "info@romashka.example");
    assert_eq!(company["contacts"], "63000001");
    assert_eq!(company["created_at"], moscow(1719781200));

    let reasons = query(
        home.path(),
        &warehouse,
        "SELECT id, name, sort_order, CAST(updated_at AS VARCHAR) AS updated_at \
         FROM loss_reasons ORDER BY id",
    );
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[1]["name"], "Выбрали конкурента");
    assert_eq!(reasons[1]["sort_order"], "2");
    assert_eq!(reasons[1]["updated_at"], moscow(1700003600));

    let catalog = query(
        home.path(),
        &warehouse,
        "SELECT id, name, type, can_add_elements, can_show_in_cards FROM catalogs",
    );
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog[0]["name"], "Товары");
    assert_eq!(catalog[0]["type"], "products");
    assert_eq!(catalog[0]["can_add_elements"], "true");
    assert_eq!(catalog[0]["can_show_in_cards"], "false");

    // The lead names its loss reason only by id: the name comes from the loss reasons table,
    // and stage 143 of the pipeline makes it lost.
    let deal = query(
        home.path(),
        &warehouse,
        "SELECT stage, outcome, loss_reason, company_id, company, contact, source FROM deals",
    );
    // The columns every deals table has are there, empty, because the API gives only ids.
    assert_eq!(deal[0]["company"], "");
    assert_eq!(deal[0]["source"], "");
    assert_eq!(deal[0]["loss_reason"], "Выбрали конкурента");
    assert_eq!(deal[0]["outcome"], "lost");
    assert_eq!(deal[0]["company_id"], "5200001");

    // Users, statuses and field definitions carry the values of their pages.
    let users = read_json(&samples().join("api_v4_users_page.json"));
    let first = &users["_embedded"]["users"][0];
    let user = query(
        home.path(),
        &warehouse,
        &format!(
            "SELECT name, email, lang, is_admin, is_active FROM users WHERE id = {}",
            first["id"]
        ),
    );
    assert_eq!(user[0]["name"], first["name"].as_str().unwrap());
    assert_eq!(user[0]["email"], first["email"].as_str().unwrap());
    assert_eq!(user[0]["lang"], first["lang"].as_str().unwrap());
    assert_eq!(user[0]["is_admin"], first["rights"]["is_admin"].to_string());
    assert_eq!(
        user[0]["is_active"],
        first["rights"]["is_active"].to_string()
    );

    let pipelines = read_json(&samples().join("api_v4_pipelines.json"));
    let pipeline = &pipelines["_embedded"]["pipelines"][0];
    let statuses = query(
        home.path(),
        &warehouse,
        "SELECT pipeline_id, id, pipeline, name, sort_order, type FROM statuses ORDER BY sort_order",
    );
    let expected = pipeline["_embedded"]["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), expected.len());
    for (row, status) in statuses.iter().zip(expected) {
        assert_eq!(row["pipeline_id"], pipeline["id"].to_string());
        assert_eq!(row["pipeline"], pipeline["name"].as_str().unwrap());
        assert_eq!(row["id"], status["id"].to_string());
        assert_eq!(row["name"], status["name"].as_str().unwrap());
        assert_eq!(row["sort_order"], status["sort"].to_string());
        assert_eq!(row["type"], status["type"].to_string());
    }

    let fields = query(
        home.path(),
        &warehouse,
        "SELECT f.id, f.name, f.type, f.code, e.enum_id, e.value FROM custom_fields f \
         LEFT JOIN custom_field_enums e ON e.field_id = f.id ORDER BY f.id, e.sort_order",
    );
    let found: Vec<(String, String, String, String, String)> = fields
        .iter()
        .map(|r| {
            (
                r["id"].clone(),
                r["name"].clone(),
                r["type"].clone(),
                r["code"].clone(),
                r["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("610001", "Тип клиента", "select", "", "Опт"),
            ("610001", "Тип клиента", "select", "", "Розница"),
            ("610101", "utm_source", "tracking_data", "UTM_SOURCE", ""),
        ]
        .map(|(a, b, c, d, e)| (
            a.to_owned(),
            b.to_owned(),
            c.to_owned(),
            d.to_owned(),
            e.to_owned()
        ))
    );
}

#[test]
fn excel_export_text_and_real_cells() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // Written by tests/fixtures/make_excel_export.py, which lists the values asserted here.
    let path = fixture("amocrm_export_leads_excel.xlsx");
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("лист «Сделки», 3 строки, отклонено: 1"),
        "{}",
        stdout(&output)
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, CAST(budget AS VARCHAR) AS budget, CAST(created_at AS VARCHAR) AS created_at, \
         CAST(closed_at AS VARCHAR) AS closed_at, outcome, mobile_phone FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 3);
    // Text cells, as amoCRM writes them.
    assert_eq!(rows[0]["budget"], "185000.00");
    assert_eq!(rows[0]["created_at"], "2024-06-03T12:00:00+03:00");
    assert_eq!(rows[0]["mobile_phone"], "+79001112233");
    // Number and date-time cells of a file re-saved by Excel.
    assert_eq!(rows[1]["budget"], "42000.50");
    assert_eq!(rows[1]["created_at"], "2024-07-15T10:00:00+03:00");
    assert_eq!(rows[1]["closed_at"], "");
    assert_eq!(rows[1]["mobile_phone"], "79001112234");
    // Date cells without a time.
    assert_eq!(rows[2]["created_at"], "2024-08-01T00:00:00+03:00");
    assert_eq!(rows[2]["outcome"], "lost");

    let rejects = parse_csv(
        std::fs::read_to_string(warehouse.join("_rejects/deals.csv"))
            .unwrap()
            .trim_start_matches('\u{feff}'),
    );
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "5");
    assert_eq!(rejects[0]["column"], "Бюджет ₽");
    assert_eq!(rejects[0]["value"], "много");

    // Another sheet of the same workbook, named with --sheet in any case.
    let output = import_with(home.path(), &warehouse, &["--sheet", "реклама"], &[&path]);
    assert!(output.status.success());
    let spend = query(
        home.path(),
        &warehouse,
        "SELECT CAST(date AS VARCHAR) AS date, CAST(spend AS VARCHAR) AS spend FROM ad_spend ORDER BY date",
    );
    assert_eq!(spend[0]["date"], "2024-06-01");
    assert_eq!(spend[0]["spend"], "1250.50");
    assert_eq!(spend[1]["spend"], "500.00");

    let output = import_with(home.path(), &warehouse, &["--sheet", "Итоги"], &[&path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("нет листа «Итоги»; листы: Сделки, Реклама"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unseen_export_keeps_every_column() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // Another account's export: the real sample's columns in reverse order, three custom fields
    // no test has seen, and a semicolon as delimiter.
    let source = samples().join("amoimport_leads_test_sanitized.csv");
    let mut reader = csv::Reader::from_path(&source).unwrap();
    let mut header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    header.reverse();
    let extra = ["Размер скидки", "Менеджер по доставке", "ИНН клиента"];
    header.extend(extra.iter().map(|s| s.to_string()));
    let path = home.path().join("amocrm_export_leads_other_account.csv");
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&path)
        .unwrap();
    writer.write_record(&header).unwrap();
    for (n, record) in records.iter().enumerate() {
        let mut fields = record.clone();
        fields.reverse();
        fields.extend([format!("{n}%"), format!("Курьер {n}"), format!("77{n:08}")]);
        writer.write_record(&fields).unwrap();
    }
    writer.flush().unwrap();

    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success());

    // Every label of the file is a column of the table, besides the derived outcome and loss
    // reason.
    let columns = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'deals' \
         AND column_name NOT IN ('outcome', 'loss_reason')",
    );
    assert_eq!(columns[0]["n"], header.len().to_string());
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, CAST(budget AS VARCHAR) AS budget, razmer_skidki, menedzher_po_dostavke, \
         inn_klienta FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), records.len());
    let mut expected: Vec<(String, usize)> = records
        .iter()
        .enumerate()
        .map(|(n, r)| (r[0].clone(), n))
        .collect();
    expected.sort();
    for (row, (id, n)) in rows.iter().zip(&expected) {
        assert_eq!(&row["id"], id);
        assert_eq!(row["budget"], format!("{}.00", records[*n][2].trim()));
        assert_eq!(row["razmer_skidki"], format!("{n}%"));
        assert_eq!(row["menedzher_po_dostavke"], format!("Курьер {n}"));
        assert_eq!(row["inn_klienta"], format!("77{n:08}"));
    }
}

/// Returns the text of the first `name=VALUE` metric in EXPLAIN ANALYZE output, up to the next
/// comma or bracket.
fn metric<'a>(plan: &'a str, name: &str) -> &'a str {
    let start = plan
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("{name} in {plan}"));
    plan[start + name.len() + 1..]
        .split([',', ']'])
        .next()
        .unwrap_or_default()
        .trim()
}

/// Reads `name=N total → M matched` from EXPLAIN ANALYZE output.
fn pruning(plan: &str, name: &str) -> (u64, u64) {
    let numbers: Vec<u64> = metric(plan, name)
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn period_filter_reads_one_year() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // The demo export spans 2023, 2024 and the first days of 2025.
    assert!(
        import(home.path(), &warehouse, &[&demo_export()])
            .status
            .success()
    );
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c"])
        .arg(
            "EXPLAIN ANALYZE SELECT count(*) FROM deals \
             WHERE created_at >= '2024-06-01' AND created_at < '2024-07-01'",
        ));
    assert!(output.status.success());
    let plan = stdout(&output);
    let (files, files_matched) = pruning(&plan, "files_ranges_pruned_statistics");
    assert!(files >= 3, "{plan}");
    assert_eq!(files_matched, 1, "{plan}");
    let (groups, groups_matched) = pruning(&plan, "row_groups_pruned_statistics");
    assert!(groups_matched < groups || groups == 1, "{plan}");
    // A filter on the local date of a time skips the files outside the period too: only the
    // files of 2025 and 2026 are read.
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c"])
        .arg("EXPLAIN ANALYZE SELECT count(*) FROM deals WHERE CAST(created_at AS DATE) >= DATE '2025-01-01'"));
    assert!(output.status.success());
    let plan = stdout(&output);
    let (files, files_matched) = pruning(&plan, "files_ranges_pruned_statistics");
    assert!(files >= 3, "{plan}");
    assert_eq!(files_matched, 2, "{plan}");

    // The count is the same as without pruning.
    let count = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM deals WHERE created_at >= '2024-06-01' AND created_at < '2024-07-01'",
    );
    let all = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM deals WHERE to_char(created_at, '%Y-%m') = '2024-06'",
    );
    assert_eq!(count, all);

    // Columns of a few repeated values have dictionaries and statistics; text columns of mostly
    // distinct values, such as the contacts' phones, have neither.
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::read_dir(warehouse.join("data/deals"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let group = reader.metadata().row_group(0);
    let chunk = |path: &str| {
        group
            .columns()
            .iter()
            .find(|c| c.column_path().string() == path)
            .unwrap_or_else(|| panic!("{path} in {file:?}"))
    };
    // They are stored uncompressed: their dictionary indices are a few bits a row.
    use datafusion::parquet::basic::Compression;
    for low in ["manager", "stage", "pipeline", "utm_source"] {
        assert!(chunk(low).dictionary_page_offset().is_some(), "{low}");
        assert!(chunk(low).statistics().is_some(), "{low}");
        assert_eq!(chunk(low).compression(), Compression::UNCOMPRESSED, "{low}");
    }
    assert!(
        matches!(chunk("created_at").compression(), Compression::ZSTD(_)),
        "created_at"
    );
    for high in ["mobile_phone.list.item", "cid"] {
        assert!(chunk(high).dictionary_page_offset().is_none(), "{high}");
        assert!(chunk(high).statistics().is_none(), "{high}");
    }
    // IDs and times are mostly distinct too: no dictionary, but statistics for period filters.
    for distinct in ["id", "created_at", "updated_at"] {
        assert!(
            chunk(distinct).dictionary_page_offset().is_none(),
            "{distinct}"
        );
        assert!(chunk(distinct).statistics().is_some(), "{distinct}");
    }
}

/// A saved report over one month reads only the file of that month's year: `run --explain`
/// shows the plan with the scan's metrics.
#[test]
fn one_month_report_reads_one_file() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // The demo account's deals span 2023 to January 2026: one file per year of creation.
    assert!(
        import(home.path(), &warehouse, &[&demo_export()])
            .status
            .success()
    );
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .arg("--queries")
        .arg(workspace().join("queries"))
        .args([
            "run",
            "sales_by_manager",
            "--period",
            "2024-06",
            "--explain",
        ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let plan = stdout(&output);
    // The plan is printed as indented text, one operator a line.
    assert!(
        plan.lines()
            .any(|line| line.trim_start().starts_with("DataSourceExec:")),
        "{plan}"
    );
    let (files, files_matched) = pruning(&plan, "files_ranges_pruned_statistics");
    assert_eq!(files, 4, "{plan}");
    assert_eq!(files_matched, 1, "{plan}");
    // The summary under the plan gives the same counts in words.
    assert!(
        plan.contains("\nЧтение таблиц")
            && plan.contains("  deals: частей файлов 1 из 4, групп строк"),
        "{plan}"
    );
    // The rows read are those of 2024 alone, well under half of the deals.
    let scan = plan
        .lines()
        .find(|line| line.trim_start().starts_with("DataSourceExec:"))
        .unwrap();
    let read = count_metric(scan, "output_rows");
    let all = query(home.path(), &warehouse, "SELECT count(*) AS n FROM deals");
    let all: f64 = all[0]["n"].parse().unwrap();
    assert!(read > 100.0, "{read} of {all}: {plan}");
    assert!(read * 2.0 < all, "{read} of {all}: {plan}");
}

/// Reads a count such as `output_rows=3.06 K` from a line of EXPLAIN ANALYZE output.
fn count_metric(line: &str, name: &str) -> f64 {
    let value = metric(line, name);
    let (number, unit) = value.split_once(' ').unwrap_or((value, ""));
    let scale = match unit {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        other => panic!("unit {other} in {line}"),
    };
    number.parse::<f64>().unwrap() * scale
}

#[test]
fn unusual_csv_reads_like_the_parser() {
    let home = tempfile::tempdir().unwrap();
    // Text after a closing quote, and carriage returns alone as line ends: blocks with these
    // are read by the full CSV parser, with the same result as elsewhere.
    let header = "ID,Название сделки,Бюджет,Этап сделки";
    let cases = [
        (
            "after_quote.csv",
            format!("{header}\n1,\"Стеллажи\" и полки,100,Переговоры\n2,Монтаж,200,Переговоры\n"),
            "Стеллажи и полки",
        ),
        (
            "mac_line_ends.csv",
            format!("{header}\r1,Стеллажи,100,Переговоры\r2,Монтаж,200,Переговоры\r"),
            "Стеллажи",
        ),
    ];
    for (name, text, first_name) in cases {
        let warehouse = home.path().join(name).with_extension("wh");
        let path = home.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = import(home.path(), &warehouse, &[&path]);
        assert!(output.status.success(), "{name}");
        let rows = query(
            home.path(),
            &warehouse,
            "SELECT id, name, CAST(budget AS VARCHAR) AS budget FROM deals ORDER BY id",
        );
        assert_eq!(rows.len(), 2, "{name}");
        assert_eq!(rows[0]["name"], first_name, "{name}");
        assert_eq!(rows[1]["budget"], "200.00", "{name}");
    }
}

#[test]
fn table_key_column_and_replace() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let path = home.path().join("costs.tsv");
    std::fs::write(
        &path,
        "Код\tСумма\tМесяц\n007\t100\t2024-03\n008\t200\t2024-04\n",
    )
    .unwrap();
    let columns = [
        "--table",
        "costs",
        "--key",
        "kod",
        "--column",
        "Сумма=amount:money",
        "--column",
        "Месяц:month",
    ];
    assert!(
        import_with(home.path(), &warehouse, &columns, &[&path])
            .status
            .success()
    );
    let sql = "SELECT kod, CAST(amount AS VARCHAR) AS amount, CAST(mesyats AS VARCHAR) AS month \
               FROM costs ORDER BY kod";
    let rows = query(home.path(), &warehouse, sql);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["kod"], "007");
    assert_eq!(rows[0]["amount"], "100.00");
    assert_eq!(rows[0]["month"], "2024-03-01");

    // The key replaces the row with the same code and adds the new one.
    std::fs::write(
        &path,
        "Код\tСумма\tМесяц\n007\t150\t2024-03\n009\t50\t2024-05\n",
    )
    .unwrap();
    assert!(
        import_with(home.path(), &warehouse, &columns, &[&path])
            .status
            .success()
    );
    let rows = query(home.path(), &warehouse, sql);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["amount"], "150.00");

    // --replace keeps only the new file's rows.
    let mut replace = columns.to_vec();
    replace.push("--replace");
    assert!(
        import_with(home.path(), &warehouse, &replace, &[&path])
            .status
            .success()
    );
    assert_eq!(query(home.path(), &warehouse, sql).len(), 2);

    // A key column the file lacks is an error that leaves the table as it was.
    let output = import_with(
        home.path(),
        &warehouse,
        &["--table", "costs", "--key", "artikul"],
        &[&path],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("ключевого столбца «artikul» из --key нет"),
        "{}",
        stderr(&output)
    );
    assert_eq!(query(home.path(), &warehouse, sql).len(), 2);
}

/// Runs `crmsql --warehouse W import ARGS` and returns its output.
fn import_args(home: &Path, warehouse: &Path, args: &[&str]) -> std::process::Output {
    run(crmsql(home)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("import")
        .args(args))
}

#[test]
fn import_new_key_or_zone_rejected() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let first = home.path().join("k1.csv");
    std::fs::write(&first, "kod,summa\nA,10\nB,10\n").unwrap();
    let second = home.path().join("k2.csv");
    std::fs::write(&second, "kod,summa\nC,10\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[first.to_str().unwrap(), "--table", "t", "--key", "kod"],
    );
    assert!(output.status.success());
    // Merging by another key would drop rows that share the new key's value. A dry run stops
    // there too.
    let output = import_args(
        home.path(),
        &warehouse,
        &[
            second.to_str().unwrap(),
            "--table",
            "t",
            "--key",
            "summa",
            "--dry-run",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let output = import_args(
        home.path(),
        &warehouse,
        &[second.to_str().unwrap(), "--table", "t", "--key", "summa"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("хранит строки по ключу (kod), а эта загрузка задаёт ключ (summa)"),
        "{}",
        stderr(&output)
    );
    let rows = query(home.path(), &warehouse, "SELECT count(*) AS n FROM t");
    assert_eq!(rows[0]["n"], "2");

    // Dates are read in the zone the warehouse has unless another is given, which is refused.
    let warehouse = home.path().join("wh2");
    let deals = home.path().join("deals.csv");
    std::fs::write(
        &deals,
        "ID,Название сделки,Этап сделки,Дата создания сделки\n1,a,Новая,01.07.2024 00:30:00\n",
    )
    .unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[deals.to_str().unwrap(), "--timezone", "Asia/Yekaterinburg"],
    );
    assert!(output.status.success());
    let later = home.path().join("later.csv");
    std::fs::write(
        &later,
        "ID,Название сделки,Этап сделки,Дата создания сделки\n2,b,Новая,01.07.2024 00:30:00\n",
    )
    .unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[later.to_str().unwrap(), "--sheet", "Лист1", "--key", "name"],
    );
    assert!(output.status.success());
    // Options that no file used are named.
    assert!(stderr(&output).contains("--sheet не применён"));
    assert!(stderr(&output).contains("--key не применён к таблице deals"));
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, CAST(created_at AS VARCHAR) AS at FROM deals ORDER BY id",
    );
    assert_eq!(rows[0]["at"], rows[1]["at"], "{rows:?}");
    assert!(rows[1]["at"].contains("+05:00"), "{rows:?}");
    let output = import_args(
        home.path(),
        &warehouse,
        &[later.to_str().unwrap(), "--timezone", "Europe/Moscow"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("записаны в часовом поясе Asia/Yekaterinburg"));
    // API users have no times, so another zone for them does not clash with the deals' zone.
    let users = samples().join("api_v4_users_page.json");
    let output = import_args(
        home.path(),
        &warehouse,
        &[users.to_str().unwrap(), "--timezone", "Europe/Moscow"],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    // A table of dates only has no zone to keep.
    let warehouse = home.path().join("wh3");
    let spend = home.path().join("spend.csv");
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход\n01.03.2024;yandex;a;100\n",
    )
    .unwrap();
    assert!(import(home.path(), &warehouse, &[&spend]).status.success());
    let output = import_args(
        home.path(),
        &warehouse,
        &[deals.to_str().unwrap(), "--timezone", "Asia/Omsk"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn import_table_mistakes_reported() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    // A quote that is never closed would swallow the rest of the file into one cell.
    let unclosed = home.path().join("unclosed.csv");
    std::fs::write(&unclosed, "a,b\n1,x\n2,\"y\n3,z\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[unclosed.to_str().unwrap(), "--table", "u"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("unclosed.csv, строка 3: кавычка"),
        "{}",
        stderr(&output)
    );
    assert!(!warehouse.join("data/u").exists());

    // A header without rows, and a standard table without its key column.
    let header_only = home.path().join("header_only.csv");
    std::fs::write(&header_only, "kod,summa\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[header_only.to_str().unwrap(), "--table", "h"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("только строка заголовков, строк данных нет"));
    let spend = home.path().join("spend.csv");
    std::fs::write(&spend, "kod,spend\nA,10\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[spend.to_str().unwrap(), "--table", "ad_spend"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("нет столбца «date», по которому таблица ad_spend сопоставляет строки"),
        "{}",
        stderr(&output)
    );

    // Two columns that would get one name.
    let costs = home.path().join("costs.tsv");
    std::fs::write(&costs, "Код\tСумма\n17\t100\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[
            costs.to_str().unwrap(),
            "--table",
            "costs",
            "--column",
            "Код=Сумма:text",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("два столбца получают имя «summa»: «Код» и «Сумма»"));

    // A renamed label frees its name for the labels that repeat it.
    let repeated = home.path().join("repeated.csv");
    std::fs::write(&repeated, "Код,kod,KOD\n1,2,3\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[
            repeated.to_str().unwrap(),
            "--table",
            "rep",
            "--column",
            "Код=Сумма:text",
        ],
    );
    assert!(output.status.success());
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT summa, kod, kod__2 FROM rep",
    );
    assert_eq!(rows[0]["summa"], "1");
    assert_eq!(rows[0]["kod"], "2");
    assert_eq!(rows[0]["kod__2"], "3");

    // Lines of rejected rows count the lines of a CRLF file.
    let crlf = home.path().join("crlf.csv");
    std::fs::write(&crlf, "a;b\r\n1;x\r\n2;y\r\nq;z\r\n").unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[
            crlf.to_str().unwrap(),
            "--table",
            "crlf",
            "--column",
            "a=a:int",
        ],
    );
    assert!(output.status.success());
    let rejects = read_export(&warehouse.join("_rejects/crlf.csv"));
    assert_eq!(rejects[0]["line"], "4");
    assert_eq!(rejects[0]["record"], "q;z");
    let rows = query(home.path(), &warehouse, "SELECT b FROM crlf ORDER BY a");
    assert_eq!(
        rows[1]["b"], "y",
        "no carriage return is left in the last column"
    );

    // A file named twice is read once, and so is a copy of it.
    let copy = home.path().join("costs_copy.tsv");
    std::fs::copy(&costs, &copy).unwrap();
    let output = import_args(
        home.path(),
        &warehouse,
        &[
            costs.to_str().unwrap(),
            costs.to_str().unwrap(),
            copy.to_str().unwrap(),
            "--table",
            "twice",
        ],
    );
    assert!(output.status.success());
    let rows = query(home.path(), &warehouse, "SELECT count(*) AS n FROM twice");
    assert_eq!(rows[0]["n"], "1");

    // Two rows of one report with the same key: the second is rejected, not dropped.
    let expenses = home.path().join("expenses.csv");
    std::fs::write(
        &expenses,
        "Месяц,Статья,Сумма\n2024-03,Аренда,100000\n03.2024,Зарплата,500000\nмарт 2024,Аренда,120000\n",
    )
    .unwrap();
    assert!(
        import(home.path(), &warehouse, &[&expenses])
            .status
            .success()
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT sum(amount) AS total FROM expenses",
    );
    assert_eq!(rows[0]["total"], "600000.00");
    let rejects = read_export(&warehouse.join("_rejects/expenses.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["reason_code"], "duplicate_key");
    assert_eq!(rejects[0]["line"], "4");
    assert!(
        rejects[0]["reason"].contains("в строке 2"),
        "{:?}",
        rejects[0]
    );

    // When every row is rejected, nothing is imported and the rows are kept.
    let output = import(
        home.path(),
        &warehouse,
        &[&fixture("leads_all_rejected.csv")],
    );
    assert_eq!(output.status.code(), Some(1));
    let kept = read_export(&warehouse.join("_rejects/deals.csv"));
    let message = stderr(&output);
    assert!(message.contains("ни одна строка не загружена"), "{message}");
    assert!(message.contains("_rejects/deals.csv"), "{message}");
    assert!(!kept.is_empty());
    assert!(
        kept.iter()
            .all(|row| row["file"].ends_with("leads_all_rejected.csv"))
    );
}

#[test]
fn import_folder_skips_unknown_json() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let folder = home.path().join("api");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("tasks.json"),
        r#"{"_page":1,"_embedded":{"tasks":[{"id":5,"text":"call"}]}}"#,
    )
    .unwrap();
    // JSON Lines whose second line is broken: that line is rejected, the others imported.
    std::fs::write(
        folder.join("leads.jsonl"),
        "{\"id\":1,\"name\":\"a\",\"status_id\":142,\"pipeline_id\":1,\"price\":100}\n\
         not json\n\
         {\"id\":2,\"name\":\"b\",\"status_id\":142,\"pipeline_id\":1,\"price\":250}\n",
    )
    .unwrap();
    // A folder inside is not read, and the import warns about it.
    std::fs::create_dir_all(folder.join("2024")).unwrap();
    std::fs::write(folder.join("2024/leads.jsonl"), "{\"id\":3,\"price\":1}\n").unwrap();

    let output = import_args(
        home.path(),
        &warehouse,
        &[folder.to_str().unwrap(), "--dry-run"],
    );
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("leads.jsonl → JSON из API, таблицы: deals;"),
        "{}",
        stdout(&output)
    );

    let output = import(home.path(), &warehouse, &[&folder]);
    assert!(output.status.success());
    assert!(
        stderr(&output).contains("пропущен файл: в "),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("вложенная папка ") && stderr(&output).contains("2024 пропущена"),
        "{}",
        stderr(&output)
    );
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT id, budget FROM deals ORDER BY id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["budget"], "250.00");
    let rejects = read_export(&warehouse.join("_rejects/deals.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "2");
    assert_eq!(rejects[0]["reason_code"], "invalid_json");
}

#[test]
fn import_own_export_replaces_demo() {
    let home = tempfile::tempdir().unwrap();
    // The first query fills the default warehouse with the demo export.
    let output =
        run(crmsql(home.path()).args(["--format", "csv", "-c", "SELECT count(*) AS n FROM deals"]));
    assert!(output.status.success());
    assert_eq!(parse_csv(&stdout(&output))[0]["n"], "9000");
    assert!(home.path().join("crmsql/warehouse/_demo").is_dir());
    let own = home.path().join("own.csv");
    std::fs::write(
        &own,
        "ID,Название сделки,Этап сделки\n1,a,Новая\n2,b,Новая\n",
    )
    .unwrap();
    let output = run(crmsql(home.path()).arg("import").arg(&own));
    assert!(output.status.success());
    assert!(
        stdout(&output).contains(
            "Демо-данные удалены из хранилища (ad_spend, deals, expenses, product_costs)"
        )
    );
    assert!(!home.path().join("crmsql/warehouse/_demo").exists());
    let output = run(crmsql(home.path()).args(["-c", "SELECT count(*) FROM ad_spend"]));
    assert!(!output.status.success());
    let output =
        run(crmsql(home.path()).args(["--format", "csv", "-c", "SELECT count(*) AS n FROM deals"]));
    assert_eq!(parse_csv(&stdout(&output))[0]["n"], "2");
}

#[test]
fn contacts_import_keeps_rejected_companies() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let header = "ID,Тип,Полное имя контакта,Название компании,Ответственный,\
                  Дата создания контакта,Дата редактирования,Рабочий телефон";
    let text = format!(
        "{header}\n\
         63000001,контакт,Ирина Соколова,Ромашка,Андрей Петров,03.06.2024 11:58:20,03.06.2024 11:58:20,+79001112233\n\
         63000002,контакт,Олег Иванов,Ромашка,Андрей Петров,03.06.2024 12:00:00,03.06.2024 12:00:00,+79001112234\n\
         62000001,компания,Ромашка,Ромашка,Андрей Петров,99.99.2024 11:00:00,03.06.2024 11:57:00,+74950000000\n"
    );
    let path = home.path().join("contacts.csv");
    std::fs::write(&path, text).unwrap();

    let output = import_args(
        home.path(),
        &warehouse,
        &[path.to_str().unwrap(), "--dry-run"],
    );
    assert!(
        stdout(&output).contains("из нескольких столбцов → phones"),
        "{}",
        stdout(&output)
    );

    // The company row is rejected; the contacts still load.
    let output = import(home.path(), &warehouse, &[&path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = query(
        home.path(),
        &warehouse,
        "SELECT count(*) AS n FROM contacts",
    );
    assert_eq!(rows[0]["n"], "2");
    let rejects = read_export(&warehouse.join("_rejects/companies.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["value"], "99.99.2024 11:00:00");
    assert_eq!(rejects[0]["line"], "4");
}

#[test]
fn bad_targets_and_files_explained() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let costs = home.path().join("costs.csv");
    std::fs::write(&costs, "kod,summa\nA,10\n").unwrap();

    // A table name without letters or digits.
    let output = import_args(
        home.path(),
        &warehouse,
        &[costs.to_str().unwrap(), "--table", " "],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("имя таблицы « » не годится"));

    // A warehouse path that is a file.
    let file = home.path().join("not_a_folder");
    std::fs::write(&file, "").unwrap();
    let output = import_args(
        home.path(),
        &file,
        &[costs.to_str().unwrap(), "--table", "t"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("— файл, а хранилище должно быть папкой"));

    // A .json file that does not start like JSON is read as JSON, not as a deals export.
    let null = home.path().join("null.json");
    std::fs::write(&null, "null\n").unwrap();
    let output = import(home.path(), &warehouse, &[&null]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("нет записей тех сущностей API amoCRM"));

    // A table whose file cannot be read is left out, and the other tables still answer.
    assert!(
        import_args(
            home.path(),
            &warehouse,
            &[costs.to_str().unwrap(), "--table", "t"]
        )
        .status
        .success()
    );
    // A key for a table that has none.
    let output = import_args(
        home.path(),
        &warehouse,
        &[costs.to_str().unwrap(), "--table", "t", "--key", "kod"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("в таблице t нет ключа"),
        "{}",
        stderr(&output)
    );

    assert!(
        import(home.path(), &warehouse, &[&demo_export()])
            .status
            .success()
    );
    for entry in std::fs::read_dir(warehouse.join("data/t")).unwrap() {
        std::fs::write(entry.unwrap().path(), b"not parquet").unwrap();
    }
    let output = run(crmsql(home.path())
        .arg("--warehouse")
        .arg(&warehouse)
        .args(["--format", "csv", "-c", "SELECT count(*) AS n FROM deals"]));
    assert!(output.status.success());
    assert_eq!(parse_csv(&stdout(&output))[0]["n"], "9000");
    assert!(
        stderr(&output).contains("таблица t не подключена"),
        "{}",
        stderr(&output)
    );
}

/// Ad spend and product cost files keep only rows the reports can use: an empty channel or
/// spend, a negative spend or click count and a cost share outside 0–100 go to the rejects file
/// with their reason, and a cost share may carry a percent sign.
#[test]
fn standard_tables_reject_impossible_values() {
    let home = tempfile::tempdir().unwrap();
    let warehouse = home.path().join("wh");
    let spend = home.path().join("spend.csv");
    std::fs::write(
        &spend,
        "Дата;Канал;Кампания;Расход;Клики;Показы\n01.06.2024;yandex;a;100;10;100\n\
         02.06.2024;yandex;b;-500;10;100\n03.06.2024;;a;100;10;100\n04.06.2024;vk;a;;10;100\n\
         05.06.2024;vk;a;100;-3;100\n",
    )
    .unwrap();
    let costs = home.path().join("costs.csv");
    std::fs::write(
        &costs,
        "Товар;Себестоимость %\nА;150\nБ;-10\nВ;0,45\n;50\nГ;\nД;55 %\n",
    )
    .unwrap();
    let output = import(home.path(), &warehouse, &[&spend, &costs]);
    assert!(output.status.success(), "{}", stderr(&output));
    let reasons = |table: &str| -> Vec<(String, String, String)> {
        read_export(&warehouse.join(format!("_rejects/{table}.csv")))
            .iter()
            .map(|r| {
                (
                    r["line"].clone(),
                    r["column"].clone(),
                    r["reason_code"].clone(),
                )
            })
            .collect()
    };
    let owned = |rows: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect()
    };
    assert_eq!(
        reasons("ad_spend"),
        owned(&[
            ("3", "Расход", "negative_value"),
            ("4", "Канал", "missing_value"),
            ("5", "Расход", "missing_value"),
            ("6", "Клики", "negative_value"),
        ])
    );
    assert_eq!(
        reasons("product_costs"),
        owned(&[
            ("2", "Себестоимость %", "percent_out_of_range"),
            ("3", "Себестоимость %", "percent_out_of_range"),
            ("5", "Товар", "missing_value"),
            ("6", "Себестоимость %", "missing_value"),
        ])
    );
    let kept = query(
        home.path(),
        &warehouse,
        "SELECT product, cost_pct FROM product_costs ORDER BY product",
    );
    let kept: Vec<(String, String)> = kept
        .iter()
        .map(|r| (r["product"].clone(), r["cost_pct"].clone()))
        .collect();
    assert_eq!(
        kept,
        [
            ("В".to_owned(), "0.45".to_owned()),
            ("Д".to_owned(), "55.0".to_owned())
        ]
    );
}
