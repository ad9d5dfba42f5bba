//! One test per vendor quirk the decoders must accept (each written down as a
//! schema fact in `docs/openapi.yaml`).

use cfp_model::clanforge::{self, ClanforgeReplyError, JobState};
use cfp_model::task::CreateTaskBatch;
use cfp_model::zstack::{self, ZStackReplyError};
use cfp_model::{
    ApplicationInstanceId, DiffJob, DiffStatus, FleetId, ImageStatus, RegionId, Single, Task,
    TaskResultCode, TaskTemplateId, TimeForm, UnixTime, decode,
};

fn job_with(fields: &str) -> Result<DiffJob, ClanforgeReplyError> {
    let body = format!(
        r#"{{"diffid": 5, "jobcreated": 1763900000, "jobfailed": 0, "jobprogress": 10,
            "jobstatename": "Running", "jobupdated": 1763900001 {fields}}}"#
    );
    clanforge::decode_reply(body.as_bytes())
}

#[test]
fn every_timestamp_accepts_integer_and_string() {
    let a = job_with(r#", "jobstart": "1763900100", "jobeta": "1763900200""#).unwrap();
    let b = job_with(r#", "jobstart": 1763900100, "jobeta": 1763900200"#).unwrap();
    assert_eq!(
        a.started.unwrap().timestamp(),
        b.started.unwrap().timestamp()
    );
    assert_eq!(a.eta.unwrap().form(), TimeForm::String);
    assert_eq!(b.eta.unwrap().form(), TimeForm::Integer);
    let body = r#"{"diffid": 5, "jobcreated": "1763900000", "jobfailed": 0, "jobprogress": 1,
        "jobstatename": "Created", "jobupdated": "1763900001"}"#;
    let c: DiffJob = clanforge::decode_reply(body.as_bytes()).unwrap();
    assert_eq!(c.created.as_secs(), 1_763_900_000);
}

#[test]
fn optional_job_fields_may_be_absent_or_null() {
    let absent = job_with("").unwrap();
    let null =
        job_with(r#", "joberror": null, "jobeta": null, "jobstateid": null, "jobstart": null"#)
            .unwrap();
    assert_eq!(absent, null);
    assert_eq!(absent.eta, None);
    assert_eq!(absent.started, None);
    assert_eq!(absent.state_id, None);
}

#[test]
fn jobfailed_is_a_count_and_never_the_outcome() {
    let body = |failed: &str, state: u8, name: &str| {
        format!(
            r#"{{"diffid": 5, "jobcreated": 1, "jobfailed": {failed}, "jobprogress": 100,
                "jobstateid": {state}, "jobstatename": "{name}", "jobupdated": 2}}"#
        )
    };
    // A diff that failed twice, was retried and completed: a completed diff.
    let retried: DiffJob = clanforge::decode_reply(body("2", 5, "Completed").as_bytes()).unwrap();
    assert_eq!(retried.failures, 2);
    assert_eq!(retried.state(), JobState::Complete);
    assert!(retried.is_terminal() && !retried.has_failed());
    // Any non-negative count decodes.
    for n in ["0", "1", "7", "4294967296"] {
        let job: DiffJob = clanforge::decode_reply(body(n, 4, "Running").as_bytes()).unwrap();
        assert!(!job.is_terminal(), "{n}");
    }
    // The outcome comes from the state alone.
    let failed: DiffJob = clanforge::decode_reply(body("1", 6, "Failed").as_bytes()).unwrap();
    assert!(failed.has_failed());
    let squashed: DiffJob = clanforge::decode_reply(body("0", 7, "Squashed").as_bytes()).unwrap();
    assert!(squashed.has_failed() && squashed.is_terminal());
    // A negative count is not a count.
    let e = clanforge::decode_reply::<DiffJob>(body("-1", 4, "Running").as_bytes()).unwrap_err();
    let ClanforgeReplyError::Decode(e) = e else {
        panic!("{e:?}")
    };
    assert_eq!(e.path, "jobfailed");
}

