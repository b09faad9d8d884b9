//! Every problem of a definition at once, not only the first: [`Policy::check`].
//!
//! The compiler stops at the first error. To find the others without a second
//! compiler, this wraps it: after each error, the top-level item the error's path
//! stands in (a kind, role, toggle, subject or admin rule) is set aside (a
//! subject or admin rule dropped; a role or toggle emptied but kept, so that what
//! names it still resolves; a kind kept with its actions and states only), and
//! the rest is compiled again. So each item reports its first problem, and an
//! error that only follows from an item set aside (a subject naming a level of a
//! kind that was emptied) is not reported.
//!
//! Also the two calls that check code against a compiled policy: building the
//! definition a [`PolicyBuilder`] assembled, and binding a `bitflags` type to a
//! kind ([`Policy::typed_kind`]). They sit here, not with the builder in `def`,
//! so that the document types never import the engine.

use std::collections::HashSet;

use crate::def::{KindDef, NamedMap, PolicyBuilder, PolicyDef, RoleDef, ToggleDef};
use crate::engine::Policy;
use crate::error::{nearest, Item, PolicyError, TypedKindError};
use crate::ids::TypedKind;

/// The most errors [`Policy::check`] reports.
pub const MAX_ERRORS: usize = 20;

/// The most recompiles [`Policy::check`] makes: each sets one item aside, and
/// some (those following from an earlier one) are not reported.
const MAX_ROUNDS: usize = MAX_ERRORS * 4;

impl Policy {
    /// Every problem of `def`, each with its path, in the order found; empty when
    /// [`Policy::compile`] succeeds. The first is the error `compile` returns. At
    /// most [`MAX_ERRORS`], and at most one per top-level item (kind, role,
    /// toggle, subject, admin rule): after an item's first problem it is set
    /// aside, and errors that only follow from that (a name it no longer
    /// provides) are left out.
    ///
    /// ```
    /// use accessmask::{Policy, PolicyDef};
    /// let def: PolicyDef = serde_json::from_str(r#"{
    ///   "kinds": { "journey": { "actions": ["view"] } },
    ///   "roles": { "Designer": { "grants": { "jouney": ["view"] } },
    ///              "Editor": { "grants": { "journey": ["veiw"] } } },
    ///   "subjects": { "ann": { "role": "Desinger" } }
    /// }"#)?;
    /// let errors: Vec<String> = Policy::check(&def).iter().map(|e| e.to_string()).collect();
    /// assert_eq!(errors, [
    ///     "roles.Designer.grants.jouney: unknown kind `jouney` (did you mean `journey`?)",
    ///     "roles.Editor.grants.journey.actions[0]: unknown action `veiw` (did you mean `view`?)",
    ///     "subjects.ann.role: unknown role `Desinger` (did you mean `Designer`?)",
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(def: &PolicyDef) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        let Err(first) = Policy::compile(def) else {
            return errors;
        };
        let mut def = def.clone();
        let mut gone: HashSet<(Item, String)> = HashSet::new();
        let mut next = Some(first);
        let mut rounds = 0;
        while let Some(e) = next.take() {
            let follows = matches!(&e, PolicyError::Unknown { what, name, .. }
                if gone.contains(&(*what, name.clone())));
            if !follows {
                errors.push(e.clone());
            }
            rounds += 1;
            if errors.len() >= MAX_ERRORS
                || rounds >= MAX_ROUNDS
                || !set_aside(&mut def, &e, &mut gone)
            {
                break;
            }
            next = Policy::compile(&def).err();
        }
        errors
    }
}

/// The entry of `map` that `path` (below `section`) stands in: `section[i]`, or
/// `section.NAME` followed by the end, `.` or `[` (the longest such name).
fn entry<T>(map: &NamedMap<T>, section: &str, path: &str) -> Option<usize> {
    let rest = path.strip_prefix(section)?;
    if let Some(i) = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(i, _)| i.parse::<usize>().ok())
    {
        return (i < map.0.len()).then_some(i);
    }
    let rest = rest.strip_prefix('.')?;
    map.0
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| {
            rest.strip_prefix(name.as_str())
                .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
        })
        .max_by_key(|(i, (name, _))| (name.len(), *i))
        .map(|(i, _)| i)
}

