//! The publication history on the site (an `approval`-mode night with three publications):
//! the contest table's change against the publication before the current one, the Atom feed
//! listing every publication newest first, and the PNG social card.

mod common;

use skytale_model::Publication;
use skytale_render::{card, PublicationRecord, Rendered, Site};
use skytale_tally::{LogPosition, Tally};

fn text(r: &Rendered) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

/// Three publications: sizes 4, 7 and 10 with 3, 5 and 8 stations reported.
fn night() -> (Vec<Publication>, Vec<Tally>) {
    let def = common::definition();
    let p = |size: u64, minute: u32, root: char| Publication {
        tree_size: size,
        root_hash: std::iter::repeat_n(root, 43).collect::<String>() + "=",
        published_at: format!("2026-11-25T21:{minute:02}:00Z"),
        index: size,
        approvers: vec!["approver".into()],
    };
    (
        vec![p(4, 5, 'A'), p(7, 17, 'B'), p(10, 42, 'C')],
        vec![
            common::tally(&def, 3),
            common::tally(&def, 5),
            common::tally(&def, 8),
        ],
    )
}

fn pos_of(p: &Publication) -> LogPosition {
    LogPosition {
        tree_size: p.tree_size,
        root_hash: p.root_hash.clone(),
        published_at: Some(p.published_at.clone()),
    }
}

/// The `<table>` of a page (the results table comes first).
fn first_table(page: &str) -> &str {
    let start = page.find("<table").unwrap();
    let end = page[start..].find("</table>").unwrap() + start + "</table>".len();
    &page[start..end]
}

#[test]
fn history_carries_the_previous_totals_on_the_publication_before_only() {
    let (pubs, tallies) = night();
    let prev = tallies[1].selection_totals();
    let h = PublicationRecord::history(&pubs, 10, Some(&prev));
    assert_eq!(
        h.iter().map(|r| r.tree_size).collect::<Vec<_>>(),
        [4, 7, 10]
    );
    assert!(h[0].totals.is_empty() && h[2].totals.is_empty());
    assert_eq!(h[1].totals, prev);
    // At an earlier published size, later publications are not listed.
    let h = PublicationRecord::history(&pubs, 7, Some(&tallies[0].selection_totals()));
    assert_eq!(h.iter().map(|r| r.tree_size).collect::<Vec<_>>(), [4, 7]);
    assert_eq!(h[0].totals, tallies[0].selection_totals());
    // Automatic mode has no publications: nothing to compare with.
    assert!(PublicationRecord::history(&[], 10, None).is_empty());
    // The feed's cap.
    let many: Vec<Publication> = (1..=80)
        .map(|n| Publication {
            tree_size: n,
            ..pubs[0].clone()
        })
        .collect();
    let h = PublicationRecord::history(&many, 80, None);
    assert_eq!(h.len(), skytale_render::MAX_FEED_ENTRIES);
    assert_eq!(h.last().map(|r| r.tree_size), Some(80));
}

#[test]
fn contest_page_shows_the_change_against_the_second_publication() {
    let (pubs, tallies) = night();
    let def = common::definition();
    let site = Site::new(def.clone()).unwrap();
    let history = PublicationRecord::history(&pubs, 10, Some(&tallies[1].selection_totals()));
    let all = site.render_all(&tallies[2], &pos_of(&pubs[2]), &history);
    let page = text(&all["/en/demo/president/"]);
    let table = first_table(page);
    assert!(table.contains("<th scope=\"col\" class=\"change\">Change since last publication</th>"));
    // Every selection's change is its votes now minus its votes at the second publication.
    let now = &tallies[2].selection_totals()["president"];
    let then = &tallies[1].selection_totals()["president"];
    for (sel, v) in now {
        let d = *v - then[sel];
        assert!(d > 0, "the test night adds votes for {sel}");
        let cell = format!(
            "<td data-label=\"Change since last publication\">+{}</td>",
            skytale_render::i18n::format_int("en", d)
        );
        assert!(table.contains(&cell), "{sel}: {cell} missing in {table}");
    }
    insta::assert_snapshot!("president_table_with_change", table);
    // Pages below the contest show no change column (contest-level totals only are kept).
    assert!(!text(&all["/en/demo/president/r1/"]).contains("Change since last publication"));
    // The first publication has nothing before it.
    let first = site.render_all(
        &tallies[0],
        &pos_of(&pubs[0]),
        &PublicationRecord::history(&pubs, 4, None),
    );
    assert!(!text(&first["/en/demo/president/"]).contains("Change since last publication"));
}

