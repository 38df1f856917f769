//! Sign-in of an election's officials by a signed challenge, and the sessions it opens.
//!
//! In `approval` mode the public sees checkpoints and hash tiles only until the approvers'
//! go-ahead, yet the officials the definition names (the authority, the approvers, and each
//! reporting authority for its own units) must read what is sealed. They already hold Ed25519
//! keys of the election's key ring, so signing in proves possession of such a key and nothing
//! else: no password is ever stored on the server.
//!
//! 1. `POST …/auth/challenge` hands out a few lines of text binding the purpose, the log
//!    origin, the election, a random nonce and an expiry ([`CHALLENGE_TTL`]).
//! 2. The official signs that text as a C2SP signed note with one key and posts it to
//!    `POST …/auth/session`. The challenge is consumed whatever the outcome (single use); a
//!    signature by a live key of the ring opens a session of [`SESSION_TTL`] under a random
//!    bearer token.
//! 3. Every sealed read calls [`authorize`], which looks the token up and derives the key's
//!    reach again from the current key ring, so a key revoked after sign-in reads nothing more.
//!
//! A challenge text starts with [`PURPOSE`], so it can never parse as a statement (statements
//! are JSON), and no statement, all of which are public once published, can ever match an
//! outstanding challenge: a sign-in signature is useless in the log and a logged signature is
//! useless for sign-in.
//!
//! Everything lives in memory, per election, and is bounded ([`MAX_CHALLENGES`],
//! [`MAX_SESSIONS`]): a restart signs everyone out, and a flood of challenge requests is
//! answered `429 busy` instead of growing the table. The clock is injectable ([`Clock`]) so
//! expiry is tested without sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use serde_json::json;
use skytale_model::{KeyRing, Role, Statement, ValidDefinition};
use skytale_note::{Note, NoteError, VerifierKey};
use time::{Duration, OffsetDateTime};

use crate::api::ApiError;
use crate::runtime::ElectionRuntime;
use crate::AppState;

/// First line of every challenge: what the signature is for.
pub const PURPOSE: &str = "skytale sign-in";

/// How long a challenge may be answered: long enough to sign with a key on another device,
/// short enough that a leaked one is soon worthless.
pub const CHALLENGE_TTL: Duration = Duration::minutes(2);

/// How long a session lasts before the official signs in again.
pub const SESSION_TTL: Duration = Duration::minutes(15);

/// Most outstanding challenges per election. Anyone may ask for one, so the table is bounded;
/// beyond it (after sweeping the expired) the answer is `429 busy`.
pub const MAX_CHALLENGES: usize = 10_000;

/// Most open sessions per election. Only officials can open one, but a script signing in on
/// every call must not grow memory without end.
pub const MAX_SESSIONS: usize = 10_000;

/// Largest sign-in body: one short signed note.
pub const MAX_SIGN_IN_BODY: usize = 16 * 1024;

/// Where the time comes from: the wall clock in the server, a fake one in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The sign-in state of every election on the server: outstanding challenges and open
/// sessions, in memory only.
pub struct Auth {
    clock: Clock,
    elections: Mutex<HashMap<String, Tables>>,
}

#[derive(Default)]
struct Tables {
    /// Outstanding challenges by their exact text, with their expiry.
    challenges: HashMap<String, OffsetDateTime>,
    /// Open sessions by bearer token.
    sessions: HashMap<String, Grant>,
}

/// What a token stands for. Only the key is kept: its reach is derived from the key ring on
/// every use, so revocation takes effect at once.
struct Grant {
    key: VerifierKey,
    expires_at: OffsetDateTime,
}

/// A challenge handed out to be signed.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub text: String,
    pub expires_at: OffsetDateTime,
}

/// Which office a session's key holds in the election (the strongest, when it holds several).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Office {
    Authority,
    Approver,
    Reporter,
}

