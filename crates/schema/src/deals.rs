//! The `deals` table: its columns and how deal-export headers map onto them.
//!
//! amoCRM's deals export exists in two header generations (for example `Дата создания сделки` and
//! `Теги` in older files, `Дата создания` and `Теги сделки` in newer ones), with account-specific
//! custom fields in between and repeated labels. Every column of the export is kept: known labels
//! get fixed English names, the rest a transliterated snake_case name, and a repeated label is
//! kept by position as `name__2`, `name__3`, and so on.

use std::collections::HashMap;

use crate::naming::{normalize_label, snake_case};

/// Parsing rule that turns the text of a cell into a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Whole number (`ID`).
    Id,
    /// Text as written.
    Text,
    /// Comma-separated phone numbers, each with a spreadsheet's leading `'` removed.
    Phone,
    /// Comma-separated e-mail addresses.
    Email,
    /// Money with two decimals (`Бюджет`).
    Money,
    /// Local wall time `dd.mm.yyyy[ hh:mm[:ss]]` of the account's time zone; `не закрыта` is NULL.
    Timestamp,
    /// Comma-separated list of tags.
    TagList,
}

/// Column that every imported deals table has, whether or not the export contained it.
pub const REQUIRED_COLUMNS: &[&str] = &[
    "id",
    "name",
    "budget",
    "manager",
    "created_at",
    "closed_at",
    "pipeline",
    "stage",
    "outcome",
    "loss_reason",
    "tags",
    "company",
    "contact",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
];

/// Columns the saved reports depend on; an export without them imports, but with a warning.
pub const KEY_COLUMNS: &[&str] = &[
    "name",
    "budget",
    "manager",
    "created_at",
    "closed_at",
    "pipeline",
    "stage",
];

/// Columns computed from other columns rather than read from one export column.
pub const DERIVED_COLUMNS: &[&str] = &["outcome", "loss_reason"];

/// Known deal column: its name, kind, the normalized header labels it comes from, and a short
/// description in Russian and English.
#[derive(Debug)]
pub struct KnownColumn {
    pub name: &'static str,
    pub kind: ValueKind,
    pub labels: &'static [&'static str],
    pub description_ru: &'static str,
    pub description_en: &'static str,
}

macro_rules! known {
    ($name:literal, $kind:ident, [$($label:literal),*], $ru:literal, $en:literal) => {
        KnownColumn {
            name: $name,
            kind: ValueKind::$kind,
            labels: &[$($label),*],
            description_ru: $ru,
            description_en: $en,
        }
    };
}

