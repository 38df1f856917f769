//! The officials' sign-in and sealed reads over real HTTP, on an `approval`-mode election whose
//! results are not published: each official reads exactly what its key answers for, and every
//! way of signing in or presenting a token without the right to is refused with its own code.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::Value;
use skytale_model::{Definition, DefinitionFormat};
use skytale_server::auth::{Auth, CHALLENGE_TTL, SESSION_TTL};
use skytale_server::AppState;
use skytale_testkit as kit;

mod common;
use common::{get_as, post, sign_in, start_state, Running};

const ID: &str = "test-2026";

/// An approval-mode election with results from both regions (none published) and one held
/// submission from each, served with sign-in on a clock the test moves (seconds of offset).
struct Night {
    _tmp: tempfile::TempDir,
    srv: Running,
    base: String,
    clock: Arc<AtomicI64>,
    /// Log index of each accepted note, by unit.
    n1: u64,
    n2: u64,
    s1: u64,
    notes: Vec<(u64, Vec<u8>)>,
}

fn create(dir: &Path, k: &kit::Keys) {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = Definition::parse(&kit::toml_text(k, "approval"), DefinitionFormat::Toml).unwrap();
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

async fn night(k: &kit::Keys) -> Night {
    let tmp = tempfile::tempdir().unwrap();
    create(tmp.path(), k);
    let clock = Arc::new(AtomicI64::new(0));
    let c = clock.clone();
    let auth = Auth::with_clock(Arc::new(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(c.load(Ordering::SeqCst))
    }));
    let srv = start_state(AppState::open(tmp.path()).unwrap().with_auth(auth)).await;
    let base = srv.base.clone();
    let submissions = format!("{base}/api/v1/elections/{ID}/submissions");
    let mut notes = Vec::new();
    for (key, unit) in [(&k.north, "n1"), (&k.north, "n2"), (&k.south, "s1")] {
        let note = kit::sign(key, &kit::results_json(unit, 1, &kit::mayor(300, 200, 510)));
        let (s, receipt) = post(&submissions, note.clone()).await;
        assert_eq!(s, 201, "{receipt}");
        notes.push((receipt["index"].as_u64().unwrap(), note));
    }
    for (key, unit) in [(&k.north, "n2"), (&k.south, "s2")] {
        let implausible = kit::sign(
            key,
            &kit::results_json(unit, 2, &kit::mayor(900, 900, 1200)),
        );
        let (s, held) = post(&submissions, implausible).await;
        assert_eq!(s, 202, "{held}");
    }
    Night {
        _tmp: tmp,
        srv,
        base,
        clock,
        n1: notes[0].0,
        n2: notes[1].0,
        s1: notes[2].0,
        notes,
    }
}

