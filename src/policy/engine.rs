//! regorus: a bundle loaded and prepared once, then cloned per evaluation
//! (a clone shares the parsed modules and the analysis), and the runner of a
//! bundle's Rego tests.
//!
//! Attribution: the result is the root package's `deny` and `warn`. Every
//! package below `modelgate` whose `deny`/`warn` holds a message is named as
//! its source; its `findings` (objects `{"level", "msg", "looked_at"}`) give
//! the values the rule compared. See `docs/policy.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};
use serde_json::{Map, Value as Json};

use super::bundle::{Bundle, DATA_FILE};
use crate::review::gates::{GateMessage, GateReport, GateResult, Level, RuleSource};

/// The package a bundle must define; `data.modelgate.deny` is the gate.
pub const ROOT: &str = "modelgate";

/// Wall-clock budget of one evaluation (and of one Rego test). The timer is
/// cooperative: regorus checks it between steps of evaluation, so a single
/// built-in call that builds a huge value can overrun it.
pub const TIME_LIMIT: Duration = Duration::from_millis(500);

/// Work units between clock reads.
const CHECK_INTERVAL: u32 = 64;

/// A package of the bundle: its path (`["modelgate", "fairness"]`) and files.
#[derive(Debug, Clone)]
struct Package {
    path: Vec<String>,
    files: Vec<String>,
}

impl Package {
    fn name(&self) -> String {
        self.path.join(".")
    }
}

/// A bundle ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    engine: Engine,
    digest: String,
    source: String,
    /// Packages under `modelgate` (the root excluded), by path.
    packages: Vec<Package>,
    root_files: Vec<String>,
    /// Module texts by path, to name the rule at an error's line.
    texts: BTreeMap<String, String>,
    limit: Duration,
}

/// A loaded engine and what it was loaded from.
struct Loaded {
    engine: Engine,
    packages: Vec<Package>,
    texts: BTreeMap<String, String>,
}

fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::new(CHECK_INTERVAL).unwrap_or(NonZeroU32::MIN),
    }
}

/// Adds the bundle's modules and data to a new engine. `tests` includes the
/// `_test.rego` modules and fixtures.
fn load(bundle: &Bundle, tests: bool, limit: Duration) -> Result<Loaded, String> {
    let mut engine = Engine::new();
    engine.set_execution_timer_config(timer(limit));
    // `print` output is kept, never written to the terminal (or a TUI's screen).
    engine.set_gather_prints(true);
    let mut texts = BTreeMap::new();
    let wanted = |f: &&super::bundle::BundleFile| tests || !f.is_test_only();
    for f in bundle.files.iter().filter(|f| f.is_rego()).filter(wanted) {
        let text = String::from_utf8(f.bytes.clone()).map_err(|e| {
            format!(
                "policy bundle {}: {} is not UTF-8 text: {e}",
                bundle.describe(),
                f.path
            )
        })?;
        engine
            .add_policy(f.path.clone(), text.clone())
            .map_err(|e| {
                format!(
                    "policy bundle {}: {} does not parse: {}",
                    bundle.describe(),
                    f.path,
                    describe_error(&format!("{e:#}"), &texts_with(&texts, &f.path, &text))
                )
            })?;
        texts.insert(f.path.clone(), text);
    }
    if let Some(cycle) = super::recursion::find_cycle(engine.get_modules()) {
        return Err(format!(
            "policy bundle {}: {cycle}: recursion is not allowed in Rego (OPA refuses it too), and evaluating it would never end; remove the cycle",
            bundle.describe()
        ));
    }
    if bundle.file(DATA_FILE).is_none() {
        return Err(format!(
            "policy bundle {}: {DATA_FILE} is missing; rules read their thresholds from it, and without it they would not fire. A bundle without settings needs a {DATA_FILE} holding {{}}",
            bundle.describe()
        ));
    }
    for f in bundle.files.iter().filter(|f| f.is_data()).filter(wanted) {
        let json: Json = serde_json::from_slice(&f.bytes)
            .map_err(|e| format!("policy bundle {}: {}: {e}", bundle.describe(), f.path))?;
        if !json.is_object() {
            return Err(format!(
                "policy bundle {}: {} must hold a JSON object",
                bundle.describe(),
                f.path
            ));
        }
        let nested = f.data_prefix().into_iter().rev().fold(json, |inner, key| {
            Json::Object(Map::from_iter([(key.to_owned(), inner)]))
        });
        let value: Value = serde_json::from_value(nested)
            .map_err(|e| format!("policy bundle {}: {}: {e}", bundle.describe(), f.path))?;
        engine.add_data(value).map_err(|e| {
            format!(
                "policy bundle {}: {} conflicts with other data: {e}",
                bundle.describe(),
                f.path
            )
        })?;
    }
    let components = engine
        .get_policy_package_components()
        .map_err(|e| format!("policy bundle {}: {e}", bundle.describe()))?;
    let mut by_path: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for c in components {
        by_path.entry(c.components).or_default().push(c.source_file);
    }
    let packages = by_path
        .into_iter()
        .map(|(path, files)| Package { path, files })
        .collect();
    Ok(Loaded {
        engine,
        packages,
        texts,
    })
}

