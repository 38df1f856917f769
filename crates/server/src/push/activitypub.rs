//! The fediverse: each election is an ActivityPub actor that people follow and that posts each
//! publication to its followers.
//!
//! - **WebFinger** (RFC 7033): `/.well-known/webfinger?resource=acct:<election>@<host>` names
//!   the actor, which is how a Mastodon user finds `@<election>@<host>`.
//! - **The actor** (`/ap/elections/<election>`): a `Service` with an inbox, an outbox, a
//!   followers collection and its public key. The key is RSA (2048 bits), because Mastodon and
//!   most of the fediverse verify HTTP Signatures with `rsa-sha256` only; it is made the first
//!   time it is needed and kept beside the log key (`keys/<election>.actor.pem`, mode 0600).
//!   It signs nothing of the log: it only authenticates the server's deliveries.
//! - **The inbox** takes `Follow`, `Undo` of a follow, and `Delete` of an actor. Every request
//!   must carry an HTTP Signature (draft-cavage, as the fediverse uses it) over
//!   `(request-target)`, `host`, `date` and `digest`, by the key of the activity's actor,
//!   fetched from the actor's own server; a date more than [`MAX_AGE`] old or [`MAX_SKEW`]
//!   ahead, a body whose digest differs, or any other key is refused. A follow is answered
//!   with an `Accept` delivered to the follower's inbox.
//! - **Posts**: each publication (see [`super`]) becomes a `Create` of a `Note`, in every
//!   language of the election (`contentMap`), with the leading choices, a link to the results,
//!   the social card as an image and the snapshot's tree size and root hash, so the post can
//!   be checked against the log. It is kept in the outbox and delivered, signed, to every
//!   follower's inbox (a shared inbox once), through the same queue, retries and delivery log
//!   as webhooks.
//!
//! Nothing here is verifiable from the log (followers are not public facts); the posts only
//! point at what is.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use skytale_render::social::Headline;
use skytale_store::{DeliveryRow, NewDelivery, StoreError};

use super::{Failure, Push, CHANNEL_ACTIVITYPUB};
use crate::api::{runtime, ApiError};
use crate::publisher::Snapshot;
use crate::runtime::ElectionRuntime;
use crate::AppState;

/// The ActivityStreams context.
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The security vocabulary (`publicKey`, `publicKeyPem`).
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The audience that makes a post public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The event stream the posts are kept in (the outbox).
pub const STREAM_POSTS: &str = "activitypub";
/// RSA key size of an actor.
const KEY_BITS: usize = 2048;
/// Oldest signature date accepted (Mastodon's window).
pub const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// Furthest a signature's date may be ahead of our clock.
pub const MAX_SKEW: Duration = Duration::from_secs(3600);
/// Largest inbox body.
const MAX_INBOX_BODY: usize = 256 * 1024;
/// Largest remote document fetched (an actor or a key).
const MAX_FETCH: usize = 1 << 20;
/// Posts per outbox page.
const PAGE: u64 = 20;

/// The actors' keys, loaded once per election.
#[derive(Default)]
pub struct Keys(Mutex<HashMap<String, Arc<ActorKey>>>);

/// An election actor's key: ring's signer and the public half as PEM.
pub struct ActorKey {
    pair: ring::signature::RsaKeyPair,
    pub public_pem: String,
}

impl ActorKey {
    /// Signs `data` with RSASSA-PKCS1-v1_5 and SHA-256 (constant-time, ring).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                data,
                &mut sig,
            )
            .map_err(|_| "cannot sign with the actor key".to_string())?;
        Ok(sig)
    }
}