#[test]
fn a_failed_job_that_says_success_false_is_still_a_job() {
    let body = br#"{"diffid": 9, "jobcreated": 1763900000, "joberror": "machine 3 did not answer",
        "jobeta": null, "jobfailed": 1, "jobprogress": 40, "jobstart": "1763900100",
        "jobstateid": 6, "jobstatename": "Failed", "jobupdated": 1763900300, "success": false}"#;
    let job: DiffJob = clanforge::decode_reply(body).unwrap();
    assert_eq!(job.state(), JobState::Failed);
    assert_eq!(job.error_message(), Some("machine 3 did not answer"));
    assert_eq!(job.success, Some(false));
    let status: DiffStatus = clanforge::decode_reply(body).unwrap();
    assert_eq!(status.state(), JobState::Failed);
    // With "error": true it is the envelope, job fields or not.
    let envelope = br#"{"diffid": 9, "jobcreated": 1, "jobfailed": 0, "jobprogress": 0,
        "jobstatename": "Failed", "jobupdated": 2, "success": false, "error": true,
        "error_code": 1, "error_message": "image locked by diffid: 218595"}"#;
    let Err(ClanforgeReplyError::Service(e)) = clanforge::decode_reply::<DiffJob>(envelope) else {
        panic!()
    };
    assert_eq!(e.error_code, Some(1));
    // Without job fields it is the envelope too.
    let bare = br#"{"success": false, "error_message": "no such diff"}"#;
    assert!(matches!(
        clanforge::decode_reply::<DiffJob>(bare),
        Err(ClanforgeReplyError::Service(_))
    ));
}

#[test]
fn diff_status_carries_the_changed_files_as_json() {
    let body = br#"{"diffid": 9, "jobcreated": 1, "jobfailed": 0, "jobprogress": 100,
        "jobstateid": 5, "jobstatename": "Completed", "jobupdated": 2,
        "added": {"bin/server.pak": {"size": 5242880, "md5": "ab"}, "maps/new.map": {"size": "1024"}},
        "modified": {"bin/server": {"size": 900, "mode": 493}},
        "removed": []}"#;
    let status: DiffStatus = clanforge::decode_reply(body).unwrap();
    assert_eq!(status.added.len(), 2);
    assert_eq!(status.added["bin/server.pak"]["md5"], "ab");
    assert_eq!(status.modified["bin/server"]["mode"], 493);
    assert!(status.removed.is_empty());
    assert!(!status.has_no_changes());
    let summary = status.summary(1);
    assert_eq!(summary.added.count, 2);
    assert_eq!(
        summary.added.largest,
        [("bin/server.pak".to_owned(), Some(5_242_880))]
    );
    assert_eq!(summary.removed.count, 0);
    // A job still running has no file maps yet.
    let running = job_with("").unwrap();
    let json = serde_json::to_vec(&running).unwrap();
    let status: DiffStatus = clanforge::decode_reply(&json).unwrap();
    assert!(status.has_no_changes());
    // A file map that is neither an object nor an empty array is an error
    // naming it.
    let bad = br#"{"diffid": 9, "jobcreated": 1, "jobfailed": 0, "jobprogress": 100,
        "jobstatename": "Completed", "jobupdated": 2, "added": ["x"]}"#;
    let Err(ClanforgeReplyError::Decode(e)) = clanforge::decode_reply::<DiffStatus>(bad) else {
        panic!()
    };
    assert_eq!(e.path, "added");
}

