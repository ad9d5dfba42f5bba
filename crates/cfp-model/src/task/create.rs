//! Creating a batch: the request body, its ids sent as strings as the
//! vendor requires, and the checks the vendor would refuse with a 422.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{ApplicationInstanceId, FleetId, RegionId, TaskTemplateId};
use crate::params::{ParamError, RequestBody};
use crate::time::{TimeForm, UnixTime};

/// Selects game servers by label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    /// Lowercase letters, digits, `-` and `_`; starts with a lowercase letter.
    pub key: String,
    /// At most 150 characters.
    pub value: String,
}

/// A parameter that a template's actions require.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskActionParam {
    /// The parameter's name, as in the template's `requiredParams`.
    pub param_name: String,
    /// Its value.
    pub param_value: String,
}

/// The body of `POST /v3/applicationInstance/task`: run a template on game
/// servers selected by id, fleet, region or label, now or at `execute_at`.
///
/// Ids go out as strings, as the vendor requires.
///
/// ```
/// use cfp_model::task::CreateTaskBatch;
/// use cfp_model::{FleetId, TaskTemplateId};
///
/// let req = CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(2));
/// req.validate().unwrap();
/// assert_eq!(
///     serde_json::to_string(&req).unwrap(),
///     r#"{"taskTemplateId":"1","fleetId":"2"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTaskBatch {
    /// The template to run.
    #[serde(with = "id_string")]
    pub task_template_id: TaskTemplateId,
    /// Game servers by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "id_strings")]
    pub application_instance_ids: Vec<ApplicationInstanceId>,
    /// Every game server of this fleet.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_id_string"
    )]
    pub fleet_id: Option<FleetId>,
    /// Every game server of this region.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_id_string"
    )]
    pub region_id: Option<RegionId>,
    /// Game servers by label.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// Run at this time instead of now. Always sent as an integer, as the
    /// vendor requires, whatever the [`TimeForm`] of the value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "integer_time"
    )]
    pub execute_at: Option<UnixTime>,
    /// Parameters the template's actions require.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_action_param: Vec<TaskActionParam>,
}

impl RequestBody for CreateTaskBatch {
    fn check(&self) -> Result<(), ParamError> {
        self.validate()
    }
}

impl CreateTaskBatch {
    fn empty(template: TaskTemplateId) -> Self {
        Self {
            task_template_id: template,
            application_instance_ids: Vec::new(),
            fleet_id: None,
            region_id: None,
            labels: Vec::new(),
            execute_at: None,
            task_action_param: Vec::new(),
        }
    }

    /// Run `template` on these game servers.
    pub fn for_instances(
        template: TaskTemplateId,
        ids: impl IntoIterator<Item = ApplicationInstanceId>,
    ) -> Self {
        Self {
            application_instance_ids: ids.into_iter().collect(),
            ..Self::empty(template)
        }
    }

    /// Run `template` on every game server of a fleet.
    pub fn for_fleet(template: TaskTemplateId, fleet: FleetId) -> Self {
        Self {
            fleet_id: Some(fleet),
            ..Self::empty(template)
        }
    }

    /// Run `template` on every game server of a region.
    pub fn for_region(template: TaskTemplateId, region: RegionId) -> Self {
        Self {
            region_id: Some(region),
            ..Self::empty(template)
        }
    }

    /// Run `template` on the game servers carrying all these labels.
    pub fn for_labels(template: TaskTemplateId, labels: impl IntoIterator<Item = Label>) -> Self {
        Self {
            labels: labels.into_iter().collect(),
            ..Self::empty(template)
        }
    }

    /// Schedule the batch instead of running it now.
    pub fn execute_at(mut self, at: UnixTime) -> Self {
        self.execute_at = Some(at.in_form(TimeForm::Integer));
        self
    }

