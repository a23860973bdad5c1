//! Deterministic generator of a demo amoCRM account's deals export.
//!
//! The export has amoCRM's older header set (comma-separated UTF-8 with CRLF line ends, quoted
//! multi-line notes, repeated phones in one cell), two years of deals, a dozen managers, two
//! pipelines and several channels. The same seed and row count always give the same bytes, so the
//! file in `data/demo/` can be rebuilt and checked, and benchmarks can make exports of any size.

use std::io::Write;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Default size of the demo export.
pub const DEFAULT_ROWS: u64 = 6000;
/// Default seed of the demo export.
pub const DEFAULT_SEED: u64 = 20_250_110;
/// File name of the demo export in `data/demo/`.
pub const DEMO_FILE_NAME: &str = "amocrm_export_leads_2025-01-10.csv";

/// Settings of a generated export.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub rows: u64,
    pub seed: u64,
    /// First day of deal creation.
    pub start: NaiveDate,
    /// Day of the export: no deal is created or closed on or after it.
    pub export_day: NaiveDate,
    /// Field delimiter: `,` as amoCRM writes, `;` as a file re-saved by Excel has.
    pub delimiter: u8,
    /// Budgets with kopecks and a decimal comma (`42000,50`) instead of whole roubles.
    pub kopecks: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            rows: DEFAULT_ROWS,
            seed: DEFAULT_SEED,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default(),
            export_day: NaiveDate::from_ymd_opt(2025, 1, 10).unwrap_or_default(),
            delimiter: b',',
            kopecks: false,
        }
    }
}

/// SplitMix64: tiny, fast and stable across versions, unlike the `rand` crate's generators.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const HEADER: &[&str] = &[
    "ID",
    "Название сделки",
    "Бюджет ",
    "Ответственный",
    "Дата создания сделки",
    "Кем создана сделка",
    "Дата редактирования",
    "Кем редактирована",
    "Дата закрытия",
    "Теги",
    "Примечание",
    "Примечание 2",
    "Примечание 3",
    "Примечание 4",
    "Примечание 5",
    "Этап сделки",
    "Воронка",
    "Полное имя контакта",
    "Компания контакта",
    "Ответственный за контакт",
    "Компания",
    "Рабочий телефон",
    "Рабочий прямой телефон",
    "Мобильный телефон",
    "Факс",
    "Домашний телефон",
    "Другой телефон",
    "Рабочий email",
    "Личный email",
    "Другой email",
    "Город",
    "Источник",
    "Должность",
    "Товар",
    "Пользовательское соглашение",
    "cid",
    "uid",
    "tid",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_referrer",
    "roistat",
];

/// Manager name and how much more often than average their deals are won.
const MANAGERS: &[(&str, f64)] = &[
    ("Андрей Петров", 1.25),
    ("Мария Кузнецова", 1.15),
    ("Иван Орлов", 1.0),
    ("Пётр Зуев", 0.9),
    ("Нина Белова", 1.1),
    ("Глеб Ким", 0.8),
    ("Ольга Смирнова", 1.05),
    ("Сергей Лаптев", 0.95),
    ("Екатерина Волкова", 1.2),
    ("Дмитрий Соколов", 0.85),
    ("Анна Морозова", 1.0),
    ("Алексей Фёдоров", 0.75),
];

/// Product, price range in roubles, and how often it is sold.
const PRODUCTS: &[(&str, u64, u64, u64)] = &[
    ("Стеллажи складские", 40_000, 400_000, 30),
    ("Паллетные стеллажи", 150_000, 1_200_000, 12),
    ("Складская техника", 90_000, 900_000, 10),
    ("Монтаж", 15_000, 120_000, 20),
    ("Сервисное обслуживание", 8_000, 60_000, 18),
    ("Доставка", 3_000, 25_000, 10),
];

/// Channel: `Источник`, utm_source, utm_medium, weight.
const CHANNELS: &[(&str, &str, &str, u64)] = &[
    ("Сайт", "yandex", "cpc", 30),
    ("Сайт", "google", "cpc", 12),
    ("Соцсети", "vk", "social", 12),
    ("Соцсети", "telegram", "social", 8),
    ("Рассылка", "email", "email", 6),
    ("Авито", "avito", "classified", 8),
    ("Звонок", "", "", 12),
    ("Рекомендация", "", "", 8),
    ("Выставка", "", "", 4),
];

