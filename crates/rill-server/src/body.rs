//! A streamed response body: a blocking task writes JSON into a [`ChannelWriter`], which hands
//! full buffers to the HTTP connection through a bounded channel, so a large result is sent
//! piece by piece while at most a few buffers exist at once.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::Frame;
use tokio::sync::mpsc;

/// Size at which a buffer is handed to the connection.
const FLUSH_BYTES: usize = 64 * 1024;
/// Buffers in flight between the writer and the connection.
const CHANNEL_DEPTH: usize = 4;

/// The writing end, used from a blocking thread.
pub struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Bytes>,
}

/// Creates a connected writer and response body.
pub fn channel() -> (ChannelWriter, Body) {
    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    (
        ChannelWriter {
            buf: Vec::with_capacity(FLUSH_BYTES),
            tx,
        },
        Body::new(ChannelBody { rx }),
    )
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(FLUSH_BYTES)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= FLUSH_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        // The last partial buffer; a closed channel means the client is gone already.
        let _ = self.send();
    }
}

struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}
