//! The task API: listing and reading batches.

use bytes::Bytes;
use cfp_model::{OperationId, TaskBatch, TaskBatchId};

use super::request::RequestSpec;
use super::{Operation, positive, response};
use crate::base_url::BaseUrl;
use crate::error::Error;

/// `listTaskBatches`: `GET /v3/applicationInstance/taskBatch`.
pub(crate) struct ListBatchesOp;

impl Operation for ListBatchesOp {
    type Output = Vec<TaskBatch>;
    const ID: OperationId = OperationId::ListTaskBatches;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        RequestSpec::new(Self::ID).build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<Vec<TaskBatch>, Error> {
        response::task_api(Self::ID, "task batches", response)
    }
}

/// `getTaskBatch`: `GET /v3/applicationInstance/taskBatch/{taskBatchId}`.
pub(crate) struct GetBatchOp(pub(crate) TaskBatchId);

impl Operation for GetBatchOp {
    type Output = TaskBatch;
    const ID: OperationId = OperationId::GetTaskBatch;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        positive(Self::ID, "taskBatchId", self.0.get())?;
        RequestSpec::new(Self::ID).path(self.0).build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<TaskBatch, Error> {
        response::task_single(Self::ID, "task batch", response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::test_support::{BATCH, base, response};

    #[test]
    fn requests() {
        let req = ListBatchesOp.request(&base()).unwrap();
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/taskBatch");
        let req = GetBatchOp(TaskBatchId(7)).request(&base()).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().path(),
            "/prefix/v3/applicationInstance/taskBatch/7"
        );
        assert!(
            GetBatchOp(TaskBatchId(0))
                .request(&base())
                .unwrap_err()
                .is_invalid_input()
        );
    }

    #[test]
    fn answers() {
        let b = GetBatchOp::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(b.percent(), 33);
        let all = ListBatchesOp::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(all, [b]);
        let e = ListBatchesOp::parse(&response(200, r#"[{"id": "x"}]"#)).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
    }
}
