//! `listTaskTemplates`: the templates a task batch can run.

use bytes::Bytes;
use cfp_model::TaskTemplate;
use cfp_model::params::ListTaskTemplatesParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Templates (Restart, Stop, Start, Update, …) with their actions and the
/// parameters those require.
impl Operation for ListTaskTemplatesParams {
    type Output = Vec<TaskTemplate>;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Vec<TaskTemplate>>, Error> {
        response::task_api(Self::OPERATION, "task templates", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};

    #[test]
    fn templates_decode() {
        let req = request(&ListTaskTemplatesParams::new()).unwrap();
        assert_eq!(
            req.uri().path(),
            "/prefix/v3/applicationInstance/task/template"
        );
        let t = ListTaskTemplatesParams::parse(&response(
            200,
            r#"[{"id": 1, "name": "Restart", "description": "Restart"}]"#,
        ))
        .unwrap();
        assert_eq!(t[0].name, "Restart");
    }
}
