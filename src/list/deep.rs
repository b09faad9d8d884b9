//! The filter of a kind whose answers depend on ancestors or that has string ids:
//! a walk down the ancestors, parent first, one node per distinct state (see the
//! folder's docs).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use smallvec::{smallvec, SmallVec};

use super::cond::{body_of, strings_of};
use super::filter::{Branch, Named, Within, WithinIds};
use super::maps::{on_bits, Maps};
use super::prereq::{stand_ins, Pre};
use super::probe::{named_at, unnamed_id, Answers, Compiled, Probe, MANAGED, OWNER_CLASSES};
use crate::def::InstanceId;
use crate::engine::{Policy, SubjectRef, Texts};
use crate::ids::{Instance, KindId, Resource, SubjectId};
use crate::model::Slot;
use crate::table::{Affine, IntHasher};

/// Where a walk down an instance's ancestors (parent first) stands: how many are
/// read, and what they did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct State {
    pub(super) depth: usize,
    /// The role layer's maps for the ancestors read (the parent's applied last),
    /// on [`Deep::bits`] only (the identity elsewhere).
    pub(super) role: Affine,
    /// The subject's own layer's, likewise.
    pub(super) subject: Affine,
    /// Per prerequisite of [`Deep::pres`]: the classes of the ancestors it reads,
    /// from its depth to `depth` (empty while `depth` is above it).
    pub(super) paths: SmallVec<[SmallVec<[InstanceId; 4]>; 2]>,
}

/// The filter of a kind whose answers depend on ancestors or that has string
/// ids, read off what `Policy::contained` reads (see the module docs).
#[derive(Debug)]
pub(super) struct Deep<'p> {
    pub(super) policy: &'p Policy,
    pub(super) subject: SubjectId,
    pub(super) kind: KindId,
    pub(super) chain: &'p [KindId],
    pub(super) maps: Maps<'p>,
    pub(super) string_ids: bool,
    pub(super) want: u64,
    /// `want` and the actions of `pres`: the bits an answer reads.
    pub(super) bits: u64,
    pub(super) scoped: [u64; OWNER_CLASSES],
    pub(super) keeps: SmallVec<[u64; 8]>,
    pub(super) managed: &'p [u32],
    pub(super) own_named: Vec<InstanceId>,
    pub(super) own_other: InstanceId,
    /// Per depth (`d - 1`), the ancestor ids with a class of their own, sorted.
    pub(super) classes: Vec<Vec<InstanceId>>,
    /// Per depth, an id in no class (for a kind with string ids, the unnamed one).
    pub(super) others: Vec<InstanceId>,
    /// `role_tail[d]`: the role layer's maps for depths `d + 1` and up (further up
    /// the chain), none of them given, outermost first; `subject_tail` likewise.
    pub(super) role_tail: Vec<Affine>,
    pub(super) subject_tail: Vec<Affine>,
    pub(super) pres: Vec<Pre>,
    pub(super) met: HashMap<(usize, SmallVec<[InstanceId; 4]>), bool>,
    pub(super) memo: HashMap<State, usize>,
    pub(super) nodes: Vec<Branch>,
    /// Nodes by content. Keys are whole subtrees, and there are few of them (one
    /// per distinct conditions), so a cheap hash serves: a collision costs one
    /// compare among few.
    pub(super) interned: HashMap<Branch, usize, BuildHasherDefault<IntHasher>>,
}

/// Per depth (`d - 1`), the ancestor ids with a class of their own, sorted: those
/// the subject's and its role's rules written in that ancestor name, and those
/// a prerequisite in `pres` can tell apart there.
fn ancestor_classes(
    policy: &Policy,
    info: Option<SubjectRef<'_>>,
    k: KindId,
    depth: usize,
    pres: &[Pre],
) -> Vec<Vec<InstanceId>> {
    let mut classes: Vec<Vec<InstanceId>> = (1..=depth)
        .map(|d| named_at(policy, info, Slot::new(k, d as u8)))
        .collect();
    for p in pres {
        for (c, pc) in classes.iter_mut().zip(&p.classes) {
            c.extend_from_slice(pc);
        }
    }
    for c in &mut classes {
        c.sort_unstable();
        c.dedup();
    }
    classes
}

