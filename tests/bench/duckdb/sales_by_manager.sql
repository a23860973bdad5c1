-- crmsql: run sales_by_manager --period 2024-Q3
-- Won deals closed in the third quarter of 2024 (Moscow time) per manager: their number, revenue
-- and average check, highest revenue first.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT coalesce(manager, '(не указан)') AS manager,
       count(*) AS deals_won,
       coalesce(sum(budget), 0) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('@deals@')
WHERE outcome = 'won'
  AND closed_at >= TIMESTAMPTZ '2024-07-01' AND closed_at < TIMESTAMPTZ '2024-10-01'
GROUP BY 1
ORDER BY revenue DESC, manager
) TO '/dev/stdout' (FORMAT csv, HEADER);
