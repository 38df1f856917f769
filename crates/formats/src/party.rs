//! Party identity of derived definitions: readable names and a colour for the party codes US
//! exports use, so one party is one name and one colour in every contest (a page that colours
//! by ballot position shows one party blue in one race and orange in the next).
//!
//! The table is small on purpose: codes it does not know keep the code as their name and get a
//! colour of their own from [`OTHER_COLORS`], in the order the file names them. The mapping's
//! `[party_names]` and `[party_colors]` override both.

use crate::norm::norm_key;

/// A known party code: its readable name and display colour (`None`: no party colour, the
/// selections are told apart by position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KnownParty {
    pub name: &'static str,
    pub color: Option<&'static str>,
}

/// Codes (normalised, as exports write them) → party. Colours are conventional ones, none of
/// them in the pages' by-position palette.
const KNOWN: &[(&[&str], KnownParty)] = &[
    (
        &["dem", "d", "democratic", "democrat", "democratic party"],
        KnownParty {
            name: "Democratic",
            color: Some("#2b6cb0"),
        },
    ),
    (
        &["rep", "r", "republican", "gop", "republican party"],
        KnownParty {
            name: "Republican",
            color: Some("#c53030"),
        },
    ),
    (
        &["lib", "l", "libertarian", "lbt", "libertarian party"],
        KnownParty {
            name: "Libertarian",
            color: Some("#b7791f"),
        },
    ),
    (
        &["grn", "gre", "g", "green", "green party"],
        KnownParty {
            name: "Green",
            color: Some("#2f855a"),
        },
    ),
    (
        &["ind", "independent"],
        KnownParty {
            name: "Independent",
            color: Some("#6b46c1"),
        },
    ),
    (
        &["con", "cst", "constitution", "constitution party"],
        KnownParty {
            name: "Constitution",
            color: Some("#8b5a2b"),
        },
    ),
    (
        &["wf", "wfp", "working families"],
        KnownParty {
            name: "Working Families",
            color: Some("#b83280"),
        },
    ),
    (
        &["np", "non", "nonpartisan", "non-partisan", "nop"],
        KnownParty {
            name: "Nonpartisan",
            color: None,
        },
    ),
    (
        &[
            "npa",
            "no party",
            "no party affiliation",
            "una",
            "unaffiliated",
        ],
        KnownParty {
            name: "No party affiliation",
            color: None,
        },
    ),
];

/// Colours of parties neither the table nor the mapping colours, in the order the file names
/// them (then again from the start).
pub(crate) const OTHER_COLORS: [&str; 6] = [
    "#319795", "#975a16", "#2c5282", "#9b2c2c", "#4a5568", "#702459",
];

/// The known party of `code`, if the table has it.
pub(crate) fn known(code: &str) -> Option<KnownParty> {
    let k = norm_key(code);
    KNOWN
        .iter()
        .find(|(codes, _)| codes.contains(&k.as_str()))
        .map(|(_, p)| *p)
}

/// Whether `code` says "no party" (then a party tag in the candidate's name, if any, is the
/// party).
pub(crate) fn is_no_party(code: &str) -> bool {
    code.trim().is_empty() || known(code).is_some_and(|p| p.color.is_none())
}

/// The party tags at the end of a candidate's name, last first: `Raphael Warnock (I) (Dem)`
/// gives `Dem`, then `I`.
pub(crate) fn trailing_tags(name: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut t = name.trim_end();
    while let Some(stripped) = t.strip_suffix(')') {
        let Some(open) = stripped.rfind('(') else {
            break;
        };
        let tag = stripped[open + 1..].trim();
        if tag.is_empty() || tag.len() > 24 {
            break;
        }
        tags.push(tag);
        t = stripped[..open].trim_end();
    }
    tags
}

/// Whether `c` is a display colour `#rrggbb`.
pub(crate) fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_tags() {
        assert_eq!(known("DEM").map(|p| p.name), Some("Democratic"));
        assert_eq!(known(" Rep ").map(|p| p.name), Some("Republican"));
        assert_eq!(known("Y"), None);
        assert!(is_no_party("NP") && is_no_party("") && !is_no_party("DEM"));
        assert_eq!(trailing_tags("Raphael Warnock (I) (Dem)"), vec!["Dem", "I"]);
        assert!(trailing_tags("Yes").is_empty());
        assert!(valid_color("#a0B1c2") && !valid_color("red") && !valid_color("#12345g"));
        // Every table colour is a valid colour and no two parties share one.
        let mut seen = std::collections::BTreeSet::new();
        for (_, p) in KNOWN {
            if let Some(c) = p.color {
                assert!(valid_color(c) && seen.insert(c), "{c}");
            }
        }
        for c in OTHER_COLORS {
            assert!(valid_color(c) && seen.insert(c), "{c}");
        }
    }
}
