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

/// Parses an `MLmodel` file. A file without a `signature` is valid (all
/// `None`); anything malformed is an error naming the part at fault.
pub fn parse_mlmodel(bytes: &[u8]) -> Result<Signature, String> {
    let doc: Yaml =
        serde_norway::from_slice(bytes).map_err(|e| format!("MLmodel: not valid YAML: {e}"))?;
    let Yaml::Mapping(top) = doc else {
        return Err("MLmodel: expected a mapping at the top level".to_owned());
    };
    let signature = match top.get("signature") {
        None | Some(Yaml::Null) => return Ok(Signature::default()),
        Some(Yaml::Mapping(m)) => m,
        Some(_) => return Err("MLmodel: signature is not a mapping".to_owned()),
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

fn raw_side(signature: &Mapping, side: &str) -> Result<Option<String>, String> {
    match signature.get(side) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("MLmodel: signature.{side} is not a string")),
    }
}

/// Parses one signature side (a JSON list of column or tensor specs).
/// `what` names the list in messages, e.g. `MLmodel: signature.inputs`.
pub fn parse_specs(what: &str, json: &str) -> Result<Vec<Spec>, String> {
    let value: Json =
        serde_json::from_str(json).map_err(|e| format!("{what} is not valid JSON: {e}"))?;
    let Json::Array(items) = value else {
        return Err(format!("{what} is not a JSON list of specs"));
    };
    let specs = items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_spec(item).map_err(|e| format!("{what}[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(what, &specs)?;
    Ok(specs)
}

fn parse_spec(value: &Json) -> Result<Spec, String> {
    let Json::Object(obj) = value else {
        return Err("expected an object".to_owned());
    };
    let name = match obj.get("name") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err("\"name\" is not a string".to_owned()),
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

fn type_field(obj: &Map<String, Json>) -> Result<&str, String> {
    match obj.get("type") {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err("\"type\" is not a non-empty string".to_owned()),
        None => Err("no \"type\"".to_owned()),
    }
}

fn parse_required(obj: &Map<String, Json>) -> Result<bool, String> {
    match obj.get("required") {
        None | Some(Json::Null) => Ok(true),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err("\"required\" is not a boolean".to_owned()),
    }
}

/// A column type; recursive for `array`, `map` and `object`.
fn parse_type(obj: &Map<String, Json>) -> Result<SpecType, String> {
    match type_field(obj)? {
        "array" => Ok(SpecType::Array(Box::new(nested(obj, "array", "items")?))),
        "map" => Ok(SpecType::Map(Box::new(nested(obj, "map", "values")?))),
        "object" => parse_object(obj),
        "tensor" => Err("a tensor can only be a top-level spec".to_owned()),
        other => Ok(SpecType::Scalar(other.to_owned())),
    }
}

fn nested(obj: &Map<String, Json>, kind: &str, key: &str) -> Result<SpecType, String> {
    match obj.get(key) {
        Some(Json::Object(inner)) => parse_type(inner).map_err(|e| format!("{key}: {e}")),
        Some(_) => Err(format!("{kind} \"{key}\" is not an object")),
        None => Err(format!("{kind} without \"{key}\"")),
    }
}

fn parse_object(obj: &Map<String, Json>) -> Result<SpecType, String> {
    let Some(Json::Object(props)) = obj.get("properties") else {
        return Err("object without a \"properties\" object".to_owned());
    };
    let mut out = Vec::with_capacity(props.len());
    for (name, prop) in props {
        let Json::Object(prop) = prop else {
            return Err(format!("property {name:?} is not an object"));
        };
        let in_prop = |e: String| format!("property {name:?}: {e}");
        out.push(Property {
            name: name.clone(),
            ty: parse_type(prop).map_err(in_prop)?,
            required: parse_required(prop).map_err(in_prop)?,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SpecType::Object(out))
}

fn parse_tensor(obj: &Map<String, Json>) -> Result<SpecType, String> {
    let Some(Json::Object(spec)) = obj.get("tensor-spec") else {
        return Err("tensor without a \"tensor-spec\" object".to_owned());
    };
    let dtype = match spec.get("dtype") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err("tensor-spec without a \"dtype\" string".to_owned()),
    };
    let Some(Json::Array(dims)) = spec.get("shape") else {
        return Err("tensor-spec without a \"shape\" list".to_owned());
    };
    let shape = dims
        .iter()
        .map(|d| {
            d.as_i64()
                .ok_or_else(|| "tensor-spec \"shape\" holds a non-integer".to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SpecType::Tensor { dtype, shape })
}

/// A diff by name needs unique names; `#<n>` counts as a name here too.
fn check_unique(what: &str, specs: &[Spec]) -> Result<(), String> {
    let mut seen: HashSet<Cow<'_, str>> = HashSet::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let name = spec.column_name(i);
        if seen.contains(name.as_ref()) {
            return Err(format!("{what} has the column {name:?} twice"));
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn col(name: &str, ty: &str) -> Spec {
        Spec {
            name: Some(name.to_owned()),
            ty: SpecType::Scalar(ty.to_owned()),
            required: true,
        }
    }

    fn mlmodel(inputs: &str) -> String {
        format!("flavors: {{}}\nsignature:\n  inputs: '{inputs}'\n  outputs: null\n")
    }

    fn parse_inputs(json: &str) -> Result<Vec<Spec>, String> {
        parse_mlmodel(mlmodel(json).as_bytes()).map(|s| s.input_specs.unwrap_or_default())
    }

    fn type_of(json: &str) -> String {
        let specs = parse_inputs(json).unwrap();
        specs[0].type_name()
    }

    #[test]
    fn folded_yaml_string_is_unfolded() {
        let text = "signature:\n  inputs: '[{\"type\": \"long\", \"name\": \"a\", \"required\":\n    true}, {\"type\": \"double\", \"name\": \"b\"}]'\n";
        let sig = parse_mlmodel(text.as_bytes()).unwrap();
        assert_eq!(
            sig.inputs.as_deref(),
            Some(
                r#"[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b"}]"#
            )
        );
        assert_eq!(
            sig.input_specs.unwrap(),
            vec![col("a", "long"), col("b", "double")]
        );
        assert_eq!(sig.outputs, None);
        assert_eq!(sig.output_specs, None);
    }

    #[test]
    fn no_signature_is_valid() {
        assert_eq!(
            parse_mlmodel(b"flavors: {}\n").unwrap(),
            Signature::default()
        );
        assert_eq!(
            parse_mlmodel(b"signature: null\n").unwrap(),
            Signature::default()
        );
    }

    #[test]
    fn complex_type_names() {
        assert_eq!(
            type_of(r#"[{"type": "array", "items": {"type": "double"}, "name": "a"}]"#),
            "array<double>"
        );
        assert_eq!(
            type_of(r#"[{"type": "map", "values": {"type": "string"}, "name": "m"}]"#),
            "map<string>"
        );
        assert_eq!(
            type_of(
                r#"[{"type": "object", "name": "o", "properties": {"b": {"type": "string", "required": false}, "a": {"type": "long", "required": true}}}]"#
            ),
            "object{a: long, b?: string}"
        );
        assert_eq!(
            type_of(
                r#"[{"type": "array", "name": "n", "items": {"type": "map", "values": {"type": "array", "items": {"type": "any"}}}}]"#
            ),
            "array<map<array<any>>>"
        );
    }

    #[test]
    fn tensor_type_name_has_no_spaces() {
        let specs = parse_inputs(
            r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]"#,
        )
        .unwrap();
        assert_eq!(specs[0].type_name(), "tensor(float32,[-1,4])");
        assert_eq!(specs[0].column_name(0), "#0");
        assert!(specs[0].required);
        let named = parse_inputs(
            r#"[{"type": "tensor", "name": "img", "tensor-spec": {"dtype": "uint8", "shape": []}}]"#,
        )
        .unwrap();
        assert_eq!(named[0].column_name(0), "img");
        assert_eq!(named[0].type_name(), "tensor(uint8,[])");
    }

    #[test]
    fn required_defaults_to_true() {
        let specs = parse_inputs(
            r#"[{"type": "long", "name": "a"}, {"type": "long", "name": "b", "required": false}]"#,
        )
        .unwrap();
        assert!(specs[0].required);
        assert!(!specs[1].required);
    }

    #[test]
    fn malformed_inputs_name_the_part() {
        let err = parse_mlmodel(b"signature: [\n").unwrap_err();
        assert!(err.starts_with("MLmodel: not valid YAML: "), "{err}");
        // A second `signature` key must not silently replace the first.
        let err = parse_mlmodel(b"signature:\n  inputs: '[]'\nsignature: null\n").unwrap_err();
        assert!(
            err.contains("duplicate entry with key \"signature\""),
            "{err}"
        );
        let err = parse_mlmodel(b"- a\n- b\n").unwrap_err();
        assert_eq!(err, "MLmodel: expected a mapping at the top level");
        let err = parse_mlmodel(b"signature: 3\n").unwrap_err();
        assert_eq!(err, "MLmodel: signature is not a mapping");
        let err = parse_mlmodel(b"signature:\n  outputs: [1]\n").unwrap_err();
        assert_eq!(err, "MLmodel: signature.outputs is not a string");
        let err = parse_inputs("[{").unwrap_err();
        assert!(
            err.starts_with("MLmodel: signature.inputs is not valid JSON: "),
            "{err}"
        );
        let err = parse_inputs(r#"{"type": "long"}"#).unwrap_err();
        assert_eq!(err, "MLmodel: signature.inputs is not a JSON list of specs");
    }

    #[test]
    fn unknown_spec_shapes_are_errors() {
        let cases = [
            (r#"[3]"#, "[0]: expected an object"),
            (r#"[{"name": "a"}]"#, "[0]: no \"type\""),
            (
                r#"[{"type": 5}]"#,
                "[0]: \"type\" is not a non-empty string",
            ),
            (
                r#"[{"type": "long", "name": 5}]"#,
                "[0]: \"name\" is not a string",
            ),
            (
                r#"[{"type": "long", "required": "yes"}]"#,
                "[0]: \"required\" is not a boolean",
            ),
            (r#"[{"type": "array"}]"#, "[0]: array without \"items\""),
            (
                r#"[{"type": "map", "values": "string"}]"#,
                "[0]: map \"values\" is not an object",
            ),
            (
                r#"[{"type": "object"}]"#,
                "[0]: object without a \"properties\" object",
            ),
            (
                r#"[{"type": "array", "items": {"type": "tensor"}}]"#,
                "[0]: items: a tensor can only be a top-level spec",
            ),
            (
                r#"[{"type": "tensor"}]"#,
                "[0]: tensor without a \"tensor-spec\" object",
            ),
            (
                r#"[{"type": "tensor", "tensor-spec": {"shape": [1]}}]"#,
                "[0]: tensor-spec without a \"dtype\" string",
            ),
            (
                r#"[{"type": "tensor", "tensor-spec": {"dtype": "int8"}}]"#,
                "[0]: tensor-spec without a \"shape\" list",
            ),
            (
                r#"[{"type": "tensor", "tensor-spec": {"dtype": "int8", "shape": [1.5]}}]"#,
                "[0]: tensor-spec \"shape\" holds a non-integer",
            ),
            (
                r#"[{"type": "object", "properties": {"p": {"type": "array"}}}]"#,
                "[0]: property \"p\": array without \"items\"",
            ),
        ];
        for (json, suffix) in cases {
            let err = parse_inputs(json).unwrap_err();
            assert_eq!(err, format!("MLmodel: signature.inputs{suffix}"), "{json}");
        }
    }

    #[test]
    fn duplicate_names_are_errors() {
        let err =
            parse_inputs(r#"[{"type": "long", "name": "x"}, {"type": "double", "name": "x"}]"#)
                .unwrap_err();
        assert_eq!(err, "MLmodel: signature.inputs has the column \"x\" twice");
        // An explicit "#1" collides with the implicit name of the unnamed column 1.
        let err =
            parse_inputs(r##"[{"type": "long", "name": "#1"}, {"type": "long"}]"##).unwrap_err();
        assert_eq!(err, "MLmodel: signature.inputs has the column \"#1\" twice");
    }

    #[test]
    fn diff_reports_added_removed_changed_in_order() {
        let base = vec![
            col("a", "long"),
            col("b", "long"),
            col("c", "string"),
            col("d", "double"),
        ];
        let mut cand = vec![
            col("z", "long"),
            col("c", "string"),
            col("a", "double"),
            col("y", "long"),
        ];
        cand[1].required = false;
        let d = diff(Some(&cand), Some(&base));
        assert_eq!(d.added, ["z", "y"]);
        assert_eq!(d.removed, ["b", "d"]);
        assert_eq!(
            d.changed,
            vec![
                Change {
                    name: "c".into(),
                    change: ChangeKind::Required,
                    from: "required".into(),
                    to: "optional".into()
                },
                Change {
                    name: "a".into(),
                    change: ChangeKind::Type,
                    from: "long".into(),
                    to: "double".into()
                },
            ]
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json["changed"][0],
            serde_json::json!({"name": "c", "change": "required", "from": "required", "to": "optional"})
        );
        assert_eq!(json["changed"][1]["change"], "type");
    }

    #[test]
    fn no_baseline_is_an_empty_diff_but_no_signature_is_an_empty_list() {
        let cand = vec![col("a", "long")];
        assert!(diff(Some(&cand), None).is_empty());
        let with_sig = Signature {
            input_specs: Some(cand),
            ..Signature::default()
        };
        let d = schema_diff(&with_sig, &Signature::default());
        assert_eq!(d.inputs.added, ["a"]);
        assert!(d.outputs.is_empty());
        let back = schema_diff(&Signature::default(), &with_sig);
        assert_eq!(back.inputs.removed, ["a"]);
    }

    #[test]
    fn unnamed_columns_diff_by_position() {
        let t = |dtype: &str, n: i64| Spec {
            name: None,
            ty: SpecType::Tensor {
                dtype: dtype.into(),
                shape: vec![-1, n],
            },
            required: true,
        };
        let d = diff(
            Some(&[t("float32", 8)]),
            Some(&[t("float32", 4), t("int64", 1)]),
        );
        assert_eq!(d.removed, ["#1"]);
        assert_eq!(d.changed[0].from, "tensor(float32,[-1,4])");
        assert_eq!(d.changed[0].to, "tensor(float32,[-1,8])");
    }

    #[test]
    fn spec_serializes_rendered_type() {
        let json = serde_json::to_value(col("a", "long")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "a", "type": "long", "required": true})
        );
    }

    #[test]
    fn pretty_keeps_key_order() {
        let raw = r#"[{"type": "long", "name": "a", "x": {}, "y": [ ], "s": "q\"{,:}"}]"#;
        assert_eq!(
            pretty(raw),
            "[\n  {\n    \"type\": \"long\",\n    \"name\": \"a\",\n    \"x\": {},\n    \"y\": [],\n    \"s\": \"q\\\"{,:}\"\n  }\n]"
        );
        assert_eq!(pretty("not json ["), "not json [");
    }

    fn scalar_type() -> impl Strategy<Value = SpecType> {
        prop_oneof![
            Just(SpecType::Scalar("long".into())),
            Just(SpecType::Scalar("double".into())),
            Just(SpecType::Scalar("string".into())),
            Just(SpecType::Array(Box::new(SpecType::Scalar("long".into())))),
        ]
    }

    /// Lists with unique names drawn from a small pool, so sides overlap.
    fn spec_list() -> impl Strategy<Value = Vec<Spec>> {
        proptest::collection::btree_map(0u8..24, (scalar_type(), any::<bool>()), 0..16)
            .prop_flat_map(|cols| {
                let specs: Vec<Spec> = cols
                    .into_iter()
                    .map(|(n, (ty, required))| Spec {
                        name: Some(format!("c{n}")),
                        ty,
                        required,
                    })
                    .collect();
                Just(specs).prop_shuffle()
            })
    }

    fn names(specs: &[Spec]) -> Vec<String> {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| s.column_name(i).into_owned())
            .collect()
    }

    proptest! {
        #[test]
        fn diff_with_itself_is_empty(a in spec_list()) {
            prop_assert!(diff(Some(&a), Some(&a)).is_empty());
        }

        #[test]
        fn added_and_removed_are_the_set_differences(a in spec_list(), b in spec_list()) {
            let d = diff(Some(&a), Some(&b));
            let (na, nb) = (names(&a), names(&b));
            let added: Vec<String> = na.iter().filter(|n| !nb.contains(n)).cloned().collect();
            let removed: Vec<String> = nb.iter().filter(|n| !na.contains(n)).cloned().collect();
            prop_assert_eq!(&d.added, &added);
            prop_assert_eq!(&d.removed, &removed);
            for c in &d.changed {
                prop_assert!(na.contains(&c.name) && nb.contains(&c.name));
                prop_assert_ne!(&c.from, &c.to);
            }
            let back = diff(Some(&b), Some(&a));
            prop_assert_eq!(back.added, d.removed);
            prop_assert_eq!(back.changed.len(), d.changed.len());
        }

        #[test]
        fn parse_reads_back_what_was_written(a in spec_list()) {
            let items: Vec<Json> = a.iter().map(|s| {
                let mut obj = match &s.ty {
                    SpecType::Array(items) => serde_json::json!({"type": "array", "items": {"type": items.to_string()}}),
                    other => serde_json::json!({"type": other.to_string()}),
                };
                obj["name"] = Json::from(s.name.clone());
                obj["required"] = Json::from(s.required);
                obj
            }).collect();
            let json = serde_json::to_string(&items).unwrap();
            let yaml = serde_norway::to_string(&serde_json::json!({"signature": {"inputs": json}})).unwrap();
            let sig = parse_mlmodel(yaml.as_bytes()).unwrap();
            prop_assert_eq!(sig.inputs.as_deref(), Some(json.as_str()));
            prop_assert_eq!(sig.input_specs, Some(a));
        }

        #[test]
        fn pretty_matches_serde_on_sorted_json(a in spec_list()) {
            let value = serde_json::to_value(&a).unwrap();
            let compact = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(pretty(&compact), serde_json::to_string_pretty(&value).unwrap());
        }
    }
}
