//! HTTP layer of the witness (tlog-witness): `POST /add-checkpoint` and the monitoring
//! endpoint `GET /<hex SHA-256 of origin>/checkpoint`. All decisions are [`Witness`]'s.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::protocol::MAX_REQUEST_BODY_SIZE;
use crate::witness::{Witness, WitnessError};

/// Now as POSIX seconds (the cosignature timestamp).
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs().max(1))
}

/// The witness's routes, relative to its submission/monitoring prefix.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{hash}/checkpoint", get(checkpoint))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY_SIZE))
        .with_state(w)
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

fn error_response(e: &WitnessError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        WitnessError::Conflict { latest, .. } => {
            text(status, "text/x.tlog.size", format!("{latest}\n"))
        }
        other => text(status, "text/plain; charset=utf-8", format!("{other}\n")),
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let now = now_unix();
    // Signing (ML-DSA) and the fsync are blocking work.
    let result = tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now)).await;
    match result {
        Ok(Ok(lines)) => text(StatusCode::OK, "text/plain; charset=utf-8", lines),
        Ok(Err(e)) => {
            tracing::warn!(status = e.status(), error = %e, "add-checkpoint refused");
            error_response(&e)
        }
        Err(e) => error_response(&WitnessError::Storage(e.to_string())),
    }
}

async fn checkpoint(State(w): State<Arc<Witness>>, Path(hash): Path<String>) -> Response {
    match w.latest_by_hash(&hash) {
        Ok(Some(b)) => text(StatusCode::OK, "text/plain; charset=utf-8", b),
        Ok(None) => text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "this witness has not cosigned a checkpoint for that log\n",
        ),
        Err(e) => error_response(&e),
    }
}

/// Serves the witness on `listener` until `shutdown` resolves.
pub async fn serve(
    w: Arc<Witness>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(w))
        .with_graceful_shutdown(shutdown)
        .await
}
