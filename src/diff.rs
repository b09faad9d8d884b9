//! What changed between two policies: per subject and per role, the `(kind, action)`
//! pairs gained and lost, on every class of resource where answers can differ.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::{IdDef, InstanceId};
use crate::engine::Policy;
use crate::ids::{KindId, Resource, SubjectId};
use crate::model::{Layer, Slot};

/// Whose permissions a [`DiffEntry`] is about. Serializes as `{"Subject":
/// "bo"}` or `{"Role": "Admin"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Holder {
    /// A subject, by name.
    Subject(String),
    /// A role (a holder with no toggles, levels or exceptions of its own), by name.
    Role(String),
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Subject(s) => write!(f, "subject `{s}`"),
            Holder::Role(r) => write!(f, "role `{r}`"),
        }
    }
}

/// The owner class of the resources an entry is about. Serializes as `"None"`,
/// `"Own"` or `{"Of": "ana"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OwnerClass {
    /// No owner given, or one the holder neither is nor manages in either policy.
    None,
    /// Owned by the holder.
    Own,
    /// Owned by this subject, which the holder manages in at least one of the
    /// policies.
    Of(String),
}

/// One changed answer: on `kind` (instance `id`, inside the ancestors `within`,
/// in `state`, owned per `owner`), `holder` gained and lost these actions.
///
/// Serializes as its fields: `{"holder": {"Subject": "bo"}, "kind": "tracking",
/// "id": null, "state": null, "owner": "None", "gained": [], "lost": ["edit"]}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DiffEntry {
    /// Whose permissions changed.
    pub holder: Holder,
    /// The kind, by name.
    pub kind: String,
    /// The instance, when the change is on one instance only.
    pub id: Option<IdDef>,
    /// The ancestors the instances are in, parent first, when the change is only
    /// inside them: `(kind, id)`, with no id for "any instance no rule names".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub within: Vec<(String, Option<IdDef>)>,
    /// The state, when the change is in one state only.
    pub state: Option<String>,
    /// The owner class.
    pub owner: OwnerClass,
    /// Actions allowed now and not before, in the kind's declaration order (in
    /// the later policy).
    pub gained: Vec<String>,
    /// Actions allowed before and not now, in the kind's declaration order (in
    /// the earlier policy).
    pub lost: Vec<String>,
}

impl DiffEntry {
    /// Whether the holder gained or lost something here (an entry that did not
    /// marks an exception to its parent's change; see [`Policy::diff`]).
    pub fn changed(&self) -> bool {
        !self.gained.is_empty() || !self.lost.is_empty()
    }

    /// `` `kind:id` in state `s` (its own)``: the class of resources.
    fn class(&self) -> String {
        let mut out = format!("`{}", self.kind);
        if let Some(id) = &self.id {
            out.push_str(&format!(":{id}"));
        }
        out.push('`');
        for (k, id) in &self.within {
            match id {
                Some(id) => out.push_str(&format!(" in `{k}:{id}`")),
                None => out.push_str(&format!(" in any other `{k}`")),
            }
        }
        if let Some(s) = &self.state {
            out.push_str(&format!(" in state `{s}`"));
        }
        match &self.owner {
            OwnerClass::None => {}
            OwnerClass::Own => out.push_str(" (its own)"),
            OwnerClass::Of(s) => out.push_str(&format!(" (owned by `{s}`)")),
        }
        out
    }
}

impl fmt::Display for DiffEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}:", self.holder, self.class())?;
        if self.gained.is_empty() && self.lost.is_empty() {
            f.write_str(" unchanged")?;
        }
        if !self.gained.is_empty() {
            write!(f, " + {}", self.gained.join(", "))?;
        }
        if !self.lost.is_empty() {
            write!(f, " - {}", self.lost.join(", "))?;
        }
        Ok(())
    }
}

/// Every answer that differs between two policies ([`Policy::diff`]); `Display`
/// renders one line per entry. Serializes as `{"entries": [DiffEntry, ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDiff {
    entries: Vec<DiffEntry>,
}

impl PolicyDiff {
    /// The entries, sorted by holder, kind, id, state and owner.
    pub fn entries(&self) -> &[DiffEntry] {
        &self.entries
    }

