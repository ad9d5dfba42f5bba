//! Tasks and task batches: a batch expands game servers chosen by id,
//! fleet, region or label into tasks; each task goes 0 (pending) → 1 (in
//! progress) → 127 (done) or 126 (done with error), can be paused (2),
//! resumed and cancelled (125).

use std::collections::BTreeSet;

use cfp_model::task::{TaskApiErrorDetail, TaskCategory};
use cfp_model::{
    ApplicationInstanceId, CreateTaskBatch, EntityId, FleetId, RegionId, Task, TaskApiError,
    TaskBatch, TaskBatchId, TaskId, TaskResultCode, UnixTime,
};
use serde_json::{Map, Value};

use super::{Timings, World};
use crate::rng::{Tag, between, hash};

/// Which game servers a [`TaskFailureRule`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskScope {
    /// Every game server.
    All,
    /// The game servers of a fleet.
    Fleet(FleetId),
    /// The game servers of a region.
    Region(RegionId),
    /// One game server.
    Instance(ApplicationInstanceId),
}

impl TaskScope {
    fn contains(&self, world: &World, id: ApplicationInstanceId) -> bool {
        let instance = world.instances.get(&id);
        match self {
            Self::All => true,
            Self::Fleet(f) => instance.is_some_and(|i| i.fleet == *f),
            Self::Region(r) => instance.is_some_and(|i| i.region == *r),
            Self::Instance(i) => *i == id,
        }
    }
}

/// A partial failure inside batches: "3% of the tasks in region 2 end 126".
///
/// In every new batch, that fraction of the tasks in scope (rounded to the
/// nearest whole task, chosen by the seed) ends with result code 126
/// part-way through.
///
/// ```
/// use cfp_model::RegionId;
/// use cfp_testkit::world::{TaskFailureRule, TaskScope};
///
/// let rule = TaskFailureRule::new(TaskScope::Region(RegionId(2)), 0.03);
/// assert_eq!(rule.fraction, 0.03);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFailureRule {
    /// Which game servers.
    pub scope: TaskScope,
    /// The fraction (0 to 1) of their tasks that fail.
    pub fraction: f64,
    /// The failed tasks' `resultText`.
    pub message: String,
}

impl TaskFailureRule {
    /// `fraction` of the tasks in `scope` end 126.
    pub fn new(scope: TaskScope, fraction: f64) -> Self {
        Self {
            scope,
            fraction: fraction.clamp(0.0, 1.0),
            message: "Done with error: the game server did not respond".into(),
        }
    }

    /// Sets the failed tasks' `resultText`.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

/// One task and what was done to it.
#[derive(Debug, Clone)]
pub(crate) struct TaskRecord {
    pub(crate) id: TaskId,
    pub(crate) batch: TaskBatchId,
    pub(crate) name: String,
    pub(crate) instance: ApplicationInstanceId,
    pub(crate) n_actions: u64,
    pub(crate) created: i64,
    pub(crate) execute_at: i64,
    /// Active (running, not paused) seconds it needs to finish.
    pub(crate) duration: i64,
    /// Fails after this many active seconds, with this text.
    pub(crate) fail: Option<(i64, String)>,
    pub(crate) paused_since: Option<i64>,
    /// Paused seconds that fell after `execute_at`.
    pub(crate) paused_total: i64,
    pub(crate) last_event: i64,
    pub(crate) cancelled: Option<(i64, i64)>,
}

/// A batch: the tasks one create made.
#[derive(Debug, Clone)]
pub(crate) struct BatchRecord {
    pub(crate) id: TaskBatchId,
    pub(crate) created: i64,
    pub(crate) execute_at: i64,
    pub(crate) tasks: Vec<TaskId>,
}

/// Why a pause, resume or cancel was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskConflict {
    CannotPause,
    CannotCancel,
}

struct Moment {
    code: TaskResultCode,
    text: String,
    action: i64,
    last_activity: i64,
    finished: i64,
}

impl TaskRecord {
    fn end_active(&self) -> i64 {
        self.fail.as_ref().map_or(self.duration, |(at, _)| *at)
    }

    /// Active seconds at `t`, for a task not paused at `t`.
    fn active(&self, t: i64) -> i64 {
        ((t - self.execute_at).max(0) - self.paused_total).max(0)
    }

    fn action_at(&self, active: i64) -> i64 {
        let n = i64::try_from(self.n_actions).unwrap_or(1).max(1);
        (active * n / self.duration.max(1)).clamp(0, n - 1)
    }

