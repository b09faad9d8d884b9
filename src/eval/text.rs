//! The words of the steps: names of action sets, of roles and their bases, of
//! who wrote a rule, of restriction ids.

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKey};
use crate::ids::{KindId, RoleId};
use crate::model::{Kind, Scoped};

use super::{Observer, Trace};

pub(crate) fn names(kind: &Kind, m: u64) -> String {
    if m == 0 {
        return "nothing".to_string();
    }
    let parts: Vec<&str> = kind
        .actions
        .iter()
        .enumerate()
        .filter(|(i, _)| m & (1u64 << (i & 63)) != 0)
        .map(|(_, a)| a.as_str())
        .collect();
    format!("{{{}}}", parts.join(", "))
}

impl Policy {
    /// What the role gives on kind `k`, its base chain, and what its `remove`
    /// took.
    pub(super) fn role_text<O: Observer>(
        &self,
        t: &Trace<'_, O>,
        key: &ProfileKey,
        k: KindId,
        rs: Scoped,
    ) -> String {
        let kind = t.kind;
        let role = self.schema.roles.get(key.role.index());
        let role_name = role.map_or("", |r| r.name.as_str());
        let mut bases = Vec::new();
        let mut b = role.and_then(|r| r.base);
        while let Some(br) = b.and_then(|bi| self.schema.roles.get(bi.index())) {
            bases.push(format!("`{}`", br.name));
            b = br.base;
        }
        let chain = match bases.split_first() {
            None => String::new(),
            Some((first, [])) => format!(" (derived from {first})"),
            Some((first, rest)) => {
                format!(
                    " (derived from {first}, in turn from {})",
                    rest.join(", then ")
                )
            }
        };
        let mut text = format!("role `{role_name}`{chain} gives {}", t.names(rs.any));
        if rs.own != 0 {
            text.push_str(&format!(", on its own instances {}", t.names(rs.own)));
        }
        if rs.managed != 0 {
            text.push_str(&format!(
                ", on managed subjects' instances {}",
                t.names(rs.managed)
            ));
        }
        // What its `remove` took: the removed actions (and those needing them)
        // that its base gives.
        if let Some(removed) = role.and_then(|r| r.def.remove.get(&kind.name)) {
            let listed = removed
                .iter()
                .filter_map(|a| kind.action_index.get(a.as_str()))
                .fold(0u64, |m, &bit| m | 1u64 << (bit & 63));
            let base = role
                .and_then(|r| r.base)
                .and_then(|b| self.schema.roles.get(b.index()))
                .and_then(|b| b.sets.get(k.index()))
                .map_or(0, |b| b.any | b.own | b.managed);
            let taken = kind.close_up(listed) & base;
            if taken != 0 {
                text.push_str(&format!(
                    ": its `remove` takes {} that its base gives",
                    t.names(taken)
                ));
            }
        }
        text
    }

    /// Who wrote a layer's rule: the subject, the role, or the base role it
    /// inherited the rule from.
    pub(super) fn layer_owner(
        &self,
        who: &str,
        role_name: Option<&str>,
        origin: Option<RoleId>,
    ) -> String {
        match (role_name, origin) {
            (Some(name), Some(o)) => {
                let from = self
                    .schema
                    .roles
                    .get(o.index())
                    .map_or("", |r| r.name.as_str());
                if from == name {
                    format!("role `{name}`")
                } else {
                    format!("role `{name}` (inherited from `{from}`)")
                }
            }
            _ => who.to_string(),
        }
    }

    /// A restriction's ids, or for a long list its length and where `id` stands.
    pub(super) fn ids_text(
        &self,
        of: KindId,
        ids: &[InstanceId],
        id: Option<InstanceId>,
        hit: bool,
    ) -> String {
        match (ids.len(), id) {
            (0, _) => "no instance".to_string(),
            (n, _) if n <= SHOWN_IDS => {
                let list: Vec<String> = ids.iter().map(|&i| self.show_id(of, i)).collect();
                format!("{} {}", if n == 1 { "id" } else { "ids" }, list.join(", "))
            }
            (n, Some(id)) if hit => format!("{n} ids, {} among them", self.show_id(of, id)),
            (n, Some(id)) => format!("{n} ids, {} not among them", self.show_id(of, id)),
            (n, None) => format!("{n} ids"),
        }
    }
}

/// A long restriction is summarised past this many ids.
pub(super) const SHOWN_IDS: usize = 16;

pub(super) fn action_name(kind: &Kind, bit: u8) -> &str {
    kind.actions
        .get(usize::from(bit))
        .map_or("", String::as_str)
}

/// What an exception does, in words.
pub(super) fn exception_text<O: Observer>(
    t: &Trace<'_, O>,
    op: crate::model::ExceptionOp,
) -> String {
    match op {
        crate::model::ExceptionOp::Level(l, _) => format!(
            "sets level `{}`",
            t.kind.level(l).map_or("", |x| x.0.as_str())
        ),
        crate::model::ExceptionOp::AllowDeny { allow, deny } => match (allow, deny) {
            (a, 0) => format!("allows {}", t.names(a)),
            (0, d) => format!("denies {}", t.names(d)),
            (a, d) => format!("allows {}, denies {}", t.names(a), t.names(d)),
        },
    }
}

/// Why a state rule does not apply to a profile: its role or a toggle it has on.
pub(super) fn exempt_by(
    policy: &Policy,
    rule: &crate::model::StateRule,
    key: &ProfileKey,
) -> String {
    if rule.roles.contains(&key.role) {
        let name = policy
            .schema
            .roles
            .get(key.role.index())
            .map_or("", |r| r.name.as_str());
        return format!("its role `{name}` is exempt");
    }
    let toggle = rule
        .toggles
        .iter()
        .find(|t| key.toggles.contains(t))
        .and_then(|&t| policy.schema.toggles.get(t.index()))
        .map_or("", |t| t.name.as_str());
    format!("its toggle `{toggle}` is exempt")
}
