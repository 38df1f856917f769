//! A realistic synthetic election, for `skytale demo`, `skytale bench ingest` and tests.
//!
//! Three levels below the nation (regions, counties, polling stations), names in English and
//! Greek, a presidential (candidate) contest, a referendum (ballot measure) and a party-list
//! parliament with seats. Everything is derived from a seed, so a test or a benchmark can be
//! rerun on the very same data.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skytale_model::{
    ByType, Contest, ContestKind, ContestReport, Count, CountType, Definition, LocalizedText,
    Party, PublicationPolicy, ReportStatus, Reporter, ResultsStatement, SeatRules, Selection, Unit,
};
use skytale_note::SigningKey;

/// The election plus the secret keys that go with it.
pub struct Synthetic {
    pub definition: Definition,
    pub authority: SigningKey,
    /// One reporting authority per region.
    pub reporters: Vec<SigningKey>,
    /// Polling stations: (unit id, index of the reporter, registered voters, region number).
    pub stations: Vec<Station>,
}

#[derive(Clone, Debug)]
pub struct Station {
    pub id: String,
    pub reporter: usize,
    pub registered: u64,
    pub region: usize,
}

fn text(en: String, el: String) -> LocalizedText {
    BTreeMap::from([("en".to_string(), en), ("el".to_string(), el)])
}

const PARTIES: [(&str, &str, &str, &str); 6] = [
    ("blue", "Blue Alliance", "Γαλάζια Συμμαχία", "#1f4e9c"),
    ("red", "Red Front", "Κόκκινο Μέτωπο", "#b3261e"),
    ("green", "Greens", "Πράσινοι", "#2e7d32"),
    ("yellow", "Liberal Union", "Φιλελεύθερη Ένωση", "#8a6d00"),
    ("purple", "Pirate Party", "Κόμμα Πειρατών", "#6a1b9a"),
    ("grey", "Independents' List", "Λίστα Ανεξαρτήτων", "#555555"),
];
const CANDIDATES: [(&str, &str, &str, &str); 4] = [
    ("c-andreou", "Maria Andreou", "Μαρία Ανδρέου", "blue"),
    ("c-brennan", "Liam Brennan", "Λίαμ Μπρέναν", "red"),
    ("c-costa", "Inês Costa", "Ινές Κόστα", "green"),
    ("c-dvorak", "Tomáš Dvořák", "Τόμας Ντβόρζακ", "yellow"),
];
/// Relative strength of the parties / candidates, shifted per region.
const WEIGHTS: [u64; 6] = [34, 28, 14, 12, 7, 5];

