//! Validation of a definition: every rule that makes it usable, in the order its parts are
//! read (the election itself, units, parties, contests, reporters, publication, witnesses),
//! collecting every problem with its field rather than stopping at the first; and the indexes
//! the acceptance rules and the tally look ids up in, built on the way.

use std::collections::BTreeSet;

use super::*;

impl ValidDefinition {
    pub(super) fn new(def: Definition) -> Result<ValidDefinition, DefinitionErrors> {
        let mut errs: Vec<DefinitionError> = Vec::new();
        let mut bad =
            |field: String, why: String| errs.push(DefinitionError::Invalid { field, why });
        let languages = check_election(&def, &mut bad);
        let tree = UnitTree::build(&def, &languages, &mut bad);
        let party_ids = check_parties(&def.parties, &languages, &mut bad);
        let contests = ContestIndexes::build(&def, &tree, &party_ids, &languages, &mut bad);
        check_reporters(&def, &tree.unit_index, &mut bad);
        check_publication(&def.publication, &mut bad);
        if let Some(w) = &def.witnesses {
            check_witnesses(w, &mut bad);
        }
        if let Some(p) = &def.previous {
            check_previous(&def, p, &tree.unit_index, &mut bad);
        }
        check_groups(&def, &languages, &mut bad);
        check_page_names(&def, &mut bad);

        if !errs.is_empty() {
            return Err(DefinitionErrors(errs));
        }
        let UnitTree {
            unit_index,
            parents,
            children,
            topo_order,
            depth,
        } = tree;
        let ContestIndexes {
            contest_index,
            selection_index,
            contest_areas,
            contest_constituencies,
        } = contests;
        Ok(ValidDefinition {
            def,
            unit_index,
            contest_index,
            parents,
            children,
            topo_order,
            depth,
            selection_index,
            contest_areas_sorted: contest_areas
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    a.sort_unstable();
                    a
                })
                .collect(),
            contest_areas,
            contest_constituencies,
        })
    }
}

/// The definition's languages, against which every localised text is checked.
struct Languages<'a> {
    listed: BTreeSet<&'a str>,
    default: &'a str,
}

impl Languages<'_> {
    /// A text has the default language and no language outside `languages`.
    fn check_text(
        &self,
        field: String,
        text: &LocalizedText,
        bad: &mut impl FnMut(String, String),
    ) {
        if !text.contains_key(self.default) {
            bad(
                field.clone(),
                format!("has no text in the default language {:?}", self.default),
            );
        }
        for lang in text.keys() {
            if !self.listed.contains(lang.as_str()) {
                bad(
                    format!("{field}.{lang}"),
                    format!("language {lang:?} is not among `languages`"),
                );
            }
        }
    }
}

/// Path segments the public site uses below an election's own (`/<lang>/<election>/verify/`,
/// `…/search/`, `…/ballot/<unit>/`): a contest of that id would share its page's address.
pub const RESERVED_CONTEST_IDS: [&str; 3] = ["ballot", "search", "verify"];

fn check_page_names(def: &Definition, bad: &mut impl FnMut(String, String)) {
    for (i, c) in def.contests.iter().enumerate() {
        if RESERVED_CONTEST_IDS.contains(&c.id.as_str()) {
            bad(
                format!("contests[{i}].id"),
                format!(
                    "{:?} is the address of a page of the site; choose another id",
                    c.id
                ),
            );
        }
    }
}