/// Known columns of the deal itself and of its main contact, keyed by normalized label. Labels
/// carrying a `(контакт)` or `(компания)` suffix are matched after the suffix is removed.
pub const KNOWN_COLUMNS: &[KnownColumn] = &[
    known!("id", Id, ["id"], "ID сделки в amoCRM", "amoCRM deal id"),
    known!(
        "name",
        Text,
        ["название сделки"],
        "название сделки",
        "deal name"
    ),
    known!(
        "budget",
        Money,
        [],
        "бюджет сделки, деньги с копейками",
        "deal budget, money with kopecks"
    ),
    known!(
        "manager",
        Text,
        ["ответственный", "ответственный за сделку"],
        "ответственный менеджер",
        "responsible manager"
    ),
    known!(
        "created_at",
        Timestamp,
        ["дата создания сделки", "дата создания"],
        "дата создания по времени аккаунта",
        "creation time in the account's time zone"
    ),
    known!(
        "created_by",
        Text,
        ["кем создана сделка", "кем создана"],
        "кто создал сделку",
        "user who created the deal"
    ),
    known!(
        "updated_at",
        Timestamp,
        ["дата редактирования", "дата изменения"],
        "дата последнего изменения",
        "time of the last change"
    ),
    known!(
        "updated_by",
        Text,
        ["кем редактирована", "кем изменена"],
        "кто изменил сделку последним",
        "user who changed the deal last"
    ),
    known!(
        "closed_at",
        Timestamp,
        ["дата закрытия", "дата закрытия сделки"],
        "дата закрытия; пусто, пока сделка открыта",
        "closing time; NULL while the deal is open"
    ),
    known!(
        "tags",
        TagList,
        ["теги", "теги сделки"],
        "теги сделки, список",
        "deal tags, a list"
    ),
    known!(
        "stage",
        Text,
        ["этап сделки", "этап", "статус сделки", "статус"],
        "этап воронки без причины отказа",
        "pipeline stage without the loss reason"
    ),
    known!(
        "pipeline",
        Text,
        ["воронка", "воронка сделки"],
        "воронка",
        "pipeline"
    ),
    known!(
        "outcome",
        Text,
        [],
        "итог: won (успешно), lost (не реализовано) или open",
        "outcome: won, lost or open"
    ),
    known!(
        "loss_reason",
        Text,
        [],
        "причина отказа для проигранных сделок",
        "loss reason of lost deals"
    ),
    known!(
        "loss_reason_field",
        Text,
        ["причина отказа"],
        "поле «Причина отказа»",
        "the \"Причина отказа\" field"
    ),
    known!(
        "source",
        Text,
        ["источник", "источник сделки"],
        "источник сделки",
        "deal source"
    ),
    known!(
        "contact",
        Text,
        [
            "полное имя контакта",
            "основной контакт",
            "полное имя",
            "контакт"
        ],
        "основной контакт сделки",
        "main contact of the deal"
    ),
    known!(
        "contact_company",
        Text,
        ["компания контакта"],
        "компания контакта",
        "company of the contact"
    ),
    known!(
        "contact_manager",
        Text,
        ["ответственный за контакт"],
        "ответственный за контакт",
        "manager responsible for the contact"
    ),
    known!(
        "company",
        Text,
        ["компания", "название компании"],
        "компания сделки",
        "company of the deal"
    ),
    known!(
        "work_phone",
        Phone,
        ["рабочий телефон"],
        "рабочий телефон контакта",
        "contact's work phone"
    ),
    known!(
        "work_direct_phone",
        Phone,
        ["рабочий прямой телефон"],
        "рабочий прямой телефон",
        "work direct phone"
    ),
    known!(
        "mobile_phone",
        Phone,
        ["мобильный телефон"],
        "мобильный телефон",
        "mobile phone"
    ),
    known!("fax", Phone, ["факс"], "факс", "fax"),
    known!(
        "home_phone",
        Phone,
        ["домашний телефон"],
        "домашний телефон",
        "home phone"
    ),
    known!(
        "other_phone",
        Phone,
        ["другой телефон"],
        "другой телефон",
        "other phone"
    ),
    known!(
        "work_email",
        Email,
        ["рабочий email", "рабочий e-mail"],
        "рабочий e-mail",
        "work e-mail"
    ),
    known!(
        "personal_email",
        Email,
        ["личный email", "личный e-mail"],
        "личный e-mail",
        "personal e-mail"
    ),
    known!(
        "other_email",
        Email,
        ["другой email", "другой e-mail"],
        "другой e-mail",
        "other e-mail"
    ),
    known!(
        "position",
        Text,
        ["должность"],
        "должность контакта",
        "contact's position"
    ),
    known!("city", Text, ["город"], "город", "city"),
    known!("address", Text, ["адрес"], "адрес", "address"),
    known!("product", Text, ["товар"], "товар", "product"),
    known!("web", Text, ["web", "сайт"], "сайт", "web site"),
    known!("skype", Text, ["skype"], "Skype", "Skype"),
    known!("icq", Text, ["icq"], "ICQ", "ICQ"),
    known!("jabber", Text, ["jabber"], "Jabber", "Jabber"),
    known!(
        "google_talk",
        Text,
        ["google talk"],
        "Google Talk",
        "Google Talk"
    ),
    known!("msn", Text, ["msn"], "MSN", "MSN"),
    known!(
        "other_im",
        Text,
        ["другой im"],
        "другой мессенджер",
        "other messenger"
    ),
    known!(
        "user_agreement",
        Text,
        ["пользовательское соглашение"],
        "согласие с пользовательским соглашением",
        "user agreement accepted"
    ),
    known!(
        "utm_source",
        Text,
        ["utm_source"],
        "метка utm_source",
        "utm_source tag"
    ),
    known!(
        "utm_medium",
        Text,
        ["utm_medium"],
        "метка utm_medium",
        "utm_medium tag"
    ),
    known!(
        "utm_campaign",
        Text,
        ["utm_campaign"],
        "метка utm_campaign",
        "utm_campaign tag"
    ),
    known!(
        "utm_term",
        Text,
        ["utm_term"],
        "метка utm_term",
        "utm_term tag"
    ),
    known!(
        "utm_content",
        Text,
        ["utm_content"],
        "метка utm_content",
        "utm_content tag"
    ),
    known!(
        "utm_referrer",
        Text,
        ["utm_referrer"],
        "метка utm_referrer",
        "utm_referrer tag"
    ),
];

/// Currency words and signs that may follow `Бюджет` in the header (`Бюджет ₽`, `Бюджет руб.`).
const CURRENCY_SUFFIXES: &[(&str, &str)] = &[
    ("₽", "RUB"),
    ("руб", "RUB"),
    ("руб.", "RUB"),
    ("р.", "RUB"),
    ("rub", "RUB"),
    ("$", "USD"),
    ("usd", "USD"),
    ("€", "EUR"),
    ("eur", "EUR"),
    ("₸", "KZT"),
    ("тенге", "KZT"),
    ("kzt", "KZT"),
    ("₴", "UAH"),
    ("грн", "UAH"),
    ("грн.", "UAH"),
    ("uah", "UAH"),
    ("byn", "BYN"),
    ("бел. руб.", "BYN"),
];

