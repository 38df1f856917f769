//! The Norwegian Storting 2021 as an election definition with a multi-constituency seat
//! system (19 county units with district and levelling seats), fed through the ledger and the
//! tally as signed results statements: the live seats must reproduce every officially
//! published seat per party and county, levelling seats included (`testdata/seats`).

use std::collections::BTreeMap;
use std::sync::Arc;

use skytale_model::{
    Contest, ContestKind, Definition, Ledger, Party, PublicationPolicy, Reporter, SeatRules,
    Selection, Statement, Unit,
};
use skytale_seats::SystemRules;
use skytale_tally::{LogPosition, ResultsDoc, Tally};
use skytale_testkit as kit;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/seats");

/// `(county, party, votes, seats)` of the published result; fails when the data is missing.
fn published() -> Vec<(String, String, u64, u32)> {
    let path = format!("{DATA}/no_storting_2021.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rows: Vec<_> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{path}: {l}");
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    assert!(rows.len() > 100, "{path} has {} rows", rows.len());
    rows
}

/// `(county, party) → levelling seats` of the published result.
fn published_levelling() -> BTreeMap<(String, String), u32> {
    let path = format!("{DATA}/no_storting_2021_levelling.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[0].into(), f[1].into()), f[2].parse().unwrap())
        })
        .collect()
}

/// A selection id for a party label (`RØDT` → `rodt`): ids are ASCII.
fn slug(label: &str) -> String {
    label
        .to_lowercase()
        .replace('ø', "o")
        .replace('å', "a")
        .replace('æ', "ae")
}

fn en(s: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("en".to_string(), s.to_string())])
}

struct Storting {
    rows: Vec<(String, String, u64, u32)>,
    /// County names in order; county `k` is unit `c{k:02}` with polling stations `-a`, `-b`.
    counties: Vec<String>,
    parties: Vec<String>,
    def: Definition,
}

fn storting(k: &kit::Keys) -> Storting {
    let rows = published();
    let mut counties: Vec<(String, u32)> = Vec::new();
    let mut parties: Vec<String> = Vec::new();
    for r in &rows {
        match counties.iter_mut().find(|c| c.0 == r.0) {
            Some(c) => c.1 += r.3,
            None => counties.push((r.0.clone(), r.3)),
        }
        if !parties.contains(&r.1) {
            parties.push(r.1.clone());
        }
    }
    assert_eq!(counties.len(), 19);
    let unit = |n: usize| format!("c{:02}", n + 1);
    let mut units = vec![Unit {
        id: "norge".into(),
        name: en("Norway"),
        parent: None,
        level: Some("nation".into()),
        registered: None,
        ocd_id: None,
    }];
    for (n, (name, _)) in counties.iter().enumerate() {
        units.push(Unit {
            id: unit(n),
            name: en(name),
            parent: Some("norge".into()),
            level: Some("county".into()),
            registered: None,
            ocd_id: None,
        });
        for half in ["a", "b"] {
            units.push(Unit {
                id: format!("{}-{half}", unit(n)),
                name: en(&format!("{name} {half}")),
                parent: Some(unit(n)),
                level: Some("polling_station".into()),
                registered: None,
                ocd_id: None,
            });
        }
    }
    let with_units: Vec<(String, u32)> = counties
        .iter()
        .enumerate()
        .map(|(n, c)| (unit(n), c.1))
        .collect();
    let def = Definition {
        id: "no-storting-2021".into(),
        name: en("Storting election 2021"),
        date: "2021-09-13".into(),
        default_language: "en".into(),
        languages: vec!["en".into()],
        origin: None,
        authority_key: k.authority.verifier(),
        units,
        parties: parties
            .iter()
            .map(|p| Party {
                id: slug(p),
                name: en(p),
                abbreviation: None,
                color: None,
            })
            .collect(),
        contests: vec![Contest {
            id: "storting".into(),
            name: en("Storting"),
            kind: ContestKind::PartyList,
            area: vec!["norge".into()],
            votes_allowed: 1,
            selections: parties
                .iter()
                .map(|p| Selection {
                    id: slug(p),
                    name: en(p),
                    party: Some(slug(p)),
                    write_in: false,
                })
                .collect(),
            seats: Some(SeatRules::System(SystemRules::norway(&with_units))),
            tabulation: None,
            group: None,
        }],
        reporters: vec![Reporter {
            name: "Valgdirektoratet".into(),
            key: k.north.verifier(),
            scope: vec!["norge".into()],
        }],
        publication: PublicationPolicy::default(),
        witnesses: None,
        test: false,
        previous: None,
        groups: Vec::new(),
        locale: None,
        map: None,
    };
    Storting {
        rows,
        counties: counties.into_iter().map(|c| c.0).collect(),
        parties,
        def,
    }
}

