//! The rendered site on a synthetic election: page set, determinism, incremental re-rendering
//! equal to a full render, escaping, CSP-safe HTML, language fallback, maps, sizes and
//! precompression, plus snapshots of each page type.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use proptest::prelude::*;
use skytale_render::{
    negotiate_language, render_archive, security_headers, ArchiveEntry, CacheClass,
    PublicationRecord, RenderState, Rendered, Site,
};

fn site() -> Site {
    Site::new(common::definition())
        .unwrap()
        .with_boundaries(&common::boundaries())
        .unwrap()
}

fn text(r: &Rendered) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

fn render(n: usize, size: u64) -> BTreeMap<String, Rendered> {
    let def = common::definition();
    site().render_all(&common::tally(&def, n), &common::pos(size), &[])
}

#[test]
fn the_page_set_is_complete() {
    let all = render(5, 7);
    for p in [
        "/en/demo/",
        "/el/demo/",
        "/mt/demo/",
        "/en/demo/verify/",
        "/en/demo/president/",
        "/en/demo/president/r1/",
        "/en/demo/president/r1-c2/",
        "/en/demo/president/r2-c2-ps2/",
        "/el/demo/parliament/r2/",
        "/embed/en/demo/president/",
        "/embed/mt/demo/referendum/r1-c1-ps1/",
        "/og/demo/president.svg",
        "/feeds/demo.atom",
        "/api/v1/elections/demo/results",
        "/api/v1/elections/demo/results/president",
        "/api/v1/elections/demo/results/president.csv",
        "/embed/en/demo/screen/",
        "/embed/el/demo/screen/r2-c1/",
    ] {
        assert!(all.contains_key(p), "missing {p}");
    }
    // The single area root is the contest page itself.
    assert!(!all.contains_key("/en/demo/president/nation/"));
    // 3 languages × 3 contests × (1 contest page + 14 units) × (page + embed), + 2 × 3 election
    // pages, + feed, whole JSON, 3 × (JSON + CSV + OG SVG + OG PNG), + 2 assets, + 3 languages
    // × 7 screens (the nation, 2 regions, 4 counties: every area with areas below it), + 3
    // languages × (the search index + 15 ballot pages, one per unit).
    assert_eq!(
        all.len(),
        3 * 3 * 15 * 2 + 6 + 2 + 12 + 2 + 3 * 7 + 3 * (1 + 15)
    );
    assert!(all.contains_key("/en/demo/search/"));
    assert!(all.contains_key("/el/demo/ballot/r2-c1-ps1/"));
    assert!(
        !all.contains_key("/embed/en/demo/screen/r2-c1-ps1/"),
        "stations have no screen"
    );
    let assets: Vec<_> = all
        .iter()
        .filter(|(_, r)| r.cache == CacheClass::Immutable)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(assets.len(), 2);
    assert!(assets.iter().all(|a| a.starts_with("/assets/")));
    assert_eq!(all["/en/demo/"].content_type, "text/html; charset=utf-8");
    assert_eq!(all["/og/demo/president.svg"].content_type, "image/svg+xml");
}

/// The server renders its own feeds; without them the site is the same pages, byte for byte,
/// and nothing under `/api/`.
#[test]
fn without_feeds_the_pages_are_unchanged() {
    let def = common::definition();
    let with = render(5, 7);
    let without =
        site()
            .with_feeds(false)
            .render_all(&common::tally(&def, 5), &common::pos(7), &[]);
    assert!(with.keys().any(|p| p.starts_with("/api/")));
    assert!(!without.keys().any(|p| p.starts_with("/api/")));
    let pages: Vec<&String> = with.keys().filter(|p| !p.starts_with("/api/")).collect();
    assert_eq!(pages, without.keys().collect::<Vec<_>>());
    for p in pages {
        assert_eq!(with[p].body, without[p].body, "{p} differs without feeds");
    }
}

