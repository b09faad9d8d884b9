//! Subjects: a document's or a principal's assignment, compiled to a profile
//! key, a layer and managed subjects, then to a stored record.

use smallvec::SmallVec;

use crate::def::{ExceptionDef, NamedMap, RestrictionDef, SubjectDef};
use crate::engine::{Policy, ProfileKey, Subject, SubjectExtra, SubjectInfo, Texts};
use crate::error::{nearest, Item, PolicyError};
use crate::ids::{KindId, RoleId};
use crate::model::{Layer, LevelId, Schema, Slot, ToggleId};

use super::names::{lookup, resolve_list, SubjectNames};
use super::Result;

/// One subject's assignment, borrowed: a document's subject or a principal's row.
pub(crate) struct Assignment<'a> {
    pub(crate) role: &'a str,
    pub(crate) toggles: &'a [String],
    pub(crate) levels: &'a NamedMap<String>,
    pub(crate) exceptions: &'a [ExceptionDef],
    pub(crate) restrictions: &'a [RestrictionDef],
    pub(crate) manages: &'a [String],
    /// Keep the exceptions and restrictions as written (for export).
    pub(crate) written: bool,
}

impl Schema {
    /// Resolves a subject's definition. The common case (every name known, no
    /// duplicates) formats no error path; only a failure builds one.
    pub(crate) fn compile_subject(
        &self,
        s: u32,
        name: &str,
        sdef: &SubjectDef,
        subjects: &dyn SubjectNames,
        texts: &Texts,
    ) -> Result<SubjectInfo> {
        let assignment = Assignment {
            role: &sdef.role,
            toggles: &sdef.toggles,
            levels: &sdef.levels,
            exceptions: &sdef.exceptions,
            restrictions: &sdef.restrictions,
            manages: &sdef.manages,
            written: true,
        };
        self.compile_assignment(
            s,
            name,
            &|| format!("subjects.{name}"),
            &assignment,
            subjects,
            texts,
        )
    }

