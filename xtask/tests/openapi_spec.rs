//! Conformance tests for the wire contract, `docs/openapi.yaml`.
//!
//! - The spec parses as OpenAPI 3.1 (with `oas3`) and holds exactly the
//!   contract's operations, each with the extensions the code generator reads
//!   and one security requirement.
//! - Every example of every request body and response is valid against its
//!   schema (JSON Schema 2020-12, with `jsonschema`), and deliberately wrong
//!   bodies are not.
//! - The task API agrees with the vendor's own OpenAPI subset, and Clanforge
//!   and ZStack with the vendor docs and source, as the project records them
//!   in `xtask/tests/fixtures/vendor-facts.yaml` (no file outside the repository).

// Helpers fail loudly with a message: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use oas3::spec::{
    ObjectOrReference, ParameterIn, ParameterStyle, Schema, SchemaType, SchemaTypeSet,
    SecurityScheme,
};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// The contract

/// One operation of the contract, as the spec must declare it.
struct Expected {
    id: &'static str,
    method: &'static str,
    path: &'static str,
    surface: &'static str,
    retry: &'static str,
    vendor_id: Option<&'static str>,
    fallback_for: Option<&'static str>,
}

const fn op(
    id: &'static str,
    method: &'static str,
    path: &'static str,
    surface: &'static str,
    retry: &'static str,
    vendor_id: Option<&'static str>,
) -> Expected {
    Expected {
        id,
        method,
        path,
        surface,
        retry,
        vendor_id,
        fallback_for: None,
    }
}

/// Written out rather than read from cfp-model's operation table: that
/// table is generated from the spec under test, so checking the spec
/// against it would prove nothing. This list is the contract as agreed,
/// vendor operation ids included, which the generated table does not carry.
const OPERATIONS: [Expected; 14] = [
    op(
        "createImageDiff",
        "GET",
        "/cfp/v1/imagediff/create",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "retryImageDiff",
        "GET",
        "/cfp/v1/imagediff/{diffid}/retry",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "getImageDiffStatus",
        "GET",
        "/cfp/v1/imagediff/{diffid}/status",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "getImageStatus",
        "GET",
        "/cfp/v2/project/{accountserviceid}/image/{imageid}/status",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "listTaskTemplates",
        "GET",
        "/v3/applicationInstance/task/template",
        "task",
        "safe",
        Some("getApplicationInstanceTaskTemplates"),
    ),
    op(
        "listTasks",
        "GET",
        "/v3/applicationInstance/task",
        "task",
        "safe",
        Some("getApplicationInstanceTasks"),
    ),
    op(
        "createTaskBatch",
        "POST",
        "/v3/applicationInstance/task",
        "task",
        "unsafe",
        Some("createApplicationInstanceTask"),
    ),
    op(
        "getTask",
        "GET",
        "/v3/applicationInstance/task/{taskId}",
        "task",
        "safe",
        Some("getApplicationInstanceTask"),
    ),
    op(
        "toggleTaskPause",
        "PUT",
        "/v3/applicationInstance/task/{taskId}",
        "task",
        "toggle",
        Some("updateApplicationInstanceTask"),
    ),
    op(
        "cancelTask",
        "DELETE",
        "/v3/applicationInstance/task/{taskId}",
        "task",
        "safe",
        Some("deleteApplicationInstanceTask"),
    ),
    op(
        "listTaskBatches",
        "GET",
        "/v3/applicationInstance/taskBatch",
        "task",
        "safe",
        Some("getApplicationInstanceTaskBatches"),
    ),
    op(
        "getTaskBatch",
        "GET",
        "/v3/applicationInstance/taskBatch/{taskBatchId}",
        "task",
        "safe",
        Some("getApplicationInstanceTaskBatch"),
    ),
    op(
        "getUploadJobDetails",
        "PUT",
        "/zstack/v1/images/upload-job/details/{imageId}",
        "zstack",
        "safe",
        Some("GetUploadImageJobDetails"),
    ),
    Expected {
        fallback_for: Some("getUploadJobDetails"),
        ..op(
            "getUploadJobDetailsByQuery",
            "GET",
            "/zstack/v1/images/upload-job/details/{imageId}",
            "zstack",
            "safe",
            None,
        )
    },
];