/// The key of `election`'s actor, made and kept the first time (blocking: key generation
/// takes a moment).
pub fn actor_key(push: &Push, election: &str) -> Result<Arc<ActorKey>, String> {
    let mut keys = push.actor_keys.0.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = keys.get(election) {
        return Ok(k.clone());
    }
    let path = push.keys_dir.join(format!("{election}.actor.pem"));
    let private = match std::fs::read_to_string(&path) {
        Ok(pem) => rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
            .map_err(|e| format!("the actor key {} is not PKCS#8 RSA: {e}", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
                .map_err(|e| format!("cannot make an actor key: {e}"))?;
            let pem = key
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| format!("cannot encode the actor key: {e}"))?;
            std::fs::create_dir_all(&push.keys_dir)
                .and_then(|()| skytale_store::write_private(&path, pem.as_bytes()))
                .map_err(|e| format!("cannot keep the actor key {}: {e}", path.display()))?;
            key
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let der = private
        .to_pkcs8_der()
        .map_err(|e| format!("cannot encode the actor key: {e}"))?;
    let pair = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
        .map_err(|e| format!("ring refuses the actor key: {e}"))?;
    let public_pem = rsa::RsaPublicKey::from(&private)
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| format!("cannot encode the actor's public key: {e}"))?;
    let k = Arc::new(ActorKey { pair, public_pem });
    keys.insert(election.to_string(), k.clone());
    Ok(k)
}

/// The actor id of `election` under the public address `base`.
pub fn actor_id(base: &str, election: &str) -> String {
    format!("{base}/ap/elections/{election}")
}

/// The `Host` header value a client sends for `u` (the port only when not the default).
fn host_header(u: &reqwest::Url) -> String {
    let host = u.host_str().unwrap_or("");
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// `SHA-256=<base64>`, the `Digest` header of a body (RFC 3230).
pub fn digest(body: &[u8]) -> String {
    format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
    )
}

/// The headers that sign a request to `u` by `key` (id `key_id`): `date`, `digest` (when there
/// is a body) and `signature` over `(request-target) host date [digest]`.
pub fn signed_headers(
    key: &ActorKey,
    key_id: &str,
    method: &Method,
    u: &reqwest::Url,
    body: Option<&[u8]>,
) -> Result<Vec<(&'static str, String)>, String> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut target = u.path().to_string();
    if let Some(q) = u.query() {
        target = format!("{target}?{q}");
    }
    let mut lines = vec![
        format!(
            "(request-target): {} {target}",
            method.as_str().to_ascii_lowercase()
        ),
        format!("host: {}", host_header(u)),
        format!("date: {date}"),
    ];
    let mut names = "(request-target) host date".to_string();
    let mut out = vec![("date", date)];
    if let Some(b) = body {
        let d = digest(b);
        lines.push(format!("digest: {d}"));
        names.push_str(" digest");
        out.push(("digest", d));
    }
    let sig = key.sign(lines.join("\n").as_bytes())?;
    out.push((
        "signature",
        format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{names}\",signature=\"{}\"",
            base64::engine::general_purpose::STANDARD.encode(sig)
        ),
    ));
    Ok(out)
}

/// One attempt at delivering an activity to an inbox, signed by the election's actor.
pub(crate) async fn send(push: &Arc<Push>, d: &DeliveryRow) -> Result<u16, Failure> {
    let base = push
        .settings
        .public_url
        .clone()
        .ok_or_else(|| Failure::permanent("no public URL: the fediverse is off".into()))?;
    let u = super::check_target(&d.target, &push.settings).map_err(Failure::permanent)?;
    let key = key_async(push, &d.election)
        .await
        .map_err(Failure::permanent)?;
    let key_id = format!("{}#main-key", actor_id(&base, &d.election));
    let mut headers = signed_headers(&key, &key_id, &Method::POST, &u, Some(&d.body))
        .map_err(Failure::permanent)?;
    headers.push(("content-type", ACTIVITY_JSON.to_string()));
    super::post(push, &d.target, headers, d.body.clone()).await
}

async fn key_async(push: &Arc<Push>, election: &str) -> Result<Arc<ActorKey>, String> {
    let (p, e) = (push.clone(), election.to_string());
    // Reading (or making) a key is slow: off the async workers.
    tokio::task::spawn_blocking(move || actor_key(&p, &e))
        .await
        .map_err(|e| e.to_string())?
}

