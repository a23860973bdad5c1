-- crmsql: run pipeline_stages
-- Deals of every pipeline and stage, their budget and their shares of all deals and of all
-- budget. Within a pipeline, open stages come first (largest first), then won, then lost.
COPY (
SELECT pipeline,
       stage,
       count(*) AS deals,
       coalesce(sum(budget), 0) AS budget,
       CAST(round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS DECIMAL(5, 2)) AS share_pct,
       CAST(round(100.0 * coalesce(sum(budget), 0) / nullif(sum(sum(budget)) OVER (), 0), 2)
           AS DECIMAL(5, 2)) AS budget_share_pct
FROM read_parquet('@deals@')
GROUP BY pipeline, stage, outcome
ORDER BY pipeline, CASE outcome WHEN 'open' THEN 0 WHEN 'won' THEN 1 ELSE 2 END, deals DESC, stage
) TO '/dev/stdout' (FORMAT csv, HEADER);
