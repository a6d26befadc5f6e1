//! The period figures cover: `--since` and `--until` read against `now`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// From `since` (inclusive) to `until` (exclusive), in Unix milliseconds;
/// open where absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Period {
    pub since: Option<String>,
    pub until: Option<String>,
    #[serde(skip)]
    pub since_ms: Option<i64>,
    #[serde(skip)]
    pub until_ms: Option<i64>,
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Period {
    /// Reads `since` and `until`; an error names the flag and the forms it takes.
    pub fn new(since: Option<&str>, until: Option<&str>, now_ms: i64) -> Result<Period, String> {
        let read = |flag: &str, v: Option<&str>| {
            v.map(|v| parse_instant(v, now_ms).map_err(|e| format!("--{flag} {v:?}: {e}")))
                .transpose()
        };
        let (since_ms, until_ms) = (read("since", since)?, read("until", until)?);
        if let (Some(s), Some(u)) = (since_ms, until_ms)
            && s >= u
        {
            return Err(format!(
                "--since ({}) is not before --until ({}): the period is empty",
                rfc3339(s),
                rfc3339(u)
            ));
        }
        Ok(Period {
            since: since_ms.map(rfc3339),
            until: until_ms.map(rfc3339),
            since_ms,
            until_ms,
        })
    }

    pub fn contains(&self, ms: i64) -> bool {
        self.since_ms.is_none_or(|s| ms >= s) && self.until_ms.is_none_or(|u| ms < u)
    }
}

/// An instant: RFC 3339 (`2026-11-01T00:00:00Z`), a date (`2026-11-01`,
/// midnight UTC), or an age before `now` (`30d`, `12h`, `90m`, `2w`).
pub fn parse_instant(s: &str, now_ms: i64) -> Result<i64, String> {
    const FORMS: &str =
        "use an RFC 3339 time (2026-11-01T00:00:00Z), a date (2026-11-01) or an age (30d, 12h, 2w)";
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or_else(|| FORMS.to_owned());
    }
    let unit_ms: i64 = match s.chars().last() {
        Some('m') => 60_000,
        Some('h') => 3_600_000,
        Some('d') => 86_400_000,
        Some('w') => 7 * 86_400_000,
        _ => return Err(format!("not a time: {FORMS}")),
    };
    let n: i64 = s[..s.len() - 1]
        .parse()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("not a time: {FORMS}"))?;
    n.checked_mul(unit_ms)
        .and_then(|d| now_ms.checked_sub(d))
        .filter(|t| DateTime::<Utc>::from_timestamp_millis(*t).is_some())
        .ok_or_else(|| format!("the age is too large: {FORMS}"))
}
