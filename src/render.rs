//! Matrices people read: roles x actions (the seeds' Can / Cannot tables) and
//! subjects x kinds with their levels (an Integration Access Levels page).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::{Policy, ProfileKey, NO_LAYER};
use crate::eval::{Relation, Traced};
use crate::ids::{KindId, Resource, RoleId};
use crate::model::Kind;

/// A table of text cells with named rows and columns. `Display` renders aligned
/// plain text; [`Matrix::to_markdown`] renders a Markdown table.
///
/// ```
/// # use accessmask::{Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"report": {"actions": ["view", "export"]}},
/// #   "roles": {"Guest": {"grants": {"report": ["view"]}}, "Admin": {"grants": {"report": ["*"]}}}}"#)?;
/// # let policy = Policy::compile(&def)?;
/// let m = policy.role_matrix();
/// assert_eq!(m.cell("report.export", "Admin"), Some("Y"));
/// assert_eq!(m.cell("report.export", "Guest"), Some("-"));
/// assert!(m.to_markdown().starts_with("| action | Guest | Admin |"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A matrix may carry a legend: notes on some rows (in the roles x actions
/// matrix, the actions that only toggles give). `Display` prints it under the
/// table; [`Matrix::to_markdown`] prints the table alone, so that it reads back
/// with `Matrix::from_markdown`.
///
/// Serializes as `{"corner": "action", "columns": ["Guest", "Admin"], "rows":
/// [["report.view", ["Y", "Y"]], ["report.export", ["-", "Y"]]], "legend": []}`,
/// and reads back from that.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
pub struct Matrix {
    corner: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    #[serde(default)]
    legend: Vec<String>,
    /// For a parsed matrix, the line of each row (for errors).
    #[serde(skip)]
    lines: Vec<usize>,
}

/// Equal when the corner, columns, rows and legend are: where a parsed
/// matrix's rows stood in its file does not count.
impl PartialEq for Matrix {
    fn eq(&self, other: &Self) -> bool {
        self.corner == other.corner
            && self.columns == other.columns
            && self.rows == other.rows
            && self.legend == other.legend
    }
}

