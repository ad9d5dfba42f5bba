//! The application-instance task API (v3): templates, tasks and batches.
//!
//! Request bodies carry ids as strings (`"taskTemplateId": "3"`); responses
//! carry them as integers. Single-resource answers may be wrapped in a
//! one-element array: decode them as [`crate::Single`].

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{
    ApplicationInstanceId, EntityId, FleetId, RegionId, TaskBatchId, TaskId, TaskTemplateId,
};
use crate::params::{ParamError, RequestBody};
use crate::time::{TimeForm, UnixTime};

// ---------------------------------------------------------------------------
// Templates

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

// ---------------------------------------------------------------------------
// Tasks

/// The result code of a task.
///
/// A code this version does not know is [`TaskResultCode::Unknown`], never a
/// decode error; it encodes back as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskResultCode {
    /// 0: waiting to run (for example until `executeAt`).
    Pending,
    /// 1: running.
    InProgress,
    /// 2: paused.
    Paused,
    /// 125: cancelled.
    Cancelled,
    /// 126: finished with an error.
    DoneWithError,
    /// 127: finished successfully.
    Done,
    /// A code this version does not know.
    Unknown(i64),
}

impl TaskResultCode {
    /// Every known code.
    pub const KNOWN: [TaskResultCode; 6] = [
        Self::Pending,
        Self::InProgress,
        Self::Paused,
        Self::Cancelled,
        Self::DoneWithError,
        Self::Done,
    ];

    /// The code for a wire value.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Pending,
            1 => Self::InProgress,
            2 => Self::Paused,
            125 => Self::Cancelled,
            126 => Self::DoneWithError,
            127 => Self::Done,
            other => Self::Unknown(other),
        }
    }

    /// The wire value.
    pub fn code(self) -> i64 {
        match self {
            Self::Pending => 0,
            Self::InProgress => 1,
            Self::Paused => 2,
            Self::Cancelled => 125,
            Self::DoneWithError => 126,
            Self::Done => 127,
            Self::Unknown(c) => c,
        }
    }

    /// A short name for people.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in progress",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::DoneWithError => "done with error",
            Self::Done => "done",
            Self::Unknown(_) => "unknown",
        }
    }

    /// The task will not change any more (cancelled, done, done with error).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Cancelled | Self::DoneWithError | Self::Done)
    }

    /// The task finished successfully.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Done)
    }

    /// The task finished with an error.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::DoneWithError)
    }

    /// The task was cancelled.
    pub fn is_cancelled(self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// The task may still be paused (pending or in progress).
    pub fn can_pause(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress)
    }
}

impl fmt::Display for TaskResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(c) => write!(f, "unknown ({c})"),
            known => write!(f, "{} ({})", known.name(), known.code()),
        }
    }
}

impl Serialize for TaskResultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for TaskResultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor("a task result code"))
            .map(Self::from_code)
    }
}

/// What kind of entity a task runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskCategory {
    /// 1: a game server (the task API's reference).
    GameServer,
    /// 2: an application instance (i3D's task-system page).
    ApplicationInstance,
    /// A category this version does not know.
    Unknown(i64),
}

impl TaskCategory {
    /// The category for a wire value.
    pub fn from_id(id: i64) -> Self {
        match id {
            1 => Self::GameServer,
            2 => Self::ApplicationInstance,
            other => Self::Unknown(other),
        }
    }

    /// The wire value.
    pub fn id(self) -> i64 {
        match self {
            Self::GameServer => 1,
            Self::ApplicationInstance => 2,
            Self::Unknown(id) => id,
        }
    }
}

impl Serialize for TaskCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.id())
    }
}

impl<'de> Deserialize<'de> for TaskCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor("a task category id"))
            .map(Self::from_id)
    }
}

struct IntVisitor(&'static str);

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
}

/// A task: one template run against one entity (a game server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task.
    pub id: TaskId,
    /// Its name (the template's).
    pub name: String,
    /// The batch it belongs to.
    pub batch_id: TaskBatchId,
    /// What kind of entity it runs for.
    pub category_id: TaskCategory,
    /// The entity: for game servers, the application instance id.
    pub entity_id: EntityId,
    /// The template action currently running.
    pub current_action_idx: i64,
    /// When it starts (or started).
    pub execute_at: UnixTime,
    /// Its latest activity.
    pub last_activity_at: UnixTime,
    /// When it finished; `0` while it has not.
    pub finished_at: UnixTime,
    /// Where it is.
    pub result_code: TaskResultCode,
    /// The result in words.
    pub result_text: String,
}

