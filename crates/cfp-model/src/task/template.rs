//! Task templates: what a task does, and the parameters its actions
//! require.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::TaskTemplateId;

/// A task template: what a task does (Restart, Stop, Start, Update, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTemplate {
    /// The template id, used to create a batch.
    pub id: TaskTemplateId,
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its actions, in execution order (the captured doc omits them; the
    /// vendor's OpenAPI lists them).
    #[serde(default)]
    pub actions: Vec<TaskTemplateAction>,
}

impl TaskTemplate {
    /// Every parameter some action of this template requires, deduplicated,
    /// in order of first appearance.
    pub fn required_params(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.actions
            .iter()
            .flat_map(|a| a.required_params.names())
            .filter(|p| seen.insert(*p))
            .collect()
    }
}

/// One action of a task template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTemplateAction {
    /// Execution order.
    pub idx: u32,
    /// The action's type.
    pub action_type: String,
    /// Parameters the action needs, passed as `taskActionParam` on create.
    #[serde(default)]
    pub required_params: RequiredParams,
}

/// The parameters a template action requires.
///
/// The vendor's OpenAPI shows `requiredParams` as an array of names; its
/// task-system page shows a map of name → description. Both are read (a
/// map keeps its order and descriptions); `null` is read as none. It
/// encodes as it came: an array when no parameter has a description.
///
/// ```
/// use cfp_model::task::RequiredParams;
///
/// let a: RequiredParams = serde_json::from_str(r#"["version", "build"]"#).unwrap();
/// let m: RequiredParams =
///     serde_json::from_str(r#"{"version": "the build to install", "build": ""}"#).unwrap();
/// assert_eq!(a.names().collect::<Vec<_>>(), ["version", "build"]);
/// assert_eq!(m.names().collect::<Vec<_>>(), ["version", "build"]);
/// assert_eq!(m.0[0].description.as_deref(), Some("the build to install"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequiredParams(pub Vec<RequiredParam>);

/// One required parameter of a template action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredParam {
    /// Its name (the `paramName` of `taskActionParam`).
    pub name: String,
    /// What it is, when the server describes it.
    pub description: Option<String>,
}

impl RequiredParams {
    /// The parameters' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|p| p.name.as_str())
    }

    /// No parameter is required.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for RequiredParams {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|name| RequiredParam {
                    name: name.into(),
                    description: None,
                })
                .collect(),
        )
    }
}

impl Serialize for RequiredParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.iter().any(|p| p.description.is_some()) {
            s.collect_map(
                self.0
                    .iter()
                    .map(|p| (&p.name, p.description.as_deref().unwrap_or(""))),
            )
        } else {
            s.collect_seq(self.names())
        }
    }
}

impl<'de> Deserialize<'de> for RequiredParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ParamsVisitor;

        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = RequiredParams;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of parameter names, or a map of name to description")
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    out.push(RequiredParam {
                        name,
                        description: None,
                    });
                }
                Ok(RequiredParams(out))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((name, description)) = map.next_entry::<String, Option<String>>()? {
                    out.push(RequiredParam { name, description });
                }
                Ok(RequiredParams(out))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RequiredParams::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RequiredParams::default())
            }
        }

        d.deserialize_any(ParamsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_required_params_are_deduplicated() {
        let t: TaskTemplate = serde_json::from_str(
            r#"{"id": 4, "name": "Update", "description": "d", "actions": [
                {"idx": 0, "actionType": "stop", "requiredParams": []},
                {"idx": 1, "actionType": "update", "requiredParams": ["version", "build"]},
                {"idx": 2, "actionType": "verify", "requiredParams": ["version"]}]}"#,
        )
        .unwrap();
        assert_eq!(t.required_params(), ["version", "build"]);
    }
}
