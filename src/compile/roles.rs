//! Roles (base chains, grants, removals, layers) and toggles.

use std::sync::Arc;

use crate::def::{GrantDef, NamedMap, PolicyDef, RoleDef};
use crate::engine::Texts;
use crate::error::{Item, PolicyError};
use crate::ids::{KindId, RoleId};
use crate::model::{role_tag, Kind, Role, Schema, Scoped, Toggle};
use crate::table::IdTable;

use super::names::{lookup, role_name};
use super::Result;

impl Schema {
    pub(super) fn grant(&self, kind: &Kind, g: &GrantDef, path: &str) -> Result<Scoped> {
        let level = match &g.level {
            Some(l) => {
                let i = self.level(kind, l, format!("{path}.level"))?;
                kind.level(i).map_or(0, |l| l.1)
            }
            None => 0,
        };
        let any = self.mask(kind, &g.actions, &format!("{path}.actions"))?;
        let own = self.mask(kind, &g.own, &format!("{path}.own"))?;
        let managed = self.mask(kind, &g.managed, &format!("{path}.managed"))?;
        Ok(Scoped {
            any: kind.close_down(any) | level,
            own: kind.close_down(own),
            managed: kind.close_down(managed),
        })
    }

    pub(super) fn grants(
        &self,
        grants: &NamedMap<GrantDef>,
        path: &str,
    ) -> Result<Vec<(KindId, Scoped)>> {
        let mut out: Vec<(KindId, Scoped)> = Vec::with_capacity(grants.len());
        for (kname, g) in grants.iter() {
            let gpath = format!("{path}.{kname}");
            let (k, kind) = self.kind_of(kname, gpath.clone())?;
            if out.iter().any(|(seen, _)| *seen == k) {
                return Err(PolicyError::Duplicate {
                    path: gpath,
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            out.push((k, self.grant(kind, g, &gpath)?));
        }
        Ok(out)
    }

    pub(crate) fn compile_roles(&self, def: &PolicyDef, texts: &Texts) -> Result<Vec<Role>> {
        let order = self.role_order(def)?;
        let mut done: Vec<Option<Role>> = vec![None; def.roles.len()];
        for r in order {
            let Some((name, rdef)) = def.roles.0.get(r.index()) else {
                continue;
            };
            let base = match &rdef.base {
                Some(b) => Some(lookup(
                    &self.role_index,
                    b,
                    format!("roles.{name}.base"),
                    Item::Role,
                )?),
                None => None,
            };
            let base_role = base
                .and_then(|b| done.get(b.index()))
                .and_then(Option::as_ref);
            let role = self.compile_role(name, rdef, r, base, base_role, texts)?;
            if let Some(slot) = done.get_mut(r.index()) {
                *slot = Some(role);
            }
        }
        Ok(done.into_iter().flatten().collect())
    }

    /// Role `name` (new, or already compiled) defined as `rdef`: it is compiled
    /// on top of its compiled base, then every role derived from it again, base
    /// first; no other role is touched. The caller has checked a new name.
    pub(crate) fn define_role(&mut self, name: &str, rdef: &RoleDef, texts: &Texts) -> Result<()> {
        let r = match self.role_index.get(name) {
            Some(&r) => r,
            None => {
                let r = RoleId::new(self.roles.len()).ok_or_else(|| PolicyError::Malformed {
                    path: "roles".into(),
                    problem: "more entries than the limit of their id",
                })?;
                self.role_index.insert(name.to_string(), r);
                r
            }
        };
        let path = format!("roles.{name}.base");
        let base = match &rdef.base {
            Some(b) => Some(lookup(&self.role_index, b, path, Item::Role)?),
            None => None,
        };
        self.base_cycle(name, r, base)?;
        let role = {
            let base_role = base.and_then(|b| self.roles.get(b.index()));
            self.compile_role(name, rdef, r, base, base_role, texts)?
        };
        match self.roles.get_mut(r.index()) {
            Some(slot) => *slot = role,
            None => self.roles.push(role),
        }
        // Derived roles, in an order where each comes after its base.
        let mut derived: Vec<Vec<RoleId>> = vec![Vec::new(); self.roles.len()];
        for (d, role) in RoleId::range(self.roles.len()).zip(&self.roles) {
            if let Some(list) = role.base.and_then(|b| derived.get_mut(b.index())) {
                list.push(d);
            }
        }
        let mut redo = vec![r];
        let mut at = 0;
        while let Some(&done) = redo.get(at) {
            at += 1;
            redo.extend(derived.get(done.index()).into_iter().flatten());
        }
        for &d in redo.iter().skip(1) {
            let Some(role) = self.roles.get(d.index()) else {
                continue;
            };
            let base_role = role.base.and_then(|b| self.roles.get(b.index()));
            let again = self.compile_role(&role.name, &role.def, d, role.base, base_role, texts)?;
            if let Some(slot) = self.roles.get_mut(d.index()) {
                *slot = again;
            }
        }
        Ok(())
    }

    /// The error for role `r` (named `name`) given base `base`, if that closes a
    /// cycle: `name -> base -> ... -> name`.
    fn base_cycle(&self, name: &str, r: RoleId, base: Option<RoleId>) -> Result<()> {
        let mut cycle = vec![name.to_string()];
        let mut cur = base;
        while let Some(c) = cur {
            if c == r {
                let last = cycle.last().cloned().unwrap_or_default();
                cycle.push(name.to_string());
                return Err(PolicyError::BaseRoleCycle {
                    path: format!("roles.{last}.base"),
                    cycle,
                });
            }
            let Some(role) = self.roles.get(c.index()) else {
                break;
            };
            cycle.push(role.name.clone());
            cur = role.base;
        }
        Ok(())
    }

    pub(super) fn compile_role(
        &self,
        name: &str,
        rdef: &RoleDef,
        r: RoleId,
        base: Option<RoleId>,
        base_role: Option<&Role>,
        texts: &Texts,
    ) -> Result<Role> {
        let path = format!("roles.{name}");
        let mut sets: Vec<Scoped> = match base_role {
            Some(b) => b.sets.clone(),
            None => vec![Scoped::default(); self.kinds.len()],
        };
        for (k, g) in self.grants(&rdef.grants, &format!("{path}.grants"))? {
            if let Some(slot) = sets.get_mut(k.index()) {
                *slot = slot.union(g);
            }
        }
        let mut seen = Vec::new();
        for (kname, actions) in rdef.remove.iter() {
            let rpath = format!("{path}.remove.{kname}");
            let (k, kind) = self.kind_of(kname, rpath.clone())?;
            if seen.contains(&k) {
                return Err(PolicyError::Duplicate {
                    path: rpath,
                    what: Item::Kind,
                    name: kname.to_string(),
                });
            }
            seen.push(k);
            let m = kind.close_up(self.mask(kind, actions, &rpath)?);
            if let Some(slot) = sets.get_mut(k.index()) {
                *slot = slot.minus(m);
            }
        }
        let (layer, layer_of) = match base_role {
            Some(b) if rdef.exceptions.is_empty() && rdef.restrictions.is_empty() => {
                (Arc::clone(&b.layer), b.layer_of)
            }
            _ => (
                Arc::new(self.layer(
                    &rdef.exceptions,
                    &rdef.restrictions,
                    &path,
                    Some(r),
                    base_role.map(|b| &*b.layer),
                    texts,
                )?),
                r,
            ),
        };
        Ok(Role {
            name: name.to_string(),
            def: rdef.clone(),
            base,
            sets,
            layer,
            layer_of,
        })
    }

    /// Roles in an order where every base comes before the roles derived from it.
    pub(super) fn role_order(&self, def: &PolicyDef) -> Result<Vec<RoleId>> {
        let n = def.roles.len();
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for start in RoleId::range(n) {
            // Follow the base chain iteratively (chains can be long).
            let mut chain: Vec<RoleId> = Vec::new();
            let mut cur = start;
            loop {
                match state.get(cur.index()).copied() {
                    Some(2) | None => break,
                    Some(1) => {
                        let from = chain.iter().position(|&c| c == cur).unwrap_or(0);
                        let mut cycle: Vec<String> = chain
                            .get(from..)
                            .unwrap_or(&[])
                            .iter()
                            .map(|&c| role_name(def, c))
                            .collect();
                        cycle.push(role_name(def, cur));
                        let last = chain.last().copied().unwrap_or(cur);
                        return Err(PolicyError::BaseRoleCycle {
                            path: format!("roles.{}.base", role_name(def, last)),
                            cycle,
                        });
                    }
                    Some(_) => {}
                }
                if let Some(s) = state.get_mut(cur.index()) {
                    *s = 1;
                }
                chain.push(cur);
                let base = def
                    .roles
                    .0
                    .get(cur.index())
                    .and_then(|(_, r)| r.base.as_deref());
                match base {
                    Some(b) => {
                        let name = role_name(def, cur);
                        cur = lookup(
                            &self.role_index,
                            b,
                            format!("roles.{name}.base"),
                            Item::Role,
                        )?;
                    }
                    None => break,
                }
            }
            for &c in chain.iter().rev() {
                if let Some(s) = state.get_mut(c.index()) {
                    *s = 2;
                }
                order.push(c);
            }
        }
        Ok(order)
    }

    pub(super) fn compile_toggles(&self, def: &PolicyDef) -> Result<Vec<Toggle>> {
        def.toggles
            .iter()
            .map(|(name, t)| {
                Ok(Toggle {
                    name: name.to_string(),
                    def: t.clone(),
                    sets: self.grants(&t.grants, &format!("toggles.{name}.grants"))?,
                })
            })
            .collect()
    }

    pub(crate) fn index_role_instances(&mut self) {
        let mut pairs = Vec::new();
        let mut deep = Vec::new();
        for (r, role) in RoleId::range(self.roles.len()).zip(&self.roles) {
            // A role sharing its base's layer shares its base's entries too.
            if role.layer_of != r {
                continue;
            }
            for ((k, id), a) in role.layer.instance_affines() {
                pairs.push(((role_tag(r, k), id), a));
            }
            for sl in role.layer.deep_slots() {
                deep.push(((role_tag(r, sl), 0), role.layer.default_affine(sl)));
            }
        }
        self.role_instances = IdTable::build(pairs);
        self.role_deep = IdTable::build(deep);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Change, Policy, PolicyDef, RoleDef};

    /// Redefining a base role reaches every role derived from it, and the result
    /// is what compiling the edited document gives; a cycle is refused.
    #[test]
    fn define_role_recompiles_derived_roles_only() {
        let def: PolicyDef = serde_json::from_str(
            r#"{"kinds": {"doc": {"actions": ["view", "edit", "share"]}},
                "roles": {"Base": {"grants": {"doc": ["view"]}},
                          "Mid": {"base": "Base", "grants": {"doc": ["edit"]}},
                          "Top": {"base": "Mid"},
                          "Other": {"grants": {"doc": ["share"]}}},
                "subjects": {"t": {"role": "Top"}, "o": {"role": "Other"}}}"#,
        )
        .unwrap_or_default();
        let p = Policy::compile(&def).unwrap_or_else(|e| panic!("{e}"));
        let mut base = RoleDef::default();
        base.grants.insert(
            "doc",
            serde_json::from_str(r#"["share"]"#).unwrap_or_default(),
        );
        let q = p
            .change(&Change::DefineRole {
                role: "Base".into(),
                def: base,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let fresh = Policy::compile(&q.to_definition()).unwrap_or_else(|e| panic!("{e}"));
        let doc = q.kind("doc").unwrap_or_else(|| panic!("no doc"));
        let r = q.resource(doc);
        for s in ["t", "o"] {
            let (Some(x), Some(y)) = (q.subject(s), fresh.subject(s)) else {
                panic!("no {s}")
            };
            assert_eq!(q.allowed(x, &r), fresh.allowed(y, &r), "{s}");
        }
        // Top now has share (from Base) and edit (from Mid), no view.
        let t = q.subject("t").unwrap_or_else(|| panic!("no t"));
        let names: Vec<&str> = q.allowed(t, &r).iter().collect();
        assert_eq!(names, ["edit", "share"]);
        let err = q
            .change(&Change::DefineRole {
                role: "Base".into(),
                def: RoleDef::derived_from("Top"),
            })
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "roles.Mid.base: base-role cycle Base -> Top -> Mid -> Base"
        );
    }
}
