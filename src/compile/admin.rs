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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{schema, schema_error};
    use crate::def::ChangeKind;

    const KINDS: &str = r#""kinds": {"users": {"actions": ["view", "manage"], "needs": {"manage": ["view"]}},
        "doc": {"actions": ["view"]}}"#;

    #[test]
    fn an_admin_rule_resolves_its_kinds_and_its_one_action() {
        let s = schema(&format!(
            r#"{{{KINDS}, "admin": [{{"changes": ["set_role", "set_level"], "kinds": ["doc"],
                "requires": {{"kind": "users", "action": "manage"}}, "may_grant_beyond_own": true}}]}}"#
        ));
        let rule = &s.admin[0];
        assert_eq!(rule.changes, [ChangeKind::SetRole, ChangeKind::SetLevel]);
        assert_eq!(
            rule.kinds.iter().map(|k| k.index()).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(
            (rule.requires.kind().index(), rule.requires.index()),
            (0, 1)
        );
        assert!(rule.may_escalate);
    }

    #[test]
    fn an_admin_rule_covers_some_change_and_requires_exactly_one_action() {
        let e = schema_error(&format!(
            r#"{{{KINDS}, "admin": [{{"changes": [], "requires": {{"kind": "users", "action": "view"}}}}]}}"#
        ));
        assert!(e.contains("admin[0].changes"), "{e}");
        let e = schema_error(&format!(
            r#"{{{KINDS}, "admin": [{{"changes": ["set_role"], "requires": {{"kind": "users", "action": "*"}}}}]}}"#
        ));
        assert!(e.contains("admin[0].requires.action"), "{e}");
        let e = schema_error(&format!(
            r#"{{{KINDS}, "admin": [{{"changes": ["set_role"], "kinds": ["dco"],
                "requires": {{"kind": "users", "action": "view"}}}}]}}"#
        ));
        assert!(e.contains("admin[0].kinds[0]") && e.contains("doc"), "{e}");
    }
}
