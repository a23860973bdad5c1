-- crmsql: run avg_check_by_product --period 2025-Q2
-- Won deals closed in the second quarter of 2025 (Moscow time) per product: their number,
-- revenue and average check, highest revenue first.
SET TimeZone = 'Europe/Moscow';
COPY (
SELECT coalesce(nullif(product, ''), '(не указан)') AS product,
       count(*) AS deals_won,
       coalesce(sum(budget), 0) AS revenue,
       round(avg(coalesce(budget, 0)), 2) AS avg_check
FROM read_parquet('@deals@')
WHERE outcome = 'won'
  AND closed_at >= TIMESTAMPTZ '2025-04-01' AND closed_at < TIMESTAMPTZ '2025-07-01'
GROUP BY 1
ORDER BY revenue DESC, product
) TO '/dev/stdout' (FORMAT csv, HEADER);