/// Builds the post of snapshot `snap` and queues it for every follower's inbox (a shared
/// inbox once); keeps it in the outbox.
pub(crate) fn queue_post(
    push: &Push,
    rt: &ElectionRuntime,
    snap: &Snapshot,
    heads: &[Headline],
) -> Result<(), StoreError> {
    let Some(base) = push.settings.public_url.as_deref() else {
        return Ok(());
    };
    let e = rt.id.as_str();
    let def = &rt.definition;
    let d = def.definition();
    let actor = actor_id(base, e);
    let pos = &snap.pos;
    let now = crate::runtime::now_rfc3339();
    let published = pos
        .published_at
        .as_deref()
        .and_then(skytale_model::utc_seconds)
        .unwrap_or_else(|| now.clone());
    let mut content_map = serde_json::Map::new();
    for lang in &d.languages {
        content_map.insert(
            lang.clone(),
            json!(skytale_render::social::post_html(
                def, lang, pos, heads, base
            )),
        );
    }
    let note_id = format!("{actor}/posts/{}", pos.tree_size);
    let mut note = json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": actor,
        "published": published,
        "to": [PUBLIC],
        "cc": [format!("{actor}/followers")],
        "content": skytale_render::social::post_html(def, &d.default_language, pos, heads, base),
        "contentMap": content_map,
        "url": format!("{base}/{}/{e}/", d.default_language),
    });
    if let Some(card) = skytale_render::social::card_path(def) {
        note["attachment"] = json!([{
            "type": "Document",
            "mediaType": "image/png",
            "url": format!("{base}{card}"),
            "name": skytale_render::social::card_alt(def, &d.default_language),
        }]);
    }
    let activity = json!({
        "@context": AS_CONTEXT,
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": [PUBLIC],
        "cc": [format!("{actor}/followers")],
        "object": note,
    });
    let body = serde_json::to_vec(&activity).unwrap_or_default();
    let event_id = format!("{note_id}/activity");
    let inboxes: BTreeSet<String> = push
        .subs
        .followers(e)?
        .into_iter()
        .map(|f| f.inbox)
        .collect();
    for inbox in &inboxes {
        let r = push.subs.enqueue(
            &NewDelivery {
                election: e,
                channel: CHANNEL_ACTIVITYPUB,
                target: inbox,
                event_id: &event_id,
                body: &body,
                due_at_ms: super::now_ms(),
                created_at: &now,
            },
            push.settings.max_pending,
        )?;
        if r == skytale_store::Enqueued::Full {
            tracing::warn!(election = e, inbox = %inbox, "follower's queue full; post not queued for it");
        }
    }
    push.subs
        .add_event(e, STREAM_POSTS, pos.tree_size, &body, &now)?;
    Ok(())
}

/// The ActivityPub routes (public), merged into [`crate::api::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/ap/elections/{id}", get(actor))
        .route("/ap/elections/{id}/outbox", get(outbox))
        .route("/ap/elections/{id}/followers", get(followers))
        .route("/ap/elections/{id}/inbox", post(inbox))
}

/// The public address, or 404: without one there is no actor to name.
fn base(state: &AppState) -> Result<String, ApiError> {
    state.push.settings.public_url.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "activitypub_off",
            "this server has no public URL (skytale serve --public-url), so its elections are not on the fediverse",
        )
    })
}

fn activity_json(v: Value, content_type: &'static str) -> Response {
    let mut resp = axum::Json(v).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    resp
}

/// The query's parameters, percent-decoded.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://q.invalid/?{}", query.unwrap_or("")))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// `GET /.well-known/webfinger?resource=acct:<election>@<host>` (or the actor's URL).
async fn webfinger(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let base = base(&state)?;
    let pairs = query_pairs(query.as_deref());
    let resource = pairs
        .iter()
        .find(|(k, _)| k == "resource")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                "resource is required (acct:<election>@<host>)",
            )
            .at("resource")
        })?;
    let u = reqwest::Url::parse(&base)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let hosts = [host_header(&u), u.host_str().unwrap_or("").to_string()];
    let election = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct.rsplit_once('@').unwrap_or((acct, ""));
        hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
            .then(|| user.to_string())
    } else {
        resource
            .strip_prefix(&format!("{base}/ap/elections/"))
            .map(str::to_string)
    };
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_resource",
            format!("no actor {resource:?} on this server"),
        )
    };
    let e = election.ok_or_else(not_found)?;
    let rt = state.election(&e).ok_or_else(not_found)?;
    let actor = actor_id(&base, &rt.id);
    let d = rt.definition.definition();
    Ok(activity_json(
        json!({
            "subject": format!("acct:{}@{}", rt.id, hosts[0]),
            "aliases": [actor],
            "links": [
                {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                 "href": format!("{base}/{}/{}/", d.default_language, rt.id)},
            ],
        }),
        "application/jrd+json",
    ))
}

