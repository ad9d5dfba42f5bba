//! `Client::from_env` and `ClientBuilder::from_lookup`: the `CFP_*`
//! variables of the README.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use cfp_api::ClientBuilder;
use cfp_api::model::{OperationId, Surface, TaskId};
use cfp_api::{MockResponse, MockTransport};
use support::*;

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let client = ClientBuilder::from_lookup(lookup(&[])).build().unwrap();
    assert_eq!(
        client.base_url(Surface::Clanforge).as_deref(),
        Some("https://api.multiplay.co.uk")
    );
    assert_eq!(
        client.base_url(Surface::Task).as_deref(),
        Some("https://api.i3d.net")
    );
    assert_eq!(client.base_url(Surface::ZStack), None);
    for s in Surface::ALL {
        assert!(!client.has_credentials(s));
    }
}

#[tokio::test]
async fn every_variable_is_read() {
    let mock = MockTransport::new();
    let client = ClientBuilder::from_lookup(lookup(&[
        ("CFP_CLANFORGE_URL", "http://127.0.0.1:1"),
        ("CFP_CLANFORGE_KEY", KEY),
        ("CFP_CLANFORGE_SECRET", SECRET),
        ("CFP_TASK_URL", "http://127.0.0.1:2"),
        ("CFP_TASK_TOKEN", TOKEN),
        ("CFP_ZSTACK_URL", "http://127.0.0.1:3/zs"),
        ("CFP_ZSTACK_SESSION", SESSION),
    ]))
    .transport(Arc::new(mock.clone()))
    .build()
    .unwrap();
    assert_eq!(
        client.base_url(Surface::Clanforge).as_deref(),
        Some("http://127.0.0.1:1")
    );
    assert_eq!(
        client.base_url(Surface::ZStack).as_deref(),
        Some("http://127.0.0.1:3/zs")
    );
    for s in Surface::ALL {
        assert!(client.has_credentials(s), "{s}");
    }
    mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(1, 1)),
    );
    client.get_task(TaskId(1)).send().await.unwrap();
    let sent = mock.last_request().unwrap();
    assert_eq!(sent.uri, "http://127.0.0.1:2/v3/applicationInstance/task/1");
    assert_eq!(sent.header("private-token"), Some(TOKEN));
}

#[test]
fn empty_values_count_as_unset() {
    let client =
        ClientBuilder::from_lookup(lookup(&[("CFP_TASK_URL", ""), ("CFP_TASK_TOKEN", " ")]))
            .build()
            .unwrap();
    assert_eq!(
        client.base_url(Surface::Task).as_deref(),
        Some("https://api.i3d.net")
    );
    assert!(!client.has_credentials(Surface::Task));
}

#[test]
fn a_key_without_its_secret_is_a_configuration_error() {
    let e = ClientBuilder::from_lookup(lookup(&[("CFP_CLANFORGE_KEY", KEY)]))
        .build()
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(
        e.to_string(),
        "clanforge credentials: clanforge key (CFP_CLANFORGE_KEY) is set but clanforge secret \
         (CFP_CLANFORGE_SECRET) is not: Clanforge needs both"
    );
    // Settings given after the environment override it.
    ClientBuilder::from_lookup(lookup(&[("CFP_CLANFORGE_KEY", KEY)]))
        .clanforge_credentials(KEY, SECRET)
        .build()
        .unwrap();
}

#[test]
fn a_bad_url_is_a_configuration_error_naming_the_setting() {
    let e = ClientBuilder::from_lookup(lookup(&[("CFP_ZSTACK_URL", "zstack.local:8080")]))
        .build()
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert!(
        e.to_string()
            .starts_with("zstack url: \"zstack.local:8080\""),
        "{e}"
    );
}

#[test]
fn from_env_reads_the_process_environment() {
    // The variables of this process are whatever the test runner has; the
    // call must at least not fail on an unset environment.
    let vars = [
        "CFP_CLANFORGE_KEY",
        "CFP_CLANFORGE_SECRET",
        "CFP_ZSTACK_URL",
    ];
    if vars.iter().all(|v| std::env::var_os(v).is_none()) {
        cfp_api::Client::from_env().unwrap();
    }
}
