//! Changes to one stored subject, made on its compiled form: the profile key
//! (role, toggles, levels) edited and interned again, one exception or
//! restriction compiled and spliced into its own layer, its managed subjects
//! resolved. Nothing is rebuilt from a definition.

use crate::def::{on_instance, on_kind, ExceptionDef, IdDef, InstanceId, RestrictionDef};
use crate::engine::{OwnLayer, Policy, Subject, SubjectExtra};
use crate::error::Item;
use crate::model::{Origin, Slot};

use super::{Change, ChangeError};

/// Where an exception stands in a layer: its slot and instance.
type RuleKey = (Slot, InstanceId);

impl Policy {
    /// Makes a change to subject `s` (named `name`, its names already checked).
    pub(super) fn edit_subject(
        &mut self,
        s: u32,
        name: &str,
        change: &Change,
    ) -> Result<(), ChangeError> {
        let at = |part: &str| format!("subjects.{name}.{part}");
        let Some(record) = self.subjects.get(s as usize).cloned() else {
            return Ok(());
        };
        let Some(info) = self.info(s) else {
            return Ok(());
        };
        let mut key = info.key.clone();
        match change {
            Change::SetRole { role, .. } => {
                key.role = self.schema.role_named(role, &|| at("role"))?;
            }
            Change::SetLevel { kind, level, .. } => {
                let k = self.schema.kind_index.get(kind).copied();
                key.levels.retain(|(seen, _)| Some(*seen) != k);
                if let Some(level) = level {
                    let path = || at(&format!("levels.{kind}"));
                    let (k, l) = self.schema.level_named(kind, level, &path)?;
                    let pos = key.levels.partition_point(|(seen, _)| *seen < k);
                    key.levels.insert(pos, (k, l));
                }
            }
            Change::SetToggle { toggle, on, .. } => {
                if let Some(&t) = self.schema.toggle_index.get(toggle) {
                    match (key.toggles.binary_search(&t), on) {
                        (Err(pos), true) => key.toggles.insert(pos, t),
                        (Ok(pos), false) => {
                            key.toggles.remove(pos);
                        }
                        _ => {}
                    }
                }
            }
            Change::SetManages { manages, .. } => {
                return self.set_manages(s, name, manages);
            }
            _ => {
                // Borrowed, not copied: a subject with many exceptions has large
                // tables, and `with_own` copies only what it changes.
                let plain = SubjectExtra::default();
                let extra = record.extra.as_deref().unwrap_or(&plain);
                let empty = OwnLayer::default();
                let own = extra.own.as_deref().unwrap_or(&empty);
                let (own, changed) = self.edit_own(own, name, change)?;
                let record =
                    Subject::new(record.profile, record.flags, extra.with_own(own, changed));
                self.subjects.set(s as usize, record);
                return Ok(());
            }
        }
        if key != *info.key {
            let profile = self.intern_profile(key);
            let record = Subject::new(profile, record.flags, record.extra);
            self.subjects.set(s as usize, record);
        }
        Ok(())
    }

    /// `own` with one exception or restriction set or removed; with the
    /// `(slot, id)` of the exception when that is all that changed.
    fn edit_own(
        &mut self,
        own: &OwnLayer,
        name: &str,
        change: &Change,
    ) -> Result<(OwnLayer, Option<RuleKey>), ChangeError> {
        match change {
            Change::SetException { exception, .. } => self.set_exception(own, name, exception),
            Change::RemoveException {
                kind, within, id, ..
            } => {
                let key = self.exception_key(kind, within.as_deref(), id);
                match key.and_then(|key| Some((own.with_exception(key, None)?, key))) {
                    Some((own, key)) => Ok((own, Some(key))),
                    None => Err(ChangeError::NothingToRemove {
                        subject: name.to_string(),
                        what: Item::Exception,
                        on: on_instance(kind, within.as_deref(), id),
                    }),
                }
            }
            Change::SetRestriction { restriction, .. } => {
                self.set_restriction(own, name, restriction)
            }
            Change::RemoveRestriction { kind, within, .. } => {
                let slot = self.schema.rule_slot(kind, within.as_deref());
                match slot.and_then(|(_, slot, _)| own.with_restriction(slot, None)) {
                    Some(own) => Ok((own, None)),
                    None => Err(ChangeError::NothingToRemove {
                        subject: name.to_string(),
                        what: Item::Restriction,
                        on: on_kind(kind, within.as_deref()),
                    }),
                }
            }
            _ => Ok((own.clone(), None)),
        }
    }

