//! Proptest strategies for every wire type.
#![allow(dead_code)]
// each test binary uses a different subset
// A panic in a strategy is a test failure, which is what it should be.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use cfp_model::clanforge::ClanforgeError;
use cfp_model::task::{
    CreateTaskBatch, Label, TaskActionParam, TaskApiError, TaskApiErrorDetail, TaskTemplateAction,
};
use cfp_model::zstack::UploadJobDetailsBody;
use cfp_model::*;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;

pub(crate) fn unix_time() -> impl Strategy<Value = UnixTime> {
    (UnixTime::MIN_SECS..=UnixTime::MAX_SECS, any::<bool>()).prop_map(|(s, string)| {
        let form = if string {
            TimeForm::String
        } else {
            TimeForm::Integer
        };
        UnixTime::with_form(s, form).unwrap()
    })
}

pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", "[a-zA-Z ]{0,20}", Just(String::new())]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

/// Any JSON value, nested a few levels.
pub(crate) fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        json_leaf(),
        any::<f64>().prop_filter_map("finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        })
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map("[a-zA-Z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn extra_fields() -> impl Strategy<Value = BTreeMap<String, Value>> {
    btree_map("x_[a-z]{1,8}", json_leaf(), 0..3)
}

pub(crate) fn diff_job() -> impl Strategy<Value = DiffJob> {
    (
        (
            any::<u64>(),
            unix_time(),
            option::of(text()),
            option::of(unix_time()),
        ),
        (
            any::<u64>(),
            any::<u32>(),
            option::of(unix_time()),
            option::of(any::<i64>()),
        ),
        (text(), unix_time(), option::of(any::<bool>())),
    )
        .prop_map(
            |(
                (id, created, error, eta),
                (failed, progress, started, state_id),
                (name, updated, success),
            )| DiffJob {
                diff_id: DiffId(id),
                created,
                error,
                eta,
                failures: failed,
                progress,
                started,
                state_id,
                state_name: name,
                updated,
                success,
            },
        )
}

fn diff_info() -> impl Strategy<Value = DiffInfo> {
    (
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        option::of(text()),
        extra_fields(),
    )
        .prop_map(|(g, i, m, name, other)| DiffInfo {
            game_id: g.map(GameId),
            image_id: i.map(ImageId),
            machine_id: m.map(MachineId),
            name,
            other,
        })
}

pub(crate) fn diff_status() -> impl Strategy<Value = DiffStatus> {
    (
        diff_job(),
        option::of(diff_info()),
        option::of(diff_info()),
        option::of(diff_info()),
    )
        .prop_map(|(job, game, image, machine)| DiffStatus {
            job,
            added: Default::default(),
            modified: Default::default(),
            removed: Default::default(),
            game,
            image,
            machine,
        })
}

fn counts() -> impl Strategy<Value = (u64, Option<u64>, u64)> {
    (any::<u64>(), option::of(any::<u64>()), any::<u64>())
}

fn region() -> impl Strategy<Value = RegionStatus> {
    (text(), counts()).prop_map(|(name, (p, f, c))| RegionStatus {
        name,
        pending_machines: p,
        failed_machines: f,
        completed_machines: c,
    })
}

fn fleet() -> impl Strategy<Value = FleetStatus> {
    (btree_map(any::<u64>(), region(), 0..4), counts()).prop_map(|(regions, (p, f, c))| {
        FleetStatus {
            regions: regions.into_iter().map(|(k, v)| (RegionId(k), v)).collect(),
            pending_machines: p,
            failed_machines: f,
            completed_machines: c,
        }
    })
}

pub(crate) fn image_status() -> impl Strategy<Value = ImageStatus> {
    (option::of(btree_map(any::<u64>(), fleet(), 0..4)), counts()).prop_map(
        |(fleets, (p, f, c))| ImageStatus {
            fleets: fleets.map(|m| m.into_iter().map(|(k, v)| (FleetId(k), v)).collect()),
            pending_machines: p,
            failed_machines: f,
            completed_machines: c,
        },
    )
}

pub(crate) fn clanforge_error() -> impl Strategy<Value = ClanforgeError> {
    (
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        option::of(any::<i64>()),
        option::of(text()),
        vec(json_leaf(), 0..3),
    )
        .prop_map(|(success, error, code, message, messages)| ClanforgeError {
            success,
            error,
            error_code: code,
            error_message: message,
            messages,
        })
}

pub(crate) fn task_template() -> impl Strategy<Value = TaskTemplate> {
    let action =
        (any::<u32>(), text(), vec(text(), 0..3)).prop_map(|(idx, t, p)| TaskTemplateAction {
            idx,
            action_type: t,
            required_params: p.into_iter().collect(),
        });
    (any::<u64>(), text(), text(), vec(action, 0..3)).prop_map(
        |(id, name, description, actions)| TaskTemplate {
            id: TaskTemplateId(id),
            name,
            description,
            actions,
        },
    )
}

pub(crate) fn result_code() -> impl Strategy<Value = TaskResultCode> {
    prop_oneof![
        proptest::sample::select(vec![0i64, 1, 2, 125, 126, 127]),
        any::<i64>()
    ]
    .prop_map(TaskResultCode::from_code)
}

pub(crate) fn task() -> impl Strategy<Value = Task> {
    (
        (
            any::<u64>(),
            text(),
            any::<u64>(),
            any::<i64>(),
            any::<u64>(),
            any::<i64>(),
        ),
        (unix_time(), unix_time(), unix_time(), result_code(), text()),
    )
        .prop_map(
            |((id, name, batch, cat, entity, idx), (exec, last, fin, code, rt))| Task {
                id: TaskId(id),
                name,
                batch_id: TaskBatchId(batch),
                category_id: TaskCategory::from_id(cat),
                entity_id: EntityId(entity),
                current_action_idx: idx,
                execute_at: exec,
                last_activity_at: last,
                finished_at: fin,
                result_code: code,
                result_text: rt,
            },
        )
}

pub(crate) fn task_batch() -> impl Strategy<Value = TaskBatch> {
    (
        (any::<u64>(), unix_time(), unix_time(), unix_time()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        vec(any::<u64>(), 0..8),
    )
        .prop_map(
            |((id, c, e, f), (n, ok, failed, cancelled), ids)| TaskBatch {
                id: TaskBatchId(id),
                created_at: c,
                execute_at: e,
                finished_at: f,
                num_tasks: n,
                num_tasks_ok: ok,
                num_tasks_failed: failed,
                num_tasks_cancelled: cancelled,
                task_ids: ids.into_iter().map(TaskId).collect(),
            },
        )
}

pub(crate) fn task_api_error() -> impl Strategy<Value = TaskApiError> {
    let detail =
        (text(), text()).prop_map(|(property, message)| TaskApiErrorDetail { property, message });
    (any::<i64>(), text(), vec(detail, 0..3)).prop_map(|(code, message, errors)| TaskApiError {
        error_code: code,
        error_message: message,
        errors,
    })
}

pub(crate) fn create_task_batch() -> impl Strategy<Value = CreateTaskBatch> {
    let label = ("[a-z][a-z0-9_-]{0,8}", ".{0,10}").prop_map(|(key, value)| Label { key, value });
    let param = (text(), text()).prop_map(|(param_name, param_value)| TaskActionParam {
        param_name,
        param_value,
    });
    (
        (
            any::<u64>(),
            vec(any::<u64>(), 0..5),
            option::of(any::<u64>()),
            option::of(any::<u64>()),
        ),
        (
            vec(label, 0..3),
            option::of(0..=UnixTime::MAX_SECS),
            vec(param, 0..3),
        ),
    )
        .prop_map(
            |((t, ids, fleet, region), (labels, at, params))| CreateTaskBatch {
                task_template_id: TaskTemplateId(t),
                application_instance_ids: ids.into_iter().map(ApplicationInstanceId).collect(),
                fleet_id: fleet.map(FleetId),
                region_id: region.map(RegionId),
                labels,
                execute_at: at.map(|s| UnixTime::from_secs(s).unwrap()),
                task_action_param: params,
            },
        )
}

pub(crate) fn zstack_error() -> impl Strategy<Value = ZStackError> {
    let leaf = (
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(btree_map("[a-z]{1,6}", json_leaf(), 0..3)),
    )
        .prop_map(
            |(code, description, details, elaboration, opaque)| ZStackError {
                code,
                description,
                details,
                elaboration,
                opaque,
                cause: None,
                causes: Vec::new(),
            },
        );
    leaf.prop_recursive(3, 6, 2, |inner| {
        (inner.clone(), option::of(inner.clone()), vec(inner, 0..2)).prop_map(
            |(mut e, cause, causes)| {
                e.cause = cause.map(Box::new);
                e.causes = causes;
                e
            },
        )
    })
}

pub(crate) fn upload_job() -> impl Strategy<Value = UploadJob> {
    (
        option::of("[0-9a-f]{32}"),
        option::of(prop_oneof![
            Just("Suspended".to_owned()),
            Just("Running".to_owned()),
            text()
        ]),
        option::of("[0-9a-f]{32}"),
        option::of(text()),
        option::of(any::<u64>()),
    )
        .prop_map(|(uuid, state, image, url, offset)| UploadJob {
            long_job_uuid: uuid,
            long_job_state: state,
            image_uuid: image,
            image_upload_url: url,
            offset: offset.map(ExactU64),
        })
}

pub(crate) fn upload_job_details() -> impl Strategy<Value = UploadJobDetails> {
    (
        option::of(any::<bool>()),
        option::of(zstack_error()),
        vec(upload_job(), 0..4),
    )
        .prop_map(|(success, error, jobs)| UploadJobDetails {
            success,
            error,
            existing_job_details: jobs,
        })
}

pub(crate) fn upload_job_details_body() -> impl Strategy<Value = UploadJobDetailsBody> {
    (vec(text(), 0..3), vec(text(), 0..3)).prop_map(|(system_tags, user_tags)| {
        UploadJobDetailsBody {
            system_tags,
            user_tags,
        }
    })
}
