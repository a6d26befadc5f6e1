//! The signing dialog's category and checklist (PROTOCOL 13), driven by keys.

use super::*;
use crate::trust::checklist::{Answer, ChecklistFile, Checklists, ItemFile};
use crate::trust::record::Action as Act;
use crate::tui::shots;

/// `validation-v1` for validators (`metrics`, and `fairness` that allows
/// n/a) and `domain-v1` for domain experts (`use`), at every risk.
fn checklists() -> Checklists {
    let list = |id: &str, role: &str, items: &[(&str, bool)]| ChecklistFile {
        id: id.into(),
        roles: vec![role.into()],
        risks: Risk::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
        items: items
            .iter()
            .map(|(id, allow_na)| ItemFile {
                id: (*id).into(),
                text: format!("The {id} were reviewed against the baseline"),
                allow_na: *allow_na,
            })
            .collect(),
    };
    Checklists::new(&[
        list(
            "validation-v1",
            "validator",
            &[("metrics", false), ("fairness", true)],
        ),
        list("domain-v1", "domain", &[("use", false)]),
    ])
    .unwrap()
}

pub(super) fn dialog(a: &App) -> &SignDialog {
    match &a.overlay {
        Some(Overlay::Sign(d)) => d,
        other => panic!("no dialog: {other:?}"),
    }
}

/// Tab until `f` has the focus.
pub(super) fn focus_on(a: &mut App, f: Field) {
    for _ in 0..20 {
        if dialog(a).focus() == f {
            return;
        }
        key(a, KeyCode::Tab);
    }
    panic!("{f:?} is not in {:?}", dialog(a).fields());
}

/// Cycles the role until it is `role`.
fn choose_role(a: &mut App, role: &str) {
    focus_on(a, Field::Role);
    for _ in 0..4 {
        if dialog(a).role() == Some(role) {
            return;
        }
        key(a, KeyCode::Right);
    }
    panic!("no role {role} in {:?}", dialog(a).roles);
}

fn answer(a: &App, item: &str) -> Option<Answer> {
    let d = dialog(a);
    d.structured.answer(d.role(), item)
}

/// The fixed demo's first review open, me a validator and domain expert,
/// the two checklists configured, and the dialog of `k` open.
async fn with_checklists(k: char) -> App {
    let (mut a, _) = review_ready().await;
    a.asks.checklists = checklists();
    key(&mut a, KeyCode::Char(k));
    choose_role(&mut a, "validator");
    a
}

#[tokio::test]
async fn space_cycles_an_answer_and_offers_na_only_where_allowed() {
    let mut a = with_checklists('a').await;
    let d = dialog(&a);
    assert_eq!(d.checklist().unwrap().id, "validation-v1");
    assert!(d.fields().contains(&Field::Item(1)));
    focus_on(&mut a, Field::Item(0));
    let mut seen = vec![];
    for _ in 0..3 {
        key(&mut a, KeyCode::Char(' '));
        seen.push(answer(&a, "metrics").unwrap());
    }
    assert_eq!(seen, [Answer::Yes, Answer::No, Answer::Yes], "no n/a here");
    key(&mut a, KeyCode::Down);
    assert_eq!(
        dialog(&a).focus(),
        Field::Item(1),
        "↓ moves to the next item"
    );
    let mut seen = vec![];
    for _ in 0..4 {
        key(&mut a, KeyCode::Char(' '));
        seen.push(answer(&a, "fairness").unwrap());
    }
    assert_eq!(
        seen,
        [Answer::Yes, Answer::No, Answer::NotApplicable, Answer::Yes]
    );
}

#[tokio::test]
async fn sign_is_disabled_with_the_reason_until_the_checklist_is_complete() {
    let mut a = with_checklists('a').await;
    let screen = shots::text(&shots::draw(&a));
    assert!(screen.contains("[ Sign ] disabled"), "{screen}");
    assert!(screen.contains("Answer every item"), "{screen}");
    focus_on(&mut a, Field::Sign);
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "nothing signed");
    let why = dialog(&a).error.clone().unwrap();
    assert!(
        why.contains("Answer every item of checklist validation-v1"),
        "{why}"
    );
    // A no on an approve: the protocol's reason, still disabled.
    focus_on(&mut a, Field::Item(0));
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Char(' '));
    focus_on(&mut a, Field::Item(1));
    key(&mut a, KeyCode::Char(' '));
    let why = dialog(&a).missing().unwrap();
    assert!(why.contains("reject or request changes instead"), "{why}");
    focus_on(&mut a, Field::Item(0));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(dialog(&a).missing(), None);
    let screen = shots::text(&shots::draw(&a));
    assert!(!screen.contains("disabled"), "{screen}");
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let want = [
        ("fairness".to_owned(), Answer::Yes),
        ("metrics".to_owned(), Answer::Yes),
    ];
    assert_eq!(request.answers, want.into());
    assert_eq!(request.category, None, "an approve carries none");
}

