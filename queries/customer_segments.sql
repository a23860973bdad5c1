-- name: customer_segments
-- description: Сегменты клиентов по сумме покупок, их числу и среднему чеку. Сумма и средний чек
-- description: делятся на три равные группы (малая, средняя, большая; низкий, средний, высокий),
-- description: число покупок — на 1, 2–3 и 4 и больше. Сочетания дают сегменты: сверху — клиенты с
-- description: большой суммой, многими покупками и высоким чеком. Для сегмента —
-- description: число клиентов, выручка и её доля, средний чек и средний LTV клиента. Клиент —
-- description: компания сделки, а без неё — контакт; покупка — выигранная сделка.
-- description.en: Customer segments by purchase sum, number of purchases and average check. The sum
-- description.en: and the check are cut into three equal groups, the number of purchases into 1, 2–3
-- description.en: and 4 or more, and their combinations make the segments, with large sums, many
-- description.en: purchases and a high check on top. Per segment: customers,
-- description.en: revenue and its share, average check and the average LTV of a customer. The
-- description.en: customer is the deal's company, else its contact; a purchase is a won deal.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
WITH purchases AS (
    SELECT
        coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
        coalesce(budget, 0) AS amount
    FROM deals
    WHERE outcome = 'won'
      [[AND in_period(closed_at, $period)]]
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
