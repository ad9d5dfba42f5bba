//! (2) Examples and schemas: every example of every request body and
//! response is valid against its schema (JSON Schema 2020-12, with
//! `jsonschema`), and deliberately wrong bodies are not.

use serde_json::{Value, json};

use crate::support::{
    component, deref, errors, media_schema, same_json, spec_value, validator, with,
};

/// One media type of a request body or response, with its examples.
struct MediaCase {
    place: String,
    schema: Value,
    /// (name, value, exact JSON text if given)
    examples: Vec<(String, Value, Option<String>)>,
}

fn media_cases(spec: &Value) -> Vec<MediaCase> {
    let mut cases = Vec::new();
    let paths = spec["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item") {
            if !matches!(method.as_str(), "get" | "put" | "post" | "delete") {
                continue;
            }
            let mut holders = Vec::new();
            if let Some(body) = op.get("requestBody") {
                holders.push(("request".to_owned(), deref(spec, body)));
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                holders.push((status.clone(), deref(spec, response)));
            }
            for (status, holder) in holders {
                let Some(content) = holder.get("content").and_then(Value::as_object) else {
                    continue;
                };
                for (media_type, media) in content {
                    let place = format!("{} {path} {status} {media_type}", method.to_uppercase());
                    let schema = media
                        .get("schema")
                        .unwrap_or_else(|| panic!("{place} has no schema"))
                        .clone();
                    let mut examples = Vec::new();
                    if let Some(map) = media.get("examples").and_then(Value::as_object) {
                        for (name, example) in map {
                            let example = deref(spec, example);
                            let value = example
                                .get("value")
                                .unwrap_or_else(|| panic!("{place} example {name} has no value"))
                                .clone();
                            let raw = example
                                .get("x-cfp-raw-example")
                                .and_then(Value::as_str)
                                .map(str::to_owned);
                            examples.push((name.clone(), value, raw));
                        }
                    }
                    if let Some(value) = media.get("example") {
                        examples.push(("example".to_owned(), value.clone(), None));
                    }
                    cases.push(MediaCase {
                        place,
                        schema,
                        examples,
                    });
                }
            }
        }
    }
    cases
}

