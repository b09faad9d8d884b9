//! A policy that changes while readers check it.

use std::sync::{Arc, Mutex, RwLock};

use crate::engine::Policy;
use crate::ids::{Actions, Resource, SubjectId};

use super::permit::Actor;
use super::{Change, ChangeError};

/// A policy that changes while checks run: readers take the current snapshot (a
/// pointer copy under a read lock held for nanoseconds); one writer at a time
/// builds the next snapshot aside and swaps it in. Readers see every change, or
/// batch of changes, whole or not at all.
///
/// ```
/// # use accessmask::{Change, LivePolicy, Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"task": {"actions": ["view"]}},
/// #   "roles": {"Viewer": {"grants": {"task": ["view"]}}, "None": {}},
/// #   "subjects": {"u": {"role": "None"}}}"#)?;
/// let live = LivePolicy::new(Policy::compile(&def)?);
/// let before = live.snapshot();
/// live.change(&Change::SetRole { subject: "u".into(), role: "Viewer".into() })?;
/// let after = live.snapshot();
/// let u = after.subject("u").ok_or("no u")?;
/// let view = after.action("task", "view").ok_or("no view")?;
/// assert!(!before.can(u, view, &before.resource(view.kind())));
/// assert!(after.can(u, view, &after.resource(view.kind())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LivePolicy {
    current: RwLock<Arc<Policy>>,
    writer: Mutex<()>,
}

impl LivePolicy {
    /// Starts from `policy`.
    pub fn new(policy: Policy) -> Self {
        LivePolicy {
            current: RwLock::new(Arc::new(policy)),
            writer: Mutex::new(()),
        }
    }

    /// The current snapshot. Hold it for a request to answer every check of that
    /// request from one consistent policy.
    pub fn snapshot(&self) -> Arc<Policy> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// [`Policy::can`] on the current snapshot.
    pub fn can(&self, subject: SubjectId, action: impl Actions, resource: &Resource) -> bool {
        match self.current.read() {
            Ok(g) => g.can(subject, action, resource),
            Err(poisoned) => poisoned.into_inner().can(subject, action, resource),
        }
    }

    /// Makes `change` without permission checks ([`Policy::change`]).
    pub fn change(&self, change: &Change) -> Result<(), ChangeError> {
        self.update(|p| p.change(change))
    }

    /// Makes every change or none ([`Policy::change_all`]).
    pub fn change_all(&self, changes: &[Change]) -> Result<(), ChangeError> {
        self.update(|p| p.change_all(changes))
    }

    /// Makes `change` on behalf of `actor` ([`Policy::apply`]).
    pub fn apply(&self, actor: impl Actor, change: &Change) -> Result<(), ChangeError> {
        self.update(|p| p.apply(actor, change))
    }

    /// Makes every change on behalf of `actor`, or none ([`Policy::apply_all`]).
    pub fn apply_all(&self, actor: impl Actor, changes: &[Change]) -> Result<(), ChangeError> {
        self.update(|p| p.apply_all(actor, changes))
    }

    /// Replaces the whole policy, keeping the id of every subject whose name
    /// stays (see [`Policy::recompile`]): ids the service cached keep answering
    /// for the same subjects, and ids of subjects `policy` drops are denied. A
    /// policy not already of this lineage is recompiled once for that.
    pub fn replace(&self, policy: Policy) {
        let _w = self.writer.lock();
        let current = self.snapshot();
        let next = if policy.lineage == current.lineage {
            policy
        } else {
            current.recompile(&policy.to_definition()).unwrap_or(policy)
        };
        self.swap(Arc::new(next));
    }

    fn update(
        &self,
        f: impl FnOnce(&Policy) -> Result<Policy, ChangeError>,
    ) -> Result<(), ChangeError> {
        // One writer at a time, so no change is lost; readers are not blocked while
        // the next snapshot is built.
        let _w = match self.writer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = f(&self.snapshot())?;
        self.swap(Arc::new(next));
        Ok(())
    }

    fn swap(&self, next: Arc<Policy>) {
        let old = match self.current.write() {
            Ok(mut g) => std::mem::replace(&mut *g, next),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), next),
        };
        // The old snapshot is dropped here, outside the lock.
        drop(old);
    }
}