/// A national election's deep pages (counties and polling stations: millions of pages in all)
/// are left out of the bulk render and made one unit at a time on demand, byte for byte the
/// pages a bulk render makes; together they are exactly the bulk render's pages.
#[test]
fn deep_pages_on_demand_are_the_bulk_pages_byte_for_byte() {
    let def = common::definition();
    let tally = common::tally(&def, 5);
    let history = [PublicationRecord {
        tree_size: 4,
        root_hash: "ab".repeat(32),
        published_at: Some("2026-11-25T21:00:00Z".into()),
        totals: BTreeMap::new(),
    }];
    let bulk = site().render_all(&tally, &common::pos(7), &history);
    let lazy = site().with_pages_on_demand(true);
    assert!(lazy.pages_on_demand() && !site().pages_on_demand());
    let mut all = lazy.render_all(&tally, &common::pos(7), &history);
    for p in ["/en/demo/", "/en/demo/president/", "/en/demo/president/r1/"] {
        assert!(
            all.contains_key(p),
            "{p} is rendered with every publication"
        );
    }
    for p in [
        "/en/demo/president/r1-c2/",
        "/en/demo/president/r2-c2-ps2/",
        "/embed/mt/demo/referendum/r1-c1-ps1/",
        "/embed/el/demo/screen/r2-c1/",
    ] {
        assert!(!all.contains_key(p), "{p} is made on demand");
    }
    let units = lazy.on_demand_units();
    assert!(!units.is_empty());
    for &u in &units {
        for (path, page) in lazy.render_unit(&tally, &common::pos(7), &history, u, None) {
            let want = bulk
                .get(&path)
                .unwrap_or_else(|| panic!("{path} is no page"));
            assert_eq!(page.body, want.body, "{path} on demand differs");
            assert!(all.insert(path.clone(), page).is_none(), "{path} twice");
        }
    }
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        bulk.keys().collect::<Vec<_>>()
    );
    // Asked in one language, only that language's pages are made.
    let ps = def.unit_index("r2-c2-ps2").unwrap();
    let el = lazy.render_unit(&tally, &common::pos(7), &history, ps, Some("el"));
    assert!(
        !el.is_empty() && el.keys().all(|p| p.contains("/el/")),
        "{el:?}"
    );
    // The pages of a unit are found from their paths.
    assert_eq!(
        lazy.on_demand_page("/en/demo/president/r2-c2-ps2/"),
        Some((ps, "en".to_string()))
    );
    assert_eq!(
        lazy.on_demand_page("/embed/el/demo/screen/r2-c1/"),
        Some((def.unit_index("r2-c1").unwrap(), "el".to_string()))
    );
    for not in [
        "/en/demo/president/r1/",
        "/en/other/president/r2-c2-ps2/",
        "/xx/demo/president/r2-c2-ps2/",
        "/en/demo/president/nowhere/",
        "/en/demo/president/r2-c2-ps2",
    ] {
        assert_eq!(lazy.on_demand_page(not), None, "{not}");
    }
    assert_eq!(site().on_demand_page("/en/demo/president/r2-c2-ps2/"), None);
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render(5, 7), render(5, 7));
}

#[test]
fn render_changed_renders_only_what_changed_and_agrees_with_render_all() {
    let def = common::definition();
    let site = site();
    let mut state = RenderState::new();
    let t1 = common::tally(&def, 3);
    let first = site.render_changed(&t1, &common::pos(4), &[], &mut state);
    let h1 = PublicationRecord::from_document(&t1.document(&common::pos(4)));
    // Station 4 (index 3, r1-c2-ps2) reports: its own pages, its county, region and the
    // contest level change; region 2's pages do not.
    let t2 = common::tally(&def, 4);
    let changed = site.render_changed(&t2, &common::pos(5), std::slice::from_ref(&h1), &mut state);
    let full = site.render_all(&t2, &common::pos(5), std::slice::from_ref(&h1));
    for (path, r) in &changed {
        assert_eq!(Some(r), full.get(path), "{path} differs from a full render");
    }
    for (path, r) in &full {
        if !changed.contains_key(path) && !path.starts_with("/assets/") {
            assert_eq!(
                Some(r),
                first.get(path),
                "{path} was not re-rendered but changed"
            );
        }
    }
    for p in [
        "/en/demo/",
        "/en/demo/president/",
        "/en/demo/president/r1/",
        "/en/demo/president/r1-c2/",
        "/en/demo/president/r1-c2-ps2/",
    ] {
        assert!(changed.contains_key(p), "{p} should have changed");
    }
    for p in [
        "/en/demo/president/r2/",
        "/en/demo/president/r1-c1/",
        "/en/demo/president/r1-c2-ps1/",
        "/embed/el/demo/parliament/r2-c1/",
    ] {
        assert!(!changed.contains_key(p), "{p} should not have changed");
    }
    assert!(
        changed.len() < full.len() / 2,
        "{} of {} re-rendered",
        changed.len(),
        full.len()
    );
    // Nothing changes: only the always-fresh files (tree size shown) are re-rendered.
    let again = site.render_changed(&t2, &common::pos(6), std::slice::from_ref(&h1), &mut state);
    assert!(
        again.keys().all(|k| !k.contains("/president/r")),
        "{:?}",
        again.keys().collect::<Vec<_>>()
    );
}

