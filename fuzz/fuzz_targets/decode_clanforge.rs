//! Clanforge decoders on arbitrary bytes: never panic; a decode error always
//! names a path and keeps a bounded excerpt.
#![no_main]

use cfp_model::clanforge::{self, ClanforgeReplyError};
use cfp_model::{ClanforgeError, DiffJob, DiffStatus, ImageStatus};
use libfuzzer_sys::fuzz_target;

fn check<T>(r: Result<T, ClanforgeReplyError>) {
    if let Err(ClanforgeReplyError::Decode(e)) = r {
        assert!(!e.path.is_empty());
        assert!(e.excerpt.len() <= cfp_model::decode::EXCERPT_LEN + '…'.len_utf8());
    }
}

fuzz_target!(|body: &[u8]| {
    check(clanforge::decode_reply::<DiffJob>(body));
    check(clanforge::decode_reply::<DiffStatus>(body));
    check(clanforge::decode_reply::<ImageStatus>(body));
    let _ = ClanforgeError::from_body(body);
});
