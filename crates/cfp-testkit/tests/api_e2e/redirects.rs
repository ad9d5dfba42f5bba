//! A redirect to another host never carries credentials there: a server on
//! 127.0.0.1 redirects every call to the simulator on 127.0.0.2, and the
//! client refuses to follow, so the simulator sees nothing (its journal
//! would hold any request, with or without an auth header).
//!
//! The transport-level tests (`cfp-transport/tests/reqwest_loopback.rs`)
//! cover the header details; this one goes through the whole client, for
//! every surface's auth scheme.

use std::net::SocketAddr;

use cfp_api::model::{AccountServiceId, ImageId, ZStackImageId};
use cfp_api::{Error, TransportErrorKind};
use cfp_testkit::world::DEMO_ZSTACK_IMAGE;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::api_support::{assert_no_secret, client_for, quick_timeouts, sim_builder};

/// Answers every request with `307` to the same path on `target`.
async fn redirector(target: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&got);
                let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{target}{path}\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_redirect_to_another_loopback_host_is_refused_for_every_surface() {
    let sim = sim_builder()
        .bind("127.0.0.2:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let front = redirector(sim.addr()).await;
    let client = client_for(&format!("http://{front}"))
        .timeouts(quick_timeouts())
        .build()
        .unwrap();

    let errors = [
        client
            .clanforge(AccountServiceId(1))
            .get_image_status(ImageId(1))
            .detail(false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        client.list_tasks().send().await.map(drop).unwrap_err(),
        client
            .get_upload_job_details(ZStackImageId::new(DEMO_ZSTACK_IMAGE).unwrap())
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    ];
    for e in &errors {
        let Error::Transport { source, .. } = e else {
            panic!("{e:?}");
        };
        assert_eq!(source.kind(), TransportErrorKind::Redirect, "{e}");
        assert!(e.to_string().contains("another host"), "{e}");
        assert!(!e.is_retryable());
        assert_no_secret("a redirect error", &format!("{e} {e:?}"));
    }
    assert_eq!(
        sim.journal().total(),
        0,
        "nothing reached the other host: {:?}",
        sim.journal().entries()
    );
}
