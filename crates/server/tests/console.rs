//! The officials' console over real HTTP, without a browser: the cookie session opened by a
//! signed challenge, its expiry, the scope of each page, and the refusals of its own writes
//! (other origins, a missing anti-forgery token, the wrong office). The whole night through
//! the UI in Chromium is `crates/cli/tests/console.rs`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use reqwest::header;
use skytale_model::{Definition, DefinitionFormat};
use skytale_server::auth::{Auth, SESSION_TTL};
use skytale_server::AppState;
use skytale_testkit as kit;

mod common;
use common::{post, start_state};

const ID: &str = "test-2026";

struct Console {
    _tmp: tempfile::TempDir,
    _srv: common::Running,
    base: String,
    clock: Arc<AtomicI64>,
    http: reqwest::Client,
}

async fn console(k: &kit::Keys) -> Console {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        let def =
            Definition::parse(&kit::toml_text(k, "approval"), DefinitionFormat::Toml).unwrap();
        skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
    }
    let clock = Arc::new(AtomicI64::new(0));
    let c = clock.clone();
    let auth = Auth::with_clock(Arc::new(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(c.load(Ordering::SeqCst))
    }));
    let srv = start_state(AppState::open(tmp.path()).unwrap().with_auth(auth)).await;
    let base = srv.base.clone();
    let submissions = format!("{base}/api/v1/elections/{ID}/submissions");
    for (key, unit) in [(&k.north, "n1"), (&k.south, "s1")] {
        let note = kit::sign(key, &kit::results_json(unit, 1, &kit::mayor(300, 200, 510)));
        assert_eq!(post(&submissions, note).await.0, 201);
    }
    for (key, unit) in [(&k.north, "n2"), (&k.south, "s2")] {
        let note = kit::sign(
            key,
            &kit::results_json(unit, 1, &kit::mayor(900, 900, 1200)),
        );
        assert_eq!(post(&submissions, note).await.0, 202);
    }
    Console {
        _tmp: tmp,
        _srv: srv,
        base,
        clock,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl Console {
    fn url(&self, page: &str) -> String {
        format!("{}/console/{ID}/{page}", self.base)
    }

    /// Signs in through the console: the session cookie's value.
    async fn sign_in(&self, key: &skytale_note::SigningKey) -> String {
        let (s, c) = post(
            &format!("{}/api/v1/elections/{ID}/auth/challenge", self.base),
            vec![],
        )
        .await;
        assert_eq!(s, 200);
        let note = kit::sign(key, c["challenge"].as_str().unwrap().trim_end());
        let r = self
            .http
            .post(self.url("session"))
            .body(note)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert!(cookie.contains(&format!("Path=/console/{ID}/")), "{cookie}");
        cookie.split(';').next().unwrap().to_string()
    }

    async fn page(
        &self,
        page: &str,
        cookie: Option<&str>,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let mut req = self.http.get(self.url(page));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, r.text().await.unwrap(), headers)
    }

    async fn write(
        &self,
        page: &str,
        cookie: &str,
        extra: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .post(self.url(page))
            .header(header::COOKIE, cookie)
            .body("x");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or_default())
    }
}

