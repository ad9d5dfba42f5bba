//! `getImageOptions`: what an image can be updated with, and what locks it.

use bytes::Bytes;
use cfp_model::ImageOptions;
use cfp_model::params::GetImageOptionsParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read, safe to repeat. The default update URL it answers may carry
/// storage credentials; it is an [`UpdateUrl`](cfp_model::UpdateUrl), whose
/// `Debug` hides them. `gameid` and `imageid` go together: one without the
/// other is refused before sending.
impl Operation for GetImageOptionsParams {
    type Output = ImageOptions;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<ImageOptions>, Error> {
        response::clanforge(Self::OPERATION, r)
    }

    async fn send(call: crate::call::Call<Self>) -> Result<Answer<ImageOptions>, Error> {
        let p = &call.params;
        match (p.game_id, p.image_id) {
            (Some(_), None) => Err(Error::invalid(
                Self::OPERATION,
                "imageid",
                "it is needed with gameid",
            )),
            (None, Some(_)) => Err(Error::invalid(
                Self::OPERATION,
                "gameid",
                "it is needed with imageid",
            )),
            _ => call.client.execute(p).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, GameId, ImageId};

    #[test]
    fn game_and_image_go_together() {
        let p = GetImageOptionsParams::new(AccountServiceId(1));
        assert_eq!(request(&p).unwrap().uri().query(), Some("accountserviceid=1"));
        let both = p.clone().game_id(GameId(1)).image_id(ImageId(2));
        assert_eq!(
            request(&both).unwrap().uri().query(),
            Some("accountserviceid=1&gameid=1&imageid=2")
        );
        let o = GetImageOptionsParams::parse(&response(200, r#"{"diffid": 7, "updateid": 0}"#)).unwrap();
        assert_eq!(o.lock(), Some(cfp_model::ImageLock::Diff(cfp_model::DiffId(7))));
    }
}
