-- crmsql: run sales_forecast --param horizon=6
-- Revenue forecast for the 6 months after the history: the least-squares trend of monthly
-- revenue of won deals (months in Moscow time, month number t = year * 12 + month) times the
-- calendar month's mean ratio of revenue to trend, used with at least 24 months of history. The
-- history leaves out the first month and a last month that the data do not reach the end of.
SET TimeZone = 'Europe/Moscow';
COPY (
WITH won AS (
    SELECT closed_at, coalesce(budget, 0) AS amount
    FROM read_parquet('@deals@')
    WHERE outcome = 'won' AND closed_at IS NOT NULL
),
last_day AS (
    SELECT max(CAST(closed_at AS DATE)) AS day FROM won
),
monthly AS (
    SELECT date_trunc('month', closed_at) AS month, sum(amount) AS revenue
    FROM won
    GROUP BY 1
),
history AS (
    SELECT month,
           CAST(revenue AS DOUBLE) AS revenue,
           date_part('year', month) * 12 + date_part('month', month) AS t,
           date_part('month', month) AS calendar_month
    FROM monthly, last_day
    WHERE CAST(month + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) <= last_day.day
      AND month > (SELECT min(month) FROM monthly)
),
fit AS (
    SELECT regr_slope(revenue, t) AS slope,
           regr_intercept(revenue, t) AS intercept,
           max(t) AS last_t,
           count(*) AS months
    FROM history
),
season AS (
    SELECT calendar_month, avg(revenue / (intercept + slope * t)) AS factor
    FROM history, fit
    GROUP BY calendar_month
),
future AS (
    SELECT step,
           (last_t + step - 1) // 12 AS year,
           (last_t + step - 1) % 12 + 1 AS calendar_month,
           intercept + slope * (last_t + step) AS trend,
           months
    FROM fit, range(1, 7) AS steps(step)
)
SELECT strftime(make_date(future.year, future.calendar_month, 1), '%Y-%m') AS month,
       round(future.trend * CASE WHEN future.months >= 24 THEN coalesce(season.factor, 1) ELSE 1 END, 2) AS forecast,
       round(future.trend, 2) AS trend,
       round(CASE WHEN future.months >= 24 THEN coalesce(season.factor, 1) ELSE 1 END, 4) AS seasonal_factor,
       future.months AS history_months
FROM future
LEFT JOIN season ON season.calendar_month = future.calendar_month
ORDER BY future.step
) TO '/dev/stdout' (FORMAT csv, HEADER);
