//! The evaluator: the decision order of the crate docs ("How a decision is
//! made"), step by step, over the compiled model (kinds, roles, toggles, layers),
//! for one profile and one resource.
//!
//! It is the one written-out form of the decision order in the library. Every
//! question that is not the hot check goes through it: explanations (with a
//! [`Steps`] observer, which records each step with its text), and role
//! questions, role matrices, diffs of roles (with [`Quiet`], which records
//! nothing, so no text is ever formatted). The hot check ([`Policy::can`]) is the
//! same order folded into the compiled tables; the two are property-tested
//! against each other and against [`crate::reference`].
//!
//! Here: the observers and the walk (`evaluate`); in `steps`, steps 3 to 7 one
//! function each; in `report`, the vocabulary of what a step reports (`Rule`,
//! `Step`); in `text`, how steps are put in words.

mod report;
mod steps;
mod text;

use crate::engine::{Policy, ProfileKey};
use crate::ids::Resource;
use crate::model::{Kind, Layer};

pub use report::{Rule, Step};
pub(crate) use text::names;

/// The subject or principal an explanation is about: what steps 4 and 5 need.
pub(crate) struct Traced<'a> {
    /// How explanations name it.
    pub(crate) name: String,
    /// Its own exceptions and restrictions.
    pub(crate) layer: &'a Layer,
    /// Its relation to the resource's owner.
    pub(crate) owner: Relation,
}

/// A subject's relation to a resource's owner (step 4).
#[derive(Debug, Clone)]
pub(crate) enum Relation {
    NoOwner,
    Own,
    /// Managed by the subject; the owner's name.
    Managed(String),
    /// Neither; the owner's name.
    Other(String),
}

/// What the evaluator tells as it goes.
pub(crate) trait Observer {
    /// Whether steps are recorded: when not, their text is never built.
    const RECORDS: bool;
    /// Takes one step.
    fn push(&mut self, step: Step);
    /// The steps taken so far (empty when nothing is recorded).
    fn steps(&mut self) -> &mut [Step];
}

/// Records nothing: for answers alone.
#[derive(Debug, Default)]
pub(crate) struct Quiet;

impl Observer for Quiet {
    const RECORDS: bool = false;
    fn push(&mut self, _: Step) {}
    fn steps(&mut self) -> &mut [Step] {
        &mut []
    }
}

/// Records every step with its text: for explanations.
pub(crate) type Steps = Vec<Step>;

impl Observer for Steps {
    const RECORDS: bool = true;
    fn push(&mut self, step: Step) {
        Vec::push(self, step);
    }
    fn steps(&mut self) -> &mut [Step] {
        self
    }
}

/// The set as the steps move it, and the observer told of each move.
struct Trace<'p, O> {
    kind: &'p Kind,
    want: u64,
    set: u64,
    obs: O,
}

impl<O: Observer> Trace<'_, O> {
    fn names(&self, m: u64) -> String {
        names(self.kind, m)
    }

    /// A step that moves the set to `next`; it bears on the decision if it
    /// moves the action asked about. `text` is built only when recorded.
    fn step(&mut self, rule: Rule, next: u64, text: impl FnOnce(&Self) -> String) {
        self.step_as(rule, next, false, text);
    }

    /// [`Trace::step`]; `base`: the step is where the set comes from (role, level).
    fn step_as(&mut self, rule: Rule, next: u64, base: bool, text: impl FnOnce(&Self) -> String) {
        if O::RECORDS {
            let decisive = (self.set ^ next) & self.want != 0;
            let text = text(self);
            self.obs.push(Step {
                rule,
                text,
                decisive,
                relevant: decisive || base,
            });
        }
        self.set = next;
    }

    /// A step that changes nothing; `relevant` if it says why the answer is not
    /// other than it is.
    fn note(&mut self, rule: Rule, relevant: bool, text: impl FnOnce(&Self) -> String) {
        if O::RECORDS {
            let text = text(self);
            self.obs.push(Step {
                rule,
                text,
                decisive: false,
                relevant,
            });
        }
    }

    /// When no step moved the action asked about, the kind-wide set decided: its
    /// last base step (the role, or the level that replaced it) is marked.
    fn finish(&mut self) {
        let steps = self.obs.steps();
        if steps.iter().any(|s| s.decisive) {
            return;
        }
        if let Some(s) = steps
            .iter_mut()
            .rev()
            .find(|s| matches!(s.rule, Rule::Role | Rule::Level))
        {
            s.decisive = true;
            s.relevant = true;
        }
    }

    fn change(&self, before: u64, after: u64) -> String {
        let added = after & !before;
        let removed = before & !after;
        match (added, removed) {
            (0, 0) => "no change".to_string(),
            (a, 0) => format!("adds {}", self.names(a)),
            (0, r) => format!("removes {}", self.names(r)),
            (a, r) => format!("adds {}, removes {}", self.names(a), self.names(r)),
        }
    }
}

