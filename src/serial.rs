//! Serde for answer types whose definition lives elsewhere: an [`ActionSet`]
//! serializes as the list of its actions' names, in declaration order.
//!
//! Every answer of the crate serializes, for decision and audit logs:
//! [`Explanation`](crate::Explanation) (and its [`Step`](crate::Step)s and
//! [`Rule`](crate::Rule)s), [`ActionSet`], [`Matrix`](crate::Matrix),
//! [`PolicyDiff`](crate::PolicyDiff) (and [`DiffEntry`](crate::DiffEntry)),
//! [`Query`](crate::Query), the `testing` reports, and every error type. Each
//! type's documentation gives its JSON shape; those that own their data also
//! deserialize, so a log can be read back.

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use crate::ids::ActionSet;

/// `["view", "edit"]`: the names, in the kind's declaration order (as
/// [`ActionSet::iter`] yields them). Serialize only: the set borrows its names
/// from the policy.
///
/// ```
/// # use accessmask::{Policy, PolicyDef};
/// # let def: PolicyDef = serde_json::from_str(r#"{"kinds": {"tracking":
/// #   {"actions": ["view", "edit", "export"], "needs": {"edit": ["view"]}}},
/// #   "roles": {"R": {"grants": {"tracking": ["edit"]}}}, "subjects": {"u": {"role": "R"}}}"#)?;
/// # let policy = Policy::compile(&def)?;
/// let u = policy.subject("u").ok_or("no u")?;
/// let tracking = policy.kind("tracking").ok_or("no kind")?;
/// let set = policy.allowed(u, &policy.resource(tracking));
/// assert_eq!(serde_json::to_string(&set)?, r#"["view","edit"]"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Serialize for ActionSet<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for name in self.iter() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}