fn texts_with(
    texts: &BTreeMap<String, String>,
    path: &str,
    text: &str,
) -> BTreeMap<String, String> {
    let mut t = texts.clone();
    t.insert(path.to_owned(), text.to_owned());
    t
}

impl Policy {
    /// Parses the bundle (its `_test.rego` modules and fixtures left out) and
    /// prepares the engine.
    pub fn prepare(bundle: &Bundle) -> Result<Policy, String> {
        Policy::prepare_with_limit(bundle, TIME_LIMIT)
    }

    pub fn prepare_with_limit(bundle: &Bundle, limit: Duration) -> Result<Policy, String> {
        let Loaded {
            mut engine,
            packages,
            texts,
        } = load(bundle, false, limit)?;
        let root = vec![ROOT.to_owned()];
        let Some(root_pkg) = packages.iter().find(|p| p.path == root) else {
            return Err(format!(
                "policy bundle {}: no module declares `package {ROOT}`; its `deny` and `warn` rules are the gate",
                bundle.describe()
            ));
        };
        let root_files = root_pkg.files.clone();
        let packages = packages
            .into_iter()
            .filter(|p| p.path.len() > 1 && p.path.first() == Some(&root[0]))
            .collect();
        // A trivial query prepares the engine (rule analysis, scheduling, loop
        // hoisting) so that its clones start prepared. Its result does not
        // matter: an analysis error shows again in every real evaluation.
        let _ = engine.eval_query("true".to_owned(), false);
        Ok(Policy {
            engine,
            digest: bundle.digest(),
            source: bundle.describe(),
            packages,
            root_files,
            texts,
            limit,
        })
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Evaluates one input document. Never fails: an error is in the result.
    pub fn evaluate(&self, input: Json) -> GateReport {
        match self.try_evaluate(input) {
            Ok(r) => r,
            Err(e) => GateReport::failed(&self.digest, &self.source, e),
        }
    }

    fn try_evaluate(&self, input: Json) -> Result<GateReport, String> {
        let tree = self.query(input, format!("data.{ROOT}"), ROOT)?;
        self.interpret(&tree)
    }

    /// The value of `query` (a package's path) on `input`, as JSON.
    fn query(&self, input: Json, query: String, package: &str) -> Result<Json, String> {
        let value: Value = serde_json::from_value(input)
            .map_err(|e| format!("the input document cannot be given to the policy: {e}"))?;
        let mut engine = self.engine.clone();
        engine.set_input(value);
        let results = engine
            .eval_query(query, false)
            .map_err(|e| self.evaluation_error(&format!("{e:#}")))?;
        let tree = results
            .result
            .first()
            .and_then(|r| r.expressions.first())
            .map(|e| &e.value)
            .filter(|v| **v != Value::Undefined)
            .ok_or_else(|| format!("package {package} evaluated to nothing"))?;
        serde_json::to_value(tree)
            .map_err(|e| format!("the result of package {package} cannot be read: {e}"))
    }

    /// Evaluates one package below the root on its own (`modelgate.drift`):
    /// its `deny`, `warn` and `errors`, the root gate left out. An error when
    /// the bundle has no such package, the evaluation fails, or a set holds
    /// something other than strings.
    pub fn evaluate_package(&self, input: Json, package: &str) -> Result<PackageResult, String> {
        let Some(p) = self.packages.iter().find(|p| p.name() == package) else {
            return Err(format!(
                "policy bundle {} has no package {package}",
                self.source
            ));
        };
        let (parent, last) = p.path.split_at(p.path.len() - 1);
        let node = self.query(input, rule_path(parent, &last[0]), package)?;
        let src = |set: &str| RuleSource {
            rule: format!("{package}.{set}"),
            files: p.files.clone(),
        };
        Ok(PackageResult {
            deny: optional_strings(node.get("deny"), &src("deny"))?
                .into_iter()
                .collect(),
            warn: optional_strings(node.get("warn"), &src("warn"))?
                .into_iter()
                .collect(),
            errors: optional_strings(node.get("errors"), &src("errors"))?
                .into_iter()
                .collect(),
        })
    }

    fn evaluation_error(&self, text: &str) -> String {
        if text.contains("exceeded time limit") {
            let at = location(text)
                .map(|(file, line, _)| {
                    let rule = self.rule_name(&file, line);
                    format!(" (while in {})", rule.unwrap_or(file))
                })
                .unwrap_or_default();
            return format!(
                "evaluation of package {ROOT} ran past the time limit of {} ms{at}: {}",
                self.limit.as_millis(),
                one_line(text)
            );
        }
        format!("evaluation failed: {}", describe_error(text, &self.texts))
    }

    fn rule_name(&self, file: &str, line: usize) -> Option<String> {
        rule_at(&self.texts, file, line)
    }

    fn interpret(&self, tree: &Json) -> Result<GateReport, String> {
        let root_rule = |set: &str| RuleSource {
            rule: format!("{ROOT}.{set}"),
            files: self.root_files.clone(),
        };
        let root = tree
            .as_object()
            .ok_or_else(|| format!("package {ROOT} evaluated to {tree}, not an object of rules"))?;
        // Sub-packages first: a non-string there is blamed on its own rule.
        let mut subs = Vec::new();
        for p in &self.packages {
            let Some(node) = p.path[1..].iter().try_fold(tree, |node, key| node.get(key)) else {
                continue;
            };
            let src = |set: &str| RuleSource {
                rule: format!("{}.{set}", p.name()),
                files: p.files.clone(),
            };
            let deny = optional_strings(node.get("deny"), &src("deny"))?;
            let warn = optional_strings(node.get("warn"), &src("warn"))?;
            let errors = optional_strings(node.get("errors"), &src("errors"))?;
            let findings = findings(node.get("findings"));
            subs.push((p, deny, warn, errors, findings));
        }
        let deny = match root.get("deny") {
            None => {
                return Err(format!(
                    "package {ROOT} has no `deny` rule (files {}); a bundle without one would pass everything",
                    self.root_files.join(", ")
                ));
            }
            d => optional_strings(d, &root_rule("deny"))?,
        };
        let warn = optional_strings(root.get("warn"), &root_rule("warn"))?;
        let errors = optional_strings(root.get("errors"), &root_rule("errors"))?;
        let mut messages = Vec::new();
        for (level, set) in [(Level::Deny, &deny), (Level::Warn, &warn)] {
            for msg in set {
                let mut rules = Vec::new();
                let mut looked_at: BTreeMap<String, Json> = BTreeMap::new();
                for (p, d, w, _, f) in &subs {
                    let own = if level == Level::Deny { d } else { w };
                    if own.contains(msg) {
                        rules.push(RuleSource {
                            rule: format!("{}.{}", p.name(), level.as_str()),
                            files: p.files.clone(),
                        });
                        if let Some(values) = f.get(msg.as_str()) {
                            looked_at
                                .extend(values.iter().map(|(k, v)| ((*k).clone(), (*v).clone())));
                        }
                    }
                }
                if rules.is_empty() {
                    rules.push(root_rule(level.as_str()));
                }
                messages.push(GateMessage {
                    level,
                    message: msg.clone(),
                    rules,
                    looked_at,
                });
            }
        }
        let error = (!errors.is_empty()).then(|| {
            let named: Vec<String> = errors
                .iter()
                .map(|e| {
                    let from: Vec<String> = subs
                        .iter()
                        .filter(|(_, _, _, errs, _)| errs.contains(e))
                        .map(|(p, ..)| format!("{}.errors ({})", p.name(), p.files.join(", ")))
                        .collect();
                    let from = if from.is_empty() {
                        format!("{ROOT}.errors ({})", self.root_files.join(", "))
                    } else {
                        from.join(", ")
                    };
                    format!("{from}: {e}")
                })
                .collect();
            format!("the policy reports errors: {}", named.join("; "))
        });
        Ok(GateReport {
            result: GateResult {
                policy: self.digest.clone(),
                deny: deny.into_iter().collect(),
                warn: warn.into_iter().collect(),
                error,
            },
            source: self.source.clone(),
            messages,
        })
    }
}

/// The sets of one package, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PackageResult {
    pub deny: Vec<String>,
    pub warn: Vec<String>,
    pub errors: Vec<String>,
}