#[test]
fn every_example_is_valid_against_its_schema() {
    let spec = spec_value();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut raw_checked = 0;
    for case in media_cases(&spec) {
        let needs_examples = case.place.contains(" 200 ") || case.place.contains(" request ");
        if needs_examples && case.examples.is_empty() {
            failures.push(format!("{}: no examples", case.place));
        }
        let v = validator(&spec, &case.schema);
        for (name, value, raw) in &case.examples {
            checked += 1;
            for e in errors(&v, value) {
                failures.push(format!("{} example {name}: {e}", case.place));
            }
            if let Some(raw) = raw {
                raw_checked += 1;
                let parsed: Value = serde_json::from_str(raw).unwrap_or_else(|e| {
                    panic!(
                        "{} example {name}: x-cfp-raw-example is not JSON: {e}",
                        case.place
                    )
                });
                for e in errors(&v, &parsed) {
                    failures.push(format!("{} example {name} (raw): {e}", case.place));
                }
                if !same_json(&parsed, value) {
                    failures.push(format!(
                        "{} example {name}: x-cfp-raw-example and value differ:\n{parsed}\n{value}",
                        case.place
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} examples found");
    assert!(raw_checked >= 2, "the raw ZStack example is not checked");
}

#[test]
fn the_raw_zstack_example_keeps_the_exponent_form() {
    let spec = spec_value();
    let example = &spec["components"]["examples"]["ZStackUploadJobsVendorDoc"];
    let raw = example["x-cfp-raw-example"]
        .as_str()
        .expect("x-cfp-raw-example");
    assert!(raw.contains("\"offset\": 452984832E8"), "{raw}");
    assert_eq!(
        example["value"]["existingJobDetails"][0]["offset"],
        json!(45_298_483_200_000_000_u64)
    );
    let offset = &spec["components"]["schemas"]["UploadJob"]["properties"]["offset"];
    assert_eq!(offset["x-cfp-exponent-form"], json!(true));
}

#[test]
fn a_string_existing_job_details_holds_a_valid_job_list() {
    let spec = spec_value();
    let branches = spec["components"]["schemas"]["UploadJobDetails"]["properties"]
        ["existingJobDetails"]["oneOf"]
        .as_array()
        .expect("oneOf");
    let content_schema = branches
        .iter()
        .find_map(|b| b.get("contentSchema"))
        .expect("the string branch has a contentSchema");
    let v = validator(&spec, content_schema);
    let mut seen = 0;
    for example in spec["components"]["examples"]
        .as_object()
        .expect("examples")
        .values()
    {
        if let Some(text) = example["value"]["existingJobDetails"].as_str() {
            seen += 1;
            let jobs: Value = serde_json::from_str(text).expect("the string holds JSON");
            assert_eq!(errors(&v, &jobs), Vec::<String>::new(), "{text}");
        }
    }
    assert!(seen > 0, "no example sends existingJobDetails as a string");
    assert!(!v.is_valid(&json!([{"offset": -1}])));
}

/// Checks that `schema` accepts every value of `good` and rejects every
/// value of `bad`, naming each failing case.
fn check(spec: &Value, schema: &Value, good: &[(&str, Value)], bad: &[(&str, Value)]) {
    let v = validator(spec, schema);
    let mut failures = Vec::new();
    for (what, value) in good {
        let e = errors(&v, value);
        if !e.is_empty() {
            failures.push(format!("should accept {what}: {}", e.join("; ")));
        }
    }
    for (what, value) in bad {
        if v.is_valid(value) {
            failures.push(format!("should reject {what}: {value}"));
        }
    }
    assert!(
        failures.is_empty(),
        "schema {schema}:\n{}",
        failures.join("\n")
    );
}

#[test]
fn diff_job_answers_reject_wrong_bodies() {
    let spec = spec_value();
    let schema = media_schema(&spec, "GET", "/cfp/v1/imagediff/create", "200");
    let job = json!({"diffid": 218595, "jobcreated": 1763900000, "joberror": null, "jobeta": 1763900700,
        "jobfailed": 0, "jobprogress": 5, "jobstart": "1763900100", "jobstateid": 4,
        "jobstatename": "Running", "jobupdated": 1763900130});
    let envelope = json!({"success": false, "error": true, "error_code": 1,
        "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []});
    check(
        &spec,
        &schema,
        &[
            ("the job", job.clone()),
            (
                "jobstart as an integer",
                with(&job, "/jobstart", Some(json!(1763900100))),
            ),
            ("jobstart null", with(&job, "/jobstart", Some(Value::Null))),
            ("jobstart absent", with(&job, "/jobstart", None)),
            ("jobstateid absent", with(&job, "/jobstateid", None)),
            (
                "an unknown jobstateid",
                with(&job, "/jobstateid", Some(json!(99))),
            ),
            (
                "jobstatename Completed",
                with(&job, "/jobstatename", Some(json!("Completed"))),
            ),
            ("success true", with(&job, "/success", Some(json!(true)))),
            ("an unknown field", with(&job, "/jobnew", Some(json!("x")))),
            ("the 2xx failure envelope", envelope.clone()),
            ("an envelope with only error: true", json!({"error": true})),
            (
                "jobfailed 2 (a count of failures)",
                with(&job, "/jobfailed", Some(json!(2))),
            ),
            (
                "a failed job that says success: false",
                with(
                    &with(&job, "/success", Some(json!(false))),
                    "/jobstateid",
                    Some(json!(6)),
                ),
            ),
        ],
        &[
            ("jobfailed -1", with(&job, "/jobfailed", Some(json!(-1)))),
            (
                "jobfailed true",
                with(&job, "/jobfailed", Some(json!(true))),
            ),
            (
                "jobprogress 101",
                with(&job, "/jobprogress", Some(json!(101))),
            ),
            (
                "jobstart a word",
                with(&job, "/jobstart", Some(json!("soon"))),
            ),
            (
                "jobstart a fraction",
                with(&job, "/jobstart", Some(json!("1763900100.5"))),
            ),
            (
                "jobcreated null",
                with(&job, "/jobcreated", Some(Value::Null)),
            ),
            ("no diffid", with(&job, "/diffid", None)),
            ("diffid 0", with(&job, "/diffid", Some(json!(0)))),
            (
                "jobstateid a string",
                with(&job, "/jobstateid", Some(json!("4"))),
            ),
            ("no jobstatename", with(&job, "/jobstatename", None)),
            ("success true alone", json!({"success": true})),
            (
                "error false alone",
                json!({"error": false, "error_message": "x"}),
            ),
        ],
    );
}

#[test]
fn image_status_rejects_wrong_bodies() {
    let spec = spec_value();
    let schema = media_schema(
        &spec,
        "GET",
        "/cfp/v2/project/{accountserviceid}/image/{imageid}/status",
        "200",
    );
    let region = json!({"name": "Europe West", "pending_machines": 1, "completed_machines": 1});
    let fleet = json!({"regions": {"1": region}, "pending_machines": 1, "completed_machines": 1});
    let status = json!({"fleets": {"1": fleet}, "pending_machines": 1, "completed_machines": 1});
    check(
        &spec,
        &schema,
        &[
            ("detail", status.clone()),
            ("fleets []", with(&status, "/fleets", Some(json!([])))),
            (
                "regions []",
                with(&status, "/fleets/1/regions", Some(json!([]))),
            ),
            ("no fleets", with(&status, "/fleets", None)),
            (
                "failed_machines",
                with(&status, "/failed_machines", Some(json!(0))),
            ),
        ],
        &[
            (
                "a non-empty array for fleets",
                with(&status, "/fleets", Some(json!([fleet]))),
            ),
            (
                "a non-empty array for regions",
                with(&status, "/fleets/1/regions", Some(json!([region]))),
            ),
            (
                "a non-numeric fleet key",
                with(&status, "/fleets", Some(json!({"eu": fleet}))),
            ),
            ("fleets null", with(&status, "/fleets", Some(Value::Null))),
            (
                "no pending_machines",
                with(&status, "/pending_machines", None),
            ),
            (
                "negative counts",
                with(&status, "/completed_machines", Some(json!(-1))),
            ),
            (
                "a region without a name",
                with(&status, "/fleets/1/regions/1/name", None),
            ),
            (
                "a fleet without regions",
                with(&status, "/fleets/1/regions", None),
            ),
        ],
    );
}

#[test]
fn task_batch_create_rejects_wrong_requests() {
    let spec = spec_value();
    let schema = media_schema(&spec, "POST", "/v3/applicationInstance/task", "request");
    let body = json!({"taskTemplateId": "1", "applicationInstanceIds": ["12", "13"]});
    check(
        &spec,
        &schema,
        &[
            ("by instances", body.clone()),
            (
                "by fleet",
                json!({"taskTemplateId": "4", "fleetId": "1", "executeAt": 1763986400}),
            ),
            ("by region", json!({"taskTemplateId": "2", "regionId": "3"})),
            (
                "by label",
                json!({"taskTemplateId": "3", "labels": [{"key": "env-1_a", "value": "x"}]}),
            ),
            (
                "with parameters",
                with(
                    &body,
                    "/taskActionParam",
                    Some(json!([{"paramName": "version", "paramValue": "1.4.2"}])),
                ),
            ),
        ],
        &[
            (
                "an integer taskTemplateId",
                with(&body, "/taskTemplateId", Some(json!(1))),
            ),
            (
                "taskTemplateId \"0\"",
                with(&body, "/taskTemplateId", Some(json!("0"))),
            ),
            (
                "taskTemplateId \"01\"",
                with(&body, "/taskTemplateId", Some(json!("01"))),
            ),
            ("no taskTemplateId", with(&body, "/taskTemplateId", None)),
            (
                "integer instance ids",
                with(&body, "/applicationInstanceIds", Some(json!([12]))),
            ),
            (
                "an instance listed twice",
                with(&body, "/applicationInstanceIds", Some(json!(["12", "12"]))),
            ),
            (
                "an integer fleetId",
                json!({"taskTemplateId": "1", "fleetId": 1}),
            ),
            ("no target", json!({"taskTemplateId": "1"})),
            (
                "an unknown property",
                with(&body, "/gameServerIds", Some(json!(["12"]))),
            ),
            (
                "a string executeAt",
                with(&body, "/executeAt", Some(json!("1763986400"))),
            ),
            (
                "an uppercase label key",
                json!({"taskTemplateId": "1", "labels": [{"key": "Env", "value": "x"}]}),
            ),
            (
                "a label key starting with a digit",
                json!({"taskTemplateId": "1", "labels": [{"key": "1env", "value": "x"}]}),
            ),
            (
                "a label value of 151 characters",
                json!({"taskTemplateId": "1", "labels": [{"key": "env", "value": "v".repeat(151)}]}),
            ),
            (
                "a parameter without a value",
                with(
                    &body,
                    "/taskActionParam",
                    Some(json!([{"paramName": "version"}])),
                ),
            ),
            (
                "a blank parameter name",
                with(
                    &body,
                    "/taskActionParam",
                    Some(json!([{"paramName": "  ", "paramValue": "1"}])),
                ),
            ),
        ],
    );
}

#[test]
fn single_task_answers_accept_an_object_or_one_element_array_only() {
    let spec = spec_value();
    let schema = media_schema(&spec, "GET", "/v3/applicationInstance/task/{taskId}", "200");
    let task = json!({"id": 42, "name": "Restart", "batchId": 7, "categoryId": 1, "entityId": 13,
        "currentActionIdx": 0, "executeAt": 1763900000, "lastActivityAt": 1763900042, "finishedAt": 0,
        "resultCode": 1, "resultText": "In progress"});
    check(
        &spec,
        &schema,
        &[
            ("the object", task.clone()),
            ("a one-element array", json!([task.clone()])),
            (
                "an unknown result code",
                with(&task, "/resultCode", Some(json!(3))),
            ),
            (
                "an unknown category",
                with(&task, "/categoryId", Some(json!(2))),
            ),
            (
                "a string timestamp",
                with(&task, "/executeAt", Some(json!("1763900000"))),
            ),
        ],
        &[
            ("an empty array", json!([])),
            ("a two-element array", json!([task.clone(), task.clone()])),
            ("a string id", with(&task, "/id", Some(json!("42")))),
            (
                "a string resultCode",
                with(&task, "/resultCode", Some(json!("1"))),
            ),
            ("no resultText", with(&task, "/resultText", None)),
            (
                "a fractional timestamp",
                with(&task, "/finishedAt", Some(json!(1.5))),
            ),
        ],
    );
    let conflict = media_schema(&spec, "PUT", "/v3/applicationInstance/task/{taskId}", "409");
    check(
        &spec,
        &conflict,
        &[(
            "the error",
            json!({"errorCode": 10409, "errorMessage": "Task cannot be paused", "errors": []}),
        )],
        &[(
            "a bare message",
            json!({"message": "Task cannot be paused"}),
        )],
    );
}

#[test]
fn upload_job_details_reject_wrong_bodies() {
    let spec = spec_value();
    let schema = media_schema(
        &spec,
        "PUT",
        "/zstack/v1/images/upload-job/details/{imageId}",
        "200",
    );
    let reply = json!({"existingJobDetails": [{"longJobUuid": "0792dd52aeb9329cb1e677fae6465f23", "offset": 1}]});
    let exponent: Value =
        serde_json::from_str(r#"{"existingJobDetails": [{"offset": 452984832E8}]}"#).expect("JSON");
    check(
        &spec,
        &schema,
        &[
            ("jobs", reply.clone()),
            ("an offset in exponent form", exponent),
            ("no jobs (null)", json!({"existingJobDetails": null})),
            (
                "jobs as a string",
                json!({"existingJobDetails": "[{\"offset\": 1}]"}),
            ),
            ("an empty job", json!({"existingJobDetails": [{}]})),
            (
                "an error chain",
                json!({"success": false, "error": {"code": "A.1", "opaque": {"k": 1},
                "cause": {"code": "B.2", "cause": {"description": "root", "cause": null}}}}),
            ),
        ],
        &[
            (
                "a negative offset",
                with(&reply, "/existingJobDetails/0/offset", Some(json!(-1))),
            ),
            (
                "a fractional offset",
                with(&reply, "/existingJobDetails/0/offset", Some(json!(1.5))),
            ),
            (
                "a string offset",
                with(&reply, "/existingJobDetails/0/offset", Some(json!("1"))),
            ),
            ("jobs as a number", json!({"existingJobDetails": 5})),
            (
                "jobs as a string that is no array",
                json!({"existingJobDetails": "{\"offset\": 1}"}),
            ),
            (
                "an error as a string",
                json!({"success": false, "error": "boom"}),
            ),
            (
                "a cause as a string",
                json!({"success": false, "error": {"code": "A.1", "cause": "B.2"}}),
            ),
            (
                "an opaque list",
                json!({"success": false, "error": {"opaque": [1]}}),
            ),
        ],
    );
    let body = media_schema(
        &spec,
        "PUT",
        "/zstack/v1/images/upload-job/details/{imageId}",
        "request",
    );
    check(
        &spec,
        &body,
        &[
            ("no tags", json!({})),
            ("tags", json!({"systemTags": ["a"], "userTags": []})),
        ],
        &[
            ("a tag that is no list", json!({"systemTags": "a"})),
            ("an unknown property", json!({"tags": ["a"]})),
        ],
    );
}

#[test]
fn unix_time_accepts_an_integer_or_a_string_holding_one() {
    let spec = spec_value();
    check(
        &spec,
        &component("UnixTime"),
        &[
            ("an integer", json!(1763900000)),
            ("zero", json!(0)),
            ("a negative integer", json!(-5)),
            ("a string", json!("1763900000")),
            ("a negative string", json!("-5")),
        ],
        &[
            ("a fraction", json!(1.5)),
            ("an exponent string", json!("1.7639e9")),
            ("a plus sign", json!("+5")),
            ("an empty string", json!("")),
            ("a padded string", json!(" 1763900000")),
            ("a boolean", json!(true)),
            ("null", Value::Null),
        ],
    );
}
