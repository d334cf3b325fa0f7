//! The chaos middleware on the API routes: applies the faults that
//! [`Chaos`](crate::Chaos) draws.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};

use crate::{
    answers::{Shared, error, fault_response},
    chaos::{ChaosState, Injected},
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
