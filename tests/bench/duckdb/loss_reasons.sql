-- crmsql: run loss_reasons --period 2024 --param pipeline=Продажи
-- Lost deals of the pipeline «Продажи» closed in 2024 (Moscow time) per loss reason: their
-- number, budget and share of all those lost deals, most frequent reason first.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT coalesce(loss_reason, '(не указана)') AS loss_reason,
       count(*) AS deals,
       coalesce(sum(budget), 0) AS budget,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS share_pct
FROM read_parquet('@deals@')
WHERE outcome = 'lost'
  AND closed_at >= TIMESTAMPTZ '2024-01-01' AND closed_at < TIMESTAMPTZ '2025-01-01'
  AND lower(pipeline) = lower('Продажи')
GROUP BY 1
ORDER BY deals DESC, loss_reason
) TO '/dev/stdout' (FORMAT csv, HEADER);
