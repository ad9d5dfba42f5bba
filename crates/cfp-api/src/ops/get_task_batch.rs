//! `getTaskBatch`: a batch and its task counts.

use bytes::Bytes;
use cfp_model::TaskBatch;
use cfp_model::params::GetTaskBatchParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read; see [`Client::wait_for_batch`](crate::Client::wait_for_batch) to
/// wait for every task to end.
impl Operation for GetTaskBatchParams {
    type Output = TaskBatch;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<TaskBatch>, Error> {
        response::task_single(Self::OPERATION, "task batch", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{BATCH, request, response};
    use cfp_model::TaskBatchId;

    #[test]
    fn the_batch_goes_in_the_path() {
        let req = request(&GetTaskBatchParams::new(TaskBatchId(7))).unwrap();
        assert_eq!(
            req.uri().path(),
            "/prefix/v3/applicationInstance/taskBatch/7"
        );
        assert!(
            request(&GetTaskBatchParams::new(TaskBatchId(0)))
                .unwrap_err()
                .is_invalid_input()
        );
        let b = GetTaskBatchParams::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(b.percent(), 33);
    }
}
