//! The layer rule (docs/architecture.md, "Layers"): every `crate::X` path in
//! `src/`, in `use` lines and inline, tests included, must name a module of a
//! lower rank or a leaf. Comments and string literals do not count. Modules
//! name each other only through `crate::`: no top-level module reaches its
//! siblings with `super::`, which this check would not see. Inside one
//! module, submodules import each other in no circle (`crate::<module>::X`
//! and, right under the module, `super::X`).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// Usable from anywhere; uses only other leaves.
    Leaf,
    /// Uses leaves and lower ranks only.
    Rank(u8),
}

use Layer::{Leaf, Rank};

/// The rule table; docs/architecture.md holds the same rows.
const LAYERS: &[(&str, Layer)] = &[
    ("files", Leaf),
    ("num", Leaf),
    ("par", Leaf),
    ("secrets", Leaf),
    ("text", Leaf),
    ("registry", Rank(0)),
    ("review", Rank(1)),
    ("policy", Rank(2)),
    ("trust", Rank(2)),
    ("config", Rank(3)),
    ("stats", Rank(3)),
    ("service", Rank(4)),
    ("demo", Rank(5)),
    ("serve", Rank(5)),
    ("tui", Rank(6)),
    ("cli", Rank(7)),
];

/// Files at the crate root that belong to no layer.
const ROOT: &[&str] = &["lib.rs", "main.rs", "layers.rs"];

fn layer(module: &str) -> Option<Layer> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

fn describe(module: &str, l: Layer) -> String {
    match l {
        Leaf => format!("{module} (leaf)"),
        Rank(r) => format!("{module} (rank {r})"),
    }
}

/// Why `from` may not use `to`, or `None` when it may.
fn refusal(from: &str, to: &str) -> Option<String> {
    if from == to {
        return None;
    }
    let Some(lf) = layer(from) else {
        return Some(format!("{from} is not in the rule table"));
    };
    let Some(lt) = layer(to) else {
        return Some(format!("{to} is not in the rule table"));
    };
    let allowed = match (lf, lt) {
        (_, Leaf) => true,
        (Leaf, Rank(_)) => false,
        (Rank(a), Rank(b)) => b < a,
    };
    let rule = match lf {
        Leaf => "a leaf uses only leaves",
        Rank(_) => "a layer uses only leaves and lower ranks",
    };
    (!allowed).then(|| format!("{} uses {}: {rule}", describe(from, lf), describe(to, lt)))
}

