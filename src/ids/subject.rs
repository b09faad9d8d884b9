//! Subject ids: a position and a tag binding it to the policy's lineage and the
//! subject's name.

/// A subject (user) of one compiled policy: its position, and a tag that binds it
/// to the policy's lineage and to the subject's name.
///
/// An id answers only in the policy that handed it out and in snapshots derived
/// from it (changes, [`Policy::recompile`](crate::Policy::recompile),
/// [`LivePolicy::replace`](crate::LivePolicy::replace)); anywhere else, or once its
/// subject is removed, checks deny it and explanations say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId {
    pub(crate) index: u32,
    /// [`slot_tag`] of the policy's lineage and the subject's name (low two bits
    /// clear), or [`SubjectId::INTERNAL`].
    pub(crate) tag: u32,
}

impl SubjectId {
    /// The tag of ids the engine makes for its own questions about its own
    /// subjects (admin checks, diffs): valid at any lineage. Never handed out.
    pub(crate) const INTERNAL: u32 = 1;
}

/// An id for the engine's own questions about subject `index` of a policy it
/// holds (see [`SubjectId::INTERNAL`]); never returned to callers.
#[expect(non_snake_case, reason = "reads as the tuple constructor it replaced")]
pub(crate) const fn SubjectId(index: u32) -> SubjectId {
    SubjectId {
        index,
        tag: SubjectId::INTERNAL,
    }
}

/// A strong hash of a name (fmix64 over its 8-byte chunks and its length).
pub(crate) fn name_hash(name: &str) -> u64 {
    let mut h = crate::table::fmix64(name.len() as u64 ^ 0x6a09_e667_f3bc_c908);
    for chunk in name.as_bytes().chunks(8) {
        let mut buf = [0u8; 8];
        for (d, s) in buf.iter_mut().zip(chunk) {
            *d = *s;
        }
        h = crate::table::fmix64(h ^ u64::from_le_bytes(buf)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    }
    h
}

/// The lineage of a fresh compile: a hash of its subjects' names in order, so two
/// compiles that number subjects differently get different lineages (two that
/// number them the same give every id the same subject, which is harmless).
pub(crate) fn lineage<'a>(names: impl IntoIterator<Item = &'a str>) -> u64 {
    names.into_iter().fold(0x243f_6a88_85a3_08d3, |h, n| {
        crate::table::fmix64(h ^ name_hash(n)).wrapping_add(1)
    })
}

/// The tag of the subject named `name` in a policy of `lineage`: low two bits
/// clear, so it never equals [`SubjectId::INTERNAL`].
pub(crate) fn slot_tag(lineage: u64, name: &str) -> u32 {
    ((crate::table::fmix64(lineage ^ name_hash(name)) >> 32) as u32) & !3
}

impl SubjectId {
    /// The subject's position in the policy (document order; a recompile that
    /// keeps ids keeps positions, and adds new subjects after the others).
    pub fn index(self) -> usize {
        self.index as usize
    }
}
