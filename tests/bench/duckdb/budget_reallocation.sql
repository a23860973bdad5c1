-- crmsql: run budget_reallocation --param change_date=2025-01-01 --param before_from=2024-01-01 --param after_to=2026-01-01
-- Spend, revenue, average check and ROI of each channel (utm_source, else source, compared
-- without case and outer spaces) in 2024, before the change date 2025-01-01, and in 2025, after
-- it, with a total row over all channels. Days are local days in Moscow time. Spend per average
-- month divides by the period's days over 30.4375. ROI counts only revenue of channels with spend
-- in that period. As before_from and after_to are given, they are the periods' outer ends, and the
-- report's fallback to the data's first and last days is left out. growth() and roi() are written
-- out as formulas that give NULL for a zero denominator, as the functions do.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH sales AS (
    SELECT lower(trim(coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)'))) AS channel,
           CAST(closed_at AS DATE) AS day,
           coalesce(budget, 0) AS amount
    FROM read_parquet('@deals@')
    WHERE outcome = 'won' AND closed_at IS NOT NULL
      AND CAST(closed_at AS DATE) >= DATE '2024-01-01'
      AND CAST(closed_at AS DATE) < DATE '2026-01-01'
),
costs AS (
    SELECT lower(trim(channel)) AS channel, date AS day, spend
    FROM read_parquet('@ad_spend@')
    WHERE date >= DATE '2024-01-01' AND date < DATE '2026-01-01'
),
by_channel AS (
    SELECT coalesce(s.channel, c.channel) AS channel,
           coalesce(c.spend_before, 0) AS spend_before,
           coalesce(c.spend_after, 0) AS spend_after,
           coalesce(s.deals_before, 0) AS deals_before,
           coalesce(s.deals_after, 0) AS deals_after,
           coalesce(s.revenue_before, 0) AS revenue_before,
           coalesce(s.revenue_after, 0) AS revenue_after,
           CASE WHEN coalesce(c.spend_before, 0) > 0 THEN coalesce(s.revenue_before, 0) ELSE 0 END AS paid_before,
           CASE WHEN coalesce(c.spend_after, 0) > 0 THEN coalesce(s.revenue_after, 0) ELSE 0 END AS paid_after
    FROM (
        SELECT channel,
               count(*) FILTER (WHERE day < DATE '2025-01-01') AS deals_before,
               count(*) FILTER (WHERE day >= DATE '2025-01-01') AS deals_after,
               sum(amount) FILTER (WHERE day < DATE '2025-01-01') AS revenue_before,
               sum(amount) FILTER (WHERE day >= DATE '2025-01-01') AS revenue_after
        FROM sales
        GROUP BY channel
    ) s
    FULL JOIN (
        SELECT channel,
               sum(spend) FILTER (WHERE day < DATE '2025-01-01') AS spend_before,
               sum(spend) FILTER (WHERE day >= DATE '2025-01-01') AS spend_after
        FROM costs
        GROUP BY channel
    ) c ON s.channel = c.channel
),
with_total AS (
    SELECT 0 AS part, * FROM by_channel
    UNION ALL
    SELECT 1, '(все каналы)', sum(spend_before), sum(spend_after), sum(deals_before),
           sum(deals_after), sum(revenue_before), sum(revenue_after), sum(paid_before), sum(paid_after)
    FROM by_channel
)
SELECT channel,
       spend_before,
       spend_after,
       round(spend_before
           / nullif(CAST(DATE '2025-01-01' - DATE '2024-01-01' AS DOUBLE) / 30.4375, 0), 2) AS spend_month_before,
       round(spend_after
           / nullif(CAST(DATE '2026-01-01' - DATE '2025-01-01' AS DOUBLE) / 30.4375, 0), 2) AS spend_month_after,
       revenue_before,
       revenue_after,
       round(revenue_before / nullif(deals_before, 0), 2) AS avg_check_before,
       round(revenue_after / nullif(deals_after, 0), 2) AS avg_check_after,
       round((revenue_after / nullif(deals_after, 0) - revenue_before / nullif(deals_before, 0))
           / nullif(abs(revenue_before / nullif(deals_before, 0)), 0) * 100, 2) AS avg_check_change_pct,
       round((paid_before - spend_before) / nullif(CAST(spend_before AS DOUBLE), 0) * 100, 2) AS roi_before_pct,
       round((paid_after - spend_after) / nullif(CAST(spend_after AS DOUBLE), 0) * 100, 2) AS roi_after_pct
FROM with_total
ORDER BY part, spend_after DESC, spend_before DESC, channel
) TO '/dev/stdout' (FORMAT csv, HEADER);