impl Office {
    pub fn as_str(self) -> &'static str {
        match self {
            Office::Authority => "authority",
            Office::Approver => "approver",
            Office::Reporter => "reporter",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// The authority and the approvers answer for the whole election.
    Everything,
    /// A reporting authority answers for its scope units and everything below them.
    Units(Vec<usize>),
}

/// An authenticated official: who, in what office, and until when.
#[derive(Clone, Debug)]
pub struct Session {
    /// The signing key's name.
    pub key: String,
    pub office: Office,
    pub expires_at: OffsetDateTime,
    reach: Reach,
}

/// A new session with its bearer token.
pub struct SignedIn {
    pub token: String,
    pub session: Session,
}

/// Never prints the token: whoever reads a log line must not be able to sign in with it.
impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in or a token was refused. Each has its own status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("too many sign-ins are outstanding for this election; retry in a moment")]
    Busy,
    #[error("the body is not a signed note: {0}")]
    Malformed(String),
    #[error("a sign-in is signed by exactly one key; this note has {0} signatures")]
    SignatureCount(usize),
    #[error("this is not an outstanding sign-in challenge of this election (never issued, already used, or expired long ago); ask for a new one")]
    UnknownChallenge,
    #[error("the challenge expired; ask for a new one")]
    ChallengeExpired,
    #[error("the challenge is not signed by any key of this election")]
    UnknownKey,
    #[error("the signature by {0:?} does not verify")]
    BadSignature(String),
    #[error("the key {0:?} was revoked by the election authority")]
    Revoked(String),
    #[error("sign in first and send `Authorization: Bearer <token>` (POST auth/challenge, sign it, POST auth/session)")]
    NoToken,
    #[error("the token is not valid for this election (unknown, forged, or the server restarted); sign in again")]
    BadToken,
    #[error("the session expired; sign in again")]
    TokenExpired,
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::Busy => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Malformed(_) | AuthError::SignatureCount(_) => StatusCode::BAD_REQUEST,
            AuthError::Revoked(_) => StatusCode::FORBIDDEN,
            AuthError::UnknownChallenge
            | AuthError::ChallengeExpired
            | AuthError::UnknownKey
            | AuthError::BadSignature(_)
            | AuthError::NoToken
            | AuthError::BadToken
            | AuthError::TokenExpired => StatusCode::UNAUTHORIZED,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Busy => "busy",
            AuthError::Malformed(_) | AuthError::SignatureCount(_) => "malformed_note",
            AuthError::UnknownChallenge => "unknown_challenge",
            AuthError::ChallengeExpired => "challenge_expired",
            AuthError::UnknownKey => "unknown_key",
            AuthError::BadSignature(_) => "bad_signature",
            AuthError::Revoked(_) => "key_revoked",
            AuthError::NoToken => "unauthenticated",
            AuthError::BadToken => "invalid_token",
            AuthError::TokenExpired => "token_expired",
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        ApiError::new(e.status(), e.code(), e.to_string())
    }
}

impl Default for Auth {
    fn default() -> Auth {
        Auth::new()
    }
}

impl Auth {
    /// Sign-in state on the wall clock.
    pub fn new() -> Auth {
        Auth::with_clock(Arc::new(OffsetDateTime::now_utc))
    }

    /// Sign-in state on the given clock (tests move it forward instead of sleeping).
    pub fn with_clock(clock: Clock) -> Auth {
        Auth {
            clock,
            elections: Mutex::new(HashMap::new()),
        }
    }

