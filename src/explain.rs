//! Explanations: the decision order replayed step by step, with the rule that made
//! each change. A separate, slower path than `can`, tested to agree with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKey};
use crate::eval::{names, Quiet, Relation, Rule, Step, Traced};
use crate::ids::{ActionSet, Actions, KindId, Resource, SubjectId};

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
            q.push_str(&format!(":{}", self.given_id_text(r.kind, id, r.stamp)));
        }
        for a in r.ancestors() {
            q.push_str(&format!(
                " in {}:{}",
                self.kind_name(a.kind),
                self.given_id_text(a.kind, a.id, a.stamp)
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

    /// Steps 2 to 9 for the profile `key`, as explanation steps; `who` is the
    /// subject or principal asked about (none: a role question). `want` marks
    /// the decisive steps.
    pub(crate) fn trace(
        &self,
        key: &ProfileKey,
        who: Option<Traced<'_>>,
        want: u64,
        r: &Resource,
    ) -> Result<(u64, Vec<Step>), Step> {
        self.evaluate(key, who.as_ref(), want, r, Vec::new())
    }

    /// The final set for the profile `key` (and `who`'s layer and owner) on `r`:
    /// the evaluator with no text (0 for a step 1 denial).
    pub(crate) fn decide(&self, key: &ProfileKey, who: Option<&Traced<'_>>, r: &Resource) -> u64 {
        self.evaluate(key, who, 0, r, Quiet)
            .map_or(0, |(set, _)| set)
    }

    /// An instance id as a document writes it: the number, or the string of a
    /// kind with string ids.
    pub(crate) fn show_id(&self, kind: KindId, id: InstanceId) -> String {
        match self.schema.kinds.get(kind.index()) {
            Some(k) if k.text_ids => match self.texts.text(id) {
                Some(t) => format!("\"{}\"", crate::error::Shown(t)),
                None => "(a string id no rule names)".to_string(),
            },
            _ => id.to_string(),
        }
    }

    /// An id a resource was given, as a query writes it: a string id only when
    /// it is good here (else what is wrong with it).
    fn given_id_text(&self, kind: KindId, id: InstanceId, stamp: u32) -> String {
        match (stamp, self.schema.kinds.get(kind.index())) {
            (0, _) => id.to_string(),
            (_, Some(k)) if k.text_ids && self.text_ok(id, stamp) => self.id_text(kind, id),
            (_, Some(k)) if !k.text_ids => "(a string id, on a kind with number ids)".to_string(),
            _ => "(a string id resolved by another policy)".to_string(),
        }
    }

    /// An instance id as a query writes it (quoted when it needs it).
    pub(crate) fn id_text(&self, kind: KindId, id: InstanceId) -> String {
        match self.schema.kinds.get(kind.index()) {
            Some(k) if k.text_ids => match self.texts.text(id) {
                Some(t) => crate::error::IdText(t).to_string(),
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
            role,
            toggles: Default::default(),
            levels: Default::default(),
        };
        self.decide(&key, None, r)
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