#[test]
fn state_comes_from_the_id_then_the_name_else_unknown() {
    // The id wins over a disagreeing name.
    assert_eq!(
        job_with(r#", "jobstateid": 5"#).unwrap().state(),
        JobState::Complete
    );
    // "Complete" and "Completed" are both Complete.
    assert_eq!(JobState::from_wire(None, "Completed"), JobState::Complete);
    assert_eq!(JobState::from_wire(None, "complete"), JobState::Complete);
    // Unknown values never fail to decode.
    let s = job_with(r#", "jobstateid": 9"#).unwrap().state();
    assert!(matches!(&s, JobState::Unknown(u) if u.id == Some(9)));
    assert!(!s.is_terminal());
    assert_eq!(s.to_string(), "Running (unknown state 9)");
    let s = JobState::from_wire(None, "Exploded");
    assert!(matches!(&s, JobState::Unknown(u) if u.id.is_none() && u.name == "Exploded"));
    // Ids 1 to 7 and their predicates.
    for (id, terminal) in [
        (1, false),
        (2, false),
        (3, false),
        (4, false),
        (5, true),
        (6, true),
        (7, true),
    ] {
        let s = JobState::from_id(id).unwrap();
        assert_eq!(s.id(), Some(id));
        assert_eq!(s.is_terminal(), terminal, "{s}");
        assert_eq!(JobState::from_name(s.name()), Some(s.clone()));
    }
    assert!(JobState::Squashed.is_failure() && !JobState::Squashed.is_success());
}

#[test]
fn clanforge_failure_inside_a_2xx_body_is_a_service_error() {
    let body = br#"{"success": false, "error": true, "error_code": 1,
        "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
    for result in [
        clanforge::decode_reply::<DiffJob>(body).map(|_| ()),
        clanforge::decode_reply::<DiffStatus>(body).map(|_| ()),
        clanforge::decode_reply::<ImageStatus>(body).map(|_| ()),
    ] {
        let Err(ClanforgeReplyError::Service(e)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(e.error_code, Some(1));
        assert_eq!(
            e.to_string(),
            "image locked by diffid: 218595 (clanforge error 1)"
        );
    }
    // A job body that says `success: false` is the job (its state says
    // how it went), as is one that says `success: true`.
    assert_eq!(
        job_with(r#", "success": false"#).unwrap().success,
        Some(false)
    );
    assert_eq!(
        job_with(r#", "success": true"#).unwrap().success,
        Some(true)
    );
}

#[test]
fn image_status_maps_are_keyed_by_numeric_ids() {
    let body = br#"{"fleets": {"10": {"regions": {"3": {"name": "Asia", "pending_machines": 1,
        "failed_machines": 0, "completed_machines": 2}}, "pending_machines": 1,
        "completed_machines": 2}}, "pending_machines": 1, "completed_machines": 2}"#;
    let s: ImageStatus = clanforge::decode_reply(body).unwrap();
    let fleet = &s.fleets.as_ref().unwrap()[&FleetId(10)];
    assert_eq!(fleet.regions[&RegionId(3)].failed_machines, Some(0));
    let bad = br#"{"fleets": {"ten": {"regions": {}, "pending_machines": 1,
        "completed_machines": 2}}, "pending_machines": 1, "completed_machines": 2}"#;
    assert!(clanforge::decode_reply::<ImageStatus>(bad).is_err());
}

#[test]
fn failed_machines_may_be_missing_at_every_level() {
    let body = br#"{"fleets": {"1": {"regions": {"1": {"name": "EU", "pending_machines": 0,
        "completed_machines": 2}}, "pending_machines": 0, "completed_machines": 2}},
        "pending_machines": 0, "completed_machines": 2}"#;
    let s: ImageStatus = clanforge::decode_reply(body).unwrap();
    assert_eq!(s.failed_machines, None);
    let fleet = &s.fleets.as_ref().unwrap()[&FleetId(1)];
    assert_eq!(fleet.failed_machines, None);
    assert_eq!(fleet.regions[&RegionId(1)].counts().failed, 0);
    // Re-encoding keeps it missing rather than inventing a zero.
    assert!(
        !serde_json::to_string(&s)
            .unwrap()
            .contains("failed_machines")
    );
}