    fn moment(&self, now: i64) -> Moment {
        if let Some((at, active)) = self.cancelled {
            return Moment {
                code: TaskResultCode::Cancelled,
                text: "Cancelled".into(),
                action: self.action_at(active),
                last_activity: at,
                finished: at,
            };
        }
        if let Some(p) = self.paused_since {
            return Moment {
                code: TaskResultCode::Paused,
                text: "Paused".into(),
                action: self.action_at(self.active(p)),
                last_activity: p,
                finished: 0,
            };
        }
        let finish = self.execute_at + self.paused_total + self.end_active();
        if now >= finish {
            let (code, text) = match &self.fail {
                Some((_, text)) => (TaskResultCode::DoneWithError, text.clone()),
                None => (TaskResultCode::Done, "Done".to_owned()),
            };
            return Moment {
                code,
                text,
                action: self.action_at(self.end_active()),
                last_activity: finish,
                finished: finish,
            };
        }
        if now < self.execute_at {
            return Moment {
                code: TaskResultCode::Pending,
                text: "Pending".into(),
                action: 0,
                last_activity: self.last_event.max(self.created),
                finished: 0,
            };
        }
        let action = self.action_at(self.active(now));
        let n = i64::try_from(self.n_actions).unwrap_or(1).max(1);
        let action_started = self.execute_at + self.paused_total + action * self.duration / n;
        Moment {
            code: TaskResultCode::InProgress,
            text: "In progress".into(),
            action,
            last_activity: action_started.max(self.last_event).max(self.execute_at),
            finished: 0,
        }
    }

    /// The result code at `now`.
    pub(crate) fn code(&self, now: i64) -> TaskResultCode {
        self.moment(now).code
    }

    /// The task as the API answers it at `now`.
    pub(crate) fn view(&self, now: i64) -> Task {
        let m = self.moment(now);
        Task {
            id: self.id,
            name: self.name.clone(),
            batch_id: self.batch,
            category_id: TaskCategory::GameServer,
            entity_id: EntityId(self.instance.0),
            current_action_idx: m.action,
            execute_at: time(self.execute_at),
            last_activity_at: time(m.last_activity),
            finished_at: time(m.finished),
            result_code: m.code,
            result_text: m.text,
        }
    }

    /// Pauses a pending or running task, resumes a paused one.
    pub(crate) fn toggle(&mut self, now: i64) -> Result<(), TaskConflict> {
        if self.code(now).is_terminal() {
            return Err(TaskConflict::CannotPause);
        }
        match self.paused_since.take() {
            Some(p) => self.paused_total += (now - p.max(self.execute_at)).max(0),
            None => self.paused_since = Some(now),
        }
        self.last_event = now;
        Ok(())
    }

    /// Cancels a task that has not ended.
    pub(crate) fn cancel(&mut self, now: i64) -> Result<(), TaskConflict> {
        if self.code(now).is_terminal() {
            return Err(TaskConflict::CannotCancel);
        }
        let active = match self.paused_since {
            Some(p) => self.active(p),
            None => self.active(now),
        };
        self.cancelled = Some((now, active));
        self.last_event = now;
        Ok(())
    }
}

impl BatchRecord {
    /// The batch at `now`, given its tasks.
    pub(crate) fn view<'a>(
        &self,
        tasks: impl Iterator<Item = &'a TaskRecord>,
        now: i64,
    ) -> TaskBatch {
        let (mut ok, mut failed, mut cancelled, mut n, mut last_finish) = (0, 0, 0, 0u64, 0);
        for t in tasks {
            n += 1;
            let m = t.moment(now);
            match m.code {
                TaskResultCode::Done => ok += 1,
                TaskResultCode::DoneWithError => failed += 1,
                TaskResultCode::Cancelled => cancelled += 1,
                _ => continue,
            }
            last_finish = last_finish.max(m.finished);
        }
        let all_ended = ok + failed + cancelled == n;
        TaskBatch {
            id: self.id,
            created_at: time(self.created),
            execute_at: time(self.execute_at),
            finished_at: time(if all_ended { last_finish } else { 0 }),
            num_tasks: n,
            num_tasks_ok: ok,
            num_tasks_failed: failed,
            num_tasks_cancelled: cancelled,
            task_ids: self.tasks.clone(),
        }
    }
}