const SALES_STAGES: &[&str] = &[
    "Первичный контакт",
    "Переговоры",
    "Принимают решение",
    "Согласование договора",
];
const REPEAT_STAGES: &[&str] = &["Новый запрос", "Подбор решения", "Счёт выставлен"];
const LOSS_REASONS: &[&str] = &[
    "Дорого",
    "Выбрали конкурента",
    "Не отвечает",
    "Нет потребности",
];
const TAGS: &[&str] = &["опт", "розница", "повторный", "VIP", "тендер"];
const FIRST_NAMES: &[&str] = &[
    "Ирина",
    "Олег",
    "Светлана",
    "Михаил",
    "Татьяна",
    "Артём",
    "Юлия",
    "Роман",
    "Елена",
    "Виктор",
];
const LAST_NAMES: &[&str] = &[
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Попов",
    "Васильев",
    "Зайцев",
    "Павлов",
    "Семёнов",
    "Голубев",
];
const COMPANIES: &[&str] = &[
    "Ромашка",
    "СкладСервис",
    "Логистик Плюс",
    "Техноторг",
    "Вектор",
    "Северный склад",
    "Альфа-Трейд",
    "Меридиан",
];
const CITIES: &[&str] = &[
    "Москва",
    "Санкт-Петербург",
    "Казань",
    "Екатеринбург",
    "Новосибирск",
    "Нижний Новгород",
    "Самара",
    "",
];
const POSITIONS: &[&str] = &["Закупщик", "Директор", "Начальник склада", "Менеджер", ""];
const NOTES: &[&str] = &[
    "Клиент просит счёт на ООО.\nДоставка до склада, 2 паллеты.",
    "Перезвонить после 15:00",
    "Нужен замер помещения; высота потолка 6 м",
    "Сравнивает с предложением конкурента, просил скидку 5%",
    "Отправили КП \"Стандарт\" и \"Премиум\"",
    "Оплата в два этапа:\n50% аванс,\n50% после монтажа",
];

fn weighted<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u64) -> &'a T {
    let total: u64 = items.iter().map(&weight).sum();
    let mut target = rng.below(total);
    for item in items {
        let w = weight(item);
        if target < w {
            return item;
        }
        target -= w;
    }
    &items[items.len() - 1]
}

fn format_time(t: NaiveDateTime) -> String {
    t.format("%d.%m.%Y %H:%M:%S").to_string()
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "+7 9{:02} {:03}-{:02}-{:02}",
        rng.below(100),
        rng.below(1000),
        rng.below(100),
        rng.below(100)
    )
}

/// One generated deal, as export cells.
struct Deal {
    created: NaiveDateTime,
    cells: Vec<String>,
}

fn working_time(rng: &mut Rng, day: NaiveDate) -> NaiveDateTime {
    let seconds = 9 * 3600 + rng.below(10 * 3600) as u32;
    day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or_default())
}