/// `GET /ap/elections/<id>`: the actor document.
async fn actor(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let base = base(&state)?;
    let rt = runtime(&state, &id)?;
    let push = state.push.clone();
    let e = rt.id.clone();
    let key = tokio::task::spawn_blocking(move || actor_key(&push, &e))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?;
    let a = actor_id(&base, &rt.id);
    let def = &rt.definition;
    let d = def.definition();
    let lang = d.default_language.as_str();
    let m = skytale_render::i18n::messages();
    Ok(activity_json(
        json!({
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": a,
            "type": "Service",
            "preferredUsername": rt.id,
            "name": def.text(&d.name, lang),
            "summary": format!("<p>{}</p>", skytale_render::html::esc(&m.get(lang, "verify-text", &[]))),
            "url": format!("{base}/{lang}/{}/", rt.id),
            "inbox": format!("{a}/inbox"),
            "outbox": format!("{a}/outbox"),
            "followers": format!("{a}/followers"),
            "manuallyApprovesFollowers": false,
            "discoverable": true,
            "publicKey": {
                "id": format!("{a}#main-key"),
                "owner": a,
                "publicKeyPem": key.public_pem,
            },
        }),
        ACTIVITY_JSON,
    ))
}

/// `GET /ap/elections/<id>/outbox[?page=true|?before=N]`: the posts, newest first.
async fn outbox(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let base = base(&state)?;
    let rt = runtime(&state, &id)?;
    let a = actor_id(&base, &rt.id);
    let url = format!("{a}/outbox");
    let pairs = query_pairs(query.as_deref());
    let before = pairs
        .iter()
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let paged = before.is_some() || pairs.iter().any(|(k, _)| k == "page");
    let subs = state.push.subs.clone();
    let e = rt.id.clone();
    let (total, rows) = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>((
            subs.count_events(&e, STREAM_POSTS)?,
            if paged {
                subs.events(&e, STREAM_POSTS, before, PAGE + 1)?
            } else {
                Vec::new()
            },
        ))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    if !paged {
        return Ok(activity_json(
            json!({
                "@context": AS_CONTEXT,
                "id": url,
                "type": "OrderedCollection",
                "totalItems": total,
                "first": format!("{url}?page=true"),
            }),
            ACTIVITY_JSON,
        ));
    }
    let more = rows.len() as u64 > PAGE;
    let items: Vec<Value> = rows
        .iter()
        .take(PAGE as usize)
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect();
    let mut page = json!({
        "@context": AS_CONTEXT,
        "id": match before { Some(b) => format!("{url}?before={b}"), None => format!("{url}?page=true") },
        "type": "OrderedCollectionPage",
        "partOf": url,
        "orderedItems": items,
    });
    if more {
        if let Some(last) = rows.get(PAGE as usize - 1) {
            page["next"] = json!(format!("{url}?before={}", last.tree_size));
        }
    }
    Ok(activity_json(page, ACTIVITY_JSON))
}

/// `GET /ap/elections/<id>/followers`: how many follow (not who: that is theirs to tell).
async fn followers(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let base = base(&state)?;
    let rt = runtime(&state, &id)?;
    let subs = state.push.subs.clone();
    let e = rt.id.clone();
    let n = tokio::task::spawn_blocking(move || subs.followers(&e).map(|f| f.len()))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(activity_json(
        json!({
            "@context": AS_CONTEXT,
            "id": format!("{}/followers", actor_id(&base, &rt.id)),
            "type": "OrderedCollection",
            "totalItems": n,
        }),
        ACTIVITY_JSON,
    ))
}

fn unsigned(why: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "bad_http_signature", why)
}

/// The parameters of a `Signature` header.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    pub algorithm: Option<String>,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"`.
pub fn parse_signature(value: &str) -> Result<SignatureParams, String> {
    let mut p = SignatureParams::default();
    let mut rest = value.trim();
    let mut headers = None;
    let mut sig = None;
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("a parameter without a value near {rest:?}"))?;
        let after = after
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of {name:?} is not quoted"))?;
        let end = after
            .find('"')
            .ok_or_else(|| format!("the value of {name:?} is not closed"))?;
        let v = &after[..end];
        match name.trim() {
            "keyId" => p.key_id = v.to_string(),
            "algorithm" => p.algorithm = Some(v.to_string()),
            "headers" => headers = Some(v.to_string()),
            "signature" => sig = Some(v.to_string()),
            _ => {}
        }
        rest = after[end + 1..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    if p.key_id.is_empty() {
        return Err("no keyId".into());
    }
    p.headers = headers
        .unwrap_or_else(|| "date".into())
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    p.signature = base64::engine::general_purpose::STANDARD
        .decode(sig.ok_or("no signature")?)
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    Ok(p)
}

