-- name: loss_reasons
-- description: Причины отказа: сколько проигранных сделок по каждой причине, их бюджет и доля от
-- description: всех проигранных, от частой причины к редкой.
-- description.en: Loss reasons: lost deals per reason, their budget and their share of all lost
-- description.en: deals, most frequent first.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- param: pipeline text | Воронка; без неё — все воронки
-- param.en: pipeline | Pipeline; all pipelines without it
-- chart: bar loss_reason deals
SELECT
    coalesce(loss_reason, '(не указана)') AS loss_reason,
    count(*) AS deals,
    coalesce(sum(budget), 0) AS budget,
    round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS share_pct
FROM deals
WHERE outcome = 'lost'
  [[AND in_period(closed_at, $period)]]
  [[AND lower(pipeline) = lower($pipeline)]]
GROUP BY 1
ORDER BY deals DESC, loss_reason;
