-- name: product_economics
-- description: Экономика товаров и услуг: выигранные сделки, выручка, себестоимость, прибыль,
-- description: маржа (прибыль в процентах выручки) и рентабельность (прибыль в процентах
-- description: себестоимости) по полю «Товар». Себестоимость — доля цены из таблицы product_costs
-- description: (файл со столбцами «Товар» и «Себестоимость %»); товар без неё считается без себестоимости.
-- description.en: Product and service economics: won deals, revenue, cost, profit, margin (profit as
-- description.en: a percentage of revenue) and profitability (profit as a percentage of cost) by the
-- description.en: product field. Cost is the share of the price from the product_costs table
-- description.en: (a file with the columns «Товар» and «Себестоимость %»); a product without one has no cost.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- chart: bar product profit
WITH sales AS (
    SELECT
        coalesce(nullif(d.product, ''), '(не указан)') AS product,
        coalesce(d.budget, 0) AS revenue,
        coalesce(d.budget, 0) * coalesce(c.cost_pct, 0) / 100 AS cost
    FROM deals d
    -- One share per product: names differing only in case would count a sale twice.
    LEFT JOIN (
        SELECT lower(trim(product)) AS product, max(cost_pct) AS cost_pct
        FROM product_costs
        GROUP BY 1
    ) c ON c.product = lower(trim(d.product))
    WHERE d.outcome = 'won'
      [[AND in_period(d.closed_at, $period)]]
)
SELECT
    product,
    count(*) AS deals_won,
    sum(revenue) AS revenue,
    CAST(round(sum(cost), 2) AS DECIMAL(18, 2)) AS cost,
    CAST(round(sum(revenue) - sum(cost), 2) AS DECIMAL(18, 2)) AS profit,
    round(margin(sum(revenue), sum(cost)), 2) AS margin_pct,
    round(100.0 * (sum(revenue) - sum(cost)) / nullif(sum(cost), 0), 2) AS profitability_pct
FROM sales
GROUP BY product
ORDER BY profit DESC, product;
