//! The model signature from `MLmodel` (PROTOCOL 5) and its diff against the
//! baseline's. Pure: bytes in, values out.
//!
//! Type names are rendered once, in one format, so the diff, the UI and the
//! JSON output agree: `long`, `array<double>`, `map<string>`,
//! `object{a: long, b?: string}` (`?` marks an optional property) and
//! `tensor(float32,[-1,4])`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};
use serde_norway::{Mapping, Value as Yaml};

/// The two sides of an `MLmodel` signature: the raw JSON strings exactly as
/// the file holds them (they enter the evidence digest) and their parsed specs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub inputs: Option<String>,
    pub outputs: Option<String>,
    pub input_specs: Option<Vec<Spec>>,
    pub output_specs: Option<Vec<Spec>>,
}

/// One column or tensor of a signature side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spec {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub ty: SpecType,
    /// MLflow's default when the key is missing is `true`.
    pub required: bool,
}

impl Spec {
    /// The name the diff uses: the spec's own, or `#<position>` when unnamed.
    pub fn column_name(&self, position: usize) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("#{position}")),
        }
    }

    /// The rendered type, e.g. `array<double>` or `tensor(int64,[-1])`.
    pub fn type_name(&self) -> String {
        self.ty.to_string()
    }
}

/// An MLflow column type or a tensor spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecType {
    /// `long`, `double`, `string`, `datetime`, `any`, ... kept verbatim, so a
    /// type added by a newer MLflow still shows and diffs.
    Scalar(String),
    Array(Box<SpecType>),
    /// Properties sorted by name (MLflow sorts them too).
    Object(Vec<Property>),
    /// A map with string keys and values of this type.
    Map(Box<SpecType>),
    Tensor {
        dtype: String,
        shape: Vec<i64>,
    },
}

/// One property of an `object` type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub ty: SpecType,
    pub required: bool,
}

impl fmt::Display for SpecType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecType::Scalar(name) => f.write_str(name),
            SpecType::Array(items) => write!(f, "array<{items}>"),
            SpecType::Map(values) => write!(f, "map<{values}>"),
            SpecType::Object(props) => {
                f.write_str("object{")?;
                for (i, p) in props.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let optional = if p.required { "" } else { "?" };
                    write!(f, "{sep}{}{optional}: {}", p.name, p.ty)?;
                }
                f.write_str("}")
            }
            SpecType::Tensor { dtype, shape } => {
                write!(f, "tensor({dtype},[")?;
                for (i, dim) in shape.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    write!(f, "{sep}{dim}")?;
                }
                f.write_str("])")
            }
        }
    }
}

/// Serialized as its rendered name, the form every consumer shows.
impl Serialize for SpecType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why an `MLmodel` signature cannot be read; each message names the part at fault.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("MLmodel: not valid YAML: {0}")]
    NotYaml(serde_norway::Error),
    #[error("MLmodel: expected a mapping at the top level")]
    NotAMapping,
    #[error("MLmodel: signature is not a mapping")]
    SignatureNotAMapping,
    #[error("MLmodel: signature.{0} is not a string")]
    SideNotAString(&'static str),
    #[error("{what} is not valid JSON: {cause}")]
    NotJson {
        what: String,
        cause: serde_json::Error,
    },
    #[error("{0} is not a JSON list of specs")]
    NotAList(String),
    #[error("{what}[{index}]: {problem}")]
    BadSpec {
        what: String,
        index: usize,
        problem: SpecProblem,
    },
    #[error("{what} has the column {name:?} twice")]
    Twice { what: String, name: String },
}

/// What is wrong with one column or tensor spec, down to the nested part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    #[error("expected an object")]
    NotAnObject,
    #[error("\"name\" is not a string")]
    NameNotAString,
    #[error("\"type\" is not a non-empty string")]
    TypeNotAString,
    #[error("no \"type\"")]
    NoType,
    #[error("\"required\" is not a boolean")]
    RequiredNotABool,
    #[error("a tensor can only be a top-level spec")]
    NestedTensor,
    #[error("{kind} \"{key}\" is not an object")]
    NestedNotAnObject {
        kind: &'static str,
        key: &'static str,
    },
    #[error("{kind} without \"{key}\"")]
    NestedMissing {
        kind: &'static str,
        key: &'static str,
    },
    #[error("{key}: {problem}")]
    InNested {
        key: &'static str,
        problem: Box<SpecProblem>,
    },
    #[error("object without a \"properties\" object")]
    NoProperties,
    #[error("property {0:?} is not an object")]
    PropertyNotAnObject(String),
    #[error("property {name:?}: {problem}")]
    InProperty {
        name: String,
        problem: Box<SpecProblem>,
    },
    #[error("tensor without a \"tensor-spec\" object")]
    NoTensorSpec,
    #[error("tensor-spec without a \"dtype\" string")]
    NoDtype,
    #[error("tensor-spec without a \"shape\" list")]
    NoShape,
    #[error("tensor-spec \"shape\" holds a non-integer")]
    ShapeNotIntegers,
}

