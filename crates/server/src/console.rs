//! The officials' console at `/console/`: server-rendered pages (`skytale_render::console`)
//! behind the signed-challenge sign-in of [`crate::auth`].
//!
//! A session lives in a cookie (`HttpOnly`, `SameSite=Strict`, the election's console path
//! only) holding the same bearer token the API's sign-in hands out, so it expires and is
//! revoked exactly as the API's does. Every read derives the official's reach from the key
//! ring again and shows only what that reach covers (sealed entries through
//! [`crate::auth::Session::may_read_note`], held submissions through the same listing as the
//! API). Every write is a signed statement the browser sends to the public submission API,
//! checked exactly like `skytale submit`'s; the console's own POSTs (sign-in, sign-out, the
//! upload preview) refuse other origins, and those that act on a session need the session's
//! anti-forgery token as a header, which a page elsewhere cannot read or send.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde_json::json;
use sha2::Digest as _;
use skytale_model::{ResultsStatement, Statement, ValidDefinition};
use skytale_render::console::{self as page, ActivityRow, ContestDiff, Ctx, Official};

use crate::api::{runtime, ApiError};
use crate::auth::{AuthError, Session};
use crate::runtime::ElectionRuntime;
use crate::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "skytale_console";

/// Largest upload the console previews (a county's export; the batch endpoint's limit).
pub const MAX_UPLOAD: usize = crate::batch::MAX_BATCH_BODY;

/// Entries the night page lists as the latest.
const RECENT: usize = 20;

/// Entries the night page reads back for its arrivals per quarter hour (within the ones the
/// server keeps in memory).
const ARRIVALS_WINDOW: usize = 5_000;
const _: () = assert!(ARRIVALS_WINDOW <= crate::entries::RECENT_ENTRIES);

/// Quarter hours the arrivals table shows.
const ARRIVALS_BUCKETS: usize = 16;

/// Held rows examined for the night page's count (a page of the store's at a time).
const HELD_COUNT_PAGES: usize = 20;

/// The console's policy: its own script and styles, requests to its own origin only, forms
/// that post nowhere else, never framed.
const CONSOLE_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(elections))
        .route("/console/assets/{file}", get(asset))
        .route("/console/{id}", get(to_slash))
        .route("/console/{id}/", get(night))
        .route("/console/{id}/session", post(session))
        .route("/console/{id}/sign-out", post(sign_out))
        .route("/console/{id}/upload", get(upload))
        .route("/console/{id}/preview", post(preview))
        .route("/console/{id}/held", get(held))
        .route("/console/{id}/approve", get(approve))
        .route("/console/{id}/certify", get(certify))
        .route("/console/{id}/audit", get(audit))
        .route("/console/{id}/audit.csv", get(audit_csv))
        .layer(axum::middleware::map_response(harden))
}

/// Nothing of the console is cached, and its pages get the console's policy.
async fn harden(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONSOLE_CSP),
        );
    }
    resp
}

async fn to_slash(Path(id): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/console/{}/", skytale_render::html::seg(&id)))
}

