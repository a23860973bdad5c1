//! Deterministic generator of a demo amoCRM account.
//!
//! The account has a deals export in amoCRM's older header set: comma-separated UTF-8 with CRLF
//! line ends, quoted multi-line notes and repeated phones in one cell. Beside it are the tables an
//! analyst keeps: ad spend per channel and day, monthly expenses, and the cost share of each
//! product.
//! Three years of deals with seasons and growth, a dozen managers, two pipelines, paid and free
//! channels, and customers who come back. From 1 July 2025 the two weak ad channels get no budget
//! and their money goes to the three channels that return about four times their cost, and the
//! average check rises.
//!
//! The same seed and size always give the same bytes, so the files in `data/demo/` can be rebuilt
//! and checked, and benchmarks can make exports of any size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Default size of the demo export.
pub const DEFAULT_ROWS: u64 = 9000;
/// Default seed of the demo account.
pub const DEFAULT_SEED: u64 = 20_260_112;
/// File name of the demo deals export in `data/demo/`.
pub const DEMO_FILE_NAME: &str = "amocrm_export_leads_2026-01-12.csv";
/// File name of the demo ad spend.
pub const AD_SPEND_FILE_NAME: &str = "ad_spend.csv";
/// File name of the demo monthly expenses.
pub const EXPENSES_FILE_NAME: &str = "expenses.csv";
/// File name of the demo product cost shares.
pub const PRODUCT_COSTS_FILE_NAME: &str = "product_costs.csv";

/// Returns the day from which the weak ad channels get no budget.
pub fn reallocation_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default()
}

/// Returns the moment the demo account is seen from: the morning of its export day. Period presets
/// such as `last_month` count from it on demo data, so the demo reports show the same months
/// whatever the date.
pub fn demo_now() -> NaiveDateTime {
    DemoConfig::default()
        .export_day
        .and_hms_opt(9, 0, 0)
        .unwrap_or_default()
}

/// Settings of a generated account.
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
            export_day: NaiveDate::from_ymd_opt(2026, 1, 12).unwrap_or_default(),
            delimiter: b',',
            kopecks: false,
        }
    }
}

/// One file of the demo account.
#[derive(Debug, Clone)]
pub struct DemoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The files of a demo account and the number of its deals.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub deals: u64,
    /// The deals export first, then ad spend, expenses and product costs.
    pub files: Vec<DemoFile>,
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

/// An ad channel's budget and the figures its spend file is made from.
struct Ad {
    /// Campaign name in the spend file.
    campaign: &'static str,
    /// Return on spend (revenue over spend, less one) before and from the reallocation day;
    /// `None` when the channel is switched off.
    roi: (f64, Option<f64>),
    /// Cost of a click, in roubles.
    cpc: f64,
    /// Click-through rate.
    ctr: f64,
}

/// A deal channel and how its deals are drawn before and from the reallocation day.
struct Channel {
    /// The deal's `Источник`.
    source: &'static str,
    utm_source: &'static str,
    utm_medium: &'static str,
    /// Share of new deals before and from the reallocation day.
    weight: (u64, u64),
    /// How often its deals are won, against the average.
    win: f64,
    /// How large its deals are against the average, before and from the reallocation day.
    check: (f64, f64),
    /// The ad budget of a paid channel.
    ad: Option<Ad>,
}

/// Growth of the average check of the strong ad channels' deals after the reallocation: their
/// campaigns then aim at larger orders.
const STRONG_CHECK: f64 = 1.25;

