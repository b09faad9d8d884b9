//! Rendering a [`Filter`] as a SQL `WHERE` fragment with `?` placeholders and
//! bind values. No value is ever spliced into the text: the text holds only the
//! caller's column names (checked as identifiers), placeholders, keywords and
//! the constants `1 = 1` / `1 = 0`.
//!
//! A filter that splits on ancestors ([`Filter::within`]) renders as nested
//! cases over the ancestor columns the caller names with [`Columns::ancestor`],
//! parent first: `(db IS NULL AND <no database>) OR (db IN (?, ?) AND <in those>)
//! OR (db NOT IN (?, ?) AND <in another>)`, with the cases that hold the same
//! conditions merged. A column the filter needs and the caller did not give is an
//! error ([`SqlError::MissingAncestor`]), never a `WHERE` that leaves the test
//! out.

use super::columns::Columns;
use super::filter::{Branch, Clause, Cond, Filter, Owner, States, Within};
use crate::def::InstanceId;
use crate::error::SqlError;

/// A value to bind to a `?` placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlValue {
    /// An integer (instance ids; owner keys and states when mapped to integers).
    Int(i64),
    /// A text (owner keys and states by default: the subject's and state's name;
    /// instance ids of a kind with string ids).
    Text(String),
}

/// A `WHERE` fragment and its bind values, in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Sql {
    /// The fragment, with one `?` per bind value; put it in parentheses or after
    /// `WHERE` as it is.
    pub text: String,
    /// The values, in the order of the placeholders.
    pub params: Vec<SqlValue>,
}

/// Whether `name` is `ident` or `ident.ident`, each an ASCII letter or `_` then
/// ASCII letters, digits or `_`.
pub(super) fn is_identifier(name: &str) -> bool {
    let part = |p: &str| {
        let mut chars = p.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match name.split_once('.') {
        Some((table, column)) => part(table) && part(column),
        None => part(name),
    }
}

pub(super) fn checked<'c>(field: &'static str, name: &'c str) -> Result<&'c str, SqlError> {
    if is_identifier(name) {
        Ok(name)
    } else {
        Err(SqlError::BadColumn {
            field,
            name: name.to_string(),
        })
    }
}

/// A rendered piece: a constant, or text with its own bind values and its top
/// operator.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    True,
    False,
    Text(String, Vec<SqlValue>, Op),
}

/// The top operator of a piece of text, to know when it needs parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Atom,
    And,
    Or,
}

impl Expr {
    fn atom(text: String, params: Vec<SqlValue>) -> Expr {
        Expr::Text(text, params, Op::Atom)
    }

    /// `column IN (?, ...)`, or false for no values.
    fn is_in(column: &str, values: Vec<SqlValue>) -> Expr {
        match values.len() {
            0 => Expr::False,
            1 => Expr::atom(format!("{column} = ?"), values),
            n => Expr::atom(format!("{column} IN ({})", placeholders(n)), values),
        }
    }

    fn and(parts: Vec<Expr>) -> Expr {
        if parts.contains(&Expr::False) {
            return Expr::False;
        }
        join(parts, Op::And, Expr::True)
    }

    fn or(parts: Vec<Expr>) -> Expr {
        if parts.contains(&Expr::True) {
            return Expr::True;
        }
        join(parts, Op::Or, Expr::False)
    }
}

/// The texts of `parts` joined by `op` (constants, the identity of `op`, left
/// out), a part in parentheses when its own operator is the other one; `empty`
/// when no text is left.
pub(super) fn join(parts: Vec<Expr>, op: Op, empty: Expr) -> Expr {
    let mut texts: Vec<Expr> = parts
        .into_iter()
        .filter(|p| matches!(p, Expr::Text(..)))
        .collect();
    if texts.len() <= 1 {
        // One part keeps its own operator.
        return texts.pop().unwrap_or(empty);
    }
    let mut out = Vec::new();
    let mut params = Vec::new();
    for p in texts {
        if let Expr::Text(t, ps, inner) = p {
            out.push(if inner == Op::Atom || inner == op {
                t
            } else {
                format!("({t})")
            });
            params.extend(ps);
        }
    }
    let sep = if op == Op::And { " AND " } else { " OR " };
    Expr::Text(out.join(sep), params, op)
}

pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The ids as bind values.
pub(super) fn id_values(ids: &[InstanceId]) -> Result<Vec<SqlValue>, SqlError> {
    ids.iter()
        .map(|&id| {
            i64::try_from(id)
                .map(SqlValue::Int)
                .map_err(|_| SqlError::IdOutOfRange { id })
        })
        .collect()
}