#[test]
fn an_empty_map_may_arrive_as_an_empty_array() {
    let body = br#"{"fleets": {"1": {"regions": [], "pending_machines": 0,
        "completed_machines": 0}}, "pending_machines": 0, "completed_machines": 0}"#;
    let s: ImageStatus = clanforge::decode_reply(body).unwrap();
    assert!(s.fleets.as_ref().unwrap()[&FleetId(1)].regions.is_empty());
    let body = br#"{"fleets": [], "pending_machines": 0, "completed_machines": 0}"#;
    let s: ImageStatus = clanforge::decode_reply(body).unwrap();
    assert!(s.fleets.unwrap().is_empty());
    let body = br#"{"fleets": [{"regions": {}}], "pending_machines": 0, "completed_machines": 0}"#;
    let ClanforgeReplyError::Decode(e) = clanforge::decode_reply::<ImageStatus>(body).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(e.path, "fleets");
}

#[test]
fn task_requests_send_ids_as_strings_and_responses_carry_integers() {
    let req = CreateTaskBatch::for_instances(
        TaskTemplateId(2),
        [ApplicationInstanceId(1), ApplicationInstanceId(2)],
    );
    let json = serde_json::to_value(&req).unwrap();
    assert_eq!(json["taskTemplateId"], "2");
    assert_eq!(
        json["applicationInstanceIds"],
        serde_json::json!(["1", "2"])
    );
    let mut fleet = CreateTaskBatch::for_fleet(TaskTemplateId(2), FleetId(1));
    fleet.region_id = Some(RegionId(3));
    let json = serde_json::to_value(&fleet).unwrap();
    assert_eq!(json["fleetId"], "1");
    assert_eq!(json["regionId"], "3");
    let task = br#"{"id": 41, "name": "Restart", "batchId": 9, "categoryId": 1, "entityId": 17,
        "currentActionIdx": 0, "executeAt": 1, "lastActivityAt": 1, "finishedAt": 0,
        "resultCode": 0, "resultText": ""}"#;
    let task: Task = decode("task", task).unwrap();
    assert_eq!(task.id.get(), 41);
}

#[test]
fn single_resources_may_be_an_object_or_a_one_element_array() {
    let task = r#"{"id": 41, "name": "Restart", "batchId": 9, "categoryId": 1, "entityId": 17,
        "currentActionIdx": 0, "executeAt": 1, "lastActivityAt": 1, "finishedAt": 0,
        "resultCode": 2, "resultText": "paused"}"#;
    let a = decode::<Single<Task>>("task", task.as_bytes()).unwrap();
    let b = decode::<Single<Task>>("task", format!("[{task}]").as_bytes()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.0.result_code, TaskResultCode::Paused);
    let e = decode::<Single<Task>>("task", b"[]").unwrap_err();
    assert!(e.message.contains("invalid length 0"), "{}", e.message);
    let two = format!("[{task}, {task}]");
    assert!(decode::<Single<Task>>("task", two.as_bytes()).is_err());
}

#[test]
fn unknown_result_codes_and_fields_are_accepted() {
    let task = br#"{"id": 41, "name": "Restart", "batchId": 9, "categoryId": 7, "entityId": 17,
        "currentActionIdx": 0, "executeAt": 1, "lastActivityAt": 1, "finishedAt": 0,
        "resultCode": 128, "resultText": "", "brandNewField": {"x": [1, 2]}}"#;
    let task: Task = decode("task", task).unwrap();
    assert_eq!(task.result_code, TaskResultCode::Unknown(128));
    assert_eq!(task.category_id.id(), 7);
    let json = serde_json::to_value(&task).unwrap();
    assert_eq!(json["resultCode"], 128, "an unknown code stays its number");
}