/// Checks the HTTP Signature of an inbox request and returns the signer's actor document.
async fn verify_request(
    push: &Arc<Push>,
    election: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let value = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unsigned("the request has no Signature header"))?;
    let p = parse_signature(value).map_err(unsigned)?;
    if let Some(a) = &p.algorithm {
        if a != "rsa-sha256" && a != "hs2019" {
            return Err(unsigned(format!("algorithm {a:?} is not rsa-sha256")));
        }
    }
    for needed in ["(request-target)", "host", "date", "digest"] {
        if !p.headers.iter().any(|h| h == needed) {
            return Err(unsigned(format!("the signature does not cover {needed}")));
        }
    }
    let header = |name: &str| -> Result<String, ApiError> {
        let vals: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if vals.is_empty() {
            return Err(unsigned(format!("the signed header {name} is missing")));
        }
        Ok(vals.join(", "))
    };
    let date = header("date")?;
    let when =
        httpdate::parse_http_date(&date).map_err(|_| unsigned("the date is not an HTTP date"))?;
    let now = SystemTime::now();
    if when + MAX_AGE < now || when > now + MAX_SKEW {
        return Err(unsigned("the signature's date is too far from now"));
    }
    let sent = header("digest")?;
    let ours = digest(body);
    if !sent.split(',').any(|d| d.trim() == ours) {
        return Err(unsigned(
            "the body's SHA-256 differs from the digest header",
        ));
    }
    let mut lines = Vec::new();
    for h in &p.headers {
        if h == "(request-target)" {
            let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
            lines.push(format!("(request-target): post {target}"));
        } else {
            lines.push(format!("{h}: {}", header(h)?));
        }
    }
    // The key, from the signer's server.
    let key_doc = fetch(push, election, &p.key_id)
        .await
        .map_err(|e| unsigned(format!("cannot fetch the key {}: {e}", p.key_id)))?;
    let (pem, owner) = find_key(&key_doc, &p.key_id)
        .ok_or_else(|| unsigned(format!("{} names no public key", p.key_id)))?;
    let key = rsa::RsaPublicKey::from_public_key_pem(&pem).map_err(|e| {
        unsigned(format!(
            "the key {} is not an RSA public key: {e}",
            p.key_id
        ))
    })?;
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
    let sig = rsa::pkcs1v15::Signature::try_from(p.signature.as_slice())
        .map_err(|_| unsigned("the signature is malformed"))?;
    use rsa::signature::Verifier as _;
    verifier
        .verify(lines.join("\n").as_bytes(), &sig)
        .map_err(|_| unsigned(format!("the signature does not verify with {}", p.key_id)))?;
    if key_doc["id"].as_str() == Some(owner.as_str()) {
        return Ok(key_doc);
    }
    fetch(push, election, &owner)
        .await
        .map_err(|e| unsigned(format!("cannot fetch the key's owner {owner}: {e}")))
}

/// The PEM and owner of key `key_id` in a fetched document (an actor with `publicKey`, or
/// the key itself).
fn find_key(doc: &Value, key_id: &str) -> Option<(String, String)> {
    let entry = |k: &Value| -> Option<(String, String)> {
        let pem = k["publicKeyPem"].as_str()?;
        let owner = k["owner"].as_str().or(doc["id"].as_str())?;
        (k["id"].as_str() == Some(key_id) || k["id"].is_null())
            .then(|| (pem.to_string(), owner.to_string()))
    };
    match &doc["publicKey"] {
        Value::Array(keys) => keys.iter().find_map(entry),
        k @ Value::Object(_) => entry(k),
        _ if doc["publicKeyPem"].is_string() => {
            let owner = doc["owner"].as_str()?;
            Some((doc["publicKeyPem"].as_str()?.to_string(), owner.to_string()))
        }
        _ => None,
    }
}