fn csrf(html: &str) -> String {
    html.split("data-csrf=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opens_by_signature_shows_its_scope_and_expires() {
    let k = kit::keys();
    let c = console(&k).await;
    // No session: the sign-in page, no data.
    let (s, html, h) = c.page("held", None).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"key-file\"") && !html.contains("Held #"),
        "{html}"
    );
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(
        h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
        "no CORS on the console"
    );

    // The north office sees its own held submission, not the south's.
    let north = c.sign_in(&k.north).await;
    let (s, html, _) = c.page("held", Some(&north)).await;
    assert_eq!(s, 200);
    assert!(html.contains("Held #1: N2, version 1"), "{html}");
    // Matched as the heading writes it: a bare "S2" may occur in the random anti-forgery token.
    assert!(!html.contains(": S2, version"), "{html}");
    assert!(
        !html.contains("data-action=\"review\""),
        "a reporter does not decide"
    );
    let (s, _, _) = c.page("approve", Some(&north)).await;
    assert_eq!(s, 403, "a reporter does not approve");

    // The approver sees both and may decide; it may not upload.
    let approver = c.sign_in(&k.approver).await;
    let (s, html, _) = c.page("held", Some(&approver)).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(": N2, version") && html.contains(": S2, version"),
        "{html}"
    );
    assert_eq!(html.matches("data-action=\"review\"").count(), 2);
    let (s, _, _) = c.page("upload", Some(&approver)).await;
    assert_eq!(s, 403);
    let token = csrf(&html);
    let (s, e) = c
        .write("preview", &approver, &[("x-skytale-csrf", &token)])
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("key_not_authorised"))
    );

    // The console's own writes: the anti-forgery token and the origin are checked.
    let (s, e) = c.write("sign-out", &approver, &[]).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("bad_csrf_token"))
    );
    let (s, e) = c
        .write(
            "sign-out",
            &approver,
            &[
                ("x-skytale-csrf", &token),
                ("origin", "https://elsewhere.example"),
            ],
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("cross_origin"))
    );

    // After fifteen minutes the session is gone: the sign-in page says so, with no data.
    c.clock
        .fetch_add(SESSION_TTL.whole_seconds(), Ordering::SeqCst);
    let (s, html, h) = c.page("held", Some(&north)).await;
    assert_eq!(s, 401);
    assert!(
        html.contains("the session expired; sign in again"),
        "{html}"
    );
    assert!(!html.contains("Held #"));
    assert!(h[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session() {
    let k = kit::keys();
    let c = console(&k).await;
    let cookie = c.sign_in(&k.authority).await;
    let (s, html, _) = c.page("", Some(&cookie)).await;
    assert_eq!(s, 200);
    assert!(html.contains("Signed in as authority"), "{html}");
    let (s, _) = c
        .write("sign-out", &cookie, &[("x-skytale-csrf", &csrf(&html))])
        .await;
    assert_eq!(s, 204);
    let (s, html, _) = c.page("", Some(&cookie)).await;
    assert_eq!(s, 401, "{html}");
}

/// A `multipart/form-data` body as a browser's `FormData` sends it: each part named, with a
/// file name.
fn form(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----skytale-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_reads_a_csv_in_its_own_layout_with_the_mapping_table_sent_beside_it() {
    let k = kit::keys();
    let c = console(&k).await;
    let north = c.sign_in(&k.north).await;
    let (s, html, _) = c.page("upload", Some(&north)).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"mapping-file\"") && html.contains("Mapping table (optional)"),
        "{html}"
    );
    let token = csrf(&html);
    // A county's statement-of-votes layout: no column has the names Skytale's CSV reader
    // knows, so it is read only with the mapping table.
    let export = "\"Precinct Code\",\"Contest Title\",\"Choice Name\",\"Total Votes\"\r\n\
                  \"N1\",\"Mayor\",\"Alice\",310\r\n\"N1\",\"Mayor\",\"Bob\",205\r\n";
    let mapping = "[csv]\nprecinct = \"Precinct Code\"\noffice = \"Contest Title\"\n\
                   candidate = \"Choice Name\"\nvotes = \"Total Votes\"\n";
    // The preview of a form of `parts`: its status and JSON answer.
    let preview = |parts: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let (kind, body) = form(
            &parts
                .iter()
                .map(|(n, f, b)| (*n, *f, &b[..]))
                .collect::<Vec<_>>(),
        );
        let sent = c
            .http
            .post(c.url("preview"))
            .header(header::COOKIE, &north)
            .header("x-skytale-csrf", &token)
            .header(header::CONTENT_TYPE, kind)
            .body(body)
            .send();
        async move {
            let r = sent.await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    let (s, v) = preview(vec![
        ("file", "sov.csv", export.into()),
        ("mapping", "county.toml", mapping.into()),
    ])
    .await;
    assert_eq!(s, 200, "{v}");
    let statements = v["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{v}");
    let text = statements[0]["text"].as_str().unwrap();
    let st: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(st["unit"], "n1", "{text}");
    assert_eq!(st["version"], 2, "the unit's next version: {text}");
    let counts = &st["contests"][0]["selections"];
    assert_eq!(
        (
            counts["alice"]["total"].as_u64(),
            counts["bob"]["total"].as_u64()
        ),
        (Some(310), Some(205)),
        "{text}"
    );
    assert!(v["html"].as_str().unwrap().contains("sov.csv"), "{v}");

    // Each refusal: the form, then the status, code, field and words the answer must have.
    let file = || ("file", "sov.csv", export.as_bytes().to_vec());
    let table = |bytes: Vec<u8>| ("mapping", "county.toml", bytes);
    let refusals = [
        // The same file without its table: the reader misses its columns.
        (vec![file()], 422, "bad_file", None, ""),
        // A table that is not TOML: named, with the line.
        (
            vec![file(), table(b"[csv\nprecinct = 1\n".to_vec())],
            422,
            "bad_mapping",
            Some("mapping"),
            "mapping table",
        ),
        // Too large a table.
        (
            vec![
                table(vec![b'#'; skytale_server::console::MAX_MAPPING + 1]),
                file(),
            ],
            413,
            "too_large",
            Some("mapping"),
            "",
        ),
        // One file per upload.
        (vec![file(), file()], 400, "bad_form", Some("file"), ""),
        // A part the form does not have.
        (
            vec![file(), ("notes", "x.txt", b"x".to_vec())],
            400,
            "bad_form",
            None,
            "notes",
        ),
        // A form without the file.
        (
            vec![table(mapping.into())],
            400,
            "bad_form",
            Some("file"),
            "",
        ),
    ];
    for (parts, status, code, field, words) in refusals {
        let (s, v) = preview(parts).await;
        let e = &v["error"];
        assert_eq!(
            (s, e["code"].as_str()),
            (status, Some(code)),
            "{words}: {v}"
        );
        if field.is_some() {
            assert_eq!(e["field"].as_str(), field, "{v}");
        }
        assert!(e["message"].as_str().unwrap().contains(words), "{v}");
    }
}
