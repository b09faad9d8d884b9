//! [`NamedMap`]: the document's ordered maps, which keep order and duplicates.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ordered list of `(name, value)` pairs that serializes as a map.
///
/// Unlike a `BTreeMap` or `HashMap`, it keeps the document's order (the order of
/// levels is meaningful) and keeps duplicate keys, so compiling reports them as
/// [`PolicyError::Duplicate`](crate::PolicyError::Duplicate) rather than letting
/// the last one win silently. (Going through `serde_json::Value` sorts keys unless
/// serde_json's `preserve_order` feature is on; read documents straight into
/// [`PolicyDef`](super::PolicyDef) instead. A level order scrambled that way is caught as
/// [`PolicyError::LevelOrder`](crate::PolicyError::LevelOrder).)
///
/// ```
/// use accessmask::NamedMap;
/// let mut m: NamedMap<u32> = NamedMap::new();
/// m.insert("b", 2);
/// m.insert("a", 1);
/// assert_eq!(m.get("a"), Some(&1));
/// assert_eq!(m.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["b", "a"]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct NamedMap<T>(pub Vec<(String, T)>);

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap(Vec::new())
    }
}

impl<T> NamedMap<T> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry, keeping any earlier entry of the same name (compiling
    /// reports the duplicate). Use [`NamedMap::set`] to replace instead.
    pub fn insert(&mut self, name: impl Into<String>, value: T) {
        self.0.push((name.into(), value));
    }

    /// Replaces the first entry named `name`, or appends one.
    pub fn set(&mut self, name: impl Into<String>, value: T) {
        let name = name.into();
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Removes every entry named `name`, returning the first one's value.
    pub fn remove(&mut self, name: &str) -> Option<T> {
        let pos = self.0.iter().position(|(k, _)| k == name)?;
        let (_, v) = self.0.remove(pos);
        self.0.retain(|(k, _)| k != name);
        Some(v)
    }

    /// The first entry named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The first entry named `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.0.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Entries in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries, duplicates included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: fmt::Debug> fmt::Debug for NamedMap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K: Into<String>, T> FromIterator<(K, T)> for NamedMap<T> {
    fn from_iter<I: IntoIterator<Item = (K, T)>>(iter: I) -> Self {
        NamedMap(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<T: Serialize> Serialize for NamedMap<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NamedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = NamedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = access.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(NamedMap(out))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}
