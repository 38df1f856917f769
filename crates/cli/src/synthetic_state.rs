//! The demo's second, larger ballot: a synthetic U.S.-state-like election with the shape of a
//! real one (statewide, congressional, legislative and county contests grouped by office
//! level, counties and precincts, election-day and mail votes, a locale of `en-US`) and
//! generated county and precinct shapes for its maps.
//!
//! Pure and deterministic (its own small generator, no clock, no I/O), so the renderer's tests
//! compile this very file (`#[path]`) and check the pages the demo serves.

use std::collections::BTreeMap;

use skytale_model::{
    ByType, Contest, ContestGroup, ContestKind, ContestReport, Count, CountType, Definition,
    LocalizedText, Party, PublicationPolicy, ReportStatus, Reporter, ResultsStatement, Selection,
    Unit,
};
use skytale_note::VerifierKey;

/// Counties in a row and rows of counties (the state is a grid of them).
pub const COUNTY_COLUMNS: usize = 4;
pub const COUNTY_ROWS: usize = 3;
/// Precincts per county (vertical strips of it).
pub const PRECINCTS_PER_COUNTY: usize = 3;
/// The precinct that never reports (pages show "no results yet" for it).
pub const SILENT_PRECINCT: &str = "ashford-p3";
/// The precinct where the two candidates for the county commission tie.
pub const TIED_PRECINCT: &str = "ashford-p1";

const COUNTIES: [&str; COUNTY_COLUMNS * COUNTY_ROWS] = [
    "Ashford",
    "Bellmont",
    "Cedar",
    "Dunmore",
    "Elk River",
    "Fairview",
    "Glenwood",
    "Harlan",
    "Iron Hill",
    "Jasper",
    "Kingsley",
    "Laurel",
];

const PARTIES: [(&str, &str, &str); 4] = [
    ("dem", "Democratic Party", "#1f5fa8"),
    ("rep", "Republican Party", "#b3261e"),
    ("lib", "Libertarian Party", "#8a6d00"),
    ("grn", "Green Party", "#2e7d32"),
];

const GIVEN: [&str; 16] = [
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Jordan", "Kendall",
    "Logan", "Morgan", "Parker", "Quinn", "Reese", "Sawyer",
];
const FAMILY: [&str; 16] = [
    "Adams", "Brooks", "Carter", "Diaz", "Ellis", "Foster", "Garcia", "Hughes", "Irwin", "Jensen",
    "Kim", "Lopez", "Murphy", "Nguyen", "Ortiz", "Price",
];

/// SplitMix64: a tiny deterministic generator, enough for plausible figures.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

fn en(s: impl Into<String>) -> LocalizedText {
    BTreeMap::from([("en".to_string(), s.into())])
}

fn county_id(i: usize) -> String {
    COUNTIES[i].to_ascii_lowercase().replace(' ', "-")
}

/// Unit ids of the counties, in grid order (row by row).
pub fn counties() -> Vec<String> {
    (0..COUNTIES.len()).map(county_id).collect()
}

/// Precinct ids with the index of their county.
pub fn precincts() -> Vec<(String, usize)> {
    (0..COUNTIES.len())
        .flat_map(|c| {
            (1..=PRECINCTS_PER_COUNTY).map(move |p| (format!("{}-p{p}", county_id(c)), c))
        })
        .collect()
}

/// The `n`-th candidate (from 1) of a contest whose names start at `base`: family names five
/// apart, so no two candidates of a contest share a name.
fn candidate(base: usize, rng: &mut Mix, party: &str, n: usize) -> Selection {
    let given = GIVEN[rng.range(0, GIVEN.len() as u64) as usize];
    let family = FAMILY[(base + n * 5) % FAMILY.len()];
    Selection {
        id: format!("{party}-{n}"),
        name: en(format!("{given} {family}")),
        party: Some(party.to_string()),
        write_in: false,
    }
}

