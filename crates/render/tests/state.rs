//! The demo's larger ballot (a synthetic U.S.-state-like election: 31 contests in four
//! groups over 12 counties and 36 precincts, one precinct silent, one tie): the grouped
//! overview, the search index, each place's ballot page, the findings of a real-size import
//! (ties, "leading" once everything is in, a station with no report, count types, turnout
//! on area pages) and a map, with snapshots.

#[path = "../../cli/src/synthetic_state.rs"]
#[allow(dead_code)]
mod synthetic_state;

use std::collections::BTreeMap;
use std::sync::Arc;

use skytale_model::ValidDefinition;
use skytale_note::SigningKey;
use skytale_render::{Rendered, Site};
use skytale_tally::{LogPosition, Tally};

pub const ID: &str = "demo-state";

pub fn definition() -> Arc<ValidDefinition> {
    let key = |n: u8| SigningKey::from_seed(&format!("state-{n}"), [n; 32]).unwrap();
    let reporters: Vec<_> = (1..=12).map(|n| key(n).verifier()).collect();
    let def = synthetic_state::definition(ID, key(0).verifier(), &reporters);
    Arc::new(def.validate().unwrap())
}

/// Every precinct that reports, reported once.
pub fn tally(def: &Arc<ValidDefinition>) -> Tally {
    let mut t = Tally::new(def.clone());
    for (p, _) in synthetic_state::precincts() {
        if let Some(r) =
            synthetic_state::precinct_results(def.definition(), &p, 1, "2026-11-04T02:00:00Z")
        {
            t.apply(&r);
        }
    }
    t
}

fn pos() -> LogPosition {
    LogPosition {
        tree_size: 36,
        root_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        published_at: Some("2026-11-04T02:30:00Z".into()),
    }
}

pub fn render() -> BTreeMap<String, Rendered> {
    let def = definition();
    Site::new(def.clone())
        .unwrap()
        .with_boundaries(&synthetic_state::boundaries_geojson())
        .unwrap()
        .with_precompression(false)
        .render_all(&tally(&def), &pos(), &[])
}

fn page<'a>(all: &'a BTreeMap<String, Rendered>, path: &str) -> &'a str {
    let r = all
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not rendered"));
    std::str::from_utf8(&r.body).unwrap()
}

/// The part of a page inside `<main>`, which is what the snapshots review.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap();
    let end = html.find("</main>").unwrap();
    &html[start..end]
}

#[test]
fn the_overview_groups_contests_under_the_definitions_headings_in_order() {
    let all = render();
    let html = page(&all, "/en/demo-state/");
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("overview lacks {s}"));
    let h2 = |s: &str| at(&format!(">{s}</h2>"));
    assert!(h2("Federal offices") < h2("Statewide offices and measures"));
    assert!(h2("Statewide offices and measures") < h2("State legislature"));
    assert!(h2("State legislature") < h2("County offices"));
    // Each contest under its heading: the president under federal, a sheriff under county.
    assert!(at("President of the United States") < h2("Statewide offices and measures"));
    assert!(at("Laurel County Sheriff") > h2("County offices"));
    // A table of contents links to each group, with the number of contests in it.
    assert!(
        html.contains("<a href=\"#g-county\">County offices</a> <span class=\"count\">(24)</span>")
    );
    // The search form works without JavaScript: a GET form to the index page.
    assert!(html.contains(
        "<form class=\"search\" role=\"search\" action=\"/en/demo-state/search/\" method=\"get\">"
    ));
    insta::assert_snapshot!("state_overview", main_of(html));
}

#[test]
fn the_search_index_lists_every_contest_and_place_with_its_ballot_page() {
    let all = render();
    let html = page(&all, "/en/demo-state/search/");
    let def = definition();
    for c in def.contests() {
        assert!(
            html.contains(&format!("href=\"/en/demo-state/{}/\"", c.id)),
            "index lacks {}",
            c.id
        );
    }
    for u in def.units() {
        assert!(
            html.contains(&format!("href=\"/en/demo-state/ballot/{}/\"", u.id)),
            "index lacks the ballot page of {}",
            u.id
        );
    }
    // In tree order: a county's precincts right after it.
    let at = |id: &str| html.find(&format!("/ballot/{id}/")).unwrap();
    assert!(at("ashford") < at("ashford-p1") && at("ashford-p3") < at("bellmont"));
}