fn make_deal(rng: &mut Rng, config: &DemoConfig, index: u64, day: Option<NaiveDate>) -> Deal {
    let days = (config.export_day - config.start).num_days().max(1) as u64;
    let created_day = match day {
        Some(day) => day,
        None => {
            // Business grows: later days are up to 60% more likely than earlier ones.
            let day_offset = loop {
                let candidate = rng.below(days);
                if rng.unit() < (1.0 + 0.6 * candidate as f64 / days as f64) / 1.6 {
                    break candidate;
                }
            };
            config.start + Duration::days(day_offset as i64)
        }
    };
    let created = working_time(rng, created_day);
    let export_start = config.export_day.and_time(NaiveTime::MIN);

    let (manager, skill) = *rng.pick(MANAGERS);
    let repeat = rng.chance(0.2);
    let pipeline = if repeat {
        "Повторные продажи"
    } else {
        "Продажи"
    };
    let &(product, low, high, _) = weighted(rng, PRODUCTS, |p| p.3);
    let (source, utm_source, utm_medium, _) = *weighted(rng, CHANNELS, |c| c.3);
    let budget = if rng.chance(0.04) {
        0
    } else {
        (low + rng.below(high - low)) / 100 * 100
    };

    // Young deals are mostly still open; older ones are decided.
    let age_days = (export_start - created).num_days();
    let open_chance = if age_days < 45 { 0.7 } else { 0.06 };
    let won_chance = if repeat { 0.55 } else { 0.38 } * skill;
    let roll = rng.unit();
    let (outcome, stage) = if roll < open_chance {
        let stages = if repeat { REPEAT_STAGES } else { SALES_STAGES };
        ("open", (*rng.pick(stages)).to_owned())
    } else if rng.unit() < won_chance {
        ("won", "Успешно реализовано".to_owned())
    } else if rng.chance(0.5) {
        (
            "lost",
            format!("Закрыто и не реализовано ({})", rng.pick(LOSS_REASONS)),
        )
    } else {
        ("lost", "Закрыто и не реализовано".to_owned())
    };

    let closed = if outcome == "open" {
        None
    } else {
        let latest = export_start - Duration::minutes(1);
        let days_to_close = 1 + rng.below(60) as i64;
        let mut closed = working_time(rng, created.date() + Duration::days(days_to_close));
        // A robot closes some deals just after midnight on the first of the month, which must
        // count in the new month.
        if rng.chance(0.03) {
            let next_month = if closed.month() == 12 {
                NaiveDate::from_ymd_opt(closed.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(closed.year(), closed.month() + 1, 1)
            };
            if let Some(first) = next_month {
                closed = first.and_hms_opt(0, 30, 0).unwrap_or(closed);
            }
        }
        Some(closed.min(latest).max(created + Duration::minutes(5)))
    };
    let updated = closed.unwrap_or_else(|| {
        let updated = created + Duration::hours(rng.below(24 * 20) as i64);
        updated
            .min(export_start - Duration::minutes(1))
            .max(created)
    });

    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let last = if matches!(first, "Ирина" | "Светлана" | "Татьяна" | "Юлия" | "Елена")
    {
        format!("{last}а")
    } else {
        last.to_owned()
    };
    let contact = format!("{first} {last}");
    let company = if rng.chance(0.6) {
        format!("ООО \"{}\"", rng.pick(COMPANIES))
    } else {
        String::new()
    };
    let mut tags: Vec<&str> = TAGS.iter().copied().filter(|_| rng.chance(0.12)).collect();
    if repeat && !tags.contains(&"повторный") {
        tags.push("повторный");
    }
    let note = if rng.chance(0.2) {
        (*rng.pick(NOTES)).to_owned()
    } else {
        String::new()
    };
    let note2 = if !note.is_empty() && rng.chance(0.2) {
        (*rng.pick(NOTES)).to_owned()
    } else {
        String::new()
    };
    let work_phone = match rng.below(10) {
        0..=5 => phone(rng),
        6 => format!("{}, {}", phone(rng), phone(rng)),
        7 => format!("'{}", phone(rng).replace([' ', '-'], "")),
        _ => String::new(),
    };
    let email = if rng.chance(0.7) {
        format!("client{}@example.org", index + 1)
    } else {
        String::new()
    };
    let created_by = if rng.chance(0.3) { "" } else { manager };
    let name = match source {
        "Сайт" => "Заявка с сайта".to_owned(),
        "Звонок" => "Входящий звонок".to_owned(),
        _ if rng.chance(0.5) => format!(
            "{product}, {}",
            company.trim_start_matches("ООО ").trim_matches('"')
        ),
        _ => format!("Сделка: {product}"),
    };
    let campaign = match utm_source {
        "" => String::new(),
        "email" => "newsletter".to_owned(),
        _ => format!(
            "{}_{}",
            ["stellazhi", "tehnika", "montazh"][rng.below(3) as usize],
            ["msk", "spb", "rf"][rng.below(3) as usize]
        ),
    };

    let cells = vec![
        String::new(), // ID, assigned after sorting
        name,
        if config.kopecks && budget > 0 {
            format!("{budget},{:02}", rng.below(100))
        } else {
            budget.to_string()
        },
        manager.to_owned(),
        format_time(created),
        created_by.to_owned(),
        format_time(updated),
        manager.to_owned(),
        closed.map_or_else(|| "не закрыта".to_owned(), format_time),
        tags.join(","),
        note,
        note2,
        String::new(),
        String::new(),
        String::new(),
        stage,
        pipeline.to_owned(),
        contact,
        company.clone(),
        manager.to_owned(),
        company,
        work_phone,
        String::new(),
        if rng.chance(0.5) {
            phone(rng)
        } else {
            String::new()
        },
        String::new(),
        String::new(),
        String::new(),
        email,
        String::new(),
        String::new(),
        (*rng.pick(CITIES)).to_owned(),
        source.to_owned(),
        (*rng.pick(POSITIONS)).to_owned(),
        product.to_owned(),
        if rng.chance(0.8) { "Да" } else { "Нет" }.to_owned(),
        if utm_source.is_empty() {
            String::new()
        } else {
            format!(
                "{}.{}",
                1_000_000_000 + rng.below(1_000_000_000),
                1_700_000_000 + rng.below(50_000_000)
            )
        },
        String::new(),
        String::new(),
        utm_source.to_owned(),
        utm_medium.to_owned(),
        campaign,
        String::new(),
        String::new(),
        String::new(),
        if utm_source.is_empty() {
            String::new()
        } else {
            rng.below(100_000).to_string()
        },
    ];
    Deal { created, cells }
}

/// Exports larger than this are written as they are generated instead of sorted in memory.
pub const SORTED_ROWS_LIMIT: u64 = 200_000;

/// Writes a deals export of `config.rows` deals to `out` and returns the number of deals.
///
/// Deals are listed newest first, as amoCRM lists them, and get increasing IDs by creation time.
/// Up to [`SORTED_ROWS_LIMIT`] deals are drawn on random days and sorted. Larger exports spread
/// the deals evenly over the days and are written in day order as they are made, so memory stays
/// small whatever the size.
pub fn generate(config: &DemoConfig, out: &mut dyn Write) -> std::io::Result<u64> {
    if config.rows > SORTED_ROWS_LIMIT {
        return generate_streaming(config, out);
    }
    let mut rng = Rng(config.seed);
    let mut deals: Vec<Deal> = (0..config.rows)
        .map(|i| make_deal(&mut rng, config, i, None))
        .collect();
    deals.sort_by_key(|deal| deal.created);
    for (index, deal) in deals.iter_mut().enumerate() {
        deal.cells[0] = (31_000_000 + index as u64 * 7).to_string();
    }

    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .delimiter(config.delimiter)
        .from_writer(out);
    writer.write_record(HEADER)?;
    for deal in deals.iter().rev() {
        writer.write_record(&deal.cells)?;
    }
    writer.flush()?;
    Ok(config.rows)
}

fn generate_streaming(config: &DemoConfig, out: &mut dyn Write) -> std::io::Result<u64> {
    let mut rng = Rng(config.seed);
    let days = (config.export_day - config.start).num_days().max(1) as u64;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .delimiter(config.delimiter)
        .buffer_capacity(1 << 20)
        .from_writer(out);
    writer.write_record(HEADER)?;
    for index in (0..config.rows).rev() {
        let offset = u128::from(index) * u128::from(days) / u128::from(config.rows);
        let day = config.start + Duration::days(offset as i64);
        let mut deal = make_deal(&mut rng, config, index, Some(day));
        deal.cells[0] = (31_000_000 + index * 7).to_string();
        writer.write_record(&deal.cells)?;
    }
    writer.flush()?;
    Ok(config.rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() -> std::io::Result<()> {
        let config = DemoConfig {
            rows: 200,
            ..DemoConfig::default()
        };
        let mut first = Vec::new();
        let mut second = Vec::new();
        generate(&config, &mut first)?;
        generate(&config, &mut second)?;
        assert_eq!(first, second);
        Ok(())
    }

    #[test]
    fn rows_have_header_width() -> std::io::Result<()> {
        let config = DemoConfig {
            rows: 300,
            ..DemoConfig::default()
        };
        let mut bytes = Vec::new();
        generate(&config, &mut bytes)?;
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let mut count = 0;
        for record in reader.records() {
            assert_eq!(record?.len(), HEADER.len());
            count += 1;
        }
        assert_eq!(count, 300);
        Ok(())
    }

    #[test]
    fn committed_demo_export_matches_generator() -> std::io::Result<()> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/demo")
            .join(DEMO_FILE_NAME);
        let committed = std::fs::read(&path)?;
        let mut generated = Vec::new();
        generate(&DemoConfig::default(), &mut generated)?;
        assert!(
            committed == generated,
            "{} differs from the generator's output; rebuild it with `crmsql demo --output {}`",
            path.display(),
            path.display()
        );
        Ok(())
    }
}
