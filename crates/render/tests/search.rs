//! The search's results page (what a live server answers `search/?q=` with): the contests and
//! places that match, polling stations included whatever the size of the election, matched
//! without case or accents and by id, capped with a line saying how many more matched, the
//! query escaped everywhere it is shown; and the index page's sentence when it lists only the
//! places with places below them.

#[path = "../../cli/src/synthetic_state.rs"]
#[allow(dead_code)]
mod synthetic_state;

use std::sync::Arc;

use skytale_model::ValidDefinition;
use skytale_note::SigningKey;
use skytale_render::{Rendered, Search, Site, MAX_QUERY_BYTES, MAX_SEARCH_HITS};
use skytale_tally::{LogPosition, Tally};
use skytale_testkit as kit;

fn state() -> Site {
    let key = |n: u8| SigningKey::from_seed(&format!("state-{n}"), [n; 32]).unwrap();
    let reporters: Vec<_> = (1..=12).map(|n| key(n).verifier()).collect();
    let def = synthetic_state::definition("demo-state", key(0).verifier(), &reporters);
    Site::new(Arc::new(def.validate().unwrap())).unwrap()
}

/// The test election with 3,000 more polling stations than the index lists (English names
/// `Station "i"`, French `Bureau n° i — Évry`).
fn large() -> Arc<ValidDefinition> {
    let def = kit::large_definition(&kit::keys(), 3_000);
    Arc::new(def.validate().unwrap())
}

fn results(site: &Site, lang: &str, q: &str) -> String {
    match site.render_search(lang, q) {
        Some(Search::Results(r)) => text(&r),
        other => panic!("{q:?} in {lang}: {other:?}"),
    }
}

fn text(r: &Rendered) -> String {
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    String::from_utf8(r.body.clone()).unwrap()
}

fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap();
    let end = html.find("</main>").unwrap();
    &html[start..end]
}

fn links_to(html: &str, prefix: &str) -> usize {
    html.matches(&format!("href=\"{prefix}")).count()
}

#[test]
fn a_search_lists_the_contests_and_places_that_match_with_their_links() {
    let site = state();
    let html = results(&site, "en", "  ashford ");
    // What was searched: the heading, the crumbs, the title and the form, ready to edit.
    assert!(
        html.contains("<h1>Search results for “ashford”</h1>"),
        "{html}"
    );
    assert!(html.contains("<li aria-current=\"page\">ashford</li>"));
    assert!(html.contains("<title>Search results for “ashford” – "));
    assert!(html.contains("name=\"q\" value=\"ashford\""));
    // The county's contests (their pages), the county and its precincts (their ballot pages).
    assert!(
        html.contains("href=\"/en/demo-state/ashford-sheriff/\""),
        "{html}"
    );
    assert!(html.contains("href=\"/en/demo-state/ballot/ashford/\""));
    for p in 1..=3 {
        assert!(html.contains(&format!("href=\"/en/demo-state/ballot/ashford-p{p}/\"")));
    }
    assert!(!html.contains("/ballot/bellmont"));
    // Inside `#index`, so the live script narrows it as one types; the switcher keeps the query.
    assert!(html.contains("<div id=\"index\">"));
    assert!(html.contains("hreflang=\"en\" href=\"/en/demo-state/search/?q=ashford\""));
    assert!(!html.contains("Not shown"));
    insta::assert_snapshot!("search_ashford", main_of(&html));
}

#[test]
fn a_polling_station_is_found_by_name_without_case_or_accents_and_by_id() {
    let site = Site::new(large()).unwrap();
    // As the live script folds: "EVRY" finds "Évry", "n°" stays as typed.
    let fr = results(&site, "fr", "bureau N° 1234 — EVRY");
    assert!(
        fr.contains("href=\"/fr/test-2026/ballot/x001234/\""),
        "{fr}"
    );
    assert_eq!(links_to(&fr, "/fr/test-2026/ballot/"), 1);
    // English names have no "Évry"; the id finds a station in any language.
    assert!(results(&site, "en", "évry").contains("Nothing matches."));
    let en = results(&site, "en", "X002999");
    assert!(en.contains("href=\"/en/test-2026/ballot/x002999/\""));
    // With the place it lies in and its id, since many stations share a name.
    assert!(en.contains("(North · x002999)"), "{en}");
    // A contest by name.
    let mayor = results(&site, "fr", "maire");
    assert!(mayor.contains("href=\"/fr/test-2026/mayor/\""));
}

