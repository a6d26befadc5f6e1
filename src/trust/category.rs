//! Decision categories (PROTOCOL 13): why a `reject` or `request_changes`
//! was signed, from a configured list, so that reasons can be counted. Pure.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::action::Action;
use super::checklist::plain_id;

/// `decision_categories` when the configuration names none (PROTOCOL 2).
pub const DEFAULT: [&str; 11] = [
    "performance",
    "fairness",
    "explainability",
    "schema",
    "security",
    "data",
    "documentation",
    "reproducibility",
    "cost",
    "operational",
    "other",
];

/// What a categorised decision without a category counts as.
pub const UNCATEGORIZED: &str = "uncategorized";

pub fn defaults() -> Vec<String> {
    DEFAULT.iter().map(|c| (*c).to_owned()).collect()
}

/// Checks a configured list: plain names, none twice, at least one.
pub fn check_list(list: &[String]) -> Result<(), String> {
    if list.is_empty() {
        return Err(
            "decision_categories is empty: reject and request-changes need at least one category"
                .into(),
        );
    }
    for (i, c) in list.iter().enumerate() {
        if !plain_id(c) {
            return Err(format!(
                "decision_categories[{i}]: {c:?} is not plain: use 1 to 64 of a-z, 0-9, _ and -"
            ));
        }
        if c == UNCATEGORIZED {
            return Err(format!(
                "decision_categories[{i}]: {UNCATEGORIZED:?} is what a decision without a category counts as; it cannot be chosen"
            ));
        }
        if list[..i].contains(c) {
            return Err(format!("decision_categories[{i}]: {c:?} is listed twice"));
        }
    }
    Ok(())
}

/// The category a record counts under: its `category`, `uncategorized`
/// for a reject or request-changes without one, `None` for other actions.
pub fn of_record(fields: &Map<String, Value>) -> Option<&str> {
    let action = fields.get("action")?.as_str().and_then(Action::parse)?;
    if !action.carries_category() {
        return None;
    }
    Some(
        fields
            .get("category")
            .and_then(Value::as_str)
            .unwrap_or(UNCATEGORIZED),
    )
}

/// The configured categories, the most used first (ties in configured
/// order): the order the console offers them in.
pub fn by_use(configured: &[String], used: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out: Vec<(usize, usize, &String)> = configured
        .iter()
        .enumerate()
        .map(|(i, c)| (used.get(c).copied().unwrap_or(0), i, c))
        .collect();
    out.sort_by_key(|&(n, i, _)| (std::cmp::Reverse(n), i));
    out.into_iter().map(|(_, _, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_configured_list_is_checked() {
        assert!(check_list(&defaults()).is_ok());
        for (list, want) in [
            (vec![], "empty"),
            (vec!["Perf".to_owned()], "not plain"),
            (vec!["a".into(), "a".into()], "twice"),
            (vec![UNCATEGORIZED.to_owned()], "cannot be chosen"),
        ] {
            let e = check_list(&list).unwrap_err();
            assert!(e.contains(want), "{list:?}: {e}");
        }
    }

    #[test]
    fn a_record_counts_under_its_category_or_uncategorized() {
        let rec = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            of_record(&rec(json!({"action": "reject", "category": "fairness"}))),
            Some("fairness")
        );
        assert_eq!(
            of_record(&rec(json!({"action": "request_changes"}))),
            Some(UNCATEGORIZED)
        );
        assert_eq!(of_record(&rec(json!({"action": "approve"}))), None);
    }

    #[test]
    fn the_most_used_come_first() {
        let used = BTreeMap::from([("schema".to_owned(), 3), ("data".to_owned(), 5)]);
        let order = by_use(&defaults(), &used);
        assert_eq!(&order[..3], ["data", "schema", "performance"]);
        assert_eq!(order.len(), DEFAULT.len());
    }
}
