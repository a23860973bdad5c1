-- name: avg_check_by_channel
-- description: Средний чек по каналам: выигранные сделки, выручка и средний чек каждого канала,
-- description: от большей выручки к меньшей. Канал — utm_source, а без него — «Источник» сделки.
-- description.en: Average check by channel: won deals, revenue and average check of each channel,
-- description.en: highest revenue first. The channel is utm_source, else the deal's source.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- chart: bar channel avg_check
SELECT
    coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)') AS channel,
    count(*) AS deals_won,
    coalesce(sum(budget), 0) AS revenue,
    round(avg_check(coalesce(budget, 0)), 2) AS avg_check
FROM deals
WHERE outcome = 'won'
  [[AND in_period(closed_at, $period)]]
GROUP BY 1
ORDER BY revenue DESC, channel;
