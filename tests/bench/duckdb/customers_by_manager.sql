-- crmsql: run customers_by_manager --period 2025
-- Won deals closed in 2025 (Moscow time) per manager and customer type (a company, else a
-- contact): distinct customers, purchases, purchases per customer, revenue, average check and
-- share of all revenue.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH won AS (
    SELECT coalesce(manager, '(не указан)') AS manager,
           CASE WHEN nullif(company, '') IS NOT NULL THEN 'компания' ELSE 'контакт' END AS customer_type,
           coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
           coalesce(budget, 0) AS amount
    FROM read_parquet('@deals@')
    WHERE outcome = 'won'
      AND closed_at >= TIMESTAMPTZ '2025-01-01' AND closed_at < TIMESTAMPTZ '2026-01-01'
)
SELECT manager,
       customer_type,
       count(DISTINCT customer) AS customers,
       count(*) AS purchases,
       round(CAST(count(*) AS DOUBLE) / nullif(count(DISTINCT customer), 0), 2) AS purchases_per_customer,
       sum(amount) AS revenue,
       round(avg(amount), 2) AS avg_check,
       round(100.0 * sum(amount) / sum(sum(amount)) OVER (), 2) AS revenue_share_pct
FROM won
GROUP BY manager, customer_type
ORDER BY manager, customer_type
) TO '/dev/stdout' (FORMAT csv, HEADER);