/// The security scheme each surface authenticates with.
fn scheme_for(surface: &str) -> &'static str {
    match surface {
        "clanforge" => "clanforgeBasic",
        "task" => "taskToken",
        "zstack" => "zstackSession",
        other => panic!("unknown surface {other:?}"),
    }
}

/// The server URL of each surface.
fn server_for(surface: &str) -> &'static str {
    match surface {
        "clanforge" => "https://api.multiplay.co.uk",
        "task" => "https://api.i3d.net",
        "zstack" => "http://{zstackHost}",
        other => panic!("unknown surface {other:?}"),
    }
}

/// Operation extensions the code generator knows (without the `x-` that
/// `oas3` strips).
const KNOWN_EXTENSIONS: [&str; 6] = [
    "cfp-surface",
    "cfp-retry",
    "vendor-operation-id",
    "cfp-fallback-for",
    "cfp-body",
    "cfp-body-default",
];

// ---------------------------------------------------------------------------
// Files

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_path() -> PathBuf {
    repo_root().join("docs").join("openapi.yaml")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The project's record of the vendors' facts (`xtask/tests/fixtures/vendor-facts.yaml`).
fn vendor_facts() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vendor-facts.yaml");
    yaml_serde::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn typed_spec() -> oas3::Spec {
    oas3::from_yaml(read(&spec_path()))
        .unwrap_or_else(|e| panic!("docs/openapi.yaml is not an OpenAPI 3.1 document: {e}"))
}

fn spec_value() -> Value {
    yaml_serde::from_str(&read(&spec_path()))
        .unwrap_or_else(|e| panic!("docs/openapi.yaml is not valid YAML: {e}"))
}

// ---------------------------------------------------------------------------
// JSON helpers

/// Follows local `$ref`s (`#/…`) until a non-reference object.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("$ref {reference:?} is not local"));
        current = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference:?} does not resolve"));
    }
    panic!("$ref chain too long at {value}")
}

/// A draft 2020-12 validator for `schema`, with the spec's
/// `#/components/schemas` reachable from it.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        Value::Bool(true) => Map::new(),
        other => panic!("unexpected schema {other}"),
    };
    root.insert(
        "components".to_owned(),
        json!({ "schemas": spec["components"]["schemas"].clone() }),
    );
    jsonschema::draft202012::new(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"))
}

/// Every reason `instance` is invalid, one line each.
fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} (at {:?})", e, e.instance_path().as_str()))
        .collect()
}

/// A component schema by name, as a `$ref`.
fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of a response (or, with status `request`, of the request body).
fn media_schema(spec: &Value, method: &str, path: &str, status: &str) -> Value {
    let op = &spec["paths"][path][method.to_ascii_lowercase()];
    let holder = if status == "request" {
        deref(spec, &op["requestBody"])
    } else {
        deref(spec, &op["responses"][status])
    };
    holder["content"]["application/json"]["schema"].clone()
}

/// `base` with the property at `pointer` set to `new`, or removed for `None`.
fn with(base: &Value, pointer: &str, new: Option<Value>) -> Value {
    let mut value = base.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let target = value
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in {base}"));
    match (target, new) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (other, _) => panic!("{parent} is not an object: {other}"),
    }
    value
}

/// Two JSON documents are the same, numbers compared by value (so that
/// `452984832E8` equals `45298483200000000`).
fn same_json(a: &Value, b: &Value) -> bool {
    fn exact(n: &serde_json::Number) -> Option<u64> {
        n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            // Integral and within u64: the conversion is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let exact = (f.fract() == 0.0 && (0.0..1.8e19).contains(&f)).then_some(f as u64);
            exact
        })
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (exact(x), exact(y)) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

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

// ---------------------------------------------------------------------------
// (1) Operations, extensions, security, servers

#[test]
fn spec_is_openapi_3_1() {
    let spec = typed_spec();
    let version = spec
        .validate_version()
        .unwrap_or_else(|e| panic!("unsupported openapi version {:?}: {e}", spec.openapi));
    assert_eq!((version.major, version.minor), (3, 1), "{}", spec.openapi);
}

