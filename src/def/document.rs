//! The document's types: the policy, its kinds, roles, toggles, subjects,
//! exceptions, restrictions and admin rules.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{IdDef, IdType, NamedMap};

/// A whole policy document.
///
/// ```
/// use accessmask::{PolicyDef, Policy};
/// let doc = r#"{
///   "kinds": { "report": { "actions": ["view", "export"], "needs": { "export": ["view"] } } },
///   "roles": { "Analyst": { "grants": { "report": ["export"] } } },
///   "subjects": { "ann": { "role": "Analyst" } }
/// }"#;
/// let def: PolicyDef = serde_json::from_str(doc)?;
/// let policy = Policy::compile(&def)?;
/// let ann = policy.subject("ann").unwrap();
/// let view = policy.action("report", "view").unwrap();
/// assert!(policy.can(ann, view, &policy.resource(view.kind())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    /// Kinds of resource, each with its actions, implications, levels, states,
    /// state rules, prerequisites and availability.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub kinds: NamedMap<KindDef>,
    /// Roles, in document order (the order matrices list them in).
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub roles: NamedMap<RoleDef>,
    /// Toggles: named grant bundles switched on per subject.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub toggles: NamedMap<ToggleDef>,
    /// Subjects (users).
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub subjects: NamedMap<SubjectDef>,
    /// Who may change what while the policy runs (see
    /// [`Policy::apply`](crate::Policy::apply)). With no rules, every permissioned
    /// change is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin: Vec<AdminRuleDef>,
}

/// The sorts of change an [`AdminRuleDef`] can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// Adding a subject.
    AddSubject,
    /// Removing a subject.
    RemoveSubject,
    /// Setting a subject's role.
    SetRole,
    /// Setting or clearing a subject's level on a kind.
    SetLevel,
    /// Switching a subject's toggle on or off.
    SetToggle,
    /// Adding, replacing or removing a subject's exception or restriction.
    SetException,
    /// Setting the subjects a subject manages.
    SetManages,
    /// Adding or replacing a role.
    DefineRole,
}

/// A rule for permissioned changes: to make a change of one of `changes` (on one of
/// `kinds`, when given and the change is about a kind), the actor must hold
/// `requires.action` on `requires.kind` for a resource owned by the subject being
/// changed. Every rule that covers a change must be met, and a change no rule
/// covers is refused. Unless `may_grant_beyond_own` is set on a covering rule, the
/// actor may not give the subject anything it does not hold itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRuleDef {
    /// The changes covered.
    pub changes: Vec<ChangeKind>,
    /// Only changes about these kinds (levels, exceptions, restrictions); empty:
    /// every change of `changes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// The administrative action the actor must hold.
    pub requires: ActionRefDef,
    /// Lets the actor grant what it does not hold itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub may_grant_beyond_own: bool,
}

/// An action of a kind, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRefDef {
    /// The kind.
    pub kind: String,
    /// The action.
    pub action: String,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A kind of resource, feature or product area.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindDef {
    /// The kind's actions, at most [`MAX_ACTIONS`](crate::MAX_ACTIONS). Their order
    /// is their bit order: action `i` is bit `1 << i`.
    pub actions: Vec<String>,
    /// Implications: `"edit": ["view"]` says `edit` needs `view`. Granting an action
    /// grants what it needs; removing an action removes every action that needs it.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub needs: NamedMap<Vec<String>>,
    /// Levels, lowest first (for example `No Access`, `Read Only`, `Full Access`).
    /// Each level must hold every action of the level below it.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub levels: NamedMap<Vec<String>>,
    /// The states an instance of this kind can be in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    /// Actions held back in a state except from named roles or toggles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state_rules: Vec<StateRuleDef>,
    /// Actions of this kind that need actions on another kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<PrerequisiteDef>,
    /// `false` switches the kind off: nothing on it is allowed.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub available: bool,
    /// The kind its instances are inside (a contact's database, a pull request's
    /// repository). Chains are allowed, at most
    /// [`MAX_ANCESTORS`](crate::MAX_ANCESTORS) deep; cycles are an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The type of the kind's instance ids: `number` (the default) or `string`.
    #[serde(default, skip_serializing_if = "IdType::is_number")]
    pub ids: IdType,
}

/// In `state`, the actions in `hold` are removed unless the subject has one of
/// `unless_roles` or `unless_toggles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRuleDef {
    /// The state the rule applies in.
    pub state: String,
    /// The actions held back.
    pub hold: Vec<String>,
    /// Roles exempt from the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless_roles: Vec<String>,
    /// Toggles exempt from the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless_toggles: Vec<String>,
}

/// `action` (of the kind that declares this) is removed unless the subject's
/// kind-wide set on `kind` holds every action of `actions` and of `level`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrerequisiteDef {
    /// The dependent action, of the declaring kind.
    pub action: String,
    /// The other kind.
    pub kind: String,
    /// Actions needed on `kind`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// A level of `kind` whose actions are all needed ("at least Read Only").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `kind` is an ancestor of the declaring kind, and the prerequisite is
    /// decided in full on the ancestor instance the resource is in (its
    /// exceptions included), not on the kind-wide set. A resource that does not
    /// say which instance it is in does not meet it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_ancestor: bool,
}

