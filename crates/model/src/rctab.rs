//! A ranked-choice contest of an election definition built from an RCTab contest config, so
//! an authority that already runs RCTab writes its rules once (and `skytale submit
//! --rctab-config` reads the same file's CVR sources).

use crate::definition::{Contest, ContestKind, LocalizedText, Selection};

/// Builds a `ranked_choice` contest: the config's rules, one selection per declared candidate
/// (id slugged from the name, name in `lang` exactly as RCTab spells it, since tie-breaks
/// order candidates by name), and the write-in selection `uwi` when a CVR source declares
/// undeclared write-ins. Excluded candidates are not supported (the definition has no
/// exclusion), so a config with any is refused.
pub fn ranked_choice_contest(
    config: &skytale_rcv::config::ContestConfig,
    id: &str,
    name: LocalizedText,
    area: Vec<String>,
    lang: &str,
) -> Result<Contest, String> {
    if let Some(c) = config.candidates.iter().find(|c| c.excluded) {
        return Err(format!(
            "candidate {:?} is excluded in the config; a ranked_choice contest of a definition cannot exclude candidates",
            c.name
        ));
    }
    let mut used = std::collections::BTreeSet::new();
    let mut selections = Vec::with_capacity(config.candidates.len() + 1);
    let mut push = |base: String, name: &str, write_in: bool| {
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        selections.push(Selection {
            id,
            name: [(lang.to_string(), name.to_string())].into(),
            party: None,
            write_in,
        });
    };
    for c in &config.candidates {
        push(slug(&c.name), &c.name, false);
    }
    if config.uwi_enabled() {
        push("uwi".into(), skytale_rcv::config::UWI_LABEL, true);
    }
    Ok(Contest {
        id: id.to_string(),
        name,
        kind: ContestKind::RankedChoice,
        area,
        votes_allowed: 1,
        selections,
        seats: None,
        tabulation: Some(config.rules.clone()),
        group: None,
    })
}

/// A selection id from a candidate name: lower-case letters and digits, other runs as `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= 64 {
            break;
        }
    }
    if out.is_empty() {
        out.push_str("candidate");
    }
    out
}
