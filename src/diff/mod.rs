//! What changed between two policies: per subject and per role, the `(kind, action)`
//! pairs gained and lost, on every class of resource where answers can differ.

use std::fmt;

use serde::{Deserialize, Serialize};

mod classes;

use crate::def::IdDef;
use crate::engine::Policy;
use crate::ids::{KindId, Resource, SubjectId};
use std::collections::HashMap;

use classes::{
    ancestor_classes, instance, instance_ids, parent, role_bits, subject_bits, union_of_names,
    Group,
};

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
            let states = states_of(&old, &new);
            for sname in &subjects {
                entries.extend(subject_entries([&old, &new], kname, sname, &states));
            }
            for rname in &roles {
                entries.extend(role_entries([&old, &new], kname, rname, &states));
            }
        }
        entries.sort();
        PolicyDiff { entries }
    }
}

/// No state, then every state of the kind on either side, each once.
fn states_of(old: &Side<'_>, new: &Side<'_>) -> Vec<Option<String>> {
    let mut states: Vec<Option<String>> = vec![None];
    for side in [old, new] {
        if let Some(k) = side.kind {
            for st in side.policy.states(k) {
                let n = Some(side.policy.state_name(st).to_string());
                if !states.contains(&n) {
                    states.push(n);
                }
            }
        }
    }
    states
}

/// The entries of subject `sname` on kind `kname`: every class of resource
/// (instance, ancestors, state) for every owner class it can earn on either
/// side (none, itself, each subject it manages).
fn subject_entries(
    [old, new]: [&Side<'_>; 2],
    kname: &str,
    sname: &str,
    states: &[Option<String>],
) -> Vec<DiffEntry> {
    let sides = [(old, Some(sname), None), (new, Some(sname), None)];
    let ids = instance_ids(&sides);
    let (within, others) = ancestor_classes(&sides);
    let mut group = Group::new(Holder::Subject(sname.to_string()), kname);
    let mut owners = vec![OwnerClass::None, OwnerClass::Own];
    for p in [old.policy, new.policy] {
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
        for st in states {
            for owner in &owners {
                let at = (id.as_ref(), &w[..], &others[..], st.as_deref());
                let a = subject_bits(old, sname, at, owner);
                let b = subject_bits(new, sname, at, owner);
                group.add((id, w), st, owner.clone(), old.names_of(a), new.names_of(b));
            }
        }
    }
    group.entries
}

/// The entries of role `rname` on kind `kname`: every class of resource, with
/// no owner (a role's holder in general owns nothing).
fn role_entries(
    [old, new]: [&Side<'_>; 2],
    kname: &str,
    rname: &str,
    states: &[Option<String>],
) -> Vec<DiffEntry> {
    let sides = [(old, None, Some(rname)), (new, None, Some(rname))];
    let ids = instance_ids(&sides);
    let (within, others) = ancestor_classes(&sides);
    let mut group = Group::new(Holder::Role(rname.to_string()), kname);
    for (id, w) in ids
        .iter()
        .flat_map(|id| within.iter().map(move |w| (id, w)))
    {
        for st in states {
            let at = (id.as_ref(), &w[..], &others[..], st.as_deref());
            let a = role_bits(old, rname, at);
            let b = role_bits(new, rname, at);
            group.add(
                (id, w),
                st,
                OwnerClass::None,
                old.names_of(a),
                new.names_of(b),
            );
        }
    }
    group.entries
}
