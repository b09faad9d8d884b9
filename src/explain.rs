//! Explanations: the decision order replayed step by step, with the rule that made
//! each change. A separate, slower path than `can`, tested to agree with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::InstanceId;
use crate::ids::{ActionSet, Actions, KindId, Resource, SubjectId};
use crate::policy::{slot, ExceptionOp, Kind, Layer, Policy, ProfileKey, Schema};

/// Restrictions listing more ids than this are summarised in explanations.
const SHOWN_IDS: usize = 16;

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

/// Which rule of the decision order a [`Step`] reports. Serializes as its name
/// (`"StateRule"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Rule {
    /// Step 1: an unknown subject, kind, action or state.
    Unknown,
    /// Step 2: the kind is unavailable.
    Unavailable,
    /// Step 3: what the subject's role gives.
    Role,
    /// Step 3: an explicit level for the kind, replacing the role's set.
    Level,
    /// Step 3: a toggle's grants.
    Toggle,
    /// Step 4: which scoped grants count for this owner.
    Scope,
    /// Step 5: a restriction ("only these instances").
    Restriction,
    /// Step 5: an exception on this instance.
    Exception,
    /// Step 6: an unmet prerequisite on another kind.
    Prerequisite,
    /// Step 7: a state rule.
    StateRule,
    /// Step 9: the final answer.
    Decision,
}

impl Rule {
    /// The number of the step in the decision order.
    pub fn step(self) -> u8 {
        match self {
            Rule::Unknown => 1,
            Rule::Unavailable => 2,
            Rule::Role | Rule::Level | Rule::Toggle => 3,
            Rule::Scope => 4,
            Rule::Restriction | Rule::Exception => 5,
            Rule::Prerequisite => 6,
            Rule::StateRule => 7,
            Rule::Decision => 9,
        }
    }
}

/// One step of an [`Explanation`]. Serializes as `{"rule": "Level", "step": 3,
/// "text": "...", "decisive": true, "relevant": true}` (`step` is
/// [`Rule::step`], written for readers of a log and ignored when read back).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Step {
    rule: Rule,
    text: String,
    decisive: bool,
    relevant: bool,
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("Step", 5)?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("step", &self.rule.step())?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("decisive", &self.decisive)?;
        st.serialize_field("relevant", &self.relevant)?;
        st.end()
    }
}

impl Step {
    /// The rule applied.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What it did, in words.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this step decided the action asked about: it added or removed it,
    /// or (when no step did) it is the kind-wide set that never held it, or the
    /// rule that denies outright (an unknown name, an unavailable kind).
    pub fn is_decisive(&self) -> bool {
        self.decisive
    }

    /// Whether this step bore on the decision: it is decisive, it is where the
    /// kind-wide set comes from (role or level), it is the final answer, or it
    /// says why something that would have changed the answer did not (a state
    /// rule the subject is exempt from, scoped grants that did not count). The
    /// plain rendering of an [`Explanation`] shows only these.
    pub fn is_relevant(&self) -> bool {
        self.relevant
    }
}

/// A decision and the steps that made it; `Display` renders it as text.
///
/// Serializes as `{"allowed": false, "question": "bo edit tracking", "steps":
/// [{"rule": "Level", "step": 3, "text": "...", "decisive": true}, ...]}`, and
/// reads back from that (see `examples/decision_log.rs`).
///
/// ```
/// # use accessmask::{Policy, PolicyDef, Rule};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"tracking":
/// #   {"actions": ["view", "edit"], "levels": {"No Access": [], "Read Only Access": ["view"],
/// #    "Full Access": ["view", "edit"]}}},
/// #   "roles": {"Admin": {"grants": {"tracking": {"level": "Full Access"}}}},
/// #   "subjects": {"bo": {"role": "Admin", "levels": {"tracking": "Read Only Access"}}}}"#)?;
/// # let policy = Policy::compile(&def)?;
/// let bo = policy.subject("bo").ok_or("no bo")?;
/// let edit = policy.action("tracking", "edit").ok_or("no edit")?;
/// let why = policy.explain(bo, edit, &policy.resource(edit.kind()));
/// assert!(!why.allowed());
/// assert!(why.steps().iter().any(|s| s.rule() == Rule::Level && s.is_decisive()));
/// println!("{why}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    allowed: bool,
    question: String,
    steps: Vec<Step>,
    /// Whether `Display` shows every step ([`Explanation::verbose`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    verbose: bool,
}

