//! Numbers as the protocol writes them in JSON: finite values as numbers,
//! non-finite ones as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `f64` that survives JSON round trips even when it is not finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Num(pub f64);

impl Num {
    /// The protocol's string for a non-finite value, `None` for a finite one.
    pub fn non_finite_str(v: f64) -> Option<&'static str> {
        if v.is_nan() {
            Some("NaN")
        } else if v == f64::INFINITY {
            Some("Infinity")
        } else if v == f64::NEG_INFINITY {
            Some("-Infinity")
        } else {
            None
        }
    }

    /// Parses the protocol's strings (and MLflow's REST spelling of them).
    pub fn parse_non_finite(s: &str) -> Option<f64> {
        match s {
            "NaN" | "nan" => Some(f64::NAN),
            "Infinity" | "inf" | "+Infinity" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        }
    }

    /// The value as a JSON value, following the protocol's convention.
    pub fn to_json(v: f64) -> serde_json::Value {
        match Self::non_finite_str(v) {
            Some(s) => serde_json::Value::String(s.to_owned()),
            None => serde_json::Number::from_f64(v)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

impl From<f64> for Num {
    fn from(v: f64) -> Self {
        Num(v)
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match Self::non_finite_str(self.0) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_f64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(f64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(v) => Ok(Num(v)),
            Raw::S(s) => Num::parse_non_finite(&s).map(Num).ok_or_else(|| {
                serde::de::Error::custom(format!("expected a number, got the string {s:?}"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_round_trip() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5, -0.25] {
            let text = serde_json::to_string(&Num(v)).unwrap();
            let back: Num = serde_json::from_str(&text).unwrap();
            assert!(
                back.0 == v || (v.is_nan() && back.0.is_nan()),
                "{v} -> {text}"
            );
        }
        assert_eq!(serde_json::to_string(&Num(f64::NAN)).unwrap(), "\"NaN\"");
        assert_eq!(
            serde_json::to_string(&Num(f64::NEG_INFINITY)).unwrap(),
            "\"-Infinity\""
        );
    }

    #[test]
    fn rejects_other_strings() {
        assert!(serde_json::from_str::<Num>("\"fast\"").is_err());
    }
}
