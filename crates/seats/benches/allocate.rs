//! Allocation speed: 1,000 parties × 1,000 seats, a national EP allocation, the Storting.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_seats::{allocate, allocate_system, Method, Rules, SystemRules};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/seats");

fn rows(name: &str) -> Vec<(String, String, u64, u32)> {
    let path = format!("{DATA}/{name}");
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].into(),
                rec[1].into(),
                rec[2].parse().unwrap(),
                rec[3].parse().unwrap(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    // Deterministic pseudo-random vote counts (a linear congruential sequence).
    let mut x: u64 = 12345;
    let big: Vec<(String, u64)> = (0..1000)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (format!("P{i}"), 1_000 + (x >> 40) % 1_000_000)
        })
        .collect();
    c.bench_function("dhondt 1000 parties x 1000 seats", |b| {
        b.iter(|| allocate(&Rules::new(Method::Dhondt, 1000), black_box(&big)).unwrap())
    });
    c.bench_function("hare 1000 parties x 1000 seats", |b| {
        b.iter(|| allocate(&Rules::new(Method::Hare, 1000), black_box(&big)).unwrap())
    });

    let de = rows("de_ep2019.csv");
    let de_votes: Vec<(&str, u64)> = de.iter().map(|r| (r.1.as_str(), r.2)).collect();
    c.bench_function("EP 2019 Germany (Sainte-Lague, 96 seats, 32 lists)", |b| {
        b.iter(|| allocate(&Rules::new(Method::SainteLague, 96), black_box(&de_votes)).unwrap())
    });
    c.bench_function("EP 2019 Germany as Hare (96 seats, 32 lists)", |b| {
        b.iter(|| allocate(&Rules::new(Method::Hare, 96), black_box(&de_votes)).unwrap())
    });

    let no = rows("no_storting_2021.csv");
    let mut counties: Vec<(String, u32)> = Vec::new();
    for r in &no {
        match counties.iter_mut().find(|c| c.0 == r.0) {
            Some(c) => c.1 += r.3,
            None => counties.push((r.0.clone(), r.3)),
        }
    }
    let rules = SystemRules::norway(&counties);
    let votes: Vec<(&str, &str, u64)> = no
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2))
        .collect();
    c.bench_function("Storting 2021 (19 counties + levelling)", |b| {
        b.iter(|| allocate_system(&rules, black_box(&votes), None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