/// The contest headings: unique valid ids with names, each contest's `group` one of them;
/// and the locale, a language tag with a region.
fn check_groups(def: &Definition, languages: &Languages<'_>, bad: &mut impl FnMut(String, String)) {
    let mut ids = BTreeSet::new();
    for (i, g) in def.groups.iter().enumerate() {
        if let Err(why) = check_id(&g.id) {
            bad(format!("groups[{i}].id"), why);
        }
        if !ids.insert(g.id.as_str()) {
            bad(
                format!("groups[{i}].id"),
                format!("{:?} is listed twice", g.id),
            );
        }
        languages.check_text(format!("groups[{i}].name"), &g.name, bad);
    }
    for (i, c) in def.contests.iter().enumerate() {
        if let Some(g) = &c.group {
            if !ids.contains(g.as_str()) {
                bad(
                    format!("contests[{i}].group"),
                    format!("{g:?} is not among `groups`"),
                );
            }
        }
    }
    if let Some(map) = &def.map {
        match crate::geometry::unit_shapes(map) {
            Err(e) => bad(format!("map.{}", e.field), e.why),
            Ok(shapes) => {
                let known: BTreeSet<&str> = def.units.iter().map(|u| u.id.as_str()).collect();
                let mut seen = BTreeSet::new();
                for s in &shapes {
                    if !known.contains(s.unit.as_str()) {
                        bad(
                            format!("map.{}", s.field),
                            format!("unit {:?} is not in the election definition", s.unit),
                        );
                    } else if !seen.insert(s.unit.as_str()) {
                        bad(
                            format!("map.{}", s.field),
                            format!("unit {:?} has two shapes", s.unit),
                        );
                    }
                }
            }
        }
    }
    if let Some(l) = &def.locale {
        if !is_language_tag(l) || !l.contains('-') {
            bad(
                "locale".into(),
                format!("{l:?} is not a language tag with a region like \"en-US\" or \"en-GB\""),
            );
        }
    }
}

/// The election itself: its id, date, languages, name and origin.
fn check_election<'a>(def: &'a Definition, bad: &mut impl FnMut(String, String)) -> Languages<'a> {
    if let Err(why) = check_id(&def.id) {
        bad("id".into(), why);
    } else if def.id.contains(':') || def.id.chars().any(|c| c.is_ascii_uppercase()) {
        bad(
            "id".into(),
            "an election id may use only lower-case letters, digits, '.', '_' and '-'".into(),
        );
    }
    if !is_date(&def.date) {
        bad(
            "date".into(),
            format!("{:?} is not a date of the form YYYY-MM-DD", def.date),
        );
    }
    let listed: BTreeSet<&str> = def.languages.iter().map(String::as_str).collect();
    if listed.len() != def.languages.len() {
        bad("languages".into(), "lists a language twice".into());
    }
    for (i, l) in def.languages.iter().enumerate() {
        if !is_language_tag(l) {
            bad(
                format!("languages[{i}]"),
                format!("{l:?} is not a language tag like \"en\" or \"pt-BR\""),
            );
        }
    }
    if !listed.contains(def.default_language.as_str()) {
        bad(
            "default_language".into(),
            format!("{:?} is not among `languages`", def.default_language),
        );
    }
    let languages = Languages {
        listed,
        default: &def.default_language,
    };
    languages.check_text("name".into(), &def.name, bad);
    if let Some(origin) = &def.origin {
        if origin.is_empty() || origin.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bad(
                "origin".into(),
                "must be non-empty and contain no spaces or control characters".into(),
            );
        }
    }
    languages
}

/// The reporting-unit tree and its indexes.
struct UnitTree {
    unit_index: IdIndex,
    parents: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    topo_order: Vec<usize>,
    depth: Vec<u32>,
}

