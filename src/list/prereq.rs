//! Prerequisites on ancestor instances, as the walk down the ancestors sees
//! them: which ancestor ids they can tell apart, and which stand for one another.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::maps::{on_bits, Maps};
use super::probe::named_at;
use crate::def::InstanceId;
use crate::engine::{Policy, SubjectRef};
use crate::ids::{KindId, SubjectId};
use crate::model::{Kind, Slot};
use crate::table::{Affine, IntHasher};

/// A prerequisite on an ancestor instance that can remove the filter's action.
#[derive(Debug)]
pub(super) struct Pre {
    /// The action's bit, and it with every action that needs it (what an unmet
    /// prerequisite removes).
    pub(super) action: u64,
    pub(super) close_up: u64,
    /// The depth of the ancestor it is decided on (1: the parent), and the
    /// actions needed there.
    pub(super) depth: usize,
    pub(super) needs: u64,
    /// The ancestor's kind.
    pub(super) kind: KindId,
    /// Per depth (`d - 1`), the ancestor ids that ancestor's own answer can tell
    /// apart, sorted; any other id answers as [`Deep::others`] does.
    pub(super) classes: Vec<Vec<InstanceId>>,
    /// Per depth (`d - 1`), for each id of `classes` (same position), the id
    /// that stands for it in the walk's state: an id that the ancestor's answer
    /// reads only through its layers' maps at that level stands for every id with
    /// the same maps (so thousands of ancestor exceptions that do the same make
    /// one state, not one each); any other id stands for itself.
    pub(super) reps: Vec<Vec<InstanceId>>,
}

impl Pre {
    /// The prerequisites on ancestor instances of kind `compiled` that can
    /// remove an action of `want`, each with the ancestor ids it can tell apart
    /// (its stand-ins are filled in later, see [`stand_ins`]).
    ///
    /// Only prerequisites whose unmet removal reaches `want` can change the
    /// answer: another one removes actions `want` does not hold, and any
    /// prerequisite it would make skipped (its action needs the removed one)
    /// removes no more than it does.
    pub(super) fn of_kind(
        policy: &Policy,
        info: Option<SubjectRef<'_>>,
        compiled: &Kind,
        want: u64,
    ) -> Vec<Pre> {
        let depth = compiled.chain.len();
        compiled
            .ancestor_prerequisites
            .iter()
            .filter_map(|p| {
                let action = 1u64 << (p.action & 63);
                let close_up = compiled.close_up(action);
                if close_up & want == 0 {
                    return None;
                }
                let mut classes = vec![Vec::new(); depth];
                relevant(policy, info, p.kind, usize::from(p.depth), &mut classes);
                for c in &mut classes {
                    c.sort_unstable();
                    c.dedup();
                }
                Some(Pre {
                    action,
                    close_up,
                    depth: usize::from(p.depth),
                    needs: p.needs,
                    classes,
                    reps: Vec::new(),
                    kind: p.kind,
                })
            })
            .collect()
    }
}

/// Appends to `out` (indexed by depth below the filter's kind, `d - 1`) the
/// ancestor ids the answer on an ancestor of kind `kind` at depth `at` can tell
/// apart: those its own layers name at each of its slots (its own id, then its
/// ancestors'), and, for each prerequisite it has on an ancestor of its own,
/// those that ancestor's answer can tell apart.
pub(super) fn relevant(
    policy: &Policy,
    info: Option<SubjectRef<'_>>,
    kind: KindId,
    at: usize,
    out: &mut [Vec<InstanceId>],
) {
    let Some(compiled) = policy.schema.kinds.get(kind.index()) else {
        return;
    };
    for level in 0..=compiled.chain.len() {
        if let Some(ids) = (at + level).checked_sub(1).and_then(|i| out.get_mut(i)) {
            ids.extend(named_at(policy, info, Slot::new(kind, level as u8)));
        }
    }
    // The recursion goes up the chain: at most `MAX_ANCESTORS` deep.
    for q in &compiled.ancestor_prerequisites {
        relevant(policy, info, q.kind, at + usize::from(q.depth), out);
    }
}

/// For prerequisite `p`, per depth (`d - 1`), each id of its classes to the id
/// that stands for it (see [`Pre::reps`]). At a level of the ancestor that none
/// of its own prerequisites on ancestors reads, an id enters the ancestor's answer
/// only through the ancestor kind's role and subject maps there: ids whose maps
/// agree on the bits that answer reads (the needed actions, and the actions of
/// the ancestor's own prerequisites) stand for one another, and those that agree
/// with an id named nowhere stand for `others`' id.
pub(super) fn stand_ins(
    policy: &Policy,
    subject: SubjectId,
    p: &Pre,
    others: &[InstanceId],
) -> Vec<Vec<InstanceId>> {
    let entry = policy.list_entry(subject, p.kind);
    let compiled = policy.schema.kinds.get(p.kind.index());
    let first_read = compiled
        .and_then(|c| {
            c.ancestor_prerequisites
                .iter()
                .map(|q| usize::from(q.depth))
                .min()
        })
        .unwrap_or(usize::MAX);
    let bits = compiled.map_or(p.needs, |c| {
        c.ancestor_prerequisites
            .iter()
            .fold(p.needs, |b, q| b | 1u64 << (q.action & 63))
    });
    let maps = entry.map(|(subj, _, pk)| Maps::new(policy, subj, pk, p.kind));
    p.classes
        .iter()
        .zip(others)
        .enumerate()
        .map(|(i, (ids, &other))| {
            let level = (i + 1).checked_sub(p.depth);
            match (level, maps) {
                (Some(level), Some(maps)) if level < first_read => {
                    let sig = |id: InstanceId| {
                        let (r, s) = maps.at(level, Some(id));
                        (on_bits(r, bits), on_bits(s, bits))
                    };
                    // Few distinct maps (they are masks of a few bits): a cheap hash.
                    let mut seen: HashMap<
                        (Affine, Affine),
                        InstanceId,
                        BuildHasherDefault<IntHasher>,
                    > = HashMap::default();
                    seen.insert(sig(other), other);
                    ids.iter()
                        .map(|&id| *seen.entry(sig(id)).or_insert(id))
                        .collect()
                }
                _ => ids.clone(),
            }
        })
        .collect()
}
