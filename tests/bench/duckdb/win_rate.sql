-- crmsql: run win_rate --period 2025-03
-- Deals closed in March 2025 (Moscow time) per pipeline: won and lost, the percentage won and
-- the budget of each. conversion() is written out as won / closed * 100.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT pipeline,
       count(*) FILTER (WHERE outcome = 'won') AS won,
       count(*) FILTER (WHERE outcome = 'lost') AS lost,
       round(CAST(count(*) FILTER (WHERE outcome = 'won') AS DOUBLE) / nullif(count(*), 0) * 100, 2) AS win_rate_pct,
       coalesce(sum(budget) FILTER (WHERE outcome = 'won'), 0) AS won_budget,
       coalesce(sum(budget) FILTER (WHERE outcome = 'lost'), 0) AS lost_budget
FROM read_parquet('@deals@')
WHERE outcome IN ('won', 'lost')
  AND closed_at >= TIMESTAMPTZ '2025-03-01' AND closed_at < TIMESTAMPTZ '2025-04-01'
GROUP BY pipeline
ORDER BY pipeline
) TO '/dev/stdout' (FORMAT csv, HEADER);
