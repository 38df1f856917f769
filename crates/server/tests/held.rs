//! Held submissions cannot be multiplied: a held note posted again (anyone who reads the
//! held list can) answers the first record and adds no row, and one key has a bounded number
//! waiting for review.

use futures_util::future::join_all;
use skytale_store::MAX_HELD_PER_KEY;
use skytale_testkit as kit;

mod common;
use common::{get_as, post, sign_in, start_state};
use skytale_server::{AppState, Limits, Rate};

fn implausible(k: &skytale_note::SigningKey, unit: &str, version: u64) -> Vec<u8> {
    kit::sign(
        k,
        &kit::results_json(unit, version, &kit::mayor(900, 900, 1200)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_note_posted_a_hundred_times_is_one_row_and_a_key_has_a_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kit::keys();
    {
        let store = skytale_store::Store::open(tmp.path()).unwrap();
        let def = kit::definition(&k);
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    // One key posts over a thousand notes here: the rate limits (their own tests are in
    // edge.rs) are lifted so this test sees the held bound alone.
    let no_limit = Rate {
        per_second: 0,
        burst: 0,
    };
    let limits = Limits {
        per_address: no_limit,
        per_key: no_limit,
        ..Limits::default()
    };
    let srv = start_state(AppState::open(tmp.path()).unwrap().with_limits(limits)).await;
    let b = srv.base.clone();
    let submissions = format!("{b}/api/v1/elections/test-2026/submissions");

    let note = implausible(&k.north, "n1", 2);
    let (s, first) = post(&submissions, note.clone()).await;
    assert_eq!(s, 202, "{first}");
    let id = first["held"]["id"].clone();
    for chunk in 0..10 {
        let answers = join_all((0..10).map(|_| post(&submissions, note.clone()))).await;
        for (s, again) in answers {
            assert_eq!(s, 202, "repost {chunk}: {again}");
            assert_eq!(again["held"]["id"], id, "the first record, not a new one");
        }
    }
    let approver = sign_in(&b, "test-2026", &k.approver).await;
    let held_url = format!("{b}/api/v1/elections/test-2026/held");
    let (_, _, list) = get_as(&held_url, approver["token"].as_str()).await;
    assert_eq!(list["held"].as_array().unwrap().len(), 1, "{list}");

    // The north office fills its bound with distinct implausible notes…
    for start in (3..MAX_HELD_PER_KEY + 2).step_by(50) {
        let end = (start + 50).min(MAX_HELD_PER_KEY + 2);
        let answers =
            join_all((start..end).map(|v| post(&submissions, implausible(&k.north, "n2", v))))
                .await;
        for (s, r) in answers {
            assert_eq!(s, 202, "{r}");
        }
    }
    // …and the next one is refused with its code, nothing stored.
    let (s, err) = post(&submissions, implausible(&k.north, "n2", 5_000)).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (429, Some("too_many_held")),
        "{err}"
    );
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&MAX_HELD_PER_KEY.to_string()));
    // A note already held still answers its record; another key is not affected.
    let (s, again) = post(&submissions, note).await;
    assert_eq!((s, &again["held"]["id"]), (202, &id), "{again}");
    let (s, south) = post(&submissions, implausible(&k.south, "s1", 2)).await;
    assert_eq!(s, 202, "{south}");
    srv.shutdown().await;
}
