//! The HTTP side: Pine Labs' documented behaviour, emulated.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Request, State, rejection::PathRejection},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use pinelabs_api::types::{
    DeleteTokenRequest, GrantType, MetadataValue, RequestId, RequestTimestamp, ResourceId,
    TokenData, TokenRequest, TokenResponse,
};

use crate::{
    answers::{Shared, error, fault_response},
    config::TokenShape,
    store::{DeleteRefusal, LoggedRequest},
};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/v1/customer/{customer_id}/tokens", get(list_tokens))
        .route(
            "/api/v1/customer/{customer_id}/tokens/{token_id}/delete",
            post(delete_token),
        )
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            crate::inject::inject,
        ))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            crate::inject::drifting,
        ));
    Router::new()
        .route(
            "/api/auth/v1/token",
            post(issue_token).fallback(method_not_allowed),
        )
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), log_request))
        .with_state(shared)
}

/// A refusal: the response to send instead (boxed, as responses are large).
pub(crate) struct Rejected(Box<Response>);

impl From<Response> for Rejected {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Handled = Result<Response, Rejected>;

fn invalid(message: impl Into<String>) -> Rejected {
    error(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        message,
        "validation",
    )
    .into()
}

async fn log_request(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let request_id = request
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status().as_u16();
    tracing::debug!(%method, %path, status, "sandbox request");
    shared.store().log.push(LoggedRequest {
        method,
        path,
        request_id,
        status,
    });
    response
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such endpoint",
        "routing",
    )
}

/// What every API call goes through: latency, faults, auth, header checks.
async fn gate(shared: &Shared, headers: &HeaderMap) -> Result<(), Rejected> {
    let (latency, fault) = {
        let mut store = shared.store();
        (store.latency, store.faults.pop_front())
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(fault) = fault {
        return Err(fault_response(&fault).into());
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "USER_AUTHENTICATION_FAILED",
            "a bearer token is required",
            "authentication",
        )
        .into());
    };
    let valid = bearer == shared.config.access_token
        || shared
            .store()
            .issued
            .get(bearer)
            .is_some_and(|expiry| tokio::time::Instant::now() < *expiry);
    if !valid {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "USER_AUTHENTICATION_FAILED",
            "the bearer token is invalid or expired",
            "authentication",
        )
        .into());
    }
    check_header::<RequestId>(headers, "request-id")?;
    check_header::<RequestTimestamp>(headers, "request-timestamp")?;
    Ok(())
}

/// An optional header must parse as its spec type `T` (length limits).
fn check_header<T>(headers: &HeaderMap, name: &str) -> Result<(), Rejected>
where
    T: for<'a> TryFrom<&'a str, Error: std::fmt::Display>,
{
    let Some(value) = headers.get(name) else {
        return Ok(());
    };
    let value = value
        .to_str()
        .map_err(|_| invalid(format!("header {name} is not visible ASCII")))?;
    T::try_from(value)
        .map(drop)
        .map_err(|e| invalid(format!("header {name} is invalid: {e}")))
}

fn check_id(name: &str, id: &str) -> Result<(), Rejected> {
    ResourceId::try_from(id)
        .map(drop)
        .map_err(|e| invalid(format!("{name} is invalid: {e}")))
}

fn path_error(rejection: PathRejection) -> Rejected {
    invalid(format!("bad path: {rejection}"))
}

