//! Task API decoders on arbitrary bytes: never panic; a decode error always
//! names a path and keeps a bounded excerpt.
#![no_main]

use cfp_model::task::CreateTaskBatch;
use cfp_model::{DecodeError, Single, Task, TaskApiError, TaskBatch, TaskTemplate, decode};
use libfuzzer_sys::fuzz_target;

fn check<T>(r: Result<T, DecodeError>) {
    if let Err(e) = r {
        assert!(!e.path.is_empty());
        assert!(e.excerpt.len() <= cfp_model::decode::EXCERPT_LEN + '…'.len_utf8());
        let _ = e.to_string();
    }
}

fuzz_target!(|body: &[u8]| {
    check(decode::<Vec<TaskTemplate>>("task templates", body));
    check(decode::<Vec<Task>>("tasks", body));
    check(decode::<Single<Task>>("task", body));
    check(decode::<Vec<TaskBatch>>("task batches", body));
    check(decode::<Single<TaskBatch>>("task batch", body));
    if let Ok(req) = decode::<CreateTaskBatch>("create", body) {
        let _ = req.validate();
        let _ = serde_json::to_vec(&req);
    }
    let _ = TaskApiError::from_body(body);
});
