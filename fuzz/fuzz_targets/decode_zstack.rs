//! ZStack decoders on arbitrary bytes: never panic; a decode error names a
//! path; an error chain always displays (however deep).
#![no_main]

use cfp_model::zstack::{self, ZStackReplyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match zstack::decode_as::<cfp_model::UploadJobDetails>(body) {
        Err(ZStackReplyError::Service(e)) => {
            let _ = e.to_string();
        }
        Err(ZStackReplyError::Decode(e)) => {
            assert!(!e.path.is_empty());
            assert!(e.excerpt.len() <= cfp_model::decode::EXCERPT_LEN + '…'.len_utf8());
        }
        Ok(_) => {}
    }
    if let Some(e) = zstack::error_from_body(body) {
        let _ = e.chain().count();
    }
});