/// Builds the election. `stations` polling stations; keys are random unless `seed_keys`.
pub fn election(
    id: &str,
    stations: usize,
    seed: u64,
    seed_keys: bool,
) -> anyhow::Result<Synthetic> {
    let stations = stations.max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let key = |name: &str, n: u64| -> anyhow::Result<SigningKey> {
        if seed_keys {
            let mut seed_bytes = [0u8; 32];
            seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
            seed_bytes[8..16].copy_from_slice(&n.to_le_bytes());
            Ok(SigningKey::from_seed(name, seed_bytes)?)
        } else {
            Ok(SigningKey::generate(name)?)
        }
    };
    let regions = (stations / 500).clamp(2, 13);
    let counties_per_region = (stations / (regions * 40)).clamp(1, 20);
    let authority = key(&format!("{id}-authority"), 0)?;
    let mut units = vec![Unit {
        id: "nation".into(),
        name: text(
            "Republic of Skytalia".into(),
            "Δημοκρατία της Σκυταλίας".into(),
        ),
        parent: None,
        level: Some("nation".into()),
        registered: None,
        ocd_id: None,
    }];
    let mut reporters = Vec::new();
    let mut reporter_defs = Vec::new();
    for r in 1..=regions {
        let rid = format!("r{r:02}");
        units.push(Unit {
            id: rid.clone(),
            name: text(format!("Region {r}"), format!("Περιφέρεια {r}")),
            parent: Some("nation".into()),
            level: Some("region".into()),
            registered: None,
            ocd_id: None,
        });
        for c in 1..=counties_per_region {
            units.push(Unit {
                id: format!("{rid}-c{c:02}"),
                name: text(format!("County {r}.{c}"), format!("Νομός {r}.{c}")),
                parent: Some(rid.clone()),
                level: Some("county".into()),
                registered: None,
                ocd_id: None,
            });
        }
        let k = key(&format!("{id}-region-{r:02}"), r as u64)?;
        reporter_defs.push(Reporter {
            name: format!("Regional election office {r}"),
            key: k.verifier(),
            scope: vec![rid.clone()],
        });
        reporters.push(k);
    }
    let mut station_list = Vec::with_capacity(stations);
    for s in 0..stations {
        let r = s % regions;
        let c = (s / regions) % counties_per_region;
        let id = format!("r{:02}-c{:02}-ps{:06}", r + 1, c + 1, s + 1);
        let registered = rng.gen_range(300..1500);
        units.push(Unit {
            id: id.clone(),
            name: text(
                format!("Polling station {}", s + 1),
                format!("Εκλογικό τμήμα {}", s + 1),
            ),
            parent: Some(format!("r{:02}-c{:02}", r + 1, c + 1)),
            level: Some("polling_station".into()),
            registered: Some(registered),
            ocd_id: None,
        });
        station_list.push(Station {
            id,
            reporter: r,
            registered,
            region: r,
        });
    }
    let parties = PARTIES
        .iter()
        .map(|(pid, en, el, color)| Party {
            id: (*pid).into(),
            name: text((*en).into(), (*el).into()),
            abbreviation: None,
            color: Some((*color).into()),
        })
        .collect();
    let contests = vec![
        Contest {
            id: "president".into(),
            name: text(
                "President of the Republic".into(),
                "Πρόεδρος της Δημοκρατίας".into(),
            ),
            kind: ContestKind::Candidate,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: CANDIDATES
                .iter()
                .map(|(cid, en, el, party)| Selection {
                    id: (*cid).into(),
                    name: text((*en).into(), (*el).into()),
                    party: Some((*party).into()),
                    write_in: false,
                })
                .collect(),
            seats: None,
            tabulation: None,
            group: None,
        },
        Contest {
            id: "referendum".into(),
            name: text(
                "Referendum: lower the voting age to 16".into(),
                "Δημοψήφισμα: μείωση του ορίου ψήφου στα 16".into(),
            ),
            kind: ContestKind::BallotMeasure,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: vec![
                Selection {
                    id: "yes".into(),
                    name: text("Yes".into(), "Ναι".into()),
                    party: None,
                    write_in: false,
                },
                Selection {
                    id: "no".into(),
                    name: text("No".into(), "Όχι".into()),
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
            name: text("National Parliament".into(), "Εθνικό Κοινοβούλιο".into()),
            kind: ContestKind::PartyList,
            area: vec!["nation".into()],
            votes_allowed: 1,
            selections: PARTIES
                .iter()
                .map(|(pid, en, el, _)| Selection {
                    id: format!("list-{pid}"),
                    name: text((*en).into(), (*el).into()),
                    party: Some((*pid).into()),
                    write_in: false,
                })
                .collect(),
            seats: Some(parliament_rules()),
            tabulation: None,
            group: None,
        },
    ];
    let definition = Definition {
        id: id.to_string(),
        name: text(
            "General Election (synthetic demo)".into(),
            "Γενικές Εκλογές (συνθετική επίδειξη)".into(),
        ),
        date: "2026-11-25".into(),
        default_language: "en".into(),
        languages: vec!["en".into(), "el".into()],
        origin: Some(format!("skytale.invalid/{id}")),
        authority_key: authority.verifier(),
        units,
        parties,
        contests,
        reporters: reporter_defs,
        publication: PublicationPolicy::default(),
        witnesses: None,
        test: false,
        previous: None,
        groups: Vec::new(),
        locale: None,
        map: None,
    };
    Ok(Synthetic {
        definition,
        authority,
        reporters,
        stations: station_list,
    })
}

/// D'Hondt, 300 seats, 3 % national threshold.
fn parliament_rules() -> SeatRules {
    let mut rules = skytale_seats::Rules::new(skytale_seats::Method::Dhondt, 300);
    rules.threshold = Some(skytale_seats::Threshold {
        percent: skytale_seats::Fraction::from_int(3),
        scope: skytale_seats::Scope::Constituency,
        or_constituency_seats: None,
    });
    SeatRules::Single(rules)
}

fn split(rng: &mut StdRng, total: u64, weights: &[u64], bias: usize) -> Vec<u64> {
    let w: Vec<u64> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            w * 10 + if i == bias % weights.len() { 40 } else { 0 } + rng.gen_range(0..30)
        })
        .collect();
    let sum: u64 = w.iter().sum();
    let mut out: Vec<u64> = w.iter().map(|x| total * x / sum).collect();
    let given: u64 = out.iter().sum();
    out[0] += total - given;
    out
}

