//! The middlewares on the API routes: the faults that
//! [`Chaos`](crate::Chaos) draws, and the [`Drift`] set on the sandbox.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{
        StatusCode,
        header::{CONTENT_LENGTH, CONTENT_TYPE},
    },
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    answers::{Shared, error, fault_response},
    chaos::{ChaosState, Injected},
    drift::{self, Drift},
    store::Fault,
};

/// The middleware on the API routes: draws a fault and applies it before or
/// after the handler.
pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let injected = shared.store().chaos.as_mut().and_then(ChaosState::draw);
    match injected {
        None => next.run(request).await,
        Some(Injected::Unavailable) => fault_response(&Fault::status(503).retry_after(0)),
        Some(Injected::Unauthorized) => error(
            StatusCode::UNAUTHORIZED,
            "USER_AUTHENTICATION_FAILED",
            "the bearer token is invalid or expired",
            "authentication",
        ),
        Some(Injected::InternalError) => {
            drop(next.run(request).await);
            fault_response(&Fault::status(500))
        }
        Some(Injected::Dropped) => {
            drop(next.run(request).await);
            dropped_connection()
        }
        Some(Injected::Slow(by)) => {
            let response = next.run(request).await;
            tokio::time::sleep(by).await;
            response
        }
    }
}

/// A response whose body fails at once: the server closes the connection
/// before the status line is flushed, so the client sees the connection
/// closed without an answer.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::iter([Err::<Bytes, std::io::Error>(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "injected drop",
    ))]);
    Response::new(Body::from_stream(failing))
}

/// The drift middleware: a successful API answer departs from the spec in
/// each way set with `Sandbox::set_drift`.
pub(crate) async fn drifting(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let drifts = shared.store().drift.clone();
    let response = next.run(request).await;
    if drifts.is_empty() || response.status() != StatusCode::OK {
        return response;
    }
    if drifts.contains(&Drift::UndocumentedStatus) {
        return error(
            StatusCode::CONFLICT,
            "CONFLICT",
            "drifting on purpose: no operation documents 409",
            "drift",
        );
    }
    if drifts.contains(&Drift::NotJson) {
        let page = "<html><body>drifting on purpose: not JSON</body></html>";
        return (StatusCode::OK, [(CONTENT_TYPE, "text/html")], page).into_response();
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "body",
            "drift",
        );
    };
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    drift::apply(&drifts, &mut value);
    let mut parts = parts;
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}
