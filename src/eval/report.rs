//! What a step of the decision order reports: its [`Rule`] and its [`Step`].

use serde::{Deserialize, Serialize};

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

/// One step of an [`Explanation`](crate::Explanation). Serializes as `{"rule": "Level", "step": 3,
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
    /// plain rendering of an [`Explanation`](crate::Explanation) shows only these.
    pub fn is_relevant(&self) -> bool {
        self.relevant
    }
}
