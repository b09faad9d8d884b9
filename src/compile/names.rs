//! Resolving names: lookups with suggestions, duplicate checks, subject names.

use std::collections::HashMap;

use crate::def::{NamedMap, PolicyDef};
use crate::engine::NameIndex;
use crate::error::{check_name, nearest, Item, PolicyError};
use crate::ids::{KindId, RoleId};
use crate::model::{Kind, LevelId, Schema};

use super::kinds::action_mask;
use super::Result;

/// Resolves subject names while compiling subjects.
pub(crate) trait SubjectNames {
    fn id(&self, name: &str) -> Option<u32>;
    fn all(&self) -> Vec<&str>;
}

impl SubjectNames for HashMap<String, u32> {
    fn id(&self, name: &str) -> Option<u32> {
        self.get(name).copied()
    }
    fn all(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

impl SubjectNames for NameIndex {
    fn id(&self, name: &str) -> Option<u32> {
        self.get(name)
    }
    fn all(&self) -> Vec<&str> {
        self.names().collect()
    }
}

/// Index the names of a map, reporting empty and duplicate names.
/// Each name gets the id `new(position)`; past the id type's limit, an error.
pub(super) fn index_names<T, I>(
    map: &NamedMap<T>,
    section: &str,
    what: Item,
    new: fn(usize) -> Option<I>,
) -> Result<HashMap<String, I>> {
    let mut index = HashMap::with_capacity(map.len());
    for (i, (name, _)) in map.iter().enumerate() {
        check_name(name, what, || format!("{section}[{i}]"))?;
        let id = new(i).ok_or_else(|| PolicyError::Malformed {
            path: section.to_string(),
            problem: "more entries than the limit of their id",
        })?;
        if index.insert(name.to_string(), id).is_some() {
            return Err(PolicyError::Duplicate {
                path: format!("{section}.{name}"),
                what,
                name: name.to_string(),
            });
        }
    }
    Ok(index)
}

pub(super) fn lookup<I: Copy>(
    index: &HashMap<String, I>,
    name: &str,
    path: String,
    what: Item,
) -> Result<I> {
    if name.is_empty() {
        return Err(PolicyError::EmptyName { path, what });
    }
    index
        .get(name)
        .copied()
        .ok_or_else(|| PolicyError::Unknown {
            path,
            what,
            name: name.to_string(),
            suggestion: nearest(name, index.keys().map(String::as_str)),
        })
}

impl Schema {
    pub(super) fn kind_of(&self, name: &str, path: String) -> Result<(KindId, &Kind)> {
        let k = lookup(&self.kind_index, name, path.clone(), Item::Kind)?;
        let kind = self.kinds.get(k.index()).ok_or(PolicyError::Unknown {
            path,
            what: Item::Kind,
            name: name.to_string(),
            suggestion: None,
        })?;
        Ok((k, kind))
    }

    /// The mask of `names` on `kind` (`"*"`: every action), not closed.
    pub(super) fn mask(&self, kind: &Kind, names: &[String], path: &str) -> Result<u64> {
        action_mask(kind, names, path, Some(&self.kinds))
    }

    pub(super) fn level(&self, kind: &Kind, name: &str, path: String) -> Result<LevelId> {
        if name.is_empty() {
            return Err(PolicyError::EmptyName {
                path,
                what: Item::Level,
            });
        }
        kind.level_index(name).ok_or_else(|| PolicyError::Unknown {
            path,
            what: Item::Level,
            name: name.to_string(),
            suggestion: nearest(name, kind.levels.iter().map(|(n, _)| n.as_str())),
        })
    }
}

/// In `items` sorted by `(key, index)`, the smallest `index` whose key an item
/// with a smaller index already has: the first repeat in document order.
pub(super) fn first_repeat<T, K: PartialEq>(
    items: &[T],
    key: impl Fn(&T) -> K,
    index: impl Fn(&T) -> usize,
) -> Option<usize> {
    items
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if key(a) == key(b) => Some(index(b)),
            _ => None,
        })
        .min()
}

/// `own` (sorted, unique) with every item of `base` (sorted, unique) whose key it
/// lacks, sorted: one merge pass.
pub(super) fn merge_by_key<T: Clone, K: Ord>(
    own: Vec<T>,
    base: &[T],
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut out = Vec::with_capacity(own.len() + base.len());
    let mut base = base.iter().peekable();
    for item in own {
        while let Some(b) = base.next_if(|b| key(b) < key(&item)) {
            out.push(b.clone());
        }
        if base.peek().is_some_and(|b| key(b) == key(&item)) {
            base.next();
        }
        out.push(item);
    }
    out.extend(base.cloned());
    out
}