fn html(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    let a = skytale_render::console::console_assets();
    let path = format!("/console/assets/{file}");
    match a.files.iter().find(|(p, _)| *p == path) {
        Some((_, r)) => (
            [
                (header::CONTENT_TYPE, r.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            r.body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The page's language: `?lang=` when the election has it, else the browser's preference
/// among the election's languages.
fn language(def: &ValidDefinition, query: Option<&str>, headers: &HeaderMap) -> String {
    let d = def.definition();
    let asked = query_param(query, "lang");
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    skytale_render::negotiate_language(asked.as_deref(), accept, &d.languages)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// The election's name in `lang`.
fn election_name(def: &ValidDefinition, lang: &str) -> String {
    def.text(&def.definition().name, lang).to_string()
}

async fn elections(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = skytale_render::negotiate_language(None, accept, &["en".to_string()]);
    let list: Vec<(String, String)> = state
        .all()
        .iter()
        .map(|rt| {
            let def = &rt.definition;
            (
                rt.id.clone(),
                election_name(def, &def.definition().default_language),
            )
        })
        .collect();
    html(StatusCode::OK, page::elections_page(&lang, &list))
}

/// A signed-in official and what the pages need to know about them.
struct Signed {
    session: Session,
    official: Official,
    csrf: String,
}

/// The session token in the request's console cookie.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| v.to_string())
        })
}

/// The anti-forgery token of a session: derived from its secret, so nothing more is kept.
fn csrf_of(token: &str) -> String {
    let d = sha2::Sha256::digest(format!("skytale console csrf\n{token}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..24])
}

fn signed_in(
    state: &AppState,
    rt: &ElectionRuntime,
    headers: &HeaderMap,
) -> Result<Signed, AuthError> {
    let token = cookie_token(headers).ok_or(AuthError::NoToken)?;
    let ring = rt.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
    let session = state.auth.session(&rt.id, &ring, &token)?;
    let def = &rt.definition;
    let scope = session
        .scope_ids(def)
        .iter()
        .map(|id| {
            def.unit_index(id)
                .map(|u| {
                    def.text(&def.units()[u].name, &def.definition().default_language)
                        .to_string()
                })
                .unwrap_or_else(|| id.clone())
        })
        .collect();
    let official = Official {
        key: session.key.clone(),
        office: session.office.as_str(),
        scope,
        expires_at: crate::auth::rfc3339(session.expires_at),
    };
    Ok(Signed {
        session,
        official,
        csrf: csrf_of(&token),
    })
}

/// A page request: the election, its language, and the official (or the sign-in page).
struct Visit {
    rt: Arc<ElectionRuntime>,
    lang: String,
    name: String,
    signed: Signed,
}

impl Visit {
    /// `403` with the refusal page saying why (a page the official's office may not see).
    fn refuse(&self, why: &str) -> Response {
        html(StatusCode::FORBIDDEN, page::refusal_page(&self.ctx(), why))
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            lang: &self.lang,
            election: &self.rt.id,
            election_name: &self.name,
            official: Some(&self.signed.official),
            csrf: Some(&self.signed.csrf),
            test: self.rt.definition.definition().test,
        }
    }
}

/// The visit of a signed-in official, or the answer to give instead: the sign-in page (with
/// the reason when a session expired or was revoked), or 404 for an unknown election.
fn visit(
    state: &AppState,
    id: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Visit, Box<Response>> {
    let rt = runtime(state, id).map_err(|e| Box::new(e.into_response()))?;
    let lang = language(&rt.definition, query, headers);
    let name = election_name(&rt.definition, &lang);
    match signed_in(state, &rt, headers) {
        Ok(signed) => Ok(Visit {
            rt,
            lang,
            name,
            signed,
        }),
        Err(e) => {
            let notice = match e {
                AuthError::NoToken => None,
                other => Some(other.to_string()),
            };
            let ctx = Ctx {
                lang: &lang,
                election: &rt.id,
                election_name: &name,
                official: None,
                csrf: None,
                test: rt.definition.definition().test,
            };
            let status = if notice.is_some() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            let mut resp = html(status, page::sign_in_page(&ctx, notice.as_deref()));
            if notice.is_some() {
                resp.headers_mut()
                    .insert(header::SET_COOKIE, clear_cookie(&rt.id));
            }
            Err(Box::new(resp))
        }
    }
}

fn cookie_path(id: &str) -> String {
    format!("/console/{}/", skytale_render::html::seg(id))
}

fn clear_cookie(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path={}; Max-Age=0; HttpOnly; SameSite=Strict",
        cookie_path(id)
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Refuses a console POST sent by a page of another origin (`Origin`, or the browser's
/// `Sec-Fetch-Site`), whatever it carries.
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(site, Some("cross-site" | "same-site")) {
        return Err(cross_origin());
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
        if origin_host != host {
            return Err(cross_origin());
        }
    }
    Ok(())
}

fn cross_origin() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_origin",
        "the console accepts requests from its own pages only",
    )
}

/// A console write that acts on a session: same origin, signed in, and the session's
/// anti-forgery token in `X-Skytale-CSRF`.
fn checked_write(
    state: &AppState,
    rt: &ElectionRuntime,
    headers: &HeaderMap,
) -> Result<Signed, ApiError> {
    same_origin(headers)?;
    let signed = signed_in(state, rt, headers)?;
    let sent = headers
        .get("x-skytale-csrf")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent.as_bytes() != signed.csrf.as_bytes() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_csrf_token",
            "the request lacks this session's anti-forgery token (X-Skytale-CSRF); reload the page",
        ));
    }
    Ok(signed)
}

/// `POST /console/<id>/session`: the signed challenge (as `POST …/auth/session` takes it);
/// opens a session and sets the cookie.
async fn session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let rt = runtime(&state, &id)?;
    let bytes = axum::body::to_bytes(body, crate::auth::MAX_SIGN_IN_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "a sign-in is one short signed note",
            )
        })?;
    let ring = rt.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
    let signed = state.auth.sign_in(&rt.id, &ring, &bytes)?;
    let max_age = (signed.session.expires_at - time::OffsetDateTime::now_utc())
        .whole_seconds()
        .max(0);
    let cookie = format!(
        "{COOKIE}={}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict",
        signed.token,
        cookie_path(&rt.id)
    );
    let mut resp = axum::Json(json!({
        "key": signed.session.key,
        "role": signed.session.office.as_str(),
        "expires_at": crate::auth::rfc3339(signed.session.expires_at),
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

async fn sign_out(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    checked_write(&state, &rt, &headers)?;
    if let Some(token) = cookie_token(&headers) {
        state.auth.sign_out(&rt.id, &token);
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&rt.id));
    Ok(resp)
}

/// An approval round under way as the pages show it.
fn approval_round(p: &skytale_model::PendingApproval) -> page::ApprovalRound {
    page::ApprovalRound {
        tree_size: p.tree_size,
        approved_by: p.approved_by.clone(),
        waiting_for: p.waiting_for.clone(),
    }
}

/// Units reporting per area: the areas below the root (or a reporter's own scope units),
/// counting the leaf units below each that have a report of their own in any contest.
fn area_progress(
    def: &ValidDefinition,
    tally: &skytale_tally::Tally,
    session: &Session,
    lang: &str,
) -> Vec<page::AreaProgress> {
    let mut reported = vec![false; def.units().len()];
    for ci in 0..def.contests().len() {
        for u in tally.counted_units(ci) {
            if let Some(r) = reported.get_mut(u) {
                *r = true;
            }
        }
    }
    let areas: Vec<usize> = match session.office {
        crate::auth::Office::Reporter => session
            .scope_ids(def)
            .iter()
            .filter_map(|id| def.unit_index(id))
            .collect(),
        _ => {
            let root = def.root();
            let children = def.children(root);
            if children.is_empty() {
                vec![root]
            } else {
                children.to_vec()
            }
        }
    };
    areas
        .into_iter()
        .map(|a| {
            let (mut reporting, mut total) = (0, 0);
            for (u, &has_report) in reported.iter().enumerate() {
                if def.children(u).is_empty() && def.is_within(u, a) {
                    total += 1;
                    reporting += u64::from(has_report);
                }
            }
            page::AreaProgress {
                name: def.text(&def.units()[a].name, lang).to_string(),
                reporting,
                total,
            }
        })
        .collect()
}

/// The tally the officials look at: every accepted statement (the staged tally under an
/// embargo), else the published one.
async fn officials_tally(rt: &ElectionRuntime) -> Option<Arc<skytale_tally::Tally>> {
    let publisher = rt.publisher.clone();
    tokio::task::spawn_blocking(move || {
        publisher
            .share_staged()
            .or_else(|| publisher.share())
            .map(|s| s.tally)
    })
    .await
    .ok()
    .flatten()
}

/// The refusals the server counted since it started, by code (from its metrics).
fn refusals() -> Vec<(String, u64)> {
    let Some(handle) = crate::metrics::install() else {
        return Vec::new();
    };
    let text = handle.render();
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("skytale_ingest_refused_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let Some(code) = labels
            .split(',')
            .find_map(|l| l.strip_prefix("code=\""))
            .map(|c| c.trim_end_matches('"'))
        else {
            continue;
        };
        let n = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        *by_code.entry(code.to_string()).or_default() += n;
    }
    by_code.into_iter().filter(|(_, n)| *n > 0).collect()
}

/// An entry of the log as the activity tables show it.
fn activity(
    def: &ValidDefinition,
    index: u64,
    bytes: &[u8],
    published: u64,
    lang: &str,
) -> Option<ActivityRow> {
    let note = skytale_note::Note::parse(bytes).ok()?;
    let st = Statement::parse(&note.text).ok()?;
    let by: Vec<&str> = note.signatures.iter().map(|s| s.name.as_str()).collect();
    let unit_name = |id: &str| {
        def.unit_index(id)
            .map(|u| def.text(&def.units()[u].name, lang).to_string())
            .unwrap_or_else(|| id.to_string())
    };
    let (kind, what, at) = match &st {
        Statement::Election(_) => (
            "election",
            "the election definition".to_string(),
            String::new(),
        ),
        Statement::DefinitionPart(_) => ("definition_part", String::new(), String::new()),
        Statement::Results(r) => (
            "results",
            format!("{} v{}", unit_name(&r.unit), r.version),
            r.submitted_at.clone(),
        ),
        Statement::Cvr(c) => (
            "cvr",
            format!(
                "{} {} v{} {}/{}",
                unit_name(&c.unit),
                c.contest,
                c.version,
                c.batch,
                c.batches
            ),
            c.submitted_at.clone(),
        ),
        Statement::Publication(p) => (
            "publication",
            format!("approves size {}", p.tree_size),
            p.signed_at.clone(),
        ),
        Statement::Key(k) => ("key", format!("{:?}", k.change), String::new()),
        Statement::Status(s) => (
            "status",
            format!(
                "{} {}{}{}",
                s.result_type.as_str(),
                s.contest.as_deref().unwrap_or("every contest"),
                s.unit
                    .as_deref()
                    .map(|u| format!(" in {}", unit_name(u)))
                    .unwrap_or_default(),
                s.reason
                    .as_deref()
                    .map(|r| format!(" — {r}"))
                    .unwrap_or_default()
            ),
            s.signed_at.clone(),
        ),
        Statement::Review(rv) => (
            "review",
            format!(
                "{} {} — {}",
                rv.decision.as_str(),
                rv.released()
                    .map(|r| format!("{} v{}", unit_name(&r.unit), r.version))
                    .unwrap_or_else(|| format!("held {}", &rv.held[..12.min(rv.held.len())])),
                rv.reason
            ),
            rv.signed_at.clone(),
        ),
    };
    Some(ActivityRow {
        index,
        kind: kind.to_string(),
        by: by.join(", "),
        what,
        at,
        // Approvals are public as soon as they are logged (the approvals document).
        sealed: index >= published && kind != "publication",
    })
}

/// The quarter hour, in UTC, of a results note's `submitted_at` (`2026-11-25 21:15 UTC`),
/// if `may_read` lets the official see it; `None` for any other entry. The statement is
/// parsed, so any key order, spacing and RFC 3339 offset or precision an exporter writes is
/// counted at its instant.
fn quarter_hour(note: &[u8], may_read: impl Fn(&Statement) -> bool) -> Option<String> {
    let note = skytale_note::Note::parse(note).ok()?;
    let statement = Statement::parse(&note.text).ok()?;
    let Statement::Results(r) = &statement else {
        return None;
    };
    if !may_read(&statement) {
        return None;
    }
    let at = skytale_model::unix_seconds(&r.submitted_at)?;
    let utc = skytale_model::format_unix(at.div_euclid(15 * 60) * 15 * 60);
    Some(format!("{} {} UTC", utc.get(..10)?, utc.get(11..16)?))
}

async fn night(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let def = v.rt.definition.clone();
    let (log_size, published, rounds, published_at, recent, arrivals) = {
        let log = v.rt.log.read().unwrap_or_else(|p| p.into_inner());
        let rounds: Vec<page::ApprovalRound> = log.pending.iter().map(approval_round).collect();
        let published_at = log.publications.last().map(|p| p.published_at.clone());
        // The recent past: the entries the server keeps in memory, never a walk of the store
        // under the log's lock.
        let mut recent = Vec::new();
        for (i, e) in log.entries.newest_in_memory() {
            if recent.len() >= RECENT {
                break;
            }
            if v.signed.session.may_read_note(e, &def) {
                if let Some(row) = activity(&def, i, e, log.published, &v.lang) {
                    recent.push(row);
                }
            }
        }
        // Counted after letting go of the log: each is parsed.
        let window: Vec<Arc<[u8]>> = log
            .entries
            .newest_in_memory()
            .take(ARRIVALS_WINDOW)
            .map(|(_, e)| e.clone())
            .collect();
        (
            log.size,
            log.published,
            rounds,
            published_at,
            recent,
            window,
        )
    };
    let mut buckets: BTreeMap<String, u64> = BTreeMap::new();
    for e in &arrivals {
        if let Some(q) = quarter_hour(e, |st| v.signed.session.may_read(st, &def)) {
            *buckets.entry(q).or_default() += 1;
        }
    }
    let skip = buckets.len().saturating_sub(ARRIVALS_BUCKETS);
    let arrivals: Vec<(String, u64)> = buckets.into_iter().skip(skip).collect();
    let held_waiting = count_waiting(&state, &v).await;
    let areas = match officials_tally(&v.rt).await {
        Some(t) => area_progress(&def, &t, &v.signed.session, &v.lang),
        None => Vec::new(),
    };
    let view = page::NightView {
        log_size,
        published_size: published,
        published_at,
        held_waiting,
        quorum: def.definition().publication.quorum.max(1) as usize,
        rounds,
        areas,
        recent,
        refused: refusals(),
        approval_mode: def.definition().publication.mode
            == skytale_model::PublicationMode::Approval,
        arrivals,
    };
    html(StatusCode::OK, page::night_page(&v.ctx(), &view))
}

/// Held submissions waiting that the official may read, counted over the first pages.
async fn count_waiting(state: &AppState, v: &Visit) -> u64 {
    match waiting_held(state, v, HELD_COUNT_PAGES).await {
        Ok(list) => list.len() as u64,
        Err(_) => 0,
    }
}

/// The held submissions waiting for review that the official may read, oldest first.
async fn waiting_held(
    state: &AppState,
    v: &Visit,
    pages: usize,
) -> Result<Vec<crate::sealed::HeldEntry>, ApiError> {
    let mut out = Vec::new();
    let mut after = 0i64;
    for _ in 0..pages {
        let store = state.store.clone();
        let id = v.rt.id.clone();
        let rows = tokio::task::spawn_blocking(move || {
            store.held_page(&id, after, crate::sealed::MAX_HELD as usize)
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            )
        })?;
        let full = rows.len() as u64 == crate::sealed::MAX_HELD;
        let Some(last) = rows.last().map(|r| r.id) else {
            break;
        };
        let def = v.rt.definition.clone();
        let readable: Vec<_> = rows
            .into_iter()
            .filter(|r| v.signed.session.may_read_note(&r.note, &def))
            .collect();
        out.extend(crate::sealed::held_entries(&v.rt, readable, false).await?);
        if !full {
            break;
        }
        after = last;
    }
    Ok(out)
}

/// Each contest of `now` against the same contest in `before`, in the definition's order of
/// selections, with names in `lang`.
fn diffs(
    def: &ValidDefinition,
    before: Option<&ResultsStatement>,
    now: &ResultsStatement,
    lang: &str,
) -> Vec<ContestDiff> {
    now.contests
        .iter()
        .filter_map(|c| {
            let ci = def.contest_index(&c.contest)?;
            let contest = &def.contests()[ci];
            let old = before.and_then(|b| b.contests.iter().find(|x| x.contest == c.contest));
            let rows = contest
                .selections
                .iter()
                .filter(|s| {
                    c.selections.contains_key(&s.id)
                        || old.is_some_and(|o| o.selections.contains_key(&s.id))
                })
                .map(|s| {
                    let after = c
                        .selections
                        .get(&s.id)
                        .map(skytale_model::ContestReport::selection_total)
                        .unwrap_or(0);
                    let prev = old.map(|o| {
                        o.selections
                            .get(&s.id)
                            .map(skytale_model::ContestReport::selection_total)
                            .unwrap_or(0)
                    });
                    (def.text(&s.name, lang).to_string(), prev, after)
                })
                .collect();
            Some(ContestDiff {
                contest: def.text(&contest.name, lang).to_string(),
                rows,
                ballots: (
                    old.and_then(|o| o.ballots.map(|b| b.get())),
                    c.ballots.map(|b| b.get()),
                ),
            })
        })
        .collect()
}

async fn held(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let list = match waiting_held(&state, &v, HELD_COUNT_PAGES).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let def = &v.rt.definition;
    let views: Vec<page::HeldView> = list
        .iter()
        .map(|h| {
            let unit = def
                .unit_index(&h.statement.unit)
                .map(|u| def.text(&def.units()[u].name, &v.lang).to_string())
                .unwrap_or_else(|| h.statement.unit.clone());
            page::HeldView {
                id: h.row.id,
                digest: h.digest.clone(),
                unit,
                version: h.statement.version,
                received_at: h.row.received_at.clone(),
                reasons: h.reasons(),
                note: String::from_utf8_lossy(&h.row.note).into_owned(),
                contests: diffs(
                    def,
                    h.previous.as_ref().map(|(_, p)| p),
                    &h.statement,
                    &v.lang,
                ),
                previous_version: h.previous.as_ref().map(|(_, p)| p.version),
            }
        })
        .collect();
    html(StatusCode::OK, page::held_page(&v.ctx(), &views))
}

async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    if v.signed.official.office != "reporter" {
        return v.refuse("Only a reporting authority's key uploads results: the authority and the approvers review, approve and certify.");
    }
    html(
        StatusCode::OK,
        page::upload_page(&v.ctx(), &skytale_formats::Format::names()),
    )
}

