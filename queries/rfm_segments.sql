-- name: rfm_segments
-- description: RFM-сегменты клиентов. Давность последней покупки, число покупок и их сумма
-- description: делятся на пять равных групп, и по давности и частоте клиент попадает в сегмент:
-- description: Чемпионы, Лояльные, Новички, Спящие, В зоне риска и другие. Для сегмента —
-- description: число клиентов, выручка и её доля, средний чек и средний LTV клиента (сумма его
-- description: покупок). Клиент — компания сделки, а без неё — контакт; покупка — выигранная сделка.
-- description.en: RFM segments of customers. Days since the last purchase, the number of purchases
-- description.en: and their sum are cut into quintiles, and recency and frequency place a customer in
-- description.en: a segment: Champions, Loyal, New customers, Hibernating, At risk and others. Per
-- description.en: segment: customers, revenue and its share, average check and the average LTV of
-- description.en: a customer (the sum of their purchases). The customer is the deal's company, else
-- description.en: its contact; a purchase is a won deal.
-- param: as_of date | Дата, на которую строятся сегменты: покупки после неё не учитываются; без неё — сегодня
-- param.en: as_of | Date the segments are built as of: later purchases do not count; today without it
-- chart: bar segment revenue
WITH purchases AS (
    SELECT
        coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
        CAST(closed_at AS DATE) AS day,
        coalesce(budget, 0) AS amount
    FROM deals
    WHERE outcome = 'won' AND closed_at IS NOT NULL
      -- Purchases after the date do not exist yet, as of that date.
      AND CAST(closed_at AS DATE) <= coalesce($as_of, CAST(period_start('today') AS DATE))
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
