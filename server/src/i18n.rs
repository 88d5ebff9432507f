//! The pages' languages: English and Japanese.
//!
//! Every string a page shows lives in a Fluent catalogue under `locales/<lang>/<area>.ftl`,
//! compiled into the binary; templates only name messages (`chrome.t("nav-home")`). A unit test
//! below keeps the catalogues complete (every message in both languages, every message a
//! template names present) and the templates free of words of their own.
//!
//! The language of a request is, in order: the one the person chose (kept in their session
//! from sign-in or from the switch on the page), the browser's `Accept-Language`, English.
//! [`layer`] settles it once per request and runs the handler inside it, so that anything that
//! renders a page, including the error pages, reads it with [`current`].

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;
use tower_sessions::Session;

pub use policy::Says;

/// `Display` in English for types that say themselves with a `says()` method (a denial, a
/// refusal): for logs, audit details and the command line, from the same catalogue as pages.
#[macro_export]
macro_rules! english_display {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::i18n::en(&self.says()))
            }
        }
    };
}

/// A catalogue message with named arguments, for words that are built away from a page (a
/// rule a store enforces, a refusal, a notification) and read later in the reader's language:
/// `says!("proj-bad-transition", from = current.as_str(), to = status.as_str())`. Each value is
/// written with `to_string()`; whole numbers and `YYYY-MM-DD` dates are recognised when read.
/// A unit test checks that every id named this way is in the catalogues.
#[macro_export]
macro_rules! says {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Says::new($id, &[$((stringify!($name), ::std::string::ToString::to_string(&$value))),*])
    };
}

/// Session key of the language the person chose.
pub const LANG_KEY: &str = "lang";

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// Every language, in the order the switch offers them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The BCP 47 tag, as in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name for itself (shown in the switch whatever the page's language).
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    /// A stored or submitted tag.
    pub fn parse(tag: &str) -> Option<Lang> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header (by quality, then order) that the
    /// pages are written in, matching by primary subtag (`ja-JP` is Japanese).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut offered: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split('-').next()?;
                let lang = Lang::parse(primary)?;
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map(|(_, _, l)| *l)
    }
}

tokio::task_local! {
    static CURRENT: Lang;
}

