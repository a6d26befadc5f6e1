//! The signing dialog's structured part (PROTOCOL 13): the category of a
//! reject or request-changes, chosen from the configured ones offered most
//! used first, and the answers to the checklist that applies to the chosen
//! role at the review's effective risk. Answers are kept per checklist id,
//! so switching role and back restores them.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::review::risk::Risk;
use crate::trust::category;
use crate::trust::checklist::{Answer, AnswerProblem, Checklist, Checklists};
use crate::trust::record::Action;

/// What the configuration asks of decisions: the categories and checklists.
#[derive(Debug, Clone, PartialEq)]
pub struct Asks {
    pub categories: Vec<String>,
    pub checklists: Checklists,
}

impl Default for Asks {
    /// What a configuration that names neither asks (PROTOCOL 2).
    fn default() -> Asks {
        Asks {
            categories: category::defaults(),
            checklists: Checklists::default(),
        }
    }
}

impl Asks {
    pub fn from_config(c: &Config) -> Asks {
        Asks {
            categories: c.decision_categories.clone(),
            checklists: c.checklists.clone(),
        }
    }
}

/// How often each category was chosen, from the categories of records
/// already loaded (`None`: a record that carries none).
pub fn counts<'a>(
    categories: impl IntoIterator<Item = Option<&'a str>>,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for c in categories.into_iter().flatten() {
        *out.entry(c.to_owned()).or_insert(0) += 1;
    }
    out
}

/// The category and checklist answers of one dialog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Structured {
    /// The review's effective risk: with the role, it picks the checklist.
    pub risk: Option<Risk>,
    pub checklists: Checklists,
    /// Checklist id -> item id -> answer.
    pub answers: BTreeMap<String, BTreeMap<String, Answer>>,
    /// The configured categories, the most used first; empty for an
    /// action that carries none.
    pub categories: Vec<String>,
    /// Nothing is preselected: the signer chooses.
    pub category: Option<usize>,
}

impl Structured {
    /// The part a dialog for `action` at `risk` needs, categories ordered by
    /// how often `used` says each was chosen.
    pub fn new(
        action: Action,
        risk: Risk,
        asks: &Asks,
        used: &BTreeMap<String, usize>,
    ) -> Structured {
        Structured {
            risk: Some(risk),
            checklists: if action.answers_checklist() {
                asks.checklists.clone()
            } else {
                Checklists::default()
            },
            answers: BTreeMap::new(),
            categories: if action.carries_category() {
                category::by_use(&asks.categories, used)
            } else {
                Vec::new()
            },
            category: None,
        }
    }

    /// The checklist a decision in `role` answers here, if any.
    pub fn checklist(&self, role: Option<&str>) -> Option<&Checklist> {
        self.checklists.applicable(role?, self.risk?)
    }

    /// The answers given so far to checklist `id`.
    pub fn answers_of(&self, id: &str) -> Option<&BTreeMap<String, Answer>> {
        self.answers.get(id)
    }

    /// The answer given to item `item` of the checklist for `role`.
    pub fn answer(&self, role: Option<&str>, item: &str) -> Option<Answer> {
        let c = self.checklist(role)?;
        self.answers_of(&c.id)?.get(item).copied()
    }

    /// Moves item `i` of the checklist for `role` on to its next answer.
    pub fn cycle(&mut self, role: Option<&str>, i: usize) {
        let Some((id, item)) = self
            .checklist(role)
            .and_then(|c| Some((c.id.clone(), c.items.get(i)?.clone())))
        else {
            return;
        };
        let answers = self.answers.entry(id).or_default();
        let next = Answer::next(answers.get(&item.id).copied(), item.allow_na);
        answers.insert(item.id, next);
    }

    /// Chooses the next (`by` 1) or previous (`by` -1) category; with none
    /// chosen yet, the first or the last.
    pub fn step_category(&mut self, by: isize) {
        let n = self.categories.len() as isize;
        if n == 0 {
            return;
        }
        let next = match self.category {
            None if by < 0 => n - 1,
            None => 0,
            Some(i) => (i as isize + by).rem_euclid(n),
        };
        self.category = Some(next as usize);
    }

    pub fn chosen_category(&self) -> Option<&str> {
        self.categories.get(self.category?).map(String::as_str)
    }

    /// The answers that go into the decision: those to the checklist that
    /// applies to `role` (none where none applies).
    pub fn decision_answers(&self, role: Option<&str>) -> BTreeMap<String, Answer> {
        self.checklist(role)
            .and_then(|c| self.answers_of(&c.id))
            .cloned()
            .unwrap_or_default()
    }

    /// What the category or the checklist still lacks for `action` in
    /// `role`, in words.
    pub fn missing(&self, action: Action, role: Option<&str>) -> Option<String> {
        if action.carries_category() && self.chosen_category().is_none() {
            return Some("Choose a category (↑/↓ on category).".into());
        }
        let c = self.checklist(role)?;
        let empty = BTreeMap::new();
        let answers = self.answers_of(&c.id).unwrap_or(&empty);
        match c.check_answers(action, answers) {
            Ok(()) => None,
            Err(AnswerProblem::Missing(_)) => Some(format!(
                "Answer every item of checklist {} (space on an item): {} of {} answered.",
                c.id,
                answers.len(),
                c.items.len()
            )),
            Err(p) => Some(format!("{p}.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::checklist::{ChecklistFile, ItemFile};

    fn checklists() -> Checklists {
        let item = |id: &str, allow_na| ItemFile {
            id: id.into(),
            text: format!("{id} reviewed"),
            allow_na,
        };
        Checklists::new(&[ChecklistFile {
            id: "validation-v1".into(),
            roles: vec!["validator".into()],
            risks: vec!["high".into(), "critical".into()],
            items: vec![item("metrics", false), item("fairness", true)],
        }])
        .unwrap()
    }

    #[test]
    fn categories_are_offered_most_used_first_and_none_is_chosen() {
        let asks = Asks::default();
        let used = counts([Some("fairness"), None, Some("fairness"), Some("data")]);
        let s = Structured::new(Action::Reject, Risk::High, &asks, &used);
        assert_eq!(
            s.categories[..2],
            ["fairness".to_owned(), "data".to_owned()]
        );
        assert_eq!(s.category, None);
        let approve = Structured::new(Action::Approve, Risk::High, &asks, &used);
        assert!(approve.categories.is_empty(), "approve carries none");
        assert_eq!(approve.missing(Action::Approve, Some("validator")), None);
    }

    #[test]
    fn a_checklist_applies_by_role_and_risk_and_wants_every_item() {
        let asks = Asks {
            checklists: checklists(),
            ..Asks::default()
        };
        let mut s = Structured::new(Action::Approve, Risk::Critical, &asks, &BTreeMap::new());
        assert!(s.checklist(Some("domain")).is_none());
        let why = s.missing(Action::Approve, Some("validator")).unwrap();
        assert!(why.contains("Answer every item"), "{why}");
        s.cycle(Some("validator"), 0);
        s.cycle(Some("validator"), 1);
        assert_eq!(s.missing(Action::Approve, Some("validator")), None);
        s.cycle(Some("validator"), 0);
        let why = s.missing(Action::Approve, Some("validator")).unwrap();
        assert!(why.contains("reject or request changes instead"), "{why}");
        let low = Structured::new(Action::Approve, Risk::Low, &asks, &BTreeMap::new());
        assert!(
            low.checklist(Some("validator")).is_none(),
            "not at low risk"
        );
    }
}
