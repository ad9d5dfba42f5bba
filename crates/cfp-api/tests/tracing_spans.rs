//! One `tracing` span per call, carrying the operation, method, path
//! template, attempt, status and latency, and never the concrete URL.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use cfp_api::MockResponse;
use cfp_api::model::{OperationId, TaskId};
use support::*;
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

type Fields = BTreeMap<String, String>;

/// Records the fields of every `cfp.call` span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(u64, Fields)>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() != "cfp.call" {
            return;
        }
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        self.0.lock().unwrap().push((id.into_u64(), fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, fields)) = spans.iter_mut().find(|(i, _)| *i == id.into_u64()) {
            values.record(&mut Visitor(fields));
        }
    }
}

impl Spans {
    fn all(&self) -> Vec<Fields> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, f)| f.clone())
            .collect()
    }
}

#[tokio::test]
async fn each_call_is_one_span_with_its_fields() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let rig = rig();
    rig.mock
        .respond_once(OperationId::GetTask, MockResponse::status(502))
        .respond(
            OperationId::GetTask,
            MockResponse::json(200, task_json(42, 1)),
        );
    rig.mock
        .respond(OperationId::ListTasks, MockResponse::status(404));

    rig.client.get_task(TaskId(42)).send().await.unwrap();
    rig.client.list_tasks().send().await.unwrap_err();

    let all = spans.all();
    assert_eq!(all.len(), 2, "{all:#?}");
    let get = &all[0];
    assert_eq!(get["operation"], "getTask");
    assert_eq!(get["method"], "GET");
    assert_eq!(get["path"], "/v3/applicationInstance/task/{taskId}");
    assert_eq!(get["attempt"], "2");
    assert_eq!(get["status"], "200");
    assert!(get.contains_key("latency_ms"));
    let list = &all[1];
    assert_eq!(list["operation"], "listTasks");
    assert_eq!(list["attempt"], "1");
    assert_eq!(list["status"], "404");
    for fields in &all {
        let text = format!("{fields:?}");
        assert!(!text.contains("task.test"), "a concrete url in {text}");
        assert!(!text.contains("/task/42"), "a concrete path in {text}");
    }
}

#[tokio::test]
async fn a_transport_failure_is_recorded_as_an_error_field() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let rig = rig();
    rig.mock
        .respond(OperationId::CreateTaskBatch, MockResponse::hang());
    rig.client
        .create_task_batch(cfp_model::CreateTaskBatch::for_fleet(
            cfp_model::TaskTemplateId(1),
            cfp_model::FleetId(2),
        ))
        .send()
        .await
        .unwrap_err();
    let all = spans.all();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["error"], "timed out");
    assert_eq!(all[0]["method"], "POST");
    assert!(!all[0].contains_key("status"));
}