#[test]
fn many_matches_are_capped_with_a_line_saying_how_many_more() {
    let site = Site::new(large()).unwrap();
    let html = results(&site, "en", "station");
    assert_eq!(links_to(&html, "/en/test-2026/ballot/"), MAX_SEARCH_HITS);
    assert!(html.contains("Matches: 3,000"), "{html}");
    assert_eq!(MAX_SEARCH_HITS, 200);
    assert!(html.contains("Not shown: 2,800 more matches."), "{html}");
    // In the index's order: the first stations first.
    assert!(html.contains("/ballot/x000000/") && !html.contains("/ballot/x000200/"));
}

#[test]
fn no_match_says_so() {
    let site = state();
    let html = results(&site, "en", "zzz");
    assert!(html.contains(">Nothing matches.</p>"), "{html}");
    assert!(!html.contains("<section>"));
    assert!(!html.contains("/ballot/"));
}

#[test]
fn the_query_is_escaped_wherever_it_is_shown() {
    let site = state();
    let q = "<script>alert(\"x\")</script> {lang} & 'y'";
    let html = results(&site, "en", q);
    assert!(!html.contains("<script>alert"), "{html}");
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; {lang} &amp; &#39;y&#39;";
    assert!(html.contains(&format!("<h1>Search results for “{escaped}”</h1>")));
    assert!(html.contains(&format!("value=\"{escaped}\"")));
    // Links percent-encode it (braces too: the switcher's template replaces `{lang}`).
    assert!(html.contains(
        "href=\"/en/demo-state/search/?q=%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E+%7Blang%7D+%26+%27y%27\""
    ));
}

#[test]
fn empty_over_long_and_unknown_language_queries() {
    let site = state();
    assert_eq!(site.render_search("en", ""), Some(Search::Empty));
    assert_eq!(site.render_search("en", "   "), Some(Search::Empty));
    assert_eq!(site.render_search("de", "ashford"), None);
    let at_bound = "é".repeat(MAX_QUERY_BYTES / 2);
    assert!(matches!(
        site.render_search("en", &at_bound),
        Some(Search::Results(_))
    ));
    let Some(Search::TooLong(r)) = site.render_search("en", &format!("{at_bound}x")) else {
        panic!("a query over the bound is refused");
    };
    let html = text(&r);
    assert!(html.contains("The search text is too long."), "{html}");
    assert!(html.contains("<form class=\"search\""));
    assert!(!html.contains("éééé"), "the refused text is not shown");
}

/// Above the index's bound, the index page lists the places with places below them and says
/// that the live site's search finds the others.
#[test]
fn the_cut_index_says_the_live_search_finds_every_place() {
    let pos = LogPosition {
        tree_size: 2,
        root_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        published_at: None,
    };
    let def = large();
    let all = Site::new(def.clone())
        .unwrap()
        .with_pages_on_demand(true)
        .with_precompression(false)
        .render_all(&Tally::new(def), &pos, &[]);
    let index = text(&all["/en/test-2026/search/"]);
    assert!(index.contains("<p class=\"meta\">Only places that contain other places are listed here. On the live site, the search finds every place"), "{index}");
    assert!(!index.contains("/ballot/x000000/"));
    assert!(index.contains("/ballot/north/"));
    let small = state();
    let def = small.definition().clone();
    let all = small
        .with_precompression(false)
        .render_all(&Tally::new(def), &pos, &[]);
    let index = text(&all["/en/demo-state/search/"]);
    assert!(!index.contains("Only places that contain"));
    assert!(index.contains("/ballot/ashford-p1/"));
}