impl UnitTree {
    /// Checks the units (ids, names, one root, parents that exist, no cycle) and indexes them.
    fn build(
        def: &Definition,
        languages: &Languages<'_>,
        bad: &mut impl FnMut(String, String),
    ) -> UnitTree {
        if def.units.len() > MAX_UNITS {
            bad(
                "units".into(),
                format!(
                    "has {} units; at most {MAX_UNITS} are allowed",
                    def.units.len()
                ),
            );
        }
        let unit_index = index_units(&def.units, languages, bad);
        let (parents, children, roots) = link_parents(&def.units, &unit_index, bad);
        if def.units.is_empty() {
            bad(
                "units".into(),
                "an election needs at least one reporting unit".into(),
            );
        } else if roots.len() != 1 {
            bad(
                "units".into(),
                format!(
                    "exactly one unit must have no parent (the root); found {}: {}",
                    roots.len(),
                    roots
                        .iter()
                        .take(5)
                        .map(|&i| def.units[i].id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        // Breadth-first from the root; units not reached sit on a parent cycle.
        let mut topo_order = Vec::with_capacity(def.units.len());
        let mut depth = vec![0u32; def.units.len()];
        topo_order.extend(roots.iter().copied());
        let mut k = 0;
        while k < topo_order.len() {
            let u = topo_order[k];
            for &c in &children[u] {
                depth[c] = depth[u] + 1;
                topo_order.push(c);
            }
            k += 1;
        }
        if topo_order.len() != def.units.len() && roots.len() == 1 {
            let reached: BTreeSet<usize> = topo_order.iter().copied().collect();
            let cyc: Vec<&str> = (0..def.units.len())
                .filter(|i| !reached.contains(i) && parents[*i].is_some())
                .take(5)
                .map(|i| def.units[i].id.as_str())
                .collect();
            if !cyc.is_empty() {
                bad(
                    "units".into(),
                    format!("parent links form a cycle through {}", cyc.join(", ")),
                );
            }
        }
        UnitTree {
            unit_index,
            parents,
            children,
            topo_order,
            depth,
        }
    }

    /// The tree as [`check_system`] reads it.
    fn view<'a>(&'a self, units: &'a [Unit]) -> Tree<'a> {
        Tree {
            units,
            unit_index: &self.unit_index,
            parents: &self.parents,
            children: &self.children,
        }
    }
}

/// Unit id → position; checks each unit's id and name.
fn index_units(
    units: &[Unit],
    languages: &Languages<'_>,
    bad: &mut impl FnMut(String, String),
) -> IdIndex {
    let mut unit_index = IdIndex::with_capacity_and_hasher(units.len(), Default::default());
    for (i, u) in units.iter().enumerate() {
        if let Err(why) = check_id(&u.id) {
            bad(format!("units[{i}].id"), why);
        }
        if unit_index.insert(u.id.clone(), i).is_some() {
            bad(
                format!("units[{i}].id"),
                format!("duplicate unit id {:?}", u.id),
            );
        }
        languages.check_text(format!("units[{i}].name"), &u.name, bad);
        if let Some(ocd) = &u.ocd_id {
            if let Err(why) = check_ocd_id(ocd) {
                bad(format!("units[{i}].ocd_id"), why);
            }
        }
    }
    unit_index
}

/// The shape of an Open Civic Data division identifier: `ocd-division/` then `country:xx` (two
/// lower-case letters; or `region:xx`) and any number of `/type:id` parts, types of lower-case
/// letters, digits, `_` and `-`, ids of those and `.` and `~`, all lower case (OCD-IDs are
/// compared as written, and feeds that use them refuse capitals). Whether the division exists
/// is for the consumer's list of identifiers to say, not for the definition.
pub fn check_ocd_id(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{s:?} is not an OCD-ID: {why}"));
    let Some(rest) = s.strip_prefix("ocd-division/") else {
        return bad("it must start with \"ocd-division/\"");
    };
    let type_ok = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    let id_ok = |v: &str| {
        !v.is_empty()
            && v.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'-' | b'.' | b'~')
            })
    };
    for (k, part) in rest.split('/').enumerate() {
        let Some((t, v)) = part.split_once(':') else {
            return bad(&format!("part {part:?} is not type:id"));
        };
        if k == 0 {
            let two = v.len() == 2 && v.bytes().all(|b| b.is_ascii_lowercase());
            if !matches!(t, "country" | "region") || !two {
                return bad("the first part must be country:xx (two lower-case letters)");
            }
        } else if !type_ok(t) || !id_ok(v) {
            return bad(&format!(
                "part {part:?} may have only lower-case letters, digits, _ - . ~"
            ));
        }
    }
    Ok(())
}

/// Each unit's parent and children, and the units without a parent (roots).
type Links = (Vec<Option<usize>>, Vec<Vec<usize>>, Vec<usize>);

fn link_parents(
    units: &[Unit],
    unit_index: &IdIndex,
    bad: &mut impl FnMut(String, String),
) -> Links {
    let mut parents = vec![None; units.len()];
    let mut children = vec![Vec::new(); units.len()];
    let mut roots = Vec::new();
    for (i, u) in units.iter().enumerate() {
        match &u.parent {
            None => roots.push(i),
            Some(p) => match unit_index.get(p) {
                Some(&pi) if pi != i => {
                    parents[i] = Some(pi);
                    children[pi].push(i);
                }
                Some(_) => bad(
                    format!("units[{i}].parent"),
                    "a unit cannot be its own parent".into(),
                ),
                None => bad(
                    format!("units[{i}].parent"),
                    format!("unit {:?} has parent {p:?}, which does not exist", u.id),
                ),
            },
        }
    }
    (parents, children, roots)
}

/// Party ids, names and colours; returns the ids.
fn check_parties<'a>(
    parties: &'a [Party],
    languages: &Languages<'_>,
    bad: &mut impl FnMut(String, String),
) -> BTreeSet<&'a str> {
    let mut party_ids = BTreeSet::new();
    for (i, p) in parties.iter().enumerate() {
        if let Err(why) = check_id(&p.id) {
            bad(format!("parties[{i}].id"), why);
        }
        if !party_ids.insert(p.id.as_str()) {
            bad(
                format!("parties[{i}].id"),
                format!("duplicate party id {:?}", p.id),
            );
        }
        languages.check_text(format!("parties[{i}].name"), &p.name, bad);
        if let Some(c) = &p.color {
            let ok = c.len() == 7
                && c.starts_with('#')
                && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
            if !ok {
                bad(
                    format!("parties[{i}].color"),
                    format!("{c:?} is not a colour of the form #rrggbb"),
                );
            }
        }
    }
    party_ids
}

