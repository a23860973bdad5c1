-- name: sales_overview
-- description: Обзор продаж за период: сумма продаж, число выигранных сделок и средний чек,
-- description: те же показатели за период сравнения и изменение в процентах. Сделка относится
-- description: к периоду по дате закрытия в часовом поясе аккаунта.
-- description.en: Sales overview for a period: revenue, won deals and average check, the same for
-- description.en: the comparison period, and the change in percent. A deal belongs to the period
-- description.en: of its closing date in the account's time zone.
-- param: period period = last_month | Период; по умолчанию — прошлый месяц
-- param.en: period | Period; last month by default
-- param: compare compare = previous | С чем сравнить: previous — предыдущий период, year — тот же период годом раньше
-- param.en: compare | Compared with: previous, the period before; year, the same period a year earlier
WITH won AS (
    -- A won deal without a budget counts as a zero sale, as in the other reports.
    SELECT coalesce(budget, 0) AS amount, closed_at FROM deals WHERE outcome = 'won'
),
now_ AS (
    SELECT sum(amount) AS revenue, count(*) AS deals_won, avg_check(amount) AS avg_check
    FROM won WHERE in_period(closed_at, $period)
),
before_ AS (
    SELECT sum(amount) AS revenue, count(*) AS deals_won, avg_check(amount) AS avg_check
    FROM won WHERE in_period(closed_at, $period, $compare)
)
SELECT
    CAST(period_start($period) AS DATE) AS period_start,
    CAST(period_end($period) - INTERVAL '1 day' AS DATE) AS period_last_day,
    CAST(period_start($period, $compare) AS DATE) AS compare_start,
    CAST(period_end($period, $compare) - INTERVAL '1 day' AS DATE) AS compare_last_day,
    coalesce(now_.revenue, 0) AS revenue,
    coalesce(before_.revenue, 0) AS revenue_before,
    round(growth(now_.revenue, before_.revenue), 2) AS revenue_change_pct,
    now_.deals_won,
    before_.deals_won AS deals_won_before,
    round(growth(now_.deals_won, before_.deals_won), 2) AS deals_won_change_pct,
    round(now_.avg_check, 2) AS avg_check,
    round(before_.avg_check, 2) AS avg_check_before,
    round(growth(now_.avg_check, before_.avg_check), 2) AS avg_check_change_pct
FROM now_, before_;
