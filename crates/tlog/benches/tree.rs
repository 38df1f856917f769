//! Benchmarks: building a 200k-entry tree, and generating inclusion proofs in it.
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use skytale_tlog::Tree;

const N: u64 = 200_000;

fn build(n: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push_entry(&i.to_be_bytes());
    }
    t
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.sample_size(10);
    g.bench_function("push_entry x200k", |b| {
        b.iter_batched(|| (), |_| black_box(build(N)), BatchSize::SmallInput)
    });
    let t = build(N);
    g.bench_function("inclusion_proof (200k tree)", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % N;
            black_box(t.inclusion_proof(i, N).unwrap())
        })
    });
    g.bench_function("consistency_proof (200k tree)", |b| {
        let mut i = 1u64;
        b.iter(|| {
            i = (i + 7919) % N + 1;
            black_box(t.consistency_proof(i, N).unwrap())
        })
    });
    g.bench_function("root_at (200k tree)", |b| {
        b.iter(|| black_box(t.root_at(N - 1).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