    /// Now, to the second: the expiry written in a challenge is exactly the one enforced.
    fn now(&self) -> OffsetDateTime {
        let t = (self.clock)();
        t.replace_nanosecond(0).unwrap_or(t)
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tables>> {
        self.elections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new single-use challenge for `election`, whose log origin is `origin`.
    pub fn challenge(&self, election: &str, origin: &str) -> Result<Challenge, AuthError> {
        let now = self.now();
        let expires_at = now + CHALLENGE_TTL;
        let nonce: String = random_32().iter().map(|b| format!("{b:02x}")).collect();
        let text = format!(
            "{PURPOSE}\n{origin}\n{election}\n{nonce}\n{}\n",
            rfc3339(expires_at)
        );
        let mut all = self.tables();
        let t = all.entry(election.to_string()).or_default();
        if t.challenges.len() >= MAX_CHALLENGES {
            t.challenges.retain(|_, exp| *exp > now);
        }
        if t.challenges.len() >= MAX_CHALLENGES {
            return Err(AuthError::Busy);
        }
        t.challenges.insert(text.clone(), expires_at);
        Ok(Challenge { text, expires_at })
    }

    /// Opens a session for the key that signed `body`, a signed note whose text is an
    /// outstanding challenge of `election`. The challenge is consumed whether or not the
    /// signature holds, so each can be tried once.
    pub fn sign_in(
        &self,
        election: &str,
        ring: &KeyRing,
        body: &[u8],
    ) -> Result<SignedIn, AuthError> {
        let note = Note::parse(body).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if note.signatures.len() != 1 {
            return Err(AuthError::SignatureCount(note.signatures.len()));
        }
        let now = self.now();
        {
            let mut all = self.tables();
            let expires_at = all
                .get_mut(election)
                .and_then(|t| t.challenges.remove(&note.text))
                .ok_or(AuthError::UnknownChallenge)?;
            if now >= expires_at {
                return Err(AuthError::ChallengeExpired);
            }
        }
        let known: Vec<VerifierKey> = ring.entries().iter().map(|e| e.key.clone()).collect();
        let key = match note.verify(&known) {
            Ok(keys) => keys
                .first()
                .map(|k| (*k).clone())
                .ok_or(AuthError::UnknownKey)?,
            Err(NoteError::BadSignature { name }) => return Err(AuthError::BadSignature(name)),
            Err(_) => return Err(AuthError::UnknownKey),
        };
        let (office, reach) =
            reach_of(ring, &key).ok_or_else(|| AuthError::Revoked(key.name().to_string()))?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_32());
        let expires_at = now + SESSION_TTL;
        let session = Session {
            key: key.name().to_string(),
            office,
            expires_at,
            reach,
        };
        let mut all = self.tables();
        let t = all.entry(election.to_string()).or_default();
        if t.sessions.len() >= MAX_SESSIONS {
            t.sessions.retain(|_, g| g.expires_at > now);
        }
        if t.sessions.len() >= MAX_SESSIONS {
            return Err(AuthError::Busy);
        }
        t.sessions.insert(token.clone(), Grant { key, expires_at });
        Ok(SignedIn { token, session })
    }

    /// Ends the session of `token` (signing out); an unknown token changes nothing.
    pub fn sign_out(&self, election: &str, token: &str) {
        if let Some(t) = self.tables().get_mut(election) {
            t.sessions.remove(token);
        }
    }

    /// The session a bearer token of `election` stands for, with its key's reach in the
    /// current key ring.
    pub fn session(
        &self,
        election: &str,
        ring: &KeyRing,
        token: &str,
    ) -> Result<Session, AuthError> {
        let now = self.now();
        let (key, expires_at) = {
            let mut all = self.tables();
            let t = all.get_mut(election).ok_or(AuthError::BadToken)?;
            let g = t.sessions.get(token).ok_or(AuthError::BadToken)?;
            if now >= g.expires_at {
                t.sessions.remove(token);
                return Err(AuthError::TokenExpired);
            }
            (g.key.clone(), g.expires_at)
        };
        let (office, reach) =
            reach_of(ring, &key).ok_or_else(|| AuthError::Revoked(key.name().to_string()))?;
        Ok(Session {
            key: key.name().to_string(),
            office,
            expires_at,
            reach,
        })
    }
}

/// What a key may read: the strongest office among its live entries in the ring (a key may
/// hold several), and for a reporter the union of its scopes. `None` when every entry of the
/// key is revoked.
fn reach_of(ring: &KeyRing, key: &VerifierKey) -> Option<(Office, Reach)> {
    let mut office = None;
    let mut units = Vec::new();
    for e in ring
        .entries()
        .iter()
        .filter(|e| e.key == *key && e.revoked_at.is_none())
    {
        match &e.role {
            Role::Authority => return Some((Office::Authority, Reach::Everything)),
            Role::Approver => office = Some(Office::Approver),
            Role::Reporter { scope, .. } => {
                units.extend_from_slice(scope);
                office.get_or_insert(Office::Reporter);
            }
        }
    }
    match office? {
        Office::Reporter => Some((Office::Reporter, Reach::Units(units))),
        o => Some((o, Reach::Everything)),
    }
}

impl Session {
    /// Whether this official answers for everything the statement says. The authority and the
    /// approvers read every statement. A reporting authority reads the results and CVR batches
    /// of units inside its scope (a scope unit or below it, as the ledger authorises it to
    /// report them), and the statements that carry no counts: the definition, publications,
    /// key changes and result types. The match is exhaustive on purpose: a new statement kind must be
    /// placed here before it compiles.
    pub fn may_read(&self, st: &Statement, def: &ValidDefinition) -> bool {
        let scope = match &self.reach {
            Reach::Everything => return true,
            Reach::Units(scope) => scope,
        };
        let unit = match st {
            Statement::Results(r) => &r.unit,
            Statement::Cvr(c) => &c.unit,
            // A release carries a unit's counts; a rejection only a digest.
            Statement::Review(rv) => match rv.released() {
                Some(r) => &r.unit,
                None => return true,
            },
            Statement::Election(_)
            | Statement::DefinitionPart(_)
            | Statement::Publication(_)
            | Statement::Key(_)
            | Statement::Status(_) => return true,
        };
        def.unit_index(unit)
            .is_some_and(|u| scope.iter().any(|&s| def.is_within(u, s)))
    }