fn time(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap_or(UnixTime::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
}

// ---------------------------------------------------------------------------
// Creating a batch

/// A 422 with one detail.
pub(crate) fn invalid(property: &str, message: impl Into<String>) -> TaskApiError {
    TaskApiError {
        error_code: 10002,
        error_message: "Validation failed".into(),
        errors: vec![TaskApiErrorDetail {
            property: property.into(),
            message: message.into(),
        }],
    }
}

fn is_id_string(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() <= 20
            && s.starts_with(|c: char| ('1'..='9').contains(&c))
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u64>().is_ok()
    })
}

fn check_strict_object(
    v: &Value,
    property: &str,
    fields: &[&str],
) -> Result<Map<String, Value>, TaskApiError> {
    let Some(map) = v.as_object() else {
        return Err(invalid(property, "must be an object"));
    };
    for key in map.keys() {
        if !fields.contains(&key.as_str()) {
            return Err(invalid(property, format!("unknown property {key:?}")));
        }
    }
    for f in fields {
        if !map.get(*f).is_some_and(Value::is_string) {
            return Err(invalid(property, format!("{f} must be a string")));
        }
    }
    Ok(map.clone())
}

/// Checks the raw body as the live API does (ids as strings, no unknown
/// property, at least one target) and reads it.
pub(crate) fn parse_create(body: &[u8]) -> Result<CreateTaskBatch, TaskApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid("body", format!("the body is not valid JSON: {e}")))?;
    let Some(map) = value.as_object() else {
        return Err(invalid("body", "the body must be a JSON object"));
    };
    const KNOWN: [&str; 7] = [
        "taskTemplateId",
        "applicationInstanceIds",
        "fleetId",
        "regionId",
        "labels",
        "executeAt",
        "taskActionParam",
    ];
    for key in map.keys() {
        if !KNOWN.contains(&key.as_str()) {
            return Err(invalid(key, "unknown property"));
        }
    }
    match map.get("taskTemplateId") {
        None => return Err(invalid("taskTemplateId", "This value is required")),
        Some(v) if !is_id_string(v) => {
            return Err(invalid(
                "taskTemplateId",
                "must be a positive integer id written as a string",
            ));
        }
        Some(_) => {}
    }
    for key in ["fleetId", "regionId"] {
        if let Some(v) = map.get(key)
            && !is_id_string(v)
        {
            return Err(invalid(
                key,
                "must be a positive integer id written as a string",
            ));
        }
    }
    if let Some(v) = map.get("applicationInstanceIds") {
        let Some(items) = v.as_array() else {
            return Err(invalid("applicationInstanceIds", "must be an array"));
        };
        let mut seen = BTreeSet::new();
        for item in items {
            if !is_id_string(item) {
                return Err(invalid(
                    "applicationInstanceIds",
                    "each id must be a positive integer written as a string",
                ));
            }
            if !seen.insert(item.as_str()) {
                return Err(invalid(
                    "applicationInstanceIds",
                    format!("{item} is listed twice"),
                ));
            }
        }
    }
    if let Some(v) = map.get("labels") {
        let Some(items) = v.as_array() else {
            return Err(invalid("labels", "must be an array"));
        };
        for item in items {
            let label = check_strict_object(item, "labels", &["key", "value"])?;
            let key = label.get("key").and_then(Value::as_str).unwrap_or_default();
            let key_ok = key.starts_with(|c: char| c.is_ascii_lowercase())
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !key_ok {
                return Err(invalid("labels", format!("invalid label key {key:?}")));
            }
            let value = label
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if value.chars().count() > 150 {
                return Err(invalid(
                    "labels",
                    "a label value is longer than 150 characters",
                ));
            }
        }
    }
    if let Some(v) = map.get("executeAt")
        && v.as_u64().is_none()
    {
        return Err(invalid(
            "executeAt",
            "must be a non-negative integer Unix time",
        ));
    }
    if let Some(v) = map.get("taskActionParam") {
        let Some(items) = v.as_array() else {
            return Err(invalid("taskActionParam", "must be an array"));
        };
        for item in items {
            let p = check_strict_object(item, "taskActionParam", &["paramName", "paramValue"])?;
            let name = p
                .get("paramName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if name.trim().is_empty() {
                return Err(invalid("taskActionParam", "paramName must not be blank"));
            }
        }
    }
    let has_target = ["applicationInstanceIds", "fleetId", "regionId", "labels"]
        .iter()
        .any(|k| map.contains_key(*k));
    if !has_target {
        return Err(invalid(
            "applicationInstanceIds",
            "give applicationInstanceIds, fleetId, regionId or labels",
        ));
    }
    serde_json::from_value(value).map_err(|e| invalid("body", e.to_string()))
}