#[test]
fn exponent_form_integers_decode_exactly_and_others_are_refused() {
    let body = |offset: &str| format!(r#"{{"existingJobDetails": [{{"offset": {offset}}}]}}"#);
    let ok = |offset: &str| {
        zstack::decode_as::<cfp_model::UploadJobDetails>(body(offset).as_bytes())
            .unwrap()
            .existing_job_details[0]
            .offset
            .unwrap()
            .get()
    };
    assert_eq!(ok("452984832E8"), 45_298_483_200_000_000);
    assert_eq!(ok("9007199254740993"), 9_007_199_254_740_993);
    assert_eq!(ok("9.007199254740993e15"), 9_007_199_254_740_993);
    for bad in ["1.5", "-1", "-1E3", "4.5e-1", "1e30"] {
        let Err(ZStackReplyError::Decode(e)) =
            zstack::decode_as::<cfp_model::UploadJobDetails>(body(bad).as_bytes())
        else {
            panic!("{bad} was accepted")
        };
        assert_eq!(e.path, "existingJobDetails[0].offset", "{bad}");
    }
}

#[test]
fn existing_job_details_is_an_array_of_objects_with_optional_fields() {
    let body = br#"{"existingJobDetails": [{}, {"longJobState": "Running"}]}"#;
    let d = zstack::decode_as::<cfp_model::UploadJobDetails>(body).unwrap();
    assert_eq!(d.existing_job_details.len(), 2);
    assert_eq!(d.existing_job_details[0], Default::default());
    assert!(!d.existing_job_details[1].is_suspended());
}

#[test]
fn zstack_error_cause_is_recursive_and_opaque_is_free_form() {
    let body =
        br#"{"success": false, "error": {"code": "SYS.1006", "description": "image not found",
        "details": "no image with id abc", "elaboration": null,
        "opaque": {"resourceUuid": "abc", "retry": 3, "nested": {"a": [1]}},
        "cause": {"code": "SYS.1000", "description": "internal", "cause": {"code": "DB.1"}}}}"#;
    let Err(ZStackReplyError::Service(e)) = zstack::decode_as::<cfp_model::UploadJobDetails>(body)
    else {
        panic!()
    };
    assert_eq!(e.chain().count(), 3);
    assert_eq!(e.opaque.as_ref().unwrap()["retry"], 3);
    assert_eq!(
        e.to_string(),
        "SYS.1006: image not found (no image with id abc); caused by SYS.1000: internal; caused by DB.1"
    );
}

#[test]
fn zstack_success_may_be_a_string_and_causes_a_list() {
    let body = br#"{"success": "false", "error": {"code": "SYS.1000", "description": "outer",
        "cause": {"code": "SYS.1001", "description": "first"},
        "causes": [{"code": "HOST.1", "description": "second"},
                   {"code": "ID.1001", "description": "Invalid session"}]}}"#;
    let Err(ZStackReplyError::Service(e)) = zstack::decode_as::<cfp_model::UploadJobDetails>(body)
    else {
        panic!()
    };
    let codes: Vec<_> = e.chain().filter_map(|c| c.code.as_deref()).collect();
    assert_eq!(codes, ["SYS.1000", "SYS.1001", "HOST.1", "ID.1001"]);
    assert!(e.is_invalid_session());
    let ok = br#"{"success": "true"}"#;
    let d = zstack::decode_as::<cfp_model::UploadJobDetails>(ok).unwrap();
    assert!(d.existing_job_details.is_empty(), "no upload jobs");
    assert!(zstack::decode_as::<cfp_model::UploadJobDetails>(br#"{"success": "maybe"}"#).is_err());
}

#[test]
fn zstack_failure_with_http_200_is_a_service_error() {
    let only_flag = br#"{"success": false}"#;
    assert!(matches!(
        zstack::decode_as::<cfp_model::UploadJobDetails>(only_flag),
        Err(ZStackReplyError::Service(_))
    ));
    let only_error = br#"{"error": {"code": "SYS.1001"}, "existingJobDetails": []}"#;
    assert!(matches!(
        zstack::decode_as::<cfp_model::UploadJobDetails>(only_error),
        Err(ZStackReplyError::Service(_))
    ));
    let null_error = br#"{"success": true, "error": null, "existingJobDetails": []}"#;
    assert!(zstack::decode_as::<cfp_model::UploadJobDetails>(null_error).is_ok());
}

#[test]
fn timestamps_keep_their_form_when_re_encoded() {
    let job = job_with(r#", "jobstart": "1763900100""#).unwrap();
    let json = serde_json::to_value(&job).unwrap();
    assert_eq!(json["jobstart"], "1763900100");
    assert_eq!(json["jobcreated"], 1_763_900_000);
    assert_eq!(
        UnixTime::from_secs(5)
            .unwrap()
            .in_form(TimeForm::String)
            .to_string(),
        "1970-01-01T00:00:05Z"
    );
}

#[test]
fn missing_required_fields_and_wrong_types_name_the_path() {
    let e = decode::<ImageStatus>("image status", br#"{"pending_machines": 1}"#).unwrap_err();
    assert_eq!(e.path, ".");
    assert!(
        e.message.contains("missing field `completed_machines`"),
        "{}",
        e.message
    );
    let body = br#"{"fleets": {"2": {"regions": {"7": {"name": "EU", "pending_machines": -1,
        "completed_machines": 0}}, "pending_machines": 0, "completed_machines": 0}},
        "pending_machines": 0, "completed_machines": 0}"#;
    let e = decode::<ImageStatus>("image status", body).unwrap_err();
    assert_eq!(e.path, "fleets.2.regions.7.pending_machines");
    assert!(e.excerpt.starts_with("{\"fleets\""));
}

