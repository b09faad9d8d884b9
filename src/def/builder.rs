//! Building a policy in Rust: the same definition types as a document, assembled
//! with chained calls, compiled by the same compiler.

use super::{
    ExceptionDef, GrantDef, IdDef, KindDef, PolicyDef, PrerequisiteDef, RestrictionDef, RoleDef,
    StateRuleDef, SubjectDef, ToggleDef,
};

fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

/// Assembles a [`PolicyDef`] in code and compiles it.
///
/// A builder and a document that say the same thing compile to equal policies.
///
/// ```
/// use accessmask::{KindDef, PolicyBuilder, RoleDef, SubjectDef};
///
/// bitflags::bitflags! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub struct Upload: u8 {
///         const VIEW = 1 << 0;
///         const RUN = 1 << 1;
///         const EDIT = 1 << 2;
///     }
/// }
///
/// let policy = PolicyBuilder::new()
///     .kind("scheduled_upload", KindDef::from_flags::<Upload>().needs("edit", ["view"]))
///     .role("Operator", RoleDef::new().grant("scheduled_upload", ["run", "view"]))
///     .subject("ops", SubjectDef::new("Operator"))
///     .build()?;
/// let uploads = policy.typed_kind::<Upload>("scheduled_upload")?;
/// let ops = policy.subject("ops").ok_or("no ops")?;
/// let upload = policy.resource(uploads).with_id(3);
/// assert!(policy.can(ops, Upload::RUN, &upload));
/// assert!(!policy.can(ops, Upload::EDIT, &upload));
/// assert!(!policy.can(ops, Upload::RUN | Upload::EDIT, &upload));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    def: PolicyDef,
}

impl PolicyBuilder {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a kind.
    #[must_use]
    pub fn kind(mut self, name: impl Into<String>, kind: KindDef) -> Self {
        self.def.kinds.insert(name, kind);
        self
    }

    /// Adds a role.
    #[must_use]
    pub fn role(mut self, name: impl Into<String>, role: RoleDef) -> Self {
        self.def.roles.insert(name, role);
        self
    }

    /// Adds a toggle.
    #[must_use]
    pub fn toggle(mut self, name: impl Into<String>, toggle: ToggleDef) -> Self {
        self.def.toggles.insert(name, toggle);
        self
    }

    /// Adds a subject.
    #[must_use]
    pub fn subject(mut self, name: impl Into<String>, subject: SubjectDef) -> Self {
        self.def.subjects.insert(name, subject);
        self
    }

    /// The definition assembled so far.
    pub fn definition(&self) -> &PolicyDef {
        &self.def
    }

    /// The definition, to serialize or edit further.
    pub fn into_definition(self) -> PolicyDef {
        self.def
    }
}

impl KindDef {
    /// A kind with these actions, in bit order.
    pub fn new<S: Into<String>>(actions: impl IntoIterator<Item = S>) -> Self {
        KindDef {
            actions: strings(actions),
            available: true,
            ..Self::default()
        }
    }

    /// A kind whose actions are the named flags of a `bitflags` type, lowercased
    /// (`EDIT` is action `edit`), in bit order.
    /// Every flag must be a single bit, and bit `i` must be the `i`-th flag, so that
    /// checks with the flags test exactly the named actions;
    /// [`Policy::typed_kind`](crate::Policy::typed_kind) verifies this.
    pub fn from_flags<F: bitflags::Flags>() -> Self {
        Self::new(
            F::FLAGS
                .iter()
                .filter(|f| f.is_named())
                .map(|f| f.name().to_lowercase()),
        )
    }

    /// `action` needs `needs`.
    #[must_use]
    pub fn needs<S: Into<String>>(
        mut self,
        action: impl Into<String>,
        needs: impl IntoIterator<Item = S>,
    ) -> Self {
        self.needs.insert(action, strings(needs));
        self
    }

