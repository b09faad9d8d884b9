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

use serde::{Deserialize, Serialize};

use crate::def::InstanceId;
use crate::engine::{Policy, ProfileKey};
use crate::ids::{KindId, Resource, RoleId};
use crate::model::{Kind, Layer, Schema, Scoped, Slot, StateIx};

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
    pub(crate) rule: Rule,
    pub(crate) text: String,
    pub(crate) decisive: bool,
    pub(crate) relevant: bool,
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

    /// Step 3: the role's sets (or a level's), then the toggles'. The scoped
    /// sets that result.
    fn kind_wide_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        key: &ProfileKey,
        k: KindId,
    ) -> Scoped {
        let role = self.schema.roles.get(key.role.index());
        let rs = role
            .and_then(|r| r.sets.get(k.index()))
            .copied()
            .unwrap_or_default();
        t.step_as(Rule::Role, rs.any, true, |t| self.role_text(t, key, k, rs));
        let mut scoped = match key.levels.iter().find(|(lk, _)| *lk == k) {
            Some(&(_, l)) => {
                let (lname, lmask) = t.kind.level(l).cloned().unwrap_or_default();
                t.step_as(Rule::Level, lmask, true, |t| {
                    format!(
                        "level `{lname}` on `{}` replaces the role's set with {}: {}",
                        t.kind.name,
                        t.names(lmask),
                        t.change(t.set, lmask)
                    )
                });
                Scoped {
                    any: lmask,
                    ..Default::default()
                }
            }
            None => rs,
        };
        for &tg in &key.toggles {
            let Some(toggle) = self.schema.toggles.get(tg.index()) else {
                continue;
            };
            if let Some((_, ts)) = toggle.sets.iter().find(|(tk, _)| *tk == k) {
                let before = t.set;
                scoped = scoped.union(*ts);
                t.step(Rule::Toggle, before | ts.any, |t| {
                    let mut text = format!(
                        "toggle `{}` {}",
                        toggle.name,
                        t.change(before, before | ts.any)
                    );
                    if ts.own | ts.managed != 0 {
                        text.push_str(" (and scoped grants)");
                    }
                    text
                });
            }
        }
        scoped
    }

    /// What the role gives on kind `k`, its base chain, and what its `remove`
    /// took.
    fn role_text<O: Observer>(
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

    /// Step 4: the scoped grants the owner earns.
    fn scope_step<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        who: Option<&Traced<'_>>,
        r: &Resource,
        scoped: Scoped,
    ) {
        if scoped.own | scoped.managed == 0 {
            return;
        }
        // Scoped grants that did not count bear on a denial of what they hold.
        let missed = (scoped.own | scoped.managed) & t.want != 0 && t.set & t.want == 0;
        let relation = match (who, r.owner) {
            (Some(w), _) => w.owner.clone(),
            (None, Some(o)) => Relation::Other(self.subject_name(o).into()),
            (None, None) => Relation::NoOwner,
        };
        let x = match relation {
            Relation::Own => scoped.any | scoped.own,
            Relation::Managed(_) => scoped.any | scoped.managed,
            Relation::Other(_) | Relation::NoOwner => scoped.any,
        };
        let counted = x != t.set;
        t.step(Rule::Scope, x, |t| match &relation {
            Relation::Own => format!(
                "the subject owns the instance: own-scoped grants count, {}",
                t.change(t.set, x)
            ),
            Relation::Managed(o) => format!(
                "the owner `{o}` is managed by the subject: managed-scoped grants count, {}",
                t.change(t.set, x)
            ),
            Relation::Other(o) => format!(
                "the owner `{o}` is neither the subject nor managed by it: scoped grants do not count"
            ),
            Relation::NoOwner => "no owner given: scoped grants do not count".to_string(),
        });
        if !counted && missed {
            if let Some(last) = t.obs.steps().last_mut() {
                last.relevant = true;
            }
        }
    }

    /// Step 5 for one layer: its rules written in ancestors, outermost first,
    /// then its rules on the instance itself; in each, the restriction and then
    /// the exception.
    fn layer_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        layer: &Layer,
        r: &Resource,
        who: &str,
        role_name: Option<&str>,
    ) {
        let k = r.kind;
        let chain = t.kind.chain.clone();
        // INVARIANT (chains): at most `MAX_ANCESTORS` long, so depths fit a `u8`.
        let depths = (0..=chain.len()).filter_map(|d| Some((d, u8::try_from(d).ok()?)));
        for (d, depth) in depths.rev() {
            let (sl, of, id) = if d == 0 {
                (Slot::of(k), k, r.id)
            } else {
                let Some(&a) = chain.get(d - 1) else {
                    continue;
                };
                (
                    Slot::new(k, depth),
                    a,
                    r.ancestors().get(d - 1).map(|x| x.id),
                )
            };
            let place = || {
                if d == 0 {
                    t.kind.name.clone()
                } else {
                    format!("{} in {}", t.kind.name, self.kind_name(of))
                }
            };
            if let Some(res) = layer.restriction(sl) {
                let hit = id.is_some_and(|id| res.ids.binary_search(&id).is_ok());
                let next = if hit {
                    t.set | res.allow
                } else {
                    t.set & !res.deny
                };
                let text = |t: &Trace<'_, O>| {
                    let given = match (d, id) {
                        (0, _) | (_, Some(_)) => "",
                        (_, None) => " (the resource does not say which one it is in)",
                    };
                    format!(
                        "{}'s restriction on {} holds {} only on {}{given}: {}",
                        self.layer_owner(who, role_name, res.origin.role),
                        place(),
                        t.names(res.actions),
                        self.ids_text(of, &res.ids, id, hit),
                        t.change(t.set, next)
                    )
                };
                t.step(Rule::Restriction, next, text);
            }
            if let Some(e) = id.and_then(|id| layer.exception(sl, id)) {
                let next = e.op.affine().apply(t.set);
                t.step(Rule::Exception, next, |t| {
                    format!(
                        "{}'s exception on {} {} {}: {}",
                        self.layer_owner(who, role_name, e.origin.role),
                        place(),
                        self.show_id(of, e.id),
                        exception_text(t, e.op),
                        t.change(t.set, next)
                    )
                });
            }
        }
    }

    /// Who wrote a layer's rule: the subject, the role, or the base role it
    /// inherited the rule from.
    fn layer_owner(&self, who: &str, role_name: Option<&str>, origin: Option<RoleId>) -> String {
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
    fn ids_text(
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

    /// Step 6: prerequisites on other kinds (kind-wide), then on ancestor
    /// instances (decided in full there, quietly).
    fn prerequisite_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        key: &ProfileKey,
        who: Option<&Traced<'_>>,
        r: &Resource,
        sets: &[Scoped],
    ) {
        let kind = t.kind;
        for p in &kind.prerequisites {
            if self.schema.prerequisite_met(p, sets) {
                continue;
            }
            let next = t.set & !kind.close_up(1u64 << p.action);
            t.step(Rule::Prerequisite, next, |t| {
                let other = self.schema.kinds.get(p.kind.index());
                let oname = other.map_or("", |o| o.name.as_str());
                let needs = other.map_or(String::new(), |o| names(o, p.needs));
                let held = other.map_or(String::new(), |o| {
                    if o.available {
                        names(o, sets.get(p.kind.index()).map_or(0, |s| s.any))
                    } else {
                        "nothing (the kind is unavailable)".to_string()
                    }
                });
                format!(
                    "prerequisite: `{}` needs {needs} on `{oname}`, the subject holds {held} there: {}",
                    action_name(kind, p.action),
                    t.change(t.set, next)
                )
            });
        }
        for p in &kind.ancestor_prerequisites {
            let anc = r.ancestor_resource(usize::from(p.depth));
            let held = anc.map(|a| {
                let again = who.map(|w| Traced {
                    name: w.name.clone(),
                    layer: w.layer,
                    owner: Relation::NoOwner,
                });
                let bits = self
                    .evaluate(key, again.as_ref(), 0, &a, Quiet)
                    .map_or(0, |(set, _)| set);
                (a, bits)
            });
            if held.is_some_and(|(_, bits)| bits & p.needs == p.needs) {
                continue;
            }
            let next = t.set & !kind.close_up(1u64 << p.action);
            t.step(Rule::Prerequisite, next, |t| {
                let akind = self.schema.kinds.get(p.kind.index());
                let aname = akind.map_or("", |a| a.name.as_str());
                let there = match &held {
                    None => format!("the resource does not say which `{aname}` it is in"),
                    Some((a, bits)) => format!(
                        "the subject may do {} on `{aname}` {}",
                        akind.map_or(String::new(), |x| names(x, *bits)),
                        a.id.map_or(String::new(), |id| self.show_id(p.kind, id))
                    ),
                };
                format!(
                    "prerequisite on the `{aname}` it is in: `{}` needs {} there, and {there}: {}",
                    action_name(kind, p.action),
                    akind.map_or(String::new(), |a| names(a, p.needs)),
                    t.change(t.set, next)
                )
            });
        }
    }

    /// Step 7: the state's rules.
    fn state_steps<O: Observer>(&self, t: &mut Trace<'_, O>, key: &ProfileKey, s: StateIx) {
        let kind = t.kind;
        let sname = kind.state_name(s).unwrap_or("");
        for rule in kind.state_rules.iter().filter(|x| x.state == s) {
            if Schema::state_rule_applies(rule, key) {
                let next = t.set & !rule.hold;
                t.step(Rule::StateRule, next, |t| {
                    format!(
                        "state rule `{sname}` holds {} back: {}",
                        t.names(rule.hold),
                        t.change(t.set, next)
                    )
                });
            } else {
                let relevant = kind.close_up(rule.hold) & t.want & t.set != 0;
                t.note(Rule::StateRule, relevant, |t| {
                    format!(
                        "state rule `{sname}` holds {} back, but not from this subject ({})",
                        t.names(rule.hold),
                        exempt_by(self, rule, key)
                    )
                });
            }
        }
    }
}

/// A long restriction is summarised past this many ids.
const SHOWN_IDS: usize = 16;

fn action_name(kind: &Kind, bit: u8) -> &str {
    kind.actions
        .get(usize::from(bit))
        .map_or("", String::as_str)
}

/// What an exception does, in words.
fn exception_text<O: Observer>(t: &Trace<'_, O>, op: crate::model::ExceptionOp) -> String {
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
fn exempt_by(policy: &Policy, rule: &crate::model::StateRule, key: &ProfileKey) -> String {
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
