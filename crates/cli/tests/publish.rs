//! `skytale publish` writes the bytes the server sends: a server runs in-process, results come
//! in over HTTP, the election is published to a directory, every file is compared with what
//! the server answers for its URL (and its .gz sibling with the server's gzip body), and
//! `skytale verify` checks the published directory. Publishing again replaces it whole.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skytale_testkit as kit;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The URL path a published file answers for (the inverse of publish's layout).
fn url_of(rel: &str) -> String {
    if let Some(dir) = rel.strip_suffix("index.json") {
        return format!("/{}", dir.trim_end_matches('/'));
    }
    if let Some(dir) = rel.strip_suffix("index.html") {
        return format!("/{dir}");
    }
    format!("/{rel}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_files_are_the_served_bytes_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &kit::definition(&k))).unwrap();
    }
    let state = skytale_server::AppState::open(&data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(skytale_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (key, unit, a, b) in [
        (&k.north, "n1", 300, 200),
        (&k.north, "n2", 250, 250),
        (&k.south, "s1", 100, 400),
    ] {
        let note = kit::sign(
            key,
            &kit::results_json(unit, 1, &kit::mayor(a, b, a + b + 5)),
        );
        let r = http
            .post(format!("{base}/api/v1/elections/test-2026/submissions"))
            .body(note)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // Wait until the server's site shows size 4.
    let rt = state.election("test-2026").unwrap();
    let t0 = Instant::now();
    while rt.site.current().pos.as_ref().map(|p| p.tree_size) != Some(4) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "site never reached size 4"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let out = tmp.path().join("site");
    let r = skytale::publish::publish(&data, "test-2026", &out)
        .await
        .unwrap();
    assert_eq!(r.tree_size, 4);
    let all = files(&out);
    let rels: HashSet<String> = all
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .collect();
    for must in [
        "index.html",
        "en/index.html",
        "el/index.html",
        "en/test-2026/index.html",
        "en/test-2026/index.html.gz",
        "en/test-2026/index.html.br",
        "fr/test-2026/mayor/index.html",
        "fr/test-2026/mayor/north/index.html",
        "embed/en/test-2026/mayor/index.html",
        "og/test-2026/mayor.svg",
        "feeds/test-2026.atom",
        "api/v1/elections/index.json",
        "api/v1/elections/test-2026/index.json",
        "api/v1/elections/test-2026/results/index.json",
        "api/v1/elections/test-2026/results/index.json.gz",
        "api/v1/elections/test-2026/results/mayor",
        "api/v1/elections/test-2026/results/mayor.csv",
        "api/v1/elections/test-2026/cdf.json",
        "api/v1/elections/test-2026/cdf.xml",
        "api/v1/elections/test-2026/cdf.google.xml",
        "api/v1/elections/test-2026/eml.510.xml",
        "api/v1/elections/test-2026/eml.520.xml",
        "log/test-2026/checkpoint",
        "log/test-2026/tile/0/000.p/4",
        "log/test-2026/tile/entries/000.p/4",
        "test-2026/index.html",
    ] {
        assert!(rels.contains(must), "{must} not published; got {rels:?}");
    }
    assert!(rels
        .iter()
        .any(|r| r.starts_with("assets/site.") && r.ends_with(".css")));

    // Every file is the server's answer for its URL, byte for byte.
    let mut compared = 0;
    for p in &all {
        let rel = p.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        if rel == "test-2026/index.html" {
            continue; // the server negotiates the language here (302); see below
        }
        let (rel, coding) = match rel.rsplit_once('.') {
            Some((stem, "gz")) => (stem.to_string(), Some("gzip")),
            Some((stem, "br")) => (stem.to_string(), Some("br")),
            _ => (rel.clone(), None),
        };
        let url = url_of(&rel);
        let mut req = http.get(format!("{base}{url}"));
        if let Some(c) = coding {
            req = req.header("accept-encoding", c);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        let served_coding = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let served = resp.bytes().await.unwrap();
        let file = std::fs::read(p).unwrap();
        if coding.is_some() && served_coding.as_deref() != coding {
            // The server sends this one uncompressed; the sibling is publish's own.
            continue;
        }
        assert!(
            served[..] == file[..],
            "{} differs from GET {url}",
            p.display()
        );
        compared += 1;
    }
    assert!(compared > 100, "only {compared} files compared");

    // The language-less entry page sends readers to the default language.
    let entry = std::fs::read_to_string(out.join("test-2026/index.html")).unwrap();
    assert!(entry.contains("url=/en/test-2026/"), "{entry}");

    // verify reads the published directory and recomputes everything.
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(report.ok, "{}", report.to_text());
    assert_eq!(report.tree_size, Some(4));

    // Publishing again after more results replaces the directory whole.
    let note = kit::sign(
        &k.south,
        &kit::results_json("s2", 1, &kit::mayor(90, 310, 405)),
    );
    let r = http
        .post(format!("{base}/api/v1/elections/test-2026/submissions"))
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = skytale::publish::publish(&data, "test-2026", &out)
        .await
        .unwrap();
    assert_eq!(r.tree_size, 5);
    assert!(out.join("log/test-2026/tile/0/000.p/5").is_file());
    assert!(!out.join("log/test-2026/tile/0/000.p/4").exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(report.ok, "{}", report.to_text());
    assert_eq!(report.tree_size, Some(5));
    assert!(
        // 81 pages, embeds, cards and feeds, and the screens of the nation and its two regions
        // in English and French; the search index and a ballot page for each of the 7 units
        // in both.
        report.to_text().contains("103 site files")
            && report.to_text().contains("recomputed at snapshot 5"),
        "{}",
        report.to_text()
    );

    // A number changed on a page (S2's 310 votes for Bob, on South's page) is caught.
    let page = out.join("en/test-2026/mayor/south/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let forged = html.replacen("310", "311", 1);
    assert_ne!(forged, html, "the page shows S2's count");
    std::fs::write(&page, forged).unwrap();
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(!report.ok);
    assert!(
        report.failures().any(|f| f.what == "page_mismatch"
            && f.location.contains("mayor/south/index.html")
            && f.why.contains("311")),
        "{}",
        report.to_text()
    );
    std::fs::write(&page, html).unwrap();

    // The deepest page of the directory (a polling station's), and then only the gzip
    // sibling that nginx's gzip_static sends of another page: each edit is caught, named.
    let deepest = out.join("en/test-2026/mayor/s2/index.html");
    let html = std::fs::read_to_string(&deepest).unwrap();
    let forged = html.replacen(">310<", ">311<", 1);
    assert_ne!(forged, html, "the station page shows S2's count");
    std::fs::write(&deepest, forged).unwrap();
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(
        report
            .failures()
            .any(|f| f.what == "page_mismatch" && f.location.contains("mayor/s2/index.html line")),
        "{}",
        report.to_text()
    );
    std::fs::write(&deepest, html).unwrap();
    let gz = out.join("en/test-2026/mayor/south/index.html.gz");
    let orig = std::fs::read(&gz).unwrap();
    let body =
        String::from_utf8(skytale_verify::source::Coding::Gzip.decode(&orig).unwrap()).unwrap();
    let forged = body.replacen("310", "311", 1);
    assert_ne!(forged, body, "the page shows S2's count");
    std::fs::write(&gz, skytale_render::gzip(forged.as_bytes())).unwrap();
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(
        report.failures().any(|f| f.what == "page_mismatch"
            && f.location.contains("mayor/south/index.html.gz line")
            && f.why.contains("311")),
        "{}",
        report.to_text()
    );
    assert_eq!(report.failures().count(), 1, "{}", report.to_text());

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