/// The language of the request being handled (English outside a request).
pub fn current() -> Lang {
    CURRENT.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` with `lang` as the current language (for work outside a request, and tests).
pub async fn within<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    CURRENT.scope(lang, f).await
}

/// Middleware: settles the request's language and handles the request in it. Sits inside the
/// session layer.
pub async fn layer(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let chosen = match request.extensions().get::<Session>() {
        Some(session) => session.get::<String>(LANG_KEY).await.ok().flatten().and_then(|t| Lang::parse(&t)),
        None => None,
    };
    let lang = chosen
        .or_else(|| {
            request
                .headers()
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let mut response = within(lang, next.run(request)).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(lang.code()) {
        response.headers_mut().insert(axum::http::header::CONTENT_LANGUAGE, v);
    }
    response
}

/// Empties a session (at sign-in, so that nothing of whoever used this browser before is
/// carried over) but keeps the language chosen on the sign-in page.
pub async fn clear_keeping_language(session: &Session) -> Result<(), tower_sessions::session::Error> {
    let lang = session.get::<String>(LANG_KEY).await?;
    session.clear().await;
    if let Some(lang) = lang {
        session.insert(LANG_KEY, lang).await?;
    }
    Ok(())
}

/// Declares the catalogue files of each language, in one list so that both languages always
/// load the same areas.
macro_rules! catalogues {
    ($($area:literal),* $(,)?) => {
        /// The areas (files) of the catalogues.
        pub const AREAS: &[&str] = &[$($area),*];
        const EN: &[&str] = &[$(include_str!(concat!("../../locales/en/", $area, ".ftl"))),*];
        const JA: &[&str] = &[$(include_str!(concat!("../../locales/ja/", $area, ".ftl"))),*];
    };
}

catalogues![
    "common",
    "home",
    "accounts",
    "datasets",
    "applications",
    "projects",
    "outputs",
    "workspace",
    "admin",
    "findings",
    "errors"
];

/// The parsed catalogues, built at first use. A catalogue that does not parse, or that
/// defines a message twice, stops the program at start-up (and fails the unit tests first).
fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| [bundle(Lang::En, EN), bundle(Lang::Ja, JA)])
}

fn bundle(lang: Lang, sources: &[&str]) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text: no Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    for (area, source) in AREAS.iter().zip(sources) {
        let resource = FluentResource::try_new((*source).to_string())
            .unwrap_or_else(|(_, errors)| panic!("catalogue {}/{area}.ftl: {errors:?}", lang.code()));
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("catalogue {}/{area}.ftl: {errors:?}", lang.code()));
    }
    bundle
}

/// Checks the catalogues at start-up, so that a broken catalogue stops the server before it
/// serves a page.
pub fn load() {
    let _ = bundles();
}

/// Message `id` in `lang`, with arguments. A message missing from the catalogue shows its id
/// (and is logged); the unit tests keep that from happening.
pub fn text(lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
    let bundle = &bundles()[lang as usize];
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(message.id = id, lang = lang.code(), "message missing from the catalogue");
        return id.to_string();
    };
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(message.id = id, lang = lang.code(), ?errors, "message formatted with errors");
    }
    out.into_owned()
}

/// Something a message can take as an argument.
pub trait Arg {
    /// The Fluent value (numbers stay numbers, so that plurals choose their form).
    fn value(&self) -> FluentValue<'static>;
}

impl Arg for str {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.to_string())
    }
}

impl Arg for String {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.clone())
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn value(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )*};
}

number_arg!(i32, i64, u32, u64, usize);

impl<T: Arg + ?Sized> Arg for &T {
    fn value(&self) -> FluentValue<'static> {
        (**self).value()
    }
}

/// A finding of the output gate in `lang`: its rule's name and its words, from the finding's
/// catalogue message (the English words it was recorded with, when it has none).
pub fn finding(lang: Lang, f: &policy::sdc::Finding) -> String {
    let rule = rule_name(lang, f.rule);
    let detail = f.says.as_ref().map_or_else(|| f.detail.clone(), |s| says(lang, s));
    text(lang, "finding", Some(&args(&[("rule", &rule), ("detail", &detail)])))
}

/// The name of a rule of the output gate in `lang`.
pub fn rule_name(lang: Lang, rule: policy::sdc::Rule) -> String {
    text(lang, "finding-rule", Some(&args(&[("rule", &rule.name())])))
}

/// A catalogue message in `lang`. An argument that is a whole number stays a number (for
/// plural forms); one that is a `YYYY-MM-DD` date is written the language's way.
pub fn says(lang: Lang, says: &Says) -> String {
    let mut a = FluentArgs::new();
    for (name, value) in &says.args {
        // Only a whole number written as such ("7", not "007" or "+7") becomes a number.
        match value.parse::<i64>().ok().filter(|n| n.to_string() == *value) {
            Some(n) => a.set(name.as_str(), FluentValue::from(n)),
            None if value.len() == 10 => a.set(name.as_str(), FluentValue::from(date(lang, value))),
            None => a.set(name.as_str(), FluentValue::from(value.clone())),
        }
    }
    text(lang, &says.id, Some(&a))
}

/// A catalogue message in English: for logs, the audit log and the command line.
pub fn en(s: &Says) -> String {
    says(Lang::En, s)
}

/// A whole number of any integer type, for [`number`].
pub trait Whole {
    /// The number as `i64` (saturating).
    fn whole(&self) -> i64;
}

macro_rules! whole {
    ($($t:ty),*) => {$(
        impl Whole for $t {
            fn whole(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}

whole!(i32, i64, u32, u64, usize);

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> i64 {
        (**self).whole()
    }
}

/// Arguments from name and value pairs.
pub fn args<'a>(pairs: &[(&'a str, &dyn Arg)]) -> FluentArgs<'a> {
    let mut a = FluentArgs::new();
    for (name, value) in pairs {
        a.set(*name, value.value());
    }
    a
}

/// A whole number with the language's grouping (both languages group by thousands with a comma).
pub fn number(_lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A day or a time written as ISO 8601 (`2026-11-24`, `2026-11-24 19:53:21`, or with `T`),
/// written the language's way: `24 Nov 2026` and `2026年11月24日`, followed by the time of day
/// as given. Text that is not such a date comes back unchanged.
pub fn date(lang: Lang, iso: &str) -> String {
    let (day, rest) = iso.split_at(iso.len().min(10));
    let mut parts = day.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return iso.to_string();
    };
    let (Ok(year), Ok(month), Ok(dom)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return iso.to_string();
    };
    if y.len() != 4 || !(1..=12).contains(&month) || !(1..=31).contains(&dom) {
        return iso.to_string();
    }
    let rest = rest.trim_start_matches(['T', ' ']);
    let day = match lang {
        Lang::En => {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!("{dom} {} {year}", MONTHS[usize::from(month - 1)])
        }
        Lang::Ja => format!("{year}年{month}月{dom}日"),
    };
    if rest.is_empty() { day } else { format!("{day} {rest}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn accept_language_picks_the_best_language_we_have() {
        assert_eq!(Lang::from_accept_language("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), Some(Lang::Ja));
        assert_eq!(Lang::from_accept_language("fr-FR, en;q=0.5, ja;q=0.4"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("en;q=0.2, ja;q=0.9"), Some(Lang::Ja));
        assert_eq!(Lang::from_accept_language("ja;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language(";;,q=,=;"), None);
    }

    #[test]
    fn numbers_and_dates_are_written_the_languages_way() {
        assert_eq!(number(Lang::En, 0), "0");
        assert_eq!(number(Lang::En, 999), "999");
        assert_eq!(number(Lang::Ja, 1000), "1,000");
        assert_eq!(number(Lang::En, -1_234_567), "-1,234,567");
        assert_eq!(date(Lang::En, "2026-11-24"), "24 Nov 2026");
        assert_eq!(date(Lang::Ja, "2026-11-24"), "2026年11月24日");
        assert_eq!(date(Lang::Ja, "2026-01-05 09:03:00 UTC"), "2026年1月5日 09:03:00 UTC");
        assert_eq!(date(Lang::En, "2026-01-05T09:03:00Z"), "5 Jan 2026 09:03:00Z");
        assert_eq!(date(Lang::En, "not a day"), "not a day");
        assert_eq!(date(Lang::En, "2026-13-01"), "2026-13-01");
        assert_eq!(date(Lang::Ja, ""), "");
    }

    /// Message ids a catalogue defines.
    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_string()).expect("parses");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn both_languages_have_every_message() {
        load();
        for (area, (en, ja)) in AREAS.iter().zip(EN.iter().zip(JA)) {
            let (en, ja) = (ids(en), ids(ja));
            let only_en: Vec<_> = en.difference(&ja).collect();
            let only_ja: Vec<_> = ja.difference(&en).collect();
            assert!(only_en.is_empty(), "{area}.ftl: only in English: {only_en:?}");
            assert!(only_ja.is_empty(), "{area}.ftl: only in Japanese: {only_ja:?}");
        }
    }

    fn templates() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("templates folder")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
            .collect();
        out.sort();
        out
    }

    /// The message ids `text` names after any of `calls` (each ending in `("`), which the
    /// catalogues do not define, as `name: id`.
    fn undefined(name: &str, text: &str, calls: &[&str], defined: &BTreeSet<String>) -> Vec<String> {
        let mut missing = Vec::new();
        for call in calls {
            for (i, _) in text.match_indices(call) {
                let start = i + call.len();
                let end = start + text[start..].find('"').unwrap();
                let id = &text[start..end];
                if !defined.contains(id) {
                    missing.push(format!("{name}: {id}"));
                }
            }
        }
        missing
    }

    /// Every message a template names (`t("id"` or `t1("id"` ...) is in the catalogues.
    #[test]
    fn every_message_the_templates_name_exists() {
        let defined: BTreeSet<String> = EN.iter().flat_map(|s| ids(s)).collect();
        let calls = ["t(\"", "t1(\"", "t2(\"", "t3(\""];
        let missing: Vec<String> =
            templates().iter().flat_map(|(name, text)| undefined(name, text, &calls, &defined)).collect();
        assert!(missing.is_empty(), "messages the templates name but no catalogue defines: {missing:#?}");
    }

    /// Every message the code names (`says!("id"`, `Says::new("id"`, `.t("id"` ...) is in the
    /// catalogues: the server's and the gate's words built away from a page.
    #[test]
    fn every_message_the_code_names_exists() {
        fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).expect("source folder").filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        sources(&root.join("../policy/src"), &mut files);
        let defined: BTreeSet<String> = EN.iter().flat_map(|s| ids(s)).collect();
        let calls = ["says!(\"", "Says::new(\"", ".t(\"", ".t1(\"", ".t2(\"", ".t3(\""];
        let missing: Vec<String> = files
            .iter()
            // This file's own tests name messages that must not exist.
            .filter(|(name, _)| !name.ends_with("i18n.rs"))
            .flat_map(|(name, text)| undefined(name, text, &calls, &defined))
            .filter(|m| !m.ends_with(": "))
            .collect();
        let named: usize =
            files.iter().map(|(_, text)| calls.iter().map(|c| text.matches(c).count()).sum::<usize>()).sum();
        assert!(named > 200, "the scan found only {named} messages named in the code");
        assert!(missing.is_empty(), "messages the code names but no catalogue defines: {missing:#?}");
    }

    /// Every reason the workspace runner gives for a row-level or unknown-lineage result has
    /// its own words (not the catch-all that shows only the detail).
    #[test]
    fn every_lineage_reason_of_the_runner_has_words() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workspace-runner/src/evidence/rewrite.rs");
        let source = std::fs::read_to_string(root).unwrap();
        let mut codes = BTreeSet::new();
        for call in ["Reason::of(\"", "Reason::new(\""] {
            for (i, _) in source.match_indices(call) {
                let start = i + call.len();
                codes.insert(source[start..start + source[start..].find('"').unwrap()].to_string());
            }
        }
        assert!(codes.len() >= 15, "{codes:?}");
        for code in codes.iter().filter(|c| !["none", "other"].contains(&c.as_str())) {
            for lang in Lang::ALL {
                let worded = says(lang, &crate::says!("lineage-reason", why = code, detail = "DETAIL"));
                assert_ne!(worded, "DETAIL", "{code} has no words in {}", lang.code());
            }
        }
    }

    /// Words built away from the pages (an access denial, a refusal, a notification) read in
    /// either language, with their arguments: dates the language's way, messages that refer to
    /// others (a lapse inside a denial, a state's name) resolved.
    #[test]
    fn messages_built_away_from_pages_read_in_both_languages() {
        use crate::access::Denial;
        use crate::accreditation::domain::Lapse;
        let lapsed = Denial::Accreditation(Lapse::TrainingExpired { on: time::macros::date!(2026 - 04 - 01) });
        assert_eq!(en(&lapsed.says()), "Your accreditation is not valid: training expired on 1 Apr 2026.");
        assert_eq!(lapsed.to_string(), en(&lapsed.says()));
        let ja = says(Lang::Ja, &lapsed.says());
        assert!(ja.contains("2026年4月1日") && ja.contains("研修"), "{ja}");
        let closed = crate::says!("app-not-submittable", state = "approved");
        assert_eq!(en(&closed), "This application is approved; it cannot be submitted.");
        assert!(says(Lang::Ja, &closed).contains("承認"), "{}", says(Lang::Ja, &closed));
        // A notification kept as JSON reads back in the reader's language.
        let told = crate::says!("notify-output-waits", title = "Counts by sex", version = 2);
        let kept: Says = serde_json::from_str(&serde_json::to_string(&told).unwrap()).unwrap();
        assert_eq!(en(&kept), "The output “Counts by sex” (version 2) waits for release review.");
        assert!(says(Lang::Ja, &kept).contains("第 2 版"));
        // Text that only looks like a number stays as written.
        assert_eq!(en(&crate::says!("notify-output-waits", title = "007", version = 1)).matches("007").count(), 1);
    }

    /// What a template shows of its own: its text with the template's code, the markup and
    /// the markup's non-text attributes taken out. Words left over belong in a catalogue.
    fn own_words(template: &str) -> Vec<String> {
        // Template code ({{ }}, {% %}, {# #}) goes first.
        let mut text = String::new();
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            text.push_str(&rest[..i]);
            let after = &rest[i..];
            let close = match after.as_bytes().get(1) {
                Some(b'{') => "}}",
                Some(b'%') => "%}",
                Some(b'#') => "#}",
                _ => {
                    text.push('{');
                    rest = &after[1..];
                    continue;
                }
            };
            match after.find(close) {
                Some(j) => {
                    text.push(' ');
                    rest = &after[j + 2..];
                }
                None => break,
            }
        }
        text.push_str(rest);
        // Then tags, keeping the attributes a person reads.
        let mut words = Vec::new();
        let mut rest = text.as_str();
        loop {
            let (before, tag_and_after) = match rest.find('<') {
                Some(i) => (&rest[..i], Some(&rest[i..])),
                None => (rest, None),
            };
            words.push(before.to_string());
            let Some(t) = tag_and_after else { break };
            let end = t.find('>').map_or(t.len(), |j| j + 1);
            let tag = &t[..end];
            for attr in ["placeholder=\"", "aria-label=\"", "title=\"", "alt=\"", "value=\""] {
                for (k, _) in tag.match_indices(attr) {
                    let from = k + attr.len();
                    let to = from + tag[from..].find('"').unwrap_or(0);
                    // A button's or option's value is data, not words, unless the input is a
                    // submit button.
                    if attr == "value=\"" && !tag.contains("type=\"submit\"") {
                        continue;
                    }
                    words.push(tag[from..to].to_string());
                }
            }
            // Script and style bodies are not words.
            if tag.starts_with("<style") || tag.starts_with("<script") {
                let closing = if tag.starts_with("<style") { "</style>" } else { "</script>" };
                rest = t.find(closing).map_or("", |j| &t[j..]);
                let e = rest.find('>').map_or(rest.len(), |j| j + 1);
                rest = &rest[e..];
                continue;
            }
            rest = &t[end..];
        }
        words
            .into_iter()
            .flat_map(|w| w.split(|c: char| c.is_whitespace()).map(without_entities).collect::<Vec<_>>())
            .filter(|w| w.chars().any(char::is_alphabetic))
            .collect()
    }

    /// A word with character references (`&lt;`, `&#34;`) taken out.
    fn without_entities(word: &str) -> String {
        let mut out = String::new();
        let mut rest = word;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            match rest[i..].find(';') {
                Some(j) if rest[i + 1..i + j].chars().all(|c| c.is_ascii_alphanumeric() || c == '#') => {
                    rest = &rest[i + j + 1..]
                }
                _ => {
                    out.push('&');
                    rest = &rest[i + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn own_words_finds_words_and_skips_code() {
        let t = r#"<p class="x">Hello {{ chrome.t("a") }} &lt; &#34; &amp;&gt;</p><input placeholder="Title" value="{{ v }}"><button type="submit">{{ chrome.t("b") }}</button> · {% if a %}{% endif %}"#;
        assert_eq!(own_words(t), vec!["Hello".to_string(), "Title".to_string()]);
    }

    /// Templates hold no words of their own: every string comes from the catalogues.
    #[test]
    fn templates_take_every_string_from_the_catalogues() {
        let mut found = Vec::new();
        for (name, text) in templates() {
            let words = own_words(&text);
            if !words.is_empty() {
                found.push(format!("{name}: {}", words.join(" ")));
            }
        }
        assert!(found.is_empty(), "words written in templates instead of catalogues:\n{}", found.join("\n"));
    }

    /// In English a finding reads exactly as the gate wrote it, so that the pages and `tre
    /// gate check` agree; in Japanese it is translated.
    #[test]
    fn findings_read_in_english_as_the_gate_wrote_them() {
        use policy::sdc::{Evidence, Params, Statistic, judge};
        let params = Params::default();
        let mut cases = Vec::new();
        for persons in [0u64, 1, 4] {
            let evidence = Evidence {
                persons,
                persons_with_value: persons,
                missing: 1,
                negative: persons,
                distinct_values: 1,
                top: vec![50.0, 1.0],
                total_abs: 52.0,
                ..Evidence::default()
            };
            for statistic in
                [Statistic::Count, Statistic::Sum, Statistic::Mean, Statistic::Max, Statistic::Median, Statistic::Std]
            {
                cases.extend(judge(statistic, &evidence, &params));
            }
        }
        let one = [(vec![Some("F")], 5u64), (vec![Some("M")], 0)];
        cases.extend(policy::sdc::full_cells(&["sex"], &one).into_iter().map(|(_, f)| f));
        let two = [
            (vec![Some("F"), Some("old")], 5u64),
            (vec![Some("M"), Some("old")], 0),
            (vec![Some("M"), Some("young")], 3),
        ];
        cases.extend(policy::sdc::full_cells(&["sex", "age"], &two).into_iter().map(|(_, f)| f));
        assert!(cases.iter().filter(|f| f.rule.name() == "full-cell").count() >= 2, "{cases:?}");
        assert!(cases.len() > 20, "{}", cases.len());
        for f in &cases {
            assert!(f.says.is_some(), "{f:?}");
            assert_eq!(finding(Lang::En, f), format!("{}: {}", f.rule.name(), f.detail));
            let ja = finding(Lang::Ja, f);
            assert!(!ja.contains("finding-") && ja.chars().any(|c| c > '\u{3000}'), "{ja}");
        }
    }

    #[tokio::test]
    async fn messages_format_with_arguments_in_both_languages() {
        for lang in Lang::ALL {
            let out =
                within(lang, async { text(current(), "error-internal-text", Some(&args(&[("reference", &"X")]))) })
                    .await;
            assert!(out.contains('X'), "{out}");
        }
        assert_eq!(text(Lang::En, "no-such-message", None), "no-such-message");
    }
}