    /// [`Session::may_read`] for a signed note's bytes; anything that does not parse as a
    /// statement is for the authority and the approvers only.
    pub fn may_read_note(&self, bytes: &[u8], def: &ValidDefinition) -> bool {
        if self.reach == Reach::Everything {
            return true;
        }
        let Ok(note) = Note::parse(bytes) else {
            return false;
        };
        Statement::parse(&note.text).is_ok_and(|st| self.may_read(&st, def))
    }

    /// The ids of the units this session answers for (the root unit for the whole election).
    pub fn scope_ids(&self, def: &ValidDefinition) -> Vec<String> {
        let units = def.units();
        match &self.reach {
            Reach::Everything => units
                .get(def.root())
                .map(|u| u.id.clone())
                .into_iter()
                .collect(),
            Reach::Units(scope) => scope
                .iter()
                .filter_map(|&i| units.get(i).map(|u| u.id.clone()))
                .collect(),
        }
    }
}

/// The official behind a request's `Authorization: Bearer <token>` for this election.
pub fn authorize(
    state: &AppState,
    rt: &ElectionRuntime,
    headers: &HeaderMap,
) -> Result<Session, ApiError> {
    let token = bearer(headers).ok_or(AuthError::NoToken)?;
    let ring = rt.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(state.auth.session(&rt.id, &ring, token)?)
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The election's definition, for scope checks (fixed at entry 0).
pub(crate) fn definition(rt: &ElectionRuntime) -> Arc<ValidDefinition> {
    rt.definition.clone()
}

/// The sign-in routes; merged with the sealed reads by [`crate::sealed::routes`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/elections/{id}/auth/challenge", post(challenge))
        .route("/api/v1/elections/{id}/auth/session", post(session))
}

async fn challenge(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rt = crate::api::runtime(&state, &id)?;
    let c = state.auth.challenge(&rt.id, &rt.origin)?;
    Ok(axum::Json(json!({
        "challenge": c.text,
        "expires_at": rfc3339(c.expires_at),
    }))
    .into_response())
}

async fn session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let rt = crate::api::runtime(&state, &id)?;
    let bytes = axum::body::to_bytes(body, MAX_SIGN_IN_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a sign-in is one signed note of at most {MAX_SIGN_IN_BODY} bytes"),
            )
        })?;
    let ring = rt.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
    let signed = state.auth.sign_in(&rt.id, &ring, &bytes)?;
    let s = &signed.session;
    Ok(axum::Json(json!({
        "token": signed.token,
        "expires_at": rfc3339(s.expires_at),
        "key": s.key,
        "role": s.office.as_str(),
        "scope": s.scope_ids(&definition(&rt)),
    }))
    .into_response())
}