    /// Adds a level above the existing ones.
    #[must_use]
    pub fn level<S: Into<String>>(
        mut self,
        name: impl Into<String>,
        actions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.levels.insert(name, strings(actions));
        self
    }

    /// Declares the states an instance can be in.
    #[must_use]
    pub fn states<S: Into<String>>(mut self, states: impl IntoIterator<Item = S>) -> Self {
        self.states = strings(states);
        self
    }

    /// Adds a state rule.
    #[must_use]
    pub fn state_rule(mut self, rule: StateRuleDef) -> Self {
        self.state_rules.push(rule);
        self
    }

    /// Adds a prerequisite.
    #[must_use]
    pub fn prerequisite(mut self, prerequisite: PrerequisiteDef) -> Self {
        self.prerequisites.push(prerequisite);
        self
    }

    /// Switches the kind on or off.
    #[must_use]
    pub fn available(mut self, available: bool) -> Self {
        self.available = available;
        self
    }
}

impl StateRuleDef {
    /// In `state`, `hold` is held back from everyone.
    pub fn new<S: Into<String>>(
        state: impl Into<String>,
        hold: impl IntoIterator<Item = S>,
    ) -> Self {
        StateRuleDef {
            state: state.into(),
            hold: strings(hold),
            ..Self::default()
        }
    }

    /// ... except from holders of `role`.
    #[must_use]
    pub fn unless_role(mut self, role: impl Into<String>) -> Self {
        self.unless_roles.push(role.into());
        self
    }

    /// ... except from subjects with `toggle` on.
    #[must_use]
    pub fn unless_toggle(mut self, toggle: impl Into<String>) -> Self {
        self.unless_toggles.push(toggle.into());
        self
    }
}

impl PrerequisiteDef {
    /// The same prerequisite, decided on the ancestor instance of `kind` the
    /// resource is in (see [`PrerequisiteDef::on_ancestor`]).
    #[must_use]
    pub fn on_ancestor(mut self) -> Self {
        self.on_ancestor = true;
        self
    }

    /// `action` needs every action of `level` on `kind`.
    pub fn level(
        action: impl Into<String>,
        kind: impl Into<String>,
        level: impl Into<String>,
    ) -> Self {
        PrerequisiteDef {
            action: action.into(),
            kind: kind.into(),
            actions: Vec::new(),
            level: Some(level.into()),
            on_ancestor: false,
        }
    }

    /// `action` needs `actions` on `kind`.
    pub fn actions<S: Into<String>>(
        action: impl Into<String>,
        kind: impl Into<String>,
        actions: impl IntoIterator<Item = S>,
    ) -> Self {
        PrerequisiteDef {
            action: action.into(),
            kind: kind.into(),
            actions: strings(actions),
            level: None,
            on_ancestor: false,
        }
    }
}

impl From<Vec<String>> for GrantDef {
    fn from(actions: Vec<String>) -> Self {
        GrantDef::actions(actions)
    }
}

impl<const N: usize> From<[&str; N]> for GrantDef {
    fn from(actions: [&str; N]) -> Self {
        GrantDef::actions(actions)
    }
}

impl GrantDef {
    /// Adds actions granted only on the subject's own instances.
    #[must_use]
    pub fn own<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.own.extend(actions.into_iter().map(Into::into));
        self
    }

    /// Adds actions granted only on instances of subjects it manages.
    #[must_use]
    pub fn managed<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.managed.extend(actions.into_iter().map(Into::into));
        self
    }
}

impl RoleDef {
    /// A role with no grants.
    pub fn new() -> Self {
        Self::default()
    }

    /// A role copied from `base`.
    pub fn derived_from(base: impl Into<String>) -> Self {
        RoleDef {
            base: Some(base.into()),
            ..Self::default()
        }
    }

    /// Grants on `kind` (a list of actions, a [`GrantDef`]).
    #[must_use]
    pub fn grant(mut self, kind: impl Into<String>, grant: impl Into<GrantDef>) -> Self {
        self.grants.insert(kind, grant.into());
        self
    }