    /// The `(slot, id)` an exception on `kind` (`in` ancestor `within`) with
    /// `id` would have, if its names and id resolve.
    fn exception_key(&self, kind: &str, within: Option<&str>, id: &IdDef) -> Option<RuleKey> {
        let (_, slot, of) = self.schema.rule_slot(kind, within)?;
        let id = self.schema.instance_number(of, id, &self.texts, "").ok()?;
        Some((slot, id))
    }

    fn set_exception(
        &mut self,
        own: &OwnLayer,
        name: &str,
        e: &ExceptionDef,
    ) -> Result<(OwnLayer, Option<RuleKey>), ChangeError> {
        let mut texts = self.texts.clone();
        texts.intern_rules(std::slice::from_ref(e), &[]);
        let origin = Origin {
            role: None,
            index: 0,
        };
        let compiled = match self.schema.exception_fast(e, &origin, &texts) {
            Some(c) => c,
            None => {
                // Its place in the edited list, for the error's path.
                let key = self.exception_key(&e.kind, e.within.as_deref(), &e.id);
                let replaced = key.and_then(|(slot, id)| own.layer.exception(slot, id));
                let place = own.exceptions.len() - usize::from(replaced.is_some());
                let path = format!("subjects.{name}.exceptions[{place}]");
                self.schema.exception(e, &path, origin, &texts)?
            }
        };
        let key = (compiled.slot(), compiled.id);
        let own = own.with_exception(key, Some((e.clone(), compiled)));
        self.texts = texts;
        Ok((own.unwrap_or_default(), Some(key)))
    }

    fn set_restriction(
        &mut self,
        own: &OwnLayer,
        name: &str,
        r: &RestrictionDef,
    ) -> Result<(OwnLayer, Option<RuleKey>), ChangeError> {
        let mut texts = self.texts.clone();
        texts.intern_rules(&[], std::slice::from_ref(r));
        let slot = self.schema.rule_slot(&r.kind, r.within.as_deref());
        let replaced = slot.and_then(|(_, slot, _)| own.layer.restriction(slot));
        let place = own.restrictions.len() - usize::from(replaced.is_some());
        let path = format!("subjects.{name}.restrictions[{place}]");
        let origin = Origin {
            role: None,
            index: place,
        };
        let compiled = self.schema.restriction(r, &path, origin, &texts)?;
        let own = own.with_restriction(compiled.slot(), Some((r.clone(), compiled)));
        self.texts = texts;
        Ok((own.unwrap_or_default(), None))
    }