    /// Whether the two policies answer every question alike.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One line per entry that changed; the listed classes that did not change
/// although their parent did are named on the parent's line, `(not on ...)`.
impl fmt::Display for PolicyDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return f.write_str("no change\n");
        }
        // Each unchanged entry goes with its nearest listed ancestor.
        let mut except: HashMap<usize, Vec<String>> = HashMap::new();
        for e in self.entries.iter().filter(|e| !e.changed()) {
            let mut class = parent(&(
                e.id.clone(),
                e.within.clone(),
                e.state.clone(),
                e.owner.clone(),
            ));
            while let Some(c) = class {
                let hit = self.entries.iter().position(|p| {
                    p.holder == e.holder
                        && p.kind == e.kind
                        && (&p.id, &p.within, &p.state, &p.owner) == (&c.0, &c.1, &c.2, &c.3)
                });
                if let Some(i) = hit {
                    except.entry(i).or_default().push(e.class());
                    break;
                }
                class = parent(&c);
            }
        }
        for (i, e) in self.entries.iter().enumerate().filter(|(_, e)| e.changed()) {
            write!(f, "{e}")?;
            if let Some(not) = except.get(&i) {
                write!(f, " (not on {})", not.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// One side of the comparison for one holder and kind.
struct Side<'p> {
    policy: &'p Policy,
    kind: Option<KindId>,
}

impl Side<'_> {
    fn names_of(&self, bits: Option<u64>) -> Vec<String> {
        bits.map_or_else(Vec::new, |b| self.names(b))
    }

    /// The names of the actions of `bits`, in declaration order.
    fn names(&self, bits: u64) -> Vec<String> {
        let Some(k) = self.kind else {
            return Vec::new();
        };
        self.policy
            .actions(k)
            .filter(|a| bits & a.mask() != 0)
            .map(|a| self.policy.action_name(a).to_string())
            .collect()
    }

    /// The resource of this side's kind with `id`, in the ancestors `within`
    /// (`others` stands in for "any other instance" at each depth) and the state
    /// named `state`; none if the kind, an ancestor kind or the state does not
    /// exist on this side.
    fn resource(
        &self,
        id: Option<&IdDef>,
        within: &[(String, Option<IdDef>)],
        others: &[IdDef],
        state: Option<&str>,
    ) -> Option<Resource> {
        let p = self.policy;
        let k = self.kind?;
        let mut r = Resource::new(k);
        if let Some(id) = id {
            r = r.with_instance(instance(p, k, id));
        }
        for (d, (kname, id)) in within.iter().enumerate() {
            let ak = p.kind(kname)?;
            let id = id.as_ref().or(others.get(d))?;
            r = r.within(instance(p, ak, id));
        }
        if let Some(st) = self.state(state)? {
            r = r.with_state(st);
        }
        Some(r)
    }

    fn state(&self, name: Option<&str>) -> Option<Option<crate::StateId>> {
        match name {
            None => Some(None),
            Some(n) => self.kind.and_then(|k| self.policy.state(k, n)).map(Some),
        }
    }
}

impl Policy {
    /// Every answer that differs from `self` (before) to `after`, for every subject
    /// and role of either, on every kind of either. Exact and complete: answers can
    /// only differ by instance id where an exception or restriction names the id, by
    /// state, and by owner class (none, own, managed), and every such class is
    /// compared. To keep it short, a class is listed only when its change differs
    /// from its parent's: an instance's parent is the kind in general (same state and
    /// owner), a state's parent is no state (same owner), an owner class's parent is
    /// no owner. An unlisted class (or an instance no rule names) changed as its
    /// nearest listed ancestor did; an entry with nothing gained or lost marks a
    /// listed class that did not change although its parent did. `Display`
    /// prints only changes: such an entry is named on its ancestor's line, `(not
    /// on ...)`. Actions are listed in declaration order.
    ///
    /// ```
    /// # use accessmask::{Change, Policy, PolicyDef};
    /// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"tracking":
    /// #   {"actions": ["view", "edit"], "levels": {"No Access": [], "Read Only Access": ["view"],
    /// #    "Full Access": ["view", "edit"]}}},
    /// #   "roles": {"Admin": {"grants": {"tracking": {"level": "Full Access"}}}},
    /// #   "subjects": {"bo": {"role": "Admin"}}}"#)?;
    /// let before = Policy::compile(&def)?;
    /// let after = before.change(&Change::SetLevel {
    ///     subject: "bo".into(),
    ///     kind: "tracking".into(),
    ///     level: Some("Read Only Access".into()),
    /// })?;
    /// assert_eq!(before.diff(&after).to_string(), "subject `bo` on `tracking`: - edit\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn diff(&self, after: &Policy) -> PolicyDiff {
        let mut entries = Vec::new();
        let kinds = union_of_names(
            self.kinds().map(|k| self.kind_name(k)),
            after.kinds().map(|k| after.kind_name(k)),
        );
        let subjects = union_of_names(
            self.subjects().map(|s| self.subject_name(s)),
            after.subjects().map(|s| after.subject_name(s)),
        );
        let roles = union_of_names(
            self.roles().map(|r| self.role_name(r)),
            after.roles().map(|r| after.role_name(r)),
        );
        for kname in &kinds {
            let old = Side {
                policy: self,
                kind: self.kind(kname),
            };
            let new = Side {
                policy: after,
                kind: after.kind(kname),
            };
            let mut states: Vec<Option<String>> = vec![None];
            for side in [&old, &new] {
                if let Some(k) = side.kind {
                    for st in side.policy.states(k) {
                        let n = Some(side.policy.state_name(st).to_string());
                        if !states.contains(&n) {
                            states.push(n);
                        }
                    }
                }
            }
            for sname in &subjects {
                let sides = [
                    (&old, Some(sname.as_str()), None),
                    (&new, Some(sname.as_str()), None),
                ];
                let ids = instance_ids(&sides);
                let (within, others) = ancestor_classes(&sides);
                let mut group = Group::new(Holder::Subject(sname.clone()), kname);
                let mut owners = vec![OwnerClass::None, OwnerClass::Own];
                for p in [self, after] {
                    if let Some(info) = p.subject(sname).and_then(|s| p.info(s.index)) {
                        for &m in info.manages() {
                            let class = OwnerClass::Of(p.subject_name(SubjectId(m)).to_string());
                            if !owners.contains(&class) {
                                owners.push(class);
                            }
                        }
                    }
                }
                for (id, w) in ids
                    .iter()
                    .flat_map(|id| within.iter().map(move |w| (id, w)))
                {
                    for st in &states {
                        for owner in &owners {
                            let at = (id.as_ref(), &w[..], &others[..], st.as_deref());
                            let a = subject_bits(&old, sname, at, owner);
                            let b = subject_bits(&new, sname, at, owner);
                            group.add((id, w), st, owner.clone(), old.names_of(a), new.names_of(b));
                        }
                    }
                }
                entries.extend(group.entries);
            }
            for rname in &roles {
                let sides = [
                    (&old, None, Some(rname.as_str())),
                    (&new, None, Some(rname.as_str())),
                ];
                let ids = instance_ids(&sides);
                let (within, others) = ancestor_classes(&sides);
                let mut group = Group::new(Holder::Role(rname.clone()), kname);
                for (id, w) in ids
                    .iter()
                    .flat_map(|id| within.iter().map(move |w| (id, w)))
                {
                    for st in &states {
                        let at = (id.as_ref(), &w[..], &others[..], st.as_deref());
                        let a = role_bits(&old, rname, at);
                        let b = role_bits(&new, rname, at);
                        group.add(
                            (id, w),
                            st,
                            OwnerClass::None,
                            old.names_of(a),
                            new.names_of(b),
                        );
                    }
                }
                entries.extend(group.entries);
            }
        }
        entries.sort();
        PolicyDiff { entries }
    }
}

