-- name: avg_check_by_month
-- description: Средний чек по месяцам: сколько сделок выиграно в каждом месяце,
-- description: на какую сумму и каков средний чек. Месяц берётся по дате закрытия
-- description: в часовом поясе аккаунта.
-- description.en: Average check by month: won deals per month of closing (in the account's
-- description.en: time zone), their revenue and the average check.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- param: pipeline text | Воронка; без неё — все воронки
-- param.en: pipeline | Pipeline; all pipelines without it
-- chart: line month avg_check
-- Deals are grouped by the month's first moment, and only the few groups get a text label.
SELECT to_char(month_start, '%Y-%m') AS month, deals_won, revenue, avg_check
FROM (
    SELECT
        date_trunc('month', closed_at) AS month_start,
        count(*) AS deals_won,
        sum(budget) AS revenue,
        -- A won deal without a budget counts as a zero sale, so avg_check = revenue / deals_won.
        round(avg_check(coalesce(budget, 0)), 2) AS avg_check
    FROM deals
    WHERE outcome = 'won'
      AND closed_at IS NOT NULL
      [[AND in_period(closed_at, $period)]]
      [[AND lower(pipeline) = lower($pipeline)]]
    GROUP BY 1
) months
ORDER BY month_start;
