-- crmsql: run purchase_segments --period 2024-07-01..2025-12-31
-- Segments of the customers of the purchases table by their purchases dated from July 2024 to
-- 2025. Purchase sum and average check are cut into thirds, the number of purchases into 1, 2-3
-- and 4 or more. Per combination: customers, revenue and its share, average check and average
-- LTV. The thirds count the values below with rank() - 1, as in customer_segments.sql.
COPY (
WITH purchases AS (
    SELECT customer_id AS customer, coalesce(amount, 0) AS amount
    FROM read_parquet('@purchases@')
    WHERE date >= DATE '2024-07-01' AND date < DATE '2026-01-01'
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
