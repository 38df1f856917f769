//! Webhooks: officials register endpoints that are told of each publication (or each served
//! snapshot), signed with the Standard Webhooks scheme.
//!
//! Every delivery is a `POST` of JSON `{"type", "timestamp", "data"}` with three headers:
//! `webhook-id` (the event's id, the same on every retry: the receiver's key to drop
//! duplicates), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`,
//! `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under the endpoint's secret
//! (`whsec_` and base64, shown once, when the endpoint is registered). `data` names the
//! election and the snapshot (tree size and root hash), so a receiver can check it against the
//! log, and links the change feed and the results.
//!
//! Registering, listing and removing endpoints and reading their delivery log need an
//! official's session ([`crate::auth`]) by the election authority or an approver: the
//! endpoints are the election's, not a reporting authority's.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use base64::Engine as _;
use serde_json::json;
use skytale_store::{DeliveryRow, StoreError};

use super::{Failure, Push, CHANNEL_WEBHOOK, STREAM_CHANGE, STREAM_PUBLICATION};
use crate::api::{runtime, ApiError};
use crate::auth::{authorize, Office, Session};
use crate::AppState;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 32;
/// Most endpoints per election.
pub const MAX_WEBHOOKS: usize = 100;
/// Largest registration body.
const MAX_BODY: usize = 8 * 1024;
/// Longest URL accepted.
const MAX_URL: usize = 2_048;
/// Most delivery log rows per answer.
pub const MAX_LOG: u64 = 500;

/// The `webhook-signature` value of a message: `v1,` and the base64 HMAC-SHA256 of
/// `<id>.<timestamp>.<body>` under the secret's key. `None` when the secret is not
/// `whsec_` and base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = secret_key(secret)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    ))
}

/// The key bytes of a `whsec_` secret.
fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX)?;
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// A new random secret.
pub fn new_secret() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(b)
    )
}

/// One attempt at a webhook delivery.
pub(crate) async fn send(push: &Push, d: &DeliveryRow) -> Result<u16, Failure> {
    let id: i64 = d
        .target
        .parse()
        .map_err(|_| Failure::permanent(format!("bad webhook id {:?}", d.target)))?;
    let subs = push.subs.clone();
    let hook = tokio::task::spawn_blocking(move || subs.webhook(id))
        .await
        .map_err(|e| Failure::permanent(e.to_string()))?
        .map_err(|e| Failure::permanent(e.to_string()))?
        .ok_or_else(|| Failure::permanent("the webhook was removed".into()))?;
    let ts = super::now_ms() / 1000;
    let sig = sign(&hook.secret, &d.event_id, ts, &d.body)
        .ok_or_else(|| Failure::permanent("the webhook's secret is not whsec_ base64".into()))?;
    super::post(
        push,
        &hook.url,
        vec![
            ("content-type", "application/json".into()),
            ("webhook-id", d.event_id.clone()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", sig),
        ],
        d.body.clone(),
    )
    .await
}

/// The webhook routes, merged into [`crate::api::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/elections/{id}/webhooks", get(list).post(register))
        .route("/api/v1/elections/{id}/webhooks/{hook}", delete(remove))
        .route(
            "/api/v1/elections/{id}/webhooks/{hook}/deliveries",
            get(deliveries),
        )
        .layer(axum::middleware::map_response(crate::sealed::private))
}

