//! Accessibility (axe-core, WCAG 2.1 A/AA), CSP and layout checks of each page type in headless
//! Chromium, with screenshots at phone and desktop widths written to `artifacts/screenshots/`
//! (git-ignored) for review. This test FAILS when node, Chromium or the npm packages are
//! missing; CI installs them with:
//!
//! ```sh
//! apt-get update && apt-get install -y chromium nodejs npm
//! (cd crates/render/tests/browser && npm ci || npm install)
//! ```

mod common;
#[path = "../../cli/src/synthetic_state.rs"]
#[allow(dead_code)]
mod synthetic_state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use skytale_render::{
    render_archive, security_headers, ArchiveEntry, PublicationRecord, Rendered, Site,
};

fn file_for(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        format!("{p}index.html")
    } else if p.starts_with("api/") && !p.rsplit('/').next().unwrap_or("").contains('.') {
        // `/api/v1/elections/demo/results` is both a document and the parent of
        // `/api/v1/elections/demo/results/<contest>`: a static layout needs an index file.
        format!("{p}/index.json")
    } else {
        p.to_string()
    }
}

fn write_site(dir: &Path, files: &BTreeMap<String, Rendered>) {
    let mut manifest = serde_json::Map::new();
    for (path, r) in files {
        let file = file_for(path);
        let full = dir.join(&file);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, &r.body).unwrap();
        manifest.insert(
            path.clone(),
            serde_json::json!({ "file": file, "content_type": r.content_type, "headers": security_headers(path) }),
        );
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn pages_pass_axe_and_csp_in_headless_chromium() {
    let browser_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: apt-get install -y chromium"
    );
    assert!(
        Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "node not found: apt-get install -y nodejs npm"
    );
    assert!(
        browser_dir.join("node_modules/axe-core").exists()
            && browser_dir.join("node_modules/playwright-core").exists(),
        "npm packages missing: (cd crates/render/tests/browser && npm install)"
    );

    let def = common::definition();
    let site = Site::new(def.clone())
        .unwrap()
        .with_boundaries(&common::boundaries())
        .unwrap()
        .with_precompression(false);
    let t1 = common::tally(&def, 5);
    let h1 = PublicationRecord::from_document(&t1.document(&common::pos(6)));
    let mut files = site.render_all(&common::tally(&def, 7), &common::pos(8), &[h1]);
    let entry = ArchiveEntry::from_definition(&def, Some("unofficial"));
    files.insert(
        "/en/".into(),
        render_archive(std::slice::from_ref(&entry), "en"),
    );
    files.insert(
        "/el/".into(),
        render_archive(std::slice::from_ref(&entry), "el"),
    );
    // The parliament elected as a multi-constituency system with levelling seats (a seat
    // table per constituency), served beside the others.
    let sysdef = common::system_definition();
    let sys_site = Site::new(sysdef.clone())
        .unwrap()
        .with_precompression(false);
    let mut sys_files = sys_site.render_all(&common::tally(&sysdef, 8), &common::pos(9), &[]);
    if let Some(p) = sys_files.remove("/en/demo/parliament/") {
        files.insert("/en/demo/parliament-levelling/".into(), p);
    }
    // A ranked-choice contest's page (rounds table, chart, transfers), served beside them.
    files.insert("/fr/demo/ranked/".into(), ranked_page("fr"));
    // The demo's larger ballot (grouped overview, search index, ballot pages, maps), whole:
    // every one of its pages is checked for sideways scrolling at phone width.
    let state = state_site();
    let mut every_page: Vec<&String> = state
        .iter()
        .filter(|(p, r)| r.content_type.starts_with("text/html") && !p.starts_with("/embed/"))
        .map(|(p, _)| p)
        .collect();
    every_page.sort();
    let list = every_page
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    files.extend(state.clone());
    let tmp = tempfile::tempdir().unwrap();
    write_site(tmp.path(), &files);
    std::fs::write(tmp.path().join("overflow-list.txt"), list).unwrap();
    // The next publication of one page, served after the test's "publish" (live update).
    let next = site.render_all(&common::tally(&def, 8), &common::pos(9), &[]);
    let live = "/en/demo/president/";
    std::fs::write(tmp.path().join("next.html"), &next[live].body).unwrap();
    let manifest_path = tmp.path().join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest[live]["next"] = serde_json::json!("next.html");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();

    let artifacts = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../artifacts/screenshots"
    ));
    let pages = [
        "/en/",
        "/en/demo/",
        "/el/demo/",
        "/en/demo/president/",
        "/mt/demo/parliament/",
        "/en/demo/parliament-levelling/",
        "/fr/demo/ranked/",
        "/en/demo/referendum/r2/",
        "/el/demo/president/r2-c2/",
        "/en/demo/president/r2-c2-ps2/",
        "/en/demo/verify/",
        "/embed/en/demo/president/",
        "/embed/el/demo/parliament/r1/",
        "/embed/en/demo/parliament/",
        "/embed/en/demo/screen/",
        "/embed/el/demo/screen/r1/",
        "/en/demo-state/",
        "/en/demo-state/search/",
        "/en/demo-state/ballot/ashford/",
        "/en/demo-state/governor/",
        "/en/demo-state/governor/ashford/",
        "/en/demo-state/ashford-commission/",
        "/en/demo-state/us-president/ashford-p3/",
    ];
    let out = Command::new("node")
        .arg(browser_dir.join("run.mjs"))
        .arg(tmp.path())
        .arg(&artifacts)
        .args(pages)
        .env("CHROMIUM", &chromium)
        .env("OVERFLOW_LIST", tmp.path().join("overflow-list.txt"))
        .env("MAP_PAGE", "/en/demo-state/governor/")
        .env("LIVE_PAGE", live)
        .env("LIVE_EXPECT", "8 of 8 units reporting")
        .env("SCREEN_PAGE", "/embed/en/demo/screen/")
        .env("WIDGET_PAGE", "/embed/en/demo/parliament/")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // What the checks covered (how many pages of the larger demo were checked at 360 px).
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
}

