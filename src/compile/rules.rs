//! Exceptions and restrictions, on roles and subjects, on instances or written
//! in an ancestor: one layer each.

use crate::def::{ExceptionDef, IdDef, IdType, InstanceId, RestrictionDef};
use crate::engine::Texts;
use crate::error::{Item, PolicyError};
use crate::ids::{KindId, RoleId};
use crate::model::{Exception, ExceptionOp, Kind, Layer, Origin, Restriction, Schema};

use super::names::{first_repeat, lookup, merge_by_key};
use super::Result;

impl Schema {
    /// The depth of ancestor kind `within` for `kind` (1: its parent), or the error
    /// for a kind that is not an ancestor.
    pub(super) fn depth_of(
        &self,
        k: KindId,
        kind: &Kind,
        within: &str,
        path: String,
    ) -> Result<(u8, KindId)> {
        let a = lookup(&self.kind_index, within, path.clone(), Item::Kind)?;
        // INVARIANT (chains): a chain is at most `MAX_ANCESTORS` long, so a
        // position in it fits a depth.
        match kind.chain.iter().position(|&c| c == a) {
            Some(i) => Ok((u8::try_from(i + 1).unwrap_or(u8::MAX), a)),
            None => Err(PolicyError::NotAnAncestor {
                path,
                kind: self.kind_name_of(k),
                ancestor: within.to_string(),
                chain: kind.chain.iter().map(|&c| self.kind_name_of(c)).collect(),
            }),
        }
    }

    /// The number of `id` for an instance of kind `of`: the id itself, or a string
    /// id's number in `texts`.
    pub(crate) fn instance_number(
        &self,
        of: KindId,
        id: &IdDef,
        texts: &Texts,
        path: &str,
    ) -> Result<InstanceId> {
        let kind = self.kinds.get(of.index());
        let text_ids = kind.is_some_and(|k| k.text_ids);
        match (id, text_ids) {
            (IdDef::Number(n), false) => Ok(*n),
            (IdDef::String(t), true) => texts.get(t).ok_or_else(|| PolicyError::UnnamedStringId {
                path: path.to_string(),
                id: t.clone(),
            }),
            (_, _) => Err(PolicyError::IdType {
                path: path.to_string(),
                kind: kind.map_or(String::new(), |k| k.name.clone()),
                expected: if text_ids {
                    IdType::String
                } else {
                    IdType::Number
                },
                id: match id {
                    IdDef::Number(n) => n.to_string(),
                    IdDef::String(t) => format!("{t:?}"),
                },
            }),
        }
    }

    /// [`Schema::exception`] for an exception whose every name resolves, with no
    /// duplicate and no contradiction; `None` for anything else (then the slow
    /// path reports it).
    pub(crate) fn exception_fast(
        &self,
        e: &ExceptionDef,
        origin: &Origin,
        texts: &Texts,
    ) -> Option<Exception> {
        let k = *self.kind_index.get(&e.kind)?;
        let kind = self.kinds.get(k.index())?;
        if e.within.is_some() {
            return None;
        }
        let id = match (&e.id, kind.text_ids) {
            (IdDef::Number(n), false) => *n,
            (IdDef::String(t), true) => texts.get(t)?,
            _ => return None,
        };
        let mask = |names: &[String]| {
            let mut m = 0u64;
            for n in names {
                let b = if n == "*" {
                    kind.all()
                } else {
                    1u64 << *kind.action_index.get(n.as_str())?
                };
                if m & b != 0 {
                    return None;
                }
                m |= b;
            }
            Some(m)
        };
        let op = match (&e.level, e.allow.is_empty() && e.deny.is_empty()) {
            (Some(l), true) => {
                let i = kind.level_index(l)?;
                ExceptionOp::Level(i, kind.level(i)?.1)
            }
            (None, false) => ExceptionOp::AllowDeny {
                allow: kind.close_down(mask(&e.allow)?),
                deny: kind.close_up(mask(&e.deny)?),
            },
            _ => return None,
        };
        Some(Exception {
            kind: k,
            depth: 0,
            id,
            op,
            origin: origin.clone(),
        })
    }