/// The top-level module a path under `src/` belongs to: `review/queue.rs`
/// and `review/mod.rs` are `review`, `service.rs` is `service`.
fn module_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap_or(rel);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// `text` with comments, string and char literals blanked out (newlines
/// kept, so offsets keep their line numbers).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied();
        let start = i;
        if at(0) == Some('/') && at(1) == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(0) == Some('/') && at(1) == Some('*') {
            i += 2;
            while i < c.len() && !(c[i] == '*' && c.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i = (i + 2).min(c.len());
        } else if at(0) == Some('r')
            && matches!(at(1), Some('"' | '#'))
            && (start == 0 || !is_ident(c[start - 1]))
        {
            let mut hashes = 0;
            i += 1;
            while c.get(i) == Some(&'#') {
                hashes += 1;
                i += 1;
            }
            if c.get(i) != Some(&'"') {
                // `r#ident`, a raw identifier: code.
                out.extend(&c[start..i]);
                continue;
            }
            i += 1;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if at(0) == Some('"') {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(c.len());
        } else if at(0) == Some('\'') && at(1) == Some('\\') {
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i = (i + 1).min(c.len());
        } else if at(0) == Some('\'') && at(2) == Some('\'') {
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        for &ch in &c[start..i.min(c.len())] {
            blank(&mut out, ch);
        }
    }
    out
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Every module named right after `crate::` in `code` (comments and literals
/// already blanked), with its line: `crate::a::b` names `a`,
/// `crate::{a::b, c}` names `a` and `c`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    paths_after(code, "crate::")
}

/// Every name right after `prefix` (`crate::`, `crate::service::`, `super::`).
fn paths_after(code: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    for (at, _) in code.match_indices(prefix) {
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = code[at + prefix.len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // `group` ends where `code` does: its offsets map back by length.
            let base = code.len() - group.len();
            let mut depth = 0usize;
            let mut item_start = true;
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    ch if item_start && is_ident(ch) => {
                        item_start = false;
                        let name = group[k..].chars().take_while(|&c| is_ident(c)).collect();
                        found.push((line_of(base + k), name));
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                found.push((line_of(at), name));
            }
        }
    }
    found
}

/// The broken rules of `files` (path under `src/`, text): one line each,
/// `src/<file>:<line>: <from> -> <to>: <rule>`.
fn check(files: &[(String, String)]) -> Vec<String> {
    let mut broken = Vec::new();
    for (rel, text) in files {
        if ROOT.contains(&rel.as_str()) {
            continue;
        }
        let from = module_of(rel);
        for (line, to) in crate_paths(&code_only(text)) {
            if to == "self" || to == "super" {
                continue;
            }
            if let Some(why) = refusal(from, &to) {
                broken.push(format!("src/{rel}:{line}: {from} -> {to}: {why}"));
            }
        }
    }
    broken
}

/// The submodule of its top-level module a file is in: `service/records.rs`
/// and `service/decide/writes.rs` are in `records` and `decide`; the root
/// file (`service.rs`, `review/mod.rs`) is in none.
fn submodule_of(rel: &str) -> Option<&str> {
    let second = rel.split('/').nth(1)?;
    let name = second.strip_suffix(".rs").unwrap_or(second);
    (name != "mod").then_some(name)
}

/// Test support sits on top of what it drives (the screenshot harness renders
/// the app, a screen's tests render its view), so its edges make no circle.
fn test_support(rel: &str) -> bool {
    rel.ends_with("/tests.rs") || matches!(rel, "tui/fixture.rs" | "tui/shots.rs" | "tui/svg.rs")
}

/// Circles between submodules of one top-level module (`service::decide`
/// and `service::deploy` importing each other): one line per edge on a
/// circle, `src/<file>:<line>: <top>::<a> -> <top>::<b>, which leads back`.
/// The root file is left out: it declares every submodule.
fn sibling_circles(files: &[(String, String)]) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut subs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (rel, _) in files {
        if let Some(sub) = submodule_of(rel) {
            subs.entry(module_of(rel)).or_default().insert(sub);
        }
    }
    // (top, from, to) -> where it is first named.
    let mut edges: BTreeMap<(&str, &str, String), String> = BTreeMap::new();
    for (rel, text) in files {
        let top = module_of(rel);
        if test_support(rel) {
            continue;
        }
        let (Some(from), Some(siblings)) = (submodule_of(rel), subs.get(top)) else {
            continue;
        };
        let code = code_only(text);
        let mut named = paths_after(&code, &format!("crate::{top}::"));
        // `super::` names a sibling only from a file right under the top module.
        let depth = rel.split('/').count();
        if depth == 2 || (depth == 3 && rel.ends_with("/mod.rs")) {
            named.extend(paths_after(&code, "super::"));
        }
        for (line, to) in named {
            if to != from && siblings.contains(to.as_str()) {
                edges
                    .entry((top, from, to))
                    .or_insert_with(|| format!("src/{rel}:{line}"));
            }
        }
    }
    let reaches = |top: &str, start: &str, goal: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_owned()];
        while let Some(at) = todo.pop() {
            if at == goal {
                return true;
            }
            if seen.insert(at.clone()) {
                todo.extend(
                    edges
                        .keys()
                        .filter(|(t, f, _)| *t == top && *f == at)
                        .map(|(_, _, to)| to.clone()),
                );
            }
        }
        false
    };
    edges
        .iter()
        .filter(|((top, from, to), _)| reaches(top, to, from))
        .map(|((top, from, to), at)| {
            format!("{at}: {top}::{from} -> {top}::{to}, which leads back")
        })
        .collect()
}

fn sources(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            sources(&path, &rel, out);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            out.push((rel, text));
        }
    }
}

/// Every `.rs` file under this crate's `src/`, by path under it.
fn crate_sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut files,
    );
    files
}

fn table_rows() -> Vec<String> {
    let mut rows: Vec<(Layer, Vec<&str>)> = Vec::new();
    for &(m, l) in LAYERS {
        match rows.iter_mut().find(|(k, _)| *k == l) {
            Some((_, ms)) => ms.push(m),
            None => rows.push((l, vec![m])),
        }
    }
    rows.iter()
        .map(|(l, ms)| {
            let rank = match l {
                Leaf => "leaf".to_owned(),
                Rank(r) => r.to_string(),
            };
            let names: Vec<String> = ms.iter().map(|m| format!("`{m}`")).collect();
            format!("| {rank} | {} |", names.join(", "))
        })
        .collect()
}