impl Night {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/elections/{ID}/{path}", self.base)
    }

    async fn challenge(&self) -> String {
        let (s, c) = post(&self.url("auth/challenge"), vec![]).await;
        assert_eq!(s, 200, "{c}");
        c["challenge"].as_str().unwrap().to_string()
    }

    async fn session(&self, note: Vec<u8>) -> (u16, Value) {
        post(&self.url("auth/session"), note).await
    }

    async fn token(&self, key: &skytale_note::SigningKey) -> String {
        sign_in(&self.base, ID, key).await["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn advance(&self, by: time::Duration) {
        self.clock.fetch_add(by.whole_seconds(), Ordering::SeqCst);
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn indexes(page: &Value, field: &str) -> Vec<u64> {
    page[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.get("index").unwrap_or(e).as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_reads_its_own_units_and_an_approver_reads_everything() {
    let k = kit::keys();
    let n = night(&k).await;

    let north = sign_in(&n.base, ID, &k.north).await;
    assert_eq!(north["role"], "reporter");
    assert_eq!(north["key"], "north-office");
    assert_eq!(north["scope"], serde_json::json!(["north"]));
    let (s, cache, page) = get_as(&n.url("sealed/entries"), north["token"].as_str()).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(cache, "no-store", "sealed answers are never cached");
    assert_eq!(page["log_size"], 4);
    assert_eq!(
        indexes(&page, "entries"),
        [0, n.n1, n.n2],
        "the definition and its own units"
    );
    assert_eq!(
        indexes(&page, "withheld"),
        [n.s1],
        "south's statement is withheld"
    );
    for e in page["entries"].as_array().unwrap().iter().skip(1) {
        let (_, note) = n
            .notes
            .iter()
            .find(|(i, _)| Some(*i) == e["index"].as_u64())
            .unwrap();
        assert_eq!(
            e["note"].as_str().unwrap().as_bytes(),
            &note[..],
            "the logged bytes"
        );
    }
    assert!(
        !page.to_string().contains("\"s1\""),
        "nothing of south's statement leaks"
    );

    let approver = sign_in(&n.base, ID, &k.approver).await;
    assert_eq!(approver["role"], "approver");
    assert_eq!(approver["scope"], serde_json::json!(["nation"]));
    let (_, _, page) = get_as(&n.url("sealed/entries"), approver["token"].as_str()).await;
    assert_eq!(indexes(&page, "entries"), [0, 1, 2, 3]);
    assert!(indexes(&page, "withheld").is_empty());

    // Paging: a limited page says where to go on; the log's end is an empty page, beyond is 416.
    let t = approver["token"].as_str();
    let (_, _, page) = get_as(&n.url("sealed/entries?from=1&limit=2"), t).await;
    assert_eq!(indexes(&page, "entries"), [1, 2]);
    assert_eq!(page["next"], 3);
    let (s, _, page) = get_as(&n.url("sealed/entries?from=4"), t).await;
    assert_eq!((s, indexes(&page, "entries").len()), (200, 0));
    let (s, _, err) = get_as(&n.url("sealed/entries?from=5"), t).await;
    assert_eq!((s, code(&err)), (416, "out_of_range"));
    let (s, _, err) = get_as(&n.url("sealed/entries?limit=many"), t).await;
    assert_eq!(
        (s, code(&err), err["error"]["field"].as_str()),
        (400, "bad_query", Some("limit"))
    );

    let authority = sign_in(&n.base, ID, &k.authority).await;
    assert_eq!(authority["role"], "authority");
    n.srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_submissions_are_for_signed_in_officials_within_their_scope() {
    let k = kit::keys();
    let n = night(&k).await;

    let (s, cache, err) = get_as(&n.url("held"), None).await;
    assert_eq!((s, code(&err)), (401, "unauthenticated"));
    assert_eq!(cache, "no-store");
    assert_eq!(err.as_object().unwrap().len(), 1, "only the error: {err}");
    assert!(
        !err.to_string().contains("held\":"),
        "no list, no count: {err}"
    );
    let r = reqwest::get(n.url("held")).await.unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"skytale\"");

    let units = |page: &Value| -> Vec<String> {
        page["held"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let note = h["note"].as_str().unwrap();
                let st: Value = serde_json::from_str(note.lines().next().unwrap()).unwrap();
                st["unit"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let north = n.token(&k.north).await;
    let (s, _, page) = get_as(&n.url("held"), Some(&north)).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(units(&page), ["n2"], "north's own, not south's");
    assert_eq!(page["next_after"], Value::Null);

    let approver = n.token(&k.approver).await;
    let (_, _, page) = get_as(&n.url("held"), Some(&approver)).await;
    assert_eq!(units(&page), ["n2", "s2"]);
    assert!(page["held"][0]["reasons"].as_array().unwrap().len() >= 2);
    // One at a time: each page names the cursor of the next.
    let (_, _, first) = get_as(&n.url("held?limit=1"), Some(&approver)).await;
    assert_eq!(units(&first), ["n2"]);
    let after = first["next_after"].as_i64().unwrap();
    let (_, _, second) = get_as(
        &n.url(&format!("held?limit=1&after={after}")),
        Some(&approver),
    )
    .await;
    assert_eq!(units(&second), ["s2"]);
    n.srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wrong_sign_in_and_every_wrong_token_is_refused_with_its_code() {
    let k = kit::keys();
    let n = night(&k).await;
    let sign = |key: &skytale_note::SigningKey, text: &str| key.sign_note(text).unwrap().to_bytes();

    // A key the election does not know.
    let c = n.challenge().await;
    let (s, err) = n.session(sign(&k.stranger, &c)).await;
    assert_eq!((s, code(&err)), (401, "unknown_key"), "{err}");
    // The challenge was used by that attempt: not even the right key may answer it now.
    let (s, err) = n.session(sign(&k.north, &c)).await;
    assert_eq!((s, code(&err)), (401, "unknown_challenge"), "{err}");

    // A challenge answered once opens one session; the same answer again is refused.
    let c = n.challenge().await;
    let answer = sign(&k.north, &c);
    assert_eq!(n.session(answer.clone()).await.0, 200);
    let (s, err) = n.session(answer).await;
    assert_eq!((s, code(&err)), (401, "unknown_challenge"), "{err}");

    // A text the server never issued, though well signed.
    let (s, err) = n
        .session(sign(
            &k.north,
            "skytale sign-in\nskytale.invalid/test-2026\ntest-2026\n00\n2099-01-01T00:00:00Z\n",
        ))
        .await;
    assert_eq!((s, code(&err)), (401, "unknown_challenge"), "{err}");

    // A signature by a known key that does not verify (another text's signature).
    let c = n.challenge().await;
    let mut forged = k.north.sign_note(&c).unwrap();
    forged.signatures = k.north.sign_note("something else\n").unwrap().signatures;
    let (s, err) = n.session(forged.to_bytes()).await;
    assert_eq!((s, code(&err)), (401, "bad_signature"), "{err}");

    // Not a signed note at all; a note with two signatures.
    let (s, err) = n.session(b"hello".to_vec()).await;
    assert_eq!((s, code(&err)), (400, "malformed_note"), "{err}");
    let c = n.challenge().await;
    let mut two = k.north.sign_note(&c).unwrap();
    two.add_signature(&k.approver);
    let (s, err) = n.session(two.to_bytes()).await;
    assert_eq!((s, code(&err)), (400, "malformed_note"), "{err}");

    // A challenge answered too late.
    let c = n.challenge().await;
    n.advance(CHALLENGE_TTL);
    let (s, err) = n.session(sign(&k.north, &c)).await;
    assert_eq!((s, code(&err)), (401, "challenge_expired"), "{err}");

    // Tokens: none, forged, from the wrong scheme, expired.
    let url = n.url("sealed/entries");
    let (s, _, err) = get_as(&url, None).await;
    assert_eq!((s, code(&err)), (401, "unauthenticated"));
    let (s, _, err) = get_as(&url, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
    assert_eq!((s, code(&err)), (401, "invalid_token"));
    let token = n.token(&k.approver).await;
    let r = reqwest::Client::new()
        .get(&url)
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(get_as(&url, Some(&token)).await.0, 200);
    n.advance(SESSION_TTL);
    let (s, _, err) = get_as(&url, Some(&token)).await;
    assert_eq!((s, code(&err)), (401, "token_expired"));
    n.srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_cannot_sign_in_and_its_open_session_ends() {
    let k = kit::keys();
    let n = night(&k).await;
    let south = n.token(&k.south).await;
    assert_eq!(get_as(&n.url("sealed/entries"), Some(&south)).await.0, 200);

    let revoke = kit::sign(
        &k.authority,
        &format!(
            r#"{{"type":"key","election":"{ID}","action":"revoke","key":"{}"}}"#,
            k.south.verifier()
        ),
    );
    let (s, receipt) = post(&n.url("submissions"), revoke).await;
    assert_eq!(s, 201, "{receipt}");

    let (s, _, err) = get_as(&n.url("sealed/entries"), Some(&south)).await;
    assert_eq!((s, code(&err)), (403, "key_revoked"), "{err}");
    let c = n.challenge().await;
    let (s, err) = n.session(k.south.sign_note(&c).unwrap().to_bytes()).await;
    assert_eq!((s, code(&err)), (403, "key_revoked"), "{err}");
    n.srv.shutdown().await;
}