type Within = Vec<(String, Option<IdDef>)>;
type Class = (Option<IdDef>, Within, Option<String>, OwnerClass);
type Delta = (Vec<String>, Vec<String>);

/// The names of `a`, then those of `b` not in `a`.
fn union_of_names<'a>(
    a: impl Iterator<Item = &'a str>,
    b: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = a.map(str::to_string).collect();
    for n in b {
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// The class whose change an unlisted class shares: the same without its id, else
/// without its state, else without its owner.
fn parent(class: &Class) -> Option<Class> {
    match class {
        (Some(_), w, st, o) => Some((None, w.clone(), st.clone(), o.clone())),
        (None, w, st, o) if !w.is_empty() => {
            let outer = w.get(..w.len() - 1).unwrap_or(&[]).to_vec();
            Some((None, outer, st.clone(), o.clone()))
        }
        (None, _, Some(_), o) => Some((None, Vec::new(), None, o.clone())),
        (None, _, None, OwnerClass::None) => None,
        (None, _, None, _) => Some((None, Vec::new(), None, OwnerClass::None)),
    }
}

/// The entries of one holder on one kind. Classes are added parents first (no id,
/// state or owner first); a class is listed only when its change differs from its
/// parent's, so a kind-wide change is one line, not one per instance and state.
struct Group {
    holder: Holder,
    kind: String,
    seen: HashMap<Class, Delta>,
    entries: Vec<DiffEntry>,
}

impl Group {
    fn new(holder: Holder, kind: &str) -> Self {
        Group {
            holder,
            kind: kind.to_string(),
            seen: HashMap::new(),
            entries: Vec::new(),
        }
    }

    fn add(
        &mut self,
        (id, within): (&Option<IdDef>, &Within),
        state: &Option<String>,
        owner: OwnerClass,
        before: Vec<String>,
        now: Vec<String>,
    ) {
        let change: Delta = (
            now.iter()
                .filter(|a| !before.contains(a))
                .cloned()
                .collect(),
            before
                .iter()
                .filter(|a| !now.contains(a))
                .cloned()
                .collect(),
        );
        let class: Class = (id.clone(), within.clone(), state.clone(), owner.clone());
        let inherited = parent(&class).and_then(|p| self.seen.get(&p));
        let listed = match inherited {
            Some(p) => *p != change,
            None => !change.0.is_empty() || !change.1.is_empty(),
        };
        if listed {
            self.entries.push(DiffEntry {
                holder: self.holder.clone(),
                kind: self.kind.clone(),
                id: id.clone(),
                within: within.clone(),
                state: state.clone(),
                owner,
                gained: change.0.clone(),
                lost: change.1.clone(),
            });
        }
        self.seen.insert(class, change);
    }
}

/// A resource class of one side: id, ancestors, stand-ins for "any other"
/// ancestor, state.
type At<'a> = (
    Option<&'a IdDef>,
    &'a [(String, Option<IdDef>)],
    &'a [IdDef],
    Option<&'a str>,
);