#[test]
fn spec_declares_exactly_the_contract_operations() {
    let spec = typed_spec();
    let found: Vec<(String, String, String)> = spec
        .operations()
        .map(|(path, method, op)| {
            let id = op
                .operation_id
                .clone()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            (id, method.as_str().to_owned(), path)
        })
        .collect();
    let by_id: BTreeMap<&str, (&str, &str)> = found
        .iter()
        .map(|(id, m, p)| (id.as_str(), (m.as_str(), p.as_str())))
        .collect();
    assert_eq!(
        by_id.len(),
        found.len(),
        "duplicate operationIds: {found:?}"
    );
    let want: BTreeSet<&str> = OPERATIONS.iter().map(|e| e.id).collect();
    let have: BTreeSet<&str> = by_id.keys().copied().collect();
    assert_eq!(have, want, "operationIds differ from the contract");
    for e in &OPERATIONS {
        assert_eq!(
            by_id[e.id],
            (e.method, e.path),
            "method and path of {}",
            e.id
        );
    }
}

#[test]
fn every_operation_carries_the_generator_extensions() {
    let spec = typed_spec();
    for e in &OPERATIONS {
        let op = spec
            .operation_by_id(e.id)
            .unwrap_or_else(|| panic!("no operation {}", e.id));
        let ext = |key: &str| op.extensions.get(key).and_then(Value::as_str);
        assert_eq!(
            ext("cfp-surface"),
            Some(e.surface),
            "x-cfp-surface of {}",
            e.id
        );
        assert_eq!(ext("cfp-retry"), Some(e.retry), "x-cfp-retry of {}", e.id);
        assert_eq!(
            ext("vendor-operation-id"),
            e.vendor_id,
            "x-vendor-operation-id of {}",
            e.id
        );
        assert_eq!(
            ext("cfp-fallback-for"),
            e.fallback_for,
            "x-cfp-fallback-for of {}",
            e.id
        );
        for key in op.extensions.keys() {
            assert!(
                KNOWN_EXTENSIONS.contains(&key.as_str()),
                "{} has an unknown extension x-{key} (misspelt?)",
                e.id
            );
        }

        let summary = op.summary.as_deref().unwrap_or_default();
        assert!(
            !summary.trim().is_empty() && !summary.contains('\n'),
            "{} needs a one-line summary, got {summary:?}",
            e.id
        );
        assert!(
            op.description
                .as_deref()
                .is_some_and(|d| !d.trim().is_empty()),
            "{} needs a description",
            e.id
        );
        assert_eq!(op.tags, [e.surface], "tags of {}", e.id);
        // The generator reads each operation on its own: no parameter $refs.
        assert!(
            op.parameters
                .iter()
                .all(|p| matches!(p, ObjectOrReference::Object(_))),
            "{}: parameters must be inline, not $refs",
            e.id
        );
    }
}

#[test]
fn every_operation_has_one_security_requirement_naming_its_surface_scheme() {
    let spec = typed_spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    for e in &OPERATIONS {
        let op = spec.operation_by_id(e.id).expect("operation");
        assert_eq!(
            op.security.len(),
            1,
            "{} must have exactly one security requirement",
            e.id
        );
        let requirement = &op.security[0].0;
        let names: Vec<&String> = requirement.keys().collect();
        assert_eq!(
            names,
            [scheme_for(e.surface)],
            "security scheme of {}",
            e.id
        );
        assert!(
            schemes.contains_key(scheme_for(e.surface)),
            "{} names a scheme that components.securitySchemes lacks",
            e.id
        );
        assert!(
            requirement.values().all(Vec::is_empty),
            "{}: no scopes",
            e.id
        );
    }
}