const CHANNELS: &[Channel] = &[
    Channel {
        source: "Сайт",
        utm_source: "yandex",
        utm_medium: "cpc",
        weight: (30, 40),
        win: 1.0,
        check: (1.0, STRONG_CHECK),
        ad: Some(Ad {
            campaign: "poisk_stellazhi",
            roi: (3.02, Some(3.05)),
            cpc: 48.0,
            ctr: 0.045,
        }),
    },
    Channel {
        source: "Сайт",
        utm_source: "google",
        utm_medium: "cpc",
        weight: (12, 0),
        win: 0.7,
        check: (0.6, 0.6),
        ad: Some(Ad {
            campaign: "search_sklad",
            roi: (0.42, None),
            cpc: 62.0,
            ctr: 0.031,
        }),
    },
    Channel {
        source: "Соцсети",
        utm_source: "vk",
        utm_medium: "social",
        weight: (12, 18),
        win: 1.0,
        check: (1.0, STRONG_CHECK),
        ad: Some(Ad {
            campaign: "retarget_sklad",
            roi: (2.88, Some(2.94)),
            cpc: 31.0,
            ctr: 0.009,
        }),
    },
    Channel {
        source: "Соцсети",
        utm_source: "telegram",
        utm_medium: "social",
        weight: (8, 12),
        win: 1.0,
        check: (1.0, STRONG_CHECK),
        ad: Some(Ad {
            campaign: "posevy_logistika",
            roi: (2.96, Some(3.1)),
            cpc: 39.0,
            ctr: 0.016,
        }),
    },
    Channel {
        source: "Рассылка",
        utm_source: "email",
        utm_medium: "email",
        weight: (6, 6),
        win: 1.1,
        check: (1.0, 1.0),
        ad: None,
    },
    Channel {
        source: "Авито",
        utm_source: "avito",
        utm_medium: "classified",
        weight: (8, 0),
        win: 0.75,
        check: (0.55, 0.55),
        ad: Some(Ad {
            campaign: "obyavleniya",
            roi: (0.18, None),
            cpc: 22.0,
            ctr: 0.021,
        }),
    },
    Channel {
        source: "Звонок",
        utm_source: "",
        utm_medium: "",
        weight: (12, 12),
        win: 1.05,
        check: (1.0, 1.0),
        ad: None,
    },
    Channel {
        source: "Рекомендация",
        utm_source: "",
        utm_medium: "",
        weight: (8, 8),
        win: 1.3,
        check: (1.0, 1.0),
        ad: None,
    },
    Channel {
        source: "Выставка",
        utm_source: "",
        utm_medium: "",
        weight: (4, 4),
        win: 1.0,
        check: (1.2, 1.2),
        ad: None,
    },
];

/// Demand by month, January first: a slow January and summer, a strong autumn and December.
const SEASON: [f64; 12] = [
    0.75, 0.95, 1.1, 1.05, 0.9, 0.85, 0.8, 0.85, 1.1, 1.15, 1.1, 1.2,
];

/// Product, price range in roubles, how often it is sold, and its cost as a share of the price in
/// tenths of a percent.
const PRODUCTS: &[(&str, u64, u64, u64, u64)] = &[
    ("Стеллажи складские", 40_000, 400_000, 30, 620),
    ("Паллетные стеллажи", 150_000, 1_200_000, 12, 665),
    ("Складская техника", 90_000, 900_000, 10, 740),
    ("Монтаж", 15_000, 120_000, 20, 350),
    ("Сервисное обслуживание", 8_000, 60_000, 18, 280),
    ("Доставка", 3_000, 25_000, 10, 550),
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
const MALE_NAMES: &[&str] = &[
    "Олег",
    "Михаил",
    "Артём",
    "Роман",
    "Виктор",
    "Андрей",
    "Денис",
    "Игорь",
    "Павел",
    "Николай",
    "Евгений",
    "Константин",
    "Максим",
    "Владимир",
    "Станислав",
];
const FEMALE_NAMES: &[&str] = &[
    "Ирина",
    "Светлана",
    "Татьяна",
    "Юлия",
    "Елена",
    "Наталья",
    "Ольга",
    "Марина",
    "Анастасия",
    "Ксения",
    "Галина",
    "Людмила",
    "Вера",
    "Дарья",
    "Полина",
];
/// Fathers' names, to which `ич` or `на` is added.
const PATRONYMICS: &[&str] = &[
    "Сергеев",
    "Александров",
    "Викторов",
    "Андреев",
    "Петров",
    "Николаев",
    "Игорев",
    "Михайлов",
    "Владимиров",
    "Юрьев",
    "Олегов",
    "Павлов",
    "Борисов",
    "Геннадьев",
];
/// Surnames in the male form; the female form adds `а`.
const SURNAMES: &[&str] = &[
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
    "Виноградов",
    "Богданов",
    "Воробьёв",
    "Фролов",
    "Медведев",
    "Егоров",
    "Никитин",
    "Захаров",
    "Макаров",
    "Антонов",
];
const COMPANY_STEMS: &[&str] = &[
    "Альфа",
    "Вектор",
    "Север",
    "Меридиан",
    "Техно",
    "Логистик",
    "Гранит",
    "Восток",
    "Стандарт",
    "Профи",
    "Орион",
    "Атлант",
    "Сибирь",
    "Волга",
    "Урал",
    "Нева",
    "Балтика",
    "Прогресс",
    "Импульс",
    "Квант",
    "Форвард",
    "Омега",
    "Сфера",
    "Континент",
    "Магистраль",
    "Эталон",
    "Регион",
    "Пик",
    "Альянс",
    "Мега",
];
const COMPANY_ENDINGS: &[&str] = &[
    "Трейд",
    "Сервис",
    "Логистика",
    "Групп",
    "Снаб",
    "Маркет",
    "Строй",
    "Пром",
    "Холдинг",
    "Опт",
    "Терминал",
    "Ресурс",
    "Склад",
    "Транс",
    "Дистрибуция",
    "Инвест",
    "Торг",
    "Комплект",
    "Поставка",
    "Систем",
];
/// Company name patterns; `{}` is the stem and ending.
const COMPANY_FORMS: &[&str] = &["ООО \"{}\"", "АО \"{}\"", "ООО \"ТД {}\"", "ООО \"ГК {}\""];
/// Added to a company name once the plain names run out.
const COMPANY_REGIONS: &[&str] = &["", " Центр", " Юг", " Северо-Запад", " Урал", " Сибирь"];
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

fn working_time(rng: &mut Rng, day: NaiveDate) -> NaiveDateTime {
    let seconds = 9 * 3600 + rng.below(10 * 3600) as u32;
    day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or_default())
}

