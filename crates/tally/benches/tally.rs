//! Folding results into the tally and rendering the results document, on a national-scale
//! synthetic geography (1 nation, 10 regions, 100 counties, 20,000 stations); and what live
//! seat allocation adds to the document of a European Parliament-sized party list (the German
//! EP 2019 lists: 32 lists, Sainte-Laguë, 96 seats), against the same contest without seats.

use std::collections::BTreeMap;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_model::{ResultsStatement, Statement};
use skytale_tally::{LogPosition, Tally};
use skytale_testkit as kit;

fn bench(c: &mut Criterion) {
    let k = kit::keys();
    let mut def = kit::definition(&k);
    // Replace the small geography with a large one under the same root.
    def.units.truncate(1);
    def.contests.retain(|c| c.id == "mayor");
    def.reporters.truncate(1);
    def.reporters[0].scope = vec!["nation".into()];
    let name = |s: String| BTreeMap::from([("en".to_string(), s)]);
    for r in 0..10 {
        def.units.push(skytale_model::Unit {
            id: format!("r{r}"),
            name: name(format!("R{r}")),
            parent: Some("nation".into()),
            level: None,
            registered: None,
            ocd_id: None,
        });
        for c in 0..10 {
            def.units.push(skytale_model::Unit {
                id: format!("r{r}c{c}"),
                name: name(format!("C{c}")),
                parent: Some(format!("r{r}")),
                level: None,
                registered: None,
                ocd_id: None,
            });
            for s in 0..200 {
                def.units.push(skytale_model::Unit {
                    id: format!("r{r}c{c}s{s}"),
                    name: name(format!("S{s}")),
                    parent: Some(format!("r{r}c{c}")),
                    level: None,
                    registered: Some(1000),
                    ocd_id: None,
                });
            }
        }
    }
    let def = Arc::new(def.validate().unwrap());
    let stations: Vec<ResultsStatement> = def
        .units()
        .iter()
        .filter(|u| u.registered.is_some())
        .enumerate()
        .map(|(i, u)| {
            match Statement::parse(&kit::results_json(
                &u.id,
                1,
                &kit::mayor(300 + i as u64 % 50, 200, 520),
            ))
            .unwrap()
            {
                Statement::Results(r) => r,
                _ => unreachable!(),
            }
        })
        .collect();
    let pos = LogPosition {
        tree_size: 1,
        root_hash: String::new(),
        published_at: None,
    };
    c.bench_function("tally: fold 20,000 station reports", |b| {
        b.iter(|| {
            let mut t = Tally::new(def.clone());
            for s in &stations {
                t.apply(s);
            }
            t
        })
    });
    let mut t = Tally::new(def.clone());
    for s in &stations {
        t.apply(s);
    }
    c.bench_function("tally: render the whole results document", |b| {
        b.iter(|| t.document(&pos).to_bytes())
    });
    c.bench_function("tally: render one contest, all 20,111 units", |b| {
        b.iter(|| t.contest_document("mayor", &pos))
    });
}

/// The German EP 2019 votes (`testdata/seats/de_ep2019.csv`; missing data fails).
fn de_ep2019() -> Vec<u64> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/seats/de_ep2019.csv"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect()
}

fn bench_seats(c: &mut Criterion) {
    let votes = de_ep2019();
    let k = kit::keys();
    let mut base = kit::definition(&k);
    base.units.truncate(1);
    base.reporters.truncate(1);
    base.reporters[0].scope = vec!["nation".into()];
    let name = |s: String| BTreeMap::from([("en".to_string(), s)]);
    for r in 0..10 {
        base.units.push(skytale_model::Unit {
            id: format!("r{r}"),
            name: name(format!("R{r}")),
            parent: Some("nation".into()),
            level: None,
            registered: None,
            ocd_id: None,
        });
        for c in 0..10 {
            base.units.push(skytale_model::Unit {
                id: format!("r{r}c{c}"),
                name: name(format!("C{c}")),
                parent: Some(format!("r{r}")),
                level: None,
                registered: None,
                ocd_id: None,
            });
            for s in 0..200 {
                base.units.push(skytale_model::Unit {
                    id: format!("r{r}c{c}s{s}"),
                    name: name(format!("S{s}")),
                    parent: Some(format!("r{r}c{c}")),
                    level: None,
                    registered: Some(3000),
                    ocd_id: None,
                });
            }
        }
    }
    let with_rules = |seats: Option<skytale_model::SeatRules>| {
        let mut def = base.clone();
        let mut ep = def
            .contests
            .iter()
            .find(|c| c.id == "council")
            .unwrap()
            .clone();
        ep.selections = (0..votes.len())
            .map(|i| skytale_model::Selection {
                id: format!("l{i}"),
                name: name(format!("List {i}")),
                party: None,
                write_in: false,
            })
            .collect();
        ep.seats = seats;
        def.contests = vec![ep];
        Arc::new(def.validate().unwrap())
    };
    let seats = skytale_seats::Rules::new(skytale_seats::Method::SainteLague, 96);
    let defs = [
        ("with seats", with_rules(Some(seats.into()))),
        ("peer without seats", with_rules(None)),
    ];
    // Each station gets 1/20,000 of every list's national vote, with a small deterministic spread.
    let stations: Vec<ResultsStatement> = defs[0]
        .1
        .units()
        .iter()
        .filter(|u| u.registered.is_some())
        .enumerate()
        .map(|(s, u)| {
            let sels: Vec<String> = votes
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    format!(
                        "\"l{i}\":{{\"total\":{}}}",
                        v / 20_000 + (s as u64 * 7 + i as u64 * 13) % 5
                    )
                })
                .collect();
            let contest = format!(
                "{{\"contest\":\"council\",\"ballots\":3000,\"selections\":{{{}}}}}",
                sels.join(",")
            );
            match Statement::parse(&kit::results_json(&u.id, 1, &contest)).unwrap() {
                Statement::Results(r) => r,
                _ => unreachable!(),
            }
        })
        .collect();
    let pos = LogPosition {
        tree_size: 1,
        root_hash: String::new(),
        published_at: None,
    };
    let mut g =
        c.benchmark_group("tally: EP-sized party list (32 lists, 96 seats), 20,000 stations");
    for (label, def) in &defs {
        let mut t = Tally::new(def.clone());
        for s in &stations {
            t.apply(s);
        }
        let doc = t.document(&pos);
        assert_eq!(
            doc.contests[0]
                .seats
                .as_ref()
                .map(|m| m.values().sum::<u32>()),
            def.contests()[0].seats.as_ref().map(|_| 96)
        );
        g.bench_function(format!("results document, {label}"), |b| {
            b.iter(|| t.document(&pos))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_seats);
criterion_main!(benches);