/// A station's corrected report that moves votes between count types and leaves every total
/// as it was still re-renders its pages, which show the votes by count type.
#[test]
fn votes_moved_between_count_types_re_render_the_places_pages() {
    use skytale_model::{ByType, Count, CountType};
    let def = common::definition();
    let site = site();
    let mut state = RenderState::new();
    let mut t = common::tally(&def, 5);
    site.render_changed(&t, &common::pos(6), &[], &mut state);
    let mut fixed = common::station(&def, 0, 2);
    let first = common::station(&def, 0, 1);
    fixed.contests = first.contests.clone();
    for c in &mut fixed.contests {
        for by in c.selections.values_mut() {
            let all: u64 = by.iter().map(|(_, n)| n.get()).sum();
            *by = ByType::from_iter([
                (CountType::ElectionDay, Count::new(all - 1)),
                (CountType::Mail, Count::new(1)),
            ]);
        }
    }
    t.apply(&fixed);
    let changed = site.render_changed(&t, &common::pos(7), &[], &mut state);
    let full = site.render_all(&t, &common::pos(7), &[]);
    for p in ["/en/demo/president/r1-c1-ps1/", "/en/demo/president/r1-c1/"] {
        assert!(changed.contains_key(p), "{p} shows the moved votes");
        assert_eq!(changed[p], full[p]);
        assert!(text(&full[p]).contains("<td data-label=\"By mail\">"));
    }
}

#[test]
fn html_is_safe_under_a_strict_csp_and_escapes_names() {
    let all = render(8, 9);
    for (path, r) in &all {
        if !r.content_type.starts_with("text/html") {
            continue;
        }
        let h = text(r);
        assert!(!h.contains(" style="), "{path} has a style attribute");
        assert!(!h.contains("<style"), "{path} has a style element");
        for (i, _) in h.match_indices("<script") {
            let tag = &h[i..i + h[i..].find('>').unwrap()];
            assert!(
                tag.contains(" src=\"/assets/live."),
                "{path} has an inline script: {tag}"
            );
        }
        for (i, _) in h.match_indices(" on") {
            let rest = &h[i + 3..];
            let name_len = rest.chars().take_while(|c| c.is_ascii_lowercase()).count();
            assert!(
                !(name_len > 0 && rest[name_len..].starts_with('=')),
                "{path} has an event handler attribute"
            );
        }
        assert!(!h.contains("<Friends>"), "{path} did not escape a name");
    }
    assert!(text(&all["/en/demo/parliament/"]).contains("Greens &amp; &lt;Friends&gt;"));
}

#[test]
fn names_come_in_the_page_language_with_fallback_to_the_default() {
    let all = render(8, 9);
    let el = text(&all["/el/demo/president/r1/"]);
    assert!(
        el.contains("Περιφέρεια 1") && el.contains("Μαρία Ανδρέου") && el.contains("lang=\"el\"")
    );
    let mt = text(&all["/mt/demo/president/r1/"]);
    // Counties have no Maltese name: English is used; the UI is Maltese.
    assert!(mt.contains("County 1.1") && mt.contains("Riżultati mhux uffiċjali"));
    // Locale numbers: Greek groups with '.', English with ','.
    assert!(text(&all["/en/demo/president/"]).contains("of 8 units reporting"));
}

#[test]
fn contest_page_has_chart_table_seats_change_map_and_drilldown() {
    let def = common::definition();
    let site = site();
    let t1 = common::tally(&def, 6);
    let h1 = PublicationRecord::from_document(&t1.document(&common::pos(7)));
    let all = site.render_all(&common::tally(&def, 8), &common::pos(9), &[h1]);
    let p = text(&all["/en/demo/parliament/"]);
    assert!(p.contains("<th scope=\"col\">Seats</th>"));
    assert!(p.contains("<th scope=\"col\" class=\"change\">Change since last publication</th>"));
    assert!(p.contains("<ul class=\"chart\">"));
    assert!(p.contains("<section class=\"map\""), "map missing");
    assert!(p.contains("href=\"/en/demo/parliament/r2/\""));
    assert!(p.contains("href=\"/en/demo/verify/\""));
    // Drill-down to the polling station, with breadcrumbs.
    let ps = text(&all["/en/demo/parliament/r2-c1-ps2/"]);
    assert!(ps.contains("<li><a href=\"/en/demo/parliament/r2-c1/\">County 2.1</a></li><li aria-current=\"page\">Polling station 2.1.2</li>"));
    // Seats add up to the contest's seats.
    let doc = common::tally(&def, 8).document(&common::pos(9));
    let seats: u32 = doc.contests[2].seats.as_ref().unwrap().values().sum();
    assert_eq!(seats, 10);
}

