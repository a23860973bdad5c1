-- crmsql: run purchase_rfm_segments --param as_of=2025-06-30
-- RFM segments of the customers of the purchases table as of 2025-06-30, counting purchases dated
-- up to that day: days since the last purchase and the number of purchases, each cut into
-- quintiles, name the segment. Per segment: customers, revenue and its share, average check and
-- average LTV.
-- Instead of rfm_score and rfm_segment: quintiles from rank() - 1 (see scored), and the names of
-- rfm_segment by recency and frequency score. The monetary score does not change a name, so it is
-- not computed. rfm_score would leave out a customer with a NULL measure; no customer has one here.
COPY (
WITH purchases AS (
    SELECT customer_id AS customer, date AS day, coalesce(amount, 0) AS amount
    FROM read_parquet('@purchases@')
    WHERE date <= DATE '2025-06-30'
),
customers AS (
    SELECT customer,
           DATE '2025-06-30' - max(day) AS recency_days,
           count(*) AS frequency,
           sum(amount) AS monetary
    FROM purchases
    WHERE customer IS NOT NULL
    GROUP BY customer
),
scored AS (
    -- Quintiles as rfm_score takes them: (values below) * 5 / (all values) + 1, where rank() - 1
    -- counts the values below. Recency scores 6 minus its quintile, so recent buyers score 5.
    SELECT frequency,
           monetary,
           6 - ((rank() OVER (ORDER BY recency_days) - 1) * 5 // count(*) OVER () + 1) AS r,
           (rank() OVER (ORDER BY frequency) - 1) * 5 // count(*) OVER () + 1 AS f
    FROM customers
),
named AS (
    -- The names of rfm_segment. The first case that matches wins.
    SELECT frequency,
           monetary,
           CASE
               WHEN r = 5 AND f >= 4 THEN 'Чемпионы'
               WHEN r IN (3, 4) AND f >= 4 THEN 'Лояльные'
               WHEN r >= 4 AND f IN (2, 3) THEN 'Потенциально лояльные'
               WHEN r = 5 AND f = 1 THEN 'Новички'
               WHEN r = 4 AND f = 1 THEN 'Перспективные'
               WHEN r = 3 AND f = 3 THEN 'Требуют внимания'
               WHEN r = 3 THEN 'Засыпающие'
               WHEN f = 5 THEN 'Нельзя потерять'
               WHEN f IN (3, 4) THEN 'В зоне риска'
               WHEN r = 1 AND f = 1 THEN 'Потерянные'
               ELSE 'Спящие'
           END AS segment
    FROM scored
)
SELECT segment,
       count(*) AS customers,
       sum(monetary) AS revenue,
       round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 2) AS revenue_share_pct,
       round(sum(monetary) / sum(frequency), 2) AS avg_check,
       round(avg(monetary), 2) AS ltv
FROM named
GROUP BY segment
ORDER BY revenue DESC, segment
) TO '/dev/stdout' (FORMAT csv, HEADER);