    /// Takes `actions` of `kind` away.
    #[must_use]
    pub fn remove<S: Into<String>>(
        mut self,
        kind: impl Into<String>,
        actions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.remove.insert(kind, strings(actions));
        self
    }

    /// Adds an exception.
    #[must_use]
    pub fn exception(mut self, exception: ExceptionDef) -> Self {
        self.exceptions.push(exception);
        self
    }

    /// Adds a restriction.
    #[must_use]
    pub fn restriction(mut self, restriction: RestrictionDef) -> Self {
        self.restrictions.push(restriction);
        self
    }
}

impl ToggleDef {
    /// A toggle with no grants.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants on `kind`.
    #[must_use]
    pub fn grant(mut self, kind: impl Into<String>, grant: impl Into<GrantDef>) -> Self {
        self.grants.insert(kind, grant.into());
        self
    }
}

impl SubjectDef {
    /// A subject holding `role`.
    pub fn new(role: impl Into<String>) -> Self {
        SubjectDef {
            role: role.into(),
            ..Self::default()
        }
    }

    /// Switches `toggle` on.
    #[must_use]
    pub fn toggle(mut self, toggle: impl Into<String>) -> Self {
        self.toggles.push(toggle.into());
        self
    }

    /// Sets an explicit level on `kind`.
    #[must_use]
    pub fn level(mut self, kind: impl Into<String>, level: impl Into<String>) -> Self {
        self.levels.insert(kind, level.into());
        self
    }

    /// Adds an exception.
    #[must_use]
    pub fn exception(mut self, exception: ExceptionDef) -> Self {
        self.exceptions.push(exception);
        self
    }

    /// Adds a restriction.
    #[must_use]
    pub fn restriction(mut self, restriction: RestrictionDef) -> Self {
        self.restrictions.push(restriction);
        self
    }

    /// Adds a managed subject.
    #[must_use]
    pub fn manages(mut self, subject: impl Into<String>) -> Self {
        self.manages.push(subject.into());
        self
    }
}

impl ExceptionDef {
    /// On instance `id` of `kind`, the set becomes `level`.
    pub fn level(kind: impl Into<String>, id: impl Into<IdDef>, level: impl Into<String>) -> Self {
        ExceptionDef {
            kind: kind.into(),
            id: id.into(),
            level: Some(level.into()),
            ..Self::default()
        }
    }

    /// The same exception, for every instance of its kind inside instance `id` of
    /// the ancestor kind `ancestor`.
    #[must_use]
    pub fn within(mut self, ancestor: impl Into<String>) -> Self {
        self.within = Some(ancestor.into());
        self
    }

    /// On instance `id` of `kind`, add `allow` and then take away `deny`.
    pub fn allow_deny<A: Into<String>, D: Into<String>>(
        kind: impl Into<String>,
        id: impl Into<IdDef>,
        allow: impl IntoIterator<Item = A>,
        deny: impl IntoIterator<Item = D>,
    ) -> Self {
        ExceptionDef {
            kind: kind.into(),
            within: None,
            id: id.into(),
            level: None,
            allow: strings(allow),
            deny: strings(deny),
        }
    }
}

impl RestrictionDef {
    /// `actions` of `kind` hold on `ids` only.
    pub fn new<S: Into<String>, I: Into<IdDef>>(
        kind: impl Into<String>,
        actions: impl IntoIterator<Item = S>,
        ids: impl IntoIterator<Item = I>,
    ) -> Self {
        RestrictionDef {
            kind: kind.into(),
            actions: strings(actions),
            within: None,
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// The same restriction, with `ids` naming instances of the ancestor kind
    /// `ancestor`: the actions hold only on instances of `kind` inside them.
    #[must_use]
    pub fn within(mut self, ancestor: impl Into<String>) -> Self {
        self.within = Some(ancestor.into());
        self
    }
}