/// The session of the request, when it is the authority's or an approver's.
fn official(
    state: &AppState,
    rt: &crate::runtime::ElectionRuntime,
    headers: &HeaderMap,
) -> Result<Session, ApiError> {
    let s = authorize(state, rt, headers)?;
    match s.office {
        Office::Authority | Office::Approver => Ok(s),
        Office::Reporter => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "webhooks are registered by the election authority or an approver",
        )),
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// `POST …/webhooks` with `{"url", "events": "publication" | "change"}`: registers an endpoint
/// and answers its id and secret (the only time the secret is shown).
async fn register(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let session = official(&state, &rt, &headers)?;
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a registration is at most {MAX_BODY} bytes"),
        )
    })?;
    let req: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let url = req["url"].as_str().ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed", "`url` is required").at("url")
    })?;
    if url.len() > MAX_URL {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_url",
            format!("the URL is longer than {MAX_URL} bytes"),
        )
        .at("url"));
    }
    super::check_target(url, &state.push.settings)
        .map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, "bad_url", why).at("url"))?;
    let events = req["events"].as_str().unwrap_or(STREAM_PUBLICATION);
    if events != STREAM_PUBLICATION && events != STREAM_CHANGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_events",
            format!("`events` is {STREAM_PUBLICATION:?} (each publication) or {STREAM_CHANGE:?} (each served snapshot), not {events:?}"),
        )
        .at("events"));
    }
    let secret = new_secret();
    let now = crate::runtime::now_rfc3339();
    let subs = state.push.subs.clone();
    let (e, u, s, ev, who, at) = (
        rt.id.clone(),
        url.to_string(),
        secret.clone(),
        events.to_string(),
        session.key.clone(),
        now.clone(),
    );
    let hook = blocking(move || {
        if subs.webhooks(&e)?.len() >= MAX_WEBHOOKS {
            return Ok(None);
        }
        subs.add_webhook(&e, &u, &s, &ev, &who, &at).map(Some)
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "too_many_webhooks",
            format!("an election has at most {MAX_WEBHOOKS} webhooks; remove one first"),
        )
    })?;
    tracing::info!(election = %rt.id, webhook = hook, by = %session.key, "webhook registered");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": hook,
            "url": url,
            "events": events,
            "secret": secret,
            "created_by": session.key,
            "created_at": now,
        })),
    )
        .into_response())
}

/// `GET …/webhooks`: the registered endpoints (without their secrets).
async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    official(&state, &rt, &headers)?;
    let subs = state.push.subs.clone();
    let e = rt.id.clone();
    let hooks = blocking(move || subs.webhooks(&e)).await?;
    let list: Vec<_> = hooks
        .iter()
        .map(|w| {
            json!({
                "id": w.id, "url": w.url, "events": w.events,
                "created_by": w.created_by, "created_at": w.created_at,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "webhooks": list })).into_response())
}

fn hook_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_webhook",
            format!("no webhook {s:?}"),
        )
    })
}

/// `DELETE …/webhooks/<id>`: removes an endpoint; what waits for it is cancelled.
async fn remove(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let session = official(&state, &rt, &headers)?;
    let hook = hook_id(&hook)?;
    let subs = state.push.subs.clone();
    let e = rt.id.clone();
    if !blocking(move || subs.remove_webhook(&e, hook)).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_webhook",
            format!("no webhook {hook}"),
        ));
    }
    tracing::info!(election = %rt.id, webhook = hook, by = %session.key, "webhook removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET …/webhooks/<id>/deliveries?limit=N`: the delivery log of an endpoint, newest first.
async fn deliveries(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    official(&state, &rt, &headers)?;
    let hook = hook_id(&hook)?;
    let limit = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("limit="))
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_parameter",
                    "limit is a whole number",
                )
                .at("limit")
            })
        })
        .transpose()?
        .unwrap_or(100)
        .min(MAX_LOG);
    let subs = state.push.subs.clone();
    let e = rt.id.clone();
    let rows = blocking(move || {
        let known = subs.webhook(hook)?.is_some_and(|w| w.election == e)
            || !subs
                .deliveries(&e, CHANNEL_WEBHOOK, Some(&hook.to_string()), 1)?
                .is_empty();
        if !known {
            return Ok(None);
        }
        subs.deliveries(&e, CHANNEL_WEBHOOK, Some(&hook.to_string()), limit)
            .map(Some)
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_webhook",
            format!("no webhook {hook}"),
        )
    })?;
    Ok(
        axum::Json(json!({ "deliveries": rows.iter().map(log_entry).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// A delivery as the log shows it.
fn log_entry(d: &DeliveryRow) -> serde_json::Value {
    json!({
        "event_id": d.event_id,
        "state": d.state,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "next_attempt_ms": (d.state == "pending").then_some(d.due_at_ms),
        "created_at": d.created_at,
        "done_at": d.done_at,
        "payload": serde_json::from_slice::<serde_json::Value>(&d.body).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the Standard Webhooks reference libraries: secret, id, timestamp and
    /// body give this signature (the npm `standardwebhooks` package signs it the same).
    #[test]
    fn the_specification_example_signs_the_same() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = 1614265330;
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, ts, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts, body), None);
    }

    #[test]
    fn a_new_secret_is_whsec_and_32_random_bytes() {
        let a = new_secret();
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(secret_key(&a).map(|k| k.len()), Some(SECRET_BYTES));
        assert_ne!(a, new_secret());
    }
}