/// A set of strings, or nothing when the rule is absent. A set holding
/// anything else is an error naming the rule.
fn optional_strings(v: Option<&Json>, rule: &RuleSource) -> Result<BTreeSet<String>, String> {
    let Some(v) = v else {
        return Ok(BTreeSet::new());
    };
    let Json::Array(items) = v else {
        return Err(format!(
            "rule {} ({}) is {v}, not a set of strings",
            rule.rule,
            rule.files.join(", ")
        ));
    };
    items
        .iter()
        .map(|i| match i {
            Json::String(s) => Ok(s.clone()),
            other => Err(format!(
                "rule {} ({}) produced a message that is not a string: {other}",
                rule.rule,
                rule.files.join(", ")
            )),
        })
        .collect()
}

/// `findings` by message, their `looked_at` merged; entries of another shape
/// are ignored (they only add detail, the sets decide).
fn findings(v: Option<&Json>) -> HashMap<&str, Vec<(&String, &Json)>> {
    let mut out: HashMap<&str, Vec<(&String, &Json)>> = HashMap::new();
    let Some(Json::Array(items)) = v else {
        return out;
    };
    for f in items {
        let Some(msg) = f.get("msg").and_then(Json::as_str) else {
            continue;
        };
        let values = out.entry(msg).or_default();
        if let Some(o) = f.get("looked_at").and_then(Json::as_object) {
            values.extend(o.iter());
        }
    }
    out
}