    /// [`Schema::compile_subject`] for a borrowed assignment, with error paths
    /// under `at()` (built only on failure).
    pub(crate) fn compile_assignment(
        &self,
        s: u32,
        name: &str,
        at: &dyn Fn() -> String,
        sdef: &Assignment<'_>,
        subjects: &dyn SubjectNames,
        texts: &Texts,
    ) -> Result<SubjectInfo> {
        let path = at;
        let role = self.role_named(sdef.role, &|| format!("{}.role", path()))?;
        let toggles = self.toggles_named(sdef.toggles, &|| format!("{}.toggles", path()))?;
        let mut levels: SmallVec<[(KindId, LevelId); 4]> =
            SmallVec::with_capacity(sdef.levels.len());
        for (kname, level) in sdef.levels.iter() {
            let (k, l) =
                self.level_named(kname, level, &|| format!("{}.levels.{kname}", path()))?;
            if levels.iter().any(|(seen, _)| *seen == k) {
                return Err(PolicyError::Duplicate {
                    path: format!("{}.levels.{kname}", path()),
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            levels.push((k, l));
        }
        levels.sort_unstable();
        let layer = if sdef.exceptions.is_empty() && sdef.restrictions.is_empty() {
            Layer::default()
        } else {
            self.layer(
                sdef.exceptions,
                sdef.restrictions,
                &path(),
                None,
                None,
                texts,
            )?
        };
        let manages = self.manages_named(s, name, sdef.manages, &|| path(), subjects)?;
        Ok(SubjectInfo {
            key: ProfileKey {
                role,
                toggles,
                levels,
            },
            layer,
            exceptions: if sdef.written {
                sdef.exceptions.to_vec()
            } else {
                Vec::new()
            },
            restrictions: if sdef.written {
                sdef.restrictions.to_vec()
            } else {
                Vec::new()
            },
            manages,
        })
    }
    /// Role `role` of a subject at `path()` (built only on failure).
    pub(crate) fn role_named(&self, role: &str, path: &dyn Fn() -> String) -> Result<RoleId> {
        match self.role_index.get(role) {
            Some(&r) => Ok(r),
            None => lookup(&self.role_index, role, path(), Item::Role),
        }
    }

    /// A subject's toggles, sorted: every name known, none repeated. Errors at
    /// `path()`.
    pub(crate) fn toggles_named(
        &self,
        names: &[String],
        path: &dyn Fn() -> String,
    ) -> Result<SmallVec<[ToggleId; 4]>> {
        let mut toggles: SmallVec<[ToggleId; 4]> = SmallVec::with_capacity(names.len());
        for t in names {
            match self.toggle_index.get(t) {
                Some(&id) => toggles.push(id),
                None => {
                    resolve_list(&self.toggle_index, names, &path(), Item::Toggle)?;
                }
            }
        }
        toggles.sort_unstable();
        if toggles.windows(2).any(|w| w.first() == w.get(1)) {
            // A repeated toggle: report it where it stands.
            resolve_list(&self.toggle_index, names, &path(), Item::Toggle)?;
        }
        Ok(toggles)
    }

    /// Kind `kname` and its level `level`, for a subject's levels at `path()`.
    pub(crate) fn level_named(
        &self,
        kname: &str,
        level: &str,
        path: &dyn Fn() -> String,
    ) -> Result<(KindId, LevelId)> {
        let fast = self.kind_index.get(kname).and_then(|&k| {
            let l = self.kinds.get(k.index())?.level_index(level)?;
            Some((k, l))
        });
        match fast {
            Some(x) => Ok(x),
            None => {
                let (k, kind) = self.kind_of(kname, path())?;
                Ok((k, self.level(kind, level, path())?))
            }
        }
    }

    /// The subjects that subject `s` (named `name`) manages, sorted: every name
    /// known, none repeated, not itself. Errors under `path()`.
    pub(crate) fn manages_named(
        &self,
        s: u32,
        name: &str,
        manages: &[String],
        path: &dyn Fn() -> String,
        subjects: &dyn SubjectNames,
    ) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(manages.len());
        let mut seen = std::collections::HashSet::with_capacity(manages.len());
        for (j, m) in manages.iter().enumerate() {
            let mpath = || format!("{}.manages[{j}]", path());
            let id = match subjects.id(m) {
                Some(id) => id,
                None if m.is_empty() => {
                    return Err(PolicyError::EmptyName {
                        path: mpath(),
                        what: Item::Subject,
                    })
                }
                None => {
                    return Err(PolicyError::Unknown {
                        path: mpath(),
                        what: Item::Subject,
                        name: m.clone(),
                        suggestion: nearest(m, subjects.all()),
                    })
                }
            };
            if id == s {
                return Err(PolicyError::ManagesItself {
                    path: mpath(),
                    subject: name.to_string(),
                });
            }
            if !seen.insert(id) {
                return Err(PolicyError::Duplicate {
                    path: mpath(),
                    what: Item::Subject,
                    name: m.clone(),
                });
            }
            out.push(id);
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The slot of a rule written on `kind` (in ancestor `within`), if both
    /// names resolve: the kind, the slot, and the kind the rule's ids are of.
    pub(crate) fn rule_slot(
        &self,
        kind: &str,
        within: Option<&str>,
    ) -> Option<(KindId, Slot, KindId)> {
        let k = *self.kind_index.get(kind)?;
        let (depth, of) = match within {
            None => (0, k),
            Some(w) => {
                let a = *self.kind_index.get(w)?;
                let at = self
                    .kinds
                    .get(k.index())?
                    .chain
                    .iter()
                    .position(|&c| c == a)?;
                (u8::try_from(at + 1).ok()?, a)
            }
        };
        Some((k, Slot::new(k, depth), of))
    }
}

impl Policy {
    /// The hot record for a compiled subject (its profile interned).
    pub(crate) fn subject_record(
        &mut self,
        info: SubjectInfo,
        tag: u32,
        managed_by: Vec<u32>,
    ) -> Subject {
        Subject::new(
            self.intern_profile(info.key.clone()),
            tag,
            SubjectExtra::new(info, managed_by),
        )
    }
}
