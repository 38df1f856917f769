//! A real import gets its map: Georgia's 2020 general election by county (Clarity) joined to
//! the U.S. Census counties of us-atlas (a Georgia subset in `testdata/maps/`) by name, kept
//! quantized in the definition, and drawn on the contest page, one area per county.

use std::sync::Arc;

use skytale::map_file;
use skytale_formats::{derive_definition, import_results, Format, ImportOptions};
use skytale_note::SigningKey;
use skytale_render::Site;
use skytale_tally::{LogPosition, Tally};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

#[test]
fn georgia_by_county_gets_a_map_of_its_159_counties() {
    let xml = std::fs::read(format!("{DATA}/clarity/elex-clarity__ga_counties_11-3.xml")).unwrap();
    let authority = SigningKey::from_seed("ga-authority", [1; 32]).unwrap();
    let reporter = SigningKey::from_seed("ga-reporter", [2; 32]).unwrap();
    let mut def = derive_definition(
        Format::ClarityXml,
        &xml,
        "ga-2020",
        authority.verifier(),
        "Georgia Secretary of State",
        reporter.verifier(),
    )
    .unwrap();
    assert_eq!(def.locale.as_deref(), Some("en-US"));
    let atlas: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{DATA}/maps/us-atlas-georgia-counties.topojson")).unwrap(),
    )
    .unwrap();
    assert_eq!(map_file::attach(&mut def, &atlas).unwrap(), 159);
    let map = serde_json::to_vec(def.map.as_ref().unwrap()).unwrap();
    assert!(
        map.len() < 40_000,
        "the map stays compact: {} bytes",
        map.len()
    );
    let def = Arc::new(def.validate().unwrap());

    let mut tally = Tally::new(def.clone());
    let opts = ImportOptions {
        election: "ga-2020",
        version: 1,
        submitted_at: "2020-11-20T20:37:06Z",
        status: skytale_model::ReportStatus::Complete,
        mapping: None,
        source_name: None,
    };
    for st in import_results(Format::ClarityXml, &xml, &def, &opts).unwrap() {
        tally.apply(&st);
    }
    let pos = LogPosition {
        tree_size: 160,
        root_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        published_at: Some("2020-11-20T20:37:06Z".into()),
    };
    let all = Site::new(def.clone())
        .unwrap()
        .with_precompression(false)
        .render_all(&tally, &pos, &[]);
    let president = def
        .contests()
        .iter()
        .find(|c| c.name["en"] == "President of the United States")
        .unwrap();
    let page = std::str::from_utf8(&all[&format!("/en/ga-2020/{}/", president.id)].body).unwrap();
    let map = &page[page.find("<section class=\"map\"").expect("a map")..];
    let map = &map[..map.find("</svg>").unwrap()];
    assert_eq!(map.matches("fill-rule=\"evenodd\"").count(), 159);
    assert!(
        map.contains("aria-label=\"Fulton: "),
        "{}",
        &map[..2000.min(map.len())]
    );
    // This export states no registered voters or ballots cast: no turnout, no turnout map.
    assert!(!page.contains("Map of turnout by area"));
    // U.S. dates on an English page of a U.S. election.
    let overview = std::str::from_utf8(&all["/en/ga-2020/"].body).unwrap();
    assert!(overview.contains(">November 3, 2020</time>"));
}