impl Matrix {
    /// A matrix with `corner` naming the row header column, and the given columns.
    pub fn new(corner: impl Into<String>, columns: Vec<String>) -> Self {
        Matrix {
            corner: corner.into(),
            columns,
            rows: Vec::new(),
            legend: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// The legend: notes on some rows, printed under the table by `Display`.
    pub fn legend(&self) -> &[String] {
        &self.legend
    }

    /// Adds a note to the legend.
    pub fn push_note(&mut self, note: impl Into<String>) {
        self.legend.push(note.into());
    }

    /// Appends a row; missing cells are empty, extra cells are dropped.
    pub fn push_row(&mut self, name: impl Into<String>, cells: Vec<String>) {
        let line = self.rows.len() + 3;
        self.push_row_at(name, cells, line);
    }

    pub(crate) fn push_row_at(
        &mut self,
        name: impl Into<String>,
        mut cells: Vec<String>,
        line: usize,
    ) {
        cells.resize(self.columns.len(), String::new());
        self.rows.push((name.into(), cells));
        self.lines.push(line);
    }

    /// The source line of row `i` (its line in [`Matrix::to_markdown`]'s output for
    /// a built matrix).
    pub(crate) fn row_line(&self, i: usize) -> usize {
        self.lines.get(i).copied().unwrap_or(i + 3)
    }

    /// The header of the row-name column.
    pub fn corner(&self) -> &str {
        &self.corner
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows: name and cells.
    pub fn rows(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.rows.iter().map(|(n, c)| (n.as_str(), c.as_slice()))
    }

    /// The cell at `row`, `column`.
    pub fn cell(&self, row: &str, column: &str) -> Option<&str> {
        let c = self.columns.iter().position(|x| x == column)?;
        let (_, cells) = self.rows.iter().find(|(n, _)| n == row)?;
        cells.get(c).map(String::as_str)
    }

    /// The matrix as a Markdown table. `|` and `\` in cells are escaped (`\|`,
    /// `\\`), so every matrix of valid names reads back the same with
    /// [`Matrix::from_markdown`](crate::Matrix::from_markdown).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('\\', "\\\\").replace('|', "\\|");
        out.push_str(&format!("| {} |", esc(&self.corner)));
        for c in &self.columns {
            out.push_str(&format!(" {} |", esc(c)));
        }
        out.push_str("\n|---|");
        for _ in &self.columns {
            out.push_str("---|");
        }
        out.push('\n');
        for (name, cells) in &self.rows {
            out.push_str(&format!("| {} |", esc(name)));
            for c in cells {
                out.push_str(&format!(" {} |", esc(c)));
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = |s: &str| s.chars().count();
        let first = self
            .rows
            .iter()
            .map(|(n, _)| width(n))
            .chain([width(&self.corner)])
            .max()
            .unwrap_or(0);
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                self.rows
                    .iter()
                    .filter_map(|(_, cells)| cells.get(i).map(|x| width(x)))
                    .chain([width(c)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        write!(f, "{:first$}", self.corner)?;
        for (c, w) in self.columns.iter().zip(&widths) {
            write!(f, "  {c:w$}")?;
        }
        writeln!(f)?;
        for (name, cells) in &self.rows {
            write!(f, "{name:first$}")?;
            for (c, w) in cells.iter().zip(&widths) {
                write!(f, "  {c:w$}")?;
            }
            writeln!(f)?;
        }
        for note in &self.legend {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

/// A role matrix cell for action `bit` from a role's answers with no owner, its
/// own, and a managed subject's.
fn role_cell((any, own, managed): (u64, u64, u64), bit: u64) -> String {
    if any & bit != 0 {
        return "Y".to_string();
    }
    match (own & bit != 0, managed & bit != 0) {
        (true, true) => "own, managed".to_string(),
        (true, false) => "own".to_string(),
        (false, true) => "managed".to_string(),
        (false, false) => "-".to_string(),
    }
}

impl Policy {
    /// Roles x actions: a row per `kind.action` of every available kind (an
    /// unavailable kind allows nothing and is left out), a column per role. A
    /// cell is `Y` when a holder of the role (no toggles, levels or exceptions)
    /// may do the action on any instance, `own` / `managed` / `own, managed` when
    /// only in those scopes, and `-` otherwise. The legend names each action
    /// that no role gives and some toggle does (its row is all `-`, yet subjects
    /// may hold it), with those toggles.
    pub fn role_matrix(&self) -> Matrix {
        let mut m = Matrix::new(
            "action",
            self.schema.roles.iter().map(|r| r.name.clone()).collect(),
        );
        let keys: Vec<ProfileKey> = RoleId::range(self.schema.roles.len())
            .map(|role| ProfileKey {
                role,
                toggles: Default::default(),
                levels: Default::default(),
            })
            .collect();
        let mut toggle_only: Vec<String> = Vec::new();
        for kind in self.kinds() {
            let Some(kd) = self
                .schema
                .kinds
                .get(kind.index())
                .filter(|kd| kd.available)
            else {
                continue;
            };
            let per_role = self.role_answers(&keys, kind);
            for action in self.actions(kind) {
                let bit = action.mask();
                let cells = per_role
                    .iter()
                    .map(|&answers| role_cell(answers, bit))
                    .collect();
                let row = format!("{}.{}", self.kind_name(kind), self.action_name(action));
                let from_roles = per_role
                    .iter()
                    .any(|&(any, own, managed)| (any | own | managed) & bit != 0);
                if !from_roles {
                    let toggles = self.toggles_giving(kind, kd, bit);
                    if !toggles.is_empty() {
                        toggle_only.push(format!("{row} ({})", toggles.join(", ")));
                    }
                }
                m.push_row(row, cells);
            }
        }
        if !toggle_only.is_empty() {
            m.push_note(format!(
                "only from toggles (no role gives them): {}",
                toggle_only.join("; ")
            ));
        }
        m
    }

    /// The evaluator's answers for a holder of each role of `keys` on `kind` in
    /// general: owned by no one, by the holder, by a subject it manages.
    fn role_answers(&self, keys: &[ProfileKey], kind: KindId) -> Vec<(u64, u64, u64)> {
        let r = Resource::new(kind);
        keys.iter()
            .map(|key| {
                let with = |owner: Relation| {
                    let who = Traced {
                        name: String::new(),
                        layer: &NO_LAYER,
                        owner,
                    };
                    self.decide(key, Some(&who), &r)
                };
                (
                    with(Relation::NoOwner),
                    with(Relation::Own),
                    with(Relation::Managed(String::new())),
                )
            })
            .collect()
    }

    /// The toggles that give action `bit` of `kind` (in any scope), named.
    fn toggles_giving(&self, kind: KindId, kd: &Kind, bit: u64) -> Vec<String> {
        self.schema
            .toggles
            .iter()
            .filter(|t| {
                t.sets.iter().any(|(tk, ts)| {
                    *tk == kind && kd.close_down(ts.any | ts.own | ts.managed) & bit != 0
                })
            })
            .map(|t| format!("`{}`", t.name))
            .collect()
    }

    /// Subjects x kinds with levels: a row per subject, a column per available
    /// kind that has levels (an unavailable kind is left out). A cell names the
    /// level the subject's kind-wide set (role, explicit level and toggles)
    /// equals, `custom` if it equals none.
    pub fn level_matrix(&self) -> Matrix {
        let kinds: Vec<usize> = (0..self.schema.kinds.len())
            .filter(|&k| {
                self.schema
                    .kinds
                    .get(k)
                    .is_some_and(|kd| kd.available && !kd.levels.is_empty())
            })
            .collect();
        let mut m = Matrix::new(
            "subject",
            kinds
                .iter()
                .filter_map(|&k| self.schema.kinds.get(k).map(|kd| kd.name.clone()))
                .collect(),
        );
        for info in (0..self.subjects.len() as u32).filter_map(|s| self.info(s)) {
            let sets = self.schema.kind_wide(info.key);
            let cells = kinds
                .iter()
                .map(|&k| {
                    let Some(kd) = self.schema.kinds.get(k) else {
                        return String::new();
                    };
                    if !kd.available {
                        return "unavailable".to_string();
                    }
                    let any = sets.get(k).map_or(0, |s| s.any);
                    kd.levels
                        .iter()
                        .find(|(_, mask)| *mask == any)
                        .map_or_else(|| "custom".to_string(), |(n, _)| n.clone())
                })
                .collect();
            m.push_row(info.name, cells);
        }
        m
    }
}

/// Reading a matrix back from Markdown, for golden tests
/// ([`Policy::verify_matrix`]).
impl Matrix {
    /// Reads a Markdown table in the form [`Matrix::to_markdown`] writes: a header
    /// row, a `|---|` rule, then rows. Blank lines around it are ignored.
    pub fn from_markdown(text: &str) -> Result<Matrix, crate::error::MatrixError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        let (hline, header) = lines.next().ok_or(crate::error::MatrixError::Syntax {
            line: 1,
            problem: "no table",
        })?;
        let header = cells(header).ok_or(crate::error::MatrixError::Syntax {
            line: hline,
            problem: "a table row starts and ends with `|`",
        })?;
        let Some((corner, columns)) = header.split_first() else {
            return Err(crate::error::MatrixError::Syntax {
                line: hline,
                problem: "the header has no cells",
            });
        };
        let (rline, rule) = lines.next().ok_or(crate::error::MatrixError::Syntax {
            line: hline + 1,
            problem: "the header is not followed by a `|---|` rule",
        })?;
        let rule_ok = cells(rule).is_some_and(|c| {
            c.len() == header.len()
                && c.iter()
                    .all(|x| !x.is_empty() && x.chars().all(|ch| ch == '-' || ch == ':'))
        });
        if !rule_ok {
            return Err(crate::error::MatrixError::Syntax {
                line: rline,
                problem: "the header is not followed by a `|---|` rule as wide as it",
            });
        }
        let mut m = Matrix::new(corner.clone(), columns.to_vec());
        for (line, row) in lines {
            let row = cells(row).ok_or(crate::error::MatrixError::Syntax {
                line,
                problem: "a table row starts and ends with `|`",
            })?;
            if row.len() != header.len() {
                return Err(crate::error::MatrixError::Width {
                    line,
                    expected: header.len(),
                    found: row.len(),
                });
            }
            let Some((name, rest)) = row.split_first() else {
                continue;
            };
            m.push_row_at(name.clone(), rest.to_vec(), line);
        }
        Ok(m)
    }
}

/// The cells of a `| a | b |` line, unescaping `\|` and `\\` (see
/// [`Matrix::to_markdown`]); any other backslash stands for itself.
fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.strip_prefix('|')?.strip_suffix('|')?;
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('|' | '\\')) => {
                if let Some(next) = chars.next() {
                    cur.push(next);
                }
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    Some(out)
}
