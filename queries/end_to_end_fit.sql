-- name: end_to_end_fit
-- description: Окупится ли сквозная аналитика: по месяцам периода — расход на рекламу и число
-- description: каналов с расходом. Сквозная аналитика обычно окупается, когда расход больше
-- description: 50 000 рублей в месяц или каналов несколько; такие месяцы отмечены в столбце fits.
-- description.en: Would end-to-end analytics pay off: per month of the period, ad spend and the number
-- description.en: of channels with spend. It usually pays off when spend passes 50,000 roubles a
-- description.en: month or several channels are used; such months are marked in the fits column.
-- param: period period = last_year | Период; по умолчанию — прошлый год
-- param.en: period | Period; last year by default
-- chart: line month spend
SELECT
    to_char(date_trunc('month', date), '%Y-%m') AS month,
    sum(spend) AS spend,
    count(DISTINCT lower(trim(channel))) FILTER (WHERE spend > 0) AS channels,
    sum(spend) > 50000 OR count(DISTINCT lower(trim(channel))) FILTER (WHERE spend > 0) > 1 AS fits
FROM ad_spend
WHERE in_period(date, $period)
GROUP BY 1
ORDER BY 1;
