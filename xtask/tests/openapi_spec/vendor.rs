//! (3) Cross-checks against the vendor: the task API agrees with the
//! vendor's own OpenAPI subset, and Clanforge and ZStack with the vendor
//! docs and source, as the project records them in
//! `xtask/tests/fixtures/vendor-facts.yaml`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::{
    component, deref, media_schema, operations_of, path_params, paths_of, required_of, spec_value,
    strings, vendor_facts,
};

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
