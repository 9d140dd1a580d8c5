//! The member's language: every word a member reads (pages, the text message, the invite email,
//! the pass's labels) comes from one Fluent file per language in `domain/locales/` (its name is
//! the language tag). A new language is a new file: the build embeds every file it finds there.
//! Plurals follow each language's rules (Fluent's, from CLDR).
//!
//! Which language: the page's switch (`?lang=`), else the member's from the CRM, else the
//! browser's `Accept-Language` among the operator's enabled languages, else the operator's
//! default ([`choose`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The language every message falls back to (its file is complete by definition).
pub const SOURCE: &str = "en";

/// `(tag, file text)` for every file in `domain/locales/`, sorted by tag (see `build.rs`).
const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/locales.rs"));

struct Catalog {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut bundles = HashMap::new();
        for (tag, text) in FILES {
            let resource = match FluentResource::try_new((*text).to_owned()) {
                Ok(r) => r,
                Err((r, errors)) => {
                    tracing::error!(language = tag, ?errors, "a translation file has errors");
                    r
                }
            };
            let id = tag.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks around variables: texts go to SMS and email too.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(
                    language = tag,
                    ?errors,
                    "a translation file repeats a message"
                );
            }
            bundles.insert(*tag, bundle);
        }
        Catalog { bundles }
    })
}

/// Every language there is a file for, sorted by tag.
pub fn available() -> Vec<&'static str> {
    FILES.iter().map(|(tag, _)| *tag).collect()
}

/// The message ids of `lang`'s file, in file order.
pub fn ids(lang: &str) -> Vec<String> {
    let Some((_, text)) = FILES.iter().find(|(tag, _)| *tag == lang) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            (!id.is_empty()
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .then(|| id.to_owned())
        })
        .collect()
}

/// A language tag we have a file for, from what was asked (`de-AT` is `de`); `None` otherwise.
pub fn known(asked: &str) -> Option<&'static str> {
    let asked = asked.trim().to_ascii_lowercase();
    let primary = asked.split(['-', '_']).next().unwrap_or_default();
    FILES
        .iter()
        .map(|(tag, _)| *tag)
        .find(|tag| *tag == asked || *tag == primary)
}

/// Arguments for a message: `("operator", "Northwind".into())`, `("minutes", 10.into())`.
pub type Args<'a> = [(&'a str, FluentValue<'a>)];

/// The message `id` in `lang` (falling back to English, then to the id itself), formatted.
pub fn t(lang: &str, id: &str, args: &Args<'_>) -> String {
    let catalog = catalog();
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    for tag in [lang, SOURCE] {
        let Some(bundle) = catalog.bundles.get(tag) else {
            continue;
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            continue;
        };
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                language = tag,
                id,
                ?errors,
                "a message did not format cleanly"
            );
        }
        return out.into_owned();
    }
    id.to_owned()
}

/// A text argument.
pub fn text(s: &str) -> FluentValue<'_> {
    FluentValue::from(s)
}

/// A number argument (plurals select on it).
pub fn number(n: i64) -> FluentValue<'static> {
    FluentValue::from(n)
}

/// The languages an operator has enabled (`operators.languages`, comma-separated), those we
/// have a file for, in the order given; English when none is usable.
pub fn enabled(list: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for tag in list.split(',').filter_map(known) {
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        out.push(SOURCE);
    }
    out
}

/// The best of `enabled` for an `Accept-Language` header (RFC 9110: tags with `q` weights; a
/// region falls back to its language, `*` takes the default).
pub fn from_accept_language(header: &str, enabled: &[&'static str]) -> Option<&'static str> {
    let mut asked: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            if tag.is_empty() {
                return None;
            }
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0).then_some((q, i, tag))
        })
        .collect();
    // Highest weight first; equal weights keep the header's order.
    asked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    asked.into_iter().find_map(|(_, _, tag)| {
        if tag == "*" {
            return None;
        }
        known(tag).filter(|t| enabled.contains(t))
    })
}

/// What decides a page's language, strongest first.
#[derive(Debug, Default, Clone, Copy)]
pub struct Asked<'a> {
    /// The language switch on the page (`?lang=`).
    pub switch: Option<&'a str>,
    /// The journey's language, chosen on the page the number was entered on.
    pub journey: Option<&'a str>,
    /// The member's language from the CRM, when the member is known.
    pub member: Option<&'a str>,
    /// The browser's `Accept-Language` header.
    pub accept_language: Option<&'a str>,
}