#[tokio::test]
async fn answers_stay_when_the_focus_leaves_and_comes_back() {
    let mut a = with_checklists('c').await;
    focus_on(&mut a, Field::Item(1));
    key(&mut a, KeyCode::Char(' '));
    focus_on(&mut a, Field::Reason);
    typed(&mut a, "see the fairness report");
    focus_on(&mut a, Field::Cancel);
    focus_on(&mut a, Field::Item(1));
    assert_eq!(answer(&a, "fairness"), Some(Answer::Yes));
    assert_eq!(answer(&a, "metrics"), None);
}

#[tokio::test]
async fn switching_role_switches_checklist_and_back_restores_the_answers() {
    let mut a = with_checklists('a').await;
    focus_on(&mut a, Field::Item(0));
    key(&mut a, KeyCode::Char(' '));
    choose_role(&mut a, "domain");
    let d = dialog(&a);
    assert_eq!(d.checklist().unwrap().id, "domain-v1");
    assert!(!d.fields().contains(&Field::Item(1)), "one item here");
    assert_eq!(answer(&a, "use"), None);
    focus_on(&mut a, Field::Item(0));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(
        dialog(&a).request(None).answers.len(),
        1,
        "only domain-v1's"
    );
    choose_role(&mut a, "validator");
    assert_eq!(answer(&a, "metrics"), Some(Answer::Yes), "restored");
    let request = dialog(&a).request(None);
    assert_eq!(request.answers.keys().collect::<Vec<_>>(), ["metrics"]);
}

#[tokio::test]
async fn a_reject_needs_a_category_and_carries_it_into_the_decision() {
    let (mut a, _) = review_ready().await;
    key(&mut a, KeyCode::Char('x'));
    let offered = dialog(&a).structured.categories.clone();
    assert_eq!(offered.len(), a.asks.categories.len(), "{offered:?}");
    assert_eq!(dialog(&a).structured.category, None, "none preselected");
    focus_on(&mut a, Field::Reason);
    typed(&mut a, "drifted");
    assert!(dialog(&a).missing().unwrap().contains("Choose a category"));
    let screen = shots::text(&shots::draw(&a));
    assert!(screen.contains("[ Sign ] disabled"), "{screen}");
    focus_on(&mut a, Field::Sign);
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "blocked");
    focus_on(&mut a, Field::Category);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Up);
    assert_eq!(dialog(&a).structured.category, Some(0));
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let decision = crate::tui::event::decision(request.clone());
    assert_eq!(decision.action, Act::Reject);
    assert_eq!(decision.category.as_deref(), Some(offered[0].as_str()));
    assert!(decision.answers.is_empty(), "no checklist configured");
}

