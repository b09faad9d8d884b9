//! Admin rules: who may make which permissioned change.

use crate::def::PolicyDef;
use crate::error::PolicyError;
use crate::ids::ActionId;
use crate::model::{AdminRule, Schema};

use super::Result;

impl Schema {
    pub(super) fn compile_admin(&self, def: &PolicyDef) -> Result<Vec<AdminRule>> {
        let mut rules = Vec::with_capacity(def.admin.len());
        for (i, r) in def.admin.iter().enumerate() {
            let path = format!("admin[{i}]");
            if r.changes.is_empty() {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.changes"),
                    problem: "an admin rule covers no change",
                });
            }
            let kinds = r
                .kinds
                .iter()
                .enumerate()
                .map(|(j, k)| {
                    self.kind_of(k, format!("{path}.kinds[{j}]"))
                        .map(|(k, _)| k)
                })
                .collect::<Result<Vec<_>>>()?;
            let (k, kind) = self.kind_of(&r.requires.kind, format!("{path}.requires.kind"))?;
            let m = self.mask(
                kind,
                std::slice::from_ref(&r.requires.action),
                &format!("{path}.requires.action"),
            )?;
            if m.count_ones() != 1 {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.requires.action"),
                    problem: "an admin rule requires exactly one action",
                });
            }
            rules.push(AdminRule {
                index: i,
                changes: r.changes.clone(),
                kinds,
                requires: ActionId {
                    kind: k,
                    bit: super::kinds::lowest_bit(m),
                },
                may_escalate: r.may_grant_beyond_own,
            });
        }
        Ok(rules)
    }
}