/// The language of a page for an operator whose enabled languages are `enabled` (comma list)
/// and whose default is `default`.
pub fn choose(asked: Asked<'_>, enabled: &str, default: &str) -> &'static str {
    let enabled = self::enabled(enabled);
    let usable = |tag: Option<&str>| tag.and_then(known).filter(|t| enabled.contains(t));
    usable(asked.switch)
        .or_else(|| usable(asked.journey))
        .or_else(|| usable(asked.member))
        .or_else(|| {
            asked
                .accept_language
                .and_then(|h| from_accept_language(h, &enabled))
        })
        .or_else(|| usable(Some(default)))
        .unwrap_or(enabled[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_and_nothing_else() {
        let source = ids(SOURCE);
        assert!(source.len() > 50, "{source:?}");
        for tag in available() {
            let theirs = ids(tag);
            let missing: Vec<_> = source.iter().filter(|id| !theirs.contains(id)).collect();
            let extra: Vec<_> = theirs.iter().filter(|id| !source.contains(id)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{tag}: missing {missing:?}, not in English {extra:?}"
            );
        }
    }

    #[test]
    fn at_least_the_five_languages_operators_asked_for() {
        for tag in ["en", "de", "fr", "es", "nl"] {
            assert!(available().contains(&tag), "{tag}");
        }
    }

    #[test]
    fn every_message_formats_in_every_language_without_errors() {
        let args = [
            ("operator", text("Northwind")),
            ("name", text("Ada")),
            ("number", text("•••• ••• 001")),
            ("url", text("https://pass.example/l/x")),
            ("email", text("help@example.com")),
            ("phone", text("+44 20 7946 0000")),
            ("countries", text("GB, IE")),
            ("minutes", number(10)),
            ("seconds", number(30)),
            ("left", number(2)),
            ("days", number(14)),
        ];
        for tag in available() {
            let bundle = &catalog().bundles[tag];
            for id in ids(tag) {
                let pattern = bundle.get_message(&id).and_then(|m| m.value());
                let pattern = pattern.unwrap_or_else(|| panic!("{tag}: {id} has no value"));
                let mut fluent_args = FluentArgs::new();
                for (name, value) in &args {
                    fluent_args.set(*name, value.clone());
                }
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                assert!(errors.is_empty(), "{tag}: {id}: {errors:?}");
                assert!(!out.trim().is_empty(), "{tag}: {id} is empty");
                assert!(!out.contains('{'), "{tag}: {id}: a placeable left: {out}");
            }
        }
    }

    /// Each language's text, with a long operator name, a long public address, the link and the
    /// WebOTP line, fits two SMS segments (GSM-7: 306 characters; one character outside GSM-7
    /// would make it UCS-2, 134).
    #[test]
    fn every_languages_text_fits_two_segments_with_the_link_and_the_code_line() {
        let public_url = "https://pass.northwind-workspace.example";
        let url = format!("{public_url}/l/{}", "x".repeat(43));
        for tag in available() {
            for minutes in [1, 10, 60] {
                let body = crate::links::sms_body(
                    tag,
                    "Northwind Workspace Shoreditch",
                    &url,
                    minutes,
                    public_url,
                    "123456",
                );
                let count = crate::sms::segments::count(&body);
                assert!(
                    count.segments <= 2,
                    "{tag}: {} segments ({} {} units; outside GSM-7: {:?}):\n{body}",
                    count.segments,
                    count.units,
                    count.encoding.as_str(),
                    crate::sms::segments::outside_gsm7(&body)
                );
                assert!(
                    body.contains(&url)
                        && body.ends_with("@pass.northwind-workspace.example #123456")
                );
            }
        }
    }

    #[test]
    fn plurals_follow_the_language() {
        let once = |tag: &str, n: i64| t(tag, "notice-code-wrong", &[("left", number(n))]);
        assert_eq!(once("en", 1), "That code isn't right. You have 1 more try.");
        assert_eq!(
            once("en", 3),
            "That code isn't right. You have 3 more tries."
        );
        assert_ne!(once("de", 1), once("de", 3));
    }

    #[test]
    fn an_unknown_language_or_message_falls_back() {
        assert_eq!(t("xx", "phone-heading", &[]), t("en", "phone-heading", &[]));
        assert_eq!(t("de", "no-such-message", &[]), "no-such-message");
        assert_ne!(t("de", "phone-heading", &[]), t("en", "phone-heading", &[]));
    }

    #[test]
    fn accept_language_picks_the_best_enabled_language() {
        let all = enabled("en,de,fr,es,nl");
        assert_eq!(
            from_accept_language("de-DE,de;q=0.9,en;q=0.8", &all),
            Some("de")
        );
        assert_eq!(
            from_accept_language("fr-CH, fr;q=0.9, en;q=0.8", &all),
            Some("fr")
        );
        assert_eq!(
            from_accept_language("pt-BR,es;q=0.5,en;q=0.4", &all),
            Some("es")
        );
        assert_eq!(from_accept_language("en;q=0.1,nl;q=0.9", &all), Some("nl"));
        assert_eq!(from_accept_language("de;q=0,fr", &all), Some("fr"));
        assert_eq!(from_accept_language("ja,*;q=0.5", &all), None);
        assert_eq!(from_accept_language("", &all), None);
        assert_eq!(from_accept_language("de", &enabled("en,fr")), None);
    }

    #[test]
    fn the_switch_then_the_journey_then_the_crm_then_the_browser_then_the_default() {
        let all = "en,de,fr,es,nl";
        let asked = Asked {
            switch: Some("nl"),
            journey: Some("es"),
            member: Some("fr"),
            accept_language: Some("de"),
        };
        assert_eq!(choose(asked, all, "en"), "nl");
        assert_eq!(
            choose(
                Asked {
                    switch: None,
                    ..asked
                },
                all,
                "en"
            ),
            "es"
        );
        let no_journey = Asked {
            switch: None,
            journey: None,
            ..asked
        };
        assert_eq!(choose(no_journey, all, "en"), "fr");
        let browser = Asked {
            member: None,
            ..no_journey
        };
        assert_eq!(choose(browser, all, "en"), "de");
        assert_eq!(choose(Asked::default(), all, "es"), "es");
        // Only enabled languages count: a disabled one falls through to the next rule.
        assert_eq!(choose(asked, "en,de", "en"), "de");
        assert_eq!(choose(Asked::default(), "fr,nl", "en"), "fr");
        assert_eq!(
            choose(
                Asked {
                    switch: Some("xx"),
                    ..Asked::default()
                },
                all,
                "de"
            ),
            "de"
        );
    }
}
