-- name: avg_check_by_product
-- description: Средний чек по товарам и услугам: выигранные сделки, выручка и средний чек по
-- description: полю «Товар», от большей выручки к меньшей.
-- description.en: Average check by product or service: won deals, revenue and average check by the
-- description.en: product field, highest revenue first.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- chart: bar product avg_check
SELECT
    coalesce(nullif(product, ''), '(не указан)') AS product,
    count(*) AS deals_won,
    coalesce(sum(budget), 0) AS revenue,
    round(avg_check(coalesce(budget, 0)), 2) AS avg_check
FROM deals
WHERE outcome = 'won'
  [[AND in_period(closed_at, $period)]]
GROUP BY 1
ORDER BY revenue DESC, product;