/// A string no rule names resolves to this number (see `Policy::instance`).
fn unnamed_text(policy: &Policy) -> InstanceId {
    Texts::UNNAMED | policy.texts.len() as u64
}

/// Per depth, an id in no class of `classes` (for an ancestor kind with string
/// ids, the unnamed string's number).
fn others(policy: &Policy, classes: &[Vec<InstanceId>], chain: &[KindId]) -> Vec<InstanceId> {
    let text = |a: KindId| {
        policy
            .schema
            .kinds
            .get(a.index())
            .is_some_and(|x| x.text_ids)
    };
    classes
        .iter()
        .zip(chain)
        .map(|(c, &a)| {
            if text(a) {
                unnamed_text(policy)
            } else {
                unnamed_id(c)
            }
        })
        .collect()
}

impl<'p> Deep<'p> {
    /// The builder, or none when `can` denies every resource of `kind` to
    /// `subject` (unknown subject or kind).
    pub(super) fn new(
        policy: &'p Policy,
        subject: SubjectId,
        want: u64,
        kind: KindId,
    ) -> Option<Deep<'p>> {
        let k = kind;
        let compiled = policy.schema.kinds.get(kind.index())?;
        // Steps 4 (per owner class) and 2, 6, 7 (per state) as for a kind whose
        // answers do not depend on ancestors.
        let Compiled {
            subject: subj,
            pk,
            scoped,
            keeps,
            ..
        } = Compiled::for_want(policy, subject, want, kind)?;
        let info = policy.resolve(subject).and_then(|s| policy.info(s));
        let chain: &[KindId] = &compiled.chain;
        let mut pres = Pre::of_kind(policy, info, compiled, want);
        let bits = pres.iter().fold(want, |b, p| b | p.action);
        let classes = ancestor_classes(policy, info, k, chain.len(), &pres);
        let others = others(policy, &classes, chain);
        for p in &mut pres {
            p.reps = stand_ins(policy, subject, p, &others);
        }
        let own_named = named_at(policy, info, Slot::of(k));
        let own_other = if compiled.text_ids {
            unnamed_text(policy)
        } else {
            unnamed_id(&own_named)
        };
        let maps = Maps::new(policy, subj, pk, k);
        let (role_tail, subject_tail) = maps.tails(chain.len());
        Some(Deep {
            policy,
            subject,
            kind,
            chain,
            maps,
            string_ids: compiled.text_ids,
            want,
            bits,
            scoped,
            keeps,
            managed: info.map_or(&[][..], |i| i.manages()),
            own_named,
            own_other,
            classes,
            others,
            role_tail,
            subject_tail,
            pres,
            met: HashMap::new(),
            memo: HashMap::new(),
            nodes: Vec::new(),
            interned: HashMap::default(),
        })
    }

    /// The whole tree.
    pub(super) fn build(&mut self, states: &[String]) -> Branch {
        let start = State {
            depth: 0,
            role: on_bits(Affine::IDENTITY, self.bits),
            subject: on_bits(Affine::IDENTITY, self.bits),
            paths: self.pres.iter().map(|_| SmallVec::new()).collect(),
        };
        let root = self.node(start, states);
        self.branch_at(root)
    }

    fn branch_at(&self, n: usize) -> Branch {
        self.nodes.get(n).cloned().unwrap_or_else(Branch::nothing)
    }

    fn intern(&mut self, branch: Branch) -> usize {
        if let Some(&n) = self.interned.get(&branch) {
            return n;
        }
        let n = self.nodes.len();
        self.nodes.push(branch.clone());
        self.interned.insert(branch, n);
        n
    }

    /// The branch for the instances given exactly the ancestors `state` read, and
    /// possibly more: its conditions when no further ancestor is given, and a split
    /// on the next one when that can change an answer.
    fn node(&mut self, state: State, states: &[String]) -> usize {
        if let Some(&n) = self.memo.get(&state) {
            return n;
        }
        let body = self.leaf(&state, states);
        let d = state.depth;
        let branch = match (self.chain.get(d).copied(), self.others.get(d).copied()) {
            (Some(akind), Some(other)) => self.split(&state, akind, other, body, states),
            _ => body,
        };
        let n = self.intern(branch);
        self.memo.insert(state, n);
        n
    }

    /// The branch for instances at `state` given `body` for those given no
    /// further ancestor: `body` itself when the next ancestor (of kind `akind`;
    /// `other` an id in no class there) changes nothing, else `body` with a
    /// split on it.
    fn split(
        &mut self,
        state: &State,
        akind: KindId,
        other: InstanceId,
        body: Branch,
        states: &[String],
    ) -> Branch {
        let next = self.step(state, other);
        let other_child = self.node(next, states);
        let groups = self.children(state, other_child, states);
        let default = self.branch_at(other_child);
        if groups.is_empty() && default.within.is_none() && default.same_conditions(&body) {
            // The next ancestor changes nothing, whichever it is.
            return body;
        }
        let text = self
            .policy
            .schema
            .kinds
            .get(akind.index())
            .is_some_and(|x| x.text_ids);
        let except = groups
            .into_iter()
            .map(|(child, ids)| WithinIds {
                texts: if text {
                    strings_of(&self.policy.texts, &ids)
                } else {
                    Vec::new()
                },
                ids,
                then: self.branch_at(child),
            })
            .collect();
        Branch {
            within: Some(Box::new(Within {
                depth: state.depth + 1,
                kind: Named {
                    name: self.policy.kind_name(akind).to_string(),
                    index: akind.0,
                },
                default,
                except,
            })),
            ..body
        }
    }

    /// The ids of the next ancestor's classes whose node differs from
    /// `other_child` (an id in no class), grouped by node.
    fn children(
        &mut self,
        state: &State,
        other_child: usize,
        states: &[String],
    ) -> Vec<(usize, Vec<InstanceId>)> {
        let d = state.depth;
        let mut groups: Vec<(usize, Vec<InstanceId>)> = Vec::new();
        // The few states the ids of this depth lead to, compared before
        // hashing: most ids lead to one already seen.
        let mut recent: SmallVec<[(State, usize); 8]> = SmallVec::new();
        let mut i = 0;
        while let Some(&id) = self.classes.get(d).and_then(|c| c.get(i)) {
            i += 1;
            let next = self.step(state, id);
            let child = match recent.iter().find(|(s, _)| *s == next) {
                Some(&(_, child)) => child,
                None => {
                    let child = self.node(next.clone(), states);
                    if !recent.spilled() {
                        recent.push((next, child));
                    }
                    child
                }
            };
            if child == other_child {
                continue;
            }
            match groups.iter_mut().find(|(c, _)| *c == child) {
                Some((_, ids)) => ids.push(id),
                None => groups.push((child, vec![id])),
            }
        }
        groups
    }

    /// `state` after reading `id` as the next ancestor.
    fn step(&self, state: &State, id: InstanceId) -> State {
        let e = state.depth + 1;
        let other = self.others.get(e - 1).copied().unwrap_or(id);
        let (role, subject) = self.maps.at(e, Some(id));
        State {
            depth: e,
            role: on_bits(role.then(state.role), self.bits),
            subject: on_bits(subject.then(state.subject), self.bits),
            paths: self
                .pres
                .iter()
                .zip(&state.paths)
                .map(|(p, path)| {
                    let mut path = path.clone();
                    if p.depth <= e {
                        let rep = p.classes.get(e - 1).and_then(|c| {
                            let at = c.binary_search(&id).ok()?;
                            p.reps.get(e - 1)?.get(at)
                        });
                        path.push(rep.copied().unwrap_or(other));
                    }
                    path
                })
                .collect(),
        }
    }

    /// The conditions for instances given exactly the ancestors `state` read.
    fn leaf(&mut self, state: &State, states: &[String]) -> Branch {
        let d = state.depth;
        let mut met: SmallVec<[bool; 4]> = SmallVec::new();
        for (i, path) in state.paths.iter().enumerate() {
            let read = self.pres.get(i).is_some_and(|p| p.depth <= d);
            // INVARIANT (prerequisites on ancestors, as `Policy::contained`): an
            // ancestor not given meets none.
            met.push(read && self.met(i, path));
        }
        let role = self
            .role_tail
            .get(d)
            .copied()
            .unwrap_or(Affine::IDENTITY)
            .then(state.role);
        let subject = self
            .subject_tail
            .get(d)
            .copied()
            .unwrap_or(Affine::IDENTITY)
            .then(state.subject);
        // Step 5 as `Policy::contained` takes it: the role's rules in ancestors
        // (outermost first), the role's on the instance, then the subject's.
        let answers = |id: Option<InstanceId>| {
            let (role_own, subject_own) = self.maps.at(0, id);
            let map = role.then(role_own).then(subject).then(subject_own);
            self.answers(map, &met)
        };
        let probe = Probe {
            kind: self.kind,
            subject: self.subject,
            n_states: self.keeps.len().saturating_sub(1),
            managed: self.managed,
            other_id: answers(Some(self.own_other)),
            no_id: answers(None),
            named: self
                .own_named
                .iter()
                .map(|&id| (id, answers(Some(id))))
                .collect(),
        };
        body_of(
            &probe,
            states,
            self.string_ids.then_some(&self.policy.texts),
        )
    }

    /// Whether the prerequisite `pres[i]` is met on the ancestors of classes
    /// `path` (its own, then those above it): the engine's own answer on that
    /// ancestor, as a check asks it.
    fn met(&mut self, i: usize, path: &SmallVec<[InstanceId; 4]>) -> bool {
        let key = (i, path.clone());
        if let Some(&m) = self.met.get(&key) {
            return m;
        }
        let Some(p) = self.pres.get(i) else {
            return false;
        };
        let mut ancestor: Option<Resource> = None;
        for (j, &id) in path.iter().enumerate() {
            let Some(instance) = self.instance(p.depth + j, id) else {
                break;
            };
            ancestor = Some(match ancestor {
                None => Resource::new(instance.kind).with_instance(instance),
                Some(r) => r.within(instance),
            });
        }
        let ok = ancestor
            .is_some_and(|r| self.policy.allowed_bits(self.subject, &r) & p.needs == p.needs);
        self.met.insert(key, ok);
        ok
    }

    /// The ancestor at depth `e` with id `id`, as a caller would resolve it.
    fn instance(&self, e: usize, id: InstanceId) -> Option<Instance> {
        let kind = *self.chain.get(e.checked_sub(1)?)?;
        let text = self.policy.schema.kinds.get(kind.index())?.text_ids;
        Some(Instance {
            id,
            kind,
            stamp: if text {
                self.policy.texts.stamp_of(id)
            } else {
                0
            },
        })
    }

    /// The answers on one class of ids (see [`Answers`]) under the layers' map
    /// `map`, with the prerequisites of `pres` met as `met` says: steps 6 and 7
    /// as `Policy::contained` takes them (the keep mask, then each prerequisite
    /// on an ancestor in turn).
    fn answers(&self, map: Affine, met: &[bool]) -> Answers {
        let width = self.keeps.len();
        let mut bits: Answers = smallvec![0; (OWNER_CLASSES * width).div_ceil(64)];
        for (o, set) in self.scoped.iter().enumerate() {
            if o == MANAGED && self.managed.is_empty() {
                continue;
            }
            let x = map.apply(*set);
            for (s, keep) in self.keeps.iter().enumerate() {
                let mut x = x & keep;
                for (p, ok) in self.pres.iter().zip(met) {
                    if x & p.action != 0 && !ok {
                        x &= !p.close_up;
                    }
                }
                if x & self.want == self.want {
                    let i = o * width + s;
                    if let Some(w) = bits.get_mut(i / 64) {
                        *w |= 1 << (i % 64);
                    }
                }
            }
        }
        bits
    }
}