/// Largest mapping table the console takes with an upload (one is a few KiB: columns, names).
pub const MAX_MAPPING: usize = 256 * 1024;

/// What the upload form sent: the export and, for a CSV in a layout of its own, the mapping
/// table to read it with (the TOML `skytale submit --mapping` takes), parsed.
struct Upload {
    file_name: String,
    file: axum::body::Bytes,
    mapping: Option<skytale_formats::Mapping>,
}

/// Reads the upload: a `multipart/form-data` body with a part `file` and an optional part
/// `mapping` (what the console's form sends); any other body is the file alone, named by the
/// `x-skytale-file-name` header (percent-encoded).
async fn read_upload(headers: &HeaderMap, body: Body) -> Result<Upload, ApiError> {
    let named = headers
        .get("x-skytale-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| {
            percent_encoding::percent_decode_str(n)
                .decode_utf8_lossy()
                .into_owned()
        });
    let too_large = |what: &str, limit: usize| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "{what} is at most {limit} bytes here; send a larger file with `skytale submit`"
            ),
        )
        .at(what)
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        let file = axum::body::to_bytes(body, MAX_UPLOAD)
            .await
            .map_err(|_| too_large("file", MAX_UPLOAD))?;
        return Ok(Upload {
            file_name: named.unwrap_or_else(|| "upload".to_string()),
            file,
            mapping: None,
        });
    };
    let limits = multer::Constraints::new()
        .allowed_fields(vec!["file", "mapping"])
        .size_limit(
            multer::SizeLimit::new()
                .for_field("file", MAX_UPLOAD as u64)
                .for_field("mapping", MAX_MAPPING as u64),
        );
    let mut form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let refused = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { field_name, .. } => match field_name.as_deref() {
            Some("mapping") => too_large("mapping", MAX_MAPPING),
            _ => too_large("file", MAX_UPLOAD),
        },
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            format!("the upload form is not readable: {other}"),
        ),
    };
    let bad_mapping = |why: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_mapping", why).at("mapping")
    };
    let (mut file, mut mapping) = (None, None);
    // Each part once: with unknown names refused too, the form is at most one file and one
    // table, each within its limit.
    let mut seen: Vec<String> = Vec::new();
    while let Some(part) = form.next_field().await.map_err(refused)? {
        let name = part.name().unwrap_or_default().to_string();
        if seen.contains(&name) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_form",
                format!("the upload form has more than one part named {name}"),
            )
            .at(&name));
        }
        match name.as_str() {
            "file" => {
                let file_name = part.file_name().map(str::to_owned);
                let bytes = part.bytes().await.map_err(refused)?;
                file = Some((file_name, bytes));
            }
            "mapping" => {
                let bytes = part.bytes().await.map_err(refused)?;
                // An empty part is the form's mapping field left blank.
                if !bytes.is_empty() {
                    let text = std::str::from_utf8(&bytes).map_err(|_| {
                        bad_mapping("the mapping table is not UTF-8 text (a TOML file)".into())
                    })?;
                    mapping = Some(
                        skytale_formats::Mapping::from_toml(text)
                            .map_err(|e| bad_mapping(e.to_string()))?,
                    );
                }
            }
            _ => {}
        }
        seen.push(name);
    }
    let Some((name, file)) = file else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "the upload form has no part named file (the results file)",
        )
        .at("file"));
    };
    Ok(Upload {
        file_name: name.or(named).unwrap_or_else(|| "upload".to_string()),
        file,
        mapping,
    })
}

