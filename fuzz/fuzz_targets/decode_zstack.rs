//! ZStack decoders on arbitrary bytes: never panic; an error chain always
//! displays (however deep).
#![no_main]

use cfp_model::zstack::{self, ZStackReplyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(ZStackReplyError::Service(e)) = zstack::decode_reply(body) {
        let _ = e.to_string();
    }
    if let Some(e) = zstack::error_from_body(body) {
        let _ = e.chain().count();
    }
});
