//! The analyst's and custodians' journey in a real browser (headless Chromium through
//! chromedriver, both started by scripts/test.sh): the analyst signs in with a one-time code,
//! sees the project's tables, runs a query, saves the result as an output and sees which cells
//! fail and why, suppresses them and asks for release; two custodians sign in and approve; the
//! analyst downloads the released table. Every page on the way is checked with axe-core
//! (WCAG 2 A and AA) and photographed under the target folder (`browser-screenshots/`).

use crate::harness::{Engine, Installation, Server, current_code, demo_project};
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use tre_server::i18n::{Lang, args, text as message};

/// A fresh browser session with its own empty profile, asking for English pages.
async fn open_browser(profile: &std::path::Path) -> Browser {
    open_browser_in(profile, Lang::En).await
}

/// A fresh browser session whose `Accept-Language` asks for `lang` first.
async fn open_browser_in(profile: &std::path::Path, lang: Lang) -> Browser {
    open_browser_with(profile, lang, "normal").await
}

/// A browser whose commands wait for pages to load as `strategy` says: `normal`, or `none` to
/// act on a page while a form it sent is still waiting for its answer.
async fn open_browser_with(profile: &std::path::Path, lang: Lang, strategy: &str) -> Browser {
    let url = std::env::var("TRE_TEST_WEBDRIVER")
        .expect("TRE_TEST_WEBDRIVER is not set: run the tests through scripts/test.sh, which starts chromedriver");
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": strategy,
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1024,900", format!("--user-data-dir={}", profile.display()),
                format!("--lang={}", lang.code()),
            ],
            "prefs": { "intl.accept_languages": format!("{},en", lang.code()) },
        },
    });
    let Value::Object(caps) = caps else { unreachable!() };
    // chromedriver listens on loopback over plain HTTP: no TLS connector is needed.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("a WebDriver session")
}

/// Screenshots and accessibility checks of each step.
struct Camera {
    folder: PathBuf,
    axe: String,
    taken: usize,
    /// Pages axe-core found nothing wrong with.
    checked: usize,
}

impl Camera {
    /// A camera writing under `browser-screenshots/<journey>/`.
    fn new(journey: &str) -> Camera {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../target"));
        let folder = target.join("browser-screenshots").join(journey);
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        let axe_path = std::env::var("TRE_TEST_AXE")
            .expect("TRE_TEST_AXE is not set: run the tests through scripts/test.sh, which installs axe-core");
        Camera { folder, axe: std::fs::read_to_string(axe_path).unwrap(), taken: 0, checked: 0 }
    }

    /// Photographs the page as `name` (a page not ours: no accessibility check).
    async fn photo(&mut self, browser: &Browser, name: &str) {
        self.taken += 1;
        self.checked += 1;
        let png = browser.screenshot().await.unwrap();
        std::fs::write(self.folder.join(format!("{:02}-{name}.png", self.taken)), png).unwrap();
    }

    /// Photographs the page as `name` and fails on any WCAG 2 A/AA violation axe-core finds.
    async fn step(&mut self, browser: &Browser, name: &str) {
        self.taken += 1;
        let png = browser.screenshot().await.unwrap();
        std::fs::write(self.folder.join(format!("{:02}-{name}.png", self.taken)), png).unwrap();
        browser.execute(&self.axe, vec![]).await.unwrap();
        let found = browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' +
                                   v.nodes.map(n => n.target.join(' ')).join(', '))),
                         e => done(['axe could not run: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        let found: Vec<String> = serde_json::from_value(found).unwrap();
        assert!(found.is_empty(), "{name}: accessibility problems:\n{}", found.join("\n"));
        self.checked += 1;
    }
}