/// Sets aside the item `e` stands in; false if there is none (then nothing
/// more can be found).
fn set_aside(def: &mut PolicyDef, e: &PolicyError, gone: &mut HashSet<(Item, String)>) -> bool {
    let path = e.path();
    // A bad or repeated name: drop that entry; a first entry of a repeated name
    // still provides it.
    let naming = matches!(
        e,
        PolicyError::Duplicate { .. } | PolicyError::EmptyName { .. }
    );
    if let Some(i) = entry(&def.subjects, "subjects", path) {
        let (name, _) = def.subjects.0.remove(i);
        if !naming {
            gone.insert((Item::Subject, name));
        }
        return true;
    }
    if let Some(i) = entry(&def.roles, "roles", path) {
        if naming {
            def.roles.0.remove(i);
        } else if let Some((_, role)) = def.roles.0.get_mut(i) {
            *role = RoleDef::default();
        }
        return true;
    }
    if let Some(i) = entry(&def.toggles, "toggles", path) {
        if naming {
            def.toggles.0.remove(i);
        } else if let Some((_, toggle)) = def.toggles.0.get_mut(i) {
            *toggle = ToggleDef::default();
        }
        return true;
    }
    if let Some(i) = entry(&def.kinds, "kinds", path) {
        if naming && !path.contains(".actions") && !path.contains(".states") {
            let (name, _) = def.kinds.0.remove(i);
            if matches!(e, PolicyError::EmptyName { .. }) {
                gone.insert((Item::Kind, name));
            }
            return true;
        }
        let Some((name, kind)) = def.kinds.0.get_mut(i) else {
            return false;
        };
        let bad_actions = path.starts_with(&format!("kinds.{name}.actions"))
            || matches!(e, PolicyError::TooManyActions { .. });
        let bad_states = path.starts_with(&format!("kinds.{name}.states"));
        for (level, _) in &kind.levels.0 {
            gone.insert((Item::Level, level.clone()));
        }
        let mut stub = KindDef {
            available: kind.available,
            ..KindDef::default()
        };
        if bad_actions {
            for a in &kind.actions {
                gone.insert((Item::Action, a.clone()));
            }
        } else {
            stub.actions = kind.actions.clone();
        }
        if bad_states {
            for s in &kind.states {
                gone.insert((Item::State, s.clone()));
            }
        } else {
            stub.states = kind.states.clone();
        }
        *kind = stub;
        return true;
    }
    if let Some(i) = path
        .strip_prefix("admin[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(i, _)| i.parse::<usize>().ok())
        .filter(|&i| i < def.admin.len())
    {
        def.admin.remove(i);
        return true;
    }
    false
}

impl PolicyBuilder {
    /// Compiles the definition (see [`Policy::compile`]).
    pub fn build(&self) -> Result<Policy, PolicyError> {
        Policy::compile(self.definition())
    }
}

impl Policy {
    /// The kind named `name`, after checking that every named flag of `F` is the
    /// kind's action of the same name (lowercased) at the same bit. Then `F`'s
    /// flags can be passed to [`Policy::can`] for resources made from the returned
    /// [`TypedKind`] (`policy.resource(typed)`); on any other resource they are
    /// denied.
    pub fn typed_kind<F>(&self, name: &str) -> Result<TypedKind<F>, TypedKindError>
    where
        F: bitflags::Flags,
        F::Bits: Into<u64>,
    {
        let kind = self.kind(name).ok_or_else(|| TypedKindError::UnknownKind {
            name: name.to_string(),
            suggestion: nearest(name, self.kinds().map(|k| self.kind_name(k))),
        })?;
        for flag in F::FLAGS.iter().filter(|f| f.is_named()) {
            let bit: u64 = flag.value().bits().into();
            let action = (bit.count_ones() == 1)
                .then(|| {
                    self.schema
                        .kinds
                        .get(kind.index())
                        .and_then(|k| k.actions.get(bit.trailing_zeros() as usize))
                })
                .flatten()
                .cloned()
                .unwrap_or_default();
            if action != flag.name().to_lowercase() {
                return Err(TypedKindError::Mismatch {
                    kind: name.to_string(),
                    flag: flag.name().to_string(),
                    bit,
                    action,
                });
            }
        }
        Ok(TypedKind::new(kind))
    }
}
