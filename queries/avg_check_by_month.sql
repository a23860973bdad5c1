-- name: avg_check_by_month
-- description: Средний чек по месяцам: сколько сделок выиграно в каждом месяце,
-- description: на какую сумму и каков средний чек. Месяц берётся по дате закрытия
-- description: в часовом поясе аккаунта.
-- description.en: Average check by month: won deals per month of closing (in the account's
-- description.en: time zone), their revenue and the average check.
SELECT
    to_char(date_trunc('month', closed_at), '%Y-%m') AS month,
    count(*) AS deals_won,
    sum(budget) AS revenue,
    -- A won deal without a budget counts as a zero sale, so avg_check equals revenue / deals_won.
    round(avg_check(coalesce(budget, 0)), 2) AS avg_check
FROM deals
WHERE outcome = 'won'
  AND closed_at IS NOT NULL
GROUP BY 1
ORDER BY 1;
