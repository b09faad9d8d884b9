//! [`Filter::matches`]: a filter read back on one resource, as `can` reads it.

use super::filter::{Cond, Filter, Owner};
use crate::def::InstanceId;
use crate::ids::Resource;

impl Filter {
    /// Whether `resource` is in the set: exactly
    /// [`Policy::can`](crate::Policy::can)`(subject, action, resource)` for the policy, subject and
    /// action the filter was made from.
    pub fn matches(&self, resource: &Resource) -> bool {
        if resource.kind.0 != self.kind.index || !self.valid(resource) {
            return false;
        }
        let state = match resource.state {
            None => 0,
            Some(st) if st.kind.0 == self.kind.index && st.index.index() < self.states.len() => {
                st.index.index() + 1
            }
            Some(_) => return false,
        };
        let owner = match resource.owner {
            None => Owner::Unowned,
            Some(o) if o.index == self.subject.index => Owner::Own,
            Some(o) if self.managed.iter().any(|m| m.index == o.index) => Owner::Managed,
            Some(_) => Owner::Other,
        };
        // Parent first, down the tree while it splits on a given ancestor.
        let given = resource.ancestors();
        let mut branch = &self.root;
        while let Some(w) = &branch.within {
            let Some(a) = w.depth.checked_sub(1).and_then(|d| given.get(d)) else {
                break;
            };
            branch = w
                .except
                .iter()
                .find(|e| e.ids.binary_search(&a.id).is_ok())
                .map_or(&w.default, |e| &e.then);
        }
        let cond = match resource.id {
            None => branch.no_id.as_ref().unwrap_or(&branch.default),
            Some(id) => branch
                .except
                .iter()
                .find(|e| e.ids.binary_search(&id).is_ok())
                .map_or(&branch.default, |e| &e.cond),
        };
        self.holds(cond, owner, state)
    }

    /// Whether `can` reads `r` as a consistent resource of the filter's kind (see
    /// `Policy::invalid`, which denies every check on any other).
    fn valid(&self, r: &Resource) -> bool {
        if r.rare & Resource::INVALID != 0 {
            return false;
        }
        let id_ok = |text: bool, id: InstanceId, stamp: u32| {
            if text {
                self.strings
                    .as_ref()
                    .and_then(|s| s.texts.as_ref())
                    .is_some_and(|t| stamp != 0 && t.holds(id, stamp))
            } else {
                stamp == 0
            }
        };
        if let Some(id) = r.id {
            if !id_ok(self.string_ids, id, r.stamp) {
                return false;
            }
        }
        let given = r.ancestors();
        given.len() <= self.ancestors.len()
            && given
                .iter()
                .zip(&self.ancestors)
                .all(|(a, k)| a.kind.0 == k.kind.index && id_ok(k.string_ids, a.id, a.stamp))
    }

    /// Whether `b` holds for every owner and state for which `a` holds.
    pub(crate) fn implies(&self, a: &Cond, b: &Cond) -> bool {
        [Owner::Own, Owner::Managed, Owner::Unowned, Owner::Other]
            .into_iter()
            .all(|o| (0..=self.states.len()).all(|s| !self.holds(a, o, s) || self.holds(b, o, s)))
    }

    /// Whether `cond` holds for an instance with this owner and state (0: none,
    /// `i + 1`: state `i`).
    fn holds(&self, cond: &Cond, owner: Owner, state: usize) -> bool {
        match cond {
            Cond::All => true,
            Cond::None => false,
            Cond::Any(clauses) => clauses.iter().any(|c| {
                c.owners.as_ref().map_or(true, |os| os.contains(&owner))
                    && c.states.as_ref().map_or(true, |s| match state {
                        0 => s.unset,
                        i => self
                            .states
                            .get(i - 1)
                            .is_some_and(|name| s.names.contains(name)),
                    })
            }),
        }
    }
}
