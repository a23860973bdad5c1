-- crmsql: run avg_check_by_month --period 2023-07-01..2025-06-30 --param pipeline=продажи
-- Won deals of the pipeline «Продажи» (matched without case) closed from July 2023 to June 2025,
-- per month of closing in Moscow time: their number, revenue and average check.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT strftime(date_trunc('month', closed_at), '%Y-%m') AS month,
       count(*) AS deals_won,
       sum(budget) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('@deals@')
WHERE outcome = 'won'
  AND closed_at IS NOT NULL
  AND closed_at >= TIMESTAMPTZ '2023-07-01' AND closed_at < TIMESTAMPTZ '2025-07-01'
  AND lower(pipeline) = lower('продажи')
GROUP BY 1
ORDER BY 1
) TO '/dev/stdout' (FORMAT csv, HEADER);
