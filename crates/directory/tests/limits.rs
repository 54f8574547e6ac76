//! What a hostile or broken directory can make us read: an answer over the size limit
//! is refused (and not read to its end), whether it says its length or streams.

use std::sync::Arc;

use alc_directory::{DirectoryError, Http, Policy, Progress};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-shot HTTP server on loopback answering with `head` and then `body_mib` MiB of
/// `x`, in 64 KiB chunks; answers how many bytes it managed to send.
async fn serve(head: &'static str, body_mib: usize) -> (String, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/page", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        if sock.write_all(head.as_bytes()).await.is_err() {
            return 0;
        }
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        for _ in 0..body_mib * 16 {
            let framed = if head.contains("chunked") {
                [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk.clone(),
                    b"\r\n".to_vec(),
                ]
                .concat()
            } else {
                chunk.clone()
            };
            if sock.write_all(&framed).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    (url, task)
}

fn http() -> Http {
    Http::new(
        Policy::quick(),
        Arc::new(Progress::default()),
        Arc::new(alc_directory::Egress::loopback()),
    )
    .unwrap()
}

#[tokio::test]
async fn an_answer_declaring_100_mib_is_refused_unread() {
    let (url, server) = serve("HTTP/1.1 200 OK\r\ncontent-length: 104857600\r\n\r\n", 100).await;
    let h = http();
    let resp = h.send("users page 1", |c| c.get(&url)).await.unwrap();
    let err = h.body("users page 1", resp).await.unwrap_err();
    assert!(
        matches!(&err, DirectoryError::Malformed { detail, .. } if detail.contains("larger than 16 MiB")),
        "{err:?}"
    );
    drop(h);
    let sent = server.await.unwrap();
    assert!(
        sent < 100 * 1024 * 1024,
        "not read to its end ({sent} bytes sent)"
    );
}

#[tokio::test]
async fn a_streamed_answer_is_cut_at_the_limit() {
    let (url, server) = serve("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", 100).await;
    let h = http();
    let resp = h.send("users page 1", |c| c.get(&url)).await.unwrap();
    let err = h.body("users page 1", resp).await.unwrap_err();
    assert!(matches!(err, DirectoryError::Malformed { .. }), "{err:?}");
    drop(h);
    let sent = server.await.unwrap();
    assert!(sent < 100 * 1024 * 1024, "{sent} bytes sent");
}
