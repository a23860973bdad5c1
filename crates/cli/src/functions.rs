//! The shell's list of functions: crmsql's CRM functions with their signatures and a description
//! in the user's language, and DataFusion's own functions found by a pattern.

use crmsql_engine::Engine;
use crmsql_i18n::{Arg, Localizer};

/// crmsql's functions and their signatures. Each has a description `function-NAME` in the
/// message catalogs.
pub const CRM_FUNCTIONS: &[(&str, &str)] = &[
    ("avg_check", "avg_check(amount)"),
    ("roi", "roi(revenue, spend)"),
    ("roi_profit", "roi_profit(revenue, cost, spend)"),
    ("romi", "romi(revenue, spend, margin_pct)"),
    ("roas", "roas(revenue, spend)"),
    ("drr", "drr(spend, revenue)"),
    ("cpl", "cpl(spend, leads)"),
    ("cac", "cac(spend, customers)"),
    ("margin", "margin(revenue, cost)"),
    ("conversion", "conversion(part, whole)"),
    ("growth", "growth(current, previous)"),
    (
        "segment_bucket",
        "segment_bucket(value, thresholds [, labels])",
    ),
    ("quantile_bucket", "quantile_bucket(value, n) OVER (...)"),
    (
        "rfm_score",
        "rfm_score(recency_days, frequency, monetary) OVER (...)",
    ),
    ("rfm_segment", "rfm_segment(score)"),
    (
        "ltv",
        "ltv(avg_check, purchases_per_period, periods [, margin_pct])",
    ),
    ("ltv_observed", "ltv_observed(amount)"),
    ("period_start", "period_start(preset [, compare])"),
    ("period_end", "period_end(preset [, compare])"),
    ("in_period", "in_period(time, preset [, compare])"),
];

/// Returns whether `name` matches a `\df` pattern: a part of the name, or a name with `*` for any
/// characters; an empty pattern matches everything.
fn matches(name: &str, pattern: &str) -> bool {
    let pattern = pattern.to_lowercase();
    if pattern.is_empty() {
        return true;
    }
    if !pattern.contains('*') {
        return name.contains(&pattern);
    }
    // `*` stands for any run of characters; the pattern must match the whole name.
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(part) {
                Some(tail) => rest = tail,
                None => return false,
            }
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// Lines of `\df [PATTERN]`: the matching CRM functions with descriptions, then, for a pattern,
/// the matching DataFusion functions with their syntax.
pub fn list_functions(engine: &Engine, pattern: &str, l: &Localizer) -> Vec<String> {
    let pattern = pattern.trim();
    let crm: Vec<&(&str, &str)> = CRM_FUNCTIONS
        .iter()
        .filter(|(name, _)| matches(name, pattern))
        .collect();
    let width = crm
        .iter()
        .map(|(_, signature)| signature.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    if !crm.is_empty() {
        lines.push(l.text("functions-crm-heading"));
        for (name, signature) in crm {
            lines.push(format!(
                "  {signature:<width$}  {}",
                l.text(&format!("function-{name}"))
            ));
        }
    }
    if pattern.is_empty() {
        lines.push(l.text("functions-builtin-hint"));
        return lines;
    }
    let builtin: Vec<(String, String)> = builtin_functions(engine)
        .into_iter()
        .filter(|(name, _)| !CRM_FUNCTIONS.iter().any(|(crm, _)| crm == name))
        .filter(|(name, _)| matches(name, pattern))
        .collect();
    if !builtin.is_empty() {
        lines.push(l.format(
            "functions-builtin-heading",
            &[("pattern", Arg::from(pattern))],
        ));
        for (name, syntax) in builtin {
            // An alias shows the function it stands for.
            if syntax.starts_with(&format!("{name}(")) {
                lines.push(format!("  {syntax}"));
            } else {
                lines.push(format!("  {name} → {syntax}"));
            }
        }
    }
    if lines.is_empty() {
        lines.push(l.format("functions-none", &[("pattern", Arg::from(pattern))]));
    }
    lines
}

/// Returns DataFusion's function names with a syntax example from their documentation, sorted.
pub fn builtin_functions(engine: &Engine) -> Vec<(String, String)> {
    let state = engine.context().state();
    let mut functions: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, syntax: Option<String>| {
        functions.push((
            name.to_owned(),
            syntax.unwrap_or_else(|| format!("{name}(...)")),
        ));
    };
    for (name, function) in state.scalar_functions() {
        add(
            name,
            function.documentation().map(|d| d.syntax_example.clone()),
        );
    }
    for (name, function) in state.aggregate_functions() {
        add(
            name,
            function.documentation().map(|d| d.syntax_example.clone()),
        );
    }
    for (name, function) in state.window_functions() {
        add(
            name,
            function.documentation().map(|d| d.syntax_example.clone()),
        );
    }
    functions.sort();
    functions.dedup_by(|a, b| a.0 == b.0);
    functions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_parts_and_stars() {
        assert!(matches("roi_profit", "roi"));
        assert!(matches("roi_profit", "ROI"));
        assert!(!matches("romi", "roi"));
        assert!(matches("period_start", "period_*"));
        assert!(matches("in_period", "*period"));
        assert!(!matches("period_start", "*period"));
        assert!(matches("rfm_segment", "r*seg*"));
        assert!(matches("anything", ""));
    }

    #[test]
    fn every_registered_function_is_listed() {
        let mut names = crmsql_functions::function_names();
        names.sort();
        let mut listed: Vec<String> = CRM_FUNCTIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(names, listed);
        for (name, signature) in CRM_FUNCTIONS {
            assert!(signature.starts_with(&format!("{name}(")), "{signature}");
        }
    }
}