/// Returns the known column called `name`.
pub fn known_column(name: &str) -> Option<&'static KnownColumn> {
    KNOWN_COLUMNS.iter().find(|column| column.name == name)
}

/// Entity a header label belongs to, from its `(контакт)`, `(компания)` or `(сделка)` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Deal,
    Contact,
    Company,
}

fn split_scope(normalized: &str) -> (Scope, &str) {
    for (suffix, scope) in [
        ("(контакт)", Scope::Contact),
        ("(компания)", Scope::Company),
        ("(сделка)", Scope::Deal),
    ] {
        if let Some(base) = normalized.strip_suffix(suffix) {
            return (scope, base.trim_end());
        }
    }
    (Scope::Deal, normalized)
}

/// Recognizes a budget header and returns the ISO currency code it names, if any.
fn match_budget(base: &str) -> Option<Option<&'static str>> {
    let rest = base.strip_prefix("бюджет")?;
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')');
    if rest.is_empty() {
        return Some(None);
    }
    CURRENCY_SUFFIXES
        .iter()
        .find(|(suffix, _)| *suffix == rest)
        .map(|(_, code)| Some(*code))
}

/// Recognizes `Примечание` and `Примечание N` and returns N (1 for the bare label).
fn match_note(base: &str) -> Option<u32> {
    let rest = base.strip_prefix("примечание")?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Some(1);
    }
    rest.parse().ok().filter(|n| *n > 0)
}

/// One export column and the table column it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceColumn {
    /// Zero-based position in the export row.
    pub position: usize,
    /// Header label as written in the file.
    pub label: String,
    /// Column name in the table.
    pub name: String,
    pub kind: ValueKind,
    /// For a repeated label of a known text column: the column that takes this value when its
    /// own cell is empty.
    pub fills: Option<String>,
}

/// Mapping of the columns of one deals export onto the `deals` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderPlan {
    pub columns: Vec<SourceColumn>,
    /// ISO code of the currency named in the budget header, if any.
    pub currency: Option<String>,
}

impl HeaderPlan {
    /// Builds the plan for a header row.
    pub fn from_labels(labels: &[String]) -> HeaderPlan {
        let mut columns = Vec::with_capacity(labels.len());
        let mut currency = None;
        // Columns derived from the stage take their names first, so an export column of the same
        // name is kept as `outcome__2` rather than lost.
        let mut seen: HashMap<String, usize> = ["outcome", "loss_reason"]
            .map(|name| (name.to_owned(), 1))
            .into();

        for (position, label) in labels.iter().enumerate() {
            let normalized = normalize_label(label);
            let (scope, base) = split_scope(&normalized);
            let (base_name, kind) = classify(scope, base, label, &mut currency);

            let count = seen.entry(base_name.clone()).or_insert(0);
            *count += 1;
            let (name, fills) = if *count == 1 {
                (base_name, None)
            } else {
                let fills = (kind != ValueKind::Id && known_column(&base_name).is_some())
                    .then(|| base_name.clone());
                (format!("{base_name}__{count}"), fills)
            };
            columns.push(SourceColumn {
                position,
                label: label.clone(),
                name,
                kind,
                fills,
            });
        }

        HeaderPlan {
            columns,
            currency: currency.map(str::to_owned),
        }
    }

    /// Returns the source column that feeds table column `name`.
    pub fn column(&self, name: &str) -> Option<&SourceColumn> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Reports whether the header looks like an amoCRM deals export: it has `ID` and a deal name
    /// or stage column.
    pub fn is_deals_export(&self) -> bool {
        self.column("id").is_some()
            && (self.column("stage").is_some() || self.column("name").is_some())
    }
}

fn classify(
    scope: Scope,
    base: &str,
    label: &str,
    currency: &mut Option<&'static str>,
) -> (String, ValueKind) {
    if scope == Scope::Deal {
        if let Some(code) = match_budget(base) {
            if currency.is_none() {
                *currency = code;
            }
            return ("budget".to_owned(), ValueKind::Money);
        }
        if let Some(n) = match_note(base) {
            return (format!("note_{n}"), ValueKind::Text);
        }
    }

    let known = KNOWN_COLUMNS
        .iter()
        .find(|column| column.labels.contains(&base));
    match (scope, known) {
        (Scope::Deal, Some(column)) => (column.name.to_owned(), column.kind),
        (Scope::Contact, Some(column)) if column.name == "contact" => {
            ("contact".to_owned(), column.kind)
        }
        // Older exports name the main contact's fields without a suffix, so `Рабочий телефон` and
        // `Рабочий телефон (контакт)` are the same column.
        (Scope::Contact, Some(column)) if is_contact_field(column.name) => {
            (column.name.to_owned(), column.kind)
        }
        (Scope::Contact, _) => (format!("contact_{}", snake_case(base)), kind_of_base(known)),
        (Scope::Company, _) if base == "название" || base == "название компании" => {
            ("company".to_owned(), ValueKind::Text)
        }
        (Scope::Company, Some(column)) => (format!("company_{}", column.name), column.kind),
        (Scope::Company, None) => (format!("company_{}", snake_case(base)), ValueKind::Text),
        (Scope::Deal, None) => (snake_case(label), ValueKind::Text),
    }
}

