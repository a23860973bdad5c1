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
WITH monthly AS (
    -- Each step below reads the one before it once, so the deals are scanned once: the fit and
    -- the seasonal factors come from window functions over the monthly history.
    SELECT
        date_trunc('month', closed_at) AS month,
        sum(coalesce(budget, 0)) AS revenue,
        max(CAST(closed_at AS DATE)) AS last_day
    FROM deals
    WHERE outcome = 'won' AND closed_at IS NOT NULL
    GROUP BY 1
),
bounded AS (
    SELECT
        month,
        revenue,
        max(last_day) OVER () AS data_end,
        min(month) OVER () AS first_month
    FROM monthly
),
history AS (
    -- Only complete months: the data reach the month's last day.
    SELECT
        CAST(revenue AS DOUBLE) AS revenue,
        date_part('year', month) * 12 + date_part('month', month) AS t,
        date_part('month', month) AS calendar_month
    FROM bounded
    WHERE CAST(month + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) <= data_end
      -- The first month holds only the deals closed soon after the history starts.
      AND month > first_month
),
fitted AS (
    SELECT
        revenue,
        t,
        calendar_month,
        regr_slope(revenue, t) OVER () AS slope,
        regr_intercept(revenue, t) OVER () AS intercept,
        max(t) OVER () AS last_t,
        count(*) OVER () AS months
    FROM history
),
season AS (
    SELECT
        calendar_month,
        avg(revenue / (intercept + slope * t)) AS factor,
        max(slope) AS slope,
        max(intercept) AS intercept,
        max(last_t) AS last_t,
        max(months) AS months
    FROM fitted
    GROUP BY calendar_month
),
future AS (
    -- Month number t = year * 12 + month, so t - 1 splits into the year and the month. Each
    -- step takes the factor of its calendar month; a month missing from the history has none.
    SELECT
        step,
        CAST(floor((max(last_t) + step - 1) / 12) AS BIGINT) AS year,
        CAST(max(last_t) + step - 1 - floor((max(last_t) + step - 1) / 12) * 12 + 1 AS BIGINT) AS calendar_month,
        max(intercept) + max(slope) * (max(last_t) + step) AS trend,
        max(factor) FILTER (
            WHERE calendar_month = last_t + step - 1 - floor((last_t + step - 1) / 12) * 12 + 1
        ) AS factor,
        max(months) AS months
    FROM season, unnest(range(1, 25)) AS steps(step)
    WHERE step <= $horizon
    GROUP BY step
)
SELECT
    to_char(make_date(year, calendar_month, 1), '%Y-%m') AS month,
    round(trend * CASE WHEN months >= 24 THEN coalesce(factor, 1) ELSE 1 END, 2) AS forecast,
    round(trend, 2) AS trend,
    round(CASE WHEN months >= 24 THEN coalesce(factor, 1) ELSE 1 END, 4) AS seasonal_factor,
    months AS history_months
FROM future
ORDER BY step;
