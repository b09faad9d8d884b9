//! Testing a policy: expectations as data, golden matrices, and assertion helpers
//! whose failures show the query, the expected and actual decision, and why.
//!
//! ```
//! use accessmask::{Policy, PolicyDef};
//! use accessmask::testing::Expectations;
//!
//! let policy = Policy::compile(&serde_json::from_str::<PolicyDef>(r#"{
//!   "kinds": { "report": { "actions": ["view", "export"] } },
//!   "roles": { "Guest": { "grants": { "report": ["view"] } } },
//!   "subjects": { "gus": { "role": "Guest" } }
//! }"#)?)?;
//! let expectations: Expectations = serde_json::from_str(r#"{ "expect": [
//!   "gus view report => allow",
//!   "gus export report:7 => deny",
//!   { "query": "gus export report", "allow": true }
//! ] }"#)?;
//! let report = policy.verify(&expectations)?;
//! assert_eq!(report.checked(), 3);
//! assert_eq!(report.mismatches().len(), 1);
//! assert!(report.to_string().contains("expect[2]: gus export report: expected ALLOW, got DENY"));
//!
//! accessmask::assert_can!(policy, "gus view report");
//! accessmask::assert_cannot!(policy, "gus export report:7");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::def::NamedMap;
use crate::engine::Policy;
use crate::error::nearest;
pub use crate::error::MatrixError;
use crate::explain::Explanation;
use crate::principal::{Key, PrincipalDef};
use crate::render::Matrix;
pub use crate::{Query, QueryError};

/// One expected decision. In a document either a string `"QUERY => allow"` (or
/// `=> deny`) or an object `{"query": "QUERY", "allow": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// The question.
    pub query: String,
    /// The expected decision.
    pub allow: bool,
}

impl<'de> Deserialize<'de> for Expectation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Object {
            query: String,
            allow: bool,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expectation;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"QUERY => allow|deny\" or {\"query\": ..., \"allow\": ...}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expectation, E> {
                let (query, decision) = v
                    .rsplit_once("=>")
                    .ok_or_else(|| E::custom(format!("`{v}` has no `=> allow` or `=> deny`")))?;
                let allow = match decision.trim() {
                    "allow" => true,
                    "deny" => false,
                    other => {
                        return Err(E::custom(format!(
                            "`{other}` is neither `allow` nor `deny`"
                        )))
                    }
                };
                Ok(Expectation {
                    query: query.trim().to_string(),
                    allow,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Expectation, A::Error> {
                let o = Object::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Expectation {
                    query: o.query,
                    allow: o.allow,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An expectations document: `{"expect": [...]}`, optionally with principals
/// given inline, by key: `{"principals": {"7": {"role": "Member"}}, "expect":
/// ["7 edit task:1 owner=7 => allow"]}`. A query whose subject is one of them asks
/// that principal (its owner is then a key: a number, or a string the principal
/// resolves); any other subject is one of the policy's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Users given inline, by key (a number or a string, as text).
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub principals: NamedMap<PrincipalDef>,
    /// The expected decisions, in order.
    pub expect: Vec<Expectation>,
}

/// An expectation the policy does not meet. Serializes as its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// Where it stands (`expect[3]`).
    pub path: String,
    /// The query.
    pub query: String,
    /// The expected decision.
    pub expected: bool,
    /// Why the policy decided otherwise.
    pub explanation: Explanation,
}

/// The result of [`Policy::verify`]: every mismatch, not only the first.
/// Serializes as `{"checked": 12, "mismatches": [Mismatch, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    checked: usize,
    mismatches: Vec<Mismatch>,
}

impl Report {
    /// How many expectations were checked.
    pub fn checked(&self) -> usize {
        self.checked
    }

    /// The expectations not met, in order.
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// Whether every expectation was met.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

fn verdict(allow: bool) -> &'static str {
    if allow {
        "ALLOW"
    } else {
        "DENY"
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} checked, {} met, {} not met",
            self.checked,
            self.checked - self.mismatches.len(),
            self.mismatches.len()
        )?;
        for m in &self.mismatches {
            writeln!(
                f,
                "{}: {}: expected {}, got {}",
                m.path,
                m.query,
                verdict(m.expected),
                verdict(!m.expected)
            )?;
            for line in m.explanation.to_string().lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// A cell of a golden matrix that the policy renders differently. Serializes as
/// its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellMismatch {
    /// The row's name.
    pub row: String,
    /// The column's name.
    pub column: String,
    /// The golden cell.
    pub expected: String,
    /// The policy's cell.
    pub actual: String,
}

impl fmt::Display for CellMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row `{}`, column `{}`: expected `{}`, got `{}`",
            self.row, self.column, self.expected, self.actual
        )
    }
}

