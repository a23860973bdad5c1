-- name: budget_reallocation
-- description: Перераспределение бюджета между каналами: расход, выручка, средний чек и ROI
-- description: каждого канала до даты изменения и после неё, и итог по всем каналам. Показывает,
-- description: что дало отключение слабых каналов и перевод их бюджета в сильные: изменился ли
-- description: средний чек и окупаемость. Продажи — выигранные сделки по дате закрытия, расход —
-- description: таблица ad_spend; канал сделки — utm_source, а без него — «Источник». ROI итога
-- description: считается по выручке каналов с расходом. Периоды «до» и «после» бывают разной
-- description: длины, поэтому расход показан и в среднем за месяц (месяц — 30,44 дня).
-- description.en: Budget reallocation between channels: spend, revenue, average check and ROI of each
-- description.en: channel before the change date and after it, with a total over all channels. It
-- description.en: shows what cutting weak channels and moving their budget to strong ones gave. Sales
-- description.en: are won deals by closing date, spend comes from the ad_spend table; a deal's channel
-- description.en: is utm_source, else its source. The total's ROI counts channels with spend. The
-- description.en: periods before and after may differ in length, so spend is also shown per average
-- description.en: month (30.44 days).
-- param: change_date date required | Дата, с которой бюджет распределён по-новому
-- param.en: change_date | Date from which the budget was spread anew
-- param: before_from date | Начало периода «до»; без него — вся история до даты
-- param.en: before_from | Start of the period before; the whole history without it
-- param: after_to date | День после конца периода «после»; без него — вся история после даты
-- param.en: after_to | Day after the end of the period after; the whole history without it
-- check: $before_from IS NULL OR $before_from < $change_date | before_from должна быть раньше change_date
-- check.en: before_from must be earlier than change_date
-- check: $after_to IS NULL OR $after_to > $change_date | after_to должна быть позже change_date
-- check.en: after_to must be later than change_date
-- chart: bar channel roi_after_pct
WITH sales AS (
    SELECT
        lower(trim(coalesce(nullif(utm_source, ''), nullif(source, ''), '(не указан)'))) AS channel,
        CAST(closed_at AS DATE) AS day,
        coalesce(budget, 0) AS amount
    FROM deals
    WHERE outcome = 'won' AND closed_at IS NOT NULL
      [[AND CAST(closed_at AS DATE) >= $before_from]]
      [[AND CAST(closed_at AS DATE) < $after_to]]
),
costs AS (
    SELECT lower(trim(channel)) AS channel, date AS day, spend
    FROM ad_spend
    WHERE true
      [[AND date >= $before_from]]
      [[AND date < $after_to]]
),
bounds AS (
    -- Without given ends, the periods run from the first day of data to the day after the last.
    SELECT
        coalesce($before_from, least((SELECT min(day) FROM sales), (SELECT min(day) FROM costs))) AS first_day,
        coalesce($after_to, greatest((SELECT max(day) FROM sales), (SELECT max(day) FROM costs)) + INTERVAL '1 day') AS end_day
),
by_channel AS (
    SELECT
        coalesce(s.channel, c.channel) AS channel,
        coalesce(c.spend_before, 0) AS spend_before,
        coalesce(c.spend_after, 0) AS spend_after,
        coalesce(s.deals_before, 0) AS deals_before,
        coalesce(s.deals_after, 0) AS deals_after,
        coalesce(s.revenue_before, 0) AS revenue_before,
        coalesce(s.revenue_after, 0) AS revenue_after,
        -- ROI counts the revenue of channels that had spend, so calls and referrals do not
        -- inflate the total.
        CASE WHEN coalesce(c.spend_before, 0) > 0 THEN coalesce(s.revenue_before, 0) ELSE 0 END AS paid_before,
        CASE WHEN coalesce(c.spend_after, 0) > 0 THEN coalesce(s.revenue_after, 0) ELSE 0 END AS paid_after
    FROM (
        SELECT
            channel,
            count(*) FILTER (WHERE day < $change_date) AS deals_before,
            count(*) FILTER (WHERE day >= $change_date) AS deals_after,
            sum(amount) FILTER (WHERE day < $change_date) AS revenue_before,
            sum(amount) FILTER (WHERE day >= $change_date) AS revenue_after
        FROM sales
        GROUP BY channel
    ) s
    FULL JOIN (
        SELECT
            channel,
            sum(spend) FILTER (WHERE day < $change_date) AS spend_before,
            sum(spend) FILTER (WHERE day >= $change_date) AS spend_after
        FROM costs
        GROUP BY channel
    ) c ON s.channel = c.channel
),
with_total AS (
    -- Each channel row is counted twice: once on its own and once in the total, so that the
    -- deals are read once. A second reference to by_channel would read them again.
    SELECT
        p.part,
        CASE WHEN p.part = 0 THEN b.channel ELSE '(все каналы)' END AS channel,
        sum(b.spend_before) AS spend_before,
        sum(b.spend_after) AS spend_after,
        sum(b.deals_before) AS deals_before,
        sum(b.deals_after) AS deals_after,
        sum(b.revenue_before) AS revenue_before,
        sum(b.revenue_after) AS revenue_after,
        sum(b.paid_before) AS paid_before,
        sum(b.paid_after) AS paid_after
    FROM by_channel b CROSS JOIN (VALUES (0), (1)) AS p(part)
    GROUP BY 1, 2
)
SELECT
    channel,
    spend_before,
    spend_after,
    round(spend_before / nullif(CAST($change_date - bounds.first_day AS DOUBLE) / 30.4375, 0), 2) AS spend_month_before,
    round(spend_after / nullif(CAST(bounds.end_day - $change_date AS DOUBLE) / 30.4375, 0), 2) AS spend_month_after,
    revenue_before,
    revenue_after,
    round(revenue_before / nullif(deals_before, 0), 2) AS avg_check_before,
    round(revenue_after / nullif(deals_after, 0), 2) AS avg_check_after,
    round(growth(revenue_after / nullif(deals_after, 0), revenue_before / nullif(deals_before, 0)), 2) AS avg_check_change_pct,
    round(roi(paid_before, spend_before), 2) AS roi_before_pct,
    round(roi(paid_after, spend_after), 2) AS roi_after_pct
FROM with_total CROSS JOIN bounds
ORDER BY part, spend_after DESC, spend_before DESC, channel;
