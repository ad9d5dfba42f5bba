//! Containers for the vendors' collection quirks: maps keyed by numeric ids
//! that a PHP backend sends as `[]` when empty, and single resources wrapped
//! in one-element arrays.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map keyed by ids (or, for a diff's files, by path), ordered by key.
///
/// On the wire it is a JSON object whose keys are strings holding numbers
/// (`{"12": {...}}`), or plain strings for `IdMap<String, _>`. A PHP backend
/// encodes an empty map as `[]`, so an empty array is accepted too; a
/// non-empty array is an error.
///
/// ```
/// use cfp_model::{FleetId, IdMap};
///
/// let m: IdMap<FleetId, u32> = serde_json::from_str(r#"{"2": 20, "10": 100}"#).unwrap();
/// assert_eq!(m.keys().copied().collect::<Vec<_>>(), [FleetId(2), FleetId(10)]);
/// let empty: IdMap<FleetId, u32> = serde_json::from_str("[]").unwrap();
/// assert!(empty.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMap<K, V>(pub BTreeMap<K, V>);

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<K, V> std::ops::Deref for IdMap<K, V> {
    type Target = BTreeMap<K, V>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<K, V> std::ops::DerefMut for IdMap<K, V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for IdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a, K, V> IntoIterator for &'a IdMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<K: fmt::Display, V: Serialize> Serialize for IdMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k.to_string(), v)))
    }
}

struct IdMapVisitor<K, V>(PhantomData<(K, V)>);

impl<'de, K, V> Visitor<'de> for IdMapVisitor<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    type Value = IdMap<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object keyed by ids (or [] when empty)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some((k, v)) = access.next_entry()? {
            map.insert(k, v);
        }
        Ok(IdMap(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_value(
                de::Unexpected::Seq,
                &"an object keyed by ids (an array is accepted only when empty)",
            ));
        }
        Ok(IdMap(BTreeMap::new()))
    }
}

impl<'de, K, V> Deserialize<'de> for IdMap<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdMapVisitor(PhantomData))
    }
}

/// One resource that the live task API may wrap in a one-element array.
///
/// The task API documents single-resource answers (get, pause-or-resume and
/// cancel a task, get a batch, create a batch) as one object, but answers
/// with an array holding that object. Both are accepted; an empty array or
/// one with several elements is an error. It encodes as the bare object.
/// `T` is a JSON object type (every resource of the task API is).
///
/// ```
/// use cfp_model::{Single, TaskBatch};
///
/// let batch = r#"{"id": 9, "createdAt": 1763900000, "executeAt": 1763900000,
///     "finishedAt": 0, "numTasks": 1, "numTasksOk": 0, "numTasksFailed": 0,
///     "numTasksCancelled": 0, "taskIds": [41]}"#;
/// let a: Single<TaskBatch> = serde_json::from_str(&format!("[{batch}]")).unwrap();
/// let b: Single<TaskBatch> = serde_json::from_str(batch).unwrap();
/// assert_eq!(a, b);
/// assert!(serde_json::from_str::<Single<TaskBatch>>("[]").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Single<T>(pub T);

impl<T> Single<T> {
    /// The resource.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Serialize> Serialize for Single<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Single<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SingleVisitor(PhantomData))
    }
}

struct SingleVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SingleVisitor<T> {
    type Value = Single<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one object, or an array holding exactly one object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Some(first) = seq.next_element::<T>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            let mut n = 2;
            while seq.next_element::<de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            return Err(de::Error::invalid_length(n, &self));
        }
        Ok(Single(first))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::FleetId;

    #[test]
    fn id_map_refuses_non_empty_arrays_and_non_numeric_keys() {
        assert!(serde_json::from_str::<IdMap<FleetId, u8>>("[1]").is_err());
        assert!(serde_json::from_str::<IdMap<FleetId, u8>>(r#"{"x": 1}"#).is_err());
        assert!(serde_json::from_str::<IdMap<FleetId, u8>>("7").is_err());
    }

    #[test]
    fn id_map_encodes_string_keys_in_id_order() {
        let m: IdMap<FleetId, u8> = [(FleetId(10), 1), (FleetId(9), 2)].into_iter().collect();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"9":2,"10":1}"#);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct T {
        id: u32,
    }

    #[test]
    fn single_accepts_object_or_one_element_array_only() {
        let a: Single<T> = serde_json::from_str(r#"[{"id": 1}]"#).unwrap();
        let b: Single<T> = serde_json::from_str(r#"{"id": 1}"#).unwrap();
        assert_eq!(a, b);
        let e =
            serde_json::from_str::<Single<T>>(r#"[{"id": 1}, {"id": 2}, {"id": 3}]"#).unwrap_err();
        assert!(e.to_string().contains("invalid length 3"), "{e}");
        assert!(serde_json::from_str::<Single<T>>("[]").is_err());
        assert!(serde_json::from_str::<Single<T>>("null").is_err());
    }
}
