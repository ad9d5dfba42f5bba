//! (1) The contract's structure: the spec parses as OpenAPI 3.1, and every
//! operation it declares follows the contract's rules (a retry class that
//! follows its verb, a path under its surface, vendor ids where the vendor
//! has them), with the extensions the code generator reads, one security
//! requirement naming its surface's scheme, and its servers.

use std::collections::BTreeSet;

use oas3::spec::{
    ObjectOrReference, ParameterIn, ParameterStyle, Schema, SchemaType, SchemaTypeSet,
    SecurityScheme,
};
use serde_json::Value;

use crate::support::typed_spec;

// ---------------------------------------------------------------------------
// The contract's rules
//
// The spec is the one list of operations (cfp-model's table is generated
// from it). What is checked here are the rules every operation follows, so
// an operation that breaks one fails by name: its retry class follows the
// verb of its id, its path the prefix of its surface, its credentials the
// surface's schemes (or none, for ZStack's session calls).

/// One operation as the spec declares it.
struct Declared {
    id: String,
    method: String,
    path: String,
    surface: String,
    retry: String,
    vendor_id: Option<String>,
    fallback_for: Option<String>,
}

impl Declared {
    /// Needs no credentials (`security: []`): ZStack's session calls (log in,
    /// and those on one session: log out, is it valid), which its REST server
    /// answers without a session (`@SuppressCredentialCheck`). ZStack's other
    /// account calls need one.
    fn open(&self) -> bool {
        self.surface == "zstack"
            && (self.path == "/zstack/v1/accounts/login"
                || self
                    .path
                    .starts_with("/zstack/v1/accounts/sessions/{sessionUuid}"))
    }
}

/// Every operation of the spec, in its order.
fn declared() -> Vec<Declared> {
    let spec = typed_spec();
    spec.operations()
        .map(|(path, method, op)| {
            let id = op
                .operation_id
                .clone()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let ext = |key: &str| {
                op.extensions
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            Declared {
                surface: ext("cfp-surface").unwrap_or_default(),
                retry: ext("cfp-retry").unwrap_or_default(),
                vendor_id: ext("vendor-operation-id"),
                fallback_for: ext("cfp-fallback-for"),
                method: method.as_str().to_owned(),
                path,
                id,
            }
        })
        .collect()
}

/// The verbs an operation id may start with, and the retry class each
/// implies: a read may be repeated; a call that starts or changes a job
/// may not; ending something (cancel, log out) may, since a second end
/// changes nothing; a toggle reads before it repeats.
const VERBS: [(&str, &str); 11] = [
    ("get", "safe"),
    ("list", "safe"),
    ("validate", "safe"),
    ("cancel", "safe"),
    ("logOut", "safe"),
    ("create", "unsafe"),
    ("retry", "unsafe"),
    ("reject", "unsafe"),
    ("switch", "unsafe"),
    ("logIn", "unsafe"),
    ("toggle", "toggle"),
];

/// The path prefix of each surface.
fn prefix_for(surface: &str) -> &'static str {
    match surface {
        "clanforge" => "/cfp/",
        "task" => "/v3/",
        "zstack" => "/zstack/v1/",
        other => panic!("unknown surface {other:?}"),
    }
}

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
fn every_operation_is_declared_once_under_its_surface() {
    let ops = declared();
    assert!(!ops.is_empty(), "the spec declares no operation");
    let ids: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), ops.len(), "duplicate operationIds");
    let routes: BTreeSet<(&str, &str)> = ops
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str()))
        .collect();
    assert_eq!(
        routes.len(),
        ops.len(),
        "two operations share a method and path"
    );
    for o in &ops {
        assert!(
            o.id.starts_with(|c: char| c.is_ascii_lowercase())
                && o.id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{}: an operationId is lowerCamelCase",
            o.id
        );
        assert!(
            o.path.starts_with(prefix_for(&o.surface)),
            "{}: a {} path starts with {}, not {}",
            o.id,
            o.surface,
            prefix_for(&o.surface),
            o.path
        );
    }
}

#[test]
fn every_retry_class_follows_the_verb_of_its_operation() {
    for o in declared() {
        let Some((verb, class)) = VERBS.iter().find(|(verb, _)| {
            o.id.strip_prefix(verb).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
            })
        }) else {
            panic!(
                "{}: its verb is none of {:?}; add it to VERBS with the retry class it implies",
                o.id,
                VERBS.map(|(v, _)| v)
            );
        };
        assert_eq!(
            o.retry, *class,
            "{}: x-cfp-retry of a `{verb}` operation",
            o.id
        );
    }
}

#[test]
fn vendor_ids_and_fallbacks_name_what_exists() {
    let ops = declared();
    for o in &ops {
        match (&o.fallback_for, o.surface.as_str()) {
            (Some(main), _) => {
                let Some(m) = ops.iter().find(|m| &m.id == main) else {
                    panic!("{}: x-cfp-fallback-for names no operation {main}", o.id);
                };
                assert_eq!(
                    (m.path.as_str(), m.surface.as_str()),
                    (o.path.as_str(), o.surface.as_str()),
                    "{}: a fallback is another method on its operation's path",
                    o.id
                );
                assert!(
                    o.vendor_id.is_none(),
                    "{}: a fallback is not a vendor operation",
                    o.id
                );
            }
            // The task API's OpenAPI and ZStack's API messages name every
            // operation; Clanforge's pages name none.
            (None, "task" | "zstack") => assert!(
                o.vendor_id.as_deref().is_some_and(|v| !v.is_empty()),
                "{}: x-vendor-operation-id names the vendor's operation",
                o.id
            ),
            (None, _) => assert!(
                o.vendor_id.is_none(),
                "{}: Clanforge publishes no operation ids",
                o.id
            ),
        }
    }
}

#[test]
fn every_operation_carries_the_generator_extensions() {
    let spec = typed_spec();
    for e in &declared() {
        let op = spec
            .operation_by_id(&e.id)
            .unwrap_or_else(|| panic!("no operation {}", e.id));
        assert!(
            matches!(e.surface.as_str(), "clanforge" | "task" | "zstack"),
            "x-cfp-surface of {}: {:?}",
            e.id,
            e.surface
        );
        assert!(
            matches!(e.retry.as_str(), "safe" | "unsafe" | "toggle"),
            "x-cfp-retry of {}: {:?}",
            e.id,
            e.retry
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
        assert_eq!(op.tags, [e.surface.as_str()], "tags of {}", e.id);
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
    for e in &declared() {
        let op = spec.operation_by_id(&e.id).expect("operation");
        if e.open() {
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
            schemes_for(&e.surface),
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
    for e in &declared() {
        let item = &paths[&e.path];
        let urls: Vec<&str> = item.servers.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, [server_for(&e.surface)], "servers of path {}", e.path);
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