/// Parses an `MLmodel` file. A file without a `signature` is valid (all
/// `None`); anything malformed is an error naming the part at fault.
pub fn parse_mlmodel(bytes: &[u8]) -> Result<Signature, SchemaError> {
    let doc: Yaml = serde_norway::from_slice(bytes).map_err(SchemaError::NotYaml)?;
    let Yaml::Mapping(top) = doc else {
        return Err(SchemaError::NotAMapping);
    };
    let signature = match top.get("signature") {
        None | Some(Yaml::Null) => return Ok(Signature::default()),
        Some(Yaml::Mapping(m)) => m,
        Some(_) => return Err(SchemaError::SignatureNotAMapping),
    };
    let inputs = raw_side(signature, "inputs")?;
    let outputs = raw_side(signature, "outputs")?;
    let parse = |side: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|json| parse_specs(&format!("MLmodel: signature.{side}"), json))
            .transpose()
    };
    Ok(Signature {
        input_specs: parse("inputs", &inputs)?,
        output_specs: parse("outputs", &outputs)?,
        inputs,
        outputs,
    })
}

fn raw_side(signature: &Mapping, side: &'static str) -> Result<Option<String>, SchemaError> {
    match signature.get(side) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SchemaError::SideNotAString(side)),
    }
}

/// Parses one signature side (a JSON list of column or tensor specs).
/// `what` names the list in messages, e.g. `MLmodel: signature.inputs`.
pub fn parse_specs(what: &str, json: &str) -> Result<Vec<Spec>, SchemaError> {
    let value: Json = serde_json::from_str(json).map_err(|cause| SchemaError::NotJson {
        what: what.to_owned(),
        cause,
    })?;
    let Json::Array(items) = value else {
        return Err(SchemaError::NotAList(what.to_owned()));
    };
    let specs = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_spec(item).map_err(|problem| SchemaError::BadSpec {
                what: what.to_owned(),
                index,
                problem,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(what, &specs)?;
    Ok(specs)
}

fn parse_spec(value: &Json) -> Result<Spec, SpecProblem> {
    let Json::Object(obj) = value else {
        return Err(SpecProblem::NotAnObject);
    };
    let name = match obj.get("name") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(SpecProblem::NameNotAString),
    };
    let ty = match type_field(obj)? {
        "tensor" => parse_tensor(obj)?,
        _ => parse_type(obj)?,
    };
    Ok(Spec {
        name,
        ty,
        required: parse_required(obj)?,
    })
}

fn type_field(obj: &Map<String, Json>) -> Result<&str, SpecProblem> {
    match obj.get("type") {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(SpecProblem::TypeNotAString),
        None => Err(SpecProblem::NoType),
    }
}

fn parse_required(obj: &Map<String, Json>) -> Result<bool, SpecProblem> {
    match obj.get("required") {
        None | Some(Json::Null) => Ok(true),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err(SpecProblem::RequiredNotABool),
    }
}

/// A column type; recursive for `array`, `map` and `object`.
fn parse_type(obj: &Map<String, Json>) -> Result<SpecType, SpecProblem> {
    match type_field(obj)? {
        "array" => Ok(SpecType::Array(Box::new(nested(obj, "array", "items")?))),
        "map" => Ok(SpecType::Map(Box::new(nested(obj, "map", "values")?))),
        "object" => parse_object(obj),
        "tensor" => Err(SpecProblem::NestedTensor),
        other => Ok(SpecType::Scalar(other.to_owned())),
    }
}

fn nested(
    obj: &Map<String, Json>,
    kind: &'static str,
    key: &'static str,
) -> Result<SpecType, SpecProblem> {
    match obj.get(key) {
        Some(Json::Object(inner)) => parse_type(inner).map_err(|problem| SpecProblem::InNested {
            key,
            problem: Box::new(problem),
        }),
        Some(_) => Err(SpecProblem::NestedNotAnObject { kind, key }),
        None => Err(SpecProblem::NestedMissing { kind, key }),
    }
}

fn parse_object(obj: &Map<String, Json>) -> Result<SpecType, SpecProblem> {
    let Some(Json::Object(props)) = obj.get("properties") else {
        return Err(SpecProblem::NoProperties);
    };
    let mut out = Vec::with_capacity(props.len());
    for (name, prop) in props {
        let Json::Object(prop) = prop else {
            return Err(SpecProblem::PropertyNotAnObject(name.clone()));
        };
        let in_prop = |problem| SpecProblem::InProperty {
            name: name.clone(),
            problem: Box::new(problem),
        };
        out.push(Property {
            name: name.clone(),
            ty: parse_type(prop).map_err(in_prop)?,
            required: parse_required(prop).map_err(in_prop)?,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SpecType::Object(out))
}

fn parse_tensor(obj: &Map<String, Json>) -> Result<SpecType, SpecProblem> {
    let Some(Json::Object(spec)) = obj.get("tensor-spec") else {
        return Err(SpecProblem::NoTensorSpec);
    };
    let dtype = match spec.get("dtype") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(SpecProblem::NoDtype),
    };
    let Some(Json::Array(dims)) = spec.get("shape") else {
        return Err(SpecProblem::NoShape);
    };
    let shape = dims
        .iter()
        .map(|d| d.as_i64().ok_or(SpecProblem::ShapeNotIntegers))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SpecType::Tensor { dtype, shape })
}

/// A diff by name needs unique names; `#<n>` counts as a name here too.
fn check_unique(what: &str, specs: &[Spec]) -> Result<(), SchemaError> {
    let mut seen: HashSet<Cow<'_, str>> = HashSet::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let name = spec.column_name(i);
        if seen.contains(name.as_ref()) {
            return Err(SchemaError::Twice {
                what: what.to_owned(),
                name: name.into_owned(),
            });
        }
        seen.insert(name);
    }
    Ok(())
}

