-- name: full_profitability
-- description: Полная прибыльность по месяцам: выручка выигранных сделок за вычетом себестоимости
-- description: товаров (доли из product_costs), расходов на рекламу (ad_spend) и прочих расходов
-- description: (expenses: зарплаты, программы, аренда), прибыль и её доля в выручке. Нужны все три
-- description: таблицы; месяц без продаж или расходов показывается с нулями.
-- description.en: Full profitability by month: revenue of won deals less the cost of goods (shares
-- description.en: from product_costs), ad spend (ad_spend) and other expenses (expenses: salaries,
-- description.en: software, rent), the profit and its share of revenue. All three tables are needed;
-- description.en: a month without sales or costs shows zeros.
-- param: period period = last_year | Период; по умолчанию — прошлый год
-- param.en: period | Period; last year by default
-- chart: line month profit
WITH sales AS (
    -- Deals are grouped by the month's first moment, and only the few groups get a text label.
    SELECT to_char(month_start, '%Y-%m') AS month, revenue, cost_of_goods
    FROM (
        SELECT
            date_trunc('month', d.closed_at) AS month_start,
            sum(coalesce(d.budget, 0)) AS revenue,
            sum(coalesce(d.budget, 0) * coalesce(c.cost_pct, 0) / 100) AS cost_of_goods
        FROM deals d
        -- One share per product: names differing only in case would count a sale twice.
        LEFT JOIN (
            SELECT lower(trim(product)) AS product, max(cost_pct) AS cost_pct
            FROM product_costs
            GROUP BY 1
        ) c ON c.product = lower(trim(d.product))
        WHERE d.outcome = 'won' AND in_period(d.closed_at, $period)
        GROUP BY 1
    ) monthly
),
ads AS (
    SELECT to_char(date, '%Y-%m') AS month, sum(spend) AS ad_spend
    FROM ad_spend
    WHERE in_period(date, $period)
    GROUP BY 1
),
other AS (
    SELECT to_char(month, '%Y-%m') AS month, sum(amount) AS expenses
    FROM expenses
    WHERE in_period(month, $period)
    GROUP BY 1
),
months AS (
    -- Each source is read once: a second reference to a table expression would read it again.
    SELECT
        coalesce(sales.month, ads.month, other.month) AS month,
        sales.revenue,
        sales.cost_of_goods,
        ads.ad_spend,
        other.expenses
    FROM sales
    FULL JOIN ads ON ads.month = sales.month
    FULL JOIN other ON other.month = coalesce(sales.month, ads.month)
)
SELECT
    month,
    coalesce(revenue, 0) AS revenue,
    CAST(round(coalesce(cost_of_goods, 0), 2) AS DECIMAL(18, 2)) AS cost_of_goods,
    coalesce(ad_spend, 0) AS ad_spend,
    coalesce(expenses, 0) AS expenses,
    CAST(round(coalesce(revenue, 0) - coalesce(cost_of_goods, 0) - coalesce(ad_spend, 0)
        - coalesce(expenses, 0), 2) AS DECIMAL(18, 2)) AS profit,
    round(margin(coalesce(revenue, 0), coalesce(cost_of_goods, 0) + coalesce(ad_spend, 0)
        + coalesce(expenses, 0)), 2) AS profit_pct
FROM months
ORDER BY month;