/// The element `css` finds, waiting up to ten seconds for it (a click may still be loading
/// the next page).
async fn find(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = find(browser, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Browser, css: &str) {
    find(browser, css).await.click().await.unwrap();
}

/// Clicks `css`, which leaves the page, and waits until the next one has loaded.
async fn click_away(browser: &Browser, css: &str) {
    let before = find(browser, "html").await;
    click(browser, css).await;
    browser.wait().at_most(std::time::Duration::from_secs(10)).for_element(Locator::Css("main")).await.unwrap();
    assert!(replaced(&before, 100).await, "{css} did not lead to another page");
}

/// Whether `ready` holds within `tries` checks, 50 ms apart.
async fn eventually<F, Fut>(tries: usize, mut ready: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..tries {
        if ready().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Whether another page replaces `page` (its element goes stale) within `tries` checks.
async fn replaced(page: &fantoccini::elements::Element, tries: usize) -> bool {
    eventually(tries, || async move { page.tag_name().await.is_err() }).await
}

async fn text(browser: &Browser) -> String {
    find(browser, "main").await.text().await.unwrap()
}

/// Signs `username` in through the pages, typing the password and the current code.
async fn sign_in(browser: &Browser, server: &Server, camera: &mut Camera, username: &str) {
    let account = server.account(username);
    browser.goto(&format!("{}/signin", server.base)).await.unwrap();
    fill(browser, "#username", &account.username).await;
    fill(browser, "#password", &account.password).await;
    camera.step(browser, &format!("{username}-signin")).await;
    click_away(browser, "#signin button[type=submit]").await;
    fill(browser, "#code", &current_code(&account.totp)).await;
    camera.step(browser, &format!("{username}-code")).await;
    click_away(browser, "main form button[type=submit]").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/", "{username} signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyst_and_custodians_release_an_output_in_a_browser() {
    release_journey(Lang::En).await;
}

/// The same journey in Japanese: the analyst's and the second custodian's browsers ask for
/// Japanese; the first custodian's asks for English, and they switch to Japanese on the page
/// (kept for their next sign-in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyst_and_custodians_release_an_output_in_a_browser_in_japanese() {
    release_journey(Lang::Ja).await;
}

/// Whether the page is in `lang`: its `<html lang>`, and a message of its header.
async fn assert_in(browser: &Browser, lang: Lang) {
    let html = find(browser, "html").await.attr("lang").await.unwrap();
    assert_eq!(html.as_deref(), Some(lang.code()), "the page's language");
    let nav = find(browser, "header").await.text().await.unwrap();
    assert!(nav.contains(&message(lang, "nav-home", None)), "{nav}");
}

async fn release_journey(lang: Lang) {
    let server = Server::start(Engine::Sqlite).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let profiles = server.installation.data_dir.join("browser-profiles");
    let mut camera = Camera::new(&format!("release-{}", lang.code()));

    let analyst = open_browser_in(&profiles.join("analyst"), lang).await;
    sign_in(&analyst, &server, &mut camera, "analyst").await;
    assert_in(&analyst, lang).await;
    camera.step(&analyst, "analyst-home").await;

    // The workspace: the extract's tables, a query, its result.
    analyst.goto(&format!("{}/projects/{project}/workspace", server.base)).await.unwrap();
    let page = text(&analyst).await;
    assert!(page.contains("person") && page.contains("drug_exposure"), "{page}");
    // The schema browser: a table opened shows its columns, the person column marked.
    click(&analyst, "#schema details summary").await;
    let schema = find(&analyst, "#schema").await.text().await.unwrap();
    assert!(schema.contains(&message(lang, "ws-person-column", None)), "{schema}");
    camera.step(&analyst, "workspace-schema").await;
    // The SQL box completes the schema's names and highlights what is typed.
    fill(&analyst, "#sql", "SELECT * FROM drug_exp").await;
    let offered = find(&analyst, "[role=listbox] [role=option]").await.text().await.unwrap();
    assert_eq!(offered, "drug_exposure");
    camera.step(&analyst, "workspace-completion").await;
    find(&analyst, "#sql").await.send_keys(&fantoccini::key::Key::Tab.to_string()).await.unwrap();
    let typed = find(&analyst, "#sql").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(typed, "SELECT * FROM drug_exposure", "Tab took the name and kept the focus");
    let highlighted = analyst.find_all(Locator::Css(".sql-editor pre .sql-kw")).await.unwrap().len();
    assert!(highlighted >= 2, "SELECT and FROM are highlighted as keywords");
    // A result longer than a page (the cohort's persons, row by row) shows a page at a time.
    fill(&analyst, "#sql", "SELECT person_id, year_of_birth FROM person").await;
    click_away(&analyst, "#run").await;
    let rows = analyst.find_all(Locator::Css("#result-rows tbody tr")).await.unwrap().len();
    assert!(rows > 50, "{rows} rows");
    let pages = |from: usize, to: usize| {
        let text = message(lang, "ws-js-rows", None);
        text.replace("{from}", &from.to_string()).replace("{to}", &to.to_string()).replace("{total}", &rows.to_string())
    };
    assert_eq!(find(&analyst, "#page-status").await.text().await.unwrap(), pages(1, 50));
    click(&analyst, "#page-next").await;
    assert_eq!(find(&analyst, "#page-status").await.text().await.unwrap(), pages(51, rows));
    let mut shown = 0;
    for row in analyst.find_all(Locator::Css("#result-rows tbody tr")).await.unwrap() {
        shown += usize::from(row.is_displayed().await.unwrap());
    }
    assert_eq!(shown, rows - 50, "the second page shows the rest");
    camera.step(&analyst, "workspace-pages").await;
    let sql = "SELECT year_of_birth, COUNT(DISTINCT person_id) AS n FROM person GROUP BY year_of_birth ORDER BY n";
    fill(&analyst, "#sql", sql).await;
    // Ctrl+Enter runs it (the page's script), as in a SQL workbench.
    let enter = format!("{}{}", fantoccini::key::Key::Control, fantoccini::key::Key::Enter);
    let before = find(&analyst, "html").await;
    find(&analyst, "#sql").await.send_keys(&enter).await.unwrap();
    replaced(&before, 200).await;
    let summary = find(&analyst, "#gate-summary").await.text().await.unwrap();
    let fail = message(lang, "ws-gate-status", Some(&args(&[("status", &"fail")])));
    assert!(summary.contains(&fail), "{summary}");
    // Each failing cell is marked in words as well as colour; focused, it says why.
    analyst
        .execute(
            "document.querySelector('#gate-summary').scrollIntoView(); document.querySelector('td.cell.fail').focus();",
            vec![],
        )
        .await
        .unwrap();
    let cell = find(&analyst, "td.cell.fail").await.text().await.unwrap();
    let fails = message(lang, "ws-mark", Some(&args(&[("level", &"fail")])));
    let threshold = message(lang, "finding-rule", Some(&args(&[("rule", &"threshold")])));
    assert!(cell.starts_with(&fails) && cell.contains(&threshold), "{cell}");
    // The chart leaves the failing bars out and says so.
    let chart = find(&analyst, "#charts figcaption").await.text().await.unwrap();
    let left_out = analyst.find_all(Locator::Css("#charts .left-out")).await.unwrap().len();
    assert!(left_out > 0, "the failing cells are marked on the chart");
    let caption = message(lang, "ws-chart-left-out", Some(&args(&[("count", &left_out)])));
    assert!(chart.contains(&caption), "{chart} / {caption}");
    camera.step(&analyst, "workspace-result").await;

    // Saved as an output: the gate's findings, cell by cell, with the reason.
    fill(&analyst, "#output-title", "Persons by year of birth").await;
    click_away(&analyst, "form.save-output button[type=submit]").await;
    let page = text(&analyst).await;
    // The gate's summary, in the page's language: cells fail on the threshold.
    let failing = message(lang, "gate-reason-fail", Some(&args(&[("count", &left_out), ("rule", &"threshold")])));
    assert!(page.contains(&failing), "the small cells fail: {failing} / {page}");
    assert!(page.contains(&threshold), "the reason is shown: {page}");
    camera.step(&analyst, "output-fails").await;

    // Suppressed, it can be asked for.
    let treatment = find(&analyst, "#mitigation").await;
    treatment.select_by_value("suppress").await.unwrap();
    click_away(&analyst, "form[action$='/versions'] button[type=submit]").await;
    let status = find(&analyst, "#status").await.text().await.unwrap();
    let pass = message(lang, "gate-status", Some(&args(&[("status", &"pass")])));
    let review = message(lang, "gate-status", Some(&args(&[("status", &"review")])));
    assert!(status == pass || status == review, "{status}");
    click_away(&analyst, "#submit").await;
    let state = find(&analyst, "#state").await.text().await.unwrap();
    assert!(state.contains(&message(lang, "out-state", Some(&args(&[("state", &"submitted")])))), "{state}");
    camera.step(&analyst, "output-asked").await;
    let output_url = analyst.current_url().await.unwrap();
    // The workspace lists the project's outputs and where each request stands.
    analyst.goto(&format!("{}/projects/{project}/workspace", server.base)).await.unwrap();
    let listed = find(&analyst, "#workspace-outputs").await.text().await.unwrap();
    let waiting = message(lang, "out-state", Some(&args(&[("state", &"submitted")])));
    assert!(listed.contains("Persons by year of birth") && listed.contains(&waiting), "{listed}");
    // Its history's two latest queries compared (the pickers' default), each change marked.
    analyst.execute("document.querySelector('#history').scrollIntoView();", vec![]).await.unwrap();
    camera.step(&analyst, "workspace-history").await;
    click_away(&analyst, "#compare").await;
    assert!(analyst.current_url().await.unwrap().path().ends_with("/workspace/compare"));
    let counts = find(&analyst, "#compare-counts").await.text().await.unwrap();
    assert_eq!(counts, message(lang, "ws-compare-counts", Some(&args(&[("removed", &1), ("added", &1)]))));
    let b = find(&analyst, "#compare-b pre.sql").await.text().await.unwrap();
    assert_eq!(b, sql, "B is the newest query");
    assert_eq!(analyst.find_all(Locator::Css("#compare-diff li.diff-removed")).await.unwrap().len(), 1);
    assert_eq!(analyst.find_all(Locator::Css("#compare-diff li.diff-added")).await.unwrap().len(), 1);
    camera.step(&analyst, "workspace-compare").await;

    // Two custodians, each in their own browser, approve.
    for name in ["custodian1", "custodian2"] {
        // In the Japanese journey the first custodian's browser asks for English, and they
        // switch on the page.
        let asks = if name == "custodian1" { Lang::En } else { lang };
        let custodian = open_browser_in(&profiles.join(name), asks).await;
        sign_in(&custodian, &server, &mut camera, name).await;
        if asks != lang {
            assert_in(&custodian, asks).await;
            find(&custodian, "#language").await.select_by_value(lang.code()).await.unwrap();
            click_away(&custodian, "#language-switch").await;
            assert_eq!(custodian.current_url().await.unwrap().path(), "/", "the switch goes back to the page");
        }
        assert_in(&custodian, lang).await;
        custodian.goto(&format!("{}/custodian/outputs", server.base)).await.unwrap();
        assert!(text(&custodian).await.contains("Persons by year of birth"));
        camera.step(&custodian, &format!("{name}-queue")).await;
        click_away(&custodian, "main a[href^='/custodian/outputs/']").await;
        camera.step(&custodian, &format!("{name}-review")).await;
        click(&custodian, "input[name=vote][value=approve]").await;
        click_away(&custodian, "form[action$='/vote'] button[type=submit]").await;
        camera.step(&custodian, &format!("{name}-voted")).await;
        custodian.close().await.unwrap();
    }

    // The analyst downloads the released table.
    analyst.goto(output_url.as_str()).await.unwrap();
    let link = find(&analyst, "#download").await.attr("href").await.unwrap().unwrap();
    camera.step(&analyst, "released").await;
    let csv = analyst
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text()).then(done, e => done('failed: ' + e));",
            vec![json!(link)],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.starts_with("year_of_birth,n"), "{csv}");
    analyst.close().await.unwrap();
    if lang != Lang::En {
        // The first custodian's choice is theirs: recorded for their next sign-in, whatever
        // their browser asks, and audited.
        let chosen: Option<String> = sqlx::query_scalar("SELECT language FROM people WHERE username = 'custodian1'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(chosen.as_deref(), Some(lang.code()));
        let switched: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.language'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(switched, 1);
    }
    assert_eq!(camera.checked, camera.taken);
    eprintln!("{} pages photographed and checked by axe-core, in {}", camera.taken, camera.folder.display());
    server.stop().await;
}

/// While a query runs, the page says so, counting the seconds, with a Cancel button; Cancel
/// stops the query (the runner drops it), the page then says it was cancelled, and the query
/// is audited as cancelled. The browser does not wait for pages to load, so that it can act
/// while the query's form waits for its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_query_shows_its_progress_and_is_cancelled_from_the_page() {
    let server = Server::start(Engine::Sqlite).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let profiles = server.installation.data_dir.join("browser-profiles");
    let mut camera = Camera::new("cancel");
    let browser = open_browser_with(&profiles.join("analyst"), Lang::En, "none").await;
    sign_in(&browser, &server, &mut camera, "analyst").await;
    browser.goto(&format!("{}/projects/{project}/workspace", server.base)).await.unwrap();
    // Hundreds of millions of rows, each building a long string from five persons' values:
    // it would run for many minutes.
    let slow = "SELECT COUNT(*) AS n FROM person a, person b, person c, person d, person e WHERE \
                length(repeat(CAST(a.year_of_birth + b.year_of_birth + c.year_of_birth + d.year_of_birth \
                + e.year_of_birth AS VARCHAR), 1000)) > 0";
    // The page's script has set the SQL box up (it wraps it for highlighting).
    find(&browser, ".sql-editor #sql").await;
    fill(&browser, "#sql", slow).await;
    // Tab leaves the box (closing any completion list) before the query is run.
    find(&browser, "#sql").await.send_keys("\u{E004}").await.unwrap();
    // While the form waits for its answer, chromedriver holds every command until the page
    // has loaded. So the page itself watches: a script put in before Run notes what the
    // progress line says, and presses Cancel once it has counted a second; the notes outlive
    // the page in the tab's sessionStorage.
    browser
        .execute(
            "sessionStorage.removeItem('seen'); var seen = [];
             var watch = setInterval(function () {
               var p = document.getElementById('query-progress'), c = document.getElementById('query-cancel');
               if (!p) { return; }
               if (seen[seen.length - 1] !== p.textContent) { seen.push(p.textContent); }
               sessionStorage.setItem('seen', JSON.stringify({ texts: seen, cancel: c ? c.textContent : null }));
               if (c && /[1-9][0-9]* s$/.test(p.textContent)) {
                 clearInterval(watch); c.click(); seen.push(p.textContent);
                 sessionStorage.setItem('seen', JSON.stringify({ texts: seen, cancel: c.textContent }));
               }
             }, 100);",
            vec![],
        )
        .await
        .unwrap();
    let page = find(&browser, "html").await;
    click(&browser, "form.query button[type=submit]").await;
    // The query's own answer replaces the page: it says the query was cancelled.
    assert!(replaced(&page, 600).await, "the cancelled query answered");
    let said = find(&browser, "main").await;
    let cancelled = message(Lang::En, "ws-cancelled", None);
    let mut shown = String::new();
    for _ in 0..100 {
        shown = said.text().await.unwrap_or_default();
        if shown.contains(&cancelled) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(shown.contains(&cancelled), "{shown}");
    camera.step(&browser, "cancelled").await;
    // What the page showed while the query ran: the running line counting the seconds
    // (in the page's words), then that it was cancelling, and a Cancel button.
    let seen = browser.execute("return sessionStorage.getItem('seen')", vec![]).await.unwrap();
    let seen: Value = serde_json::from_str(seen.as_str().expect("the page noted its progress")).unwrap();
    let texts: Vec<&str> = seen["texts"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let running = |n: u64| message(Lang::En, "ws-js-running", None).replace("{seconds}", &n.to_string());
    assert_eq!(texts.first().copied(), Some(running(0).as_str()), "{texts:?}");
    assert!(texts.contains(&running(1).as_str()), "the seconds are counted: {texts:?}");
    let cancelling = message(Lang::En, "ws-js-cancelling", None);
    assert_eq!(texts.last().copied(), Some(cancelling.as_str()), "Cancel says it is cancelling: {texts:?}");
    assert_eq!(seen["cancel"].as_str(), Some(message(Lang::En, "ws-js-cancel", None).as_str()), "{seen}");
    assert_eq!(crate::harness::cancelled_queries(&db).await, 1, "the cancelled query is audited as such");
    browser.close().await.unwrap();
    server.stop().await;
}

/// With a short idle time (6 s), a signed-in page warns before the session ends, "Stay signed
/// in" starts the count again, and left alone the page goes to the sign-in page, where the
/// session has indeed ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_warns_then_ends_in_the_browser() {
    let server =
        Server::start_with(Installation::new(Engine::Sqlite).await, &[("TRE_SESSION_IDLE_SECONDS", "6")]).await;
    let profiles = server.installation.data_dir.join("browser-profiles");
    let mut camera = Camera::new("idle");
    let browser = open_browser(&profiles.join("custodian1")).await;
    sign_in(&browser, &server, &mut camera, "custodian1").await;
    let warning = find(&browser, "#session-warning").await;
    let shown = eventually(100, || async { warning.is_displayed().await.unwrap() }).await;
    assert!(shown, "the warning shows before the session ends");
    camera.step(&browser, "warning").await;
    click(&browser, "#session-stay").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!warning.is_displayed().await.unwrap(), "staying hides the warning");
    let ended = eventually(200, || async { browser.current_url().await.unwrap().path() == "/signin" }).await;
    assert!(ended, "left alone, the page goes to the sign-in page");
    browser.goto(&format!("{}/", server.base)).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/signin", "the session has ended on the server too");
    browser.close().await.unwrap();
    server.stop().await;
}

/// Sign-in through the institution's provider in a real browser, where cookies' SameSite
/// rules apply: the flow's own Lax cookie comes back on the provider's redirect, and the page
/// that follows moves on by itself so that the Strict session cookie is sent. The identity is
/// linked beforehand, as an administrator would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institution_signs_the_analyst_in_through_its_provider_in_a_browser() {
    let server = crate::oidc::start(Engine::Sqlite, &[]).await;
    let db = server.installation.db().await;
    let analyst: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    sqlx::query(
        "INSERT INTO identities (provider, issuer, subject, state, person_id, first_seen, last_seen) \
         VALUES ('hospital', $1, 'alice', 'linked', $2, 0, 0)",
    )
    .bind(crate::oidc::issuer())
    .bind(analyst)
    .execute(db.pool())
    .await
    .unwrap();
    let mut camera = Camera::new("institution");
    let browser = open_browser(&server.installation.data_dir.join("browser-profiles").join("alice")).await;
    browser.goto(&format!("{}/signin", server.base)).await.unwrap();
    camera.step(&browser, "signin").await;
    click(&browser, "#provider-hospital").await;
    // The provider's own form (its one-time code field is what ours lacks).
    find(&browser, "#otp").await;
    fill(&browser, "#username", "alice").await;
    fill(&browser, "#password", "alice-pass").await;
    fill(&browser, "#otp", "123456").await;
    camera.photo(&browser, "provider-form").await;
    click(&browser, "#submit").await;
    let home = eventually(200, || async {
        let url = browser.current_url().await.unwrap();
        url.as_str().starts_with(&server.base) && url.path() == "/"
    })
    .await;
    assert!(home, "back home after the provider: {}", browser.current_url().await.unwrap());
    let page = text(&browser).await;
    assert!(
        page.contains("Your projects") || find(&browser, "form.signout").await.is_displayed().await.unwrap(),
        "{page}"
    );
    camera.step(&browser, "home").await;
    browser.close().await.unwrap();
    server.stop().await;
}