/// The scope a grant holds in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// On any instance.
    Any,
    /// Only on instances the subject owns.
    Own,
    /// Only on instances owned by a subject it manages.
    Managed,
}

/// What a role or toggle grants on one kind.
///
/// In a document either a list of action names (held in any scope; `"*"` means
/// every action of the kind) or an object with `level`, `actions`, `own` and
/// `managed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GrantDef {
    /// A level of the kind whose actions are granted in any scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Actions granted in any scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// Actions granted on instances the subject owns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<String>,
    /// Actions granted on instances owned by subjects it manages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed: Vec<String>,
}

impl GrantDef {
    /// A grant of `actions` in any scope.
    pub fn actions<S: Into<String>>(actions: impl IntoIterator<Item = S>) -> Self {
        GrantDef {
            actions: actions.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// A grant of a level's actions in any scope.
    pub fn level(level: impl Into<String>) -> Self {
        GrantDef {
            level: Some(level.into()),
            ..Self::default()
        }
    }

    /// The actions named for `scope` (a level is resolved by the compiler).
    pub fn scoped(&self, scope: Scope) -> &[String] {
        match scope {
            Scope::Any => &self.actions,
            Scope::Own => &self.own,
            Scope::Managed => &self.managed,
        }
    }
}

impl<'de> Deserialize<'de> for GrantDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Detailed {
            #[serde(default)]
            level: Option<String>,
            #[serde(default)]
            actions: Vec<String>,
            #[serde(default)]
            own: Vec<String>,
            #[serde(default)]
            managed: Vec<String>,
        }
        struct GrantVisitor;
        impl<'de> Visitor<'de> for GrantVisitor {
            type Value = GrantDef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of action names or a grant object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<GrantDef, A::Error> {
                let actions =
                    Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(GrantDef {
                    actions,
                    ..GrantDef::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<GrantDef, A::Error> {
                let d = Detailed::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(GrantDef {
                    level: d.level,
                    actions: d.actions,
                    own: d.own,
                    managed: d.managed,
                })
            }
        }
        deserializer.deserialize_any(GrantVisitor)
    }
}

/// A role: grants over kinds, optionally derived from a base role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// The role this one is copied from: its grants, exceptions and restrictions
    /// are inherited, then `grants` are added and `remove` is taken away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Grants per kind, added to the base's.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub grants: NamedMap<GrantDef>,
    /// Actions per kind taken away (from every scope), after `grants`.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub remove: NamedMap<Vec<String>>,
    /// Per-instance exceptions for holders of this role. One replaces an inherited
    /// exception on the same `(kind, id)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionDef>,
    /// "Only these instances" rules. One replaces an inherited restriction on the
    /// same kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<RestrictionDef>,
}

/// A toggle: an explicit, named permission switched on per subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToggleDef {
    /// Grants per kind, added to the subject's kind-wide sets.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub grants: NamedMap<GrantDef>,
}

/// A subject (user).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDef {
    /// The subject's one role.
    pub role: String,
    /// Toggles switched on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toggles: Vec<String>,
    /// An explicit level per kind; it replaces what the role gives on that kind.
    #[serde(default, skip_serializing_if = "NamedMap::is_empty")]
    pub levels: NamedMap<String>,
    /// The subject's own per-instance exceptions; they apply after the role's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionDef>,
    /// The subject's own "only these instances" rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<RestrictionDef>,
    /// The subjects this one manages (for grants scoped `managed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manages: Vec<String>,
}

/// A rule for one instance `(kind, id)`: either set a `level` (replacing the set),
/// or add `allow` and take away `deny` (deny beats allow).
///
/// With `in`, the rule is for every instance of `kind` inside instance `id` of the
/// ancestor kind `in`: `{"kind": "contact", "in": "database", "id": 42, "deny":
/// ["edit"]}` denies `edit` on every contact in database 42.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDef {
    /// The instance's kind.
    pub kind: String,
    /// An ancestor kind of `kind`: the rule is for every instance of `kind` in
    /// the ancestor instance `id`.
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// The instance's id (with `in`, the ancestor instance's id).
    pub id: IdDef,
    /// A level that replaces the set on this instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Actions added on this instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Actions taken away on this instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

/// "Only these instances": `actions` hold on `ids` and nowhere else of `kind`.
///
/// With `in`, they hold only on instances of `kind` inside the listed instances of
/// the ancestor kind `in`: `{"kind": "contact", "actions": ["edit"], "in":
/// "database", "ids": [1, 2]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionDef {
    /// The kind restricted.
    pub kind: String,
    /// The restricted actions.
    pub actions: Vec<String>,
    /// An ancestor kind of `kind`: `ids` are ids of that kind.
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// The instances on which they hold (with `in`, the ancestor instances).
    pub ids: Vec<IdDef>,
}

/// `kind:id`, or `kind in ancestor:id` for a rule written in an ancestor.
pub(crate) fn on_instance(kind: &str, within: Option<&str>, id: &IdDef) -> String {
    match within {
        Some(a) => format!("{kind} in {a}:{id}"),
        None => format!("{kind}:{id}"),
    }
}

/// `kind`, or `kind in ancestor` for a restriction written in an ancestor.
pub(crate) fn on_kind(kind: &str, within: Option<&str>) -> String {
    match within {
        Some(a) => format!("{kind} in {a}"),
        None => kind.to_string(),
    }
}
