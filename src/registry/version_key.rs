//! The key of one model version: model name and version, ordered by model
//! then version (as text), as every map of versions is.

use std::fmt;

use super::ModelVersion;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionKey {
    pub model: String,
    pub version: String,
}

impl VersionKey {
    pub fn new(model: impl Into<String>, version: impl Into<String>) -> VersionKey {
        VersionKey {
            model: model.into(),
            version: version.into(),
        }
    }

    /// The key of `v`.
    pub fn of(v: &ModelVersion) -> VersionKey {
        VersionKey::new(&v.name, &v.version)
    }
}

/// As messages name a version: `model version 3`.
impl fmt::Display for VersionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} version {}", self.model, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_model_then_version_as_tuples_did() {
        let mut keys = [
            VersionKey::new("b", "1"),
            VersionKey::new("a", "10"),
            VersionKey::new("a", "9"),
        ];
        keys.sort();
        let tuples: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| (k.model.as_str(), k.version.as_str()))
            .collect();
        assert_eq!(tuples, [("a", "10"), ("a", "9"), ("b", "1")]);
        assert_eq!(keys[0].to_string(), "a version 10");
    }
}
