//! Instance ids as a document writes them: [`IdDef`] (a number or a string) and
//! the [`IdType`] a kind declares.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Numeric resource instance ids, as used in exceptions, restrictions and checks.
pub type InstanceId = u64;

/// An instance id as a document writes it: a number, or a string (a slug, a UUID)
/// for a kind declared with `"ids": "string"`.
///
/// ```
/// use accessmask::IdDef;
/// let ids: Vec<IdDef> = serde_json::from_str(r#"[7, "acme/web"]"#)?;
/// assert_eq!(ids, [IdDef::from(7), IdDef::from("acme/web")]);
/// assert_eq!(ids[1].to_string(), "acme/web");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum IdDef {
    /// A numeric id, for a kind with number ids (the default).
    Number(InstanceId),
    /// A string id, for a kind declared with `"ids": "string"`. Matched exactly.
    String(String),
}

impl<'de> Deserialize<'de> for IdDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = IdDef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an instance id (a number from 0 to 2^64-1, or a string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdDef, E> {
                Ok(IdDef::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdDef, E> {
                u64::try_from(v)
                    .map(IdDef::Number)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdDef, E> {
                Ok(IdDef::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<IdDef, E> {
                Ok(IdDef::String(v))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

impl Default for IdDef {
    fn default() -> Self {
        IdDef::Number(0)
    }
}

impl From<InstanceId> for IdDef {
    fn from(id: InstanceId) -> Self {
        IdDef::Number(id)
    }
}

impl From<&str> for IdDef {
    fn from(id: &str) -> Self {
        IdDef::String(id.to_owned())
    }
}

impl From<String> for IdDef {
    fn from(id: String) -> Self {
        IdDef::String(id)
    }
}

impl fmt::Display for IdDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdDef::Number(n) => write!(f, "{n}"),
            IdDef::String(s) => f.write_str(s),
        }
    }
}

impl PartialEq<InstanceId> for IdDef {
    fn eq(&self, other: &InstanceId) -> bool {
        *self == IdDef::Number(*other)
    }
}

/// The type of a kind's instance ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdType {
    /// `u64` ids (the default).
    #[default]
    Number,
    /// String ids (slugs, UUIDs), matched exactly.
    String,
}

impl IdType {
    pub(super) fn is_number(&self) -> bool {
        *self == IdType::Number
    }
}

impl fmt::Display for IdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdType::Number => "number",
            IdType::String => "string",
        })
    }
}