pub(super) struct Render<'r, 'a> {
    pub(super) filter: &'r Filter,
    pub(super) columns: &'r Columns<'a>,
    pub(super) id: &'r str,
    pub(super) owner: Option<&'r str>,
    pub(super) state: Option<&'r str>,
}

impl Render<'_, '_> {
    /// Rows whose owner is in one of the `owners` relations.
    fn owners_pred(&self, owners: &[Owner]) -> Expr {
        let Some(col) = self.owner else {
            // No owner column: every row is unowned.
            return if owners.contains(&Owner::Unowned) {
                Expr::True
            } else {
                Expr::False
            };
        };
        let me = || self.columns.owner_of(self.filter.subject().name());
        let managed = || -> Vec<SqlValue> {
            self.filter
                .managed()
                .iter()
                .filter(|m| !m.name().is_empty())
                .filter_map(|m| self.columns.owner_of(m.name()))
                .collect()
        };
        let mut keys = Vec::new();
        let mut parts = Vec::new();
        for owner in owners {
            match owner {
                Owner::Own => keys.extend(me()),
                Owner::Managed => keys.extend(managed()),
                Owner::Unowned => parts.push(Expr::atom(format!("{col} IS NULL"), Vec::new())),
                Owner::Other => {
                    let mut known: Vec<SqlValue> = me().into_iter().collect();
                    known.extend(managed());
                    let not_null = Expr::atom(format!("{col} IS NOT NULL"), Vec::new());
                    parts.push(match known.len() {
                        0 => not_null,
                        1 => Expr::and(vec![not_null, Expr::atom(format!("{col} <> ?"), known)]),
                        n => Expr::and(vec![
                            not_null,
                            Expr::atom(format!("{col} NOT IN ({})", placeholders(n)), known),
                        ]),
                    });
                }
            }
        }
        parts.insert(0, Expr::is_in(col, keys));
        Expr::or(parts)
    }

    fn state_pred(&self, states: &States) -> Expr {
        let Some(col) = self.state else {
            // No state column: every row has no state.
            return if states.unset {
                Expr::True
            } else {
                Expr::False
            };
        };
        let values = states
            .names
            .iter()
            .filter_map(|n| self.columns.state_of(n))
            .collect();
        let unset = if states.unset {
            Expr::atom(format!("{col} IS NULL"), Vec::new())
        } else {
            Expr::False
        };
        Expr::or(vec![Expr::is_in(col, values), unset])
    }

    fn clause(&self, c: &Clause) -> Expr {
        Expr::and(vec![
            c.owners
                .as_ref()
                .map_or(Expr::True, |os| self.owners_pred(os)),
            c.states.as_ref().map_or(Expr::True, |s| self.state_pred(s)),
        ])
    }

    fn cond(&self, cond: &Cond) -> Expr {
        match cond {
            Cond::All => Expr::True,
            Cond::None => Expr::False,
            Cond::Any(clauses) => Expr::or(clauses.iter().map(|c| self.clause(c)).collect()),
        }
    }

    /// Rows in a state the kind has, or in none (for a kind without states, rows
    /// with no state).
    fn known_state(&self) -> Expr {
        self.state_pred(&States {
            names: self.filter.states().to_vec(),
            unset: true,
        })
    }

    /// The ids of one group as bind values: the numbers, or for a kind with
    /// string ids the strings (one per id, or the filter is malformed).
    fn values(
        &self,
        ids: &[InstanceId],
        texts: &[String],
        strings: bool,
    ) -> Result<Vec<SqlValue>, SqlError> {
        if !strings {
            return id_values(ids);
        }
        if texts.len() != ids.len() {
            return Err(SqlError::NoText {
                id: ids.get(texts.len()).copied().unwrap_or_default(),
            });
        }
        Ok(texts.iter().map(|t| SqlValue::Text(t.clone())).collect())
    }

