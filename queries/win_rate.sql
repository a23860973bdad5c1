-- name: win_rate
-- description: Доля выигранных сделок по воронкам: сколько закрытых сделок выиграно и проиграно,
-- description: процент выигранных и бюджет тех и других. Учитываются только закрытые сделки.
-- description.en: Win rate by pipeline: closed deals won and lost, the percentage won and the budget
-- description.en: of each. Only closed deals count.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
-- param: pipeline text | Воронка; без неё — все воронки
-- param.en: pipeline | Pipeline; all pipelines without it
-- chart: bar pipeline win_rate_pct
SELECT
    pipeline,
    count(*) FILTER (WHERE outcome = 'won') AS won,
    count(*) FILTER (WHERE outcome = 'lost') AS lost,
    round(conversion(count(*) FILTER (WHERE outcome = 'won'), count(*)), 2) AS win_rate_pct,
    coalesce(sum(budget) FILTER (WHERE outcome = 'won'), 0) AS won_budget,
    coalesce(sum(budget) FILTER (WHERE outcome = 'lost'), 0) AS lost_budget
FROM deals
WHERE outcome IN ('won', 'lost')
  [[AND in_period(closed_at, $period)]]
  [[AND lower(pipeline) = lower($pipeline)]]
GROUP BY pipeline
ORDER BY pipeline;