fn contest(
    rng: &mut Mix,
    id: String,
    name: String,
    group: &str,
    area: Vec<String>,
    parties: &[&str],
) -> Contest {
    Contest {
        id,
        name: en(name),
        kind: ContestKind::Candidate,
        area,
        votes_allowed: 1,
        selections: {
            let base = rng.range(0, FAMILY.len() as u64) as usize;
            parties
                .iter()
                .enumerate()
                .map(|(i, p)| candidate(base, rng, p, i + 1))
                .collect()
        },
        seats: None,
        tabulation: None,
        group: Some(group.to_string()),
    }
}

/// The definition, signed by `authority` and reported by `reporters` (one key per county, in
/// the order of [`counties`]).
pub fn definition(id: &str, authority: VerifierKey, reporters: &[VerifierKey]) -> Definition {
    let mut rng = Mix(2024);
    let mut units = vec![Unit {
        id: "state".into(),
        name: en("State of Skytale"),
        parent: None,
        level: Some("state".into()),
        registered: None,
        ocd_id: None,
    }];
    for (c, cid) in counties().iter().enumerate() {
        units.push(Unit {
            id: cid.clone(),
            name: en(format!("{} County", COUNTIES[c])),
            parent: Some("state".into()),
            level: Some("county".into()),
            registered: None,
            ocd_id: None,
        });
    }
    for (pid, c) in precincts() {
        let n = pid.rsplit('p').next().unwrap_or("1").to_string();
        units.push(Unit {
            id: pid.clone(),
            name: en(format!("{} Precinct {n}", COUNTIES[c])),
            parent: Some(county_id(c)),
            level: Some("precinct".into()),
            registered: Some(rng.range(1_500, 6_000)),
            ocd_id: None,
        });
    }
    let groups = [
        ("federal", "Federal offices"),
        ("statewide", "Statewide offices and measures"),
        ("legislative", "State legislature"),
        ("county", "County offices"),
    ]
    .map(|(id, name)| ContestGroup {
        id: id.into(),
        name: en(name),
    })
    .to_vec();
    let all = counties();
    let two = ["dem", "rep"];
    let four = ["dem", "rep", "lib", "grn"];
    let mut contests = vec![
        contest(
            &mut rng,
            "us-president".into(),
            "President of the United States".into(),
            "federal",
            vec!["state".into()],
            &four,
        ),
        contest(
            &mut rng,
            "us-senate".into(),
            "United States Senator".into(),
            "federal",
            vec!["state".into()],
            &["dem", "rep", "lib"],
        ),
    ];
    // Congressional districts: the grid's rows.
    for d in 0..COUNTY_ROWS {
        let area = all[d * COUNTY_COLUMNS..(d + 1) * COUNTY_COLUMNS].to_vec();
        contests.push(contest(
            &mut rng,
            format!("us-house-{}", d + 1),
            format!("U.S. Representative, District {}", d + 1),
            "federal",
            area,
            &two,
        ));
    }
    for (cid, name) in [
        ("governor", "Governor"),
        ("lt-governor", "Lieutenant Governor"),
        ("attorney-general", "Attorney General"),
        ("secretary-of-state", "Secretary of State"),
    ] {
        contests.push(contest(
            &mut rng,
            cid.into(),
            name.into(),
            "statewide",
            vec!["state".into()],
            &["dem", "rep", "lib"],
        ));
    }
    contests.push(Contest {
        id: "amendment-1".into(),
        name: en("Constitutional Amendment 1: an independent redistricting commission"),
        kind: ContestKind::BallotMeasure,
        area: vec!["state".into()],
        votes_allowed: 1,
        selections: vec![
            Selection {
                id: "yes".into(),
                name: en("Yes"),
                party: None,
                write_in: false,
            },
            Selection {
                id: "no".into(),
                name: en("No"),
                party: None,
                write_in: false,
            },
        ],
        seats: None,
        tabulation: None,
        group: Some("statewide".into()),
    });
    // State senate: the grid's columns; state house: pairs of counties.
    for d in 0..COUNTY_COLUMNS {
        let area = (0..COUNTY_ROWS)
            .map(|r| all[r * COUNTY_COLUMNS + d].clone())
            .collect();
        contests.push(contest(
            &mut rng,
            format!("state-senate-{}", d + 1),
            format!("State Senator, District {}", d + 1),
            "legislative",
            area,
            &two,
        ));
    }
    for d in 0..all.len() / 2 {
        contests.push(contest(
            &mut rng,
            format!("state-house-{}", d + 1),
            format!("State Representative, District {}", d + 1),
            "legislative",
            all[2 * d..2 * d + 2].to_vec(),
            &two,
        ));
    }
    for (c, cid) in all.iter().enumerate() {
        contests.push(contest(
            &mut rng,
            format!("{cid}-commission"),
            format!("{} County Commission, Chair", COUNTIES[c]),
            "county",
            vec![cid.clone()],
            &two,
        ));
        contests.push(contest(
            &mut rng,
            format!("{cid}-sheriff"),
            format!("{} County Sheriff", COUNTIES[c]),
            "county",
            vec![cid.clone()],
            &two,
        ));
    }
    Definition {
        id: id.to_string(),
        name: en("General Election (synthetic state)"),
        date: "2026-11-03".into(),
        default_language: "en".into(),
        languages: vec!["en".into()],
        origin: Some(format!("skytale.invalid/{id}")),
        authority_key: authority,
        units,
        parties: PARTIES
            .iter()
            .map(|(pid, name, color)| Party {
                id: (*pid).into(),
                name: en(*name),
                abbreviation: None,
                color: Some((*color).into()),
            })
            .collect(),
        contests,
        reporters: reporters
            .iter()
            .zip(all.iter().enumerate())
            .map(|(k, (c, cid))| Reporter {
                name: format!("{} County elections office", COUNTIES[c]),
                key: k.clone(),
                scope: vec![cid.clone()],
            })
            .collect(),
        publication: PublicationPolicy::default(),
        witnesses: None,
        test: false,
        previous: None,
        groups,
        locale: Some("en-US".into()),
        // The generated shapes, signed with the definition: every page with areas has maps.
        map: serde_json::from_str(&boundaries_geojson()).ok(),
    }
}

