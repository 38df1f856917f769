//! A small synthetic election for the tests: a nation of 2 regions × 2 counties × 2 polling
//! stations, names in English, Greek and Maltese, a candidate contest, a referendum (no
//! parties, so palette colours) and a party list with D'Hondt seats. Results are a pure
//! function of a seed, so snapshots are stable.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use skytale_model::{
    ByType, Contest, ContestKind, ContestReport, Count, CountType, Definition, LocalizedText,
    Party, PublicationPolicy, ReportStatus, Reporter, ResultsStatement, Selection, Unit,
    ValidDefinition,
};
use skytale_note::SigningKey;
use skytale_tally::{LogPosition, Tally};

pub fn text(en: &str, el: &str, mt: &str) -> LocalizedText {
    BTreeMap::from([
        ("en".to_string(), en.to_string()),
        ("el".to_string(), el.to_string()),
        ("mt".to_string(), mt.to_string()),
    ])
}

fn key(name: &str, n: u8) -> SigningKey {
    SigningKey::from_seed(name, [n; 32]).unwrap()
}

pub const STATIONS: [&str; 8] = [
    "r1-c1-ps1",
    "r1-c1-ps2",
    "r1-c2-ps1",
    "r1-c2-ps2",
    "r2-c1-ps1",
    "r2-c1-ps2",
    "r2-c2-ps1",
    "r2-c2-ps2",
];

pub fn definition() -> Arc<ValidDefinition> {
    let mut units = vec![Unit {
        id: "nation".into(),
        name: text(
            "Republic of Skytalia",
            "Δημοκρατία της Σκυταλίας",
            "Repubblika tas-Skytalja",
        ),
        parent: None,
        level: Some("nation".into()),
        registered: None,
        ocd_id: None,
    }];
    for r in 1u32..=2 {
        units.push(Unit {
            id: format!("r{r}"),
            name: text(
                &format!("Region {r}"),
                &format!("Περιφέρεια {r}"),
                &format!("Reġjun {r}"),
            ),
            parent: Some("nation".into()),
            level: Some("region".into()),
            registered: None,
            ocd_id: None,
        });
        for c in 1..=2 {
            units.push(Unit {
                id: format!("r{r}-c{c}"),
                // No Maltese name: falls back to the default language.
                name: BTreeMap::from([
                    ("en".into(), format!("County {r}.{c}")),
                    ("el".into(), format!("Νομός {r}.{c}")),
                ]),
                parent: Some(format!("r{r}")),
                level: Some("county".into()),
                registered: None,
                ocd_id: None,
            });
            for p in 1..=2 {
                units.push(Unit {
                    id: format!("r{r}-c{c}-ps{p}"),
                    name: text(
                        &format!("Polling station {r}.{c}.{p}"),
                        &format!("Εκλογικό τμήμα {r}.{c}.{p}"),
                        &format!("Kabina {r}.{c}.{p}"),
                    ),
                    parent: Some(format!("r{r}-c{c}")),
                    level: Some("polling_station".into()),
                    registered: Some(1000 + 100 * u64::from(r * c * p)),
                    ocd_id: None,
                });
            }
        }
    }
    let parties = [
        ("blue", "Blue Alliance", "#1f4e9c"),
        ("red", "Red Front", "#b3261e"),
        ("green", "Greens & <Friends>", "#2e7d32"),
    ]
    .iter()
    .map(|(id, en, c)| Party {
        id: (*id).into(),
        name: text(en, en, en),
        abbreviation: None,
        color: Some((*c).into()),
    })
    .collect();
    let mut rules = skytale_seats::Rules::new(skytale_seats::Method::Dhondt, 10);
    rules.threshold = None;
    let contests = vec![
        Contest {
            id: "president".into(),
            name: text("President", "Πρόεδρος", "President"),
            kind: ContestKind::Candidate,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: vec![
                Selection {
                    id: "andreou".into(),
                    name: text("Maria Andreou", "Μαρία Ανδρέου", "Maria Andreou"),
                    party: Some("blue".into()),
                    write_in: false,
                },
                Selection {
                    id: "brennan".into(),
                    name: text("Liam Brennan", "Λίαμ Μπρέναν", "Liam Brennan"),
                    party: Some("red".into()),
                    write_in: false,
                },
                Selection {
                    id: "costa".into(),
                    name: text("Inês Costa", "Ινές Κόστα", "Inês Costa"),
                    party: Some("green".into()),
                    write_in: false,
                },
            ],
            seats: None,
            tabulation: None,
            group: None,
        },
        Contest {
            id: "referendum".into(),
            name: text(
                "Referendum: voting age 16",
                "Δημοψήφισμα: ψήφος στα 16",
                "Referendum: vot fl-età ta' 16",
            ),
            kind: ContestKind::BallotMeasure,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: vec![
                Selection {
                    id: "yes".into(),
                    name: text("Yes", "Ναι", "Iva"),
                    party: None,
                    write_in: false,
                },
                Selection {
                    id: "no".into(),
                    name: text("No", "Όχι", "Le"),
                    party: None,
                    write_in: false,
                },
            ],
            seats: None,
            tabulation: None,
            group: None,
        },
        Contest {
            id: "parliament".into(),
            name: text("Parliament", "Βουλή", "Parlament"),
            kind: ContestKind::PartyList,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: [
                ("blue", "Blue Alliance"),
                ("red", "Red Front"),
                ("green", "Greens & <Friends>"),
            ]
            .iter()
            .map(|(p, n)| Selection {
                id: format!("list-{p}"),
                name: text(n, n, n),
                party: Some((*p).into()),
                write_in: false,
            })
            .collect(),
            seats: Some(rules.into()),
            tabulation: None,
            group: None,
        },
    ];
    let def = Definition {
        id: "demo".into(),
        name: text("General Election", "Γενικές Εκλογές", "Elezzjoni Ġenerali"),
        date: "2026-11-25".into(),
        default_language: "en".into(),
        languages: vec!["en".into(), "el".into(), "mt".into()],
        origin: Some("results.example.org/demo".into()),
        authority_key: key("authority", 1).verifier(),
        units,
        parties,
        contests,
        reporters: vec![
            Reporter {
                name: "Region 1".into(),
                key: key("r1", 2).verifier(),
                scope: vec!["r1".into()],
            },
            Reporter {
                name: "Region 2".into(),
                key: key("r2", 3).verifier(),
                scope: vec!["r2".into()],
            },
        ],
        publication: PublicationPolicy::default(),
        witnesses: None,
        test: false,
        previous: None,
        groups: Vec::new(),
        locale: None,
        map: None,
    };
    Arc::new(def.validate().unwrap())
}

