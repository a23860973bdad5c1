//! Each CRM function against the same expression written out in plain SQL, over tables of 1,000
//! to 1,000,000 rows. A pair that differs by more than a few percent means the function costs
//! more than the SQL it saves the analyst from writing.
//!
//! `cargo bench -p crmsql-functions` runs them all; a name filter picks some, for example
//! `cargo bench -p crmsql-functions -- roi/`.

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmsql_functions::{CrmOptions, register_all};
use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::execution::context::SessionConfig;
use datafusion::prelude::SessionContext;

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// SplitMix64, so that every run reads the same table.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Builds a table of `rows` deal-like rows: revenue and spend (spend is zero in one row of fifty),
/// a purchase sum, an RFM score and a creation time over 2023 to 2025.
fn table(rows: usize) -> RecordBatch {
    let mut numbers = Numbers(20_260_112);
    let mut revenue = Vec::with_capacity(rows);
    let mut spend = Vec::with_capacity(rows);
    let mut total = Vec::with_capacity(rows);
    let mut score = Vec::with_capacity(rows);
    let mut created = Vec::with_capacity(rows);
    let mut manager = Vec::with_capacity(rows);
    // 2023-01-01 00:00 UTC and three years in microseconds.
    let start = 1_672_531_200_000_000i64;
    let span = 3 * 365 * 86_400_000_000u64;
    for _ in 0..rows {
        revenue.push(numbers.below(500_000) as f64 / 10.0);
        spend.push(if numbers.below(50) == 0 {
            0.0
        } else {
            numbers.below(200_000) as f64 / 10.0
        });
        total.push(numbers.below(1_000_000) as f64);
        score.push(format!(
            "{}{}{}",
            1 + numbers.below(5),
            1 + numbers.below(5),
            1 + numbers.below(5)
        ));
        created.push(start + numbers.below(span) as i64);
        manager.push(numbers.below(12) as i64);
    }
    let schema = Schema::new(vec![
        Field::new("revenue", DataType::Float64, false),
        Field::new("spend", DataType::Float64, false),
        Field::new("total", DataType::Float64, false),
        Field::new("score", DataType::Utf8, false),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("Europe/Moscow".into())),
            false,
        ),
        Field::new("manager", DataType::Int64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(revenue)),
        Arc::new(Float64Array::from(spend)),
        Arc::new(Float64Array::from(total)),
        Arc::new(StringArray::from(score)),
        Arc::new(TimestampMicrosecondArray::from(created).with_timezone("Europe/Moscow")),
        Arc::new(Int64Array::from(manager)),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).unwrap_or_else(|e| panic!("{e}"))
}

/// Opens a session with the CRM functions and a table `t` of `rows` rows in batches of 8,192.
fn session(rows: usize) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(2)
        .with_option_extension(CrmOptions::default());
    // Text compared with a time reads in the account's zone, as in a crmsql session.
    config.options_mut().execution.time_zone = Some("Europe/Moscow".to_owned());
    let ctx = SessionContext::new_with_config(config);
    register_all(&ctx, "Europe/Moscow");
    let batch = table(rows);
    let parts: Vec<RecordBatch> = (0..rows)
        .step_by(8192)
        .map(|offset| batch.slice(offset, 8192.min(rows - offset)))
        .collect();
    let half = parts.len().div_ceil(2);
    let partitions = vec![parts[..half].to_vec(), parts[half..].to_vec()];
    let table = MemTable::try_new(batch.schema(), partitions).unwrap_or_else(|e| panic!("{e}"));
    ctx.register_table("t", Arc::new(table))
        .unwrap_or_else(|e| panic!("{e}"));
    ctx
}

