//! Reads the operations out of `docs/openapi.yaml`.

use std::path::Path;

use oas3::spec::{ObjectOrReference, ParameterIn, Schema, SchemaType as Type};

/// One operation, as the generators need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Op {
    pub(crate) name: String,
    pub(crate) variant: String,
    pub(crate) summary: String,
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) path_params: Vec<String>,
    /// Name, required, repeated (an array sent as `name=a&name=b`).
    pub(crate) query_params: Vec<(String, bool, bool)>,
    pub(crate) has_body: bool,
    pub(crate) surface: &'static str,
    pub(crate) auth: &'static str,
    pub(crate) retry: &'static str,
    pub(crate) fallback_for: Option<String>,
}

/// Parses the spec and returns its operations in file order.
pub(crate) fn load(path: &Path) -> Result<Vec<Op>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let spec = oas3::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ops = Vec::new();
    for (path, method, op) in spec.operations() {
        let name = op
            .operation_id
            .clone()
            .ok_or_else(|| format!("{method} {path}: no operationId"))?;
        let here = |what: &str| format!("{name} ({method} {path}): {what}");
        let ext = |key: &str| -> Result<String, String> {
            op.extensions
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| here(&format!("missing x-{key}")))
        };
        let surface = match ext("cfp-surface")?.as_str() {
            "clanforge" => "Clanforge",
            "task" => "Task",
            "zstack" => "ZStack",
            other => return Err(here(&format!("unknown x-cfp-surface {other:?}"))),
        };
        let retry = match ext("cfp-retry")?.as_str() {
            "safe" => "Safe",
            "unsafe" => "Unsafe",
            "toggle" => "Toggle",
            other => return Err(here(&format!("unknown x-cfp-retry {other:?}"))),
        };
        let schemes: Vec<&String> = op.security.iter().flat_map(|r| r.0.keys()).collect();
        let auth = match schemes.as_slice() {
            [s] => match s.as_str() {
                "clanforgeBasic" => "Basic",
                "taskToken" => "PrivateToken",
                "zstackSession" => "OAuthSession",
                other => return Err(here(&format!("unknown security scheme {other:?}"))),
            },
            _ => return Err(here("needs exactly one security scheme")),
        };
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        for p in &op.parameters {
            let p = match p {
                ObjectOrReference::Object(p) => p.clone(),
                ObjectOrReference::Ref { ref_path, .. } => {
                    return Err(here(&format!("parameter $ref {ref_path} is not supported")));
                }
            };
            match p.location {
                ParameterIn::Path => path_params.push(p.name),
                ParameterIn::Query => {
                    let repeated = p
                        .schema
                        .as_ref()
                        .and_then(|s| s.resolve(&spec).ok())
                        .is_some_and(|s| is_array(&s));
                    query_params.push((p.name, p.required.unwrap_or(false), repeated));
                }
                _ => {}
            }
        }
        // Path parameters in template order, and every one declared.
        let in_template: Vec<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        let mut declared = path_params.clone();
        declared.sort();
        let mut wanted = in_template.clone();
        wanted.sort();
        if declared != wanted {
            return Err(here(&format!(
                "path parameters {path_params:?} do not match the template's {in_template:?}"
            )));
        }
        let method_str = match method.as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "DELETE" => "Delete",
            other => return Err(here(&format!("method {other} is not used by the contract"))),
        };
        ops.push(Op {
            variant: variant_name(&name),
            summary: op.summary.clone().unwrap_or_default().trim().to_owned(),
            method: method_str,
            path: path.clone(),
            path_params: in_template,
            query_params,
            has_body: op.request_body.is_some(),
            surface,
            auth,
            retry,
            fallback_for: op
                .extensions
                .get("cfp-fallback-for")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            name,
        });
    }
    for op in &ops {
        if let Some(f) = &op.fallback_for
            && !ops.iter().any(|o| &o.name == f)
        {
            return Err(format!("{}: x-cfp-fallback-for names unknown {f}", op.name));
        }
        if ops.iter().filter(|o| o.name == op.name).count() > 1 {
            return Err(format!("operationId {} is used twice", op.name));
        }
    }
    Ok(ops)
}

fn is_array(schema: &Schema) -> bool {
    match schema {
        Schema::Object(o) => match o.as_ref() {
            ObjectOrReference::Object(o) => o
                .schema_type
                .as_ref()
                .is_some_and(|t| t.contains(Type::Array)),
            ObjectOrReference::Ref { .. } => false,
        },
        Schema::Boolean(_) => false,
    }
}

/// `getImageStatus` → `GetImageStatus`.
pub(crate) fn variant_name(operation_id: &str) -> String {
    let mut chars = operation_id.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