#[test]
fn atom_feed_lists_every_publication_newest_first() {
    let (pubs, tallies) = night();
    let site = Site::new(common::definition()).unwrap();
    let history = PublicationRecord::history(&pubs, 10, Some(&tallies[1].selection_totals()));
    let all = site.render_all(&tallies[2], &pos_of(&pubs[2]), &history);
    let feed = text(&all["/feeds/demo.atom"]);
    let entries: Vec<&str> = feed.split("<entry>").skip(1).collect();
    assert_eq!(entries.len(), 3, "{feed}");
    for (e, p) in entries.iter().zip(pubs.iter().rev()) {
        assert!(
            e.contains(&format!(
                "<id>urn:skytale:demo:publication:{}</id>",
                p.tree_size
            )),
            "{e}"
        );
        assert!(e.contains(&format!("<updated>{}</updated>", p.published_at)));
        assert!(e.contains(&p.root_hash), "{e}");
    }
    assert!(feed.contains("<updated>2026-11-25T21:42:00Z</updated>\n<link"));
}

/// A statement's time as a reporter's clock writes it (nine fraction digits, an offset, a
/// lower-case `t`) is in the feed and the pages' `datetime` as RFC 4287 and HTML want it: UTC,
/// whole seconds, upper-case `T` and `Z`.
#[test]
fn feed_and_page_times_are_utc_whole_seconds_whatever_the_statement_wrote() {
    let (mut pubs, tallies) = night();
    pubs[0].published_at = "2026-11-25T21:05:00.535534872Z".into();
    pubs[1].published_at = "2026-11-25t23:17:00.5+02:00".into();
    pubs[2].published_at = "2026-11-25T23:42:09.123456789+02:00".into();
    let site = Site::new(common::definition()).unwrap();
    let history = PublicationRecord::history(&pubs, 10, Some(&tallies[1].selection_totals()));
    let all = site.render_all(&tallies[2], &pos_of(&pubs[2]), &history);
    let feed = text(&all["/feeds/demo.atom"]);
    let updated: Vec<&str> = feed
        .split("<updated>")
        .skip(1)
        .map(|s| &s[..s.find("</updated>").unwrap()])
        .collect();
    assert_eq!(
        updated,
        [
            "2026-11-25T21:42:09Z",
            "2026-11-25T21:42:09Z",
            "2026-11-25T21:17:00Z",
            "2026-11-25T21:05:00Z"
        ],
        "{feed}"
    );
    let overview = text(&all["/en/demo/"]);
    assert!(
        overview.contains("<time datetime=\"2026-11-25T21:42:09Z\">"),
        "{overview}"
    );
    assert!(!overview.contains("123456789"), "{overview}");
}

#[test]
fn card_png_is_1200_by_630_not_blank_and_draws_greek_and_cyrillic() {
    let (pubs, tallies) = night();
    let site = Site::new(common::definition()).unwrap();
    let all = site.render_all(&tallies[2], &pos_of(&pubs[2]), &[]);
    let png = &all["/og/demo/president.png"];
    assert_eq!(png.content_type, "image/png");
    assert!(png.gzip.is_none(), "PNG is not compressed twice");
    let (w, h, pixels) = decode(&png.body);
    assert_eq!((w, h), (card::CARD_WIDTH, card::CARD_HEIGHT));
    let colours: std::collections::BTreeSet<&[u8]> = pixels.chunks(4).collect();
    assert!(colours.len() > 20, "only {} colours", colours.len());
    // The page points og:image at it, with its size and a text alternative.
    let page = text(&all["/el/demo/president/"]);
    assert!(page.contains("<meta property=\"og:image\" content=\"/og/demo/president.png\">"));
    assert!(page.contains("<meta property=\"og:image:width\" content=\"1200\">"));
    assert!(page.contains("<meta property=\"og:image:height\" content=\"630\">"));
    assert!(page.contains("<meta property=\"og:image:alt\" content=\""));

    // Greek and Cyrillic are drawn with real glyphs: the same card with a Greek, a Cyrillic
    // and an empty title gives three different images (missing glyphs would all be the same
    // boxes, or nothing).
    let svg = |title: &str| {
        skytale_render::svg::og_card("el", title, "Εκλογές 2026", "Ανεπίσημα", "1 / 2", &[])
    };
    let ink = |title: &str| {
        let (_, _, px) = decode(&card::png(&svg(title)).unwrap());
        px.chunks(4).filter(|p| p[0] < 128).count()
    };
    let blank = ink("");
    let greek = ink("Δήμαρχος");
    let cyrillic = ink("Кмет на");
    assert!(
        greek > blank && cyrillic > blank,
        "{blank} {greek} {cyrillic}"
    );
    assert_ne!(
        card::png(&svg("Δήμαρχος")).unwrap(),
        card::png(&svg("Кметове")).unwrap()
    );
}