    /// Sets the subjects `s` manages, and the managers recorded on each.
    fn set_manages(&mut self, s: u32, name: &str, manages: &[String]) -> Result<(), ChangeError> {
        let Some(info) = self.info(s) else {
            return Ok(());
        };
        let old = info.manages().to_vec();
        let path = || format!("subjects.{name}");
        let new = self
            .schema
            .manages_named(s, name, manages, &path, &self.index)?;
        let Some(record) = self.subjects.get(s as usize) else {
            return Ok(());
        };
        let mut extra = record.extra.as_deref().cloned().unwrap_or_default();
        extra.manages = new.clone().into();
        let record = Subject::new(record.profile, record.flags, extra.finish());
        self.subjects.set(s as usize, record);
        for &m in old.iter().filter(|m| !new.contains(m)) {
            self.edit_managed_by(m, |v| v.retain(|x| *x != s));
        }
        for &m in new.iter().filter(|m| !old.contains(m)) {
            self.edit_managed_by(m, |v| {
                if let Err(pos) = v.binary_search(&s) {
                    v.insert(pos, s);
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Change, Policy, PolicyDef};

    fn policy() -> Policy {
        let def: PolicyDef = serde_json::from_str(
            r#"{"kinds": {"doc": {"actions": ["view", "edit"], "levels": {"None": [], "View": ["view"], "Edit": ["view", "edit"]}}},
                "roles": {"Viewer": {"grants": {"doc": ["view"]}}, "Editor": {"grants": {"doc": ["edit"]}}},
                "toggles": {"Editing": {"grants": {"doc": ["edit"]}}},
                "subjects": {"a": {"role": "Viewer", "exceptions": [
                    {"kind": "doc", "id": 1, "deny": ["view"]},
                    {"kind": "doc", "id": 2, "allow": ["edit"]}]}, "b": {"role": "Viewer"}}}"#,
        )
        .unwrap_or_default();
        Policy::compile(&def).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Each direct edit gives exactly the policy that compiling the edited
    /// definition gives.
    #[test]
    fn direct_edits_match_a_fresh_compile() {
        let p = policy();
        let changes: Vec<Change> = serde_json::from_str(
            r#"[{"change": "set_role", "subject": "a", "role": "Editor"},
                {"change": "set_level", "subject": "b", "kind": "doc", "level": "Edit"},
                {"change": "set_level", "subject": "b", "kind": "doc", "level": null},
                {"change": "set_toggle", "subject": "b", "toggle": "Editing", "on": true},
                {"change": "set_exception", "subject": "a", "exception": {"kind": "doc", "id": 1, "allow": ["edit"]}},
                {"change": "remove_exception", "subject": "a", "kind": "doc", "id": 2},
                {"change": "set_restriction", "subject": "b", "restriction": {"kind": "doc", "actions": ["edit"], "ids": [3]}},
                {"change": "remove_restriction", "subject": "b", "kind": "doc"},
                {"change": "set_manages", "subject": "a", "manages": ["b"]}]"#,
        )
        .unwrap_or_default();
        assert_eq!(changes.len(), 9);
        let mut now = p;
        for c in &changes {
            let next = now.change(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
            let fresh = Policy::compile(&next.to_definition()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(next.to_definition(), fresh.to_definition(), "{c:?}");
            for s in ["a", "b"] {
                let (x, y) = (next.subject(s), fresh.subject(s));
                let (Some(x), Some(y)) = (x, y) else {
                    panic!("no {s}")
                };
                let doc = next.kind("doc").unwrap_or_else(|| panic!("no doc"));
                for id in 0..4 {
                    let r = next.resource(doc).with_instance(doc.instance(id));
                    assert_eq!(next.allowed(x, &r), fresh.allowed(y, &r), "{c:?} {s} {id}");
                }
            }
            now = next;
        }
    }

    /// On a subject with many exceptions (an instance table, edited in place),
    /// setting and removing `task:5` leaves the exception written in project 5
    /// alone, in the answers and in the compiled layer explanations read, and a
    /// restriction that rebuilds the tables from that layer keeps it: the two
    /// share a kind and an id but not a slot.
    #[test]
    fn an_exception_in_an_ancestor_survives_an_edit_on_the_same_id() {
        let mut exceptions: Vec<String> = (10..30)
            .map(|i| format!(r#"{{"kind": "task", "id": {i}, "deny": ["view"]}}"#))
            .collect();
        exceptions.push(r#"{"kind": "task", "in": "project", "id": 5, "deny": ["view"]}"#.into());
        let text = format!(
            r#"{{"kinds": {{"project": {{"actions": ["view"]}},
                  "task": {{"actions": ["view", "edit"], "parent": "project"}}}},
                "roles": {{"Dev": {{"grants": {{"task": ["view", "edit"]}}}}}},
                "subjects": {{"u": {{"role": "Dev", "exceptions": [{}]}}}}}}"#,
            exceptions.join(", ")
        );
        let def: PolicyDef = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let p = Policy::compile(&def).unwrap_or_else(|e| panic!("{e}"));
        let changes: Vec<Change> = serde_json::from_str(
            r#"[{"change": "set_exception", "subject": "u", "exception": {"kind": "task", "id": 5, "deny": ["edit"]}},
                {"change": "remove_exception", "subject": "u", "kind": "task", "id": 5},
                {"change": "set_exception", "subject": "u", "exception": {"kind": "task", "id": 5, "deny": ["edit"]}},
                {"change": "set_restriction", "subject": "u", "restriction": {"kind": "task", "actions": ["edit"], "ids": [5, 7]}}]"#,
        )
        .unwrap_or_default();
        assert_eq!(changes.len(), 4);
        let mut now = p;
        for c in &changes {
            now = now.change(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
            let fresh = Policy::compile(&now.to_definition()).unwrap_or_else(|e| panic!("{e}"));
            let (Some(x), Some(y)) = (now.subject("u"), fresh.subject("u")) else {
                panic!("no u")
            };
            let (Some(task), Some(project)) = (now.kind("task"), now.kind("project")) else {
                panic!("no kinds")
            };
            for (id, within) in [(5, 5), (5, 6), (7, 5), (12, 6)] {
                let r = now
                    .resource(task)
                    .with_instance(task.instance(id))
                    .within(project.instance(within));
                assert_eq!(
                    now.allowed(x, &r),
                    fresh.allowed(y, &r),
                    "{c:?} {id} in {within}"
                );
                for a in ["view", "edit"] {
                    let a = now.action("task", a).unwrap_or_else(|| panic!("no {a}"));
                    assert_eq!(
                        now.explain(x, a, &r).to_string(),
                        fresh.explain(y, a, &r).to_string(),
                        "{c:?} {id} in {within}"
                    );
                }
            }
            // Project 5's rule still denies view on its tasks.
            let view = now
                .action("task", "view")
                .unwrap_or_else(|| panic!("no view"));
            let in5 = now
                .resource(task)
                .with_instance(task.instance(7))
                .within(project.instance(5));
            assert!(!now.can(x, view, &in5), "{c:?}");
        }
    }
}