/// The contests' indexes: by id, their selections, areas and constituencies.
struct ContestIndexes {
    contest_index: IdIndex,
    selection_index: Vec<IdIndex>,
    contest_areas: Vec<Vec<usize>>,
    contest_constituencies: Vec<Vec<usize>>,
}

impl ContestIndexes {
    /// Checks every contest (id, name, votes allowed, area, selections, seats, ranked-choice
    /// rules) and indexes them.
    fn build(
        def: &Definition,
        tree: &UnitTree,
        party_ids: &BTreeSet<&str>,
        languages: &Languages<'_>,
        bad: &mut impl FnMut(String, String),
    ) -> ContestIndexes {
        if def.contests.len() > MAX_CONTESTS {
            bad(
                "contests".into(),
                format!(
                    "has {} contests; at most {MAX_CONTESTS}",
                    def.contests.len()
                ),
            );
        }
        let mut indexes = ContestIndexes {
            contest_index: IdIndex::default(),
            selection_index: Vec::with_capacity(def.contests.len()),
            contest_areas: Vec::with_capacity(def.contests.len()),
            contest_constituencies: Vec::with_capacity(def.contests.len()),
        };
        for (i, c) in def.contests.iter().enumerate() {
            if let Err(why) = check_id(&c.id) {
                bad(format!("contests[{i}].id"), why);
            }
            if indexes.contest_index.insert(c.id.clone(), i).is_some() {
                bad(
                    format!("contests[{i}].id"),
                    format!("duplicate contest id {:?}", c.id),
                );
            }
            languages.check_text(format!("contests[{i}].name"), &c.name, bad);
            if c.votes_allowed == 0 {
                bad(
                    format!("contests[{i}].votes_allowed"),
                    "must be at least 1".into(),
                );
            }
            let area = contest_area(i, c, &tree.unit_index, bad);
            let selections = index_selections(i, c, party_ids, languages, bad);
            let constituencies = check_seats(i, c, &tree.view(&def.units), &area, bad);
            check_ranked_choice(i, c, &def.default_language, bad);
            indexes.contest_areas.push(area);
            indexes.selection_index.push(selections);
            indexes.contest_constituencies.push(constituencies);
        }
        indexes
    }
}

/// The units a contest is held in, as indexes.
fn contest_area(
    i: usize,
    c: &Contest,
    unit_index: &IdIndex,
    bad: &mut impl FnMut(String, String),
) -> Vec<usize> {
    let mut area = Vec::new();
    if c.area.is_empty() {
        bad(format!("contests[{i}].area"), "names no unit".into());
    }
    for (j, a) in c.area.iter().enumerate() {
        match unit_index.get(a) {
            Some(&u) => area.push(u),
            None => bad(
                format!("contests[{i}].area[{j}]"),
                format!(
                    "contest {:?} is held in unit {a:?}, which does not exist",
                    c.id
                ),
            ),
        }
    }
    area
}

