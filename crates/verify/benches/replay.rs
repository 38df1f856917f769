//! Criterion: `verify` of a 20,000-statement published directory (the 200,000-statement
//! bound is checked by `tests/bench_200k.rs`).

#[path = "../tests/big/mod.rs"]
mod big;

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let site = rt.block_on(big::build(dir.path(), 500, 10, 20_000));
    let opts = skytale_verify::Options {
        source: site.to_str().unwrap().into(),
        ..Default::default()
    };
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.bench_function("20k statements from a directory", |b| {
        b.iter(|| {
            let r = rt.block_on(skytale_verify::verify(&opts));
            assert!(r.ok, "{}", r.to_text());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
