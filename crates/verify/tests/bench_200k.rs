//! Issue 6's performance bound: verifying 200,000 results statements takes at most 60 s.
//! Run once, in release: `cargo test --release -p skytale-verify --test bench_200k -- --ignored --nocapture`.
//! The default (debug) run checks the same path on 2,000 statements.

mod big;

async fn run(statements: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let site = big::build(dir.path(), 500, 10, statements).await;
    eprintln!(
        "built {statements} statements in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let opts = skytale_verify::Options {
        source: site.to_str().unwrap().into(),
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let r = skytale_verify::verify(&opts).await;
    let secs = t.elapsed().as_secs_f64();
    assert!(r.ok, "{}", r.to_text());
    eprintln!("{}", r.to_text());
    eprintln!("verified {statements} results statements in {secs:.1} s");
    secs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifies_a_small_log() {
    run(2_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "200k statements: run once with --release"]
async fn verifies_200k_statements_within_60_s() {
    let secs = run(200_000).await;
    assert!(secs <= 60.0, "took {secs:.1} s");
}