#[test]
fn security_schemes_are_the_three_vendor_schemes() {
    let spec = typed_spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    let names: BTreeSet<&str> = schemes.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["clanforgeBasic", "taskToken", "zstackSession"])
    );
    let get = |name: &str| match &schemes[name] {
        ObjectOrReference::Object(scheme) => scheme.clone(),
        ObjectOrReference::Ref { ref_path, .. } => panic!("{name} is a $ref to {ref_path}"),
    };
    match get("clanforgeBasic") {
        SecurityScheme::Http { scheme, .. } => assert_eq!(scheme, "basic"),
        other => panic!("clanforgeBasic must be http basic: {other:?}"),
    }
    match get("taskToken") {
        SecurityScheme::ApiKey { name, location, .. } => {
            assert_eq!(
                (name.as_str(), location.as_str()),
                ("PRIVATE-TOKEN", "header")
            );
        }
        other => panic!("taskToken must be an apiKey header: {other:?}"),
    }
    match get("zstackSession") {
        SecurityScheme::ApiKey {
            name,
            location,
            description,
        } => {
            assert_eq!(
                (name.as_str(), location.as_str()),
                ("Authorization", "header")
            );
            let description = description.unwrap_or_default();
            assert!(
                description.contains("OAuth <sessionUuid>"),
                "zstackSession must say the value is `OAuth <sessionUuid>`: {description:?}"
            );
        }
        other => panic!("zstackSession must be an apiKey header: {other:?}"),
    }
}

#[test]
fn servers_are_declared_globally_and_per_path() {
    let spec = typed_spec();
    let global: BTreeSet<&str> = spec.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        global,
        BTreeSet::from(["clanforge", "task", "zstack"].map(server_for))
    );
    let paths = spec.paths.as_ref().expect("paths");
    for e in &OPERATIONS {
        let item = &paths[e.path];
        let urls: Vec<&str> = item.servers.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, [server_for(e.surface)], "servers of path {}", e.path);
    }
    for server in spec.servers.iter().chain(
        paths
            .values()
            .flat_map(|item| item.servers.iter())
            .filter(|s| s.url.contains("{zstackHost}")),
    ) {
        if server.url.contains("{zstackHost}") {
            let var = &server.variables["zstackHost"];
            assert_eq!(var.default, "localhost:8080");
            assert!(
                var.description
                    .as_deref()
                    .is_some_and(|d| d.contains("self-hosted")),
                "zstackHost must say ZStack is self-hosted"
            );
        }
    }
}

#[test]
fn query_fallback_sends_tags_as_repeated_query_parameters() {
    let spec = typed_spec();
    let op = spec
        .operation_by_id("getUploadJobDetailsByQuery")
        .expect("operation");
    let params = op.parameters(&spec).expect("parameters resolve");
    for name in ["systemTags", "userTags"] {
        let p = params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name} parameter"));
        assert_eq!(p.location, ParameterIn::Query, "{name}");
        assert_eq!(p.style, Some(ParameterStyle::Form), "{name}");
        assert_eq!(p.explode, Some(true), "{name}");
        match p.schema.as_ref() {
            Some(Schema::Object(schema)) => match schema.as_ref() {
                ObjectOrReference::Object(s) => assert_eq!(
                    s.schema_type,
                    Some(SchemaTypeSet::Single(SchemaType::Array)),
                    "{name} is an array"
                ),
                ObjectOrReference::Ref { ref_path, .. } => {
                    panic!("{name}: unexpected $ref {ref_path}")
                }
            },
            other => panic!("{name}: unexpected schema {other:?}"),
        }
    }
    let path_params: Vec<&str> = params
        .iter()
        .filter(|p| p.location == ParameterIn::Path)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(path_params, ["imageId"]);
}

// ---------------------------------------------------------------------------
// (2) Examples and schemas

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

// ---------------------------------------------------------------------------
// (3) Cross-checks against the vendor

/// Every property path a schema declares (`a.b` for nested objects; arrays,
/// `$ref`s and `oneOf`/`anyOf`/`allOf` are transparent; map values are `*`).
fn property_paths(
    doc: &Value,
    schema: &Value,
    prefix: &str,
    out: &mut BTreeSet<String>,
    depth: u32,
) {
    if depth > 12 {
        return;
    }
    if schema.get("$ref").is_some() {
        property_paths(doc, deref(doc, schema), prefix, out, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            property_paths(doc, sub, prefix, out, depth + 1);
        }
    }
    if let Some(items) = schema.get("items") {
        property_paths(doc, items, prefix, out, depth + 1);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        property_paths(doc, values, &join(prefix, "*"), out, depth + 1);
    }
    for (name, sub) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = join(prefix, name);
        out.insert(path.clone());
        property_paths(doc, sub, &path, out, depth + 1);
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn paths_of(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    property_paths(doc, schema, "", &mut out, 0);
    out
}

/// `required` of a schema, following `$ref`s.
fn required_of(doc: &Value, schema: &Value) -> BTreeSet<String> {
    deref(doc, schema)
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Names of the path parameters of an operation.
fn path_params(doc: &Value, op: &Value) -> Vec<String> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| deref(doc, p))
        .filter(|p| p["in"] == "path")
        .map(|p| p["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// operationId → (METHOD, path, operation) of an OpenAPI document.
fn operations_of(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ops.insert(
                    id.to_owned(),
                    (method.to_uppercase(), path.clone(), op.clone()),
                );
            }
        }
    }
    ops
}