#[test]
fn every_edge_goes_down_or_to_a_leaf() {
    let files = crate_sources();
    for (rel, _) in &files {
        let m = module_of(rel);
        assert!(
            ROOT.contains(&rel.as_str()) || layer(m).is_some(),
            "src/{rel}: module {m} is not in the rule table of src/layers.rs"
        );
    }
    let broken = check(&files);
    assert!(
        broken.is_empty(),
        "imports against the layer rule:\n{}",
        broken.join("\n")
    );
}

#[test]
fn submodules_of_one_module_import_each_other_in_no_circle() {
    let files = crate_sources();
    let circles = sibling_circles(&files);
    assert!(
        circles.is_empty(),
        "circles between submodules:\n{}",
        circles.join("\n")
    );
}

#[test]
fn a_circle_between_submodules_fails() {
    let file = |rel: &str, text: &str| (rel.to_owned(), text.to_owned());
    let files = vec![
        file(
            "service.rs",
            "pub mod decide;\npub mod deploy;\npub mod show;\n",
        ),
        file(
            "service/decide.rs",
            "use super::ReviewService;\nuse super::deploy::AliasMove;\n",
        ),
        file(
            "service/deploy.rs",
            "use super::show::X;\nuse crate::service::decide::Decision;\n",
        ),
        file("service/show.rs", "use super::ReviewService;\n"),
        file(
            "service/decide/writes.rs",
            "use super::Refused;\nuse crate::service::show::Y;\n",
        ),
    ];
    assert_eq!(
        sibling_circles(&files),
        [
            "src/service/decide.rs:2: service::decide -> service::deploy, which leads back",
            "src/service/deploy.rs:2: service::deploy -> service::decide, which leads back",
        ]
    );
    let one_way = &files[..4]
        .iter()
        .filter(|(r, _)| r != "service/deploy.rs")
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(sibling_circles(one_way), Vec::<String>::new());
}

#[test]
fn the_architecture_doc_holds_the_same_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for row in table_rows() {
        assert!(
            doc.lines().any(|l| l.starts_with(&row)),
            "docs/architecture.md lacks the layer row {row}"
        );
    }
}

#[test]
fn an_upward_import_fails() {
    let files = vec![
        (
            "review/queue.rs".to_owned(),
            "use crate::registry::Tags;\n\n// crate::service in a comment\nfn f() {\n    let _ = \"crate::tui\";\n    crate::service::ReviewService::new();\n}\n".to_owned(),
        ),
        (
            "text.rs".to_owned(),
            "use crate::{num::Num, review::state};\n".to_owned(),
        ),
        (
            "service/decide.rs".to_owned(),
            "use crate::{\n    review::state::ReviewState,\n    trust::{keys, record},\n    service::show,\n};\nuse crate::cli::Cli;\n".to_owned(),
        ),
        ("policy/mod.rs".to_owned(), "use crate::trust::state;\nuse crate::nowhere::X;\n".to_owned()),
    ];
    assert_eq!(
        check(&files),
        [
            "src/review/queue.rs:6: review -> service: review (rank 1) uses service (rank 4): a layer uses only leaves and lower ranks",
            "src/text.rs:1: text -> review: text (leaf) uses review (rank 1): a leaf uses only leaves",
            "src/service/decide.rs:6: service -> cli: service (rank 4) uses cli (rank 7): a layer uses only leaves and lower ranks",
            "src/policy/mod.rs:1: policy -> trust: policy (rank 2) uses trust (rank 2): a layer uses only leaves and lower ranks",
            "src/policy/mod.rs:2: policy -> nowhere: nowhere is not in the rule table",
        ]
    );
    // The same files without the bad lines pass.
    let fixed = vec![(
        "review/queue.rs".to_owned(),
        "use crate::registry::Tags;\nuse crate::num::Num;\nlet c = '\"'; let s = r#\"crate::cli\"#;\n".to_owned(),
    )];
    assert_eq!(check(&fixed), Vec::<String>::new());
}

#[test]
fn grouped_paths_name_each_module_on_its_line() {
    let code = code_only("use crate::{\n    a::b,\n    c::{d, e},\n};\nx(crate::f::g);\n");
    assert_eq!(
        crate_paths(&code),
        [
            (2, "a".to_owned()),
            (3, "c".to_owned()),
            (5, "f".to_owned())
        ]
    );
}
