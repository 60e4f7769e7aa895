//! A minimal Lambda Runtime API (2018-06-01) for one function instance:
//! the test queues invocations, the runtime long-polls `next`, and results
//! come back through `response` or `error`.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use tokio::sync::{Notify, mpsc};

/// What the function answered.
#[derive(Debug)]
pub(crate) enum Outcome {
    Response(serde_json::Value),
    Error {
        error_type: String,
        body: serde_json::Value,
    },
    InitError(serde_json::Value),
}

struct Pending {
    id: String,
    payload: serde_json::Value,
    /// The invocation's time budget, counted from when the runtime takes it.
    budget: Duration,
}

#[derive(Clone)]
struct Shared {
    queue: Arc<Mutex<VecDeque<Pending>>>,
    queued: Arc<Notify>,
    results: mpsc::UnboundedSender<(String, Outcome)>,
}

pub(crate) struct RuntimeApi {
    pub(crate) addr: String,
    shared: Shared,
    results: mpsc::UnboundedReceiver<(String, Outcome)>,
    next_id: u64,
}

impl RuntimeApi {
    pub(crate) async fn start() -> RuntimeApi {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared {
            queue: Arc::default(),
            queued: Arc::default(),
            results: tx,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RuntimeApi {
            addr,
            shared,
            results: rx,
            next_id: 0,
        }
    }

    /// Invokes the function and waits for its answer.
    pub(crate) async fn invoke(&mut self, payload: serde_json::Value, budget: Duration) -> Outcome {
        self.next_id += 1;
        let id = format!("req-{}", self.next_id);
        self.shared.queue.lock().unwrap().push_back(Pending {
            id: id.clone(),
            payload,
            budget,
        });
        self.shared.queued.notify_one();
        let (got, outcome) = tokio::time::timeout(Duration::from_secs(180), self.results.recv())
            .await
            .expect("the function answers within 3 minutes")
            .expect("the runtime API is running");
        if let Outcome::InitError(body) = &outcome {
            panic!("the function failed to initialise: {body}");
        }
        assert_eq!(got, id, "the answer is for the invocation sent");
        outcome
    }
}

async fn next(State(s): State<Shared>) -> impl IntoResponse {
    let pending = loop {
        let notified = s.queued.notified();
        if let Some(p) = s.queue.lock().unwrap().pop_front() {
            break p;
        }
        notified.await;
    };
    let deadline = SystemTime::now() + pending.budget;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis();
    let mut headers = HeaderMap::new();
    headers.insert("Lambda-Runtime-Aws-Request-Id", pending.id.parse().unwrap());
    headers.insert(
        "Lambda-Runtime-Deadline-Ms",
        deadline_ms.to_string().parse().unwrap(),
    );
    headers.insert(
        "Lambda-Runtime-Invoked-Function-Arn",
        "arn:aws:lambda:us-east-1:123456789012:function:jira-ingest"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "Lambda-Runtime-Trace-Id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    headers.insert("Content-Type", "application/json".parse().unwrap());
    (StatusCode::OK, headers, pending.payload.to_string())
}

fn json_of(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = s.results.send((id, Outcome::Response(json_of(&body))));
    StatusCode::ACCEPTED
}

async fn error(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let body = json_of(&body);
    // Lambda reports the body's `errorType` to callers; the header only
    // says whether the runtime considered the error handled.
    let error_type = body["errorType"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get("Lambda-Runtime-Function-Error-Type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let _ = s.results.send((id, Outcome::Error { error_type, body }));
    StatusCode::ACCEPTED
}

async fn init_error(State(s): State<Shared>, body: Bytes) -> StatusCode {
    let _ = s
        .results
        .send((String::new(), Outcome::InitError(json_of(&body))));
    StatusCode::ACCEPTED
}