/// Selection id → position in a contest; checks each selection's id, name and party.
fn index_selections(
    i: usize,
    c: &Contest,
    party_ids: &BTreeSet<&str>,
    languages: &Languages<'_>,
    bad: &mut impl FnMut(String, String),
) -> IdIndex {
    if c.selections.is_empty() {
        bad(
            format!("contests[{i}].selections"),
            "a contest needs at least one selection".into(),
        );
    }
    if c.selections.len() > MAX_SELECTIONS {
        bad(
            format!("contests[{i}].selections"),
            format!("more than {MAX_SELECTIONS} selections"),
        );
    }
    let mut sel = IdIndex::default();
    for (j, s) in c.selections.iter().enumerate() {
        if let Err(why) = check_id(&s.id) {
            bad(format!("contests[{i}].selections[{j}].id"), why);
        }
        if sel.insert(s.id.clone(), j).is_some() {
            bad(
                format!("contests[{i}].selections[{j}].id"),
                format!("duplicate selection id {:?} in contest {:?}", s.id, c.id),
            );
        }
        languages.check_text(format!("contests[{i}].selections[{j}].name"), &s.name, bad);
        if let Some(p) = &s.party {
            if !party_ids.contains(p.as_str()) {
                bad(
                    format!("contests[{i}].selections[{j}].party"),
                    format!("party {p:?} is not defined in `parties`"),
                );
            }
        }
    }
    sel
}

/// A contest's seat rules (party-list contests only); returns the constituencies of a
/// multi-constituency system as unit indexes (empty otherwise).
fn check_seats(
    i: usize,
    c: &Contest,
    tree: &Tree<'_>,
    area: &[usize],
    bad: &mut impl FnMut(String, String),
) -> Vec<usize> {
    match (&c.seats, c.kind) {
        (Some(_), k) if k != ContestKind::PartyList => bad(
            format!("contests[{i}].seats"),
            "only party_list contests allocate seats".into(),
        ),
        (Some(SeatRules::Single(s)), _) if s.seats == 0 => bad(
            format!("contests[{i}].seats.seats"),
            "must be at least 1".into(),
        ),
        (Some(SeatRules::Single(s)), _) if s.seats > skytale_seats::MAX_SEATS => bad(
            format!("contests[{i}].seats.seats"),
            format!(
                "at most {} seats can be allocated",
                skytale_seats::MAX_SEATS
            ),
        ),
        (Some(SeatRules::Single(s)), _) => {
            if let Err(e) = s.validate() {
                bad(
                    seats_field(&format!("contests[{i}].seats"), &e),
                    e.to_string(),
                );
            }
        }
        (Some(SeatRules::System(sys)), _) => {
            return check_system(sys, &format!("contests[{i}].seats.system"), tree, area, bad);
        }
        _ => {}
    }
    Vec::new()
}

/// At least one reporter; each with its own key and a scope of units that exist.
fn check_reporters(def: &Definition, unit_index: &IdIndex, bad: &mut impl FnMut(String, String)) {
    let mut keys = BTreeSet::new();
    keys.insert(def.authority_key.to_string());
    if def.reporters.is_empty() {
        bad(
            "reporters".into(),
            "no reporting authority is defined, so nothing could ever be reported".into(),
        );
    }
    for (i, r) in def.reporters.iter().enumerate() {
        if !keys.insert(r.key.to_string()) {
            bad(
                format!("reporters[{i}].key"),
                "this key is already used by the authority or another reporter; each party needs its own key".into(),
            );
        }
        if r.scope.is_empty() {
            bad(format!("reporters[{i}].scope"), "names no unit".into());
        }
        for (j, s) in r.scope.iter().enumerate() {
            if !unit_index.contains_key(s) {
                bad(
                    format!("reporters[{i}].scope[{j}]"),
                    format!(
                        "reporter {:?} is scoped to unit {s:?}, which does not exist",
                        r.name
                    ),
                );
            }
        }
    }
}

/// Approval mode needs approvers and a quorum they can reach; no approver is listed twice.
fn check_publication(pol: &PublicationPolicy, bad: &mut impl FnMut(String, String)) {
    if pol.mode == PublicationMode::Approval {
        if pol.approvers.is_empty() {
            bad(
                "publication.approvers".into(),
                "approval mode needs at least one approver".into(),
            );
        }
        if pol.quorum == 0 || pol.quorum as usize > pol.approvers.len() {
            bad(
                "publication.quorum".into(),
                format!(
                    "must be between 1 and the number of approvers ({})",
                    pol.approvers.len()
                ),
            );
        }
    }
    let mut approvers = BTreeSet::new();
    for (i, a) in pol.approvers.iter().enumerate() {
        if !approvers.insert(a.to_string()) {
            bad(format!("publication.approvers[{i}]"), "listed twice".into());
        }
    }
}

