//! Subjects: a document's or a principal's assignment, compiled to a profile
//! key, a layer and managed subjects, then to a stored record.

use smallvec::SmallVec;

use crate::def::{ExceptionDef, NamedMap, RestrictionDef, SubjectDef};
use crate::engine::{Policy, ProfileKey, Subject, SubjectExtra, SubjectInfo, Texts};
use crate::error::{nearest, Item, PolicyError};
use crate::ids::KindId;
use crate::model::{Layer, LevelId, Schema, ToggleId};

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
        let role = match self.role_index.get(sdef.role) {
            Some(&r) => r,
            None => lookup(
                &self.role_index,
                sdef.role,
                format!("{}.role", path()),
                Item::Role,
            )?,
        };
        let mut toggles: SmallVec<[ToggleId; 4]> = SmallVec::with_capacity(sdef.toggles.len());
        for t in sdef.toggles {
            match self.toggle_index.get(t) {
                Some(&id) => toggles.push(id),
                None => {
                    resolve_list(
                        &self.toggle_index,
                        sdef.toggles,
                        &format!("{}.toggles", path()),
                        Item::Toggle,
                    )?;
                }
            }
        }
        toggles.sort_unstable();
        if toggles.windows(2).any(|w| w.first() == w.get(1)) {
            // A repeated toggle: report it where it stands.
            resolve_list(
                &self.toggle_index,
                sdef.toggles,
                &format!("{}.toggles", path()),
                Item::Toggle,
            )?;
        }
        let mut levels: SmallVec<[(KindId, LevelId); 4]> =
            SmallVec::with_capacity(sdef.levels.len());
        for (kname, level) in sdef.levels.iter() {
            let fast = self.kind_index.get(kname).and_then(|&k| {
                let l = self.kinds.get(k.index())?.level_index(level)?;
                Some((k, l))
            });
            let (k, l) = match fast {
                Some(x) => x,
                None => {
                    let lpath = format!("{}.levels.{kname}", path());
                    let (k, kind) = self.kind_of(kname, lpath.clone())?;
                    (k, self.level(kind, level, lpath)?)
                }
            };
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
        let mut manages = Vec::with_capacity(sdef.manages.len());
        let mut seen = std::collections::HashSet::with_capacity(sdef.manages.len());
        for (j, m) in sdef.manages.iter().enumerate() {
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
            manages.push(id);
        }
        manages.sort_unstable();
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