/// A tie for the last seat is said on the page with the rule that broke it (never silently):
/// D'Hondt, 10 seats, Blue 300, Red 300, Green 100 ties Blue and Red at 60 for the 10th seat;
/// equal votes, so list order gives it to Blue.
#[test]
fn a_broken_tie_is_said_on_the_contest_page() {
    let def = common::definition();
    let mut st = common::station(&def, 0, 1);
    let pl = st
        .contests
        .iter_mut()
        .find(|c| c.contest == "parliament")
        .unwrap();
    for (sel, v) in [("list-blue", 300), ("list-red", 300), ("list-green", 100)] {
        pl.selections.insert(
            sel.to_string(),
            skytale_model::ByType::from_iter([(
                skytale_model::CountType::Total,
                skytale_model::Count::new(v),
            )]),
        );
    }
    let mut t = skytale_tally::Tally::new(def.clone());
    t.apply(&st);
    let all = site().render_all(&t, &common::pos(2), &[]);
    let p = text(&all["/en/demo/parliament/"]);
    assert!(
        p.contains("<p>A tie between Blue Alliance, Red Front was broken in favour of Blue Alliance by list order.</p>"),
        "{p}"
    );
    assert!(p.contains("The last seat went to Blue Alliance (quotient 60.00)."));
    let el = text(&all["/el/demo/parliament/"]);
    assert!(el.contains("κρίθηκε με τη σειρά των ψηφοδελτίων"), "{el}");
}

/// The contest page of a party list shows a hemicycle of every seat, its text equivalent
/// (every party with seats, by name), the last seat won with its quotient and what the party
/// that missed the next seat lacked, from the tally's allocation; unit pages show none of it.
#[test]
fn contest_page_has_hemicycle_and_last_seat_sentence() {
    let def = common::definition();
    let t = common::tally(&def, 8);
    let doc = t.contest_document("parliament", &common::pos(9)).unwrap();
    let a = doc.contests[0]
        .seat_allocation
        .as_ref()
        .and_then(|s| s.allocation.as_ref())
        .unwrap();
    let all = site().render_all(&t, &common::pos(9), &[]);
    let p = text(&all["/en/demo/parliament/"]);
    let sec = &p[p.find("id=\"seats-h\"").expect("seats section")..];
    let sec = &sec[..sec.find("</section>").unwrap()];
    assert_eq!(sec.matches("<circle").count(), 10, "one circle per seat");
    assert!(
        sec.contains("aria-hidden=\"true\""),
        "the chart is decorative"
    );
    let names = [
        ("list-blue", "Blue Alliance"),
        ("list-red", "Red Front"),
        ("list-green", "Greens &amp; &lt;Friends&gt;"),
    ];
    for (id, name) in names {
        let n = a.parties.iter().find(|x| x.party == id).unwrap().seats;
        if n > 0 {
            assert!(
                sec.contains(&format!("{name}: <strong>{n}</strong></li>")),
                "{name} {n} in the legend: {sec}"
            );
        }
    }
    let name_of = |id: &str| names.iter().find(|x| x.0 == id).unwrap().1;
    let last = a.last_seat.as_ref().unwrap();
    assert!(sec.contains(&format!(
        "<p>The last seat went to {} (quotient {}).</p>",
        name_of(&last.party),
        last.quotient.to_decimal(2)
    )));
    let missed = a.first_missed.as_ref().unwrap();
    let need = a
        .parties
        .iter()
        .find(|x| x.party == missed.party)
        .and_then(|x| x.votes_to_next_seat)
        .unwrap();
    assert!(sec.contains(&format!(
        "<p>{} needed {need} more votes for one more seat.</p>",
        name_of(&missed.party)
    )));
    let el = text(&all["/el/demo/parliament/"]);
    assert!(el.contains("Έδρες ανά κόμμα"));
    assert!(!text(&all["/en/demo/parliament/r1/"]).contains("seats-h"));
    assert!(!text(&all["/en/demo/president/"]).contains("seats-h"));
    // Before any vote: the section says so and draws nothing.
    let empty = site().render_all(&common::tally(&def, 0), &common::pos(1), &[]);
    let e = text(&empty["/en/demo/parliament/"]);
    assert!(e.contains("<p>No seats are allocated yet.</p>"));
    assert!(!e.contains("<circle"));
}

