-- name: channel_roi
-- description: Окупаемость рекламных каналов за период: расход из таблицы ad_spend против продаж
-- description: канала. Для канала — расход, заявки (созданные сделки), клиенты и выручка
-- description: (выигранные сделки), ROI и ROMI в процентах, цена заявки (CPL) и цена клиента (CAC).
-- description: Канал сделки — utm_source, а без него — «Источник»; каналы сравниваются без учёта
-- description: регистра. ROMI считается с маржой товара из параметра margin_pct.
-- description.en: Return on ad channels for a period: spend from the ad_spend table against the
-- description.en: channel's sales. Per channel: spend, leads (deals created), customers and revenue
-- description.en: (won deals), ROI and ROMI in percent, cost per lead (CPL) and per customer (CAC).
-- description.en: A deal's channel is utm_source, else its source, compared without case. ROMI uses
-- description.en: the product margin of the margin_pct parameter.
-- param: period period = last_month | Период; по умолчанию — прошлый месяц
-- param.en: period | Period; last month by default
-- param: margin_pct number 0..100 = 30 | Маржа товара в процентах для ROMI, от 0 до 100
-- param.en: margin_pct | Product margin in percent, for ROMI
-- chart: bar channel roi_pct
WITH sales AS (
    SELECT
        lower(trim(coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)'))) AS channel,
        count(*) FILTER (WHERE in_period(created_at, $period)) AS leads,
        count(*) FILTER (WHERE outcome = 'won' AND in_period(closed_at, $period)) AS customers,
        sum(coalesce(budget, 0)) FILTER (WHERE outcome = 'won' AND in_period(closed_at, $period)) AS revenue
    FROM deals
    GROUP BY 1
),
spend AS (
    SELECT lower(trim(channel)) AS channel, sum(spend) AS spend
    FROM ad_spend
    WHERE in_period(date, $period)
    GROUP BY 1
)
SELECT
    spend.channel,
    spend.spend,
    coalesce(sales.leads, 0) AS leads,
    coalesce(sales.customers, 0) AS customers,
    coalesce(sales.revenue, 0) AS revenue,
    round(roi(coalesce(sales.revenue, 0), spend.spend), 2) AS roi_pct,
    round(romi(coalesce(sales.revenue, 0), spend.spend, $margin_pct), 2) AS romi_pct,
    round(cpl(spend.spend, sales.leads), 2) AS cpl,
    round(cac(spend.spend, sales.customers), 2) AS cac
FROM spend
LEFT JOIN sales ON sales.channel = spend.channel
ORDER BY spend.spend DESC, spend.channel;
