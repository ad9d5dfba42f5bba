//! (1) The contract's structure: the spec parses as OpenAPI 3.1 and holds
//! exactly the contract's operations, each with the extensions the code
//! generator reads, one security requirement naming its surface's scheme,
//! and its servers.

use std::collections::{BTreeMap, BTreeSet};

use oas3::spec::{
    ObjectOrReference, ParameterIn, ParameterStyle, Schema, SchemaType, SchemaTypeSet,
    SecurityScheme,
};
use serde_json::Value;

use crate::support::typed_spec;

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
    /// Needs no credentials (`security: []`): ZStack's login and logout.
    open: bool,
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
        open: false,
    }
}

/// Written out rather than read from cfp-model's operation table: that
/// table is generated from the spec under test, so checking the spec
/// against it would prove nothing. This list is the contract as agreed,
/// vendor operation ids included, which the generated table does not carry.
const OPERATIONS: [Expected; 26] = [
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
        "createImageUpdate",
        "GET",
        "/cfp/v1/imageupdate/create",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "getImageUpdateStatus",
        "GET",
        "/cfp/v1/imageupdate/{updateid}/status",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "retryImageUpdate",
        "GET",
        "/cfp/v1/imageupdate/{updateid}/retry",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "rejectImageDiff",
        "GET",
        "/cfp/v1/imagediff/{diffid}/reject",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "createImageVersion",
        "GET",
        "/cfp/v1/imageversion/create",
        "clanforge",
        "unsafe",
        None,
    ),
    op(
        "getImageVersionStatus",
        "GET",
        "/cfp/v1/imageversion/{imageversionid}/status",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "getImageInstallStatus",
        "GET",
        "/cfp/v1/imageinstall/status",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "getImageOptions",
        "GET",
        "/cfp/v1/image/options",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "getFleetProfileSwitch",
        "GET",
        "/cfp/v2/fleet/{fleetid}/switchprofile",
        "clanforge",
        "safe",
        None,
    ),
    op(
        "switchFleetProfile",
        "PATCH",
        "/cfp/v2/fleet/{fleetid}/switchprofile",
        "clanforge",
        "unsafe",
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
    Expected {
        open: true,
        ..op(
            "logInByAccount",
            "PUT",
            "/zstack/v1/accounts/login",
            "zstack",
            "unsafe",
            Some("LogInByAccount"),
        )
    },
    Expected {
        open: true,
        ..op(
            "logOut",
            "DELETE",
            "/zstack/v1/accounts/sessions/{sessionUuid}",
            "zstack",
            "safe",
            Some("LogOut"),
        )
    },
];

/// The security schemes each surface authenticates with: alternatives,
/// one requirement each (ZStack takes a session or an AccessKey).
fn schemes_for(surface: &str) -> &'static [&'static str] {
    match surface {
        "clanforge" => &["clanforgeBasic"],
        "task" => &["taskToken"],
        "zstack" => &["zstackSession", "zstackAccessKey"],
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
fn every_operation_has_its_surface_security_requirements() {
    let spec = typed_spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    for e in &OPERATIONS {
        let op = spec.operation_by_id(e.id).expect("operation");
        if e.open {
            assert!(op.security.is_empty(), "{} needs no credentials", e.id);
            continue;
        }
        let names: Vec<&str> = op
            .security
            .iter()
            .map(|r| {
                assert_eq!(r.0.len(), 1, "{}: one scheme per requirement", e.id);
                assert!(r.0.values().all(Vec::is_empty), "{}: no scopes", e.id);
                r.0.keys().next().map_or("", String::as_str)
            })
            .collect();
        assert_eq!(
            names,
            schemes_for(e.surface),
            "security schemes of {}",
            e.id
        );
        for name in names {
            assert!(
                schemes.contains_key(name),
                "{} names {name}, which components.securitySchemes lacks",
                e.id
            );
        }
    }
}

#[test]
fn security_schemes_are_the_vendor_schemes() {
    let spec = typed_spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    let names: BTreeSet<&str> = schemes.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "clanforgeBasic",
            "taskToken",
            "zstackSession",
            "zstackAccessKey"
        ])
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