impl Explanation {
    /// An explanation of `question` with `steps`.
    pub(crate) fn from_steps(question: String, allowed: bool, steps: Vec<Step>) -> Explanation {
        Explanation {
            allowed,
            question,
            steps,
            verbose: false,
        }
    }

    /// A denial decided by one step.
    pub(crate) fn single(question: String, rule: Rule, text: String) -> Explanation {
        Explanation::from_steps(
            question,
            false,
            vec![Step {
                rule,
                text,
                decisive: true,
                relevant: true,
            }],
        )
    }

    /// The decision; always equal to [`Policy::can`]'s.
    pub fn allowed(&self) -> bool {
        self.allowed
    }

    /// Every step replayed, in the order of the decision order, whether or not it
    /// bore on the decision ([`Step::is_relevant`]).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The steps that bore on the decision: those the plain rendering shows.
    pub fn relevant_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.relevant)
    }

    /// The same explanation, rendered with every step replayed (as `{:#}`
    /// renders it), not only those that bore on the decision.
    #[must_use]
    pub fn verbose(mut self) -> Self {
        self.verbose = true;
        self
    }

    /// The question, as text (`bob edit scheduled_upload:7`).
    pub fn question(&self) -> &str {
        &self.question
    }
}

/// `ALLOW question` or `DENY question`, then a line per step that bore on the
/// decision, `*` marking the decisive ones; every step with `{:#}` or
/// [`Explanation::verbose`].
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "ALLOW" } else { "DENY" };
        writeln!(f, "{verdict} {}", self.question)?;
        let all = self.verbose || f.alternate();
        for s in self.steps.iter().filter(|s| all || s.relevant) {
            let mark = if s.decisive { '*' } else { ' ' };
            writeln!(f, " {mark} {}. {}", s.rule.step(), s.text)?;
        }
        Ok(())
    }
}

/// Records steps while replaying the decision order on one kind.
struct Trace<'p> {
    kind: &'p Kind,
    want: u64,
    set: u64,
    steps: Vec<Step>,
}