    pub(crate) fn exception(
        &self,
        e: &ExceptionDef,
        path: &str,
        origin: Origin,
        texts: &Texts,
    ) -> Result<Exception> {
        let (k, kind) = self.kind_of(&e.kind, format!("{path}.kind"))?;
        let (depth, of) = match &e.within {
            Some(w) => self.depth_of(k, kind, w, format!("{path}.in"))?,
            None => (0, k),
        };
        let id = self.instance_number(of, &e.id, texts, &format!("{path}.id"))?;
        let has_sets = !e.allow.is_empty() || !e.deny.is_empty();
        let op = match (&e.level, has_sets) {
            (Some(_), true) => {
                return Err(PolicyError::Malformed {
                    path: path.to_string(),
                    problem: "an exception sets a level or lists allow and deny, not both",
                })
            }
            (None, false) => {
                return Err(PolicyError::Malformed {
                    path: path.to_string(),
                    problem: "an exception sets no level and allows or denies nothing",
                })
            }
            (Some(l), false) => {
                let i = self.level(kind, l, format!("{path}.level"))?;
                ExceptionOp::Level(i, kind.level(i).map_or(0, |l| l.1))
            }
            (None, true) => ExceptionOp::AllowDeny {
                allow: kind.close_down(self.mask(kind, &e.allow, &format!("{path}.allow"))?),
                deny: kind.close_up(self.mask(kind, &e.deny, &format!("{path}.deny"))?),
            },
        };
        Ok(Exception {
            kind: k,
            depth,
            id,
            op,
            origin,
        })
    }

    pub(crate) fn restriction(
        &self,
        r: &RestrictionDef,
        path: &str,
        origin: Origin,
        texts: &Texts,
    ) -> Result<Restriction> {
        let (k, kind) = self.kind_of(&r.kind, format!("{path}.kind"))?;
        let (depth, of) = match &r.within {
            Some(w) => self.depth_of(k, kind, w, format!("{path}.in"))?,
            None => (0, k),
        };
        let m = self.mask(kind, &r.actions, &format!("{path}.actions"))?;
        if m == 0 {
            return Err(PolicyError::Malformed {
                path: format!("{path}.actions"),
                problem: "a restriction restricts no action",
            });
        }
        let mut ids = Vec::with_capacity(r.ids.len());
        for (i, id) in r.ids.iter().enumerate() {
            ids.push(self.instance_number(of, id, texts, &format!("{path}.ids[{i}]"))?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Restriction {
            kind: k,
            depth,
            actions: m,
            allow: kind.close_down(m),
            deny: kind.close_up(m),
            ids,
            origin,
        })
    }

    /// A layer from its own lists on top of `inherited` (a base role's layer).
    /// Sorts, then finds duplicates between neighbours and merges the inherited
    /// lists in one pass: `O(n log n)` in every list length.
    pub(super) fn layer(
        &self,
        exceptions: &[ExceptionDef],
        restrictions: &[RestrictionDef],
        path: &str,
        role: Option<RoleId>,
        inherited: Option<&Layer>,
        texts: &Texts,
    ) -> Result<Layer> {
        let mut own = Layer::default();
        for (i, r) in restrictions.iter().enumerate() {
            let rpath = format!("{path}.restrictions[{i}]");
            own.restrictions
                .push(self.restriction(r, &rpath, Origin { role, index: i }, texts)?);
        }
        own.restrictions.sort_by_key(|r| (r.slot(), r.origin.index));
        if let Some(i) = first_repeat(&own.restrictions, |r| r.slot(), |r| r.origin.index) {
            let kind = restrictions.get(i).map_or(String::new(), |r| {
                crate::def::on_kind(&r.kind, r.within.as_deref())
            });
            return Err(PolicyError::Duplicate {
                path: format!("{path}.restrictions[{i}]"),
                what: Item::Restriction,
                name: kind,
            });
        }
        own.exceptions.reserve(exceptions.len());
        for (i, e) in exceptions.iter().enumerate() {
            let origin = Origin { role, index: i };
            // The common case formats no path; a wrong exception is compiled again
            // with its path, for the error.
            let e = match self.exception_fast(e, &origin, texts) {
                Some(e) => e,
                None => self.exception(e, &format!("{path}.exceptions[{i}]"), origin, texts)?,
            };
            own.exceptions.push(e);
        }
        own.exceptions
            .sort_by_key(|e| (e.slot(), e.id, e.origin.index));
        if let Some(i) = first_repeat(&own.exceptions, |e| (e.slot(), e.id), |e| e.origin.index) {
            let e = exceptions.get(i);
            return Err(PolicyError::Duplicate {
                path: format!("{path}.exceptions[{i}]"),
                what: Item::Exception,
                name: e.map_or(String::new(), |e| {
                    crate::def::on_instance(&e.kind, e.within.as_deref(), &e.id)
                }),
            });
        }
        if let Some(base) = inherited {
            own.restrictions = merge_by_key(
                std::mem::take(&mut own.restrictions),
                &base.restrictions,
                Restriction::slot,
            );
            own.exceptions =
                merge_by_key(std::mem::take(&mut own.exceptions), &base.exceptions, |e| {
                    (e.slot(), e.id)
                });
        }
        Ok(own)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{schema, schema_error};
    use crate::ids::KindId;
    use crate::model::{ExceptionOp, Slot};

    // view < edit < approve by implication; bits 0, 1, 2.
    const KINDS: &str = r#""kinds": {"doc": {"actions": ["view", "edit", "approve"],
        "needs": {"approve": ["edit"], "edit": ["view"]}, "levels": {"Read": ["view"]}},
        "folder": {"actions": ["open"]},
        "page": {"actions": ["read"], "parent": "folder"}}"#;
    const VIEW: u64 = 1;
    const EDIT: u64 = 2;
    const APPROVE: u64 = 4;

