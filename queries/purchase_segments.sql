-- name: purchase_segments
-- description: Сегменты покупателей из таблицы purchases (история покупок другой системы,
-- description: загруженная с --table purchases) по сумме покупок, их числу и среднему чеку.
-- description: Сумма и средний чек делятся на три равные группы, число покупок — на 1, 2–3 и 4 и
-- description: больше, а их сочетания дают сегменты: сверху —
-- description: покупатели с большой суммой, многими покупками и высоким чеком. Для сегмента —
-- description: число покупателей, выручка и её доля, средний чек и средний LTV покупателя.
-- description.en: Segments of the customers of the purchases table (a purchase history from another
-- description.en: system, imported with --table purchases) by purchase sum, number of purchases and
-- description.en: average check: the sum and the check cut into thirds, the number of purchases into
-- description.en: 1, 2–3 and 4 or more, combined. Per segment: customers,
-- description.en: revenue and its share, average check and the average LTV of a customer.
-- param: period period | Период покупок; без него — вся история
-- param.en: period | Period of purchases; the whole history without it
WITH purchases AS (
    SELECT customer_id AS customer, coalesce(amount, 0) AS amount
    FROM purchases
    WHERE true
      [[AND in_period(date, $period)]]
),
customers AS (
    SELECT customer, count(*) AS purchases, sum(amount) AS total
    FROM purchases
    WHERE customer IS NOT NULL
    GROUP BY customer
),
levels AS (
    SELECT
        purchases,
        total,
        quantile_bucket(total, 3) OVER () AS sum_group,
        segment_bucket(purchases, [2, 4]) AS count_group,
        quantile_bucket(total / purchases, 3) OVER () AS check_group
    FROM customers
)
SELECT
    CASE sum_group WHEN 3 THEN 'большая' WHEN 2 THEN 'средняя' ELSE 'малая' END AS purchase_sum,
    CASE count_group WHEN 3 THEN '4 и больше' WHEN 2 THEN '2–3' ELSE '1' END AS purchase_count,
    CASE check_group WHEN 3 THEN 'высокий' WHEN 2 THEN 'средний' ELSE 'низкий' END AS avg_check_level,
    count(*) AS customers,
    sum(total) AS revenue,
    round(100.0 * sum(total) / sum(sum(total)) OVER (), 2) AS revenue_share_pct,
    round(sum(total) / sum(purchases), 2) AS avg_check,
    round(avg(total), 2) AS ltv
FROM levels
GROUP BY sum_group, count_group, check_group
ORDER BY sum_group DESC, count_group DESC, check_group DESC;