/// An earlier election's figures name this election's contests, selections and units, each
/// contest once, and valid votes no smaller than the votes they are the base of.
fn check_previous(
    def: &Definition,
    p: &PreviousElection,
    units: &IdIndex,
    bad: &mut impl FnMut(String, String),
) {
    if check_id(&p.election).is_err() {
        bad(
            "previous.election".into(),
            format!("{:?} is not an election id", p.election),
        );
    }
    if p.election == def.id {
        bad(
            "previous.election".into(),
            "an election cannot be compared with itself".into(),
        );
    }
    if p.root_hash
        .as_deref()
        .is_some_and(|r| crate::decode_hash(r).is_none())
    {
        bad(
            "previous.root_hash".into(),
            "not the base64 of 32 bytes".into(),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, pc) in p.contests.iter().enumerate() {
        let at = format!("previous.contests[{i}]");
        let Some(c) = def.contests.iter().find(|c| c.id == pc.contest) else {
            bad(
                format!("{at}.contest"),
                format!("contest {:?} is not in this election", pc.contest),
            );
            continue;
        };
        if !seen.insert(pc.contest.as_str()) {
            bad(format!("{at}.contest"), "compared twice".into());
        }
        let known = |id: &str| c.selections.iter().any(|s| s.id == id);
        let figures = |field: String,
                       f: &BTreeMap<String, u64>,
                       valid: Option<u64>,
                       bad: &mut dyn FnMut(String, String)| {
            for id in f.keys().filter(|id| !known(id)) {
                bad(
                    field.clone(),
                    format!("selection {id:?} is not in contest {:?}", c.id),
                );
            }
            let sum: u64 = f.values().fold(0u64, |a, v| a.saturating_add(*v));
            if let Some(v) = valid.filter(|&v| v < sum) {
                bad(
                    field,
                    format!("valid votes {v} are fewer than the votes given ({sum})"),
                );
            }
        };
        figures(format!("{at}.votes"), &pc.votes, pc.valid_votes, bad);
        for (u, f) in &pc.units {
            if !units.contains_key(u) {
                bad(
                    format!("{at}.units.{u}"),
                    format!("unit {u:?} is not in this election"),
                );
            }
            figures(
                format!("{at}.units.{u}.votes"),
                &f.votes,
                f.valid_votes,
                bad,
            );
        }
        for id in pc.seats.keys().filter(|id| !known(id)) {
            bad(
                format!("{at}.seats"),
                format!("selection {id:?} is not in contest {:?}", c.id),
            );
        }
    }
}

/// The syntax of a witness policy; the keys' cryptography is checked where witness keys are
/// understood (skytale-witness, by `election create`, the server and the verifier).
fn check_witnesses(w: &WitnessPolicySpec, bad: &mut impl FnMut(String, String)) {
    if w.quorum as usize > w.members.len() {
        bad(
            "witnesses.quorum".into(),
            format!(
                "{} exceeds the number of witnesses named ({})",
                w.quorum,
                w.members.len()
            ),
        );
    }
    let mut urls = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, m) in w.members.iter().enumerate() {
        let at = format!("witnesses.members[{i}]");
        if !(m.url.starts_with("http://") || m.url.starts_with("https://")) {
            bad(
                format!("{at}.url"),
                format!("{:?} is not an http(s) URL", m.url),
            );
        }
        if !urls.insert(m.url.as_str()) {
            bad(format!("{at}.url"), "listed twice".into());
        }
        if m.keys.is_empty() {
            bad(
                format!("{at}.keys"),
                "a witness needs at least one key".into(),
            );
        }
        let member_names: BTreeSet<&str> = m
            .keys
            .iter()
            .map(|k| k.split('+').next().unwrap_or_default())
            .collect();
        if member_names.len() > 1 {
            bad(
                format!("{at}.keys"),
                "the keys of one witness must share its name (the part before the first '+')"
                    .into(),
            );
        }
        for n in member_names {
            if !names.insert(n) {
                bad(
                    format!("{at}.keys"),
                    format!("witness name {n:?} is already used by another witness"),
                );
            }
        }
    }
}

