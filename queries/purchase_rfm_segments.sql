-- name: purchase_rfm_segments
-- description: RFM-сегменты покупателей из таблицы purchases (история покупок другой системы,
-- description: загруженная с --table purchases). Давность последней покупки, число покупок и их
-- description: сумма делятся на пять равных групп, и по давности и частоте покупатель попадает в
-- description: сегмент: Чемпионы, Лояльные, Новички, Спящие, В зоне риска и другие. Для сегмента —
-- description: число покупателей, выручка и её доля, средний чек и средний LTV покупателя.
-- description.en: RFM segments of the customers of the purchases table (a purchase history from
-- description.en: another system, imported with --table purchases). Days since the last purchase,
-- description.en: the number of purchases and their sum are cut into quintiles, and recency and
-- description.en: frequency place a customer in a segment. Per segment: customers, revenue and its
-- description.en: share, average check and the average LTV of a customer.
-- param: as_of date | Дата, на которую строятся сегменты: покупки после неё не учитываются; без неё — сегодня
-- param.en: as_of | Date the segments are built as of: later purchases do not count; today without it
WITH purchases AS (
    SELECT customer_id AS customer, date AS day, coalesce(amount, 0) AS amount
    FROM purchases
    -- Purchases after the date do not exist yet, as of that date.
    WHERE date <= coalesce($as_of, CAST(period_start('today') AS DATE))
),
customers AS (
    SELECT
        customer,
        coalesce($as_of, CAST(period_start('today') AS DATE)) - max(day) AS recency_days,
        count(*) AS frequency,
        sum(amount) AS monetary
    FROM purchases
    WHERE customer IS NOT NULL
    GROUP BY customer
),
scored AS (
    SELECT
        frequency,
        monetary,
        rfm_segment(rfm_score(recency_days, frequency, monetary) OVER ()) AS segment
    FROM customers
)
SELECT
    segment,
    count(*) AS customers,
    sum(monetary) AS revenue,
    round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 2) AS revenue_share_pct,
    round(sum(monetary) / sum(frequency), 2) AS avg_check,
    round(avg(monetary), 2) AS ltv
FROM scored
GROUP BY segment
ORDER BY revenue DESC, segment;
