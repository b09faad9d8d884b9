//! The caller's columns for [`Filter::to_sql`](super::Filter::to_sql).

use std::fmt;

use super::sql::SqlValue;

pub(super) type KeyFn<'a> = Box<dyn Fn(&str) -> Option<SqlValue> + 'a>;

/// The columns of the caller's table, and how owners and states are stored in
/// them.
///
/// Ids: the id column holds the instance's id (an integer, or text for a kind
/// with string ids); `NULL` is no id. Ancestors ([`Columns::ancestor`]): a column
/// per ancestor kind the filter tests, holding the id of the row's ancestor of
/// that kind (`NULL`: not given). Ancestors are read parent first: a `NULL`
/// parent means no ancestor is given, whatever the columns above hold.
///
/// Owners: the column holds, for each row, the key of the subject that owns it
/// (`NULL`: no owner). By default a subject's key is its name, as text; give
/// [`owner_keys`](Columns::owner_keys) to map names to the keys the table uses.
/// States: by default a state's name, as text; `NULL` is no state. A row whose
/// state maps to no state of the kind never matches (default deny). Without an
/// owner (state) column, every row has no owner (no state). Mappings must be
/// one-to-one; a name mapped to `None` is one no row has.
pub struct Columns<'a> {
    pub(super) id: &'a str,
    pub(super) owner: Option<&'a str>,
    pub(super) state: Option<&'a str>,
    pub(super) owner_key: Option<KeyFn<'a>>,
    pub(super) state_value: Option<KeyFn<'a>>,
    /// `(ancestor kind, column)`.
    pub(super) ancestors: Vec<(&'a str, &'a str)>,
}

impl fmt::Debug for Columns<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Columns")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("state", &self.state)
            .field("owner_keys", &self.owner_key.as_ref().map(|_| "fn"))
            .field("state_values", &self.state_value.as_ref().map(|_| "fn"))
            .field("ancestors", &self.ancestors)
            .finish()
    }
}

impl<'a> Columns<'a> {
    /// A table whose instance ids are in column `id` (an integer column).
    pub fn new(id: &'a str) -> Self {
        Columns {
            id,
            owner: None,
            state: None,
            owner_key: None,
            state_value: None,
            ancestors: Vec::new(),
        }
    }

    /// The column holding each row's ancestor of kind `kind` (by name): its id,
    /// an integer or, for a kind with string ids, text; `NULL` when the row is
    /// given no such ancestor. Needed for each ancestor kind the filter tests
    /// ([`Filter::within`](crate::Filter::within)); a column for a kind it does not test is not read.
    /// Giving the same kind again replaces its column.
    #[must_use]
    pub fn ancestor(mut self, kind: &'a str, column: &'a str) -> Self {
        self.ancestors.retain(|(k, _)| *k != kind);
        self.ancestors.push((kind, column));
        self
    }

    /// The owner column.
    #[must_use]
    pub fn owner(mut self, column: &'a str) -> Self {
        self.owner = Some(column);
        self
    }

    /// The state column.
    #[must_use]
    pub fn state(mut self, column: &'a str) -> Self {
        self.state = Some(column);
        self
    }

    /// How a subject (by name) is stored in the owner column; `None`: it owns no
    /// row.
    #[must_use]
    pub fn owner_keys(mut self, key: impl Fn(&str) -> Option<SqlValue> + 'a) -> Self {
        self.owner_key = Some(Box::new(key));
        self
    }

    /// How a state (by name) is stored in the state column; `None`: no row is in
    /// it.
    #[must_use]
    pub fn state_values(mut self, value: impl Fn(&str) -> Option<SqlValue> + 'a) -> Self {
        self.state_value = Some(Box::new(value));
        self
    }

    pub(super) fn owner_of(&self, name: &str) -> Option<SqlValue> {
        match &self.owner_key {
            Some(f) => f(name),
            None => Some(SqlValue::Text(name.to_string())),
        }
    }

    pub(super) fn state_of(&self, name: &str) -> Option<SqlValue> {
        match &self.state_value {
            Some(f) => f(name),
            None => Some(SqlValue::Text(name.to_string())),
        }
    }
}
