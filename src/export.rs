//! Policy -> definition: the document a compiled policy answers for.

use crate::def::{PolicyDef, SubjectDef};
use crate::engine::{Policy, SubjectRef};
use crate::ids::SubjectId;

impl Policy {
    /// The definition this policy answers for: compiling it again gives a policy
    /// with the same answers (after changes too). Subjects' toggles, levels and
    /// managed subjects come out in id order, not necessarily as first written.
    pub fn to_definition(&self) -> PolicyDef {
        let mut def = PolicyDef::default();
        for k in &self.schema.kinds {
            def.kinds.insert(k.name.clone(), k.def.clone());
        }
        for r in &self.schema.roles {
            def.roles.insert(r.name.clone(), r.def.clone());
        }
        for t in &self.schema.toggles {
            def.toggles.insert(t.name.clone(), t.def.clone());
        }
        for s in 0..self.subjects.len() as u32 {
            if let Some(info) = self.info(s) {
                def.subjects.insert(info.name, self.subject_def(info));
            }
        }
        def.admin = self.schema.admin_defs.clone();
        def
    }

    /// A stored subject's definition, rebuilt from its compiled form.
    pub(crate) fn subject_def(&self, info: SubjectRef<'_>) -> SubjectDef {
        let schema = &self.schema;
        let own = info.extra.and_then(|e| e.own.as_deref());
        SubjectDef {
            role: schema
                .roles
                .get(info.role().index())
                .map_or(String::new(), |r| r.name.clone()),
            toggles: info
                .key
                .toggles
                .iter()
                .filter_map(|&t| schema.toggles.get(t.index()).map(|t| t.name.clone()))
                .collect(),
            levels: info
                .key
                .levels
                .iter()
                .filter_map(|&(k, l)| {
                    let kind = schema.kinds.get(k.index())?;
                    Some((kind.name.clone(), kind.level(l)?.0.clone()))
                })
                .collect(),
            exceptions: own.map_or(Vec::new(), |o| o.exceptions.iter().cloned().collect()),
            restrictions: own.map_or(Vec::new(), |o| o.restrictions.clone()),
            manages: info
                .manages()
                .iter()
                .map(|&m| self.subject_name(SubjectId(m)).to_string())
                .collect(),
        }
    }
}
