-- crmsql: run channel_roi --period 2024 --param margin_pct=30
-- Return on ad channels in 2024 (Moscow time): each channel's spend from ad_spend against the
-- deals of that channel (utm_source, else source, compared without case and outer spaces):
-- leads created, customers and revenue won, ROI, ROMI with a 30 % margin, cost per lead and per
-- customer. roi(), romi(), cpl() and cac() are written out as formulas that give NULL for a zero
-- or missing denominator, as the functions do.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH sales AS (
    SELECT lower(trim(coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)'))) AS channel,
           count(*) FILTER (WHERE created_at >= TIMESTAMPTZ '2024-01-01'
                              AND created_at < TIMESTAMPTZ '2025-01-01') AS leads,
           count(*) FILTER (WHERE outcome = 'won'
                              AND closed_at >= TIMESTAMPTZ '2024-01-01'
                              AND closed_at < TIMESTAMPTZ '2025-01-01') AS customers,
           sum(coalesce(budget, 0)) FILTER (WHERE outcome = 'won'
                                              AND closed_at >= TIMESTAMPTZ '2024-01-01'
                                              AND closed_at < TIMESTAMPTZ '2025-01-01') AS revenue
    FROM read_parquet('@deals@')
    GROUP BY 1
),
spend AS (
    SELECT lower(trim(channel)) AS channel, sum(spend) AS spend
    FROM read_parquet('@ad_spend@')
    WHERE date >= DATE '2024-01-01' AND date < DATE '2025-01-01'
    GROUP BY 1
)
SELECT spend.channel,
       spend.spend,
       coalesce(sales.leads, 0) AS leads,
       coalesce(sales.customers, 0) AS customers,
       coalesce(sales.revenue, 0) AS revenue,
       round((coalesce(sales.revenue, 0) - spend.spend)
           / nullif(CAST(spend.spend AS DOUBLE), 0) * 100, 2) AS roi_pct,
       round((coalesce(sales.revenue, 0) * 30.0 / 100 - spend.spend)
           / nullif(CAST(spend.spend AS DOUBLE), 0) * 100, 2) AS romi_pct,
       round(spend.spend / nullif(CAST(sales.leads AS DOUBLE), 0), 2) AS cpl,
       round(spend.spend / nullif(CAST(sales.customers AS DOUBLE), 0), 2) AS cac
FROM spend
LEFT JOIN sales ON sales.channel = spend.channel
-- crmsql puts NULLs first in descending order and DuckDB puts them last. That matters for a
-- channel whose spend is all NULL.
ORDER BY spend.spend DESC NULLS FIRST, spend.channel
) TO '/dev/stdout' (FORMAT csv, HEADER);
