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

/// Seats of list `i` with `x` more votes, by the same rules and tie-break (`None` when the
/// allocation could not break a tie).
fn seats_with(r: &Rules, v: &[u64], i: usize, x: u64) -> Option<u32> {
    let mut rows = named(v);
    rows[i].1 += x;
    let a = allocate(r, &rows).ok()?;
    Some(a.parties[i].seats)
}

fn tie_rules() -> impl Strategy<Value = Vec<TieRule>> {
    prop::sample::select(vec![
        vec![TieRule::MostVotes, TieRule::Lot],
        vec![TieRule::ListOrder],
        vec![TieRule::Lot],
        vec![TieRule::MostVotes, TieRule::ListOrder],
    ])
}

fn remainder_method() -> impl Strategy<Value = Method> {
    prop::sample::select(
        METHODS
            .iter()
            .map(|m| m.0)
            .filter(|m| m.kind() == Kind::LargestRemainder)
            .collect::<Vec<_>>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    /// Largest remainder against brute force: the least number of votes that wins one more
    /// seat, and the least from which every number does.
    #[test]
    fn votes_to_next_seat_is_the_least_under_largest_remainder(
        m in remainder_method(),
        v in prop::collection::vec(0u64..300, 1..6),
        seats in 1u32..8,
        who in 0usize..6,
        ties in tie_rules(),
    ) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let i = who % v.len();
        let mut r = rules(m, seats);
        r.tie_break = ties;
        let a = allocate(&r, &named(&v)).unwrap();
        let p = &a.parties[i];
        let goal = p.seats + 1;
        if goal > seats {
            prop_assert_eq!(p.votes_to_next_seat, None);
            return Ok(());
        }
        // Far enough that the seat is held for good: the party outweighs every list S-fold.
        let total: u64 = v.iter().sum();
        let bound = (u64::from(seats) + 2) * (total + 10);
        let mut first = None;
        let mut last_miss = None;
        for x in 0..=bound {
            let Some(s) = seats_with(&r, &v, i, x) else {
                return Ok(()); // a tie the rules cannot break: no allocation to compare
            };
            if s >= goal {
                first.get_or_insert(x);
            } else {
                last_miss = Some(x);
            }
        }
        let always = last_miss.map_or(0, |x| x + 1);
        prop_assert!(always <= bound, "the bound is too small");
        prop_assert_eq!(p.votes_to_next_seat, first, "{:?} {:?} seats {} list {} ties {:?}", m, v, seats, i, r.tie_break);
        let expect_always = first.filter(|f| *f != always).map(|_| always);
        prop_assert_eq!(p.votes_to_next_seat_always, expect_always, "{:?} {:?} seats {} list {} ties {:?}", m, v, seats, i, r.tie_break);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// With a threshold: never fewer votes than it takes to pass it, and the search then starts
    /// there (the other lists' eligibility held fixed, as the figure is defined).
    #[test]
    fn votes_to_next_seat_with_a_threshold(
        m in remainder_method(),
        v in prop::collection::vec(0u64..300, 2..6),
        seats in 1u32..6,
        who in 0usize..6,
        pct in prop::sample::select(vec![5u64, 10, 20]),
    ) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let i = who % v.len();
        let mut r = rules(m, seats);
        r.threshold = Some(skytale_seats::Threshold {
            percent: skytale_seats::Fraction::from_int(u128::from(pct)),
            scope: Default::default(),
            or_constituency_seats: None,
        });
        let Ok(a) = allocate(&r, &named(&v)) else { return Ok(()) };
        let p = &a.parties[i];
        let goal = p.seats + 1;
        if goal > seats {
            return Ok(());
        }
        // The oracle: no threshold, the lists excluded now left out (they are not in the
        // quota's total), and the party counted only from the votes that take it over.
        let total: u64 = v.iter().sum();
        let lb = (0..).find(|x| (v[i] + x) * 100 >= pct * (total + x) && v[i] + x > 0).unwrap();
        let kept: Vec<usize> = (0..v.len()).filter(|&j| j == i || a.parties[j].eligible()).collect();
        let kv: Vec<u64> = kept.iter().map(|&j| v[j]).collect();
        let ki = kept.iter().position(|&j| j == i).unwrap();
        let mut free = rules(m, seats);
        free.tie_break = r.tie_break.clone();
        let bound = (u64::from(seats) + 2) * (total + 10) + lb;
        let mut first = None;
        let mut last_miss = None;
        for x in 0..=bound {
            let won = x >= lb && match seats_with_named(&free, &kv, &kept, ki, x) {
                Some(s) => s >= goal,
                None => return Ok(()),
            };
            if won { first.get_or_insert(x); } else { last_miss = Some(x); }
        }
        let always = last_miss.map_or(0, |x| x + 1);
        prop_assert_eq!(p.votes_to_next_seat, first, "{:?} {:?} seats {} list {} {}%", m, v, seats, i, pct);
        let expect_always = first.filter(|f| *f != always).map(|_| always);
        prop_assert_eq!(p.votes_to_next_seat_always, expect_always, "{:?} {:?} seats {} list {} {}%", m, v, seats, i, pct);
    }
}

/// As [`seats_with`], for a subset of the lists keeping their original names (the lot's key).
fn seats_with_named(r: &Rules, v: &[u64], names: &[usize], i: usize, x: u64) -> Option<u32> {
    let mut rows: Vec<(String, u64)> = names
        .iter()
        .zip(v)
        .map(|(n, v)| (format!("P{n}"), *v))
        .collect();
    rows[i].1 += x;
    let a = allocate(r, &rows).ok()?;
    Some(a.parties[i].seats)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Highest averages against brute force: the least number of votes that wins one more
    /// seat, ties included (one exactly level with the last winner may win it by the rules).
    #[test]
    fn votes_to_next_seat_is_the_least_under_highest_averages(
        m in divisor_method(),
        v in prop::collection::vec(0u64..200, 1..6),
        seats in 1u32..8,
        who in 0usize..6,
        ties in tie_rules(),
    ) {
        prop_assume!(v.iter().any(|x| *x > 0));
        let i = who % v.len();
        let mut r = rules(m, seats);
        r.tie_break = ties;
        let a = allocate(&r, &named(&v)).unwrap();
        let p = &a.parties[i];
        let goal = p.seats + 1;
        let total: u64 = v.iter().sum();
        let bound = 8 * (u64::from(seats) + 2) * (total + 10);
        let mut first = None;
        for x in 0..=bound {
            match seats_with(&r, &v, i, x) {
                Some(s) if s >= goal => { first = Some(x); break; }
                Some(_) => {}
                None => return Ok(()),
            }
        }
        prop_assert_eq!(p.votes_to_next_seat, first, "{:?} {:?} seats {} list {} ties {:?}", m, v, seats, i, r.tie_break);
        prop_assert_eq!(p.votes_to_next_seat_always, None);
    }
}