/// The game servers a create selects, in id order.
pub(crate) fn select(
    world: &World,
    req: &CreateTaskBatch,
) -> Result<Vec<ApplicationInstanceId>, TaskApiError> {
    let mut chosen = BTreeSet::new();
    for id in &req.application_instance_ids {
        if !world.instances.contains_key(id) {
            return Err(invalid(
                "applicationInstanceIds",
                format!("Application instance {id} does not exist"),
            ));
        }
        chosen.insert(*id);
    }
    if let Some(fleet) = req.fleet_id {
        if !world.fleets.contains_key(&fleet) {
            return Err(invalid("fleetId", format!("Fleet {fleet} does not exist")));
        }
        chosen.extend(
            world
                .instances
                .iter()
                .filter(|(_, i)| i.fleet == fleet)
                .map(|(id, _)| *id),
        );
    }
    if let Some(region) = req.region_id {
        if !world.regions.contains_key(&region) {
            return Err(invalid(
                "regionId",
                format!("Region {region} does not exist"),
            ));
        }
        chosen.extend(
            world
                .instances
                .iter()
                .filter(|(_, i)| i.region == region)
                .map(|(id, _)| *id),
        );
    }
    if !req.labels.is_empty() {
        chosen.extend(
            world
                .instances
                .iter()
                .filter(|(_, i)| {
                    req.labels
                        .iter()
                        .all(|l| i.labels.get(&l.key) == Some(&l.value))
                })
                .map(|(id, _)| *id),
        );
    }
    if chosen.is_empty() {
        return Err(invalid(
            "applicationInstanceIds",
            "No application instances match the request",
        ));
    }
    Ok(chosen.into_iter().collect())
}

