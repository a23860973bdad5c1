-- name: sales_forecast
-- description: Прогноз выручки на следующие месяцы по истории выигранных сделок. Метод: линейный
-- description: тренд выручки по месяцам (метод наименьших квадратов), умноженный на сезонный
-- description: коэффициент месяца — среднее отношение выручки этого календарного месяца к тренду.
-- description: Сезонность учитывается, когда истории не меньше 24 полных месяцев, иначе прогноз —
-- description: только тренд. Первый месяц истории и неполный последний в расчёт не входят: в
-- description: первом есть лишь сделки, закрытые вскоре после начала истории.
-- description.en: Revenue forecast for the next months from the history of won deals. Method: the
-- description.en: linear trend of monthly revenue (least squares) times the month's seasonal factor,
-- description.en: the mean ratio of that calendar month's revenue to the trend. Seasonality counts
-- description.en: with at least 24 complete months of history, else the forecast is the trend alone.
-- description.en: The first month of the history and an incomplete last month are left out: the
-- description.en: first holds only the deals closed soon after the history starts.
-- param: horizon int 1..24 = 3 | На сколько месяцев вперёд, от 1 до 24
-- param.en: horizon | How many months ahead, 1 to 24
-- chart: line month forecast
WITH won AS (
    SELECT closed_at, coalesce(budget, 0) AS amount
    FROM deals
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
    -- Only complete months: the data reach the month's last day.
    SELECT
        month,
        CAST(revenue AS DOUBLE) AS revenue,
        date_part('year', month) * 12 + date_part('month', month) AS t,
        date_part('month', month) AS calendar_month
    FROM monthly, last_day
    WHERE CAST(month + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) <= last_day.day
      -- The first month holds only the deals closed soon after the history starts.
      AND month > (SELECT min(month) FROM monthly)
),
fit AS (
    SELECT
        regr_slope(revenue, t) AS slope,
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
    -- Month number t = year * 12 + month, so t - 1 splits into the year and the month.
    SELECT
        step,
        CAST(floor((last_t + step - 1) / 12) AS BIGINT) AS year,
        CAST(last_t + step - 1 - floor((last_t + step - 1) / 12) * 12 + 1 AS BIGINT) AS calendar_month,
        intercept + slope * (last_t + step) AS trend,
        months
    FROM fit, unnest(range(1, 25)) AS steps(step)
    WHERE step <= $horizon
)
SELECT
    to_char(make_date(future.year, future.calendar_month, 1), '%Y-%m') AS month,
    round(future.trend * CASE WHEN future.months >= 24 THEN coalesce(season.factor, 1) ELSE 1 END, 2) AS forecast,
    round(future.trend, 2) AS trend,
    round(CASE WHEN future.months >= 24 THEN coalesce(season.factor, 1) ELSE 1 END, 4) AS seasonal_factor,
    future.months AS history_months
FROM future
LEFT JOIN season ON season.calendar_month = future.calendar_month
ORDER BY future.step;
