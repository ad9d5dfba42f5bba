//! Task API decoders on arbitrary bytes: never panic.
#![no_main]

use cfp_model::task::CreateTaskBatch;
use cfp_model::{Single, Task, TaskApiError, TaskBatch, TaskTemplate, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = decode::<Vec<TaskTemplate>>("task templates", body);
    let _ = decode::<Vec<Task>>("tasks", body);
    let _ = decode::<Single<Task>>("task", body);
    let _ = decode::<Vec<TaskBatch>>("task batches", body);
    let _ = decode::<Single<TaskBatch>>("task batch", body);
    if let Ok(req) = decode::<CreateTaskBatch>("create", body) {
        let _ = req.validate();
        let _ = serde_json::to_vec(&req);
    }
    let _ = TaskApiError::from_body(body);
});
