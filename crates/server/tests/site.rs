//! The public site over real HTTP: pages in two languages, ETag and 304, precompressed gzip and
//! brotli chosen by Accept-Encoding, the security headers, the archive, the language-less entry
//! URL, and a page that shows a new submission by the time its server-sent event arrives.

use std::path::Path;
use std::time::{Duration, Instant};

use skytale_testkit as kit;

mod common;
use common::start;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_with(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = client().get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap()
}

/// GETs `url` until it answers 200 (the site is rendered just after start-up).
async fn wait_ok(url: &str) -> reqwest::Response {
    let t0 = Instant::now();
    loop {
        let r = get_with(url, &[]).await;
        if r.status() == 200 {
            return r;
        }
        assert!(
            r.status() == 503 && t0.elapsed() < Duration::from_secs(30),
            "{url}: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn create(dir: &Path, k: &kit::Keys) {
    let store = skytale_store::Store::open(dir).unwrap();
    let def = kit::definition(k);
    skytale_server::create_election(&store, &kit::head(k, &def)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_headers_caching_compression_and_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();

    // Pages in both languages of the election.
    let en = wait_ok(&format!("{b}/en/test-2026/")).await;
    assert_eq!(header(&en, "content-type"), "text/html; charset=utf-8");
    for h in [
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(!header(&en, h).is_empty(), "missing {h}");
    }
    assert!(header(&en, "content-security-policy").contains("frame-ancestors 'none'"));
    assert!(!header(&en, "content-security-policy").contains("unsafe-inline"));
    assert!(header(&en, "cache-control").contains("max-age=5"));
    assert!(header(&en, "vary").contains("accept-encoding"));
    let etag = header(&en, "etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let en_body = en.bytes().await.unwrap();
    let en_text = String::from_utf8(en_body.to_vec()).unwrap();
    assert!(en_text.contains("<html lang=\"en\""), "{en_text}");
    assert!(en_text.contains("Test election"));

    let fr = wait_ok(&format!("{b}/fr/test-2026/")).await;
    let fr_text = fr.text().await.unwrap();
    assert!(fr_text.contains("<html lang=\"fr\""));
    assert!(fr_text.contains("Élection test"));
    let contest = wait_ok(&format!("{b}/fr/test-2026/mayor/")).await;
    assert!(contest.text().await.unwrap().contains("Maire"));

    // 304 for the ETag the client has.
    let again = get_with(&format!("{b}/en/test-2026/"), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = get_with(
        &format!("{b}/en/test-2026/"),
        &[("if-none-match", "\"nope\"")],
    )
    .await;
    assert_eq!(other.status(), 200);

    // The live results JSON, what every poller reads, is served gzipped from memory too.
    let json_url = format!("{b}/api/v1/elections/test-2026/results");
    let plain = get_with(&json_url, &[]).await;
    assert_eq!(header(&plain, "content-type"), "application/json");
    let plain = plain.bytes().await.unwrap();
    let zipped = get_with(&json_url, &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert!(header(&zipped, "vary").contains("accept-encoding"));
    assert_eq!(gunzip(&zipped.bytes().await.unwrap()), plain.to_vec());

    // gzip and brotli, chosen by Accept-Encoding, decode to the same page.
    let gz = get_with(
        &format!("{b}/en/test-2026/"),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert!(header(&gz, "vary").contains("accept-encoding"));
    let gz_etag = header(&gz, "etag").to_string();
    assert_ne!(gz_etag, etag, "each coding has its own strong ETag");
    let gz_body = gz.bytes().await.unwrap();
    assert!(gz_body.len() < en_body.len());
    assert_eq!(gunzip(&gz_body), en_body.to_vec());
    let br = get_with(
        &format!("{b}/en/test-2026/"),
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(unbrotli(&br.bytes().await.unwrap()), en_body.to_vec());
    let gz304 = get_with(
        &format!("{b}/en/test-2026/"),
        &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)],
    )
    .await;
    assert_eq!(gz304.status(), 304);

    // Assets are immutable; embeds may be framed by other sites, pages may not.
    let css = en_text
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|p| p.starts_with("/assets/")))
        .unwrap()
        .to_string();
    let css = get_with(&format!("{b}{css}"), &[]).await;
    assert_eq!(css.status(), 200);
    assert!(header(&css, "cache-control").contains("immutable"));
    let embed = wait_ok(&format!("{b}/embed/en/test-2026/mayor/")).await;
    assert!(header(&embed, "content-security-policy").contains("frame-ancestors *"));
    assert!(header(&embed, "x-frame-options").is_empty());
    assert_eq!(header(&en_text_page(&b).await, "x-frame-options"), "DENY");
    let feed = wait_ok(&format!("{b}/feeds/test-2026.atom")).await;
    assert!(header(&feed, "content-type").starts_with("application/atom+xml"));
    let og = wait_ok(&format!("{b}/og/test-2026/mayor.svg")).await;
    assert_eq!(header(&og, "content-type"), "image/svg+xml");
    let unit = wait_ok(&format!("{b}/en/test-2026/mayor/north/")).await;
    assert!(unit.text().await.unwrap().contains("North"));

    // The language-less entry URL goes to the reader's language, else the default one.
    let r = get_with(
        &format!("{b}/test-2026/"),
        &[("accept-language", "fr-BE, en;q=0.5")],
    )
    .await;
    assert_eq!(r.status(), 302);
    assert_eq!(header(&r, "location"), "/fr/test-2026/");
    assert!(header(&r, "vary").contains("accept-language"));
    let r = get_with(&format!("{b}/test-2026/"), &[("accept-language", "de")]).await;
    assert_eq!(header(&r, "location"), "/en/test-2026/");

    // The archive lists the election, in the language asked for.
    let home = wait_ok(&format!("{b}/")).await;
    assert!(header(&home, "vary").contains("accept-language"));
    let home = home.text().await.unwrap();
    assert!(home.contains("href=\"/en/test-2026/\""), "{home}");
    let home_el = get_with(&format!("{b}/"), &[("accept-language", "el")]).await;
    assert!(home_el.text().await.unwrap().contains("<html lang=\"el\""));
    let home_de = wait_ok(&format!("{b}/de/")).await;
    assert!(home_de.text().await.unwrap().contains("<html lang=\"de\""));

    // Unknown paths are still JSON 404s; the JSON API is untouched.
    assert_eq!(
        get_with(&format!("{b}/en/test-2026/nope/"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(get_with(&format!("{b}/xx/yy/zz"), &[]).await.status(), 404);
    let results = get_with(&format!("{b}/api/v1/elections/test-2026/results"), &[]).await;
    assert_eq!(results.status(), 200);
    assert_eq!(header(&results, "content-type"), "application/json");
    let cp = get_with(&format!("{b}/log/test-2026/checkpoint"), &[]).await;
    assert_eq!(cp.status(), 200);
    srv.shutdown().await;
}

async fn en_text_page(b: &str) -> reqwest::Response {
    get_with(&format!("{b}/en/test-2026/mayor/"), &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_shows_a_new_submission_by_the_time_its_event_arrives() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    create(tmp.path(), &k);
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let page = format!("{b}/en/test-2026/mayor/");
    let before = wait_ok(&page).await;
    let etag = header(&before, "etag").to_string();
    let before = before.text().await.unwrap();
    assert!(!before.contains(">987<"), "{before}");

    let mut events = client()
        .get(format!("{b}/api/v1/elections/test-2026/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let note = kit::sign(
        &k.north,
        &kit::results_json("n1", 1, &kit::mayor(987, 5, 995)),
    );
    let r = client()
        .post(format!("{b}/api/v1/elections/test-2026/submissions"))
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut seen = String::new();
    let t0 = Instant::now();
    while !seen.contains("event: publication") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
            .await
            .expect("a publication event within 10 s")
            .unwrap()
            .expect("the event stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        assert!(t0.elapsed() < Duration::from_secs(10));
    }
    // The event is sent after the pages are swapped in: no polling needed.
    let after = get_with(&page, &[]).await;
    assert_ne!(header(&after, "etag"), etag);
    let after = after.text().await.unwrap();
    assert!(after.contains(">987<"), "{after}");
    // The old ETag no longer matches.
    let r = get_with(&page, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status(), 200);
    // Graceful shutdown waits for open streams.
    drop(events);
    srv.shutdown().await;
}

/// The shallow pages are rendered before the listener accepts: on an election whose full
/// render takes a while (hundreds of polling stations × contests × languages), the overview,
/// contest pages and first level of areas answer 200 to the very first request, and a deeper
/// page answers 503 (never 404) until the site thread has rendered it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_pages_answer_200_right_after_start() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        let def = kit::large_definition(&k, 400);
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    for p in [
        "/en/test-2026/",
        "/fr/test-2026/mayor/",
        "/en/test-2026/mayor/north/",
        "/feeds/test-2026.atom",
        "/og/test-2026/mayor.png",
    ] {
        let r = get_with(&format!("{b}{p}"), &[]).await;
        assert_eq!(r.status(), 200, "{p} right after start");
    }
    let png = get_with(&format!("{b}/og/test-2026/mayor.png"), &[]).await;
    assert_eq!(header(&png, "content-type"), "image/png");
    assert!(header(&png, "cache-control").contains("max-age"));
    let deep = format!("{b}/en/test-2026/mayor/x000399/");
    let first = get_with(&deep, &[]).await.status();
    assert!(first == 200 || first == 503, "{first}");
    wait_ok(&deep).await;
    srv.shutdown().await;
}

/// Search without JavaScript at any size: above the index's 3,000 places the index page lists
/// only the places with places below them (and says so), and the server answers `?q=` itself
/// with every place that matches, a polling station found by its name (accents and case aside)
/// with a link to its ballot page, naming the snapshot it was answered from. An empty query is
/// the index page; an over-long one a 400 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_finds_a_polling_station_by_name_in_a_large_election() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        let def = kit::large_definition(&k, 3_000);
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let srv = start(tmp.path()).await;
    let b = srv.base.clone();
    let index_url = format!("{b}/fr/test-2026/search/");
    let index = wait_ok(&index_url).await;
    let snapshot = header(&index, "skytale-snapshot").to_string();
    assert!(!snapshot.is_empty());
    let index = index.text().await.unwrap();
    assert!(
        !index.contains("/ballot/x001234/"),
        "the index lists no station"
    );
    assert!(index.contains("Seuls les lieux qui en contiennent d’autres sont listés ici."));

    // "Bureau n° 1234 — Évry", typed without its accent and in capitals.
    let r = get_with(
        &format!("{index_url}?q=BUREAU+n%C2%B0+1234+%E2%80%94+evry"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "skytale-snapshot"), snapshot);
    assert!(header(&r, "cache-control").contains("max-age=5"));
    assert!(header(&r, "content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header(&r, "x-frame-options"), "DENY");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"/fr/test-2026/ballot/x001234/\""),
        "{html}"
    );
    assert!(html.contains("value=\"BUREAU n° 1234 — evry\""));
    // The link leads to the station's ballot page.
    wait_ok(&format!("{b}/fr/test-2026/ballot/x001234/")).await;

    // Compressed like any page, and HEAD answers without a body.
    let br = get_with(
        &format!("{index_url}?q=x001234"),
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(header(&br, "content-encoding"), "br");
    let html = String::from_utf8(unbrotli(&br.bytes().await.unwrap())).unwrap();
    assert!(html.contains("/ballot/x001234/"));
    let head = client()
        .head(format!("{index_url}?q=x001234"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.bytes().await.unwrap().is_empty());

    // No query: the index page itself.
    let empty = get_with(&format!("{index_url}?q=+"), &[]).await;
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.text().await.unwrap(), index);

    // Too long: a page that says so, 400.
    let long = "a".repeat(skytale_render::MAX_QUERY_BYTES + 1);
    let r = get_with(&format!("{index_url}?q={long}"), &[]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "skytale-snapshot"), snapshot);
    assert!(!header(&r, "content-security-policy").is_empty());
    let html = r.text().await.unwrap();
    assert!(html.contains("Le texte recherché est trop long."), "{html}");
    srv.shutdown().await;
}