/// Returns the `n`th of `count` combinations, visited in a scattered order so that neighbouring
/// customers do not get neighbouring names. The step is prime and divides no `count` used here.
fn scattered(n: u64, count: u64) -> u64 {
    n.wrapping_mul(7919) % count
}

/// Returns a person's full name, `Фамилия Имя Отчество`, distinct for the first 8,400 values of
/// `n`.
fn person_name(n: u64) -> String {
    let per_gender = (SURNAMES.len() * MALE_NAMES.len() * PATRONYMICS.len()) as u64;
    let k = scattered(n, 2 * per_gender);
    let female = k % 2 == 1;
    let k = k / 2;
    let surname = SURNAMES[(k % SURNAMES.len() as u64) as usize];
    let k = k / SURNAMES.len() as u64;
    let first = k % MALE_NAMES.len() as u64;
    let father = PATRONYMICS[(k / MALE_NAMES.len() as u64) as usize % PATRONYMICS.len()];
    if female {
        format!("{surname}а {} {father}на", FEMALE_NAMES[first as usize])
    } else {
        format!("{surname} {} {father}ич", MALE_NAMES[first as usize])
    }
}

/// Returns a company name, distinct for the first 14,400 values of `n`.
fn company_name(n: u64) -> String {
    let plain = (COMPANY_STEMS.len() * COMPANY_ENDINGS.len() * COMPANY_FORMS.len()) as u64;
    let k = scattered(n % plain, plain);
    let stem = COMPANY_STEMS[(k % COMPANY_STEMS.len() as u64) as usize];
    let k = k / COMPANY_STEMS.len() as u64;
    let ending = COMPANY_ENDINGS[(k % COMPANY_ENDINGS.len() as u64) as usize];
    let form = COMPANY_FORMS[(k / COMPANY_ENDINGS.len() as u64) as usize % COMPANY_FORMS.len()];
    let region = COMPANY_REGIONS[(n / plain) as usize % COMPANY_REGIONS.len()];
    form.replace("{}", &format!("{stem}-{ending}{region}"))
}

/// A customer's contact details, the same in each of their deals.
struct Customer {
    contact: String,
    company: String,
    work_phone: String,
    mobile: String,
    email: String,
    city: &'static str,
    position: &'static str,
}

