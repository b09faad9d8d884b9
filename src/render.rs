//! Matrices people read: roles x actions (the seeds' Can / Cannot tables) and
//! subjects x kinds with their levels (an Integration Access Levels page).

use std::fmt;

use crate::policy::{Policy, ProfileKey};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    corner: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    /// For a parsed matrix, the line of each row (for errors).
    lines: Vec<usize>,
}

impl Matrix {
    /// A matrix with `corner` naming the row header column, and the given columns.
    pub fn new(corner: impl Into<String>, columns: Vec<String>) -> Self {
        Matrix {
            corner: corner.into(),
            columns,
            rows: Vec::new(),
            lines: Vec::new(),
        }
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
        Ok(())
    }
}

impl Policy {
    /// Roles x actions: a row per `kind.action`, a column per role. A cell is `Y`
    /// when a holder of the role (no toggles, levels or exceptions) may do the action
    /// on any instance, `own` / `managed` / `own, managed` when only in those scopes,
    /// and `-` otherwise.
    pub fn role_matrix(&self) -> Matrix {
        let mut m = Matrix::new(
            "action",
            self.schema.roles.iter().map(|r| r.name.clone()).collect(),
        );
        let keys: Vec<ProfileKey> = (0..self.schema.roles.len() as u32)
            .map(|role| ProfileKey {
                role,
                toggles: Default::default(),
                levels: Default::default(),
            })
            .collect();
        for kind in self.kinds() {
            let per_role: Vec<(u64, u64, u64)> = self
                .roles()
                .zip(&keys)
                .map(|(r, key)| {
                    let any = self.role_allowed(r, kind).bits();
                    let k = kind.index();
                    let sets = self.schema.kind_wide(key);
                    let set = sets.get(k).copied().unwrap_or_default();
                    let keep = self.schema.kinds.get(k).map_or(0, |kd| {
                        let keeps = self.schema.keeps(kd, key, &sets);
                        keeps.first().copied().unwrap_or(0)
                    });
                    let restrict = self
                        .schema
                        .roles
                        .get(r.index())
                        .map_or(!0, |role| role.layer.default_affine(k as u32).and);
                    (
                        any,
                        set.own & keep & restrict,
                        set.managed & keep & restrict,
                    )
                })
                .collect();
            for action in self.actions(kind) {
                let bit = action.mask();
                let cells = per_role
                    .iter()
                    .map(|&(any, own, managed)| {
                        if any & bit != 0 {
                            return "Y".to_string();
                        }
                        match (own & bit != 0, managed & bit != 0) {
                            (true, true) => "own, managed".to_string(),
                            (true, false) => "own".to_string(),
                            (false, true) => "managed".to_string(),
                            (false, false) => "-".to_string(),
                        }
                    })
                    .collect();
                m.push_row(
                    format!("{}.{}", self.kind_name(kind), self.action_name(action)),
                    cells,
                );
            }
        }
        m
    }

    /// Subjects x kinds with levels: a row per subject, a column per kind that has
    /// levels. A cell names the level the subject's kind-wide set (role, explicit
    /// level and toggles) equals, `custom` if it equals none, `unavailable` if the
    /// kind is switched off.
    pub fn level_matrix(&self) -> Matrix {
        let kinds: Vec<usize> = (0..self.schema.kinds.len())
            .filter(|&k| {
                self.schema
                    .kinds
                    .get(k)
                    .is_some_and(|kd| !kd.levels.is_empty())
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
