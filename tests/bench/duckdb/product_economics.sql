-- crmsql: run product_economics --period 2025
-- Won deals closed in 2025 (Moscow time) per product: revenue, cost (the product's share of the
-- price from product_costs, names compared without case and outer spaces, the largest share when
-- a name repeats), profit, margin and profitability, highest profit first. margin() is written
-- out as (revenue - cost) / revenue * 100, NULL without revenue.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH sales AS (
    SELECT coalesce(nullif(d.product, ''), '(не указан)') AS product,
           coalesce(d.budget, 0) AS revenue,
           coalesce(d.budget, 0) * coalesce(c.cost_pct, 0) / 100 AS cost
    FROM read_parquet('@deals@') d
    LEFT JOIN (
        SELECT lower(trim(product)) AS product, max(cost_pct) AS cost_pct
        FROM read_parquet('@product_costs@')
        GROUP BY 1
    ) c ON c.product = lower(trim(d.product))
    WHERE d.outcome = 'won'
      AND d.closed_at >= TIMESTAMPTZ '2025-01-01' AND d.closed_at < TIMESTAMPTZ '2026-01-01'
)
SELECT product,
       count(*) AS deals_won,
       sum(revenue) AS revenue,
       CAST(round(sum(cost), 2) AS DECIMAL(18, 2)) AS cost,
       CAST(round(sum(revenue) - sum(cost), 2) AS DECIMAL(18, 2)) AS profit,
       round((sum(revenue) - sum(cost)) / nullif(sum(revenue), 0) * 100, 2) AS margin_pct,
       round(100.0 * (sum(revenue) - sum(cost)) / nullif(sum(cost), 0), 2) AS profitability_pct
FROM sales
GROUP BY product
ORDER BY profit DESC, product
) TO '/dev/stdout' (FORMAT csv, HEADER);
