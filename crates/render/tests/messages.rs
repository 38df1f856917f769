//! The UI messages: every one of the 24 files is complete (exactly the reference's messages),
//! parses, and formats every message without errors.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
use skytale_render::i18n::{messages, FTL_SOURCES, REFERENCE_LANGUAGE, UI_LANGUAGES};

#[test]
fn all_24_official_eu_languages_are_shipped() {
    assert_eq!(FTL_SOURCES.len(), 24);
    assert_eq!(UI_LANGUAGES.len(), 24);
    for ((a, _), (b, _)) in FTL_SOURCES.iter().zip(UI_LANGUAGES.iter()) {
        assert_eq!(a, b);
    }
    assert!(messages().errors.is_empty(), "{:?}", messages().errors);
}

#[test]
fn every_language_has_every_message_and_no_other() {
    let reference = messages().ids(REFERENCE_LANGUAGE);
    assert!(
        reference.len() >= 40,
        "reference has {} messages",
        reference.len()
    );
    for (lang, _) in FTL_SOURCES {
        let ids = messages().ids(lang);
        let missing: Vec<&String> = reference
            .iter()
            .filter(|id| !messages().has(lang, id))
            .collect();
        assert!(missing.is_empty(), "{lang}.ftl lacks {missing:?}");
        let extra: Vec<&String> = ids.iter().filter(|id| !reference.contains(id)).collect();
        assert!(
            extra.is_empty(),
            "{lang}.ftl has messages the reference lacks: {extra:?}"
        );
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            ids.len(),
            "{lang}.ftl defines a message twice"
        );
    }
}

#[test]
fn every_message_formats_without_error_and_uses_the_same_variables() {
    let reference_src = FTL_SOURCES
        .iter()
        .find(|(l, _)| *l == REFERENCE_LANGUAGE)
        .unwrap()
        .1;
    for (lang, src) in FTL_SOURCES {
        let res = FluentResource::try_new(src.to_string())
            .unwrap_or_else(|(_, e)| panic!("{lang}: {e:?}"));
        let mut bundle = FluentBundle::new(vec![lang.parse().unwrap()]);
        bundle.set_use_isolating(false);
        bundle.add_resource(res).unwrap();
        for id in messages().ids(REFERENCE_LANGUAGE) {
            assert_eq!(
                variables(src, &id),
                variables(reference_src, &id),
                "{lang}: {id} uses other variables"
            );
            let msg = bundle.get_message(&id).unwrap();
            let mut args = FluentArgs::new();
            for k in variables(reference_src, &id) {
                args.set(k, "1");
            }
            let mut errs = vec![];
            let s = bundle.format_pattern(msg.value().unwrap(), Some(&args), &mut errs);
            assert!(errs.is_empty(), "{lang}: {id}: {errs:?}");
            assert!(!s.trim().is_empty(), "{lang}: {id} is empty");
        }
    }
}

#[test]
fn fallback_for_unknown_language_is_english() {
    assert_eq!(messages().get("xx", "votes", &[]), "Votes");
    assert_eq!(messages().get("pt-PT", "votes", &[]), "Votos");
    assert_eq!(
        messages().get("el", "reporting", &[("reporting", "3"), ("total", "8")]),
        "Καταμετρημένες περιοχές: 3 από 8"
    );
}

/// The console's messages: the same 24 languages, each with exactly the English file's
/// messages and the same variables in each, all parsing and formatting without errors.
#[test]
fn the_console_speaks_every_language_the_site_does() {
    use skytale_render::i18n::{console_messages, CONSOLE_FTL_SOURCES};
    let langs: Vec<&str> = CONSOLE_FTL_SOURCES.iter().map(|(l, _)| *l).collect();
    let site: Vec<&str> = FTL_SOURCES.iter().map(|(l, _)| *l).collect();
    assert_eq!(langs, site);
    let m = console_messages();
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let reference = m.ids(REFERENCE_LANGUAGE);
    assert!(reference.len() >= 100, "{}", reference.len());
    let en = CONSOLE_FTL_SOURCES
        .iter()
        .find(|(l, _)| *l == REFERENCE_LANGUAGE)
        .unwrap()
        .1;
    for (lang, src) in CONSOLE_FTL_SOURCES {
        assert_eq!(m.ids(lang), reference, "{lang}: other messages or order");
        for id in &reference {
            assert!(m.has(lang, id), "{lang} lacks {id}");
            assert_eq!(
                variables(src, id),
                variables(en, id),
                "{lang}: {id} uses other variables"
            );
            // Progress messages end with an ellipsis: the script tells them from results so.
            if variables(en, id).is_empty() && en.contains(&format!("{id} = ")) {
                let text = m.get(lang, id, &[]);
                assert!(!text.contains("{$"), "{lang}: {id}: {text}");
            }
        }
        for id in ["js-signing-in", "js-sending"] {
            assert!(m.get(lang, id, &[]).ends_with('…'), "{lang}: {id}");
        }
    }
}

/// The variables message `id` uses in the Fluent source `src`, sorted.
fn variables(src: &str, id: &str) -> Vec<String> {
    let line = src
        .lines()
        .find(|l| l.starts_with(&format!("{id} = ")))
        .unwrap_or("");
    let mut v: Vec<String> = line
        .split("{ $")
        .skip(1)
        .map(|s| s.split(' ').next().unwrap_or("").to_string())
        .collect();
    v.sort();
    v
}
