-- crmsql: run full_profitability --period 2025
-- Each month of 2025: revenue of the won deals closed in it (Moscow time), their cost of goods
-- (shares from product_costs, as in product_economics), ad spend, other expenses, the profit and
-- its share of revenue. A month that has only some of these shows zeros for the rest. margin() is
-- written out as (revenue - costs) / revenue * 100, NULL without revenue.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH sales AS (
    SELECT strftime(date_trunc('month', d.closed_at), '%Y-%m') AS month,
           sum(coalesce(d.budget, 0)) AS revenue,
           sum(coalesce(d.budget, 0) * coalesce(c.cost_pct, 0) / 100) AS cost_of_goods
    FROM read_parquet('@deals@') d
    LEFT JOIN (
        SELECT lower(trim(product)) AS product, max(cost_pct) AS cost_pct
        FROM read_parquet('@product_costs@')
        GROUP BY 1
    ) c ON c.product = lower(trim(d.product))
    WHERE d.outcome = 'won'
      AND d.closed_at >= TIMESTAMPTZ '2025-01-01' AND d.closed_at < TIMESTAMPTZ '2026-01-01'
    GROUP BY 1
),
ads AS (
    SELECT strftime(date, '%Y-%m') AS month, sum(spend) AS ad_spend
    FROM read_parquet('@ad_spend@')
    WHERE date >= DATE '2025-01-01' AND date < DATE '2026-01-01'
    GROUP BY 1
),
other AS (
    SELECT strftime(month, '%Y-%m') AS month, sum(amount) AS expenses
    FROM read_parquet('@expenses@')
    WHERE month >= DATE '2025-01-01' AND month < DATE '2026-01-01'
    GROUP BY 1
),
months AS (
    SELECT month FROM sales UNION SELECT month FROM ads UNION SELECT month FROM other
)
SELECT months.month,
       coalesce(sales.revenue, 0) AS revenue,
       CAST(round(coalesce(sales.cost_of_goods, 0), 2) AS DECIMAL(18, 2)) AS cost_of_goods,
       coalesce(ads.ad_spend, 0) AS ad_spend,
       coalesce(other.expenses, 0) AS expenses,
       CAST(round(coalesce(sales.revenue, 0) - coalesce(sales.cost_of_goods, 0) - coalesce(ads.ad_spend, 0)
           - coalesce(other.expenses, 0), 2) AS DECIMAL(18, 2)) AS profit,
       round((coalesce(sales.revenue, 0) - (coalesce(sales.cost_of_goods, 0) + coalesce(ads.ad_spend, 0)
           + coalesce(other.expenses, 0))) / nullif(CAST(coalesce(sales.revenue, 0) AS DOUBLE), 0) * 100, 2) AS profit_pct
FROM months
LEFT JOIN sales ON sales.month = months.month
LEFT JOIN ads ON ads.month = months.month
LEFT JOIN other ON other.month = months.month
ORDER BY months.month
) TO '/dev/stdout' (FORMAT csv, HEADER);
