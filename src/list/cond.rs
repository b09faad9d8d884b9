//! Conditions read off a probe's answers: the simplest [`Cond`] for a table of
//! answers, and a [`Branch`] for a kind whose answers do not depend on ancestors.

use smallvec::{smallvec, SmallVec};

use super::filter::{Branch, Clause, Cond, Except, Owner, States};
use super::probe::{same, Answers, Probe, MANAGED, OTHER, OWN, OWNER_CLASSES, UNOWNED};
use crate::def::InstanceId;
use crate::engine::Texts;

impl Branch {
    /// A branch that matches nothing.
    pub(super) fn nothing() -> Branch {
        Branch::of(Cond::None)
    }

    /// A branch whose every instance follows `cond`.
    fn of(cond: Cond) -> Branch {
        Branch {
            default: cond,
            except: Vec::new(),
            no_id: None,
            within: None,
        }
    }

    /// Whether every instance, whatever its id and ancestors, follows `cond`.
    pub(super) fn is_const(&self, cond: &Cond) -> bool {
        self.default == *cond
            && self.except.is_empty()
            && self.no_id.is_none()
            && self.within.is_none()
    }

    /// Whether the two branches hold the same conditions for instances given no
    /// further ancestor.
    pub(crate) fn same_conditions(&self, other: &Branch) -> bool {
        self.default == other.default && self.except == other.except && self.no_id == other.no_id
    }

    /// Whether a condition of the branch or the branches below it mentions
    /// [`Owner::Managed`] or [`Owner::Other`] (then a filter lists the managed
    /// subjects).
    pub(super) fn mentions_managed(&self) -> bool {
        let mut found = false;
        self.each_cond(&mut |c| {
            if let Cond::Any(clauses) = c {
                found |= clauses
                    .iter()
                    .flat_map(|c| c.owners.iter().flatten())
                    .any(|o| matches!(o, Owner::Managed | Owner::Other));
            }
        });
        found
    }

    /// Calls `f` on every condition of the branch and the branches below it.
    pub(crate) fn each_cond(&self, f: &mut impl FnMut(&Cond)) {
        f(&self.default);
        for e in &self.except {
            f(&e.cond);
        }
        if let Some(c) = &self.no_id {
            f(c);
        }
        if let Some(w) = &self.within {
            w.default.each_cond(f);
            for e in &w.except {
                e.then.each_cond(f);
            }
        }
    }
}

/// The conditions read off a probe's answers (no `within`): the default from the
/// unnamed id's answers, the named ids whose answers differ grouped by answers,
/// and the no-id condition if it differs. `texts`: for a kind with string ids,
/// the policy's strings, to carry each id as its string too.
pub(super) fn body_of(p: &Probe<'_>, states: &[String], texts: Option<&Texts>) -> Branch {
    let default = cond_of(p, &p.other_id, states);
    let mut groups: SmallVec<[(&Answers, Vec<InstanceId>); 4]> = SmallVec::new();
    for (id, answers) in &p.named {
        if same(answers, &p.other_id) {
            continue;
        }
        match groups.iter_mut().find(|(a, _)| same(a, answers)) {
            Some((_, ids)) => ids.push(*id),
            None => groups.push((answers, vec![*id])),
        }
    }
    let except: Vec<Except> = groups
        .into_iter()
        .map(|(answers, ids)| Except {
            texts: texts.map_or_else(Vec::new, |t| strings_of(t, &ids)),
            ids,
            cond: cond_of(p, answers, states),
        })
        .collect();
    let no_id = (!same(&p.no_id, &p.other_id)).then(|| cond_of(p, &p.no_id, states));
    Branch {
        default,
        except,
        no_id,
        within: None,
    }
}

/// The strings the policy resolves to `ids` (each a number it gave a string).
pub(super) fn strings_of(texts: &Texts, ids: &[InstanceId]) -> Vec<String> {
    ids.iter()
        .map(|&id| texts.text(id).unwrap_or_default().to_string())
        .collect()
}

