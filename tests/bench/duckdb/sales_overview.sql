-- crmsql: run sales_overview --period 2025-Q3 --compare year
-- Revenue, won deals and average check of the deals closed in the third quarter of 2025 (Moscow
-- time) against the same quarter of 2024, and the change of each in percent. The period bounds
-- that crmsql computes from the arguments are written here as dates, and growth() as a formula
-- that gives NULL when the earlier value is zero.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH won AS (
    SELECT coalesce(budget, 0) AS amount, closed_at
    FROM read_parquet('@deals@')
    WHERE outcome = 'won'
),
now_ AS (
    SELECT sum(amount) AS revenue, count(*) AS deals_won, avg(amount) AS avg_check
    FROM won
    WHERE closed_at >= TIMESTAMPTZ '2025-07-01' AND closed_at < TIMESTAMPTZ '2025-10-01'
),
before_ AS (
    SELECT sum(amount) AS revenue, count(*) AS deals_won, avg(amount) AS avg_check
    FROM won
    WHERE closed_at >= TIMESTAMPTZ '2024-07-01' AND closed_at < TIMESTAMPTZ '2024-10-01'
)
SELECT DATE '2025-07-01' AS period_start,
       DATE '2025-09-30' AS period_last_day,
       DATE '2024-07-01' AS compare_start,
       DATE '2024-09-30' AS compare_last_day,
       coalesce(now_.revenue, 0) AS revenue,
       coalesce(before_.revenue, 0) AS revenue_before,
       round((now_.revenue - before_.revenue)
           / nullif(abs(CAST(before_.revenue AS DOUBLE)), 0) * 100, 2) AS revenue_change_pct,
       now_.deals_won,
       before_.deals_won AS deals_won_before,
       round((now_.deals_won - before_.deals_won)
           / nullif(abs(CAST(before_.deals_won AS DOUBLE)), 0) * 100, 2) AS deals_won_change_pct,
       round(now_.avg_check, 2) AS avg_check,
       round(before_.avg_check, 2) AS avg_check_before,
       round((now_.avg_check - before_.avg_check)
           / nullif(abs(before_.avg_check), 0) * 100, 2) AS avg_check_change_pct
FROM now_, before_
) TO '/dev/stdout' (FORMAT csv, HEADER);
