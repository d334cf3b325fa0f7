//! What the handlers share: the state, and the answers every route can
//! give (Pine Labs' error body, an injected fault).

use std::sync::{Mutex, MutexGuard};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    config::SandboxConfig,
    store::{Fault, Store},
};

/// State shared by the handlers and the [`Sandbox`](crate::Sandbox) handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub store: Mutex<Store>,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Pine Labs error body (`ErrorResponse` of the spec; the sandbox's
/// tests validate every answer against it).
pub(crate) fn error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    step: &str,
) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": message.into(),
        "additional_error_details": {"source": "pinelabs-sandbox", "step": step},
    });
    (status, Json(body)).into_response()
}

/// The answer to an injected fault.
pub(crate) fn fault_response(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = if fault.html {
        (
            status,
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><body><h1>{status}</h1></body></html>"),
        )
            .into_response()
    } else {
        let code = if fault.status == 429 {
            "PAYMENT_RATE_LIMIT"
        } else {
            "SERVICE_UNAVAILABLE"
        };
        error(status, code, "injected fault", "fault-injection")
    };
    if let Some(seconds) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