/// Builds the tasks of a new batch, deciding which fail.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_tasks(
    world: &World,
    seed: u64,
    timings: &Timings,
    batch: TaskBatchId,
    first_task: u64,
    template_name: &str,
    n_actions: u64,
    instances: &[ApplicationInstanceId],
    created: i64,
    execute_at: i64,
) -> Vec<TaskRecord> {
    let mut tasks: Vec<TaskRecord> = instances
        .iter()
        .enumerate()
        .map(|(i, instance)| {
            let id = first_task + i as u64;
            let per_action = between(
                hash(seed, Tag::TaskAction, &[id]),
                *timings.task_action.start(),
                *timings.task_action.end(),
            )
            .max(1);
            let duration = i64::try_from(per_action * n_actions.max(1)).unwrap_or(i64::MAX / 4);
            let offline = world.instances.get(instance).is_some_and(|i| i.offline);
            TaskRecord {
                id: TaskId(id),
                batch,
                name: template_name.to_owned(),
                instance: *instance,
                n_actions: n_actions.max(1),
                created,
                execute_at,
                duration,
                fail: offline.then(|| {
                    (
                        duration.min(1),
                        format!("Done with error: application instance {instance} is offline"),
                    )
                }),
                paused_since: None,
                paused_total: 0,
                last_event: created,
                cancelled: None,
            }
        })
        .collect();
    for (ri, rule) in world.task_failures.iter().enumerate() {
        let mut in_scope: Vec<(u64, usize)> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.fail.is_none() && rule.scope.contains(world, t.instance))
            .map(|(i, t)| (hash(seed, Tag::TaskFailPick, &[t.id.0, ri as u64]), i))
            .collect();
        // Exact share, rounded to the nearest task.
        let k = (rule.fraction * in_scope.len() as f64).round() as usize;
        in_scope.sort_unstable();
        for (_, i) in in_scope.into_iter().take(k) {
            let t = &mut tasks[i];
            let span = u64::try_from(t.duration - 1).unwrap_or(0).max(1);
            let at = between(hash(seed, Tag::TaskFailPoint, &[t.id.0]), 1, span);
            t.fail = Some((
                i64::try_from(at).unwrap_or(1).min(t.duration),
                rule.message.clone(),
            ));
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(execute_at: i64) -> TaskRecord {
        TaskRecord {
            id: TaskId(1),
            batch: TaskBatchId(1),
            name: "Restart".into(),
            instance: ApplicationInstanceId(1),
            n_actions: 2,
            created: 100,
            execute_at,
            duration: 40,
            fail: None,
            paused_since: None,
            paused_total: 0,
            last_event: 100,
            cancelled: None,
        }
    }

    #[test]
    fn a_task_runs_its_actions_then_is_done() {
        let t = task(100);
        assert_eq!(t.view(100).result_code, TaskResultCode::InProgress);
        assert_eq!(t.view(100).current_action_idx, 0);
        assert_eq!(t.view(125).current_action_idx, 1);
        assert_eq!(t.view(125).last_activity_at.as_secs(), 120);
        let done = t.view(140);
        assert_eq!(done.result_code, TaskResultCode::Done);
        assert_eq!(done.finished_at.as_secs(), 140);
    }

    #[test]
    fn execute_at_holds_it_pending() {
        let t = task(200);
        assert_eq!(t.view(199).result_code, TaskResultCode::Pending);
        assert_eq!(t.view(199).finished_at.as_secs(), 0);
        assert_eq!(t.view(200).result_code, TaskResultCode::InProgress);
    }

    #[test]
    fn pausing_stops_the_work_and_resuming_continues_it() {
        let mut t = task(100);
        t.toggle(110).unwrap();
        assert_eq!(t.view(500).result_code, TaskResultCode::Paused);
        t.toggle(500).unwrap();
        assert_eq!(t.view(500).result_code, TaskResultCode::InProgress);
        assert_eq!(t.view(529).result_code, TaskResultCode::InProgress);
        assert_eq!(t.view(530).result_code, TaskResultCode::Done);
        assert_eq!(t.toggle(600), Err(TaskConflict::CannotPause));
        assert_eq!(t.cancel(600), Err(TaskConflict::CannotCancel));
    }

    #[test]
    fn a_pending_task_can_be_paused_past_its_start_and_cancelled() {
        let mut t = task(200);
        t.toggle(150).unwrap();
        t.toggle(250).unwrap();
        assert_eq!(t.paused_total, 50);
        assert_eq!(t.view(289).result_code, TaskResultCode::InProgress);
        assert_eq!(t.view(290).result_code, TaskResultCode::Done);
        let mut c = task(200);
        c.cancel(150).unwrap();
        let v = c.view(1000);
        assert_eq!(v.result_code, TaskResultCode::Cancelled);
        assert_eq!(v.finished_at.as_secs(), 150);
        assert_eq!(c.cancel(1000), Err(TaskConflict::CannotCancel));
    }

    #[test]
    fn create_bodies_are_checked_as_the_live_api_does() {
        let ok = parse_create(br#"{"taskTemplateId": "1", "applicationInstanceIds": ["12"]}"#);
        assert!(ok.is_ok());
        for bad in [
            r#"{"taskTemplateId": 1, "fleetId": "1"}"#,
            r#"{"taskTemplateId": "1", "fleetId": 1}"#,
            r#"{"taskTemplateId": "1", "applicationInstanceIds": [12]}"#,
            r#"{"taskTemplateId": "01", "fleetId": "1"}"#,
            r#"{"taskTemplateId": "1"}"#,
            r#"{"taskTemplateId": "1", "fleetId": "1", "extra": true}"#,
            r#"{"taskTemplateId": "1", "applicationInstanceIds": ["3", "3"]}"#,
            r#"{"taskTemplateId": "1", "fleetId": "1", "executeAt": "5"}"#,
            r#"{"taskTemplateId": "1", "fleetId": "1", "executeAt": 1.5}"#,
            r#"{"taskTemplateId": "1", "labels": [{"key": "Env", "value": "x"}]}"#,
            r#"{"taskTemplateId": "1", "labels": [{"key": "env"}]}"#,
            r#"{"taskTemplateId": "4", "fleetId": "1", "taskActionParam": [{"paramName": " ", "paramValue": "1"}]}"#,
            r#"[]"#,
            r#"{"#,
        ] {
            assert!(parse_create(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn failure_rules_pick_an_exact_share_of_the_tasks_in_scope() {
        let world = World::default()
            .task_failure(TaskFailureRule::new(TaskScope::Region(RegionId(2)), 0.1));
        let ids: Vec<_> = (1..=100).map(ApplicationInstanceId).collect();
        let tasks = build_tasks(
            &world,
            1,
            &world.timings,
            TaskBatchId(1),
            1,
            "Restart",
            2,
            &ids,
            0,
            0,
        );
        // Region 2 holds the 30 even ids up to 60.
        let failing: Vec<_> = tasks.iter().filter(|t| t.fail.is_some()).collect();
        assert_eq!(failing.len(), 3);
        assert!(
            failing
                .iter()
                .all(|t| t.instance.0 % 2 == 0 && t.instance.0 <= 60)
        );
    }
}
