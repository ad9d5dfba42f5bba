//! `listTaskBatches`: the last 100 batches.

use bytes::Bytes;
use cfp_model::TaskBatch;
use cfp_model::params::ListTaskBatchesParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// The most recent batches (at most 100).
impl Operation for ListTaskBatchesParams {
    type Output = Vec<TaskBatch>;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Vec<TaskBatch>>, Error> {
        response::task_api(Self::OPERATION, "task batches", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{BATCH, request, response};

    #[test]
    fn batches_decode() {
        let req = request(&ListTaskBatchesParams::new()).unwrap();
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/taskBatch");
        let all = ListTaskBatchesParams::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(all.len(), 1);
        let e = ListTaskBatchesParams::parse(&response(200, r#"[{"id": "x"}]"#)).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
    }
}
