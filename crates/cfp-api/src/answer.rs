//! An answer: the decoded value, and the body the vendor sent.

use std::fmt;
use std::ops::Deref;
use std::time::SystemTime;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// What a call answered: the typed value (read through `Deref`), and the
/// body exactly as the vendor sent it.
///
/// The typed value holds every field cfp knows; the body holds every field
/// the vendor sent, known or not, in the vendor's own form. Serializing an
/// `Answer` writes the vendor's JSON (a single resource that the task API
/// wraps in a one-element array is written as the object), which is what
/// `cfp -o json` prints: nothing the vendor sent is dropped.
///
/// ```
/// use cfp_api::Answer;
/// use cfp_model::TaskBatchId;
///
/// let body = br#"{"id": 7, "fresh": "a field cfp does not know"}"#;
/// #[derive(serde::Deserialize)]
/// struct Batch { id: TaskBatchId }
/// let value: Batch = serde_json::from_slice(body).unwrap();
/// let answer = Answer::new(value, bytes::Bytes::from_static(body));
/// assert_eq!(answer.id, TaskBatchId(7));
/// assert_eq!(answer.json()["fresh"], "a field cfp does not know");
/// ```
#[derive(Clone)]
pub struct Answer<T> {
    value: T,
    body: Bytes,
    single: bool,
    server_date: Option<SystemTime>,
}

impl<T> Answer<T> {
    /// An answer of `value`, decoded from `body`.
    pub fn new(value: T, body: Bytes) -> Self {
        Self {
            value,
            body,
            single: false,
            server_date: None,
        }
    }

    /// An answer whose body may wrap the one resource in a one-element
    /// array (the task API's single-resource answers): [`json`](Self::json)
    /// unwraps it.
    pub(crate) fn single(value: T, body: Bytes) -> Self {
        Self {
            single: true,
            ..Self::new(value, body)
        }
    }

    /// The same answer with the server's `Date` header.
    pub(crate) fn with_server_date(mut self, date: Option<SystemTime>) -> Self {
        self.server_date = date;
        self
    }

    /// The typed value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The typed value, borrowed.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The body as the vendor sent it.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The server's clock when it answered (its `Date` header), if it sent
    /// one: waiters schedule polls against it, so that a skewed local clock
    /// or a simulator's scaled one does not throw them off.
    pub fn server_date(&self) -> Option<SystemTime> {
        self.server_date
    }

    /// The vendor's JSON, parsed: every field it sent, in its order; a
    /// one-element array around a single resource unwrapped. `Null` if the
    /// body is not JSON. Numbers are read as JSON numbers (an integer in
    /// exponent form such as `452984832E8` becomes a float); for the exact
    /// text, see [`json_text`](Self::json_text).
    pub fn json(&self) -> Value {
        self.json_text()
            .and_then(|t| serde_json::from_str(t.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The vendor's JSON exactly as sent (every number in its own form), a
    /// one-element array around a single resource unwrapped; `None` if the
    /// body is not JSON.
    pub fn json_text(&self) -> Option<&RawValue> {
        if self.single
            && let Ok(items) = serde_json::from_slice::<Vec<&RawValue>>(&self.body)
            && let [one] = items.as_slice()
        {
            return Some(one);
        }
        serde_json::from_slice::<&RawValue>(&self.body).ok()
    }

    /// The same answer with another value (the body is kept).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        Answer {
            value: f(self.value),
            body: self.body,
            single: self.single,
            server_date: self.server_date,
        }
    }
}

impl<T> Deref for Answer<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Answer<T> {
    /// Answers are equal when their values are (the body's formatting does
    /// not count).
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Answer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("value", &self.value)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<T: Serialize> Serialize for Answer<T> {
    /// The vendor's JSON exactly as sent ([`Answer::json_text`]); the typed
    /// value when the body is not JSON.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.json_text() {
            Some(raw) => raw.serialize(s),
            None => self.value.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_resource_in_an_array_is_unwrapped_and_unknown_fields_kept() {
        let a = Answer::single(1u8, Bytes::from_static(br#"[{"id": 1, "new": [1, 2]}]"#));
        assert_eq!(a.json(), serde_json::json!({"id": 1, "new": [1, 2]}));
        let list = Answer::new(1u8, Bytes::from_static(br#"[{"id": 1}]"#));
        assert_eq!(list.json(), serde_json::json!([{"id": 1}]));
    }

    #[test]
    fn the_vendors_field_order_is_kept() {
        let a = Answer::new((), Bytes::from_static(br#"{"z": 1, "a": 2, "m": 3}"#));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"z": 1, "a": 2, "m": 3}"#
        );
        let keys: Vec<String> = a.json().as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let a = Answer::new(
            (),
            Bytes::from_static(br#"{"offset": 452984832E8, "id": 7}"#),
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"offset": 452984832E8, "id": 7}"#
        );
        let one = Answer::single((), Bytes::from_static(br#"[{"n": 1.50}]"#));
        assert_eq!(one.json_text().unwrap().get(), r#"{"n": 1.50}"#);
    }

    #[test]
    fn a_body_that_is_not_json_serializes_the_value() {
        let a = Answer::new(5u8, Bytes::new());
        assert_eq!(serde_json::to_string(&a).unwrap(), "5");
    }
}
