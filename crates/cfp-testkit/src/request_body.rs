//! Reading a request body within a size limit and a deadline.
//!
//! Frames are copied into one growing buffer and dropped at once: a frame
//! is a slice of the connection's read buffer, so keeping every frame (as
//! `Collected` does) keeps a whole read buffer alive per frame, several
//! KiB for a body sent one byte per TCP segment.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Body;
use tokio::time::Instant;

/// The first allocation for a kept body: a `Content-Length` is a claim,
/// not bytes received, so no more is reserved up front.
const FIRST_RESERVE: u64 = 16 * 1024;

/// A request body as read.
#[derive(Debug, Default)]
pub(crate) struct ReadBody {
    /// The bytes, when kept (else empty).
    pub(crate) bytes: Bytes,
    /// Its length, kept or not.
    pub(crate) len: u64,
}

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than the limit (declared or sent).
    TooLarge,
    /// Not complete by the deadline.
    TimedOut,
    /// The connection failed or the framing was broken.
    Cut,
}

/// Reads `body` to its end, at most `limit` bytes, before `deadline`;
/// keeps the bytes only when `keep`.
pub(crate) async fn read<B>(
    mut body: B,
    limit: usize,
    deadline: Instant,
    keep: bool,
) -> Result<ReadBody, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
{
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    let hint = body.size_hint().lower();
    if hint > limit {
        return Err(BodyError::TooLarge);
    }
    let mut buf = BytesMut::new();
    if keep {
        buf.reserve(usize::try_from(hint.min(FIRST_RESERVE)).unwrap_or_default());
    }
    let mut len = 0u64;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Cut),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len() as u64;
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        if keep {
            buf.extend_from_slice(&data);
        }
    }
    Ok(ReadBody {
        bytes: shrink(buf),
        len,
    })
}

/// The buffer as `Bytes` holding no more than a quarter of spare capacity
/// (it grew by doubling), so that what the journal keeps is what it counts.
fn shrink(buf: BytesMut) -> Bytes {
    if buf.capacity() - buf.len() > buf.len() / 4 {
        Bytes::copy_from_slice(&buf)
    } else {
        buf.freeze()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use http_body_util::StreamBody;
    use hyper::body::Frame;

    use super::*;

    /// A connection's read buffer, counted while alive.
    struct ReadBuffer {
        data: Vec<u8>,
        live: Arc<AtomicUsize>,
    }

    impl AsRef<[u8]> for ReadBuffer {
        fn as_ref(&self) -> &[u8] {
            &self.data
        }
    }

    impl Drop for ReadBuffer {
        fn drop(&mut self) {
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// A body of `n` one-byte frames, each a slice of its own 8 KiB read
    /// buffer, as hyper hands out a body sent one byte per segment; and the
    /// most read buffers alive at once while it was read.
    fn one_byte_frames(
        n: usize,
    ) -> (
        impl Body<Data = Bytes, Error = Infallible> + Unpin,
        Arc<AtomicUsize>,
    ) {
        let live = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (l, m) = (live.clone(), most.clone());
        let frames = futures_util::stream::iter((0..n).map(move |i| {
            let now = l.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            let byte = u8::try_from(i % 251).unwrap_or(0);
            let buffer = Bytes::from_owner(ReadBuffer {
                data: vec![byte; 8192],
                live: l.clone(),
            });
            Ok::<_, Infallible>(Frame::data(buffer.slice(..1)))
        }));
        (StreamBody::new(frames), most)
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[tokio::test]
    async fn a_body_of_one_byte_frames_keeps_one_buffer_not_its_frames() {
        let (body, most_alive) = one_byte_frames(30_000);
        let read = read(body, 1 << 20, soon(), true).await.unwrap();
        assert_eq!(read.len, 30_000);
        assert_eq!(read.bytes.len(), 30_000);
        assert_eq!(read.bytes[251], 0);
        assert_eq!(read.bytes[252], 1);
        // Kept as frames, 30,000 read buffers (240 MB) would stay alive.
        assert!(most_alive.load(Ordering::SeqCst) <= 2);
    }

    #[tokio::test]
    async fn a_body_not_kept_is_only_counted() {
        let (body, _) = one_byte_frames(1000);
        let read = read(body, 1 << 20, soon(), false).await.unwrap();
        assert_eq!(read.len, 1000);
        assert!(read.bytes.is_empty());
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        let (body, _) = one_byte_frames(101);
        assert_eq!(
            read(body, 100, soon(), true).await.unwrap_err(),
            BodyError::TooLarge
        );
        let declared = http_body_util::Full::new(Bytes::from(vec![0; 101]));
        assert_eq!(
            read(declared, 100, soon(), false).await.unwrap_err(),
            BodyError::TooLarge
        );
    }

    #[tokio::test]
    async fn a_body_that_stalls_times_out_at_the_deadline() {
        let stalled = StreamBody::new(futures_util::stream::pending::<
            Result<Frame<Bytes>, Infallible>,
        >());
        let started = Instant::now();
        let err = read(stalled, 100, started + Duration::from_millis(100), true)
            .await
            .unwrap_err();
        assert_eq!(err, BodyError::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn what_is_kept_has_little_spare_capacity() {
        let mut grown = BytesMut::with_capacity(4096);
        grown.extend_from_slice(&[1; 1025]);
        let at = grown.as_ptr();
        let kept = shrink(grown);
        assert_eq!(kept.len(), 1025);
        assert_ne!(kept.as_ptr(), at, "copied out of the 4 KiB allocation");
        let mut tight = BytesMut::with_capacity(1025);
        tight.extend_from_slice(&[1; 1025]);
        let at = tight.as_ptr();
        assert_eq!(shrink(tight).as_ptr(), at, "kept as it is");
    }
}