impl Trace<'_> {
    fn names(&self, m: u64) -> String {
        names(self.kind, m)
    }

    /// Record a step that moves the set to `next`; it bears on the decision
    /// if it moves the action asked about (or `base`: it is where the set
    /// comes from).
    fn step(&mut self, rule: Rule, text: String, next: u64) {
        self.step_as(rule, text, next, false);
    }

    fn step_as(&mut self, rule: Rule, text: String, next: u64, base: bool) {
        let decisive = (self.set ^ next) & self.want != 0;
        self.set = next;
        self.steps.push(Step {
            rule,
            text,
            decisive,
            relevant: decisive || base,
        });
    }

    /// Record a step that changes nothing; `relevant` if it says why the answer
    /// is not other than it is.
    fn note(&mut self, rule: Rule, text: String, relevant: bool) {
        self.steps.push(Step {
            rule,
            text,
            decisive: false,
            relevant,
        });
    }

    /// When no step moved the action asked about, the kind-wide set decided:
    /// its last base step (the role, or the level that replaced it) is marked.
    fn finish(&mut self) {
        if self.steps.iter().any(|s| s.decisive) {
            return;
        }
        if let Some(s) = self
            .steps
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
    /// Why `subject` may or may not do `action` on `resource`: the decision and each
    /// step of the decision order that bore on it. Slower than [`Policy::can`]
    /// (it allocates and formats), and always agrees with it.
    pub fn explain(
        &self,
        subject: SubjectId,
        action: impl Actions,
        resource: &Resource,
    ) -> Explanation {
        let want = action.mask_for(resource);
        let question = self.question(subject, want, resource);
        let deny = |rule, text: String| Explanation {
            allowed: false,
            question: question.clone(),
            steps: vec![Step {
                rule,
                text,
                decisive: true,
                relevant: true,
            }],
            verbose: false,
        };
        if let Some(why) = self.foreign(subject) {
            return deny(
                Rule::Unknown,
                format!("unknown subject ({why}): default deny"),
            );
        }
        let Some(info) = self.info(subject.index) else {
            return deny(Rule::Unknown, "unknown subject: default deny".into());
        };
        let want = match self.asked(want, resource) {
            Ok(w) => w,
            Err(why) => return deny(Rule::Unknown, why),
        };
        let owner = match resource.owner {
            None => Relation::NoOwner,
            Some(o) if self.resolve(o) == Some(subject.index) => Relation::Own,
            Some(o)
                if self
                    .resolve(o)
                    .is_some_and(|o| self.manages(subject.index, o)) =>
            {
                Relation::Managed(self.subject_name(o).into())
            }
            Some(o) => Relation::Other(self.subject_name(o).into()),
        };
        let who = Traced {
            name: info.name.to_string(),
            layer: info.layer(),
            owner,
        };
        match self.trace(info.key, Some(who), want, resource) {
            Ok((set, steps)) => Explanation {
                allowed: set & want == want,
                question,
                steps,
                verbose: false,
            },
            Err(step) => Explanation {
                allowed: false,
                question,
                steps: vec![step],
                verbose: false,
            },
        }
    }

    fn question(&self, subject: SubjectId, want: Option<u64>, r: &Resource) -> String {
        let owner = r.owner.map(|o| self.subject_name(o).to_string());
        self.question_text(self.subject_name(subject), want, r, owner)
    }

    /// Step 1 for the kind and the action: the mask asked about, or why the
    /// question is denied by default.
    pub(crate) fn asked(&self, want: Option<u64>, resource: &Resource) -> Result<u64, String> {
        let Some(kind) = self.schema.kinds.get(resource.kind.index()) else {
            return Err("unknown kind: default deny".into());
        };
        match want {
            Some(w) if w & !kind.all() == 0 => Ok(w),
            _ => Err(format!(
                "the action is not an action of kind `{}`: default deny",
                kind.name
            )),
        }
    }

    /// The question in query form: `WHO ACTION KIND[:ID] [state=S] [owner=O]`.
    pub(crate) fn question_text(
        &self,
        who: &str,
        want: Option<u64>,
        r: &Resource,
        owner: Option<String>,
    ) -> String {
        let action = match (want, self.schema.kinds.get(r.kind.index())) {
            (Some(m), Some(kind)) if m.count_ones() == 1 => {
                names(kind, m).trim_matches(['{', '}']).to_string()
            }
            (Some(m), Some(kind)) if m != 0 => {
                names(kind, m).trim_matches(['{', '}']).replace(", ", "+")
            }
            _ => "(an action of another kind)".to_string(),
        };
        let mut q = format!("{who} {action} {}", self.kind_name(r.kind));
        if let Some(id) = r.id {
            q.push_str(&format!(":{}", self.given_id_text(r.kind.0, id, r.stamp)));
        }
        for a in r.ancestors() {
            q.push_str(&format!(
                " in {}:{}",
                self.kind_name(a.kind),
                self.given_id_text(a.kind.0, a.id, a.stamp)
            ));
        }
        if let Some(s) = r.state {
            q.push_str(&format!(" state={}", self.state_name(s)));
        }
        if let Some(o) = owner {
            q.push_str(&format!(" owner={o}"));
        }
        q
    }

    /// Replays steps 2 to 9 for a profile (and, with `subject`, its own layer and
    /// managed subjects) on one resource. `want` marks the decisive steps.
    /// Steps 2 to 9 for the profile `key`, as explanation steps; `who` is the
    /// subject or principal asked about (none: a role question).
    pub(crate) fn trace(
        &self,
        key: &ProfileKey,
        who: Option<Traced<'_>>,
        want: u64,
        r: &Resource,
    ) -> Result<(u64, Vec<Step>), Step> {
        let k = r.kind.0;
        let kind = self.schema.kinds.get(k as usize).ok_or_else(|| Step {
            rule: Rule::Unknown,
            text: "unknown kind: default deny".into(),
            decisive: true,
            relevant: true,
        })?;
        let state = match r.state {
            Some(st) if st.kind == k && (st.index as usize) < kind.states.len() => Some(st.index),
            Some(_) => {
                return Err(Step {
                    rule: Rule::Unknown,
                    text: format!(
                        "the state is not a state of kind `{}`: default deny",
                        kind.name
                    ),
                    decisive: true,
                    relevant: true,
                })
            }
            None => None,
        };
        if let Some(why) = self.invalid(kind, r) {
            return Err(Step {
                rule: Rule::Unknown,
                text: format!("{why}: denied"),
                decisive: true,
                relevant: true,
            });
        }
        let mut t = Trace {
            kind,
            want,
            set: 0,
            steps: Vec::new(),
        };
        if !kind.available {
            // Decisive whatever was asked: nothing on the kind is allowed.
            t.steps.push(Step {
                rule: Rule::Unavailable,
                text: format!(
                    "kind `{}` is not available in this policy: nothing is allowed",
                    kind.name
                ),
                decisive: true,
                relevant: true,
            });
            return Ok((0, t.steps));
        }
        // Step 3.
        let role = self.schema.roles.get(key.role as usize);
        let role_name = role.map_or("", |r| r.name.as_str());
        let sets = self.schema.kind_wide(key);
        let rs = role
            .and_then(|r| r.sets.get(k as usize))
            .copied()
            .unwrap_or_default();
        let mut bases = Vec::new();
        let mut b = role.and_then(|r| r.base);
        while let Some(br) = b.and_then(|bi| self.schema.roles.get(bi as usize)) {
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
                .and_then(|b| self.schema.roles.get(b as usize))
                .and_then(|b| b.sets.get(k as usize))
                .map_or(0, |b| b.any | b.own | b.managed);
            let taken = kind.close_up(listed) & base;
            if taken != 0 {
                text.push_str(&format!(
                    ": its `remove` takes {} that its base gives",
                    t.names(taken)
                ));
            }
        }
        t.step_as(Rule::Role, text, rs.any, true);
        let mut scoped = match key.levels.iter().find(|(lk, _)| *lk == k) {
            Some(&(_, l)) => {
                let (lname, lmask) = kind.levels.get(l as usize).cloned().unwrap_or_default();
                let text = format!(
                    "level `{lname}` on `{}` replaces the role's set with {}: {}",
                    kind.name,
                    t.names(lmask),
                    t.change(t.set, lmask)
                );
                t.step_as(Rule::Level, text, lmask, true);
                crate::policy::Scoped {
                    any: lmask,
                    ..Default::default()
                }
            }
            None => rs,
        };
        for &tg in &key.toggles {
            let Some(toggle) = self.schema.toggles.get(tg as usize) else {
                continue;
            };
            if let Some((_, ts)) = toggle.sets.iter().find(|(tk, _)| *tk == k) {
                let before = t.set;
                scoped = scoped.union(*ts);
                let mut text = format!(
                    "toggle `{}` {}",
                    toggle.name,
                    t.change(before, before | ts.any)
                );
                if ts.own | ts.managed != 0 {
                    text.push_str(" (and scoped grants)");
                }
                t.step(Rule::Toggle, text, before | ts.any);
            }
        }
        debug_assert_eq!(sets.get(k as usize).copied().unwrap_or_default(), scoped);
        // Step 4.
        if scoped.own | scoped.managed != 0 {
            // Scoped grants that did not count bear on a denial of what they hold.
            let missed = (scoped.own | scoped.managed) & want != 0 && t.set & want == 0;
            let mut x = scoped.any;
            let relation = match (&who, r.owner) {
                (Some(w), _) => w.owner.clone(),
                (None, Some(o)) => Relation::Other(self.subject_name(o).into()),
                (None, None) => Relation::NoOwner,
            };
            let text = match relation {
                Relation::Own => {
                    x |= scoped.own;
                    format!("the subject owns the instance: own-scoped grants count, {}", t.change(t.set, x))
                }
                Relation::Managed(o) => {
                    x |= scoped.managed;
                    format!(
                        "the owner `{o}` is managed by the subject: managed-scoped grants count, {}",
                        t.change(t.set, x)
                    )
                }
                Relation::Other(o) => format!(
                    "the owner `{o}` is neither the subject nor managed by it: scoped grants do not count"
                ),
                Relation::NoOwner => "no owner given: scoped grants do not count".to_string(),
            };
            let counted = x != t.set;
            t.step(Rule::Scope, text, x);
            if !counted && missed {
                if let Some(last) = t.steps.last_mut() {
                    last.relevant = true;
                }
            }
        }
        // Step 5.
        if let Some(role) = role {
            self.trace_layer(&mut t, &role.layer, k, r, "role", Some(role_name));
        }
        if let Some(w) = &who {
            let name = format!("subject `{}`", w.name);
            self.trace_layer(&mut t, w.layer, k, r, &name, None);
        }
        // Step 6.
        for p in &kind.prerequisites {
            if self.schema.prerequisite_met(p, &sets) {
                continue;
            }
            let other = self.schema.kinds.get(p.kind as usize);
            let oname = other.map_or("", |o| o.name.as_str());
            let needs = other.map_or(String::new(), |o| names(o, p.needs));
            let held = other.map_or(String::new(), |o| {
                if o.available {
                    names(o, sets.get(p.kind as usize).map_or(0, |s| s.any))
                } else {
                    "nothing (the kind is unavailable)".to_string()
                }
            });
            let removed = kind.close_up(1u64 << p.action);
            let next = t.set & !removed;
            let text =
                format!(
                "prerequisite: `{}` needs {needs} on `{oname}`, the subject holds {held} there: {}",
                kind.actions.get(usize::from(p.action)).map_or("", String::as_str),
                t.change(t.set, next)
            );
            t.step(Rule::Prerequisite, text, next);
        }
        // Step 6 on ancestor instances, decided in full.
        for p in &kind.ancestor_prerequisites {
            let akind = self.schema.kinds.get(p.kind as usize);
            let aname = akind.map_or("", |a| a.name.as_str());
            let needs = akind.map_or(String::new(), |a| names(a, p.needs));
            let held = match r.ancestor_resource(usize::from(p.depth)) {
                None => None,
                Some(anc) => {
                    let again = who.as_ref().map(|w| Traced {
                        name: w.name.clone(),
                        layer: w.layer,
                        owner: Relation::NoOwner,
                    });
                    let bits = self.trace(key, again, 0, &anc).map_or(0, |(set, _)| set);
                    Some((anc, bits))
                }
            };
            let (met, there) = match &held {
                None => (
                    false,
                    format!("the resource does not say which `{aname}` it is in"),
                ),
                Some((anc, bits)) => (
                    bits & p.needs == p.needs,
                    format!(
                        "the subject may do {} on `{aname}:{}`",
                        akind.map_or(String::new(), |a| names(a, *bits)),
                        anc.id.map_or(String::new(), |id| self.show_id(p.kind, id))
                    ),
                ),
            };
            if met {
                continue;
            }
            let next = t.set & !kind.close_up(1u64 << p.action);
            let text =
                format!(
                "prerequisite on the `{aname}` it is in: `{}` needs {needs} there, and {there}: {}",
                kind.actions.get(usize::from(p.action)).map_or("", String::as_str),
                t.change(t.set, next)
            );
            t.step(Rule::Prerequisite, text, next);
        }
        // Step 7.
        if let Some(s) = state {
            let sname = kind.states.get(s as usize).map_or("", String::as_str);
            for rule in kind.state_rules.iter().filter(|x| x.state == s) {
                if Schema::state_rule_applies(rule, key) {
                    let next = t.set & !rule.hold;
                    let text = format!(
                        "state rule `{sname}` holds {} back: {}",
                        t.names(rule.hold),
                        t.change(t.set, next)
                    );
                    t.step(Rule::StateRule, text, next);
                } else {
                    let relevant = kind.close_up(rule.hold) & want & t.set != 0;
                    t.note(
                        Rule::StateRule,
                        format!(
                            "state rule `{sname}` holds {} back, but not from this subject ({})",
                            t.names(rule.hold),
                            exempt_by(self, rule, key)
                        ),
                        relevant,
                    );
                }
            }
        }
        let set = t.set;
        let verdict = if set & want == want && want != 0 {
            "is"
        } else {
            "is not"
        };
        t.finish();
        t.note(
            Rule::Decision,
            format!("final set {}: the action {verdict} in it", t.names(set)),
            true,
        );
        Ok((set, t.steps))
    }

    fn trace_layer(
        &self,
        t: &mut Trace<'_>,
        layer: &Layer,
        k: u32,
        r: &Resource,
        who: &str,
        role_name: Option<&str>,
    ) {
        let owner = |origin_role: Option<u32>| match (role_name, origin_role) {
            (Some(name), Some(o)) => {
                let from = self
                    .schema
                    .roles
                    .get(o as usize)
                    .map_or("", |r| r.name.as_str());
                if from == name {
                    format!("role `{name}`")
                } else {
                    format!("role `{name}` (inherited from `{from}`)")
                }
            }
            _ => who.to_string(),
        };
        let chain = t.kind.chain.clone();
        // Rules written in ancestors, outermost first, then the instance's own.
        for d in (0..=chain.len()).rev() {
            let (sl, id, place) = if d == 0 {
                (k, r.id, t.kind.name.clone())
            } else {
                let Some(&ak) = chain.get(d - 1) else {
                    continue;
                };
                let aname = self
                    .schema
                    .kinds
                    .get(ak as usize)
                    .map_or("", |x| x.name.as_str());
                (
                    slot(k, d as u8),
                    r.ancestors().get(d - 1).map(|a| a.id),
                    format!("{} in {aname}", t.kind.name),
                )
            };
            let of = if d == 0 {
                k
            } else {
                chain.get(d - 1).copied().unwrap_or(k)
            };
            if let Some(res) = layer.restriction(sl) {
                let hit = id.is_some_and(|id| res.ids.binary_search(&id).is_ok());
                let next = if hit {
                    t.set | res.allow
                } else {
                    t.set & !res.deny
                };
                // A long list is summarised: its length, and where this instance
                // stands.
                let show = |id: InstanceId| self.show_id(of, id);
                let ids = match (res.ids.len(), id) {
                    (n, _) if n <= SHOWN_IDS => {
                        let list: Vec<String> = res.ids.iter().map(|&i| show(i)).collect();
                        format!("{} {}", if n == 1 { "id" } else { "ids" }, list.join(", "))
                    }
                    (n, Some(id)) if hit => format!("{n} ids, {} among them", show(id)),
                    (n, Some(id)) => format!("{n} ids, {} not among them", show(id)),
                    (n, None) => format!("{n} ids"),
                };
                let given = match (d, id) {
                    (0, _) | (_, Some(_)) => String::new(),
                    (_, None) => " (the resource does not say which one it is in)".to_string(),
                };
                let text = format!(
                    "{}'s restriction on {place} holds {} only on {ids}{given}: {}",
                    owner(res.origin.role),
                    t.names(res.actions),
                    t.change(t.set, next)
                );
                t.step(Rule::Restriction, text, next);
            }
            if let Some(e) = id.and_then(|id| layer.exception(sl, id)) {
                let next = e.op.affine().apply(t.set);
                let what = match e.op {
                    ExceptionOp::Level(l, _) => format!(
                        "sets level `{}`",
                        t.kind.levels.get(l).map_or("", |x| x.0.as_str())
                    ),
                    ExceptionOp::AllowDeny { allow, deny } => match (allow, deny) {
                        (a, 0) => format!("allows {}", t.names(a)),
                        (0, d) => format!("denies {}", t.names(d)),
                        (a, d) => format!("allows {}, denies {}", t.names(a), t.names(d)),
                    },
                };
                let text = format!(
                    "{}'s exception on {place} {} {what}: {}",
                    owner(e.origin.role),
                    self.show_id(of, e.id),
                    t.change(t.set, next)
                );
                t.step(Rule::Exception, text, next);
            }
        }
    }

    /// An instance id as a document writes it: the number, or the string of a
    /// kind with string ids.
    pub(crate) fn show_id(&self, kind: u32, id: InstanceId) -> String {
        match self.schema.kinds.get(kind as usize) {
            Some(k) if k.text_ids => match self.texts.text(id) {
                Some(t) => format!("\"{}\"", crate::error::Shown(t)),
                None => "(a string id no rule names)".to_string(),
            },
            _ => id.to_string(),
        }
    }

    /// An id a resource was given, as a query writes it: a string id only when
    /// it is good here (else what is wrong with it).
    fn given_id_text(&self, kind: u32, id: InstanceId, stamp: u32) -> String {
        match (stamp, self.schema.kinds.get(kind as usize)) {
            (0, _) => id.to_string(),
            (_, Some(k)) if k.text_ids && self.text_ok(id, stamp) => self.id_text(kind, id),
            _ => "(a string id resolved by another policy)".to_string(),
        }
    }

    /// An instance id as a query writes it (no quotes).
    pub(crate) fn id_text(&self, kind: u32, id: InstanceId) -> String {
        match self.schema.kinds.get(kind as usize) {
            Some(k) if k.text_ids => match self.texts.text(id) {
                Some(t) => crate::error::Shown(t).to_string(),
                None => "(unnamed)".to_string(),
            },
            _ => id.to_string(),
        }
    }

    /// What a holder of `role` with no toggles, levels or exceptions of its own may
    /// do on `kind` in general (no id, state or owner): the cells of
    /// [`Policy::role_matrix`].
    pub fn role_allowed(&self, role: crate::RoleId, kind: KindId) -> ActionSet<'_> {
        let bits = self.role_bits(role, &Resource::new(kind));
        ActionSet {
            kind,
            bits,
            names: self
                .schema
                .kinds
                .get(kind.index())
                .map_or(&[][..], |k| k.actions.as_slice()),
        }
    }

    /// The final set for a holder of `role` with no toggles, levels or exceptions of
    /// its own, on `r` (0 for an unknown role). Used by the role matrix, admin's
    /// escalation check on role changes, and the diff.
    pub(crate) fn role_bits(&self, role: crate::RoleId, r: &Resource) -> u64 {
        if self.schema.roles.get(role.index()).is_none() {
            return 0;
        }
        let key = ProfileKey {
            role: role.0,
            toggles: Default::default(),
            levels: Default::default(),
        };
        self.trace(&key, None, 0, r).map_or(0, |(set, _)| set)
    }

    /// Whether a holder of the role named `role` (no toggles, levels or exceptions
    /// of its own) may do `action` on kind `kind` in general; `None` if a name is
    /// unknown.
    pub fn role_can(&self, role: &str, kind: &str, action: &str) -> Option<bool> {
        let r = self.role(role)?;
        let a = self.action(kind, action)?;
        Some(self.role_bits(r, &Resource::new(a.kind)) & a.mask() != 0)
    }
}

/// Why a state rule does not apply to a profile: its role or a toggle it has on.
fn exempt_by(policy: &Policy, rule: &crate::policy::StateRule, key: &ProfileKey) -> String {
    if rule.roles.contains(&key.role) {
        let name = policy
            .schema
            .roles
            .get(key.role as usize)
            .map_or("", |r| r.name.as_str());
        return format!("its role `{name}` is exempt");
    }
    let toggle = rule
        .toggles
        .iter()
        .find(|t| key.toggles.contains(t))
        .and_then(|&t| policy.schema.toggles.get(t as usize))
        .map_or("", |t| t.name.as_str());
    format!("its toggle `{toggle}` is exempt")
}