/// `POST /console/<id>/preview?status=partial|complete`: the uploaded export read as the
/// results statements a reporter would sign (each unit's next version), the unit's counts
/// now beside them, the file's totals and every plausibility warning. Nothing is stored.
async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let signed = checked_write(&state, &rt, &headers)?;
    if signed.official.office != "reporter" {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "key_not_authorised",
            format!(
                "{} is the election's {}; only a reporting authority's key uploads results",
                signed.official.key, signed.official.office
            ),
        ));
    }
    let lang = language(&rt.definition, query.as_deref(), &headers);
    let status = match query_param(query.as_deref(), "status").as_deref() {
        None | Some("partial") => skytale_model::ReportStatus::Partial,
        Some("complete") => skytale_model::ReportStatus::Complete,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("status is partial or complete, not {other:?}"),
            )
            .at("status"))
        }
    };
    let Upload {
        file_name,
        file: bytes,
        mapping,
    } = read_upload(&headers, body).await?;
    let def = rt.definition.clone();
    let election = rt.id.clone();
    let name = file_name.clone();
    let statements = tokio::task::spawn_blocking(move || {
        let format = skytale_formats::Format::detect(std::io::Cursor::new(&bytes[..]))
            .map_err(|e| e.with_file(&name).to_string())?;
        let now = crate::runtime::now_rfc3339();
        let opts = skytale_formats::ImportOptions {
            election: &election,
            version: 1,
            submitted_at: &now,
            status,
            mapping: mapping.as_ref(),
            source_name: Some(&name),
        };
        skytale_formats::import_results(format, &bytes, &def, &opts).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|why| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_file", why))?;
    let def = rt.definition.clone();
    let scope: Vec<usize> = signed
        .session
        .scope_ids(&def)
        .iter()
        .filter_map(|s| def.unit_index(s))
        .collect();
    let outside: Vec<&str> = statements
        .iter()
        .filter(|r| {
            !def.unit_index(&r.unit)
                .is_some_and(|u| scope.iter().any(|&s| def.is_within(u, s)))
        })
        .map(|r| r.unit.as_str())
        .collect();
    if !outside.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "key_not_authorised",
            format!(
                "{} may not report {} of the file's units: {}",
                signed.official.key,
                outside.len(),
                outside
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    // Each unit's next version, and its counts now (for the diff).
    let units: Vec<String> = statements.iter().map(|r| r.unit.clone()).collect();
    let last = rt
        .ask(move |ledger| {
            units
                .iter()
                .map(|u| {
                    let i = ledger.definition().unit_index(u)?;
                    Some((ledger.last_version(i)?, ledger.last_entry(i)?))
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(crate::api::submit_error)?;
    let mut items = Vec::new();
    let mut texts = Vec::new();
    let mut totals: BTreeMap<usize, u64> = BTreeMap::new();
    for (mut r, last) in statements.into_iter().zip(last) {
        r.version = last.map_or(1, |(v, _)| v + 1);
        let previous = last.and_then(|(_, index)| crate::sealed::results_at(&rt, index));
        for c in &r.contests {
            if let Some(ci) = def.contest_index(&c.contest) {
                *totals.entry(ci).or_default() += c
                    .selections
                    .values()
                    .map(skytale_model::ContestReport::selection_total)
                    .sum::<u64>();
            }
        }
        let warnings = skytale_model::plausibility_issues(&def, &r)
            .into_iter()
            .map(|i| format!("{}: {}", i.field, i.why))
            .collect();
        let unit = def
            .unit_index(&r.unit)
            .map(|u| def.text(&def.units()[u].name, &lang).to_string())
            .unwrap_or_else(|| r.unit.clone());
        items.push(page::PreviewItem {
            unit,
            version: r.version,
            contests: diffs(&def, previous.as_ref(), &r, &lang),
            warnings,
        });
        texts.push(json!({"unit": r.unit, "version": r.version,
            "text": Statement::Results(r).to_note_text()}));
    }
    let totals: Vec<(String, u64)> = totals
        .into_iter()
        .map(|(ci, n)| (def.text(&def.contests()[ci].name, &lang).to_string(), n))
        .collect();
    let fragment = page::preview_fragment(&lang, &file_name, &items, &totals);
    Ok(axum::Json(json!({"statements": texts, "html": fragment})).into_response())
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    if !v.signed.official.decides() {
        return v.refuse("Only the authority and the approvers see the approval page.");
    }
    let def = v.rt.definition.clone();
    let automatic = def.definition().publication.mode != skytale_model::PublicationMode::Approval;
    let (published, content_size, root_hash, round) = {
        let log = v.rt.log.read().unwrap_or_else(|p| p.into_inner());
        let root = log
            .tree
            .root_at(log.content_size)
            .map(|r| base64::engine::general_purpose::STANDARD.encode(r))
            .unwrap_or_default();
        let round = log
            .pending
            .iter()
            .find(|p| p.tree_size == log.content_size)
            .map(approval_round);
        (log.published, log.content_size, root, round)
    };
    let approved_by_me = round
        .as_ref()
        .is_some_and(|r| r.approved_by.contains(&v.signed.official.key));
    // What the public sees now against every accepted statement.
    let publisher = v.rt.publisher.clone();
    let pair = tokio::task::spawn_blocking(move || (publisher.share(), publisher.share_staged()))
        .await
        .unwrap_or((None, None));
    let (mut changed, mut unchanged, mut flags) = (Vec::new(), 0usize, Vec::new());
    if let (Some(public), Some(staged)) = pair {
        flags = skytale_tally::flags::review_flags(&staged.tally, Some(&public.tally))
            .into_iter()
            .map(|f| page::FlagRow {
                contest: def
                    .text(&def.contests()[f.contest].name, &v.lang)
                    .to_string(),
                unit: def.text(&def.units()[f.unit].name, &v.lang).to_string(),
                kind: f.kind.as_str(),
                why: f.why,
            })
            .collect();
        for ci in 0..def.contests().len() {
            let (Some(a), Some(b)) = (public.tally.contest_head(ci), staged.tally.contest_head(ci))
            else {
                continue;
            };
            let rows: Vec<(String, Option<u64>, u64)> = b
                .selections
                .iter()
                .map(|s| {
                    let before = a
                        .selections
                        .iter()
                        .find(|x| x.id == s.id)
                        .map_or(0, |x| x.votes);
                    (
                        def.text(&s.name, &v.lang).to_string(),
                        Some(before),
                        s.votes,
                    )
                })
                .collect();
            let moved = rows.iter().any(|(_, a, b)| *a != Some(*b)) || a.ballots != b.ballots;
            if moved {
                changed.push(ContestDiff {
                    contest: def.text(&b.name, &v.lang).to_string(),
                    rows,
                    ballots: (Some(a.ballots), Some(b.ballots)),
                });
            } else {
                unchanged += 1;
            }
        }
    }
    let view = page::ApproveView {
        published_size: published,
        content_size,
        root_hash,
        quorum: def.definition().publication.quorum.max(1) as usize,
        round,
        changed,
        unchanged,
        approved_by_me,
        automatic,
        flags,
    };
    html(StatusCode::OK, page::approve_page(&v.ctx(), &view))
}

async fn certify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    if !v.signed.official.decides() {
        return v.refuse("Only the authority and the approvers certify results.");
    }
    let def = v.rt.definition.clone();
    let tally = officials_tally(&v.rt).await;
    let rows: Vec<page::CertifyRow> = def
        .contests()
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let head = tally.as_ref().and_then(|t| t.contest_head(ci));
            page::CertifyRow {
                id: c.id.clone(),
                name: def.text(&c.name, &v.lang).to_string(),
                result_type: head
                    .as_ref()
                    .and_then(|h| h.result_type.as_ref())
                    .map(|r| r.result_type.to_string()),
                reporting: head
                    .map(|h| format!("{} %", h.reporting_percent))
                    .unwrap_or_default(),
            }
        })
        .collect();
    html(StatusCode::OK, page::certify_page(&v.ctx(), &rows))
}

/// The officials' actions the session may read, newest first, of `kind` if given.
fn audit_rows(v: &Visit, kind: Option<&str>) -> Vec<ActivityRow> {
    let def = v.rt.definition.clone();
    // The indexes and a handle on the entries under the lock; the reads (older entries come
    // from the store) after it.
    let (entries, officials, published) = {
        let log = v.rt.log.read().unwrap_or_else(|p| p.into_inner());
        (log.entries.clone(), log.officials.clone(), log.published)
    };
    let mut rows = Vec::new();
    for &i in officials.iter().rev() {
        let Some(e) = entries.get(i) else {
            continue;
        };
        if !v.signed.session.may_read_note(&e, &def) {
            continue;
        }
        if let Some(row) = activity(&def, i, &e, published, &v.lang) {
            if kind.is_none_or(|k| k == row.kind) && row.kind != "results" && row.kind != "cvr" {
                rows.push(row);
            }
        }
    }
    rows
}

fn kind_filter(query: Option<&str>) -> Option<String> {
    query_param(query, "kind").filter(|k| !k.is_empty())
}

async fn audit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let kind = kind_filter(query.as_deref());
    let rows = audit_rows(&v, kind.as_deref());
    html(
        StatusCode::OK,
        page::audit_page(&v.ctx(), kind.as_deref(), &rows),
    )
}

async fn audit_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match visit(&state, &id, query.as_deref(), &headers) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let kind = kind_filter(query.as_deref());
    let rows = audit_rows(&v, kind.as_deref());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-audit.csv\"",
                    skytale_render::html::seg(&v.rt.id)
                ),
            ),
        ],
        page::audit_csv(&rows),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_are_counted_by_quarter_hour_of_their_utc_time() {
        let key = skytale_note::SigningKey::from_seed("k", [3; 32]).unwrap();
        let note = |text: &str| key.sign_note(&format!("{text}\n")).unwrap().to_bytes();
        let at = |text: &str| quarter_hour(&note(text), |_| true);
        let results = |time: &str| {
            format!(
                r#"{{"type":"results","election":"e","unit":"u","version":1,"status":"partial","submitted_at":"{time}","contests":[]}}"#
            )
        };
        for (time, quarter) in [
            ("2026-11-25T21:44:59Z", "2026-11-25 21:30 UTC"),
            ("2026-11-25T21:00:00.25Z", "2026-11-25 21:00 UTC"),
            // An offset or a fraction before it: counted at the instant, in UTC.
            ("2026-11-25T21:00:00+01:00", "2026-11-25 20:00 UTC"),
            ("2026-11-25T18:29:59.999999-05:30", "2026-11-25 23:45 UTC"),
            ("2026-11-25t21:16:00z", "2026-11-25 21:15 UTC"),
        ] {
            assert_eq!(at(&results(time)).as_deref(), Some(quarter), "{time}");
        }
        // Another key order and spacing, as another exporter writes it.
        let reordered = r#"{ "submitted_at" : "2026-11-25T07:59:00Z", "contests": [], "status": "partial", "version": 1, "unit": "u", "election": "e", "type": "results" }"#;
        assert_eq!(at(reordered).as_deref(), Some("2026-11-25 07:45 UTC"));
        // Not results, or not a note at all.
        assert_eq!(
            at(
                r#"{"type":"status","election":"e","scope":"election","result_type":"unofficial","submitted_at":"2026-11-25T21:00:00Z"}"#
            ),
            None
        );
        assert_eq!(quarter_hour(b"{}", |_| true), None);
        // Results the official may not read are not counted.
        let hidden = note(&results("2026-11-25T21:00:00Z"));
        assert_eq!(quarter_hour(&hidden, |_| false), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; skytale_console=tok; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("tok"));
        h.insert(header::COOKIE, "skytale_console=".parse().unwrap());
        assert_eq!(cookie_token(&h), None);
    }

    #[test]
    fn other_origins_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h).is_ok());
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h).is_ok());
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(same_origin(&h).is_err());
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(same_origin(&h).is_err());
    }

    #[test]
    fn the_csrf_token_depends_on_the_session() {
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_eq!(csrf_of("a"), csrf_of("a"));
        assert!(!csrf_of("a").contains('a') || csrf_of("a").len() == 32);
    }
}
