//! Held submissions are read a page at a time, per election, oldest first.

use skytale_store::Store;

#[test]
fn held_submissions_are_paged_by_id_and_kept_apart_per_election() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    for e in ["a", "b"] {
        store
            .create_election(e, "2026-11-26T00:00:00Z", &[b"head".to_vec()], b"cp")
            .unwrap();
    }
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            store
                .hold(
                    "a",
                    format!("note {i}").as_bytes(),
                    "[]",
                    "2026-11-26T01:00:00Z",
                )
                .unwrap(),
        );
        store
            .hold("b", b"other", "[]", "2026-11-26T01:00:00Z")
            .unwrap();
    }
    let first = store.held_page("a", 0, 2).unwrap();
    assert_eq!(first.iter().map(|r| r.id).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(first[0].note, b"note 0");
    assert_eq!(first[0].state, "held");
    let rest = store.held_page("a", first[1].id, 10).unwrap();
    assert_eq!(rest.iter().map(|r| r.id).collect::<Vec<_>>(), ids[2..]);
    assert!(store.held_page("a", ids[4], 10).unwrap().is_empty());
    assert!(store.held_page("a", 0, 0).unwrap().is_empty());
}