/// A step 1 denial, as the one step of an explanation.
fn denial(text: String) -> Step {
    Step {
        rule: Rule::Unknown,
        text,
        decisive: true,
        relevant: true,
    }
}

impl Policy {
    /// The final set of the decision order for the profile `key` on `r`, with
    /// `who`'s own layer and owner relation (none: a holder of the profile with
    /// no layer of its own, owning nothing). `want` marks the steps that bear on
    /// it. A step 1 denial (unknown kind or state, a resource off its kind's
    /// chain) is the error.
    pub(crate) fn evaluate<O: Observer>(
        &self,
        key: &ProfileKey,
        who: Option<&Traced<'_>>,
        want: u64,
        r: &Resource,
        obs: O,
    ) -> Result<(u64, O), Step> {
        let k = r.kind;
        let kind = self
            .schema
            .kinds
            .get(k.index())
            .ok_or_else(|| denial("unknown kind: default deny".into()))?;
        let state = match r.state {
            Some(st) if st.kind == k && kind.state_name(st.index).is_some() => Some(st.index),
            Some(_) => {
                return Err(denial(format!(
                    "the state is not a state of kind `{}`: default deny",
                    kind.name
                )))
            }
            None => None,
        };
        if let Some(why) = self.invalid(kind, r) {
            return Err(denial(format!("{why}: denied")));
        }
        let mut t = Trace {
            kind,
            want,
            set: 0,
            obs,
        };
        // Step 2: decisive whatever was asked.
        if !kind.available {
            t.obs.push(Step {
                rule: Rule::Unavailable,
                text: format!(
                    "kind `{}` is not available in this policy: nothing is allowed",
                    kind.name
                ),
                decisive: true,
                relevant: true,
            });
            return Ok((0, t.obs));
        }
        let sets = self.schema.kind_wide(key);
        let scoped = self.kind_wide_steps(&mut t, key, k);
        debug_assert_eq!(sets.get(k.index()).copied().unwrap_or_default(), scoped);
        self.scope_step(&mut t, who, r, scoped);
        // Step 5: the role's layer, then the subject's.
        if let Some(role) = self.schema.roles.get(key.role.index()) {
            self.layer_steps(&mut t, &role.layer, r, "role", Some(&role.name));
        }
        if let Some(w) = who {
            let name = format!("subject `{}`", w.name);
            self.layer_steps(&mut t, w.layer, r, &name, None);
        }
        self.prerequisite_steps(&mut t, key, who, r, &sets);
        if let Some(s) = state {
            self.state_steps(&mut t, key, s);
        }
        let set = t.set;
        t.finish();
        t.note(Rule::Decision, true, |t| {
            let verdict = if set & want == want && want != 0 {
                "is"
            } else {
                "is not"
            };
            format!("final set {}: the action {verdict} in it", t.names(set))
        });
        Ok((set, t.obs))
    }
}

#[cfg(test)]
mod tests;