/// One owner class's row of answers: bit `s` for state `s`.
pub(super) type Row = SmallVec<[u64; 1]>;

/// The simplest condition with the answers `answers` (see [`Filter`]).
pub(super) fn cond_of(p: &Probe<'_>, answers: &Answers, states: &[String]) -> Cond {
    let rows = owner_rows(p, answers);
    let full = full_row(p.width());
    if rows.iter().all(|(_, r)| *r == full) {
        return Cond::All;
    }
    if rows.iter().all(|(_, r)| is_empty(r)) {
        return Cond::None;
    }
    Cond::Any(clauses(&rows, &full, states))
}

/// Each owner class's row of `answers`, in the order of `Clause::owners` (the
/// `MANAGED` row only when the subject manages someone).
fn owner_rows(p: &Probe<'_>, answers: &Answers) -> SmallVec<[(usize, Row); 4]> {
    let width = p.width();
    let words = width.div_ceil(64);
    let mut classes: SmallVec<[usize; 4]> = smallvec![OWN, UNOWNED, OTHER];
    if !p.managed.is_empty() {
        classes.insert(1, MANAGED);
    }
    let row = |o: usize| -> Row {
        let mut r: Row = smallvec![0; words];
        for s in 0..width {
            if p.bit(answers, o, s) {
                if let Some(w) = r.get_mut(s / 64) {
                    *w |= 1 << (s % 64);
                }
            }
        }
        r
    };
    classes.iter().map(|&o| (o, row(o))).collect()
}

/// The row with every one of `width` state classes.
fn full_row(width: usize) -> Row {
    let mut full: Row = smallvec![!0; width.div_ceil(64)];
    if let Some(last) = full.last_mut() {
        if width % 64 != 0 {
            *last = (1 << (width % 64)) - 1;
        }
    }
    full
}

fn is_empty(r: &Row) -> bool {
    r.iter().all(|w| *w == 0)
}

/// The states of row `r` (none: any state, when `r` is `full`).
fn state_set(r: &Row, full: &Row, states: &[String]) -> Option<States> {
    if r == full {
        return None;
    }
    let has = |s: usize| r.get(s / 64).is_some_and(|w| (w >> (s % 64)) & 1 != 0);
    Some(States {
        names: states
            .iter()
            .enumerate()
            .filter(|(i, _)| has(i + 1))
            .map(|(_, n)| n.clone())
            .collect(),
        unset: has(0),
    })
}

/// The clauses for `rows` (neither all full nor all empty): the states every
/// owner class has, then the owner classes that have more, grouped by what they
/// add (a class allowed in every state adds "any state").
fn clauses(rows: &[(usize, Row)], full: &Row, states: &[String]) -> Vec<Clause> {
    let mut common = full.clone();
    for (_, r) in rows {
        for (c, w) in common.iter_mut().zip(r) {
            *c &= w;
        }
    }
    let mut clauses = Vec::with_capacity(OWNER_CLASSES + 1);
    if !is_empty(&common) {
        clauses.push(Clause {
            owners: None,
            states: state_set(&common, full, states),
        });
    }
    let mut extras: SmallVec<[(Row, Vec<Owner>); 4]> = SmallVec::new();
    for (o, r) in rows {
        if *r == common {
            continue;
        }
        let extra: Row = if r == full {
            full.clone()
        } else {
            r.iter().zip(&common).map(|(w, c)| w & !c).collect()
        };
        match extras.iter_mut().find(|(e, _)| *e == extra) {
            Some((_, owners)) => owners.push(Owner::of_class(*o)),
            None => extras.push((extra, vec![Owner::of_class(*o)])),
        }
    }
    for (extra, owners) in extras {
        clauses.push(Clause {
            owners: Some(owners),
            states: state_set(&extra, full, states),
        });
    }
    clauses
}