/// A task batch: the tasks one create call made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskBatch {
    /// The batch.
    pub id: TaskBatchId,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it starts (or started).
    pub execute_at: UnixTime,
    /// When it finished; `0` while it has not.
    pub finished_at: UnixTime,
    /// How many tasks it has.
    pub num_tasks: u64,
    /// How many finished successfully.
    pub num_tasks_ok: u64,
    /// How many finished with an error.
    pub num_tasks_failed: u64,
    /// How many were cancelled.
    pub num_tasks_cancelled: u64,
    /// Its tasks.
    pub task_ids: Vec<TaskId>,
}

impl TaskBatch {
    /// Tasks that have ended, whatever the outcome.
    pub fn num_tasks_ended(&self) -> u64 {
        self.num_tasks_ok
            .saturating_add(self.num_tasks_failed)
            .saturating_add(self.num_tasks_cancelled)
    }

    /// Every task has ended (or the batch has a finish time).
    pub fn is_finished(&self) -> bool {
        !self.finished_at.is_unset() || self.num_tasks_ended() >= self.num_tasks
    }

    /// Some task failed or was cancelled.
    pub fn has_failures(&self) -> bool {
        self.num_tasks_failed > 0 || self.num_tasks_cancelled > 0
    }

    /// Ended tasks as a percentage of all (100 for an empty batch).
    pub fn percent(&self) -> u8 {
        if self.num_tasks == 0 {
            return 100;
        }
        let pct = u128::from(self.num_tasks_ended().min(self.num_tasks)) * 100
            / u128::from(self.num_tasks);
        u8::try_from(pct).unwrap_or(100)
    }
}

// ---------------------------------------------------------------------------
// Creating a batch

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

// ---------------------------------------------------------------------------
// Errors

/// The task API's error body:
/// `{"errorCode": 10001, "errorMessage": "Entity not found", "errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskApiError {
    /// The vendor's code.
    #[serde(default)]
    pub error_code: i64,
    /// The vendor's message.
    #[serde(default)]
    pub error_message: String,
    /// Per-property details (on a 422, which field is wrong).
    #[serde(default)]
    pub errors: Vec<TaskApiErrorDetail>,
}

/// One detail of a [`TaskApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskApiErrorDetail {
    /// The property at fault.
    #[serde(default)]
    pub property: String,
    /// What is wrong with it.
    #[serde(default)]
    pub message: String,
}

impl TaskApiError {
    /// Reads the error body, if the body is one.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let e: Self = serde_json::from_slice(body).ok()?;
        (e.error_code != 0 || !e.error_message.is_empty() || !e.errors.is_empty()).then_some(e)
    }
}

impl fmt::Display for TaskApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = if self.error_message.is_empty() {
            "request refused"
        } else {
            &self.error_message
        };
        write!(f, "{msg} (task api error {})", self.error_code)?;
        for d in &self.errors {
            write!(f, "; {}: {}", d.property, d.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_round_trip_including_unknown() {
        for code in [0, 1, 2, 125, 126, 127, 3, -1, 999] {
            let c: TaskResultCode = serde_json::from_str(&code.to_string()).unwrap();
            assert_eq!(c.code(), code);
            assert_eq!(serde_json::to_string(&c).unwrap(), code.to_string());
        }
        assert_eq!(TaskResultCode::from_code(9), TaskResultCode::Unknown(9));
    }

    #[test]
    fn terminal_and_outcome_predicates() {
        use TaskResultCode::*;
        let terminal: Vec<_> = TaskResultCode::KNOWN
            .into_iter()
            .filter(|c| c.is_terminal())
            .collect();
        assert_eq!(terminal, [Cancelled, DoneWithError, Done]);
        assert!(Done.is_success() && !Done.is_failure());
        assert!(DoneWithError.is_failure());
        assert!(Cancelled.is_cancelled() && !Cancelled.is_success());
        assert!(!Unknown(4).is_terminal());
        assert!(Pending.can_pause() && InProgress.can_pause() && !Paused.can_pause());
    }

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

    #[test]
    fn batch_progress_and_outcome() {
        let b = TaskBatch {
            id: TaskBatchId(1),
            created_at: UnixTime::from_secs(1).unwrap(),
            execute_at: UnixTime::from_secs(1).unwrap(),
            finished_at: UnixTime::from_secs(0).unwrap(),
            num_tasks: 4,
            num_tasks_ok: 2,
            num_tasks_failed: 1,
            num_tasks_cancelled: 0,
            task_ids: vec![],
        };
        assert_eq!(b.percent(), 75);
        assert!(!b.is_finished());
        assert!(b.has_failures());
    }

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
