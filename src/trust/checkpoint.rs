//! The local append-only checkpoint (PROTOCOL 12): every record id this client
//! has seen, per version, with when it first saw it. It never forgets an id, so
//! a record deleted from the registry later stays reported.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::VersionKey;

/// One line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub model: String,
    pub version: String,
    pub id: String,
    /// Milliseconds since the epoch when this client first saw the record.
    pub first_seen_ms: i64,
}

/// A line of the checkpoint file recording a tag value that decides who the
/// authors are (`modelgate.submitted_by`, the run's `mlflow.user`), first
/// seen at `first_seen_ms`: rewriting such a tag never removes an author this
/// client knew (PROTOCOL 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSeen {
    pub model: String,
    pub version: String,
    pub tag: String,
    pub value: String,
    pub first_seen_ms: i64,
}

/// (model, version) -> record id -> first seen.
pub type SeenMap = BTreeMap<VersionKey, BTreeMap<String, i64>>;

/// (model, version) -> (tag, value) -> first seen.
pub type TagMap = BTreeMap<VersionKey, BTreeMap<(String, String), i64>>;

#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    pub path: Option<PathBuf>,
    pub seen: SeenMap,
    /// Author-deciding tag values seen, per version.
    pub tags: TagMap,
    /// Lines that could not be read: reported, never silently dropped.
    pub damaged_lines: Vec<usize>,
}

/// A file name for a registry id: readable, and never a path.
pub fn file_name(registry_id: &str) -> String {
    let safe: String = registry_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let digest = crate::trust::record::hex_sha256(registry_id.as_bytes());
    format!("{safe}-{}.jsonl", &digest[..16])
}

