//! The officials' console pages: what an action signs is in the page, text is escaped, and no
//! page carries an inline script or style (the console's CSP forbids both).

use skytale_render::console::{self as page, ContestDiff, Ctx, HeldView, Official};

fn official(office: &'static str) -> Official {
    Official {
        key: "approver-a".into(),
        office,
        scope: vec!["Nation".into()],
        expires_at: "2026-11-25T21:45:00Z".into(),
    }
}

fn ctx(o: &Official) -> Ctx<'_> {
    Ctx {
        lang: "en",
        election: "test-2026",
        election_name: "Test <election>",
        official: Some(o),
        csrf: Some("token"),
        test: true,
    }
}

fn held() -> HeldView {
    HeldView {
        id: 7,
        digest: "ab".repeat(32),
        unit: "N1".into(),
        version: 2,
        received_at: "2026-11-25T21:30:05.123456Z".into(),
        reasons: vec!["contests[0].selections: 1300 votes exceed 1200 ballots".into()],
        note: "{\"type\":\"results\"}\n\n— north-office AAAA\n".into(),
        contests: vec![ContestDiff {
            contest: "Mayor".into(),
            rows: vec![("Alice".into(), Some(300), 700)],
            ballots: (Some(510), Some(1200)),
        }],
        previous_version: Some(1),
    }
}

fn no_inline_code(html: &str) {
    assert!(!html.contains(" style="), "inline style");
    for (i, _) in html.match_indices(" on") {
        let rest = &html[i + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        assert!(
            name.is_empty() || !rest[name.len()..].starts_with('='),
            "inline handler on{name}"
        );
    }
    for script in html.split("<script").skip(1) {
        assert!(
            script.starts_with(" src=") || script.starts_with(" type=\"application/json\""),
            "inline script: {script}"
        );
    }
}

#[test]
fn an_approver_reviews_a_held_submission_with_the_statement_in_the_page() {
    let o = official("approver");
    let html = String::from_utf8(page::held_page(&ctx(&o), &[held()])).unwrap();
    no_inline_code(&html);
    assert!(html.contains("Test &lt;election&gt;"), "escaped");
    assert!(html.contains("Test election: nothing here is a real result."));
    assert!(html.contains("Held #7: N1, version 2"));
    assert!(html.contains("2026-11-25 21:30:05 UTC"), "{html}");
    assert!(html.contains("<tr class=\"changed\"><th scope=\"row\">Alice</th><td class=\"num\">300</td><td class=\"num\">700</td><td class=\"num\">+400</td></tr>"), "{html}");
    // The release carries the held note itself; the rejection only its digest.
    let release = html
        .split("value=\"release\" data-statement=\"")
        .nth(1)
        .unwrap();
    let release = release.split('"').next().unwrap().replace("&quot;", "\"");
    assert!(release.contains("\"decision\":\"release\""), "{release}");
    assert!(release.contains("\"note\":"), "{release}");
    let reject = html.split("value=\"reject\"").nth(1).unwrap();
    let reject = reject.split("data-statement=\"").nth(1).unwrap();
    let reject = reject.split('"').next().unwrap().replace("&quot;", "\"");
    assert!(!reject.contains("\"note\""), "{reject}");
    assert!(reject.contains(&"ab".repeat(32)));
    assert!(html.contains("data-csrf=\"token\""));
}

#[test]
fn a_reporter_sees_held_submissions_without_the_decisions() {
    let o = official("reporter");
    let html = String::from_utf8(page::held_page(&ctx(&o), &[held()])).unwrap();
    assert!(html.contains("Held #7"));
    assert!(!html.contains("data-action=\"review\""));
    assert!(html.contains("Upload results") && !html.contains("Approve publication"));
}

#[test]
fn the_sign_in_page_asks_for_a_key_file_and_needs_no_session() {
    let c = Ctx {
        lang: "fr",
        election: "test-2026",
        election_name: "Élection test",
        official: None,
        csrf: None,
        test: false,
    };
    let html = String::from_utf8(page::sign_in_page(
        &c,
        Some("the session expired; sign in again"),
    ))
    .unwrap();
    no_inline_code(&html);
    assert!(html.contains("<input type=\"file\" id=\"key-file\""));
    assert!(html.contains("role=\"alert\">the session expired; sign in again</p>"));
    assert!(!html.contains("data-csrf"));
    assert!(html.contains("<html lang=\"fr\""));
    assert!(
        !html.contains("Sign in with your election key"),
        "the page speaks the election's language"
    );
    let messages = html.split("id=\"console-messages\">").nth(1).unwrap();
    let messages = messages.split("</script>").next().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(messages).unwrap();
    assert!(parsed["js-key-bad"]
        .as_str()
        .unwrap()
        .contains("PRIVATE+KEY+"));
}

#[test]
fn the_audit_trail_exports_as_csv_with_quotes_doubled() {
    let rows = vec![page::ActivityRow {
        index: 12,
        kind: "review".into(),
        by: "authority".into(),
        what: "release N1 v2 — the county said \"yes\"".into(),
        at: "2026-11-25T21:31:00Z".into(),
        sealed: true,
    }];
    let csv = String::from_utf8(page::audit_csv(&rows)).unwrap();
    assert_eq!(
        csv,
        "index,time,kind,signed_by,what,sealed\r\n12,\"2026-11-25T21:31:00Z\",\"review\",\"authority\",\"release N1 v2 — the county said \"\"yes\"\"\",true\r\n"
    );
}

#[test]
fn times_read_as_officials_read_them() {
    assert_eq!(
        page::human_time("2026-11-25T21:30:05Z"),
        "2026-11-25 21:30:05 UTC"
    );
    assert_eq!(
        page::human_time("2026-11-25T21:30:05.5Z"),
        "2026-11-25 21:30:05 UTC"
    );
    assert_eq!(
        page::human_time("2026-11-25T21:30:05+01:00"),
        "2026-11-25T21:30:05+01:00"
    );
}