/// `file`, line and column from regorus's `--> file:line:col` line.
fn location(text: &str) -> Option<(String, usize, usize)> {
    let start = text.find("--> ")? + 4;
    let rest = text.get(start..)?;
    let loc = rest.lines().next()?.trim();
    let mut parts = loc.rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?.to_owned();
    Some((file, line, col))
}

/// The rule whose head precedes `line` in `file`: the last line at column 0
/// that starts a rule (as `opa fmt` lays rules out). `package.rule` form.
fn rule_at(texts: &BTreeMap<String, String>, file: &str, line: usize) -> Option<String> {
    let text = texts.get(file)?;
    let mut package = None;
    let mut rule = None;
    for l in text.lines().take(line) {
        if let Some(p) = l.strip_prefix("package ") {
            package = Some(p.trim().to_owned());
            continue;
        }
        let head = l.strip_prefix("default ").unwrap_or(l);
        let name: String = head
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let starts_rule = head.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if starts_rule && !matches!(name.as_str(), "import" | "package") {
            rule = Some(name);
        }
    }
    let rule = rule?;
    Some(match package {
        Some(p) => format!("rule {p}.{rule}"),
        None => format!("rule {rule}"),
    })
}

/// regorus errors span several lines (location, source excerpt, caret, message):
/// one line naming file, line, column and rule.
fn describe_error(text: &str, texts: &BTreeMap<String, String>) -> String {
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_owned);
    match (location(text), message) {
        (Some((file, line, col)), Some(msg)) => {
            let rule = rule_at(texts, &file, line)
                .map(|r| format!(" in {r}"))
                .unwrap_or_default();
            format!("{file}:{line}:{col}{rule}: {msg}")
        }
        _ => one_line(text),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- tests

/// How one Rego test went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum TestResult {
    Pass,
    /// The test rule was false or undefined.
    Fail,
    Error {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TestOutcome {
    /// `modelgate.fairness.test_ratio_below_limit_denies`.
    pub test: String,
    pub file: String,
    #[serde(flatten)]
    pub result: TestResult,
    /// What the test's `print` calls wrote.
    pub output: Vec<String>,
}

/// Runs every `test_` rule of the bundle (its `_test.rego` modules and
/// `fixtures/` loaded), each on its own, in file and line order. A test rule
/// is a rule whose name starts with `test_`, written at the start of a line.
pub fn run_tests(bundle: &Bundle) -> Result<Vec<TestOutcome>, String> {
    let Loaded {
        mut engine,
        packages,
        texts,
    } = load(bundle, true, TIME_LIMIT)?;
    let package_of: BTreeMap<&str, &Package> = packages
        .iter()
        .flat_map(|p| p.files.iter().map(move |f| (f.as_str(), p)))
        .collect();
    let mut out = Vec::new();
    for (file, text) in &texts {
        let Some(pkg) = package_of.get(file.as_str()) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for line in text.lines() {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.starts_with("test_") || !seen.insert(name.clone()) {
                continue;
            }
            // Confirms it is a rule (not text in a string) of this file.
            if !engine
                .has_declared_rule_rooted_at(file, &name)
                .unwrap_or(false)
            {
                continue;
            }
            let path = rule_path(&pkg.path, &name);
            let result = match engine.eval_rule(path) {
                Ok(Value::Bool(true)) => TestResult::Pass,
                Ok(_) => TestResult::Fail,
                Err(e) => TestResult::Error {
                    error: describe_error(&format!("{e:#}"), &texts),
                },
            };
            out.push(TestOutcome {
                test: format!("{}.{name}", pkg.name()),
                file: file.clone(),
                result,
                output: engine.take_prints().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// `data.a.b.rule`, with brackets for components that are not identifiers.
fn rule_path(package: &[String], rule: &str) -> String {
    let mut s = String::from("data");
    for c in package.iter().map(String::as_str).chain([rule]) {
        let ident = c.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if ident {
            s.push('.');
            s.push_str(c);
        } else {
            s.push_str(&format!("[{}]", Json::String(c.to_owned())));
        }
    }
    s
}

#[cfg(test)]
mod tests;