    /// The conditions of `b` for rows given no further ancestor, by their own id.
    fn body(&self, b: &Branch) -> Result<Expr, SqlError> {
        let f = self.filter;
        let id = self.id;
        let strings = f.string_ids();
        let mut parts = Vec::new();
        let mut excepted: Vec<(InstanceId, SqlValue)> = Vec::new();
        for e in &b.except {
            let values = self.values(&e.ids, &e.texts, strings)?;
            // A row of an id whose condition holds wherever the default does may
            // as well be tested against the default too: no need to exclude it.
            if !f.implies(&b.default, &e.cond) {
                excepted.extend(e.ids.iter().copied().zip(values.iter().cloned()));
            }
            let cond = self.cond(&e.cond);
            if cond != Expr::False {
                parts.push(Expr::and(vec![Expr::is_in(id, values), cond]));
            }
        }
        excepted.sort_by_key(|(i, _)| *i);
        let excepted: Vec<SqlValue> = excepted.into_iter().map(|(_, v)| v).collect();
        let default = self.cond(&b.default);
        if default != Expr::False {
            let not_excepted = match excepted.len() {
                0 => Expr::True,
                1 => Expr::atom(format!("{id} <> ?"), excepted),
                n => Expr::atom(format!("{id} NOT IN ({})", placeholders(n)), excepted),
            };
            let ids = match &b.no_id {
                // Rows with no id follow the default too; `NULL NOT IN (..)` is not
                // true, so say so.
                None if not_excepted != Expr::True => Expr::or(vec![
                    Expr::atom(format!("{id} IS NULL"), Vec::new()),
                    not_excepted,
                ]),
                None => Expr::True,
                Some(_) => Expr::and(vec![
                    Expr::atom(format!("{id} IS NOT NULL"), Vec::new()),
                    not_excepted,
                ]),
            };
            parts.push(Expr::and(vec![ids, default]));
        }
        if let Some(c) = &b.no_id {
            parts.push(Expr::and(vec![
                Expr::atom(format!("{id} IS NULL"), Vec::new()),
                self.cond(c),
            ]));
        }
        Ok(Expr::or(parts))
    }

    /// The column of the ancestor `w` tests.
    fn ancestor_column(&self, w: &Within) -> Result<&str, SqlError> {
        self.columns
            .ancestors
            .iter()
            .find(|(k, _)| *k == w.kind.name())
            .map(|(_, c)| *c)
            .ok_or_else(|| SqlError::MissingAncestor {
                kind: w.kind.name().to_string(),
                depth: w.depth,
                of: self.filter.kind().name().to_string(),
            })
    }

    /// The whole branch: its conditions for rows given no further ancestor, and
    /// its cases on the next ancestor's column.
    fn branch(&self, b: &Branch) -> Result<Expr, SqlError> {
        let body = self.body(b)?;
        let Some(w) = &b.within else {
            return Ok(body);
        };
        let col = self.ancestor_column(w)?;
        let strings = w
            .depth
            .checked_sub(1)
            .and_then(|d| self.filter.ancestors().get(d))
            .is_some_and(|a| a.string_ids);
        let mut parts = Vec::new();
        let mut listed: Vec<(InstanceId, SqlValue)> = Vec::new();
        for e in &w.except {
            let values = self.values(&e.ids, &e.texts, strings)?;
            listed.extend(e.ids.iter().copied().zip(values.iter().cloned()));
            let then = self.branch(&e.then)?;
            if then != Expr::False {
                parts.push(Expr::and(vec![Expr::is_in(col, values), then]));
            }
        }
        listed.sort_by_key(|(i, _)| *i);
        let listed: Vec<SqlValue> = listed.into_iter().map(|(_, v)| v).collect();
        // `NULL <> ?` and `NULL NOT IN (..)` are not true: rows with no such
        // ancestor are never taken for another one.
        let not_listed = match listed.len() {
            0 => Expr::atom(format!("{col} IS NOT NULL"), Vec::new()),
            1 => Expr::atom(format!("{col} <> ?"), listed),
            n => Expr::atom(format!("{col} NOT IN ({})", placeholders(n)), listed),
        };
        let none = Expr::atom(format!("{col} IS NULL"), Vec::new());
        if w.default.within.is_none() && w.default.same_conditions(b) {
            // Rows with no such ancestor and rows with one not listed hold the same
            // conditions: one test for both.
            if body != Expr::False {
                parts.push(Expr::and(vec![Expr::or(vec![none, not_listed]), body]));
            }
        } else {
            if body != Expr::False {
                parts.push(Expr::and(vec![none, body]));
            }
            let default = self.branch(&w.default)?;
            if default != Expr::False {
                parts.push(Expr::and(vec![not_listed, default]));
            }
        }
        Ok(Expr::or(parts))
    }

    fn render(&self) -> Result<Expr, SqlError> {
        let body = self.branch(self.filter.branch())?;
        if body == Expr::False {
            return Ok(Expr::False);
        }
        // Rows in a state the kind does not have must not match; a condition
        // with a state test already keeps them out.
        let mut unbounded = false;
        self.filter.branch().each_cond(&mut |c| {
            unbounded |= match c {
                Cond::All => true,
                Cond::None => false,
                Cond::Any(clauses) => clauses.iter().any(|c| c.states.is_none()),
            }
        });
        if !unbounded {
            return Ok(body);
        }
        Ok(Expr::and(vec![self.known_state(), body]))
    }
}

