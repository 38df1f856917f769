//! Properties every allocation must have, on random vote counts.

use proptest::prelude::*;
use skytale_seats::{allocate, Kind, Method, Rules, TieRule, METHODS};

fn rules(m: Method, seats: u32) -> Rules {
    let mut r = Rules::new(m, seats);
    // Both criteria are independent of the input order.
    r.tie_break = vec![TieRule::MostVotes, TieRule::Lot];
    r.lot_seed = Some("proptest".into());
    r
}

fn votes() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(0u64..5_000, 1..9)
}

fn method() -> impl Strategy<Value = Method> {
    (0..METHODS.len()).prop_map(|i| METHODS[i].0)
}

fn divisor_method() -> impl Strategy<Value = Method> {
    prop::sample::select(
        METHODS
            .iter()
            .map(|m| m.0)
            .filter(|m| m.kind() == Kind::HighestAverages)
            .collect::<Vec<_>>(),
    )
}

fn named(v: &[u64]) -> Vec<(String, u64)> {
    v.iter()
        .enumerate()
        .map(|(i, v)| (format!("P{i}"), *v))
        .collect()
}

proptest! {
    #[test]
    fn total_seats_are_exact(m in method(), v in votes(), seats in 1u32..60) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let a = allocate(&rules(m, seats), &named(&v)).unwrap();
        prop_assert_eq!(a.parties.iter().map(|p| p.seats).sum::<u32>(), seats);
    }

    #[test]
    fn divisor_methods_are_house_monotone(m in divisor_method(), v in votes(), seats in 1u32..60) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let a = allocate(&rules(m, seats), &named(&v)).unwrap();
        let b = allocate(&rules(m, seats + 1), &named(&v)).unwrap();
        for (x, y) in a.parties.iter().zip(&b.parties) {
            prop_assert!(y.seats >= x.seats, "{} lost a seat going to {} seats", x.party, seats + 1);
        }
    }

    #[test]
    fn input_order_does_not_matter(m in method(), v in votes(), seats in 1u32..60, rot in 0usize..9) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let mut rows = named(&v);
        let a = allocate(&rules(m, seats), &rows).unwrap();
        rows.reverse();
        let k = rot % rows.len();
        rows.rotate_left(k);
        let b = allocate(&rules(m, seats), &rows).unwrap();
        for p in &a.parties {
            let q = b.parties.iter().find(|q| q.party == p.party).unwrap();
            prop_assert_eq!(p.seats, q.seats);
            prop_assert_eq!(p.votes_to_next_seat, q.votes_to_next_seat);
        }
        prop_assert_eq!(&a.last_seat, &b.last_seat);
        prop_assert_eq!(&a.first_missed, &b.first_missed);
    }

    #[test]
    fn votes_to_next_seat_are_enough(m in method(), v in votes(), seats in 1u32..30, who in 0usize..9) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let rows = named(&v);
        let i = who % rows.len();
        let a = allocate(&rules(m, seats), &rows).unwrap();
        if let Some(x) = a.parties[i].votes_to_next_seat {
            let mut more = rows.clone();
            more[i].1 += x;
            let b = allocate(&rules(m, seats), &more).unwrap();
            prop_assert!(b.parties[i].seats > a.parties[i].seats,
                "{:?}: {} + {} votes still {} seats", m, rows[i].0, x, b.parties[i].seats);
        } else {
            prop_assert_eq!(a.parties[i].seats, seats);
        }
    }
}