type Sides<'a, 'p> = [(&'a Side<'p>, Option<&'a str>, Option<&'a str>); 2];

/// The layers bearing on a holder on one side: a subject's own and its role's,
/// or a role's.
fn layers<'p>(p: &'p Policy, subject: Option<&str>, role: Option<&str>) -> Vec<&'p Layer> {
    let mut out = Vec::new();
    if let Some(info) = subject
        .and_then(|s| p.subject(s))
        .and_then(|s| p.info(s.index))
    {
        out.push(info.layer());
        out.extend(p.schema.roles.get(info.role().index()).map(|r| &*r.layer));
    }
    out.extend(
        role.and_then(|r| p.role(r))
            .and_then(|r| p.schema.roles.get(r.index()))
            .map(|r| &*r.layer),
    );
    out
}

/// The ids the layers name at these slots, as documents write them (string ids
/// by their strings), of an instance of kind `of`.
fn named_at(p: &Policy, layers: &[&Layer], slots: &[Slot], of: KindId, out: &mut Vec<IdDef>) {
    for layer in layers {
        for (sl, id) in layer.named_instances() {
            if slots.contains(&sl) {
                out.push(id_def(p, of, id));
            }
        }
    }
}

/// A compiled id of kind `of` as a document writes it.
fn id_def(p: &Policy, of: KindId, id: InstanceId) -> IdDef {
    let text = p.schema.kinds.get(of.index()).is_some_and(|k| k.text_ids);
    match p.texts.text(id) {
        Some(t) if text => IdDef::String(t.to_string()),
        _ => IdDef::Number(id),
    }
}

/// Instance `id` of `k` in `p`: a number, or a string resolved in `p` (a string
/// id on a number kind, or the reverse, gives an instance every check denies).
fn instance(p: &Policy, k: KindId, id: &IdDef) -> crate::Instance {
    match id {
        IdDef::Number(n) => k.instance(*n),
        IdDef::String(t) => p.instance(k, t),
    }
}

