//! Folding results into the tally and rendering the results document, on a national-scale
//! synthetic geography (1 nation, 10 regions, 100 counties, 20,000 stations).

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
        });
        for c in 0..10 {
            def.units.push(skytale_model::Unit {
                id: format!("r{r}c{c}"),
                name: name(format!("C{c}")),
                parent: Some(format!("r{r}")),
                level: None,
                registered: None,
            });
            for s in 0..200 {
                def.units.push(skytale_model::Unit {
                    id: format!("r{r}c{c}s{s}"),
                    name: name(format!("S{s}")),
                    parent: Some(format!("r{r}c{c}")),
                    level: None,
                    registered: Some(1000),
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

criterion_group!(benches, bench);
criterion_main!(benches);