impl Checkpoint {
    /// Reads a checkpoint file; a missing file is an empty checkpoint.
    pub fn load(path: &Path) -> Result<Checkpoint, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(format!(
                    "cannot read the checkpoint {}: {e}",
                    path.display()
                ));
            }
        };
        let mut c = Checkpoint {
            path: Some(path.to_path_buf()),
            ..Default::default()
        };
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            // A record line has an `id`, a tag line a `tag`: neither parses as the other.
            match serde_json::from_str::<Seen>(line) {
                Ok(s) => c.insert(s),
                Err(_) => match serde_json::from_str::<TagSeen>(line) {
                    Ok(t) => c.insert_tag(t),
                    Err(_) => c.damaged_lines.push(n + 1),
                },
            }
        }
        Ok(c)
    }

    fn insert(&mut self, s: Seen) {
        let ids = self
            .seen
            .entry(VersionKey::new(s.model, s.version))
            .or_default();
        let at = ids.entry(s.id).or_insert(s.first_seen_ms);
        *at = (*at).min(s.first_seen_ms);
    }

    fn insert_tag(&mut self, t: TagSeen) {
        let values = self
            .tags
            .entry(VersionKey::new(t.model, t.version))
            .or_default();
        let at = values.entry((t.tag, t.value)).or_insert(t.first_seen_ms);
        *at = (*at).min(t.first_seen_ms);
    }

    /// Every value of `tag` seen on a version, with its first sighting.
    pub fn tag_values(&self, model: &str, version: &str, tag: &str) -> Vec<(&str, i64)> {
        self.tags
            .get(&VersionKey::new(model, version))
            .map(|m| {
                m.iter()
                    .filter(|((t, _), _)| t == tag)
                    .map(|((_, v), at)| (v.as_str(), *at))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Adds the `(tag, value)` pairs not seen before on a version, in one write.
    pub fn observe_tags(
        &mut self,
        model: &str,
        version: &str,
        pairs: &[(&str, &str)],
        now_ms: i64,
    ) -> Result<usize, String> {
        let known = |t: &str, v: &str| {
            self.tags
                .get(&VersionKey::new(model, version))
                .is_some_and(|m| m.contains_key(&(t.to_owned(), v.to_owned())))
        };
        let mut new: Vec<TagSeen> = Vec::new();
        for (t, v) in pairs {
            if !known(t, v) && !new.iter().any(|n| n.tag == *t && n.value == *v) {
                new.push(TagSeen {
                    model: model.into(),
                    version: version.into(),
                    tag: (*t).into(),
                    value: (*v).into(),
                    first_seen_ms: now_ms,
                });
            }
        }
        if new.is_empty() {
            return Ok(0);
        }
        if let Some(path) = &self.path {
            let mut text = String::new();
            for t in &new {
                let line = serde_json::to_string(t)
                    .map_err(|e| format!("cannot write the checkpoint: {e}"))?;
                text.push_str(&line);
                text.push('\n');
            }
            append(path, text.as_bytes())?;
        }
        let n = new.len();
        for t in new {
            self.insert_tag(t);
        }
        Ok(n)
    }

    /// The earliest sighting of a record in any of `checkpoints`.
    pub fn earliest(
        checkpoints: &[&Checkpoint],
        model: &str,
        version: &str,
        id: &str,
    ) -> Option<i64> {
        checkpoints
            .iter()
            .filter_map(|c| c.first_seen(model, version, id))
            .min()
    }

    pub fn first_seen(&self, model: &str, version: &str, id: &str) -> Option<i64> {
        self.seen
            .get(&VersionKey::new(model, version))?
            .get(id)
            .copied()
    }

    /// Ids this checkpoint holds for a version that `present` lacks.
    pub fn missing<'a>(&'a self, model: &str, version: &str, present: &[&str]) -> Vec<&'a str> {
        self.seen
            .get(&VersionKey::new(model, version))
            .map(|ids| {
                ids.keys()
                    .map(String::as_str)
                    .filter(|id| !present.contains(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Adds the ids not seen before, appending them to the file in one write.
    pub fn observe(
        &mut self,
        model: &str,
        version: &str,
        ids: &[&str],
        now_ms: i64,
    ) -> Result<usize, String> {
        let new: Vec<Seen> = ids
            .iter()
            .filter(|id| self.first_seen(model, version, id).is_none())
            .map(|id| Seen {
                model: model.into(),
                version: version.into(),
                id: (*id).into(),
                first_seen_ms: now_ms,
            })
            .collect();
        if new.is_empty() {
            return Ok(0);
        }
        if let Some(path) = &self.path {
            let mut text = String::new();
            for s in &new {
                let line = serde_json::to_string(s)
                    .map_err(|e| format!("cannot write the checkpoint: {e}"))?;
                text.push_str(&line);
                text.push('\n');
            }
            append(path, text.as_bytes())?;
        }
        let n = new.len();
        for s in new {
            self.insert(s);
        }
        Ok(n)
    }
}

/// One append, flushed to disk: lines from two processes never interleave
/// within a line (O_APPEND), and nothing is ever rewritten.
fn append(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the checkpoint {}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_forgets_and_keeps_the_first_sighting() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("state/cp.jsonl");
        let mut c = Checkpoint::load(&path).unwrap();
        assert_eq!(c.observe("m", "1", &["a", "b"], 100).unwrap(), 2);
        assert_eq!(c.observe("m", "1", &["b", "c"], 200).unwrap(), 1);
        let back = Checkpoint::load(&path).unwrap();
        assert_eq!(back.first_seen("m", "1", "b"), Some(100));
        assert_eq!(back.first_seen("m", "1", "c"), Some(200));
        assert_eq!(back.missing("m", "1", &["a", "c"]), ["b"]);
        assert!(back.missing("m", "2", &[]).is_empty());
    }

    #[test]
    fn author_tags_are_kept_apart_from_record_ids() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("cp.jsonl");
        let mut c = Checkpoint::load(&path).unwrap();
        c.observe("m", "1", &["a"], 100).unwrap();
        let sb = "modelgate.submitted_by";
        assert_eq!(
            c.observe_tags("m", "1", &[(sb, "vic"), (sb, "vic")], 100)
                .unwrap(),
            1
        );
        assert_eq!(c.observe_tags("m", "1", &[(sb, "vic")], 200).unwrap(), 0);
        assert_eq!(c.observe_tags("m", "1", &[(sb, "bot")], 300).unwrap(), 1);
        let back = Checkpoint::load(&path).unwrap();
        assert!(back.damaged_lines.is_empty());
        assert_eq!(back.tag_values("m", "1", sb), [("bot", 300), ("vic", 100)]);
        assert!(back.tag_values("m", "2", sb).is_empty());
        // Tag lines are not record ids: nothing is reported missing.
        assert!(back.missing("m", "1", &["a"]).is_empty());
    }

    #[test]
    fn damaged_lines_are_reported() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("cp.jsonl");
        std::fs::write(
            &path,
            "{\"model\":\"m\",\"version\":\"1\",\"id\":\"a\",\"first_seen_ms\":1}\nnot json\n",
        )
        .unwrap();
        let c = Checkpoint::load(&path).unwrap();
        assert_eq!(c.damaged_lines, [2]);
        assert_eq!(c.first_seen("m", "1", "a"), Some(1));
    }

    #[test]
    fn file_names_are_safe() {
        let n = file_name("../../etc/passwd\nx");
        assert!(
            !n.contains('/') && !n.contains('\n') && n.ends_with(".jsonl"),
            "{n}"
        );
        assert_ne!(
            file_name("a/b"),
            file_name("a_b"),
            "distinct ids never share a file"
        );
    }
}
