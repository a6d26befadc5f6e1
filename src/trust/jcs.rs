//! RFC 8785 (JCS) serialization of JSON values, written straight into a
//! buffer: records are checked by the hundred thousand in `audit verify`, and
//! going through a generic serializer and cloning maps cost more than the
//! signature check itself. Floats fall back to `serde_jcs` (ECMAScript number
//! formatting); records hold only integers, but the fallback keeps this exact.

use serde_json::{Map, Value};

/// JCS of an object, leaving out the top-level key `skip` (a record's `sig`).
pub fn object_without(map: &Map<String, Value>, skip: Option<&str>) -> Result<String, String> {
    let mut out = String::with_capacity(1024);
    write_object(map, skip, &mut out)?;
    Ok(out)
}

/// JCS of any value.
pub fn value(v: &Value) -> Result<String, String> {
    let mut out = String::with_capacity(256);
    write(v, &mut out)?;
    Ok(out)
}

fn write(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // JCS numbers are IEEE doubles: integers print as themselves only
            // while a double holds them exactly.
            const EXACT: u64 = 1 << 53;
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
                out.push_str(&u.to_string());
            } else {
                out.push_str(
                    &serde_jcs::to_string(n)
                        .map_err(|e| format!("cannot write a number canonically: {e}"))?,
                );
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out)?;
            }
            out.push(']');
        }
        Value::Object(m) => write_object(m, None, out)?,
    }
    Ok(())
}

fn write_object(
    m: &Map<String, Value>,
    skip: Option<&str>,
    out: &mut String,
) -> Result<(), String> {
    let mut keys: Vec<&String> = m.keys().filter(|k| Some(k.as_str()) != skip).collect();
    // JCS orders keys by UTF-16 code units; for ASCII that is byte order.
    if keys.iter().any(|k| !k.is_ascii()) {
        keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    } else {
        keys.sort();
    }
    out.push('{');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(k, out);
        out.push(':');
        write(&m[k.as_str()], out)?;
    }
    out.push('}');
    Ok(())
}

/// JSON string escaping as JCS prescribes: only `"`, `\` and C0 controls.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(|f| serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_serde_jcs(v in json_value()) {
            prop_assert_eq!(value(&v).unwrap(), serde_jcs::to_string(&v).unwrap());
        }
    }

    #[test]
    fn skips_the_top_level_key_only() {
        let v: Value = serde_json::from_str(r#"{"sig":"x","a":{"sig":1},"b":"é\u0001"}"#).unwrap();
        assert_eq!(
            object_without(v.as_object().unwrap(), Some("sig")).unwrap(),
            "{\"a\":{\"sig\":1},\"b\":\"é\\u0001\"}"
        );
    }
}