/// None, and every id that a layer of the subject (and its role) or of the role
/// names on the side's kind, on either side.
fn instance_ids(sides: &Sides<'_, '_>) -> Vec<Option<IdDef>> {
    let mut ids = Vec::new();
    for (side, subject, role) in sides {
        let Some(k) = side.kind else { continue };
        let p = side.policy;
        named_at(p, &layers(p, *subject, *role), &[Slot::of(k)], k, &mut ids);
    }
    ids.sort_unstable();
    ids.dedup();
    std::iter::once(None)
        .chain(ids.into_iter().map(Some))
        .collect()
}

/// The ancestor classes of the kind on either side: no ancestor, then every
/// prefix of its chain with, at each depth, every id named for that position
/// and "any other" (`None`); and per depth an id that stands for "any other"
/// (named by neither side's layers at that position).
fn ancestor_classes(sides: &Sides<'_, '_>) -> (Vec<Within>, Vec<IdDef>) {
    let mut out: Vec<Within> = vec![Vec::new()];
    let mut others = Vec::new();
    // The chain as the later side has it (else the earlier): a resource in
    // ancestors of another chain is denied by the side whose chain differs.
    let Some((side, _, _)) = sides.iter().rev().find(|(s, _, _)| s.kind.is_some()) else {
        return (out, others);
    };
    let (p, Some(k)) = (side.policy, side.kind) else {
        return (out, others);
    };
    let chain: Vec<KindId> = p
        .schema
        .kinds
        .get(k.index())
        .map_or_else(Vec::new, |kd| kd.chain.to_vec());
    let mut level: Vec<Within> = vec![Vec::new()];
    for (i, &a) in chain.iter().enumerate() {
        let aname = p.kind_name(a).to_string();
        let mut ids = Vec::new();
        for (s, subject, role) in sides {
            let (Some(sk), sp) = (s.kind, s.policy) else {
                continue;
            };
            let Some(ak) = sp.kind(&aname) else { continue };
            let slots = sp.position_slots(sk, i + 1);
            named_at(sp, &layers(sp, *subject, *role), &slots, ak, &mut ids);
        }
        ids.sort_unstable();
        ids.dedup();
        others.push(other_than(
            &ids,
            p.schema.kinds.get(a.index()).is_some_and(|x| x.text_ids),
        ));
        let classes: Vec<Option<IdDef>> = ids
            .into_iter()
            .map(Some)
            .chain(std::iter::once(None))
            .collect();
        level = level
            .iter()
            .flat_map(|prefix| {
                let aname = &aname;
                classes.iter().map(move |c| {
                    let mut w = prefix.clone();
                    w.push((aname.clone(), c.clone()));
                    w
                })
            })
            .collect();
        out.extend(level.iter().cloned());
    }
    (out, others)
}

/// An id not in `named` (sorted): the first gap in the numbers, or a string of
/// spaces no rule names.
fn other_than(named: &[IdDef], text: bool) -> IdDef {
    if text {
        let mut t = String::new();
        while named.contains(&IdDef::String(t.clone())) {
            t.push(' ');
        }
        return IdDef::String(t);
    }
    let mut n: InstanceId = 0;
    for id in named {
        if *id == IdDef::Number(n) {
            n += 1;
        }
    }
    IdDef::Number(n)
}

fn subject_bits(side: &Side<'_>, name: &str, at: At<'_>, owner: &OwnerClass) -> Option<u64> {
    let p = side.policy;
    let s = p.subject(name)?;
    let mut r = side.resource(at.0, at.1, at.2, at.3)?;
    match owner {
        OwnerClass::None => {}
        OwnerClass::Own => r = r.with_owner(s),
        OwnerClass::Of(o) => {
            // An owner missing from this side owns nothing here: no owner.
            if let Some(o) = p.subject(o) {
                r = r.with_owner(o);
            }
        }
    }
    Some(p.allowed_bits(s, &r))
}

fn role_bits(side: &Side<'_>, name: &str, at: At<'_>) -> Option<u64> {
    let role = side.policy.role(name)?;
    Some(
        side.policy
            .role_bits(role, &side.resource(at.0, at.1, at.2, at.3)?),
    )
}