/// Signing through the dialog stores a record with the category and the
/// answers: the fixed demo in memory, configured with the checklists and
/// the key of its validator.
#[tokio::test]
async fn a_reject_signed_in_the_dialog_records_category_and_answers() {
    let keys = tempfile::TempDir::new().unwrap();
    crate::demo::write_roster(keys.path(), crate::tui::fixture::FIXED_SEED).unwrap();
    let mut service = crate::tui::fixture::demo_service(
        crate::tui::fixture::FIXED_SEED,
        crate::tui::fixture::FIXED_NOW_MS,
    )
    .await
    .unwrap();
    service.config.identity = Some(shots::SIGNER.into());
    service.config.key_file = Some(crate::demo::key_path(keys.path(), shots::SIGNER));
    service.config.checklists = checklists();
    let service = std::sync::Arc::new(service);
    let mut a = shots::start_on(&service, 120, 36, Theme::default()).await;
    let (model, version) = shots::SHOWCASE;
    let at = a
        .queue
        .visible
        .iter()
        .position(|i| {
            let it = &a.queue.rows[*i as usize].item;
            it.model == model && it.version == version
        })
        .unwrap();
    a.queue.list.selected = at;
    shots::act(&mut a, &service, Action::Run(Command::Open)).await;
    shots::act(&mut a, &service, Action::Run(Command::Reject)).await;
    assert_eq!(dialog(&a).role(), Some("validator"));
    focus_on(&mut a, Field::Reason);
    typed(&mut a, "fpr regressed");
    focus_on(&mut a, Field::Category);
    key(&mut a, KeyCode::Down);
    let category = dialog(&a).structured.chosen_category().unwrap().to_owned();
    focus_on(&mut a, Field::Item(0));
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Char(' ')); // metrics: no
    focus_on(&mut a, Field::Item(1));
    for _ in 0..3 {
        key(&mut a, KeyCode::Char(' ')); // fairness: n/a
    }
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    assert_eq!(effects.len(), 1, "{effects:?}");
    shots::settle(&mut a, &service, effects).await;
    let status = a.status.as_ref().unwrap().text.clone();
    assert!(status.starts_with("✓ reject"), "{status}");
    let Load::Ready(d) = &a.review.as_ref().unwrap().detail else {
        panic!("the review did not reload")
    };
    let r = d
        .records
        .iter()
        .find(|r| r["action"] == "reject")
        .unwrap_or_else(|| panic!("no reject in {:?}", d.records));
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["category"], category.as_str());
    assert_eq!(r["record"]["category"], category.as_str());
    let checklist = &r["record"]["checklist"];
    assert_eq!(checklist["id"], "validation-v1");
    assert_eq!(checklist["answers"]["metrics"], "no");
    assert_eq!(checklist["answers"]["fairness"], "n/a");
    assert_eq!(r["checklist"]["older"], false, "{r}");
    // The Records tab and :audit's detail say so.
    let records = &a.review.as_ref().unwrap().docs[Tab::Records.index()];
    let lines: Vec<String> = records.iter().map(|l| l.to_string()).collect();
    for want in [
        format!("category {category}"),
        "checklist validation-v1".to_owned(),
        "metrics  no".to_owned(),
        "fairness n/a".to_owned(),
    ] {
        assert!(
            lines.iter().any(|l| l.contains(&want)),
            "{want} in {lines:#?}"
        );
    }
    let effects = a.run_palette("audit");
    shots::settle(&mut a, &service, effects).await;
    typed(&mut a, "/action:reject");
    key(&mut a, KeyCode::Enter);
    let screen = shots::text(&shots::draw(&a));
    assert!(screen.contains("checklist validation-v1"), "{screen}");
    assert!(screen.contains(&format!("category {category}")), "{screen}");
}

#[tokio::test]
async fn a_narrow_dialog_wraps_the_items_and_keeps_the_buttons() {
    let mut a = with_checklists('x').await;
    for w in [70u16, 46] {
        update(&mut a, Action::Resize(w, 40));
        let screen = shots::text(&shots::draw(&a));
        assert!(screen.contains("[ Sign ] disabled"), "{screen}");
        assert!(screen.contains("space answers"), "the last line: {screen}");
        assert!(screen.contains("[ · ] "), "{screen}");
        let items = screen.lines().filter(|l| l.contains("[ · ]")).count();
        assert_eq!(
            items, 2,
            "one line per item, then its text wrapped: {screen}"
        );
    }
}

#[tokio::test]
async fn categories_are_offered_most_used_first_across_the_audit_records() {
    let (mut a, _) = review_ready().await;
    let record = |category: Option<&str>| crate::service::records::RecordView {
        id: "ab".repeat(32),
        model: "m".into(),
        version: "1".into(),
        action: Some("reject".into()),
        actor: Some("ben@x".into()),
        role: Some("validator".into()),
        at: None,
        valid: true,
        findings: vec![],
        category: category.map(str::to_owned),
        checklist: None,
        automated: false,
        record: None,
    };
    let records = vec![
        record(Some("security")),
        record(Some("cost")),
        record(Some("security")),
    ];
    a.audit.data = Some(Load::Ready(std::sync::Arc::new(
        crate::tui::action::AuditData {
            records,
            ..Default::default()
        },
    )));
    key(&mut a, KeyCode::Char('c'));
    let offered = &dialog(&a).structured.categories;
    assert_eq!(offered[..2], ["security".to_owned(), "cost".to_owned()]);
    assert_eq!(offered.len(), a.asks.categories.len());
}

#[tokio::test]
async fn the_review_header_counts_approvals_by_automation() {
    let (mut a, _) = review_ready().await;
    let r = a.review.as_mut().unwrap();
    let Load::Ready(d) = &r.detail else {
        panic!("not loaded")
    };
    let mut d = (**d).clone();
    d.summary.approvals.push(crate::review::queue::Approval {
        actor: "ci@x".into(),
        role: "automation".into(),
        at: "2026-03-02T08:00:00Z".into(),
        verified: true,
    });
    r.detail = Load::Ready(std::sync::Arc::new(d));
    let screen = shots::text(&shots::draw(&a));
    assert!(screen.contains("⚙ 1 automated"), "{screen}");
}