/// A ranked-choice contest has counting rules that hold together, selections that are
/// candidates with distinct default-language names (tie-breaks order candidates by name, as
/// RCTab does by its config's names), at most one write-in selection, and no seats; other
/// contests have neither rules nor write-in selections.
fn check_ranked_choice(
    i: usize,
    c: &Contest,
    default_language: &str,
    bad: &mut impl FnMut(String, String),
) {
    let at = format!("contests[{i}]");
    let write_ins: Vec<usize> = (0..c.selections.len())
        .filter(|&j| c.selections[j].write_in)
        .collect();
    if c.kind != ContestKind::RankedChoice {
        if c.tabulation.is_some() {
            bad(
                format!("{at}.tabulation"),
                "only ranked_choice contests have tabulation rules".into(),
            );
        }
        if let Some(&j) = write_ins.first() {
            bad(
                format!("{at}.selections[{j}].write_in"),
                "only ranked_choice contests have a write-in selection".into(),
            );
        }
        return;
    }
    match &c.tabulation {
        None => bad(
            format!("{at}.tabulation"),
            "a ranked_choice contest needs its counting rules".into(),
        ),
        Some(r) => {
            if let Err(e) = r.check() {
                bad(format!("{at}.tabulation.{}", e.field), e.why);
            }
        }
    }
    if c.seats.is_some() {
        bad(
            format!("{at}.seats"),
            "a ranked_choice contest fills its seats by `tabulation.number_of_winners`".into(),
        );
    }
    if let Some(&j) = write_ins.get(1) {
        bad(
            format!("{at}.selections[{j}].write_in"),
            "a contest has at most one write-in selection".into(),
        );
    }
    if c.selections.len() > skytale_rcv::config::MAX_CANDIDATES {
        bad(
            format!("{at}.selections"),
            format!(
                "at most {} candidates can be tabulated",
                skytale_rcv::config::MAX_CANDIDATES
            ),
        );
    }
    let mut names = BTreeSet::new();
    for (j, s) in c.selections.iter().enumerate() {
        if let Some(n) = s.name.get(default_language) {
            if !names.insert(n.as_str()) {
                bad(
                    format!("{at}.selections[{j}].name.{default_language}"),
                    format!("another candidate of the contest is also named {n:?}"),
                );
            }
        }
    }
}

/// The geography while it is being validated.
struct Tree<'a> {
    units: &'a [Unit],
    unit_index: &'a IdIndex,
    parents: &'a [Option<usize>],
    children: &'a [Vec<usize>],
}

/// The field a seat-rules error is about, below `at`.
fn seats_field(at: &str, e: &skytale_seats::SeatsError) -> String {
    match e {
        skytale_seats::SeatsError::InvalidRules { field, .. } => format!("{at}.{field}"),
        _ => at.to_string(),
    }
}