    /// Add a parameter the template's actions require.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.task_action_param.push(TaskActionParam {
            param_name: name.into(),
            param_value: value.into(),
        });
        self
    }

    /// Checks what the vendor would refuse with a 422, before sending.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.task_template_id.get() == 0 {
            return Err(ParamError::new(
                "taskTemplateId",
                "must be a positive id (see `cfp task templates`)",
            ));
        }
        if self.application_instance_ids.is_empty()
            && self.fleet_id.is_none()
            && self.region_id.is_none()
            && self.labels.is_empty()
        {
            return Err(ParamError::new(
                "applicationInstanceIds",
                "no target: give application instance ids, a fleet, a region or labels",
            ));
        }
        let mut seen = BTreeSet::new();
        for id in &self.application_instance_ids {
            if id.get() == 0 {
                return Err(ParamError::new(
                    "applicationInstanceIds",
                    "ids must be positive",
                ));
            }
            if !seen.insert(*id) {
                return Err(ParamError::new(
                    "applicationInstanceIds",
                    format!("instance {id} is listed twice"),
                ));
            }
        }
        if self.fleet_id.is_some_and(|f| f.get() == 0) {
            return Err(ParamError::new("fleetId", "must be a positive id"));
        }
        if self.region_id.is_some_and(|r| r.get() == 0) {
            return Err(ParamError::new("regionId", "must be a positive id"));
        }
        for label in &self.labels {
            check_label(label)?;
        }
        if let Some(at) = self.execute_at
            && at.as_secs() < 0
        {
            return Err(ParamError::new(
                "executeAt",
                "must be a time after 1970-01-01T00:00:00Z",
            ));
        }
        for p in &self.task_action_param {
            if p.param_name.trim().is_empty() {
                return Err(ParamError::new(
                    "taskActionParam",
                    "a parameter name is empty",
                ));
            }
        }
        Ok(())
    }
}

fn check_label(label: &Label) -> Result<(), ParamError> {
    let key = &label.key;
    let key_ok = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !key_ok {
        return Err(ParamError::new(
            "labels",
            format!(
                "label key {key:?} must start with a lowercase letter and hold only lowercase letters, digits, '-' and '_'"
            ),
        ));
    }
    if label.value.chars().count() > 150 {
        return Err(ParamError::new(
            "labels",
            format!("the value of label {key:?} is longer than 150 characters"),
        ));
    }
    Ok(())
}

fn integer_time<S: Serializer>(v: &Option<UnixTime>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_i64(t.as_secs()),
        None => s.serialize_none(),
    }
}

/// Ids as JSON strings in request bodies (and back, for the simulator).
mod id_string {
    use super::*;

    pub(super) fn serialize<T: fmt::Display, S: Serializer>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

mod opt_id_string {
    use super::*;

    pub(super) fn serialize<T: fmt::Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<T>::deserialize(d)
    }
}

mod id_strings {
    use super::*;

    pub(super) fn serialize<T: fmt::Display, S: Serializer>(
        v: &[T],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(ToString::to_string))
    }

    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Vec::<T>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sends_ids_as_strings() {
        let req = CreateTaskBatch::for_instances(
            TaskTemplateId(3),
            [ApplicationInstanceId(17), ApplicationInstanceId(18)],
        )
        .execute_at(UnixTime::from_secs(1_900_000_000).unwrap())
        .param("version", "1.2.3");
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            serde_json::json!({
                "taskTemplateId": "3",
                "applicationInstanceIds": ["17", "18"],
                "executeAt": 1_900_000_000,
                "taskActionParam": [{"paramName": "version", "paramValue": "1.2.3"}],
            })
        );
        let back: CreateTaskBatch =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn execute_at_is_sent_as_an_integer_whatever_its_form() {
        let mut req = CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(1));
        req.execute_at = Some(UnixTime::with_form(1_900_000_000, TimeForm::String).unwrap());
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["executeAt"], 1_900_000_000);
    }

    #[test]
    fn validate_catches_what_the_vendor_would_refuse() {
        let no_target = CreateTaskBatch::for_instances(TaskTemplateId(1), []);
        assert_eq!(
            no_target.validate().unwrap_err().field,
            "applicationInstanceIds"
        );
        let twice = CreateTaskBatch::for_instances(
            TaskTemplateId(1),
            [ApplicationInstanceId(4), ApplicationInstanceId(4)],
        );
        assert!(
            twice
                .validate()
                .unwrap_err()
                .reason
                .contains("listed twice")
        );
        let bad_label = CreateTaskBatch::for_labels(
            TaskTemplateId(1),
            [Label {
                key: "Env".into(),
                value: "x".into(),
            }],
        );
        assert_eq!(bad_label.validate().unwrap_err().field, "labels");
        let long_value = CreateTaskBatch::for_labels(
            TaskTemplateId(1),
            [Label {
                key: "env".into(),
                value: "v".repeat(151),
            }],
        );
        assert!(long_value.validate().is_err());
        let zero = CreateTaskBatch::for_fleet(TaskTemplateId(0), FleetId(1));
        assert_eq!(zero.validate().unwrap_err().field, "taskTemplateId");
        assert!(
            CreateTaskBatch::for_region(TaskTemplateId(1), RegionId(2))
                .validate()
                .is_ok()
        );
    }
}