    fn doc() -> Slot {
        Slot::of(KindId(0))
    }

    #[test]
    fn a_restriction_denies_closed_up_and_allows_its_ids_closed_down() {
        // MODEL 5 and 8: restricting `edit` removes edit and what needs it from
        // other instances, and gives listed ones edit and what it needs.
        let s = schema(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"grants": {{"doc": ["approve"]}},
                "restrictions": [{{"kind": "doc", "actions": ["edit"], "ids": [7, 3, 7]}}]}}}}}}"#
        ));
        let layer = &s.roles[0].layer;
        let r = layer.restriction(doc()).unwrap();
        assert_eq!((r.allow, r.deny), (EDIT | VIEW, EDIT | APPROVE));
        assert_eq!(r.ids, [3, 7], "sorted, unique");
        let all = VIEW | EDIT | APPROVE;
        assert_eq!(layer.affine(doc(), Some(3)).apply(all), all);
        assert_eq!(layer.affine(doc(), Some(4)).apply(all), VIEW);
        assert_eq!(layer.affine(doc(), None).apply(all), VIEW);
    }

    #[test]
    fn an_exception_sets_a_level_or_allows_and_denies_deny_winning() {
        let s = schema(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"exceptions": [
                {{"kind": "doc", "id": 1, "level": "Read"}},
                {{"kind": "doc", "id": 2, "allow": ["approve"], "deny": ["edit"]}}]}}}}}}"#
        ));
        let layer = &s.roles[0].layer;
        let e1 = layer.exception(doc(), 1).unwrap();
        assert!(matches!(e1.op, ExceptionOp::Level(_, VIEW)));
        // A level replaces: everything else goes.
        assert_eq!(layer.affine(doc(), Some(1)).apply(EDIT | APPROVE), VIEW);
        // Allow approve (closed down: edit, view), deny edit (closed up: approve):
        // deny beats allow, so only view is left added.
        assert_eq!(layer.affine(doc(), Some(2)).apply(0), VIEW);
    }

    #[test]
    fn an_exception_with_a_level_and_actions_is_refused() {
        let e = schema_error(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"exceptions": [
                {{"kind": "doc", "id": 1, "level": "Read", "allow": ["view"]}}]}}}}}}"#
        ));
        assert!(e.contains("roles.R.exceptions[0]"), "{e}");
    }

    #[test]
    fn a_rule_written_in_an_ancestor_sits_at_its_depth() {
        let s = schema(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"exceptions": [
                {{"kind": "page", "in": "folder", "id": 5, "deny": ["read"]}}]}}}}}}"#
        ));
        let e = &s.roles[0].layer.exceptions[0];
        assert_eq!((e.kind, e.depth), (KindId(2), 1));
        assert_eq!(e.slot(), Slot::new(KindId(2), 1));
        assert!(s.roles[0].layer.rules_in_ancestors(KindId(2)));
        let e = schema_error(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"exceptions": [
                {{"kind": "doc", "in": "folder", "id": 5, "deny": ["view"]}}]}}}}}}"#
        ));
        assert!(e.contains("roles.R.exceptions[0].in"), "{e}");
    }

    #[test]
    fn a_derived_role_s_own_exception_replaces_its_base_s_on_the_same_instance() {
        let s = schema(&format!(
            r#"{{{KINDS}, "roles": {{
                "Base": {{"exceptions": [{{"kind": "doc", "id": 1, "deny": ["view"]}},
                                         {{"kind": "doc", "id": 2, "deny": ["view"]}}]}},
                "Derived": {{"base": "Base", "exceptions": [{{"kind": "doc", "id": 1, "allow": ["edit"]}}]}}}}}}"#
        ));
        let layer = &s.roles[1].layer;
        assert_eq!(layer.exceptions.len(), 2);
        assert_eq!(layer.affine(doc(), Some(1)).apply(0), EDIT | VIEW);
        assert_eq!(layer.affine(doc(), Some(2)).apply(VIEW), 0, "inherited");
        let origin = layer.exception(doc(), 2).unwrap().origin.role;
        assert_eq!(origin.map(|r| r.index()), Some(0), "written by the base");
    }

    #[test]
    fn two_exceptions_on_one_instance_are_a_duplicate() {
        let e = schema_error(&format!(
            r#"{{{KINDS}, "roles": {{"R": {{"exceptions": [
                {{"kind": "doc", "id": 1, "deny": ["view"]}}, {{"kind": "doc", "id": 1, "deny": ["edit"]}}]}}}}}}"#
        ));
        assert!(e.contains("roles.R.exceptions[1]"), "{e}");
    }
}