#[test]
fn card_png_is_rendered_again_only_when_the_card_changes() {
    let (pubs, tallies) = night();
    let site = Site::new(common::definition()).unwrap();
    let mut state = skytale_render::RenderState::new();
    let first = site.render_changed(&tallies[1], &pos_of(&pubs[1]), &[], &mut state);
    assert!(first.contains_key("/og/demo/president.png"));
    // Same numbers, a later publication that brings a history: the contest page changes
    // (a change column appears), the card does not.
    let history = PublicationRecord::history(&pubs, 10, Some(&tallies[1].selection_totals()));
    let again = site.render_changed(&tallies[1], &pos_of(&pubs[2]), &history, &mut state);
    assert!(again.contains_key("/en/demo/president/"));
    assert!(!again.contains_key("/og/demo/president.png"));
    let more = site.render_changed(&tallies[2], &pos_of(&pubs[2]), &history, &mut state);
    assert!(more.contains_key("/og/demo/president.png"));
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = png::Decoder::new(std::io::Cursor::new(bytes));
    d.set_transformations(png::Transformations::EXPAND);
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Under `automatic` publication there is no publication to list: the feed gives the current
/// state and one entry per contest with results, whose id moves with its figures, so a reader
/// polling it sees each change of a contest as a new entry.
#[test]
fn a_feed_without_publications_has_an_entry_per_contest_that_moves_with_its_figures() {
    let def = common::definition();
    let site = Site::new(def.clone()).unwrap();
    let feed_at = |n: usize, size: u64| {
        let all = site.render_all(&common::tally(&def, n), &common::pos(size), &[]);
        text(&all["/feeds/demo.atom"]).to_string()
    };
    let early = feed_at(3, 4);
    let entries: Vec<&str> = early.split("<entry>").skip(1).collect();
    let with_results = common::tally(&def, 3)
        .document(&common::pos(4))
        .contests
        .iter()
        .filter(|c| c.units_reporting > 0)
        .count();
    assert!(with_results > 0);
    assert_eq!(entries.len(), 1 + with_results, "{early}");
    assert!(entries[0].contains("<id>urn:skytale:demo:publication:4</id>"));
    let president = entries
        .iter()
        .find(|e| e.contains("<id>urn:skytale:demo:contest:president:"))
        .unwrap_or_else(|| panic!("{early}"));
    assert!(president.contains("units reporting</title>"), "{president}");
    assert!(president.contains("Leading "), "{president}");
    assert!(
        president.contains("Root hash: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        "{president}"
    );
    assert!(
        president.contains("href=\"/en/demo/president/\""),
        "{president}"
    );
    let id = |feed: &str| {
        let start = feed
            .find("<id>urn:skytale:demo:contest:president:")
            .unwrap();
        feed[start..start + feed[start..].find("</id>").unwrap()].to_string()
    };
    let later = feed_at(5, 6);
    assert_ne!(id(&early), id(&later), "new figures, new entry");
    assert_eq!(later, feed_at(5, 6), "the same log prefix, the same bytes");
}

#[test]
fn a_post_says_most_votes_not_leading_once_every_unit_has_reported() {
    let def = common::definition();
    let c = &def.contests()[0];
    let mut h = skytale_render::social::Headline {
        contest: c.id.clone(),
        units_reporting: 3,
        units_total: 4,
        leaders: vec![(c.selections[0].id.clone(), 300, "60.00".into())],
    };
    let text = h.leaders_text(&def, "en").unwrap();
    assert!(text.starts_with("Leading "), "{text}");
    h.units_reporting = 4;
    let text = h.leaders_text(&def, "en").unwrap();
    assert!(text.starts_with("Most votes "), "{text}");
    let el = h.leaders_text(&def, "el").unwrap();
    assert!(
        !el.starts_with("Most votes"),
        "in the page's language: {el}"
    );
}
