-- name: transaction_rfm_segments
-- description: RFM-сегменты покупателей amoCRM (раздел «Покупатели») по их покупкам из таблицы
-- description: transactions. Давность последней покупки, число покупок и их сумма делятся на пять
-- description: равных групп, и по давности и частоте покупатель попадает в сегмент: Чемпионы,
-- description: Лояльные, Новички, Спящие, В зоне риска и другие. Для сегмента — число покупателей,
-- description: выручка и её доля, средний чек и средний LTV покупателя.
-- description.en: RFM segments of amoCRM customers (the Customers section) by their purchases in the
-- description.en: transactions table. Days since the last purchase, the number of purchases and
-- description.en: their sum are cut into quintiles, and recency and frequency place a customer in a
-- description.en: segment. Per segment: customers, revenue and its share, average check and the
-- description.en: average LTV of a customer.
-- param: as_of date | Дата, на которую строятся сегменты: покупки после неё не учитываются; без неё — сегодня
-- param.en: as_of | Date the segments are built as of: later purchases do not count; today without it
WITH purchases AS (
    SELECT
        CAST(customer_id AS VARCHAR) AS customer,
        CAST(completed_at AS DATE) AS day,
        coalesce(price, 0) AS amount
    FROM transactions
    WHERE completed_at IS NOT NULL AND NOT coalesce(is_deleted, false)
      -- Purchases after the date do not exist yet, as of that date.
      AND CAST(completed_at AS DATE) <= coalesce($as_of, CAST(period_start('today') AS DATE))
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
