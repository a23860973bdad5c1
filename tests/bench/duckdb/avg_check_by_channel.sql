-- crmsql: run avg_check_by_channel --period 2025
-- Won deals closed in 2025 (Moscow time) per channel, the channel being utm_source, else the
-- deal's source: their number, revenue and average check, highest revenue first.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)') AS channel,
       count(*) AS deals_won,
       coalesce(sum(budget), 0) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('@deals@')
WHERE outcome = 'won'
  AND closed_at >= TIMESTAMPTZ '2025-01-01' AND closed_at < TIMESTAMPTZ '2026-01-01'
GROUP BY 1
ORDER BY revenue DESC, channel
) TO '/dev/stdout' (FORMAT csv, HEADER);
