//! A ranked-choice contest on real data: the Minneapolis 2013 mayoral CVR (80,101 ballots, 6
//! `cvr` batches) admitted by the ledger (signatures and every ballot checked), folded into
//! the tally (cheap: ballots are only filed), tabulated when the document is built (33
//! rounds), and the document built again from the cache.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_model::{Ledger, Statement};
use skytale_tally::{LogPosition, Tally};
use skytale_testkit as kit;

fn bench(c: &mut Criterion) {
    let k = kit::keys();
    let (def, cfg) = kit::minneapolis_definition(&k);
    let batches = kit::minneapolis_cvr(&def, &cfg);
    let notes: Vec<Vec<u8>> = batches
        .iter()
        .map(|b| {
            k.north
                .sign_note(&Statement::Cvr(b.clone()).to_note_text())
                .unwrap()
                .to_bytes()
        })
        .collect();
    let head = kit::head(&k, &def);
    let ledger = Ledger::genesis(&head, None).unwrap();
    let valid = ledger.definition().clone();
    let pos = LogPosition {
        tree_size: 7,
        root_hash: String::new(),
        published_at: None,
    };
    let mut g = c.benchmark_group("minneapolis-2013-mayor");
    g.sample_size(10);
    g.bench_function("admit 6 cvr batches (verify_note + admit + commit)", |b| {
        b.iter(|| {
            let mut l = ledger.clone();
            for n in &notes {
                let a = l.check(n, &|_| None).unwrap();
                l.commit(&a);
            }
            l.size()
        })
    });
    let statements: Vec<Statement> = batches.iter().cloned().map(Statement::Cvr).collect();
    g.bench_function("fold 6 cvr batches into the tally", |b| {
        b.iter(|| {
            let mut t = Tally::new(Arc::clone(&valid));
            for s in &statements {
                t.apply_statement(s);
            }
            t.statements()
        })
    });
    let mut folded = Tally::new(Arc::clone(&valid));
    for s in &statements {
        folded.apply_statement(s);
    }
    g.bench_function("results document, tabulating (cold)", |b| {
        b.iter(|| {
            // A fresh tally has an empty cache: this tabulates all 33 rounds.
            let mut t = Tally::new(Arc::clone(&valid));
            for s in &statements {
                t.apply_statement(s);
            }
            t.document(&pos).to_bytes().len()
        })
    });
    let _ = folded.document(&pos);
    g.bench_function("results document, rounds from the cache", |b| {
        b.iter(|| folded.document(&pos).to_bytes().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