/// Checks a multi-constituency system against the geography and returns its constituencies
/// as unit indexes (in the rules' order). Every constituency must be a unit inside the
/// contest's area, named once, not inside another constituency, and with at least one seat;
/// together they must cover the whole area (a vote cast outside every constituency would
/// count for no seat); levelling seats and levelling rules come together.
fn check_system(
    sys: &skytale_seats::SystemRules,
    at: &str,
    tree: &Tree<'_>,
    area: &[usize],
    bad: &mut impl FnMut(String, String),
) -> Vec<usize> {
    let Tree {
        units,
        unit_index,
        parents,
        children,
    } = *tree;
    // Ancestors-or-self of `u`, bounded so a parent cycle (reported elsewhere) cannot loop.
    let up = |u: usize| {
        std::iter::successors(Some(u), |&x| parents.get(x).copied().flatten()).take(units.len())
    };
    // The method, first divisor, threshold and lot seed, as one district allocation checks them.
    if let Err(e) = sys.district_rules(1).validate() {
        bad(seats_field(at, &e), e.to_string());
    }
    if sys.constituencies.is_empty() {
        bad(
            format!("{at}.constituencies"),
            "a system needs at least one constituency".into(),
        );
    }
    let mut found: Vec<usize> = Vec::with_capacity(sys.constituencies.len());
    let mut set: HashMap<usize, usize> = HashMap::with_capacity(sys.constituencies.len());
    let mut total: u64 = 0;
    let mut levelling_seats: u64 = 0;
    for (j, c) in sys.constituencies.iter().enumerate() {
        let f = format!("{at}.constituencies[{j}]");
        total += u64::from(c.seats) + u64::from(c.levelling_seats);
        levelling_seats += u64::from(c.levelling_seats);
        if c.seats == 0 && c.levelling_seats == 0 {
            bad(
                format!("{f}.seats"),
                "a constituency needs at least one seat".into(),
            );
        }
        let Some(&u) = unit_index.get(&c.id) else {
            bad(
                format!("{f}.id"),
                format!("constituency {:?} is not a unit of the geography", c.id),
            );
            continue;
        };
        if set.insert(u, j).is_some() {
            bad(
                format!("{f}.id"),
                format!("constituency {:?} is listed twice", c.id),
            );
            continue;
        }
        if !up(u).any(|x| area.contains(&x)) {
            bad(
                format!("{f}.id"),
                format!("unit {:?} is not inside the contest's area", c.id),
            );
        }
        found.push(u);
    }
    for &u in &found {
        if let Some(o) = up(u).skip(1).find(|x| set.contains_key(x)) {
            bad(
                format!("{at}.constituencies[{}].id", set[&u]),
                format!(
                    "unit {:?} lies inside constituency {:?}; constituencies must not overlap",
                    units[u].id, units[o].id
                ),
            );
        }
    }
    if total > u64::from(skytale_seats::MAX_SEATS) {
        bad(
            format!("{at}.constituencies"),
            format!(
                "{total} seats in all; at most {} can be allocated",
                skytale_seats::MAX_SEATS
            ),
        );
    }
    match (&sys.levelling, levelling_seats) {
        (Some(_), 0) => bad(
            format!("{at}.levelling"),
            "levelling rules are given but no constituency has `levelling_seats`".into(),
        ),
        (None, n) if n > 0 => bad(
            format!("{at}.levelling"),
            format!(
                "{n} levelling seat(s) are placed in constituencies but no `levelling` rules say who wins them"
            ),
        ),
        (Some(l), _) => {
            let mut r = skytale_seats::Rules::new(l.method.unwrap_or(sys.method), 1);
            r.first_divisor = l.first_divisor;
            r.threshold = Some(l.threshold.clone());
            if let Err(e) = r.validate() {
                bad(seats_field(&format!("{at}.levelling"), &e), e.to_string());
            }
        }
        _ => {}
    }
    // Coverage: every leaf of the area lies in a constituency (walk down, stopping at them;
    // bounded by the number of units against parent cycles).
    let mut stack: Vec<usize> = area.to_vec();
    let mut steps = 0usize;
    while let Some(u) = stack.pop() {
        steps += 1;
        if steps > units.len() {
            break;
        }
        if set.contains_key(&u) {
            continue;
        }
        if children[u].is_empty() {
            bad(
                format!("{at}.constituencies"),
                format!(
                    "unit {:?} of the contest's area lies in no constituency, so its votes would count for no seat",
                    units[u].id
                ),
            );
            break;
        }
        stack.extend(children[u].iter().copied());
    }
    found
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::check_ocd_id;

    #[test]
    fn ocd_ids_have_their_shape() {
        for good in [
            "ocd-division/country:us",
            "ocd-division/country:us/state:ga/county:ben_hill",
            "ocd-division/country:us/state:va/county:albemarle/council_district:rio",
            "ocd-division/country:us/state:ma/place:cambridge/ward:1/precinct:2",
            "ocd-division/country:us/state:ak/borough:juneau~city",
            "ocd-division/region:eu",
        ] {
            assert_eq!(check_ocd_id(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("ocd-division/country:US", "country:xx"),
            ("ocd-division/country:usa", "country:xx"),
            ("ocd-division/state:ga", "country:xx"),
            ("ocd-division/", "type:id"),
            ("country:us", "ocd-division/"),
            ("ocd-division/country:us/county:Fulton", "lower-case"),
            ("ocd-division/country:us/state:", "lower-case"),
            ("ocd-division/country:us/state:ga/", "type:id"),
            ("ocd-division/country:us/state ga", "type:id"),
        ] {
            let e = check_ocd_id(bad).expect_err(bad);
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
    }
}
