-- name: sales_by_manager
-- description: Продажи по менеджерам: выигранные сделки, выручка и средний чек каждого
-- description: ответственного, от большей выручки к меньшей.
-- description.en: Sales by manager: won deals, revenue and average check of each responsible
-- description.en: manager, highest revenue first.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- chart: bar manager revenue
SELECT
    coalesce(manager, '(не указан)') AS manager,
    count(*) AS deals_won,
    coalesce(sum(budget), 0) AS revenue,
    round(avg_check(coalesce(budget, 0)), 2) AS avg_check
FROM deals
WHERE outcome = 'won'
  [[AND in_period(closed_at, $period)]]
GROUP BY 1
ORDER BY revenue DESC, manager;