/// The same election with the parliament elected as a multi-constituency system: the two
/// regions, Sainte-Laguë, 4 and 3 district seats and one levelling seat each (4 % nationally).
#[allow(dead_code)] // not every test binary uses it
pub fn system_definition() -> Arc<ValidDefinition> {
    let mut def = definition().definition().clone();
    let system: skytale_seats::SystemRules = serde_json::from_str(
        r#"{ "method": "sainte-lague",
             "constituencies": [ { "id": "r1", "seats": 4, "levelling_seats": 1 },
                                 { "id": "r2", "seats": 3, "levelling_seats": 1 } ],
             "levelling": { "threshold": { "percent": "4", "scope": "national" } } }"#,
    )
    .unwrap();
    for c in def.contests.iter_mut().filter(|c| c.id == "parliament") {
        c.seats = Some(system.clone().into());
    }
    Arc::new(def.validate().unwrap())
}

/// Deterministic results of station `i` (0..8) at `version`.
pub fn station(def: &ValidDefinition, i: usize, version: u64) -> ResultsStatement {
    let registered = def.units()[def.unit_index(STATIONS[i]).unwrap()]
        .registered
        .unwrap();
    let ballots = registered * (55 + (i as u64 * 7) % 20) / 100 + version;
    let mut contests = Vec::new();
    for c in def.contests() {
        let n = c.selections.len() as u64;
        let mut left = ballots - 10;
        let mut selections = BTreeMap::new();
        for (j, s) in c.selections.iter().enumerate() {
            let v = if j as u64 == n - 1 {
                left
            } else {
                left * (40 + ((i + j * 3) as u64 * 11) % 30) / 100
            };
            left -= v;
            let mail = v / 5;
            selections.insert(
                s.id.clone(),
                ByType::from_iter([
                    (CountType::ElectionDay, Count::new(v - mail)),
                    (CountType::Mail, Count::new(mail)),
                ]),
            );
        }
        contests.push(ContestReport {
            contest: c.id.clone(),
            ballots: Some(Count::new(ballots)),
            blank: Some(Count::new(4)),
            invalid: Some(Count::new(6)),
            overvotes: None,
            undervotes: None,
            selections,
        });
    }
    ResultsStatement {
        election: def.id().to_string(),
        unit: STATIONS[i].to_string(),
        version,
        status: ReportStatus::Complete,
        submitted_at: format!("2026-11-25T20:{:02}:00Z", 10 + i),
        reason: None,
        source: None,
        contests,
    }
}

/// A tally with the first `n` stations reported.
pub fn tally(def: &Arc<ValidDefinition>, n: usize) -> Tally {
    let mut t = Tally::new(def.clone());
    for i in 0..n {
        t.apply(&station(def, i, 1));
    }
    t
}

pub fn pos(size: u64) -> LogPosition {
    LogPosition {
        tree_size: size,
        root_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        published_at: Some(format!("2026-11-25T21:{:02}:00Z", size % 60)),
    }
}

/// A small GeoJSON of the two regions and four counties (squares around 35°N 25°E).
pub fn boundaries() -> String {
    let sq = |x0: f64, y0: f64, w: f64, h: f64| {
        format!(
            "[[[{x0},{y0}],[{},{y0}],[{},{}],[{x0},{}],[{x0},{y0}]]]",
            x0 + w,
            x0 + w,
            y0 + h,
            y0 + h
        )
    };
    let feat = |id: &str, geom: String| {
        format!("{{\"type\":\"Feature\",\"properties\":{{\"id\":\"{id}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{geom}}}}}")
    };
    let feats = [
        feat("r1", sq(24.0, 35.0, 1.0, 1.0)),
        feat("r2", sq(25.0, 35.0, 1.0, 1.0)),
        feat("r1-c1", sq(24.0, 35.0, 0.5, 1.0)),
        feat("r1-c2", sq(24.5, 35.0, 0.5, 1.0)),
        feat("r2-c1", sq(25.0, 35.0, 0.5, 1.0)),
        feat("r2-c2", sq(25.5, 35.0, 0.5, 1.0)),
    ];
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        feats.join(",")
    )
}
