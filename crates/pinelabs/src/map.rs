//! The generated client's errors as [`Error`], with what the call saw: the
//! `Request-ID` it sent, its deadline, why no token could be had, the body
//! of an undocumented status, the JSON path of a decode failure.

use std::time::Duration;

use pinelabs_api::{ResponseValue, types::ErrorResponse};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::{
    auth::AccessToken,
    config::{DEFAULT_MAX_RESPONSE_BYTES, Timeouts},
    decode::decode_with_path,
    error::{ApiError, Error, TransportCause, transport_message},
    transport::{CallState, Outcome, Transport},
    wire,
};

/// What the call knew when it failed; empty for a bare conversion.
#[derive(Debug)]
pub(crate) struct Context {
    /// What the call recorded (taken from it).
    seen: Outcome,
    /// The call's whole time limit, and one attempt's.
    total: Duration,
    attempt: Duration,
    max_response_bytes: usize,
}

impl Context {
    /// Takes what `call` recorded.
    pub(crate) fn of(call: &CallState, transport: &Transport) -> Self {
        Self {
            seen: std::mem::take(&mut *call.outcome()),
            total: call.limits.total,
            attempt: transport.timeouts.attempt,
            max_response_bytes: transport.max_response_bytes,
        }
    }

    /// No call context: a bare `Error::from`.
    fn bare() -> Self {
        let timeouts = Timeouts::default();
        Self {
            seen: Outcome::default(),
            total: timeouts.total,
            attempt: timeouts.attempt,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// `Error::Timeout` after `after`.
    fn timeout(&self, after: Duration) -> Error {
        Error::Timeout {
            after,
            request_id: self.seen.request_id.clone(),
            attempts: self.seen.attempts,
            retry_budget_exhausted: self.seen.budget_exhausted,
        }
    }

    fn secret(&self) -> &str {
        self.seen
            .token
            .as_ref()
            .map_or("", AccessToken::expose_secret)
    }

    /// What ends the call whatever the generated client reports: the
    /// deadline, or no token.
    fn early(&mut self) -> Option<Error> {
        if self.seen.deadline_hit && self.seen.status.is_none() {
            return Some(self.timeout(self.total));
        }
        self.seen.auth_error.take()
    }

    /// A success body that serde_json refused as a whole.
    fn undecodable(&self, bytes: &[u8], e: &serde_json::Error) -> Error {
        let request_id = self.seen.request_id.clone();
        Error::decode(
            ".".to_owned(),
            e.to_string(),
            bytes,
            self.secret(),
            request_id,
        )
    }
}

/// The generated client's error as ours. Without the call's context the
/// request id comes from the response (when Pine Labs echoes it), and an
/// undocumented status carries no body excerpt.
impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        map(error, Context::bare())
    }
}

/// The full mapping, with the call's context: reads the body of an
/// undocumented status and finds the JSON path of a decode failure.
pub(crate) async fn map_with_body<T: DeserializeOwned>(error: ApiError, mut cx: Context) -> Error {
    if let Some(e) = cx.early() {
        return e;
    }
    match error {
        pinelabs_api::Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.unwrap_or_default();
            let said = Said::body(&bytes, format!("undocumented status {status}"), &cx);
            said.into_error(status, &headers, &cx)
        }
        pinelabs_api::Error::InvalidResponsePayload(bytes, e)
            if cx.seen.status.is_none_or(|s| s < 400) =>
        {
            // serde_path_to_error finds the path; should it accept what
            // serde_json refused, serde_json's own message is reported.
            match decode_with_path::<T>(&bytes, cx.secret(), cx.seen.request_id.clone()) {
                Err(decode) => decode,
                Ok(_) => cx.undecodable(&bytes, &e),
            }
        }
        other => map(other, cx),
    }
}

fn map(error: ApiError, mut cx: Context) -> Error {
    if let Some(e) = cx.early() {
        return e;
    }
    match error {
        pinelabs_api::Error::ErrorResponse(body) => documented(body, &cx),
        pinelabs_api::Error::InvalidResponsePayload(bytes, e) => match cx.seen.status {
            Some(status) if status >= 400 => {
                let why = "the error body is not Pine Labs' documented JSON shape";
                Said::body(&bytes, why.to_owned(), &cx).into_error(status, &HeaderMap::new(), &cx)
            }
            _ => cx.undecodable(&bytes, &e),
        },
        pinelabs_api::Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let said = Said::Undocumented {
                message: format!("undocumented status {status}"),
                excerpt: None,
            };
            said.into_error(status, response.headers(), &cx)
        }
        pinelabs_api::Error::CommunicationError(e)
        | pinelabs_api::Error::ResponseBodyError(e)
        | pinelabs_api::Error::InvalidUpgrade(e) => transport(e, cx),
        pinelabs_api::Error::InvalidRequest(why) => Error::invalid("request", why),
        pinelabs_api::Error::Custom(why) => Error::TokenUnavailable {
            reason: why,
            status: None,
            cause: None,
        },
    }
}

/// A failure to send or to read: the body limit, a timeout, or the transport.
fn transport(e: reqwest::Error, cx: Context) -> Error {
    if wire::is_body_limit(&e) {
        return Error::ResponseTooLarge {
            limit: cx.max_response_bytes,
            request_id: cx.seen.request_id,
        };
    }
    if e.is_timeout() {
        return cx.timeout(cx.attempt);
    }
    let cause = TransportCause::of(&e);
    Error::Transport {
        cause,
        message: transport_message(cause, &e),
        request_id: cx.seen.request_id,
        retry_budget_exhausted: cx.seen.budget_exhausted,
        source: Some(e.without_url()),
    }
}

/// `Error::Api` from a response in Pine Labs' documented error shape.
fn documented(body: ResponseValue<ErrorResponse>, cx: &Context) -> Error {
    let status = body.status().as_u16();
    let headers = body.headers().clone();
    Said::Documented(body.into_inner()).into_error(status, &headers, cx)
}

/// What an error answer said.
enum Said {
    /// Pine Labs' documented error body.
    Documented(ErrorResponse),
    /// Anything else: a description, and the start of the body if read.
    Undocumented {
        message: String,
        excerpt: Option<String>,
    },
}

impl Said {
    /// `bytes` as the documented shape, or undocumented with `message`.
    fn body(bytes: &[u8], message: String, cx: &Context) -> Self {
        match serde_json::from_slice::<ErrorResponse>(bytes) {
            Ok(body) => Said::Documented(body),
            Err(_) => Said::Undocumented {
                message,
                excerpt: Some(wire::excerpt(bytes, &[cx.secret()])),
            },
        }
    }

    /// `Error::Api` with the status, and the `Retry-After` and `Request-ID`
    /// of the call (or of the response, where the call has none).
    fn into_error(self, status: u16, headers: &HeaderMap, cx: &Context) -> Error {
        let (code, message, details, excerpt) = match self {
            Said::Documented(body) => (
                Some(body.code),
                body.message,
                body.additional_error_details.map(Box::new),
                None,
            ),
            Said::Undocumented { message, excerpt } => (None, message, None, excerpt),
        };
        Error::Api {
            status,
            code,
            message,
            details,
            excerpt,
            retry_after: wire::retry_after(headers).or(cx.seen.retry_after),
            request_id: cx
                .seen
                .request_id
                .clone()
                .or_else(|| wire::request_id(headers)),
            retry_budget_exhausted: cx.seen.budget_exhausted,
        }
    }
}