impl Filter {
    /// The filter as a SQL `WHERE` fragment over the caller's `columns`, with `?`
    /// placeholders and their bind values (ids as integers; owners and states as
    /// the caller maps them, by default their names as text). The text never
    /// holds a value: only column names (refused unless they are identifiers),
    /// placeholders, `IS NULL`, `IN`, `AND`, `OR` and the constants `1 = 1` and
    /// `1 = 0`. `NULL` is no owner, no state or no id.
    ///
    /// ```
    /// # use accessmask::{Policy, PolicyDef};
    /// use accessmask::{Columns, SqlValue};
    /// # let def: PolicyDef = serde_json::from_str(r#"{
    /// #   "kinds": { "journey": { "actions": ["view", "edit"], "states": ["draft", "live"] } },
    /// #   "roles": { "Editor": { "grants": { "journey": { "actions": ["view"], "own": ["edit"] } } } },
    /// #   "subjects": { "ann": { "role": "Editor",
    /// #     "exceptions": [{ "kind": "journey", "id": 7, "allow": ["edit"] }] } } }"#)?;
    /// # let policy = Policy::compile(&def)?;
    /// let ann = policy.subject("ann").ok_or("no ann")?;
    /// let edit = policy.action("journey", "edit").ok_or("no edit")?;
    /// let filter = policy.filter(ann, edit, edit.kind());
    ///
    /// // Owners are stored as user numbers; states as text.
    /// let columns = Columns::new("j.id").owner("j.owner_id").state("j.state")
    ///     .owner_keys(|name| (name == "ann").then_some(SqlValue::Int(42)));
    /// let sql = filter.to_sql(&columns)?;
    /// assert_eq!(sql.text, "(j.state IN (?, ?) OR j.state IS NULL) AND (j.id = ? OR j.owner_id = ?)");
    /// assert_eq!(sql.params, [
    ///     SqlValue::Text("draft".into()), SqlValue::Text("live".into()),
    ///     SqlValue::Int(7), SqlValue::Int(42),
    /// ]);
    ///
    /// assert!(filter.to_sql(&Columns::new("id; DROP TABLE j")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Ancestors: contacts in databases, with rules written in databases. The
    /// filter tests each row's database, so the columns must name it
    /// ([`Columns::ancestor`]); leaving it out is [`SqlError::MissingAncestor`].
    /// Rows whose database column is `NULL` are contacts given no database.
    ///
    /// ```
    /// use accessmask::{Columns, Policy, PolicyDef, SqlError, SqlValue};
    ///
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "database": { "actions": ["view"] },
    ///              "contact": { "actions": ["view", "edit"], "needs": { "edit": ["view"] },
    ///                           "parent": "database" } },
    ///   "roles": { "Editor": { "grants": { "contact": ["edit"] },
    ///     "exceptions": [{ "kind": "contact", "in": "database", "id": 42, "deny": ["edit"] }],
    ///     "restrictions": [{ "kind": "contact", "actions": ["edit"], "in": "database", "ids": [1, 2, 42] }] } },
    ///   "subjects": { "ann": { "role": "Editor" } }
    /// }"#)?;
    /// let policy = Policy::compile(&def)?;
    /// let ann = policy.subject("ann").ok_or("no ann")?;
    /// let edit = policy.action("contact", "edit").ok_or("no edit")?;
    /// let filter = policy.filter(ann, edit, edit.kind());
    ///
    /// // ann edits contacts of databases 1 and 2 only.
    /// let columns = Columns::new("c.id").ancestor("database", "c.database_id");
    /// let sql = filter.to_sql(&columns)?;
    /// assert_eq!(sql.text, "c.database_id IN (?, ?)");
    /// assert_eq!(sql.params, [SqlValue::Int(1), SqlValue::Int(2)]);
    ///
    /// assert!(matches!(
    ///     filter.to_sql(&Columns::new("c.id")),
    ///     Err(SqlError::MissingAncestor { depth: 1, .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_sql(&self, columns: &Columns<'_>) -> Result<Sql, SqlError> {
        let id = checked("id", columns.id)?;
        let owner = columns.owner.map(|c| checked("owner", c)).transpose()?;
        let state = columns.state.map(|c| checked("state", c)).transpose()?;
        for (_, c) in &columns.ancestors {
            checked("ancestor", c)?;
        }
        let r = Render {
            filter: self,
            columns,
            id,
            owner,
            state,
        };
        Ok(match r.render()? {
            Expr::True => Sql {
                text: "1 = 1".to_string(),
                params: Vec::new(),
            },
            Expr::False => Sql {
                text: "1 = 0".to_string(),
                params: Vec::new(),
            },
            Expr::Text(text, params, _) => Sql { text, params },
        })
    }
}
