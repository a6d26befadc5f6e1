//! Validation of names, keys, values and paths by MLflow's rules, so that both
//! backends accept the same input.

use super::error::invalid;
use super::shorten;
use crate::registry::{Result, Tags};

/// MLflow's limits (PROTOCOL 1), counted in characters as MLflow does.
const MAX_KEY_CHARS: usize = 250;
pub(super) const MAX_VERSION_TAG_VALUE_CHARS: usize = 100_000;
pub(super) const MAX_MODEL_TAG_VALUE_CHARS: usize = 5_000;
pub(super) const MAX_RUN_TAG_VALUE_CHARS: usize = 8_000;
pub(super) const MAX_PARAM_VALUE_CHARS: usize = 6_000;
const MAX_ALIAS_CHARS: usize = 255;
const MAX_MODEL_NAME_CHARS: usize = 256;

/// `[/\w.\- :]` with `\w` taken as ASCII letters, digits and underscore.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')
}

pub(super) fn check_key(kind: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(format!("a {kind} key cannot be empty")));
    }
    let chars = key.chars().count();
    if chars > MAX_KEY_CHARS {
        return Err(invalid(format!(
            "{kind} key `{}` is {chars} characters long; at most {MAX_KEY_CHARS} are allowed",
            shorten(key)
        )));
    }
    if let Some(bad) = key.chars().find(|&c| !is_key_char(c)) {
        return Err(invalid(format!(
            "{kind} key `{}` contains {bad:?}; keys may only hold ASCII letters, digits, `_`, `-`, `.`, `:`, `/` and spaces",
            shorten(key)
        )));
    }
    // MLflow treats keys as file names: they must not resolve to another path.
    let plain = !key.starts_with("..")
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if !plain {
        return Err(invalid(format!(
            "{kind} key `{}` is not a plain relative path (no leading `/` or `..`, no empty, `.` or `..` segments)",
            shorten(key)
        )));
    }
    Ok(())
}

pub(super) fn check_value(kind: &str, key: &str, value: &str, max_chars: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "the value of {kind} `{}` is {chars} characters long; at most {max_chars} are allowed here",
            shorten(key)
        )));
    }
    Ok(())
}

pub(super) fn check_tags(tags: &Tags, max_value_chars: usize) -> Result<()> {
    tags.iter().try_for_each(|(key, value)| {
        check_key("tag", key)?;
        check_value("tag", key, value, max_value_chars)
    })
}

pub(super) fn check_model_name(name: &str) -> Result<()> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_MODEL_NAME_CHARS {
        return Err(invalid(format!(
            "a registered model name must have 1 to {MAX_MODEL_NAME_CHARS} characters, not {chars}"
        )));
    }
    Ok(())
}

/// MLflow's alias rules: `[\w-]+`, at most 255 characters, not `latest`, not `v<n>`.
pub(super) fn check_alias(alias: &str) -> Result<()> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let version_like = alias
        .strip_prefix(['v', 'V'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let problem = if alias.is_empty() {
        "cannot be empty"
    } else if alias.chars().count() > MAX_ALIAS_CHARS {
        "is longer than 255 characters"
    } else if !alias.chars().all(word) {
        "may only hold ASCII letters, digits, `_` and `-`"
    } else if alias.eq_ignore_ascii_case("latest") {
        "is reserved (`latest`)"
    } else if version_like {
        "is reserved (it looks like a version reference)"
    } else {
        return Ok(());
    };
    Err(invalid(format!("alias `{}` {problem}", shorten(alias))))
}

pub(super) fn parse_version(version: &str) -> Result<i64> {
    let digits = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| version.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| {
            invalid(format!(
                "model version `{}` is not a decimal number",
                shorten(version)
            ))
        })
}