fn customer(seed: u64, id: u64) -> Customer {
    let mut rng = Rng(seed ^ (id + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let company = if rng.chance(0.55) {
        company_name(id)
    } else {
        String::new()
    };
    let work_phone = match rng.below(10) {
        0..=5 => phone(&mut rng),
        6 => format!("{}, {}", phone(&mut rng), phone(&mut rng)),
        7 => format!("'{}", phone(&mut rng).replace([' ', '-'], "")),
        _ => String::new(),
    };
    let mobile = if rng.chance(0.5) {
        phone(&mut rng)
    } else {
        String::new()
    };
    let email = if rng.chance(0.7) {
        format!("client{}@example.org", id + 1)
    } else {
        String::new()
    };
    let contact = person_name(id);
    let city = *rng.pick(CITIES);
    let position = *rng.pick(POSITIONS);
    Customer {
        contact,
        company,
        work_phone,
        mobile,
        email,
        city,
        position,
    }
}

/// Customers met so far, for deals made in time order: who has bought, and from whom.
#[derive(Default)]
struct Book {
    /// One entry per won deal closed by now, so that a customer who bought twice is twice as
    /// likely to come back.
    buyers: Vec<u64>,
    /// Won deals not closed by now, by closing time.
    pending: BinaryHeap<Reverse<(NaiveDateTime, u64)>>,
    /// Each customer's manager.
    managers: Vec<usize>,
}

impl Book {
    /// Moves the purchases closed by `now` into the buyers.
    fn advance(&mut self, now: NaiveDateTime) {
        while let Some(Reverse((closed, id))) = self.pending.peek().copied() {
            if closed > now {
                break;
            }
            self.pending.pop();
            self.buyers.push(id);
        }
    }
}

/// One generated deal: its export cells and what the other files of the account are made from.
struct Deal {
    created: NaiveDateTime,
    closed: Option<NaiveDateTime>,
    won: bool,
    budget: u64,
    channel: usize,
    cells: Vec<String>,
}

/// Draws the days deals are created on: business grows by 60% over the period, and demand
/// follows the seasons.
fn creation_days(rng: &mut Rng, config: &DemoConfig) -> Vec<NaiveDate> {
    let days = (config.export_day - config.start).num_days().max(1) as u64;
    let top = 1.6 * SEASON.iter().copied().fold(0.0, f64::max);
    let mut drawn: Vec<NaiveDate> = (0..config.rows)
        .map(|_| {
            loop {
                let offset = rng.below(days);
                let day = config.start + Duration::days(offset as i64);
                let weight =
                    (1.0 + 0.6 * offset as f64 / days as f64) * SEASON[day.month0() as usize];
                if rng.unit() * top < weight {
                    break day;
                }
            }
        })
        .collect();
    drawn.sort();
    drawn
}

/// Makes one deal created on `day`.
///
/// With a book, a customer who has bought may come back, and then mostly keeps their manager.
/// Exports too large to keep in memory have no book: their customers are drawn from a pool a
/// third the size of the export.
fn make_deal(
    rng: &mut Rng,
    config: &DemoConfig,
    day: NaiveDate,
    mut book: Option<&mut Book>,
) -> Deal {
    let created = working_time(rng, day);
    let export_start = config.export_day.and_time(NaiveTime::MIN);
    let after = day >= reallocation_day();

    let (repeat, customer_id, manager) = match book.as_deref_mut() {
        Some(book) => {
            book.advance(created);
            if !book.buyers.is_empty() && rng.chance(0.35) {
                let id = *rng.pick(&book.buyers);
                let manager = if rng.chance(0.85) {
                    book.managers[id as usize]
                } else {
                    rng.below(MANAGERS.len() as u64) as usize
                };
                (true, id, manager)
            } else {
                let manager = rng.below(MANAGERS.len() as u64) as usize;
                book.managers.push(manager);
                (false, book.managers.len() as u64 - 1, manager)
            }
        }
        None => (
            rng.chance(0.2),
            rng.below(config.rows / 3 + 1),
            rng.below(MANAGERS.len() as u64) as usize,
        ),
    };
    let (manager, skill) = MANAGERS[manager];
    let pipeline = if repeat {
        "Повторные продажи"
    } else {
        "Продажи"
    };
    let &(product, low, high, _, _) = weighted(rng, PRODUCTS, |p| p.3);
    let channel_index = {
        let target = weighted(
            rng,
            CHANNELS,
            |c| if after { c.weight.1 } else { c.weight.0 },
        );
        CHANNELS
            .iter()
            .position(|c| std::ptr::eq(c, target))
            .unwrap_or_default()
    };
    let channel = &CHANNELS[channel_index];
    let factor = if after {
        channel.check.1
    } else {
        channel.check.0
    };
    let budget = if rng.chance(0.04) {
        0
    } else {
        ((low + rng.below(high - low)) as f64 * factor) as u64 / 100 * 100
    };

    // Some young deals are still open; the others are decided, and those decided only after the
    // export are open in it too.
    let age_days = (export_start - created).num_days();
    let open_chance = if age_days < 45 { 0.45 } else { 0.06 };
    let won_chance = if repeat { 0.55 } else { 0.38 } * skill * channel.win;
    let roll = rng.unit();
    let open_stages = if repeat { REPEAT_STAGES } else { SALES_STAGES };
    let (mut outcome, mut stage) = if roll < open_chance {
        ("open", (*rng.pick(open_stages)).to_owned())
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

    let latest = export_start - Duration::minutes(1);
    let mut closed = if outcome == "open" {
        None
    } else {
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
        Some(closed.max(created + Duration::minutes(5)))
    };
    if closed.is_some_and(|closed| closed > latest) {
        closed = None;
        outcome = "open";
        stage = (*rng.pick(open_stages)).to_owned();
    }
    let updated = closed.unwrap_or_else(|| {
        let updated = created + Duration::hours(rng.below(24 * 20) as i64);
        updated
            .min(export_start - Duration::minutes(1))
            .max(created)
    });

    let who = customer(config.seed, customer_id);
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
    let created_by = if rng.chance(0.3) { "" } else { manager };
    let name = match channel.source {
        "Сайт" => "Заявка с сайта".to_owned(),
        "Звонок" => "Входящий звонок".to_owned(),
        _ if rng.chance(0.5) && !who.company.is_empty() => format!(
            "{product}, {}",
            who.company
                .split_once('"')
                .map_or("", |(_, rest)| rest)
                .trim_end_matches('"')
        ),
        _ => format!("Сделка: {product}"),
    };
    let campaign = match channel.utm_source {
        "" => String::new(),
        "email" => "newsletter".to_owned(),
        _ => format!(
            "{}_{}",
            ["stellazhi", "tehnika", "montazh"][rng.below(3) as usize],
            ["msk", "spb", "rf"][rng.below(3) as usize]
        ),
    };
    let paid = !channel.utm_source.is_empty();

    let cells = vec![
        String::new(), // ID, assigned in creation order
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
        who.contact,
        who.company.clone(),
        manager.to_owned(),
        who.company,
        who.work_phone,
        String::new(),
        who.mobile,
        String::new(),
        String::new(),
        String::new(),
        who.email,
        String::new(),
        String::new(),
        who.city.to_owned(),
        channel.source.to_owned(),
        who.position.to_owned(),
        product.to_owned(),
        if rng.chance(0.8) { "Да" } else { "Нет" }.to_owned(),
        if paid {
            format!(
                "{}.{}",
                1_000_000_000 + rng.below(1_000_000_000),
                1_700_000_000 + rng.below(50_000_000)
            )
        } else {
            String::new()
        },
        String::new(),
        String::new(),
        channel.utm_source.to_owned(),
        channel.utm_medium.to_owned(),
        campaign,
        String::new(),
        String::new(),
        String::new(),
        if paid {
            rng.below(100_000).to_string()
        } else {
            String::new()
        },
    ];
    if let (Some(book), Some(closed), "won") = (book, closed, outcome) {
        book.pending.push(Reverse((closed, customer_id)));
    }
    Deal {
        created,
        closed,
        won: outcome == "won",
        budget,
        channel: channel_index,
        cells,
    }
}

/// Exports larger than this are written as they are generated instead of kept in memory.
pub const SORTED_ROWS_LIMIT: u64 = 200_000;

/// Makes the deals of an export in creation order, with their IDs.
fn make_deals(config: &DemoConfig) -> Vec<Deal> {
    let mut rng = Rng(config.seed);
    let days = creation_days(&mut rng, config);
    let mut book = Book::default();
    let mut deals: Vec<Deal> = days
        .into_iter()
        .map(|day| make_deal(&mut rng, config, day, Some(&mut book)))
        .collect();
    deals.sort_by_key(|deal| deal.created);
    for (index, deal) in deals.iter_mut().enumerate() {
        deal.cells[0] = (31_000_000 + index as u64 * 7).to_string();
    }
    deals
}

fn export_writer<'a>(
    config: &DemoConfig,
    out: &'a mut dyn Write,
) -> csv::Writer<&'a mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .delimiter(config.delimiter)
        .buffer_capacity(1 << 20)
        .from_writer(out)
}

/// Writes deals newest first, as amoCRM lists them.
fn write_export(config: &DemoConfig, deals: &[Deal], out: &mut dyn Write) -> std::io::Result<()> {
    let mut writer = export_writer(config, out);
    writer.write_record(HEADER)?;
    for deal in deals.iter().rev() {
        writer.write_record(&deal.cells)?;
    }
    writer.flush()
}

/// Writes a deals export of `config.rows` deals to `out` and returns its tally, from which
/// [`side_files`] makes the rest of the account.
///
/// Deals are listed newest first, as amoCRM lists them, and get increasing IDs by creation time.
/// Up to [`SORTED_ROWS_LIMIT`] deals are drawn on random days and made in time order, so that
/// customers come back after a purchase. Larger exports spread the deals evenly over the days and
/// are written as they are made, so memory stays small whatever the size.
pub fn generate(config: &DemoConfig, out: &mut dyn Write) -> std::io::Result<Tally> {
    if config.rows > SORTED_ROWS_LIMIT {
        return generate_streaming(config, out);
    }
    let deals = make_deals(config);
    write_export(config, &deals, out)?;
    let mut tally = Tally::new(config);
    for deal in &deals {
        tally.add(deal);
    }
    Ok(tally)
}

fn generate_streaming(config: &DemoConfig, out: &mut dyn Write) -> std::io::Result<Tally> {
    let mut rng = Rng(config.seed);
    let days = (config.export_day - config.start).num_days().max(1) as u64;
    let mut tally = Tally::new(config);
    let mut writer = export_writer(config, out);
    writer.write_record(HEADER)?;
    for index in (0..config.rows).rev() {
        let offset = u128::from(index) * u128::from(days) / u128::from(config.rows);
        let day = config.start + Duration::days(offset as i64);
        let mut deal = make_deal(&mut rng, config, day, None);
        deal.cells[0] = (31_000_000 + index * 7).to_string();
        writer.write_record(&deal.cells)?;
        tally.add(&deal);
    }
    writer.flush()?;
    Ok(tally)
}

/// Makes the whole demo account in memory: the deals export, ad spend, expenses and product
/// costs.
pub fn generate_account(config: &DemoConfig) -> std::io::Result<DemoAccount> {
    let mut export = Vec::new();
    let tally = generate(config, &mut export)?;
    let mut files = vec![DemoFile {
        name: export_file_name(config),
        bytes: export,
    }];
    files.extend(side_files(config, &tally));
    Ok(DemoAccount {
        deals: tally.deals(),
        files,
    })
}

/// Returns the file name of the deals export, after the day of the export.
pub fn export_file_name(config: &DemoConfig) -> String {
    format!("amocrm_export_leads_{}.csv", config.export_day)
}

/// Makes the files beside the deals export: ad spend, expenses and product costs.
pub fn side_files(config: &DemoConfig, tally: &Tally) -> Vec<DemoFile> {
    vec![
        DemoFile {
            name: AD_SPEND_FILE_NAME.to_owned(),
            bytes: ad_spend(config, tally),
        },
        DemoFile {
            name: EXPENSES_FILE_NAME.to_owned(),
            bytes: expenses(config, tally),
        },
        DemoFile {
            name: PRODUCT_COSTS_FILE_NAME.to_owned(),
            bytes: product_costs(),
        },
    ]
}

/// Running totals from which the files beside the export are made, gathered deal by deal so
/// that an export of any size can be streamed: per channel, the leads of each day and the won
/// revenue of each closing day.
#[derive(Debug, Clone)]
pub struct Tally {
    start: NaiveDate,
    deals: u64,
    /// Leads per channel and day of creation, counted from `start`.
    leads: Vec<Vec<u64>>,
    /// Won revenue per channel and day of closing, counted from `start`.
    won: Vec<Vec<u64>>,
    /// Won revenue per channel over the whole time, closed or not.
    won_total: Vec<u64>,
}

impl Tally {
    fn new(config: &DemoConfig) -> Tally {
        let days = (config.export_day - config.start).num_days().max(1) as usize;
        Tally {
            start: config.start,
            deals: 0,
            leads: vec![vec![0; days]; CHANNELS.len()],
            won: vec![vec![0; days]; CHANNELS.len()],
            won_total: vec![0; CHANNELS.len()],
        }
    }

    /// Returns the number of deals in the export.
    pub fn deals(&self) -> u64 {
        self.deals
    }

    fn day(&self, day: NaiveDate) -> Option<usize> {
        usize::try_from((day - self.start).num_days()).ok()
    }

    fn add(&mut self, deal: &Deal) {
        self.deals += 1;
        if let Some(day) = self.day(deal.created.date())
            && let Some(count) = self.leads[deal.channel].get_mut(day)
        {
            *count += 1;
        }
        if deal.won {
            self.won_total[deal.channel] += deal.budget;
            if let Some(day) = deal.closed.and_then(|c| self.day(c.date()))
                && let Some(sum) = self.won[deal.channel].get_mut(day)
            {
                *sum += deal.budget;
            }
        }
    }

    /// Returns the won revenue of `channel`, or of all channels, closed in `[from, to)`.
    fn revenue(&self, channel: Option<usize>, from: NaiveDate, to: NaiveDate) -> u64 {
        let from = self.day(from.max(self.start)).unwrap_or(0);
        let to = self.day(to.max(self.start)).unwrap_or(0);
        self.won
            .iter()
            .enumerate()
            .filter(|(index, _)| channel.is_none_or(|c| c == *index))
            .map(|(_, days)| {
                days[from.min(days.len())..to.min(days.len())]
                    .iter()
                    .sum::<u64>()
            })
            .sum()
    }

    /// Returns the leads of `channel` created on `day`.
    fn leads_on(&self, channel: usize, day: NaiveDate) -> u64 {
        self.day(day)
            .and_then(|d| self.leads[channel].get(d))
            .copied()
            .unwrap_or(0)
    }
}

/// Ad spend per channel and day, as an ad account's statistics export (`;`, decimal comma).
///
/// Each month, a paid channel spends its revenue of that month over one plus its return, give or
/// take a tenth, so the ROI reports find the channel's return over any run of months. The
/// month's spend is spread over its days by the leads the channel brought on each. The weak
/// channels spend nothing from the reallocation day.
fn ad_spend(config: &DemoConfig, tally: &Tally) -> Vec<u8> {
    let mut rng = Rng(config.seed ^ 0x00AD_5EED);
    let mut rows: Vec<(NaiveDate, usize, i64, u64, u64)> = Vec::new();
    for (index, channel) in CHANNELS.iter().enumerate() {
        let Some(ad) = &channel.ad else { continue };
        // Spend per lead over the whole time, for a month without sales.
        let leads_total: u64 = tally.leads[index].iter().sum();
        let per_lead =
            tally.won_total[index] as f64 * 100.0 / (1.0 + ad.roi.0) / leads_total.max(1) as f64;
        let mut month = config.start;
        while month < config.export_day {
            let next = (month.with_day(1).unwrap_or(month) + chrono::Months::new(1))
                .min(config.export_day);
            let roi = if month >= reallocation_day() {
                ad.roi.1
            } else {
                Some(ad.roi.0)
            };
            if let Some(roi) = roi {
                let days = (next - month).num_days();
                let revenue = tally.revenue(Some(index), month, next);
                let leads: Vec<u64> = (0..days)
                    .map(|offset| tally.leads_on(index, month + Duration::days(offset)))
                    .collect();
                let total = if revenue > 0 {
                    let roi = roi * (0.9 + 0.2 * rng.unit());
                    (revenue as f64 * 100.0 / (1.0 + roi)).round() as i64
                } else {
                    (per_lead * leads.iter().sum::<u64>().max(1) as f64).round() as i64
                };
                let weights: Vec<f64> = leads
                    .iter()
                    .map(|&n| (0.5 + n as f64) * (0.8 + 0.4 * rng.unit()))
                    .collect();
                let sum: f64 = weights.iter().sum();
                let mut running = 0.0;
                let mut given = 0i64;
                for (offset, weight) in weights.iter().enumerate() {
                    running += weight;
                    let upto = if offset + 1 == weights.len() {
                        total
                    } else {
                        (total as f64 * running / sum).round() as i64
                    };
                    let spend = upto - given;
                    given = upto;
                    let clicks =
                        (spend as f64 / 100.0 / (ad.cpc * (0.85 + 0.3 * rng.unit()))).round();
                    let impressions = (clicks / (ad.ctr * (0.8 + 0.4 * rng.unit()))).round();
                    rows.push((
                        month + Duration::days(offset as i64),
                        index,
                        spend,
                        clicks as u64,
                        impressions as u64,
                    ));
                }
            }
            month = next;
        }
    }
    rows.sort_by_key(|row| (row.0, row.1));
    let mut out = String::from("Дата;Канал;Кампания;Расход;Клики;Показы\n");
    for (day, index, spend, clicks, impressions) in rows {
        let channel = &CHANNELS[index];
        let campaign = channel.ad.as_ref().map_or("", |ad| ad.campaign);
        out.push_str(&format!(
            "{};{};{campaign};{},{:02};{clicks};{impressions}\n",
            day.format("%d.%m.%Y"),
            channel.utm_source,
            spend / 100,
            spend % 100
        ));
    }
    out.into_bytes()
}

/// Monthly expenses other than goods and ads, for each complete month before the export.
fn expenses(config: &DemoConfig, tally: &Tally) -> Vec<u8> {
    let mut rng = Rng(config.seed ^ 0x0E4E_115E);
    let mut out = String::from("Месяц;Статья;Сумма\n");
    let mut month = config.start.with_day(1).unwrap_or(config.start);
    let end = config.export_day.with_day(1).unwrap_or(config.export_day);
    while month < end {
        let next = month + chrono::Months::new(1);
        let revenue = tally.revenue(None, month, next);
        let year = i64::from(month.year() - 2023).max(0);
        let seats = MANAGERS.len() as u64;
        let items: [(&str, u64); 5] = [
            // Salaries with a 3% bonus on the month's sales.
            (
                "Зарплата отдела продаж",
                (seats * 70_000 + revenue * 3 / 100) / 100 * 100,
            ),
            ("Аренда офиса и склада", 350_000 + 35_000 * year as u64),
            (
                "amoCRM и программы",
                seats * if year >= 2 { 1_699 } else { 1_499 } + 9_900,
            ),
            ("Связь и телефония", 16_000 + rng.below(60) * 100),
            ("Бухгалтерия", 60_000),
        ];
        for (category, amount) in items {
            out.push_str(&format!("{};{category};{amount}\n", month.format("%Y-%m")));
        }
        month = next;
    }
    out.into_bytes()
}

/// Lists the cost of each product as a share of its price.
fn product_costs() -> Vec<u8> {
    let mut out = String::from("Товар;Себестоимость %\n");
    for &(product, _, _, _, tenths) in PRODUCTS {
        if tenths % 10 == 0 {
            out.push_str(&format!("{product};{}\n", tenths / 10));
        } else {
            out.push_str(&format!("{product};{},{}\n", tenths / 10, tenths % 10));
        }
    }
    out.into_bytes()
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
    fn names_do_not_repeat() {
        let people: std::collections::HashSet<String> = (0..8400).map(person_name).collect();
        assert_eq!(people.len(), 8400);
        let companies: std::collections::HashSet<String> = (0..14_400).map(company_name).collect();
        assert_eq!(companies.len(), 14_400);
    }

    #[test]
    fn customers_come_back_and_weak_channels_stop() {
        let config = DemoConfig::default();
        let deals = make_deals(&config);
        let mut purchases: std::collections::HashMap<&str, u32> = Default::default();
        for deal in deals.iter().filter(|d| d.won) {
            let key = if deal.cells[20].is_empty() {
                &deal.cells[17]
            } else {
                &deal.cells[20]
            };
            *purchases.entry(key).or_default() += 1;
        }
        let returning = purchases.values().filter(|&&n| n >= 2).count();
        let loyal = purchases.values().filter(|&&n| n >= 4).count();
        assert!(
            returning * 5 > purchases.len(),
            "{returning} of {}",
            purchases.len()
        );
        assert!(loyal >= 20, "{loyal}");
        // No deal comes from the switched-off channels once the budget has moved.
        let late_weak = deals
            .iter()
            .filter(|d| d.created.date() >= reallocation_day())
            .filter(|d| CHANNELS[d.channel].weight.1 == 0)
            .count();
        assert_eq!(late_weak, 0);
    }

    #[test]
    fn streamed_exports_get_spend_that_follows_revenue() -> std::io::Result<()> {
        let config = DemoConfig {
            rows: 6000,
            ..DemoConfig::default()
        };
        let mut export = Vec::new();
        let tally = generate_streaming(&config, &mut export)?;
        assert_eq!(tally.deals(), 6000);
        let files = side_files(&config, &tally);
        let spend = String::from_utf8_lossy(&files[0].bytes).into_owned();
        let before = reallocation_day();
        for (index, channel) in CHANNELS.iter().enumerate() {
            let Some(ad) = &channel.ad else { continue };
            let mut kopecks = 0i64;
            for line in spend.lines().skip(1) {
                let cells: Vec<&str> = line.split(';').collect();
                let day = NaiveDate::parse_from_str(cells[0], "%d.%m.%Y").unwrap_or_default();
                if cells[1] == channel.utm_source && day < before {
                    kopecks += cells[3].replace(',', "").parse::<i64>().unwrap_or(0);
                }
            }
            let revenue = tally.revenue(Some(index), config.start, before) as f64 * 100.0;
            let roi = revenue / kopecks as f64 - 1.0;
            assert!(
                (roi - ad.roi.0).abs() < 0.15 * (1.0 + ad.roi.0),
                "{}: {roi} against {}",
                channel.utm_source,
                ad.roi.0
            );
        }
        Ok(())
    }

    #[test]
    fn committed_demo_files_match_generator() -> std::io::Result<()> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
        let account = generate_account(&DemoConfig::default())?;
        assert_eq!(account.files[0].name, DEMO_FILE_NAME);
        for file in &account.files {
            let path = folder.join(&file.name);
            let committed = std::fs::read(&path)?;
            assert!(
                committed == file.bytes,
                "{} differs from the generator's output; rebuild the folder with `crmsql demo --output-dir {}`",
                path.display(),
                folder.display()
            );
        }
        Ok(())
    }
}