fn kind_of_base(known: Option<&KnownColumn>) -> ValueKind {
    match known.map(|column| column.kind) {
        Some(ValueKind::Phone) => ValueKind::Phone,
        Some(ValueKind::Email) => ValueKind::Email,
        _ => ValueKind::Text,
    }
}

fn is_contact_field(name: &str) -> bool {
    matches!(
        name,
        "work_phone"
            | "work_direct_phone"
            | "mobile_phone"
            | "fax"
            | "home_phone"
            | "other_phone"
            | "work_email"
            | "personal_email"
            | "other_email"
            | "position"
            | "skype"
            | "icq"
            | "jabber"
            | "google_talk"
            | "msn"
            | "other_im"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(labels: &[&str]) -> HeaderPlan {
        HeaderPlan::from_labels(&labels.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn names(plan: &HeaderPlan) -> Vec<&str> {
        plan.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn older_header_generation() {
        let plan = plan(&[
            "ID",
            "Название сделки",
            "Бюджет ",
            "Дата создания сделки",
            "Теги",
            "Примечание",
            "Примечание 2",
            "Этап сделки",
        ]);
        assert_eq!(
            names(&plan),
            [
                "id",
                "name",
                "budget",
                "created_at",
                "tags",
                "note_1",
                "note_2",
                "stage"
            ]
        );
        assert_eq!(plan.currency, None);
        assert!(plan.is_deals_export());
    }

    #[test]
    fn newer_header_generation() {
        let plan = plan(&[
            "ID",
            "Бюджет ₽",
            "Дата создания",
            "Теги сделки",
            "Примечание 1",
            "Источник сделки",
            "Основной контакт",
            "Рабочий телефон (контакт)",
            "Должность (контакт)",
            "День рождения (контакт)",
            "Название (компания)",
            "Адрес (компания)",
        ]);
        assert_eq!(
            names(&plan),
            [
                "id",
                "budget",
                "created_at",
                "tags",
                "note_1",
                "source",
                "contact",
                "work_phone",
                "position",
                "contact_den_rozhdeniya",
                "company",
                "company_address"
            ]
        );
        assert_eq!(plan.currency.as_deref(), Some("RUB"));
    }

    #[test]
    fn budget_currency_suffixes() {
        assert_eq!(plan(&["Бюджет руб."]).currency.as_deref(), Some("RUB"));
        assert_eq!(plan(&["БЮДЖЕТ, $"]).currency.as_deref(), Some("USD"));
        assert_eq!(names(&plan(&["Бюджет руб. (сделка)"])), ["budget"]);
        // A custom field that merely starts with the word is not the budget.
        assert_eq!(names(&plan(&["Бюджет клиента"])), ["byudzhet_klienta"]);
    }

    #[test]
    fn repeated_labels_kept_by_position() {
        let plan = plan(&[
            "ID",
            "utm_source",
            "Товар",
            "utm_source",
            "Товар",
            "utm_source",
        ]);
        assert_eq!(
            names(&plan),
            [
                "id",
                "utm_source",
                "product",
                "utm_source__2",
                "product__2",
                "utm_source__3"
            ]
        );
        assert_eq!(plan.columns[3].fills.as_deref(), Some("utm_source"));
        assert_eq!(plan.columns[1].fills, None);
    }

    #[test]
    fn generated_names_are_unique() {
        let plan = plan(&[
            "utm_source",
            "utm_source",
            "utm_source__2",
            "Адрес (компания)",
            "company address",
        ]);
        let mut names = names(&plan);
        assert_eq!(names[..2], ["utm_source", "utm_source__2"]);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn contacts_export_is_not_deals() {
        let plan = plan(&["ID", "Тип", "Полное имя контакта"]);
        assert!(!plan.is_deals_export());
    }
}

#[cfg(test)]
mod docs_tests {
    use super::*;

    #[test]
    fn schema_docs_list_every_known_column() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        for file in ["schema.md", "schema.ru.md"] {
            let text = std::fs::read_to_string(root.join(file)).unwrap_or_default();
            for column in KNOWN_COLUMNS {
                assert!(
                    text.contains(&format!("`{}`", column.name)),
                    "{file} does not list `{}`",
                    column.name
                );
            }
        }
    }
}