/// The pairs: a name, the query with the CRM function, and the same query written out.
const PAIRS: [(&str, &str, &str); 6] = [
    (
        "roi",
        "SELECT sum(roi(revenue, spend)) FROM t",
        "SELECT sum(CASE WHEN spend = 0 THEN NULL ELSE (revenue - spend) / spend * 100 END) FROM t",
    ),
    (
        "avg_check",
        "SELECT manager, avg_check(revenue) FROM t GROUP BY manager",
        "SELECT manager, avg(revenue) FROM t GROUP BY manager",
    ),
    (
        "segment_bucket",
        "SELECT segment_bucket(total, [10000, 100000, 500000]) AS s, count(*) FROM t GROUP BY s",
        "SELECT CASE WHEN total < 10000 THEN 1 WHEN total < 100000 THEN 2 \
         WHEN total < 500000 THEN 3 ELSE 4 END AS s, count(*) FROM t GROUP BY s",
    ),
    (
        "quantile_bucket",
        "SELECT max(b) FROM (SELECT quantile_bucket(total, 5) OVER () AS b FROM t)",
        "SELECT max(b) FROM (SELECT CAST(rank() OVER (ORDER BY total) - 1 AS BIGINT) * 5 \
         / count(*) OVER () + 1 AS b FROM t)",
    ),
    (
        "rfm_segment",
        "SELECT rfm_segment(score) AS s, count(*) FROM t GROUP BY s",
        "SELECT CASE \
           WHEN r = 5 AND f >= 4 THEN 'Чемпионы' \
           WHEN r IN (3, 4) AND f >= 4 THEN 'Лояльные' \
           WHEN r >= 4 AND f IN (2, 3) THEN 'Потенциально лояльные' \
           WHEN r = 5 AND f = 1 THEN 'Новички' \
           WHEN r = 4 AND f = 1 THEN 'Перспективные' \
           WHEN r = 3 AND f = 3 THEN 'Требуют внимания' \
           WHEN r = 3 THEN 'Засыпающие' \
           WHEN f = 5 THEN 'Нельзя потерять' \
           WHEN f IN (3, 4) THEN 'В зоне риска' \
           WHEN r = 1 AND f = 1 THEN 'Потерянные' \
           ELSE 'Спящие' END AS s, count(*) \
         FROM (SELECT CAST(substr(score, 1, 1) AS INT) AS r, \
                      CAST(substr(score, 2, 1) AS INT) AS f FROM t) GROUP BY s",
    ),
    (
        "in_period",
        "SELECT count(*) FROM t WHERE in_period(created_at, '2024-Q3')",
        "SELECT count(*) FROM t WHERE created_at >= '2024-07-01' AND created_at < '2024-10-01'",
    ),
];

fn functions(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for rows in SIZES {
        let ctx = session(rows);
        for (name, crm, inline) in PAIRS {
            // Both forms must return the same rows before their times mean anything.
            let answer = |sql: &str| {
                runtime.block_on(async {
                    let batches = ctx.sql(sql).await?.collect().await?;
                    let options = FormatOptions::default();
                    let mut rows = Vec::new();
                    for batch in &batches {
                        let cells = batch
                            .columns()
                            .iter()
                            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
                            .collect::<Result<Vec<_>, _>>()?;
                        for row in 0..batch.num_rows() {
                            let values: Vec<String> =
                                cells.iter().map(|c| c.value(row).to_string()).collect();
                            rows.push(values.join("|"));
                        }
                    }
                    rows.sort();
                    Ok::<_, datafusion::error::DataFusionError>(rows)
                })
            };
            let (ours, theirs) = (answer(crm), answer(inline));
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) if a == b => {}
                _ => panic!("{name} at {rows} rows: {ours:?} against {theirs:?}"),
            }
            let mut group = c.benchmark_group(name);
            group.throughput(Throughput::Elements(rows as u64));
            if rows >= 100_000 {
                group.sample_size(20);
            }
            for (form, sql) in [("crm", crm), ("inline", inline)] {
                group.bench_with_input(BenchmarkId::new(form, rows), &sql, |b, sql| {
                    b.iter(|| {
                        runtime.block_on(async {
                            let df = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{e}"));
                            df.collect().await.unwrap_or_else(|e| panic!("{e}"))
                        })
                    });
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, functions);
criterion_main!(benches);
