//! Property tests of the tabulation core on random small contests.

use proptest::prelude::*;
use rust_decimal::Decimal;
use skytale_rcv::ballots::{BallotStoreBuilder, CandId, CandidateTable, OVERVOTE};
use skytale_rcv::config::{OvervoteRule, Rules, TiebreakMode, WinnerMode};
use skytale_rcv::tabulate::{tabulate, ContestSpec, N_STATUS};

fn rules(
    overvote: u8,
    max_skip: Option<u32>,
    dup: bool,
    batch: bool,
    random: bool,
    seats: u32,
) -> Rules {
    Rules {
        tiebreak_mode: if random {
            TiebreakMode::Random
        } else {
            TiebreakMode::UseCandidateOrder
        },
        random_seed: Some(42),
        overvote_rule: match overvote % 3 {
            0 => OvervoteRule::AlwaysSkipToNextRank,
            1 => OvervoteRule::ExhaustImmediately,
            _ => OvervoteRule::ExhaustIfMultipleContinuing,
        },
        winner_mode: if seats > 1 {
            WinnerMode::MultiWinnerMultiplePerRound
        } else {
            WinnerMode::SingleWinnerMajority
        },
        number_of_winners: seats,
        bottoms_up_fraction: None,
        decimal_places: 4,
        max_skipped_ranks: max_skip,
        max_rankings: None,
        non_integer_threshold: false,
        first_round_determines_threshold: false,
        hare_quota: false,
        batch_elimination: batch && seats == 1,
        cutoff_elimination: false,
        continue_until_two: false,
        stop_after_round: None,
        exhaust_on_duplicate: dup,
        minimum_vote_threshold: None,
    }
}

/// A ballot: up to 5 (rank, candidate-or-overvote) marks.
fn ballot(n: u16) -> impl Strategy<Value = Vec<(u32, CandId)>> {
    proptest::collection::vec((1u32..6, prop_oneof![9 => 0..n, 1 => Just(OVERVOTE)]), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn rounds_conserve_ballots_and_ignore_order(
        n in 2u16..7,
        ballots in proptest::collection::vec(ballot(6), 1..60),
        overvote in 0u8..3,
        max_skip in prop_oneof![Just(None), (0u32..3).prop_map(Some)],
        dup in any::<bool>(),
        batch in any::<bool>(),
        random in any::<bool>(),
        seats in 1u32..3,
    ) {
        let names: Vec<String> = (0..n).map(|i| format!("C{i}")).collect();
        let ballots: Vec<Vec<(u32, CandId)>> = ballots
            .into_iter()
            .map(|b| {
                // Keep explicit overvotes only alone at their rank and only with rules that
                // accept them (RCTab rejects the other combinations, tested elsewhere).
                let keep: Vec<(u32, CandId)> = b.iter().copied().filter(|&(_, c)| c == OVERVOTE || c < n).collect();
                keep.iter()
                    .copied()
                    .filter(|&(r, c)| {
                        c != OVERVOTE || (overvote % 3 != 2 && keep.iter().filter(|m| m.0 == r).count() == 1)
                    })
                    .collect()
            })
            .collect();
        let spec = ContestSpec { table: CandidateTable::from_names(&names), rules: rules(overvote, max_skip, dup, batch, random, seats) };
        let build = |order: &mut dyn Iterator<Item = &Vec<(u32, CandId)>>| {
            let mut b = BallotStoreBuilder::new();
            for x in order {
                b.add(&mut x.clone(), 1);
            }
            b.finish()
        };
        let fwd = build(&mut ballots.iter());
        let rev = build(&mut ballots.iter().rev());
        let a = tabulate(&spec, &fwd);
        let b = tabulate(&spec, &rev);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.winners.clone(), b.winners.clone());
                prop_assert_eq!(a.rounds.len(), b.rounds.len());
                let total = Decimal::from(ballots.len() as u64);
                for (ra, rb) in a.rounds.iter().zip(&b.rounds) {
                    prop_assert_eq!(&ra.tally, &rb.tally);
                    prop_assert_eq!(ra.threshold, rb.threshold);
                    if seats == 1 {
                        // Every ballot is either counting for someone or inactive for a reason.
                        let sum: Decimal = (0..N_STATUS).map(|k| ra.statuses[k]).sum();
                        prop_assert_eq!(sum, total);
                    }
                }
                prop_assert!(a.winners.len() <= seats as usize);
                prop_assert!(a.rounds.len() <= n as usize + 1);
            }
            (a, b) => prop_assert!(false, "tabulation failed: {:?} / {:?}", a.err(), b.err()),
        }
    }
}
