//! Turning export header labels into stable snake_case column names.

/// Normalizes a header label for matching: trims, drops a byte-order mark and a leading `'`,
/// folds case and `ё` to `е`, and collapses runs of whitespace (no-break spaces included).
pub fn normalize_label(label: &str) -> String {
    let label = label.trim_start_matches('\u{feff}');
    let mut out = String::with_capacity(label.len());
    let mut pending_space = false;
    for c in label.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        for lower in c.to_lowercase() {
            out.push(match lower {
                'ё' => 'е',
                other => other,
            });
        }
    }
    out
}

/// Transliterates one lowercase Cyrillic letter to Latin (a simple scheme close to the one used
/// in Russian passports); other characters come back unchanged.
fn transliterate_char(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' => "i",
        'ї' => "yi",
        'й' | 'ы' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// SQL keywords that would need quoting as column names; such names get a trailing `_`.
const RESERVED: &[&str] = &[
    "all",
    "and",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "cast",
    "create",
    "cross",
    "current_date",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "from",
    "full",
    "group",
    "having",
    "in",
    "inner",
    "insert",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "left",
    "like",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "right",
    "select",
    "set",
    "table",
    "then",
    "true",
    "union",
    "update",
    "using",
    "values",
    "when",
    "where",
    "with",
];

/// Builds a snake_case column name from a header label. Cyrillic is transliterated and every run
/// of other characters becomes one `_`. A name that would start with a digit, be empty or be an SQL
/// keyword is adjusted, so every name can be written in SQL without quotes.
pub fn snake_case(label: &str) -> String {
    let normalized = normalize_label(label);
    let mut out = String::with_capacity(normalized.len());
    let mut last_underscore = true;
    for c in normalized.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            last_underscore = false;
        } else if let Some(latin) = transliterate_char(c) {
            out.push_str(latin);
            last_underscore = latin.is_empty() && last_underscore;
        } else if !last_underscore {
            out.push('_');
            last_underscore = true;
        }
    }
    let trimmed = out.trim_matches('_');
    let mut name = if trimmed.is_empty() {
        String::from("column")
    } else {
        trimmed.to_owned()
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "c_");
    }
    if RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_case_yo_and_spaces() {
        assert_eq!(normalize_label("  Бюджет\u{a0} ₽ "), "бюджет ₽");
        assert_eq!(normalize_label("\u{feff}ID"), "id");
        assert_eq!(normalize_label("Кем создана  СДЕЛКА"), "кем создана сделка");
        assert_eq!(normalize_label("Пётр"), "петр");
    }

    #[test]
    fn snake_case_transliterates() {
        assert_eq!(snake_case("Тип клиента"), "tip_klienta");
        assert_eq!(snake_case("Дата оплаты"), "data_oplaty");
        assert_eq!(snake_case("Производитель"), "proizvoditel");
        assert_eq!(snake_case("_ym_uid"), "ym_uid");
        assert_eq!(snake_case("GOOGLE_ID"), "google_id");
        assert_eq!(snake_case("Объём, шт."), "obem_sht");
    }

    #[test]
    fn snake_case_avoids_keywords_and_digits() {
        assert_eq!(snake_case("from"), "from_");
        assert_eq!(snake_case("1С код"), "c_1s_kod");
        assert_eq!(snake_case("???"), "column");
    }
}