pub(super) fn role_name(def: &PolicyDef, r: RoleId) -> String {
    def.roles
        .0
        .get(r.index())
        .map_or(String::new(), |(n, _)| n.clone())
}

pub(super) fn lookup_in(names: &[String], name: &str, path: String, what: Item) -> Result<usize> {
    if name.is_empty() {
        return Err(PolicyError::EmptyName { path, what });
    }
    names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| PolicyError::Unknown {
            path,
            what,
            name: name.to_string(),
            suggestion: nearest(name, names.iter().map(String::as_str)),
        })
}

/// Resolve a list of names, reporting unknown and repeated ones.
pub(super) fn resolve_list<I: Copy + Eq + std::hash::Hash>(
    index: &HashMap<String, I>,
    names: &[String],
    path: &str,
    what: Item,
) -> Result<Vec<I>> {
    let mut out: Vec<I> = Vec::with_capacity(names.len());
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for (j, n) in names.iter().enumerate() {
        let id = lookup(index, n, format!("{path}[{j}]"), what)?;
        if !seen.insert(id) {
            return Err(PolicyError::Duplicate {
                path: format!("{path}[{j}]"),
                what,
                name: n.clone(),
            });
        }
        out.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::KindId;

    fn map(names: &[&str]) -> NamedMap<()> {
        NamedMap(names.iter().map(|n| (n.to_string(), ())).collect())
    }

    #[test]
    fn index_names_numbers_in_document_order() {
        let index = index_names(&map(&["b", "a"]), "kinds", Item::Kind, KindId::new).unwrap();
        assert_eq!(index.get("b").map(|k| k.index()), Some(0));
        assert_eq!(index.get("a").map(|k| k.index()), Some(1));
    }

    #[test]
    fn index_names_refuses_a_repeat_where_it_stands() {
        let e = index_names(&map(&["a", "b", "a"]), "kinds", Item::Kind, KindId::new);
        assert!(matches!(e, Err(PolicyError::Duplicate { path, .. }) if path == "kinds.a"));
    }

    #[test]
    fn index_names_refuses_past_the_id_limit() {
        let none = |_: usize| None::<KindId>;
        assert!(matches!(
            index_names(&map(&["a"]), "kinds", Item::Kind, none),
            Err(PolicyError::Malformed { .. })
        ));
    }

    #[test]
    fn lookup_suggests_a_near_name_and_refuses_an_empty_one() {
        let index = index_names(&map(&["journey"]), "kinds", Item::Kind, KindId::new).unwrap();
        match lookup(&index, "jouney", "x".into(), Item::Kind) {
            Err(PolicyError::Unknown { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("journey"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            lookup(&index, "", "x".into(), Item::Kind),
            Err(PolicyError::EmptyName { .. })
        ));
    }

    #[test]
    fn resolve_list_keeps_order_and_refuses_repeats() {
        let index = index_names(&map(&["a", "b"]), "toggles", Item::Toggle, KindId::new).unwrap();
        let names = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ids = resolve_list(&index, &names(&["b", "a"]), "p", Item::Toggle).unwrap();
        assert_eq!(ids.iter().map(|k| k.index()).collect::<Vec<_>>(), [1, 0]);
        assert!(matches!(
            resolve_list(&index, &names(&["a", "a"]), "p", Item::Toggle),
            Err(PolicyError::Duplicate { path, .. }) if path == "p[1]"
        ));
    }

    #[test]
    fn merge_by_key_lets_own_items_replace_the_base_s() {
        let own = vec![(2, "own"), (5, "own")];
        let base = [(1, "base"), (2, "base"), (9, "base")];
        let merged = merge_by_key(own, &base, |x| x.0);
        assert_eq!(merged, [(1, "base"), (2, "own"), (5, "own"), (9, "base")]);
    }

    #[test]
    fn first_repeat_is_the_later_of_two_equal_keys() {
        // Sorted by (key, index): key 3 at indexes 1 and 4.
        let items = [(1, 0), (3, 1), (3, 4), (7, 2)];
        assert_eq!(first_repeat(&items, |x| x.0, |x| x.1), Some(4));
        assert_eq!(first_repeat(&items[..2], |x| x.0, |x| x.1), None);
    }
}