fn random_32() -> [u8; 32] {
    use rand::RngCore as _;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use skytale_testkit as kit;

    use super::*;

    /// An auth table on a clock that only moves when the test says so.
    fn frozen() -> (Auth, Arc<AtomicI64>) {
        let offset = Arc::new(AtomicI64::new(0));
        let o = offset.clone();
        let start = OffsetDateTime::from_unix_timestamp(1_795_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let auth = Auth::with_clock(Arc::new(move || {
            start + Duration::seconds(o.load(Ordering::SeqCst))
        }));
        (auth, offset)
    }

    fn ring(k: &kit::Keys) -> KeyRing {
        (**kit::ledger(k).keys()).clone()
    }

    #[test]
    fn a_challenge_answered_in_time_opens_a_session_and_cannot_be_used_twice() {
        let k = kit::keys();
        let (auth, _) = frozen();
        let c = auth
            .challenge("test-2026", "skytale.invalid/test-2026")
            .unwrap();
        let lines: Vec<&str> = c.text.lines().collect();
        assert_eq!(lines[0], PURPOSE);
        assert_eq!(lines[1], "skytale.invalid/test-2026");
        assert_eq!(lines[2], "test-2026");
        assert_eq!(lines[3].len(), 64, "32 random bytes in hex");
        assert_eq!(lines[4], rfc3339(c.expires_at));
        let note = kit::sign(&k.north, c.text.trim_end());
        let s = auth.sign_in("test-2026", &ring(&k), &note).unwrap();
        assert_eq!(s.session.office, Office::Reporter);
        assert_eq!(s.session.key, "north-office");
        assert_eq!(
            auth.sign_in("test-2026", &ring(&k), &note).unwrap_err(),
            AuthError::UnknownChallenge
        );
    }

    #[test]
    fn a_challenge_expires_after_two_minutes() {
        let k = kit::keys();
        let (auth, clock) = frozen();
        let late = auth.challenge("test-2026", "o").unwrap();
        let in_time = auth.challenge("test-2026", "o").unwrap();
        clock.store(CHALLENGE_TTL.whole_seconds() - 1, Ordering::SeqCst);
        let ok = kit::sign(&k.approver, in_time.text.trim_end());
        assert!(auth.sign_in("test-2026", &ring(&k), &ok).is_ok());
        clock.store(CHALLENGE_TTL.whole_seconds(), Ordering::SeqCst);
        let note = kit::sign(&k.approver, late.text.trim_end());
        assert_eq!(
            auth.sign_in("test-2026", &ring(&k), &note).unwrap_err(),
            AuthError::ChallengeExpired
        );
    }

    #[test]
    fn a_session_expires_after_fifteen_minutes() {
        let k = kit::keys();
        let (auth, clock) = frozen();
        let c = auth.challenge("test-2026", "o").unwrap();
        let s = auth
            .sign_in(
                "test-2026",
                &ring(&k),
                &kit::sign(&k.authority, c.text.trim_end()),
            )
            .unwrap();
        assert_eq!(s.session.office, Office::Authority);
        clock.store(SESSION_TTL.whole_seconds() - 1, Ordering::SeqCst);
        assert!(auth.session("test-2026", &ring(&k), &s.token).is_ok());
        assert_eq!(
            auth.session("other-election", &ring(&k), &s.token)
                .unwrap_err(),
            AuthError::BadToken,
            "a token opens one election only"
        );
        clock.store(SESSION_TTL.whole_seconds(), Ordering::SeqCst);
        assert_eq!(
            auth.session("test-2026", &ring(&k), &s.token).unwrap_err(),
            AuthError::TokenExpired
        );
    }

    #[test]
    fn outstanding_challenges_are_bounded_and_expired_ones_make_room() {
        let (auth, clock) = frozen();
        for _ in 0..MAX_CHALLENGES {
            auth.challenge("test-2026", "o").unwrap();
        }
        assert_eq!(
            auth.challenge("test-2026", "o").unwrap_err(),
            AuthError::Busy
        );
        assert!(
            auth.challenge("another", "o").is_ok(),
            "each election has its own table"
        );
        clock.store(CHALLENGE_TTL.whole_seconds(), Ordering::SeqCst);
        assert!(auth.challenge("test-2026", "o").is_ok());
        assert_eq!(auth.tables()["test-2026"].challenges.len(), 1);
    }

    #[test]
    fn a_reporter_reads_its_own_units_and_the_statements_without_counts() {
        let k = kit::keys();
        let def = kit::valid(&k);
        let (auth, _) = frozen();
        let c = auth.challenge("test-2026", "o").unwrap();
        let north = auth
            .sign_in(
                "test-2026",
                &ring(&k),
                &kit::sign(&k.north, c.text.trim_end()),
            )
            .unwrap()
            .session;
        assert_eq!(north.scope_ids(&def), ["north"]);
        let results = |unit: &str| {
            Statement::parse(&kit::results_json(unit, 1, &kit::mayor(1, 1, 2))).unwrap()
        };
        assert!(north.may_read(&results("n1"), &def));
        assert!(north.may_read(&results("north"), &def));
        assert!(!north.may_read(&results("s1"), &def));
        assert!(!north.may_read(&results("nation"), &def), "above its scope");
        let publication = Statement::parse(
            r#"{"type":"publication","election":"test-2026","tree_size":2,"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signed_at":"2026-11-25T21:00:00Z"}"#,
        )
        .unwrap();
        assert!(north.may_read(&publication, &def));
        assert!(!north.may_read_note(b"not a note", &def));
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