async fn list_tokens(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Handled {
    gate(&shared, &headers).await?;
    let Path(customer_id) = path.map_err(path_error)?;
    check_id("customer_id", &customer_id)?;
    match shared.store().list(&customer_id) {
        Some(list) => Ok(Json(list).into_response()),
        None => Err(error(
            StatusCode::NOT_FOUND,
            "CUSTOMER_NOT_FOUND",
            "no customer with this id",
            "lookup",
        )
        .into()),
    }
}

/// A delete body is the spec's `DeleteTokenRequest` (unknown fields,
/// reference and value lengths checked by the generated type), with at most
/// the spec's `maxProperties` metadata pairs, and keys no longer than values.
fn check_delete_body(body: &[u8]) -> Result<DeleteTokenRequest, Rejected> {
    let body: DeleteTokenRequest = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the body is not a valid delete request: {e}")))?;
    let pairs = &body.merchant_metadata;
    if let Some(max) = pinelabs_api::spec::max_properties("DeleteTokenRequest", "merchant_metadata")
        .filter(|max| pairs.len() > *max)
    {
        return Err(invalid(format!(
            "merchant_metadata has more than {max} pairs"
        )));
    }
    if let Some(Err(e)) = pairs
        .keys()
        .map(|k| MetadataValue::try_from(k.as_str()))
        .find(Result::is_err)
    {
        return Err(invalid(format!("a merchant_metadata key is invalid: {e}")));
    }
    Ok(body)
}

async fn delete_token(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Handled {
    gate(&shared, &headers).await?;
    let Path((customer_id, token_id)) = path.map_err(path_error)?;
    check_id("customer_id", &customer_id)?;
    check_id("token_id", &token_id)?;
    let body = check_delete_body(&body)?;
    let result = shared
        .store()
        .delete(&customer_id, &token_id, &body.merchant_unique_reference);
    let refusal = match result {
        Ok(answer) => return Ok(Json(answer).into_response()),
        Err(DeleteRefusal::NoCustomer) => error(
            StatusCode::NOT_FOUND,
            "CUSTOMER_NOT_FOUND",
            "no customer with this id",
            "lookup",
        ),
        Err(DeleteRefusal::NoToken) => error(
            StatusCode::NOT_FOUND,
            "TOKEN_NOT_FOUND",
            "the customer has no token with this id",
            "lookup",
        ),
        Err(DeleteRefusal::Internal(why)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            why,
            "delete",
        ),
    };
    Err(refusal.into())
}

/// The token endpoint answers any method but `POST` with a documented 405.
async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "the token endpoint takes only POST",
        "routing",
    )
}

/// A token request is the spec's `TokenRequest` (unknown fields and empty
/// values refused by the generated type), for the `client_credentials`
/// grant, with the configured client id and secret. Every refusal is the
/// documented 422.
fn check_token_request(shared: &Shared, body: &[u8]) -> Result<(), Rejected> {
    let unprocessable = |message: &str| -> Rejected {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST",
            message,
            "token",
        )
        .into()
    };
    let request: TokenRequest = serde_json::from_slice(body)
        .map_err(|_| unprocessable("client_id, client_secret and grant_type are required"))?;
    if request.grant_type != GrantType::ClientCredentials {
        return Err(unprocessable("grant_type must be client_credentials"));
    }
    if *request.client_id != shared.config.client_id
        || *request.client_secret != shared.config.client_secret
    {
        return Err(unprocessable("unknown client id or wrong secret"));
    }
    Ok(())
}

async fn issue_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let latency = shared.store().token_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    check_token_request(&shared, &body)?;
    let token = format!("sbx-{}", uuid::Uuid::new_v4().simple());
    let ttl = shared.config.token_ttl;
    shared
        .store()
        .issued
        .insert(token.clone(), tokio::time::Instant::now() + ttl);
    let expires_at = crate::config::now()
        + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
    let expires_at = Some(expires_at.into());
    let answer = match shared.config.token_shape {
        TokenShape::ExpiresAt => TokenResponse::builder()
            .access_token(token)
            .expires_at(expires_at),
        TokenShape::ExpiresIn => TokenResponse::builder()
            .access_token(token)
            .expires_in(serde_json::Value::from(ttl.as_secs())),
        TokenShape::Wrapped => TokenResponse::builder().data(
            TokenData::builder()
                .access_token(token)
                .expires_at(expires_at)
                .try_into()
                .ok(),
        ),
    };
    match TokenResponse::try_from(answer) {
        Ok(answer) => Ok(Json(answer).into_response()),
        Err(e) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            e.to_string(),
            "token",
        )
        .into()),
    }
}
