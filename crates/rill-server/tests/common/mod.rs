//! Shared helpers of the server tests: a fixture store, an in-process server on 127.0.0.1:0,
//! and test-only PromQL functions that sleep or panic.

#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

pub mod peers;

use std::sync::Arc;
use std::time::Duration;

use rill_engine::operator::Operator;
use rill_engine::{ArgPlanner, FunctionDef, FunctionFactory, FunctionRegistry};
use rill_model::{Labels, MemoryStore, Sample};
use rill_promql::{Call, Signature, ValueType};
use rill_server::{Server, ServerConfig, SharedMemoryStore};
use tokio::sync::oneshot;

/// Fixture start: 2023-11-14T22:13:20Z.
pub const T0: i64 = 1_700_000_000_000;

/// `up` for jobs api/web and `http_requests_total` for api, one sample per 15 s for 10 min.
pub fn fixture() -> MemoryStore {
    let mut s = MemoryStore::new();
    let series = [
        (Labels::from_pairs([("__name__", "up"), ("job", "api")]), 1.0, 0.0),
        (Labels::from_pairs([("__name__", "up"), ("job", "web")]), 0.0, 0.0),
        (
            Labels::from_pairs([("__name__", "http_requests_total"), ("job", "api"), ("code", "200")]),
            0.0,
            10.0,
        ),
    ];
    for (labels, base, slope) in series {
        for i in 0..=40 {
            s.append(&labels, Sample::float(T0 + i * 15_000, base + slope * i as f64))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    s
}

/// A function that sleeps while being planned, then passes its argument through.
struct Sleep(Duration);

impl FunctionFactory for Sleep {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> rill_engine::Result<Operator> {
        std::thread::sleep(self.0);
        let arg = call
            .args
            .first()
            .ok_or_else(|| rill_engine::Error::Internal("no argument".into()))?;
        planner.plan(arg)
    }
}

/// A function whose planning panics.
struct Panics;

impl FunctionFactory for Panics {
    fn build(&self, _call: &Call, _planner: &mut dyn ArgPlanner) -> rill_engine::Result<Operator> {
        panic!("test_panic was called")
    }
}

fn def(name: &str, factory: Arc<dyn FunctionFactory>) -> FunctionDef {
    FunctionDef {
        name: name.into(),
        signature: Signature {
            arg_types: vec![ValueType::Vector],
            variadic: 0,
            return_type: ValueType::Vector,
            experimental: false,
        },
        factory,
    }
}

/// The built-ins plus `test_sleep(v)` (1 s) and `test_panic(v)`.
pub fn registry() -> Arc<FunctionRegistry> {
    let mut r = rill_engine::functions::builtin_registry();
    r.register(def("test_sleep", Arc::new(Sleep(Duration::from_secs(1)))));
    r.register(def("test_panic", Arc::new(Panics)));
    Arc::new(r)
}

/// A running in-process server.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// HTTP client.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server over `store` with `config`.
    pub async fn start_with(store: MemoryStore, config: ServerConfig) -> TestServer {
        let shared = Arc::new(SharedMemoryStore::new(store));
        let server = Server::with_registry(config, shared.clone(), Some(shared), registry());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            client: reqwest::Client::new(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Starts a server over the fixture with default limits.
    pub async fn start() -> TestServer {
        Self::start_with(fixture(), ServerConfig::default()).await
    }

    /// GETs `path` and returns status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs a form to `path` and returns status and body.
    pub async fn post_form(&self, path: &str, form: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs a raw body with headers.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> reqwest::Response {
        let mut req = self.client.post(format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// URL-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