/// Every file of the demo's larger ballot, with its generated maps.
fn state_site() -> BTreeMap<String, Rendered> {
    use skytale_note::SigningKey;
    let key = |n: u8| SigningKey::from_seed(&format!("state-{n}"), [n; 32]).unwrap();
    let reporters: Vec<_> = (1..=12).map(|n| key(n).verifier()).collect();
    let def = std::sync::Arc::new(
        synthetic_state::definition("demo-state", key(0).verifier(), &reporters)
            .validate()
            .unwrap(),
    );
    let mut t = skytale_tally::Tally::new(def.clone());
    for (p, _) in synthetic_state::precincts() {
        if let Some(r) =
            synthetic_state::precinct_results(def.definition(), &p, 1, "2026-11-04T02:00:00Z")
        {
            t.apply(&r);
        }
    }
    Site::new(def)
        .unwrap()
        .with_boundaries(&synthetic_state::boundaries_geojson())
        .unwrap()
        .with_precompression(false)
        .render_all(&t, &common::pos(36), &[])
}

/// The contest page of the test kit's ranked-choice contest with a complete CVR counted.
fn ranked_page(lang: &str) -> Rendered {
    use skytale_model::cvr::{batch_cvr_within, BallotPattern, CvrHeader};
    let def = std::sync::Arc::new(
        skytale_testkit::rcv_definition(&skytale_testkit::keys())
            .validate()
            .unwrap(),
    );
    let mut t = skytale_tally::Tally::new(def.clone());
    let header = CvrHeader {
        election: "test-2026".into(),
        contest: "rcv-mayor".into(),
        unit: "nation".into(),
        version: 1,
        submitted_at: "2026-11-25T21:00:00Z".into(),
        reason: None,
        source: skytale_model::SourceFile {
            format: "genericCsv".into(),
            sha256: "a".repeat(64),
            name: None,
        },
    };
    let p = |count, ranks: &[&str]| BallotPattern {
        count,
        ranks: ranks.iter().map(|s| s.to_string()).collect(),
    };
    let ballots = vec![
        p(5, &["ann", "ben"]),
        p(4, &["ben"]),
        p(3, &["cat", "ben"]),
        p(1, &["uwi"]),
    ];
    for b in batch_cvr_within(&header, ballots, 60_000) {
        t.apply_cvr(&b);
    }
    let site = Site::new(def).unwrap().with_precompression(false);
    let mut all = site.render_all(&t, &common::pos(3), &[]);
    all.remove(&format!("/{lang}/test-2026/rcv-mayor/"))
        .unwrap()
}