#[test]
fn template_required_params_are_an_array_or_a_map() {
    let body = |params: &str| {
        format!(
            r#"[{{"id": 4, "name": "Update", "description": "update the game",
                "actions": [{{"idx": 0, "actionType": "update", "requiredParams": {params}}}]}}]"#
        )
    };
    for params in [
        r#"["version", "build"]"#,
        r#"{"version": "the version to install", "build": "the build id"}"#,
    ] {
        let t: Vec<cfp_model::TaskTemplate> = decode("templates", body(params).as_bytes()).unwrap();
        assert_eq!(t[0].required_params(), ["version", "build"], "{params}");
    }
    let t: Vec<cfp_model::TaskTemplate> =
        decode("templates", body(r#"{"version": "v"}"#).as_bytes()).unwrap();
    let p = &t[0].actions[0].required_params.0[0];
    assert_eq!(p.description.as_deref(), Some("v"));
    // Re-encoded as it came: a map stays a map, an array an array.
    let json = serde_json::to_value(&t[0].actions[0].required_params).unwrap();
    assert_eq!(json, serde_json::json!({"version": "v"}));
    let t: Vec<cfp_model::TaskTemplate> = decode("templates", body("null").as_bytes()).unwrap();
    assert!(t[0].required_params().is_empty());
    assert!(decode::<Vec<cfp_model::TaskTemplate>>("templates", body("3").as_bytes()).is_err());
}

#[test]
fn task_categories_1_and_2_are_known_and_others_kept_as_numbers() {
    use cfp_model::TaskCategory;
    let task = |category: i64| {
        format!(
            r#"{{"id": 1, "name": "Restart", "batchId": 1, "categoryId": {category},
                "entityId": 1, "currentActionIdx": 0, "executeAt": 1, "lastActivityAt": 1,
                "finishedAt": 0, "resultCode": 0, "resultText": ""}}"#
        )
    };
    let decode_task = |c| decode::<Task>("task", task(c).as_bytes()).unwrap();
    assert_eq!(decode_task(1).category_id, TaskCategory::GameServer);
    assert_eq!(
        decode_task(2).category_id,
        TaskCategory::ApplicationInstance
    );
    let odd = decode_task(9);
    assert_eq!(odd.category_id, TaskCategory::Unknown(9));
    assert_eq!(serde_json::to_value(&odd).unwrap()["categoryId"], 9);
}