fn pos(n: u64) -> LogPosition {
    LogPosition {
        tree_size: n,
        root_hash: "AAAA".into(),
        published_at: None,
    }
}

/// The two polling stations' statements of county `n`: half of each list's votes, and the rest.
fn county_statements(s: &Storting, n: usize) -> Vec<String> {
    ["a", "b"]
        .iter()
        .map(|half| {
            let sel: Vec<String> = s
                .rows
                .iter()
                .filter(|r| r.0 == s.counties[n])
                .map(|r| {
                    let v = if *half == "a" { r.2 / 2 } else { r.2 - r.2 / 2 };
                    format!(r#""{}":{{"total":{v}}}"#, slug(&r.1))
                })
                .collect();
            format!(
                r#"{{"type":"results","election":"no-storting-2021","unit":"c{:02}-{half}","version":1,"status":"complete","submitted_at":"2021-09-14T12:00:00Z","contests":[{{"contest":"storting","selections":{{{}}}}}]}}"#,
                n + 1,
                sel.join(",")
            )
        })
        .collect()
}

/// Admits and applies statements through the ledger; every one must be accepted cleanly.
fn feed(k: &kit::Keys, ledger: &mut Ledger, tally: &mut Tally, jsons: &[String]) {
    for json in jsons {
        let bytes = kit::sign(&k.north, json);
        let a = ledger
            .check(&bytes, &|_| None)
            .unwrap_or_else(|e| panic!("refused: {e:?}\n{json}"));
        assert!(a.issues.is_empty(), "{:?}", a.issues);
        ledger.commit(&a);
        match &a.verified.statement {
            Statement::Results(r) => tally.apply(r),
            _ => unreachable!(),
        }
    }
}

fn seats_json(doc: &ResultsDoc) -> serde_json::Value {
    serde_json::from_slice::<serde_json::Value>(&doc.to_bytes()).unwrap()["contests"][0].clone()
}

#[test]
fn storting_2021_live_seats_reproduce_every_published_seat() {
    let k = kit::keys();
    let s = storting(&k);
    let head = kit::head(&k, &s.def);
    let mut ledger = Ledger::genesis(&head, Some(&k.authority.verifier())).unwrap();
    let mut tally = Tally::new(ledger.definition().clone());

    // Before any result: every county pending, no seat.
    let doc = tally.document(&pos(ledger.size()));
    let c = &doc.contests[0];
    let sr = c.seat_allocation.as_ref().unwrap();
    assert_eq!(sr.pending.as_deref(), Some("no votes counted yet"));
    assert_eq!(sr.system.as_ref().unwrap().pending.len(), 19);
    assert!(c.seats.as_ref().unwrap().values().all(|n| *n == 0));

    // Ten counties in: their district seats are live, levelling waits for the other nine.
    for n in 0..10 {
        feed(&k, &mut ledger, &mut tally, &county_statements(&s, n));
    }
    let doc = tally.document(&pos(ledger.size()));
    let c = &doc.contests[0];
    let sr = c.seat_allocation.as_ref().unwrap();
    let sys = sr.system.as_ref().unwrap();
    assert_eq!(sys.pending.len(), 9);
    assert_eq!(sys.pending[0], "c11");
    assert!(sys.levelling.is_none());
    assert!(sr.pending.as_deref().unwrap().contains("9 of 19"), "{sr:?}");
    let district_so_far: u32 = c.seats.as_ref().unwrap().values().sum();
    let expected: u32 = s
        .rows
        .iter()
        .filter(|r| s.counties[..10].contains(&r.0))
        .map(|r| r.3)
        .sum::<u32>()
        - 10;
    assert_eq!(
        district_so_far, expected,
        "district seats of the ten counties"
    );
    // One polling station of a county alone already gives that county's district seats.
    feed(&k, &mut ledger, &mut tally, &county_statements(&s, 10)[..1]);
    let doc = tally.document(&pos(ledger.size()));
    let sys = doc.contests[0]
        .seat_allocation
        .as_ref()
        .unwrap()
        .system
        .clone()
        .unwrap();
    assert_eq!(sys.pending.len(), 8);
    feed(&k, &mut ledger, &mut tally, &county_statements(&s, 10)[1..]);
    for n in 11..19 {
        feed(&k, &mut ledger, &mut tally, &county_statements(&s, n));
    }

    // Every county in: the published result, seat for seat.
    let doc = tally.document(&pos(ledger.size()));
    let c = &doc.contests[0];
    let sr = c.seat_allocation.as_ref().unwrap();
    assert_eq!(sr.pending, None);
    let sys = sr.system.as_ref().unwrap();
    assert!(sys.pending.is_empty());
    let lev = published_levelling();
    for r in &s.rows {
        let n = s.counties.iter().position(|c| *c == r.0).unwrap();
        let cr = &sys.constituencies[n];
        assert_eq!(cr.id, format!("c{:02}", n + 1));
        let party = slug(&r.1);
        assert_eq!(cr.seats_of(&party), r.3, "seats of {} in {}", r.1, r.0);
        let l = lev.get(&(r.0.clone(), r.1.clone())).copied().unwrap_or(0);
        assert_eq!(
            cr.levelling.get(&party).copied().unwrap_or(0),
            l,
            "levelling seats of {} in {}",
            r.1,
            r.0
        );
    }
    assert_eq!(
        sys.constituencies
            .iter()
            .map(|c| c.levelling.values().sum::<u32>())
            .sum::<u32>(),
        19
    );
    let mut national: BTreeMap<String, u32> = BTreeMap::new();
    let mut national_levelling: BTreeMap<String, u32> = BTreeMap::new();
    for r in &s.rows {
        *national.entry(slug(&r.1)).or_default() += r.3;
    }
    for ((_, p), n) in &lev {
        *national_levelling.entry(slug(p)).or_default() += n;
    }
    for p in &s.parties {
        let id = slug(p);
        assert_eq!(
            c.seats.as_ref().unwrap()[&id],
            national[&id],
            "{p} nationally"
        );
        let np = sys.parties.iter().find(|x| x.party == id).unwrap();
        assert_eq!(
            np.levelling_seats,
            national_levelling.get(&id).copied().unwrap_or(0),
            "levelling seats of {p}"
        );
    }
    assert_eq!(c.seats.as_ref().unwrap().values().sum::<u32>(), 169);
    let levelling = sys.levelling.as_ref().unwrap();
    assert_eq!(levelling.placements.len(), 19);
    assert_eq!(levelling.national.seats, levelling.seats_shared);

    // The document says it all in JSON, deterministically: a second tally fed the same
    // statements gives the same bytes.
    let json = seats_json(&doc);
    assert_eq!(json["seats"]["h"], 36);
    assert_eq!(
        json["seat_allocation"]["system"]["constituencies"][2]["id"],
        "c03"
    );
    assert!(json["seat_allocation"]["system"]["levelling"]["placements"].is_array());
    assert!(json["seat_allocation"]["system"]["parties"][0]["levelling_status"].is_object());
    let mut again = Tally::new(Arc::clone(ledger.definition()));
    let mut l2 = Ledger::genesis(&head, None).unwrap();
    for n in 0..19 {
        feed(&k, &mut l2, &mut again, &county_statements(&s, n));
    }
    assert_eq!(
        again.document(&pos(ledger.size())).to_bytes(),
        doc.to_bytes()
    );
}

/// The Storting 2017 figures as the definition's `previous` section: national votes and
/// seats per party standing in 2021 (all 2017 party votes as the base of the shares), and
/// each county's votes keyed by the 2021 county unit (the two files name counties alike).
fn previous_2017(s: &Storting) -> skytale_model::PreviousElection {
    let path = format!("{DATA}/no_storting_2017.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let standing: Vec<String> = s.parties.iter().map(|p| slug(p)).collect();
    let mut contest = skytale_model::PreviousContest {
        contest: "storting".into(),
        votes: BTreeMap::new(),
        valid_votes: Some(0),
        seats: BTreeMap::new(),
        units: BTreeMap::new(),
    };
    for l in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = l.split(',').collect();
        let (county, party, votes, seats): (&str, String, u64, u32) = (
            f[0],
            slug(f[1]),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
        );
        let n = s.counties.iter().position(|c| c == county).unwrap();
        let unit = contest
            .units
            .entry(format!("c{:02}", n + 1))
            .or_insert_with(|| skytale_model::PreviousFigures {
                votes: BTreeMap::new(),
                valid_votes: Some(0),
            });
        *unit.valid_votes.as_mut().unwrap() += votes;
        *contest.valid_votes.as_mut().unwrap() += votes;
        if standing.contains(&party) {
            *unit.votes.entry(party.clone()).or_default() += votes;
            *contest.votes.entry(party.clone()).or_default() += votes;
            *contest.seats.entry(party).or_default() += seats;
        }
    }
    skytale_model::PreviousElection {
        election: "no-storting-2017".into(),
        name: en("Storting election 2017"),
        tree_size: None,
        root_hash: None,
        contests: vec![contest],
    }
}

/// The comparison with the election before, on real data: the 2021 Storting fed in county by
/// county against the 2017 figures gives the changes in points that the data set's README
/// computes from the two files (published rounded to one decimal by Valgdirektoratet) and
/// the seats won and lost that Valgdirektoratet published.
#[test]
fn storting_2021_against_2017_reproduces_the_published_changes() {
    let k = kit::keys();
    let mut s = storting(&k);
    s.def.previous = Some(previous_2017(&s));
    let head = kit::head(&k, &s.def);
    let mut ledger = Ledger::genesis(&head, Some(&k.authority.verifier())).unwrap();
    let mut tally = Tally::new(ledger.definition().clone());
    for n in 0..19 {
        feed(&k, &mut ledger, &mut tally, &county_statements(&s, n));
    }
    let doc = tally.document(&pos(ledger.size()));
    let c = &doc.contests[0];
    let cmp = c.comparison.as_ref().expect("the contest is compared");
    assert_eq!(cmp.election, "no-storting-2017");
    assert_eq!(cmp.valid_votes_then, 2_926_836);
    let change = |p: &str| {
        let sc = cmp.selections.iter().find(|x| x.id == p).unwrap();
        (sc.change.clone(), sc.seat_change)
    };
    for (party, points, seats) in [
        ("a", "-1.12", -1),
        ("h", "-4.69", -9),
        ("frp", "-3.58", -6),
        ("sp", "+3.18", 9),
        ("rodt", "+2.31", 7),
        ("sv", "+1.62", 2),
        ("v", "+0.24", 0),
        ("krf", "-0.40", -5),
        ("mdg", "+0.70", 2),
    ] {
        assert_eq!(change(party), (points.to_string(), Some(seats)), "{party}");
    }
    assert!(
        cmp.selections.iter().all(|x| x.id != "pf"),
        "a party that did not stand in 2017 has no change"
    );
    // County by county: Oslo's change per party, from its own 2017 figures.
    let oslo = s.counties.iter().position(|c| c == "Oslo").unwrap();
    let oslo_id = format!("c{:02}", oslo + 1);
    let u = c.units.iter().find(|u| u.id == oslo_id).unwrap();
    let ch = u.change.as_ref().expect("Oslo is compared");
    let share_of = |file: &str, party: &str| {
        let text = std::fs::read_to_string(format!("{DATA}/{file}")).unwrap();
        let rows: Vec<(String, u64)> = text
            .lines()
            .skip(1)
            .filter(|l| l.starts_with("Oslo,"))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (slug(f[1]), f[2].parse().unwrap())
            })
            .collect();
        let all: u64 = rows.iter().map(|r| r.1).sum();
        let mine: u64 = rows.iter().filter(|r| r.0 == party).map(|r| r.1).sum();
        (mine, all)
    };
    let (h21, all21) = share_of("no_storting_2021.csv", "h");
    let (h17, all17) = share_of("no_storting_2017.csv", "h");
    assert_eq!(ch["h"], skytale_tally::share_change(h21, all21, h17, all17));
    assert!(
        ch["h"].starts_with('-'),
        "H lost ground in Oslo: {}",
        ch["h"]
    );
}
