-- crmsql: run end_to_end_fit --period 2024
-- Ad spend of each month of 2024 and the number of channels with spend (names compared without
-- case and outer spaces). fits is true when the month's spend passes 50 000 or more than one
-- channel has spend.
COPY (
SELECT strftime(date, '%Y-%m') AS month,
       sum(spend) AS spend,
       count(DISTINCT lower(trim(channel))) FILTER (WHERE spend > 0) AS channels,
       sum(spend) > 50000 OR count(DISTINCT lower(trim(channel))) FILTER (WHERE spend > 0) > 1 AS fits
FROM read_parquet('@ad_spend@')
WHERE date >= DATE '2024-01-01' AND date < DATE '2025-01-01'
GROUP BY 1
ORDER BY 1
) TO '/dev/stdout' (FORMAT csv, HEADER);
