-- name: pipeline_stages
-- description: Сводка по этапам воронок, как в сводном отчёте amoCRM: сколько сделок на
-- description: каждом этапе, их общий бюджет и доля от всех сделок в процентах.
-- description.en: Pipeline stage summary, like amoCRM's summary report: deals at each stage,
-- description.en: their total budget and their share of all deals in percent.
-- param: pipeline text | Воронка; без неё — все воронки
-- param.en: pipeline | Pipeline; all pipelines without it
-- chart: bar stage deals
SELECT
    pipeline,
    stage,
    count(*) AS deals,
    coalesce(sum(budget), 0) AS budget,
    CAST(round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS DECIMAL(5, 2)) AS share_pct,
    CAST(round(100.0 * coalesce(sum(budget), 0) / nullif(sum(sum(budget)) OVER (), 0), 2) AS DECIMAL(5, 2)) AS budget_share_pct
FROM deals
[[WHERE lower(pipeline) = lower($pipeline)]]
GROUP BY pipeline, stage, outcome
-- Open stages first, then won, then lost, as amoCRM lists them; open stages by size.
ORDER BY
    pipeline,
    CASE outcome WHEN 'open' THEN 0 WHEN 'won' THEN 1 ELSE 2 END,
    deals DESC,
    stage;