impl Policy {
    /// Checks every expectation and reports every mismatch with the explanation of
    /// the actual decision. A query that cannot be read or names something unknown
    /// is an error with its path (`expect[3]`).
    pub fn verify(&self, expectations: &Expectations) -> Result<Report, QueryError> {
        let mut mismatches = Vec::new();
        for (i, e) in expectations.expect.iter().enumerate() {
            let path = format!("expect[{i}]");
            let q = Query::parse(&e.query, &path)?;
            let explanation = match expectations.principals.get(&q.subject) {
                Some(row) => {
                    let key: Key = match q.subject.parse::<u64>() {
                        Ok(n) => Key::Num(n),
                        Err(_) => Key::Str(q.subject.clone()),
                    };
                    let p = self
                        .principal(key, row)
                        .map_err(|source| QueryError::Principal {
                            path: format!("principals.{}", q.subject),
                            name: q.subject.clone(),
                            source: Box::new(source),
                        })?;
                    let (a, r) = q.resolve_principal(self, &p, &path)?;
                    self.explain_principal(&p, a, &r)
                }
                None => {
                    let (s, a, r) = q.resolve(self, &path)?;
                    self.explain(s, a, &r)
                }
            };
            if explanation.allowed() != e.allow {
                mismatches.push(Mismatch {
                    path,
                    query: q.to_string(),
                    expected: e.allow,
                    explanation,
                });
            }
        }
        Ok(Report {
            checked: expectations.expect.len(),
            mismatches,
        })
    }

    /// Compares a golden matrix (all or some of the rows and columns of
    /// [`Policy::role_matrix`] or [`Policy::level_matrix`], chosen by its corner)
    /// with the policy, returning every differing cell.
    pub fn verify_matrix(&self, golden: &Matrix) -> Result<Vec<CellMismatch>, MatrixError> {
        let actual = match golden.corner() {
            "action" => self.role_matrix(),
            "subject" => self.level_matrix(),
            other => {
                return Err(MatrixError::Corner {
                    name: other.to_string(),
                })
            }
        };
        for c in golden.columns() {
            if !actual.columns().contains(c) {
                return Err(MatrixError::UnknownColumn {
                    line: 1,
                    name: c.clone(),
                    suggestion: nearest(c, actual.columns().iter().map(String::as_str)),
                });
            }
        }
        let mut out = Vec::new();
        for (i, (row, cells)) in golden.rows().enumerate() {
            if !actual.rows().any(|(r, _)| r == row) {
                return Err(MatrixError::UnknownRow {
                    line: golden.row_line(i),
                    name: row.to_string(),
                    suggestion: nearest(row, actual.rows().map(|(r, _)| r)),
                });
            }
            for (c, expected) in golden.columns().iter().zip(cells) {
                let got = actual.cell(row, c).unwrap_or("");
                if got != expected {
                    out.push(CellMismatch {
                        row: row.to_string(),
                        column: c.clone(),
                        expected: expected.clone(),
                        actual: got.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Asserts that `policy` decides `query` as `allow`; on failure panics with the
/// query, both decisions and the explanation. Used by [`assert_can!`] and
/// [`assert_cannot!`](crate::assert_cannot).
///
/// [`assert_can!`]: crate::assert_can
#[track_caller]
#[expect(
    clippy::panic,
    reason = "an assertion helper for tests: failing is its job"
)]
pub fn assert_decision(policy: &Policy, query: &str, allow: bool) {
    let outcome = Query::parse(query, "query").and_then(|q| q.resolve(policy, "query"));
    match outcome {
        Err(e) => panic!("cannot check `{query}`: {e}"),
        Ok((s, a, r)) => {
            let why = policy.explain(s, a, &r);
            if why.allowed() != allow {
                panic!(
                    "policy check failed\n  query:    {query}\n  expected: {}\n  actual:   {}\n  because:\n{}",
                    verdict(allow),
                    verdict(!allow),
                    why.to_string()
                        .lines()
                        .map(|l| format!("    {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
    }
}

/// Asserts that a policy allows a query (`"SUBJECT ACTION KIND[:ID] ..."`); the
/// failure message shows the explanation.
#[macro_export]
macro_rules! assert_can {
    ($policy:expr, $query:expr $(,)?) => {
        $crate::testing::assert_decision(&$policy, $query, true)
    };
}

/// Asserts that a policy denies a query; the failure message shows the
/// explanation.
#[macro_export]
macro_rules! assert_cannot {
    ($policy:expr, $query:expr $(,)?) => {
        $crate::testing::assert_decision(&$policy, $query, false)
    };
}