#[test]
fn task_api_agrees_with_the_vendor_openapi() {
    let facts = vendor_facts();
    let spec = spec_value();
    let vendor_ops: BTreeMap<String, &Value> = facts["task"]["operations"]
        .as_array()
        .expect("task operations")
        .iter()
        .map(|o| {
            (
                o["vendor_operation_id"].as_str().expect("an id").to_owned(),
                o,
            )
        })
        .collect();
    let ours = operations_of(&spec);
    let mut failures = Vec::new();
    let mut claimed = BTreeSet::new();
    for (id, (method, path, op)) in &ours {
        let Some(vendor_id) = op.get("x-vendor-operation-id").and_then(Value::as_str) else {
            continue;
        };
        if op["x-cfp-surface"] != "task" {
            continue;
        }
        claimed.insert(vendor_id.to_owned());
        let Some(v) = vendor_ops.get(vendor_id) else {
            failures.push(format!("{id}: the vendor has no operation {vendor_id}"));
            continue;
        };
        if (v["method"].as_str(), v["path"].as_str())
            != (Some(method.as_str()), Some(path.as_str()))
        {
            failures.push(format!(
                "{id}: ours is {method} {path}, the vendor's {} {}",
                v["method"], v["path"]
            ));
        }
        let v_params: Vec<String> = strings(&v["path_params"]).into_iter().collect();
        let mut ours_params = path_params(&spec, op);
        ours_params.sort();
        if v_params != ours_params {
            failures.push(format!("{id}: path parameters differ from the vendor's"));
        }
        if v.get("request_properties").is_some() {
            let our_schema =
                &deref(&spec, &op["requestBody"])["content"]["application/json"]["schema"];
            if our_schema.is_null() {
                failures.push(format!("{id}: the vendor has a request body, ours none"));
            } else {
                let have = paths_of(&spec, our_schema);
                for p in strings(&v["request_properties"]).difference(&have) {
                    failures.push(format!("{id}: request property {p} is missing"));
                }
                let required = required_of(&spec, our_schema);
                for r in strings(&v["request_required"]).difference(&required) {
                    failures.push(format!(
                        "{id}: the vendor requires request property {r}, ours not"
                    ));
                }
            }
        }
        let our_responses = op["responses"].as_object().expect("responses");
        for (status, v_props) in v["responses"].as_object().expect("responses") {
            let Some(our_response) = our_responses.get(status) else {
                failures.push(format!("{id}: response {status} is missing"));
                continue;
            };
            let our_schema = &deref(&spec, our_response)["content"]["application/json"]["schema"];
            let have = paths_of(&spec, our_schema);
            for p in strings(v_props).difference(&have) {
                failures.push(format!("{id}: response {status} property {p} is missing"));
            }
        }
    }
    let all_vendor: BTreeSet<String> = vendor_ops.keys().cloned().collect();
    for missing in all_vendor.difference(&claimed) {
        failures.push(format!(
            "no operation of ours claims the vendor's {missing}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(claimed.len(), 8, "the task API has eight operations");
}

#[test]
fn zstack_agrees_with_the_vendor_doc_and_source() {
    let facts = &vendor_facts()["zstack"];
    let spec = spec_value();
    let ops = operations_of(&spec);
    let (method, path, op) = &ops["getUploadJobDetails"];
    assert_eq!(
        op["x-vendor-operation-id"].as_str(),
        facts["operation"].as_str(),
        "the vendor's operation id"
    );
    assert_eq!(
        Some(method.as_str()),
        facts["documented"]["method"].as_str()
    );
    assert_eq!(Some(path.as_str()), facts["documented"]["path"].as_str());
    // The GET form is the source's, under the servlet's /zstack prefix.
    let (q_method, q_path, q_op) = &ops["getUploadJobDetailsByQuery"];
    assert_eq!(
        Some(q_method.as_str()),
        facts["in_source"]["method"].as_str()
    );
    assert_eq!(
        q_path.strip_prefix("/zstack"),
        facts["in_source"]["path"].as_str()
    );
    let query: BTreeSet<String> = q_op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(query, strings(&facts["in_source"]["query"]));
    // Every field the contract names is one the vendor's doc or source has.
    let known: BTreeSet<String> = [
        "request_fields",
        "response_fields",
        "error_fields",
        "failure_body_fields",
    ]
    .iter()
    .flat_map(|k| strings(&facts[*k]))
    .collect();
    for schema in [
        "UploadJobDetails",
        "UploadJobDetailsBody",
        "ZStackErrorEnvelope",
    ] {
        for p in paths_of(&spec, &component(schema)) {
            let leaf = p.rsplit('.').next().expect("a name");
            assert!(
                known.contains(leaf),
                "{schema} property {p} is in neither the vendor's doc nor its source"
            );
        }
    }
    // Failures: 503 with the error body; header refusals: plain-text 400.
    let failure = facts["failure_status"]
        .as_u64()
        .expect("a status")
        .to_string();
    for (_, _, op) in [
        &ops["getUploadJobDetails"],
        &ops["getUploadJobDetailsByQuery"],
    ] {
        let r = deref(&spec, &op["responses"][&failure]);
        assert_eq!(
            r["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ZStackErrorEnvelope"
        );
        let refusal = facts["header_refusal"]["status"]
            .as_u64()
            .expect("a status")
            .to_string();
        let r = deref(&spec, &op["responses"][&refusal]);
        let examples = &r["content"]["text/plain"]["examples"];
        let bodies: BTreeSet<String> = examples
            .as_object()
            .expect("examples")
            .values()
            .filter_map(|e| e["value"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(bodies, strings(&facts["header_refusal"]["bodies"]));
    }
}

#[test]
fn clanforge_agrees_with_the_vendor_docs() {
    let facts = &vendor_facts()["clanforge"];
    let spec = spec_value();
    let ours = operations_of(&spec);
    for f in facts["operations"].as_array().expect("operations") {
        let id = f["operation"].as_str().expect("an id");
        let (method, path, op) = &ours[id];
        // The vendor writes path parameters as <name>.
        let url = format!(
            "https://api.multiplay.co.uk{}",
            path.replace('{', "<").replace('}', ">")
        );
        assert_eq!(Some(url.as_str()), f["url"].as_str(), "{id}: the URL");
        assert_eq!(
            Some(method.as_str()),
            f["method"].as_str(),
            "{id}: the method"
        );
        let params: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(params, strings(&f["parameters"]), "{id}: the parameters");
        // Every response field the vendor lists is in our schema, with its type.
        let schema = media_schema(&spec, method, path, "200");
        let fields = paths_of(&spec, &schema);
        for (name, ty) in f["response_fields"].as_object().expect("fields") {
            assert!(
                fields.contains(name),
                "{id}: the vendor's response field {name} is not in the contract"
            );
            let _ = ty;
        }
        for name in strings(&f["nested_fields"]) {
            assert!(
                fields
                    .iter()
                    .any(|p| p.rsplit('.').next() == Some(name.as_str())),
                "{id}: the vendor's nested field {name} is not in the contract"
            );
        }
    }
    // The job states and jobfailed's meaning, as the contract describes them.
    let job = spec["components"]["schemas"]["DiffJob"].clone();
    let states = job["properties"]["jobstateid"]["description"]
        .as_str()
        .expect("a description")
        .to_owned();
    for (id, name) in facts["job_states"].as_object().expect("states") {
        let name = name.as_str().expect("a name");
        assert!(
            states.contains(&format!("{id} {name}")),
            "jobstateid does not describe {id} {name}"
        );
    }
    assert_eq!(facts["jobfailed"], "count");
    assert_eq!(job["properties"]["jobfailed"]["minimum"], 0);
    assert!(job["properties"]["jobfailed"].get("enum").is_none());
}