/// GETs an ActivityPub document, signed by the election's actor (servers in "secure mode"
/// answer only signed fetches), within [`MAX_FETCH`] bytes.
async fn fetch(push: &Arc<Push>, election: &str, url: &str) -> Result<Value, String> {
    let mut u = super::check_target(url, &push.settings)?;
    u.set_fragment(None);
    let base = push.settings.public_url.clone().unwrap_or_default();
    let key = key_async(push, election).await?;
    let key_id = format!("{}#main-key", actor_id(&base, election));
    let mut req = push.http.get(u.clone()).header(
        header::ACCEPT,
        "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    );
    for (k, v) in signed_headers(&key, &key_id, &Method::GET, &u, None)? {
        req = req.header(k, v);
    }
    let mut resp = req.send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > MAX_FETCH {
            return Err(format!("larger than {MAX_FETCH} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// The id of an activity's `actor` (a string or an object with an id).
fn id_of(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v["id"].as_str())
}

/// `POST /ap/elections/<id>/inbox`: Follow, Undo of a Follow, Delete of an actor; everything
/// else is accepted and ignored.
async fn inbox(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let base = base(&state)?;
    let rt = runtime(&state, &id)?;
    let bytes = axum::body::to_bytes(body, MAX_INBOX_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("an activity is at most {MAX_INBOX_BODY} bytes"),
            )
        })?;
    let activity: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let push = state.push.clone();
    let signer = verify_request(&push, &rt.id, &uri, &headers, &bytes).await?;
    let signer_id = signer["id"].as_str().unwrap_or("").to_string();
    if id_of(&activity["actor"]) != Some(signer_id.as_str()) {
        return Err(unsigned(format!(
            "the activity's actor is not the signer {signer_id}"
        )));
    }
    let me = actor_id(&base, &rt.id);
    let kind = activity["type"].as_str().unwrap_or("");
    let subs = push.subs.clone();
    let e = rt.id.clone();
    match kind {
        "Follow" => {
            if id_of(&activity["object"]) != Some(me.as_str()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "not_this_actor",
                    format!("this inbox takes follows of {me} only"),
                ));
            }
            let inbox = signer["endpoints"]["sharedInbox"]
                .as_str()
                .or(signer["inbox"].as_str())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "no_inbox",
                        "the follower has no inbox",
                    )
                })?
                .to_string();
            super::check_target(&inbox, &push.settings)
                .map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, "bad_inbox", why))?;
            let follow_id = activity["id"].as_str().unwrap_or("").to_string();
            let accept_id = format!(
                "{me}#accept-{}",
                hex_prefix(&Sha256::digest(
                    format!("{signer_id} {follow_id}").as_bytes()
                ))
            );
            let accept = json!({
                "@context": AS_CONTEXT,
                "id": accept_id,
                "type": "Accept",
                "actor": me,
                "object": activity,
            });
            let body = serde_json::to_vec(&accept).unwrap_or_default();
            let max = push.settings.max_pending;
            tokio::task::spawn_blocking(move || {
                let now = crate::runtime::now_rfc3339();
                subs.add_follower(&e, &signer_id, &inbox, &now)?;
                subs.enqueue(
                    &NewDelivery {
                        election: &e,
                        channel: CHANNEL_ACTIVITYPUB,
                        target: &inbox,
                        event_id: &accept_id,
                        body: &body,
                        due_at_ms: super::now_ms(),
                        created_at: &now,
                    },
                    max,
                )
            })
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            push.wake();
            tracing::info!(election = %rt.id, follower = %id_of(&activity["actor"]).unwrap_or(""), "followed on the fediverse");
        }
        "Undo" | "Delete" => {
            let object = &activity["object"];
            let undone_follow =
                kind == "Undo" && (object.is_string() || object["type"].as_str() == Some("Follow"));
            let deleted_self = kind == "Delete" && id_of(object) == Some(signer_id.as_str());
            if undone_follow || deleted_self {
                tokio::task::spawn_blocking(move || subs.remove_follower(&e, &signer_id))
                    .await
                    .map_err(|e| {
                        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                    })?
                    .map_err(|e| {
                        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                    })?;
            }
        }
        _ => {}
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_header_is_parsed() {
        let p = parse_signature(
            r#"keyId="https://a.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAEC""#,
        )
        .unwrap();
        assert_eq!(p.key_id, "https://a.example/users/bob#main-key");
        assert_eq!(p.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(p.headers, ["(request-target)", "host", "date", "digest"]);
        assert_eq!(p.signature, [0, 1, 2]);
        assert_eq!(
            parse_signature(r#"keyId="k",signature="AA==""#)
                .unwrap()
                .headers,
            ["date"],
            "the default is the date alone"
        );
        assert!(parse_signature(r#"signature="AA==""#).is_err());
        assert!(parse_signature(r#"keyId=k"#).is_err());
    }

    #[test]
    fn the_digest_header_is_sha256_in_base64() {
        // `printf '{"hello": "world"}' | openssl dgst -sha256 -binary | base64`
        assert_eq!(
            digest(b"{\"hello\": \"world\"}"),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
    }
}