#[test]
fn every_place_has_a_ballot_page_with_each_contest_held_there_and_its_result_there() {
    let all = render();
    let def = definition();
    for u in def.units() {
        assert!(
            all.contains_key(&format!("/en/demo-state/ballot/{}/", u.id)),
            "no ballot page for {}",
            u.id
        );
    }
    let html = page(&all, "/en/demo-state/ballot/ashford-p2/");
    // Ashford is in congressional district 1, state senate 1, state house 1.
    for (contest, link) in [
        (
            "President of the United States",
            "/en/demo-state/us-president/ashford-p2/",
        ),
        (
            "U.S. Representative, District 1",
            "/en/demo-state/us-house-1/ashford-p2/",
        ),
        (
            "State Senator, District 1",
            "/en/demo-state/state-senate-1/ashford-p2/",
        ),
        (
            "State Representative, District 1",
            "/en/demo-state/state-house-1/ashford-p2/",
        ),
        (
            "Ashford County Sheriff",
            "/en/demo-state/ashford-sheriff/ashford-p2/",
        ),
    ] {
        assert!(html.contains(contest), "ballot lacks {contest}");
        assert!(html.contains(link), "ballot lacks the link {link}");
    }
    for elsewhere in ["District 2", "Laurel County", "Bellmont County Sheriff"] {
        assert!(!html.contains(elsewhere), "ballot shows {elsewhere}");
    }
    // 2 federal + 1 house district + 4 statewide + amendment + senate + house + 2 county.
    assert_eq!(html.matches("<li class=\"card\">").count(), 12);
    let county = page(&all, "/en/demo-state/ballot/ashford/");
    assert!(county.contains("/en/demo-state/ballot/ashford-p1/"));
    insta::assert_snapshot!("state_ballot_county", main_of(county));
}

#[test]
fn a_tie_is_named_as_a_tie() {
    let all = render();
    let html = page(&all, "/en/demo-state/ashford-commission/");
    // The table of results by area says who is tied, with their share and votes.
    let table = &html[html.find("Results by area").unwrap()..];
    let row = table
        .split("<tr>")
        .find(|r| r.contains("Ashford Precinct 1"))
        .unwrap();
    assert!(row.contains("Tied: "), "{row}");
    assert!(!row.contains("<td>–</td><td>–</td><td>–</td>"), "{row}");
    let unit = page(&all, "/en/demo-state/ashford-commission/ashford-p1/");
    assert!(unit.contains("<p class=\"leader tie\">Tied: "));
}

#[test]
fn leading_becomes_most_votes_once_every_unit_is_in() {
    let all = render();
    // Bellmont has every precinct in; Ashford misses one.
    let complete = page(&all, "/en/demo-state/bellmont-sheriff/");
    assert!(complete.contains("<p class=\"leader\">Most votes: "));
    assert!(!complete.contains("Leading"));
    let partial = page(&all, "/en/demo-state/ashford-sheriff/");
    assert!(partial.contains("<p class=\"leader\">Leading: "));
}

#[test]
fn a_station_without_a_report_shows_no_zero_figures() {
    let all = render();
    let html = page(
        &all,
        &format!(
            "/en/demo-state/us-president/{}/",
            synthetic_state::SILENT_PRECINCT
        ),
    );
    assert!(html.contains("No results reported yet."));
    assert!(!html.contains("0.00%"), "a silent precinct shows 0.00 %");
    assert!(
        !html.contains("class=\"chart\""),
        "a silent precinct shows bars"
    );
    // The choices are listed, each figure a dash.
    assert!(html.contains("data-label=\"Votes\">–</td>"));
    // Nor does its embed show bars of nothing.
    let embed = page(
        &all,
        &format!(
            "/embed/en/demo-state/us-president/{}/",
            synthetic_state::SILENT_PRECINCT
        ),
    );
    assert!(!embed.contains("0.00%"), "{embed}");
}

