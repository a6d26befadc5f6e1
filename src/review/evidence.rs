//! The evidence document and its digest (PROTOCOL 7): what a decision is signed on.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::num::Num;

/// Whether every model file's content is covered, or only `MLmodel` plus sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FilesMode {
    Full,
    Listing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaStrings {
    pub inputs: Option<String>,
    pub outputs: Option<String>,
}

/// Exactly the fields of PROTOCOL 7, nothing more: its JCS is what gets hashed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceDoc {
    pub model: String,
    pub version: String,
    pub source: String,
    pub run_id: Option<String>,
    pub metrics: BTreeMap<String, Num>,
    pub schema: SchemaStrings,
    pub files: BTreeMap<String, String>,
    pub files_mode: FilesMode,
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// RFC 8785 (JCS) serialization of any serializable value.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_jcs::to_vec(value).map_err(|e| format!("cannot write canonical JSON: {e}"))
}

/// Which model files get their content hashed (PROTOCOL 7): all of them when the
/// directory totals at most `full_bytes`, else only `MLmodel`.
pub fn files_mode(total_bytes: u64, full_bytes: u64) -> FilesMode {
    if total_bytes <= full_bytes {
        FilesMode::Full
    } else {
        FilesMode::Listing
    }
}

/// Whether a model file's content goes into the digest in this mode.
pub fn hashes_content(mode: FilesMode, rel_path: &str) -> bool {
    mode == FilesMode::Full || rel_path == "MLmodel"
}

impl EvidenceDoc {
    pub fn canonical(&self) -> Result<Vec<u8>, String> {
        canonical_json(self)
    }

    /// `sha256:<hex>` of the canonical document.
    pub fn digest(&self) -> Result<String, String> {
        self.canonical().map(|b| sha256_tagged(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> EvidenceDoc {
        EvidenceDoc {
            model: "fraud-scorer".into(),
            version: "7".into(),
            source: "runs:/abc/model".into(),
            run_id: Some("abc".into()),
            metrics: BTreeMap::from([
                ("auc".into(), Num(0.931)),
                ("loss".into(), Num(f64::NAN)),
                ("n".into(), Num(1e21)),
            ]),
            schema: SchemaStrings {
                inputs: Some("[{\"type\": \"long\"}]".into()),
                outputs: None,
            },
            files: BTreeMap::from([("model/MLmodel".into(), sha256_tagged(b"x"))]),
            files_mode: FilesMode::Full,
        }
    }

    #[test]
    fn canonical_form_is_jcs() {
        let text = String::from_utf8(doc().canonical().unwrap()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"files":{"model/MLmodel":"sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"},"#,
                r#""files_mode":"full","metrics":{"auc":0.931,"loss":"NaN","n":1e+21},"model":"fraud-scorer","#,
                r#""run_id":"abc","schema":{"inputs":"[{\"type\": \"long\"}]","outputs":null},"#,
                r#""source":"runs:/abc/model","version":"7"}"#
            )
        );
    }

    #[test]
    fn digest_changes_with_any_field() {
        let a = doc().digest().unwrap();
        let mut d = doc();
        d.metrics.insert("auc".into(), Num(0.9310001));
        assert_ne!(a, d.digest().unwrap());
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
    }

    #[test]
    fn listing_mode_hashes_only_mlmodel() {
        assert_eq!(files_mode(10, 10), FilesMode::Full);
        assert_eq!(files_mode(11, 10), FilesMode::Listing);
        assert!(hashes_content(FilesMode::Listing, "MLmodel"));
        assert!(!hashes_content(FilesMode::Listing, "model.pkl"));
    }
}