/// Votes split between election day and mail (5–25 % by mail), as a station reports them.
pub(crate) fn with_types(rng: &mut StdRng, votes: u64) -> ByType {
    let mail = votes * rng.gen_range(5..25) / 100;
    ByType::from_iter([
        (CountType::ElectionDay, Count::new(votes - mail)),
        (CountType::Mail, Count::new(mail)),
    ])
}

/// A plausible `results` statement for one polling station.
pub fn station_results(
    s: &Synthetic,
    station: &Station,
    version: u64,
    submitted_at: &str,
    rng: &mut StdRng,
) -> ResultsStatement {
    let ballots = station.registered * rng.gen_range(48..78) / 100;
    let invalid = ballots * rng.gen_range(0..3) / 100;
    let blank = ballots * rng.gen_range(0..2) / 100;
    let valid = ballots - invalid - blank;
    let mut contests = Vec::new();
    for c in &s.definition.contests {
        let weights: Vec<u64> = match c.kind {
            ContestKind::BallotMeasure => vec![52, 48],
            _ => WEIGHTS[..c.selections.len()].to_vec(),
        };
        let votes = split(rng, valid, &weights, station.region);
        contests.push(ContestReport {
            contest: c.id.clone(),
            ballots: Some(Count::new(ballots)),
            blank: Some(Count::new(blank)),
            invalid: Some(Count::new(invalid)),
            overvotes: None,
            undervotes: None,
            selections: c
                .selections
                .iter()
                .zip(votes)
                .map(|(sel, v)| (sel.id.clone(), with_types(rng, v)))
                .collect(),
        });
    }
    ResultsStatement {
        election: s.definition.id.clone(),
        unit: station.id.clone(),
        version,
        status: ReportStatus::Complete,
        submitted_at: submitted_at.to_string(),
        reason: (version > 1).then(|| "recount of the station's ballots".to_string()),
        source: None,
        contests,
    }
}

/// A generated earlier election of the same body, as the definition's `previous` section:
/// the president and the parliament with the parties' strength shifted, by county, region
/// and nation, and the parliament's seats then (D'Hondt over 300, as now). What the demo
/// compares with, so its pages show the change since an election.
pub fn earlier_figures(s: &Synthetic, seed: u64) -> skytale_model::PreviousElection {
    use skytale_model::{PreviousContest, PreviousElection, PreviousFigures};
    let mut rng = StdRng::seed_from_u64(seed);
    let def = &s.definition;
    // Registered voters per county (the stations' parent).
    let mut registered: BTreeMap<String, u64> = BTreeMap::new();
    for st in &s.stations {
        let county = st.id.rsplit_once("-ps").map_or(st.id.as_str(), |(c, _)| c);
        *registered.entry(county.to_string()).or_default() += st.registered;
    }
    let contests = ["president", "parliament"]
        .into_iter()
        .filter_map(|cid| def.contests.iter().find(|c| c.id == cid))
        .map(|c| {
            let n = c.selections.len();
            let mut units: BTreeMap<String, PreviousFigures> = BTreeMap::new();
            let mut add = |unit: &str, votes: &[u64]| {
                let f = units
                    .entry(unit.to_string())
                    .or_insert_with(|| PreviousFigures {
                        votes: BTreeMap::new(),
                        valid_votes: None,
                    });
                for (sel, v) in c.selections.iter().zip(votes) {
                    *f.votes.entry(sel.id.clone()).or_default() += v;
                }
            };
            for (county, reg) in &registered {
                let region = county.split_once('-').map_or(county.as_str(), |(r, _)| r);
                let bias = rng.gen_range(0..n);
                let cast = reg * rng.gen_range(50..70) / 100;
                let votes = split(&mut rng, cast, &WEIGHTS[..n], bias);
                add(county, &votes);
                add(region, &votes);
                add("nation", &votes);
            }
            let national = units
                .get("nation")
                .map(|f| f.votes.clone())
                .unwrap_or_default();
            let seats = match &c.seats {
                Some(SeatRules::Single(rules)) => {
                    let list: Vec<(&str, u64)> =
                        national.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                    // The same rules as now.
                    skytale_seats::allocate(rules, &list)
                        .map(|a| a.parties.into_iter().map(|p| (p.party, p.seats)).collect())
                        .unwrap_or_default()
                }
                _ => BTreeMap::new(),
            };
            PreviousContest {
                contest: c.id.clone(),
                votes: national,
                valid_votes: None,
                seats,
                units,
            }
        })
        .collect();
    PreviousElection {
        election: format!("{}-2022", def.id),
        name: text(
            "General Election 2022 (synthetic)".into(),
            "Γενικές Εκλογές 2022 (συνθετικές)".into(),
        ),
        tree_size: None,
        root_hash: None,
        contests,
    }
}