#[test]
fn nothing_reported_yet_renders_cleanly() {
    let all = render(0, 1);
    let h = text(&all["/en/demo/president/"]);
    assert!(h.contains("No results reported yet."));
    assert!(h.contains("0 of 8 units reporting"));
}

#[test]
fn boundaries_are_checked() {
    let def = common::definition();
    let err = Site::new(def.clone())
        .unwrap()
        .with_boundaries(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"atlantis"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("features[0].properties.id"),
        "{err}"
    );
    let err = Site::new(def).unwrap().with_boundaries(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r1"},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#).err().unwrap();
    assert!(err.to_string().contains("Point"), "{err}");
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn precompressed_bodies_round_trip_and_pages_stay_small() {
    let all = render(8, 9);
    let css = all.iter().find(|(k, _)| k.ends_with(".css")).unwrap().1;
    let js = all.iter().find(|(k, _)| k.ends_with(".js")).unwrap().1;
    let assets = css.gzip.as_ref().unwrap().len() + js.gzip.as_ref().unwrap().len();
    for (path, r) in &all {
        if r.content_type == "image/png" {
            // Compressed already: served as is.
            assert!(r.gzip.is_none() && r.br.is_none(), "{path}");
            continue;
        }
        let gz = r
            .gzip
            .as_ref()
            .unwrap_or_else(|| panic!("{path} not precompressed"));
        assert_eq!(gunzip(gz), r.body, "{path}");
        let mut br = Vec::new();
        brotli::Decompressor::new(&r.br.as_ref().unwrap()[..], 4096)
            .read_to_end(&mut br)
            .unwrap();
        assert_eq!(br, r.body, "{path}");
        if r.content_type.starts_with("text/html") {
            assert!(
                gz.len() + assets < 50 * 1024,
                "{path}: {} bytes with assets",
                gz.len() + assets
            );
        }
    }
}

#[test]
fn archive_lists_elections_by_year() {
    let def = common::definition();
    let mut old = ArchiveEntry::from_definition(&def, Some("certified"));
    old.id = "old".into();
    old.date = "2021-05-01".into();
    let entries = [old, ArchiveEntry::from_definition(&def, Some("unofficial"))];
    let r = render_archive(&entries, "el");
    let h = text(&r);
    let y26 = h.find("<h2>2026</h2>").unwrap();
    let y21 = h.find("<h2>2021</h2>").unwrap();
    assert!(y26 < y21);
    assert!(h.contains("href=\"/el/demo/\""));
    assert!(h.contains("Επικυρωμένα αποτελέσματα"));
    let empty = render_archive(&[], "fr");
    assert!(text(&empty).contains("Aucune élection"));
}

#[test]
fn language_negotiation() {
    let avail: Vec<String> = ["en", "el", "mt"].iter().map(|s| s.to_string()).collect();
    assert_eq!(negotiate_language(Some("el"), Some("mt"), &avail), "el");
    assert_eq!(
        negotiate_language(Some("de"), Some("mt-MT,en;q=0.5"), &avail),
        "mt"
    );
    assert_eq!(
        negotiate_language(None, Some("fr;q=0.9, el;q=0.8, en;q=0.1"), &avail),
        "el"
    );
    assert_eq!(
        negotiate_language(None, Some("en;q=0, el;q=0.2"), &avail),
        "el"
    );
    assert_eq!(negotiate_language(None, Some("de, fr"), &avail), "en");
    assert_eq!(negotiate_language(None, None, &avail), "en");
}

proptest! {
    #[test]
    fn negotiation_always_returns_an_available_language(url in proptest::option::of("[a-zA-Z-]{0,8}"), header in proptest::option::of(".{0,80}")) {
        let avail: Vec<String> = ["en", "el", "mt"].iter().map(|s| s.to_string()).collect();
        let l = negotiate_language(url.as_deref(), header.as_deref(), &avail);
        prop_assert!(avail.contains(&l));
    }

    #[test]
    fn escaping_removes_markup(s in ".{0,64}") {
        let e = skytale_render::html::esc(&s);
        prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
    }
}

#[test]
fn security_headers_frame_only_embeds() {
    let page = security_headers("/en/demo/");
    let csp = &page
        .iter()
        .find(|(k, _)| *k == "content-security-policy")
        .unwrap()
        .1;
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert!(page
        .iter()
        .any(|(k, v)| *k == "x-frame-options" && v == "DENY"));
    assert!(page.iter().any(|(k, _)| *k == "strict-transport-security"));
    assert!(page
        .iter()
        .any(|(k, v)| *k == "x-content-type-options" && v == "nosniff"));
    assert!(page.iter().any(|(k, _)| *k == "referrer-policy"));
    let embed = security_headers("/embed/en/demo/president/");
    let csp = &embed
        .iter()
        .find(|(k, _)| *k == "content-security-policy")
        .unwrap()
        .1;
    assert!(csp.contains("frame-ancestors *"));
    assert!(!embed.iter().any(|(k, _)| *k == "x-frame-options"));
}

#[test]
fn snapshots() {
    let def = common::definition();
    let site = site();
    let t1 = common::tally(&def, 5);
    let h1 = PublicationRecord::from_document(&t1.document(&common::pos(6)));
    let all = site.render_all(&common::tally(&def, 8), &common::pos(9), &[h1]);
    for p in [
        "/en/demo/",
        "/el/demo/president/",
        "/en/demo/parliament/",
        "/mt/demo/parliament/",
        "/mt/demo/parliament/r1/",
        "/en/demo/referendum/r2-c2-ps1/",
        "/embed/en/demo/president/",
        "/embed/en/demo/parliament/",
        "/embed/en/demo/screen/",
        "/embed/el/demo/screen/r1/",
        "/en/demo/verify/",
        "/og/demo/president.svg",
        "/feeds/demo.atom",
        "/api/v1/elections/demo/results/referendum.csv",
    ] {
        let name = p.trim_matches('/').replace('/', "_");
        insta::assert_snapshot!(name, text(&all[p]));
    }
    insta::assert_snapshot!(
        "archive_en",
        text(&render_archive(
            &[ArchiveEntry::from_definition(&def, Some("unofficial"))],
            "en"
        ))
    );
}

/// A multi-constituency system (the two regions, with a levelling seat each): the contest page
/// shows every seat allocated so far in the hemicycle and, per region, each party's district
/// seats with its levelling seats after a plus sign; a region without votes is said to be
/// pending and levelling waits for it.
#[test]
fn contest_page_shows_a_seat_system_per_constituency() {
    let def = common::system_definition();

    // Region 1's four stations only: its district seats, Region 2 pending, no levelling.
    let t = common::tally(&def, 4);
    let all = site().render_all(&t, &common::pos(5), &[]);
    let p = text(&all["/en/demo/parliament/"]);
    let sec = &p[p.find("id=\"seats-h\"").expect("seats section")..];
    let sec = &sec[..sec.find("</section>").unwrap()];
    assert_eq!(sec.matches("<circle").count(), 4, "{sec}");
    assert!(
        sec.contains("Constituencies without votes yet: 1."),
        "{sec}"
    );
    assert!(sec.contains("<caption id=\"seats-c-cap\">Seats by constituency</caption>"));
    assert!(
        sec.contains(
            "<th scope=\"row\">Region 2</th><td class=\"num\" data-label=\"Blue Alliance\">–</td>"
        ),
        "{sec}"
    );
    assert!(!sec.contains(" + "), "no levelling seat yet: {sec}");

    // Everything in: 9 seats, two of them levelling, shown after a plus sign in their region.
    let t = common::tally(&def, 8);
    let doc = t.contest_document("parliament", &common::pos(9)).unwrap();
    let sys = doc.contests[0]
        .seat_allocation
        .as_ref()
        .and_then(|s| s.system.as_ref())
        .unwrap();
    assert!(sys.pending.is_empty());
    let all = site().render_all(&t, &common::pos(9), &[]);
    let p = text(&all["/en/demo/parliament/"]);
    let sec = &p[p.find("id=\"seats-h\"").expect("seats section")..];
    let sec = &sec[..sec.find("</section>").unwrap()];
    assert_eq!(sec.matches("<circle").count(), 9, "{sec}");
    assert_eq!(sec.matches(" + 1</td>").count(), 2, "{sec}");
    assert!(sec.contains("Levelling seats are shown after the plus sign."));
    assert!(!sec.contains("without votes yet"));
    for np in &sys.parties {
        let n = np.district_seats + np.levelling_seats;
        if n > 0 {
            assert!(
                sec.contains(&format!(": <strong>{n}</strong></li>")),
                "{sec}"
            );
        }
    }
    let el = text(&all["/el/demo/parliament/"]);
    assert!(el.contains("Έδρες ανά εκλογική περιφέρεια"));
}

/// The demo election with `edit` applied to its definition.
fn site_with(edit: impl FnOnce(&mut skytale_model::Definition)) -> BTreeMap<String, Rendered> {
    let mut def = common::definition().definition().clone();
    edit(&mut def);
    let def = std::sync::Arc::new(def.validate().unwrap());
    Site::new(def.clone())
        .unwrap()
        .render_all(&common::tally(&def, 5), &common::pos(7), &[])
}

/// `approval` mode with two approvers, both needed.
fn two_approvers(def: &mut skytale_model::Definition) {
    let key = |name: &str, n: u8| skytale_note::SigningKey::from_seed(name, [n; 32]).unwrap();
    def.publication = skytale_model::PublicationPolicy {
        mode: skytale_model::PublicationMode::Approval,
        approvers: vec![key("a-name", 7).verifier(), key("b-name", 8).verifier()],
        quorum: 2,
    };
}

/// The verification page gives the command with the site's address only when the definition
/// names a public one; the default origin (`skytale.invalid/<id>`) gets a placeholder and a
/// word on why. Either way it says where the `skytale` program comes from.
#[test]
fn the_verify_command_names_a_public_address_or_a_placeholder() {
    let named = render(5, 7);
    let page = text(&named["/en/demo/verify/"]);
    assert!(
        page.contains(
            "<pre><code>skytale verify https://results.example.org --election demo</code></pre>"
        ),
        "{page}"
    );
    assert!(!page.contains("has not named"), "{page}");
    assert!(
        page.contains("<pre><code>cargo build --release -p skytale</code></pre>"),
        "{page}"
    );
    for origin in [
        None,
        Some("skytale.invalid/demo"),
        Some("results.invalid/demo"),
    ] {
        let all = site_with(|d| d.origin = origin.map(str::to_string));
        for lang in ["en", "el"] {
            let page = text(&all[&format!("/{lang}/demo/verify/")]);
            assert!(!page.contains("https://"), "{origin:?} {lang}: {page}");
            assert!(
                page.contains(
                    "<pre><code>skytale verify &lt;URL of this site&gt; --election demo</code></pre>"
                ),
                "{origin:?} {lang}: {page}"
            );
            assert!(
                page.contains("has not named its public address"),
                "{origin:?} {lang}: {page}"
            );
            assert!(page.contains("cargo build --release -p skytale"), "{page}");
        }
    }
}

/// In `approval` mode the verification page carries an empty line that the live script fills
/// with the approval progress from the server's `/approvals`; the page's bytes hold only the
/// message templates (they stay a function of the definition and the tally). `automatic`
/// mode has no approvals: no such line and, as before, no live script on that page.
#[test]
fn the_approval_progress_line_is_left_to_the_live_script() {
    let all = site_with(two_approvers);
    let page = text(&all["/en/demo/verify/"]);
    assert!(
        page.contains("<p id=\"approval-status\" aria-live=\"polite\" data-approvals=\"/api/v1/elections/demo/approvals\""),
        "{page}"
    );
    assert!(
        page.contains("data-waiting=\"{approved} of {quorum} approvals for tree size {size}; waiting for {names}.\""),
        "{page}"
    );
    assert!(
        page.contains("data-none=\"No tree size has been approved yet.\"></p>"),
        "{page}"
    );
    assert!(
        page.contains("<body data-events=\"/api/v1/elections/demo/events\">"),
        "{page}"
    );
    assert!(page.contains("<script src=\"/assets/live."), "{page}");
    // The same bytes on every render: nothing of the approvals' state is in them.
    assert_eq!(all, site_with(two_approvers));

    let automatic = render(5, 7);
    let page = text(&automatic["/en/demo/verify/"]);
    assert!(!page.contains("approval-status"), "{page}");
    assert!(!page.contains("data-events"), "{page}");
    assert!(!page.contains("<script"), "{page}");
}

#[test]
fn snapshot_of_an_approval_verification_page_without_a_public_address() {
    let all = site_with(|d| {
        two_approvers(d);
        d.origin = None;
    });
    insta::assert_snapshot!("en_demo_verify_approval", text(&all["/en/demo/verify/"]));
}

/// A test election says so on every page and in the feed's titles; the officials' result
/// type replaces "unofficial" where it applies (a unit's own on its pages); the comparison
/// with the earlier election is a column of points and the seats won or lost.
#[test]
fn test_elections_result_types_and_the_earlier_election_are_shown() {
    let mut def = common::definition().definition().clone();
    def.test = true;
    def.previous = Some(skytale_model::PreviousElection {
        election: "demo-2022".into(),
        name: common::text(
            "General Election 2022",
            "Γενικές Εκλογές 2022",
            "Elezzjoni 2022",
        ),
        tree_size: None,
        root_hash: None,
        contests: vec![skytale_model::PreviousContest {
            contest: "parliament".into(),
            votes: [("list-blue", 5_000u64), ("list-red", 4_000)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            valid_votes: Some(10_000),
            seats: [("list-blue", 5u32), ("list-red", 4)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            units: Default::default(),
        }],
    });
    let def = std::sync::Arc::new(def.validate().unwrap());
    let site = Site::new(def.clone()).unwrap();
    let mut tally = common::tally(&def, 8);
    let status = |scope: &str, rt: &str| {
        skytale_model::Statement::parse(&format!(
            r#"{{"type":"status","election":"demo",{scope}"result_type":"{rt}","signed_at":"2026-11-25T22:00:00Z"}}"#
        ))
        .unwrap()
    };
    tally.apply_statement(&status(r#""contest":"president","#, "provisional"));
    tally.apply_statement(&status(r#""contest":"president","unit":"r2","#, "final"));
    let all = site.render_all(&tally, &common::pos(9), &[]);

    for path in [
        "/en/demo/",
        "/en/demo/president/",
        "/en/demo/verify/",
        "/el/demo/",
    ] {
        let p = text(&all[path]);
        assert!(
            p.contains("<p class=\"status test\" role=\"note\">"),
            "{path}"
        );
    }
    assert!(text(&all["/en/demo/"]).contains(
        "<strong>Test election</strong> – These figures are test data, not real results."
    ));
    assert!(text(&all["/feeds/demo.atom"]).contains("<title>Test election: "));
    let atom = text(&all["/feeds/demo.atom"]);
    assert!(
        atom.matches("<title>Test election: ").count() >= 2,
        "every entry's title says test: {atom}"
    );
    let post = skytale_render::social::post_html(&def, "en", &common::pos(9), &[], "https://x");
    assert!(
        post.starts_with("<p><strong>Test election</strong>"),
        "{post}"
    );

    let president = text(&all["/en/demo/president/"]);
    assert!(president.contains("<p class=\"status provisional\"><strong>Provisional results</strong> <time datetime=\"2026-11-25T22:00:00Z\">"));
    assert!(!president.contains("Unofficial results"));
    let r2 = text(&all["/en/demo/president/r2/"]);
    assert!(
        r2.contains("<p class=\"status final\"><strong>Final results</strong>"),
        "a unit's own type on its page"
    );
    let r1 = text(&all["/en/demo/president/r1/"]);
    assert!(r1.contains("<p class=\"status provisional\">"));
    assert!(text(&all["/el/demo/president/"]).contains("Προσωρινά αποτελέσματα"));
    assert!(text(&all["/en/demo/parliament/"]).contains("Unofficial results"));

    // The comparison column: points since 2022 and seats won or lost, "–" where a list did
    // not stand then.
    let parliament = text(&all["/en/demo/parliament/"]);
    assert!(parliament.contains("<th scope=\"col\" class=\"change\">Change since General Election 2022 (percentage points)</th>"));
    let doc = tally.document(&common::pos(9));
    let c = doc.contests.iter().find(|c| c.id == "parliament").unwrap();
    let cmp = c.comparison.as_ref().unwrap();
    let blue = cmp.selections.iter().find(|s| s.id == "list-blue").unwrap();
    let valid = c.valid_votes;
    let blue_now = c
        .selections
        .iter()
        .find(|s| s.id == "list-blue")
        .unwrap()
        .votes;
    assert_eq!(
        blue.change,
        skytale_tally::share_change(blue_now, valid, 5_000, 10_000)
    );
    let seats_now = c.seats.as_ref().unwrap()["list-blue"];
    assert_eq!(blue.seat_change, Some(i64::from(seats_now) - 5));
    let points = skytale_render::i18n::format_points("en", &blue.change);
    assert!(
        parliament.contains(&format!("points)\">{points}</td>")),
        "{points}"
    );
    assert!(cmp.selections.iter().all(|s| s.id != "list-green"));
    assert!(
        parliament.contains("points)\">–</td>"),
        "Greens did not stand then"
    );
}