/// What changed on one side (inputs or outputs) from baseline to candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SideDiff {
    /// In the candidate's order.
    pub added: Vec<String>,
    /// In the baseline's order.
    pub removed: Vec<String>,
    /// In the candidate's order; a column may have a type and a required change.
    pub changed: Vec<Change>,
}

impl SideDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One changed column. For a required change `from`/`to` are
/// `"required"`/`"optional"`; for a type change they are type names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub name: String,
    pub change: ChangeKind,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Type,
    Required,
}

/// Diffs one side by column name, in linear time.
///
/// `baseline: None` means there is no baseline at all: the diff is empty and
/// the caller says so. A baseline without this side must be passed as
/// `Some(&[])` (as [`schema_diff`] does), so everything shows as added.
/// A candidate without this side counts as an empty list.
pub fn diff(candidate: Option<&[Spec]>, baseline: Option<&[Spec]>) -> SideDiff {
    let Some(baseline) = baseline else {
        return SideDiff::default();
    };
    let candidate = candidate.unwrap_or_default();
    let names: Vec<Cow<'_, str>> = named(baseline).map(|(name, _)| name).collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_ref(), i))
        .collect();
    let mut matched = vec![false; baseline.len()];
    let mut out = SideDiff::default();
    for (name, spec) in named(candidate) {
        match index.get(name.as_ref()) {
            None => out.added.push(name.into_owned()),
            Some(&i) => {
                matched[i] = true;
                push_changes(&mut out.changed, &name, &baseline[i], spec);
            }
        }
    }
    out.removed = names
        .into_iter()
        .zip(matched)
        .filter(|(_, matched)| !matched)
        .map(|(name, _)| name.into_owned())
        .collect();
    out
}

fn named(specs: &[Spec]) -> impl Iterator<Item = (Cow<'_, str>, &Spec)> {
    specs.iter().enumerate().map(|(i, s)| (s.column_name(i), s))
}

fn push_changes(changed: &mut Vec<Change>, name: &str, old: &Spec, new: &Spec) {
    if old.ty != new.ty {
        changed.push(Change {
            name: name.to_owned(),
            change: ChangeKind::Type,
            from: old.ty.to_string(),
            to: new.ty.to_string(),
        });
    }
    if old.required != new.required {
        changed.push(Change {
            name: name.to_owned(),
            change: ChangeKind::Required,
            from: required_word(old.required).to_owned(),
            to: required_word(new.required).to_owned(),
        });
    }
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// Both sides of a signature diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaDiff {
    pub inputs: SideDiff,
    pub outputs: SideDiff,
}

impl SchemaDiff {
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty() && self.outputs.is_empty()
    }
}

/// Diffs a candidate's signature against an existing baseline's. A side the
/// baseline lacks is an empty list, so all the candidate's columns are added.
pub fn schema_diff(candidate: &Signature, baseline: &Signature) -> SchemaDiff {
    let side = |c: &Option<Vec<Spec>>, b: &Option<Vec<Spec>>| {
        diff(c.as_deref(), Some(b.as_deref().unwrap_or_default()))
    };
    SchemaDiff {
        inputs: side(&candidate.input_specs, &baseline.input_specs),
        outputs: side(&candidate.output_specs, &baseline.output_specs),
    }
}

/// Pretty-prints a signature side for a line diff, keeping key order and
/// number spelling as written (re-serializing would sort keys). Text that is
/// not valid JSON comes back unchanged.
pub fn pretty(signature_json: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(signature_json).is_err() {
        return signature_json.to_owned();
    }
    let mut out = String::with_capacity(signature_json.len() * 2);
    let mut depth = 0usize;
    let mut chars = signature_json.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => copy_string(&mut chars, &mut out),
            '{' | '[' => {
                out.push(c);
                skip_whitespace(&mut chars);
                if let Some(close) = chars.next_if(|n| matches!(n, '}' | ']')) {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Copies a string literal whose opening quote was already read.
fn copy_string(chars: &mut Chars<'_>, out: &mut String) {
    out.push('"');
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' => out.extend(chars.next()),
            '"' => return,
            _ => {}
        }
    }
}

fn skip_whitespace(chars: &mut Chars<'_>) {
    while chars
        .next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
        .is_some()
    {}
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

#[cfg(test)]
mod tests;