/// The `results` statement of one precinct (every contest held there), or `None` for the
/// precinct that never reports. Figures are a function of the precinct and `version`.
pub fn precinct_results(
    def: &Definition,
    precinct: &str,
    version: u64,
    submitted_at: &str,
) -> Option<ResultsStatement> {
    if precinct == SILENT_PRECINCT {
        return None;
    }
    let unit = def.units.iter().find(|u| u.id == precinct)?;
    let county = unit.parent.clone()?;
    let seed = precinct.bytes().fold(version, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    let mut rng = Mix(seed);
    let registered = unit.registered.unwrap_or(2_000);
    let ballots = registered * rng.range(48, 76) / 100;
    let lean = rng.range(0, 30);
    let mut contests = Vec::new();
    for c in &def.contests {
        if !c.area.iter().any(|a| *a == county || a == "state") {
            continue;
        }
        let valid = ballots - ballots * rng.range(0, 3) / 100;
        let weights: Vec<u64> = c
            .selections
            .iter()
            .map(|s| match s.party.as_deref() {
                Some("dem") => 40 + lean,
                Some("rep") => 70 - lean,
                Some("lib") => 6,
                Some("grn") => 3,
                _ if s.id == "yes" => 55,
                _ => 45,
            } * 10 + rng.range(0, 60))
            .collect();
        let sum: u64 = weights.iter().sum();
        let mut votes: Vec<u64> = weights.iter().map(|w| valid * w / sum).collect();
        if precinct == TIED_PRECINCT && c.id.ends_with("-commission") && votes.len() >= 2 {
            let even = (votes[0] + votes[1]) / 2;
            votes[0] = even;
            votes[1] = even;
        }
        contests.push(ContestReport {
            contest: c.id.clone(),
            ballots: Some(Count::new(ballots)),
            blank: None,
            invalid: None,
            overvotes: None,
            undervotes: None,
            selections: c
                .selections
                .iter()
                .zip(votes)
                .map(|(s, v)| {
                    let mail = v * rng.range(15, 40) / 100;
                    (
                        s.id.clone(),
                        ByType::from_iter([
                            (CountType::ElectionDay, Count::new(v - mail)),
                            (CountType::Mail, Count::new(mail)),
                        ]),
                    )
                })
                .collect(),
        });
    }
    Some(ResultsStatement {
        election: def.id.clone(),
        unit: precinct.to_string(),
        version,
        status: ReportStatus::Complete,
        submitted_at: submitted_at.to_string(),
        reason: None,
        source: None,
        contests,
    })
}

/// Generated boundaries of every county and precinct, as GeoJSON (`properties.id` the unit
/// id): the state is a box of counties in a grid, with wavy shared edges so the map looks
/// like one; each county is cut into vertical strips for its precincts.
pub fn boundaries_geojson() -> String {
    // The state spans 4° of longitude and 2.4° of latitude around 33° N, 84° W.
    let (west, north) = (-86.0_f64, 34.2_f64);
    let (cw, ch) = (1.0_f64, 0.8_f64);
    // A point on the grid, with a small deterministic wobble inside the state (edges shared
    // by neighbours wobble the same way, since the wobble depends only on the point).
    let point = |gx: f64, gy: f64| -> [f64; 2] {
        let inner_x = gx > 0.0 && gx < COUNTY_COLUMNS as f64;
        let inner_y = gy > 0.0 && gy < COUNTY_ROWS as f64;
        let wx = if inner_x {
            ((gy * 7.3).sin()) * 0.06
        } else {
            0.0
        };
        let wy = if inner_y {
            ((gx * 5.1).cos()) * 0.05
        } else {
            0.0
        };
        let r = |v: f64| (v * 10_000.0).round() / 10_000.0;
        [r(west + (gx + wx) * cw), r(north - (gy + wy) * ch)]
    };
    // A rectangle of the grid from (x0, y0) to (x1, y1), edges sampled every 1/6 cell.
    let rect = |x0: f64, y0: f64, x1: f64, y1: f64| -> Vec<[f64; 2]> {
        let steps = 6;
        let mut ring = Vec::new();
        let lerp = |a: f64, b: f64, i: usize, n: usize| a + (b - a) * i as f64 / n as f64;
        let nx = ((x1 - x0) * steps as f64).round().max(1.0) as usize;
        let ny = ((y1 - y0) * steps as f64).round().max(1.0) as usize;
        for i in 0..nx {
            ring.push(point(lerp(x0, x1, i, nx), y0));
        }
        for i in 0..ny {
            ring.push(point(x1, lerp(y0, y1, i, ny)));
        }
        for i in 0..nx {
            ring.push(point(lerp(x1, x0, i, nx), y1));
        }
        for i in 0..ny {
            ring.push(point(x0, lerp(y1, y0, i, ny)));
        }
        ring.push(ring[0]);
        ring
    };
    let mut features = Vec::new();
    let mut feature = |id: String, ring: Vec<[f64; 2]>| {
        let coords: Vec<String> = ring
            .iter()
            .map(|p| format!("[{},{}]", p[0], p[1]))
            .collect();
        features.push(format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"{id}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}}}",
            coords.join(",")
        ));
    };
    for (c, cid) in counties().iter().enumerate() {
        let (gx, gy) = ((c % COUNTY_COLUMNS) as f64, (c / COUNTY_COLUMNS) as f64);
        feature(cid.clone(), rect(gx, gy, gx + 1.0, gy + 1.0));
        let strip = 1.0 / PRECINCTS_PER_COUNTY as f64;
        for p in 0..PRECINCTS_PER_COUNTY {
            let x0 = gx + p as f64 * strip;
            feature(
                format!("{cid}-p{}", p + 1),
                rect(x0, gy, x0 + strip, gy + 1.0),
            );
        }
    }
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        features.join(",")
    )
}
