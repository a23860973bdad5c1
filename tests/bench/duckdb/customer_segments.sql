-- crmsql: run customer_segments --period 2023-01-01..2025-12-31
-- Segments of the customers (a deal's company, else its contact) with won deals closed from 2023
-- to 2025 in Moscow time. Purchase sum and average check are cut into thirds, the number of
-- purchases into 1, 2-3 and 4 or more. Per combination: customers, revenue and its share, average
-- check and average LTV. crmsql's quantile_bucket(x, 3) puts a value in group
-- (values below it) * 3 / (all values) + 1. Here rank() - 1 counts the values below, so equal
-- values share a group, as they do there.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH purchases AS (
    SELECT coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
           coalesce(budget, 0) AS amount
    FROM read_parquet('@deals@')
    WHERE outcome = 'won'
      AND closed_at >= TIMESTAMPTZ '2023-01-01' AND closed_at < TIMESTAMPTZ '2026-01-01'
),
customers AS (
    SELECT customer, count(*) AS purchases, sum(amount) AS total
    FROM purchases
    WHERE customer IS NOT NULL
    GROUP BY customer
),
levels AS (
    SELECT purchases,
           total,
           (rank() OVER (ORDER BY total) - 1) * 3 // count(*) OVER () + 1 AS sum_group,
           CASE WHEN purchases < 2 THEN 1 WHEN purchases < 4 THEN 2 ELSE 3 END AS count_group,
           (rank() OVER (ORDER BY CAST(total AS DOUBLE) / purchases) - 1) * 3 // count(*) OVER () + 1 AS check_group
    FROM customers
)
SELECT CASE sum_group WHEN 3 THEN 'большая' WHEN 2 THEN 'средняя' ELSE 'малая' END AS purchase_sum,
       CASE count_group WHEN 3 THEN '4 и больше' WHEN 2 THEN '2–3' ELSE '1' END AS purchase_count,
       CASE check_group WHEN 3 THEN 'высокий' WHEN 2 THEN 'средний' ELSE 'низкий' END AS avg_check_level,
       count(*) AS customers,
       sum(total) AS revenue,
       round(100.0 * sum(total) / sum(sum(total)) OVER (), 2) AS revenue_share_pct,
       round(sum(total) / sum(purchases), 2) AS avg_check,
       round(avg(total), 2) AS ltv
FROM levels
GROUP BY sum_group, count_group, check_group
ORDER BY sum_group DESC, count_group DESC, check_group DESC
) TO '/dev/stdout' (FORMAT csv, HEADER);
