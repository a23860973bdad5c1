-- name: customers_by_manager
-- description: Покупки компаний и контактов по менеджерам: сколько у менеджера клиентов-компаний
-- description: и клиентов-контактов (сделки без компании), сколько покупок, покупок на клиента,
-- description: выручка, средний чек и доля в общей выручке. Покупка — выигранная сделка.
-- description.en: Purchases of companies and contacts per manager: how many company customers and
-- description.en: contact customers (deals without a company) a manager has, purchases, purchases
-- description.en: per customer, revenue, average check and share of all revenue. A purchase is a
-- description.en: won deal.
-- param: period period | Период закрытия сделок; без него — вся история
-- param.en: period | Period of closing; the whole history without it
WITH won AS (
    SELECT
        coalesce(manager, '(не указан)') AS manager,
        CASE WHEN nullif(company, '') IS NOT NULL THEN 'компания' ELSE 'контакт' END AS customer_type,
        coalesce(nullif(company, ''), nullif(contact, '')) AS customer,
        coalesce(budget, 0) AS amount
    FROM deals
    WHERE outcome = 'won'
      [[AND in_period(closed_at, $period)]]
)
SELECT
    manager,
    customer_type,
    count(DISTINCT customer) AS customers,
    count(*) AS purchases,
    round(CAST(count(*) AS DOUBLE) / nullif(count(DISTINCT customer), 0), 2) AS purchases_per_customer,
    sum(amount) AS revenue,
    round(avg_check(amount), 2) AS avg_check,
    round(100.0 * sum(amount) / sum(sum(amount)) OVER (), 2) AS revenue_share_pct
FROM won
GROUP BY manager, customer_type
ORDER BY manager, customer_type;