#[test]
fn count_types_are_shown_on_contest_pages() {
    let all = render();
    let html = page(&all, "/en/demo-state/governor/");
    assert!(html.contains("Votes by how they were cast"));
    assert!(html.contains("<th scope=\"col\">Election day</th><th scope=\"col\">By mail</th>"));
}

/// A place's page of a contest breaks its own votes down by count type too: the county's
/// rolled up from its precincts, and a precinct's as it reported them.
#[test]
fn count_types_are_shown_on_a_places_contest_pages() {
    let all = render();
    let def = definition();
    let tally = tally(&def);
    let ci = def.contest_index("governor").unwrap();
    let county = def.unit_index("bellmont").unwrap();
    let by_type = tally.unit_count_types(ci, county);
    let html = page(&all, "/en/demo-state/governor/bellmont/");
    let sec = &html[html
        .find("<h2 id=\"types-h\">Votes by how they were cast</h2>")
        .expect("the county's page has the table")..];
    assert!(sec.contains("<th scope=\"col\">Election day</th><th scope=\"col\">By mail</th>"));
    // The county's own mail votes for the first choice, as the tally rolled them up.
    let mail = by_type[0]["mail"];
    assert!(mail > 0);
    let cell = format!(
        "<td data-label=\"By mail\">{}</td>",
        skytale_render::i18n::format_int("en", mail)
    );
    assert!(sec.contains(&cell), "{cell} in {sec}");
    let precinct = page(&all, "/en/demo-state/governor/bellmont-p2/");
    assert!(precinct.contains("Votes by how they were cast"));
    // A precinct without a report has nothing to break down.
    let silent = page(&all, "/en/demo-state/governor/ashford-p3/");
    assert!(!silent.contains("Votes by how they were cast"));
}

#[test]
fn area_pages_show_turnout() {
    let all = render();
    // A county with every precinct in, and one still missing a precinct.
    for path in [
        "/en/demo-state/governor/bellmont/",
        "/en/demo-state/governor/ashford/",
    ] {
        assert!(
            page(&all, path).contains("Turnout: "),
            "{path} has no turnout"
        );
    }
}

#[test]
fn the_map_of_counties_is_drawn_from_the_generated_shapes() {
    let all = render();
    let html = page(&all, "/en/demo-state/governor/");
    let map = html.find("<section class=\"map\"").expect("no map");
    let start = map + html[map..].find("<svg").unwrap();
    let end = start + html[start..].find("</svg>").unwrap() + "</svg>".len();
    let svg = &html[start..end];
    assert_eq!(
        svg.matches("fill-rule=\"evenodd\"").count(),
        12,
        "one area per county"
    );
    insta::assert_snapshot!("state_map_governor", svg);
}

#[test]
fn the_definitions_own_map_gives_every_area_page_a_leader_and_a_turnout_map() {
    // No boundaries passed: the definition carries the generated shapes.
    let def = definition();
    assert!(def.definition().map.is_some());
    let all = Site::new(def.clone())
        .unwrap()
        .with_precompression(false)
        .render_all(&tally(&def), &pos(), &[]);
    for path in [
        "/en/demo-state/governor/",
        "/en/demo-state/governor/ashford/",
        "/en/demo-state/us-house-1/",
    ] {
        let html = page(&all, path);
        assert!(
            html.contains("<section class=\"map\" aria-labelledby=\"map-h\">"),
            "{path}"
        );
        assert!(
            html.contains("<h2 id=\"tmap-h\">Map of turnout by area</h2>"),
            "{path}"
        );
    }
    // Each area is a link (reachable with the keyboard) named with its figure.
    let html = page(&all, "/en/demo-state/governor/");
    let tmap = &html[html.find("id=\"tmap-h\"").unwrap()..];
    let tmap = &tmap[..tmap.find("</section>").unwrap()];
    assert_eq!(tmap.matches("<a href=").count(), 12);
    assert!(
        tmap.contains("aria-label=\"Bellmont County: Turnout "),
        "{tmap}"
    );
    // The legend names each class with its range.
    assert!(tmap.contains("%–"), "{tmap}");
}
