//! The queue: every review's row, narrowed by the filter and toggles, sorted,
//! with a selection. Only the window's rows are drawn, so 100,000 reviews
//! cost what 50 do.

use std::collections::HashMap;

use super::Status;
use crate::review::gates::ItemGates;
use crate::review::queue::{Kind, QueueItem};
use crate::review::risk::Risk;
use crate::tui::action::{Effect, Identity, ReviewKey};
use crate::tui::list::{self, Filters, Me, Row, SortKey, StateFilter};
use crate::tui::load::Load;
use crate::tui::widgets::input::{Filter, FilterKey};
use crate::tui::widgets::list::ListState;

#[derive(Debug, Clone)]
pub struct QueueView {
    pub rows: Vec<Row>,
    /// Whether `rows` holds reviews in every state, not only pending ones.
    pub all_loaded: bool,
    /// The last answer: rows stay shown while a reload runs, and an error
    /// stays said until a load succeeds.
    pub answer: Load<()>,
    /// A load is running.
    pub loading: bool,
    /// The `/` filter.
    pub filter: Filter,
    pub sort: SortKey,
    pub risk: Option<Risk>,
    pub state: StateFilter,
    /// Review, revalidation or renewal only; `None`: every kind.
    pub kind: Option<Kind>,
    pub mine: bool,
    /// Indices into `rows`, filtered and sorted.
    pub visible: Vec<u32>,
    pub list: ListState,
    /// Pending, revalidation, renewal, at risk, breached at `now`.
    pub counts: list::Counts,
    /// The background gate evaluation has not answered yet.
    pub gates_loading: bool,
    /// Rows in the chosen state, before the other filters ("12 of 40 shown").
    pub in_state: usize,
    /// The KIND column's width: what the widest row loaded wants.
    pub kind_width: usize,
}

impl Default for QueueView {
    fn default() -> QueueView {
        QueueView {
            rows: Vec::new(),
            all_loaded: false,
            answer: Load::Loading,
            loading: false,
            filter: Filter::default(),
            sort: SortKey::default(),
            risk: None,
            state: StateFilter::default(),
            kind: None,
            mine: false,
            visible: Vec::new(),
            list: ListState::default(),
            counts: list::Counts::default(),
            gates_loading: false,
            in_state: 0,
            kind_width: 8,
        }
    }
}

/// What a click on the list did.
pub enum Click {
    Nothing,
    Selected,
    /// The selected row was clicked again: open it.
    Open,
}

impl QueueView {
    /// The selected row, if any.
    pub fn selected_row(&self) -> Option<&Row> {
        self.visible
            .get(self.list.selected)
            .and_then(|i| self.rows.get(*i as usize))
    }

    /// The load that shows what is asked for now.
    pub fn reload(&mut self) -> Vec<Effect> {
        self.loading = true;
        vec![Effect::LoadQueue {
            all: self.state.needs_all() || self.all_loaded,
        }]
    }

    /// Recomputes the visible rows, keeping the selected review selected.
    pub fn refilter(&mut self, me: Option<&Me>, page: usize) {
        let keep = self
            .selected_row()
            .map(|r| (r.item.model.clone(), r.item.version.clone()));
        let mine = if self.mine { me } else { None };
        self.visible = list::visible(
            &self.rows,
            &Filters {
                text: &self.filter.text,
                risk: self.risk,
                state: self.state,
                kind: self.kind,
                mine,
            },
            self.sort,
        );
        let state = self.state;
        self.in_state = self.rows.iter().filter(|r| state.admits(&r.item)).count();
        self.list.selected = keep
            .and_then(|(m, v)| {
                self.visible.iter().position(|i| {
                    let it = &self.rows[*i as usize].item;
                    it.model == m && it.version == v
                })
            })
            .unwrap_or(0);
        self.clamp(page);
    }

    /// Keeps the selection on a row and in a window of `page` rows.
    pub fn clamp(&mut self, page: usize) {
        let n = self.visible.len();
        self.list.clamp(n);
        self.list.follow(page);
        self.list.fit(n, page);
    }

    pub fn step(&mut self, by: isize, page: usize) {
        let n = self.visible.len();
        if n == 0 {
            return;
        }
        self.list.step(by, n);
        self.clamp(page);
    }

    /// A key while the filter has the keyboard; `false`: not the filter's.
    pub fn filter_key(
        &mut self,
        k: &crossterm::event::KeyEvent,
        me: Option<&Me>,
        page: usize,
    ) -> bool {
        match self.filter.key(k) {
            FilterKey::Changed => self.refilter(me, page),
            FilterKey::Move(by) => self.step(by, page),
            FilterKey::Pass => return false,
        }
        true
    }

    /// A click on line `line` of the list window.
    pub fn click(&mut self, line: usize, page: usize) -> Click {
        let Some(i) = self.list.row_at(line, self.visible.len()) else {
            return Click::Nothing;
        };
        if i == self.list.selected {
            return Click::Open;
        }
        self.list.selected = i;
        self.clamp(page);
        Click::Selected
    }

    /// The filter is cleared by Back; `false` when there was none.
    pub fn clear_filter(&mut self, me: Option<&Me>, page: usize) -> bool {
        if self.filter.text.is_empty() {
            return false;
        }
        self.filter.text.clear();
        self.refilter(me, page);
        true
    }

    pub fn sort(&mut self, me: Option<&Me>, page: usize) -> Status {
        self.sort = self.sort.next();
        self.refilter(me, page);
        Status::info(format!("Sorted by {}.", self.sort.as_str()))
    }

    pub fn risk(&mut self, me: Option<&Me>, page: usize) {
        self.risk = list::next_risk(self.risk);
        self.refilter(me, page);
    }

    /// The next kind filter: every kind, review, revalidation, renewal.
    pub fn kind(&mut self, me: Option<&Me>, page: usize) -> Status {
        self.kind = list::next_kind(self.kind);
        self.refilter(me, page);
        Status::info(match self.kind {
            None => "Every kind shown: reviews, revalidations, renewals.".to_owned(),
            Some(k) => format!("Only {} {}s shown.", k.glyph(), k.as_str()),
        })
    }

    /// The next state filter; the other states load the first time they are asked for.
    pub fn state(&mut self, me: Option<&Me>, page: usize) -> Vec<Effect> {
        self.state = self.state.next();
        self.refilter(me, page);
        if self.state.needs_all() && !self.all_loaded {
            self.loading = true;
            return vec![Effect::LoadQueue { all: true }];
        }
        vec![]
    }

    /// "mine" on or off, or why it cannot be.
    pub fn mine(&mut self, identity: &Identity, page: usize) -> Option<Status> {
        match identity {
            Identity::Known(me) => {
                self.mine = !self.mine;
                self.refilter(Some(me), page);
                None
            }
            Identity::Loading => Some(Status::info(
                "\"mine\" waits for the roster to be read; try again in a moment.",
            )),
            Identity::Unavailable(why) => Some(Status::info(why.clone())),
        }
    }

    /// The queue's answer. `Err`: the words of the failure, for the status line.
    pub fn loaded(
        &mut self,
        all: bool,
        result: Result<Vec<QueueItem>, String>,
        now_ms: i64,
        me: Option<&Me>,
        page: usize,
    ) -> Result<Vec<Effect>, String> {
        self.loading = false;
        let items = match result {
            Ok(items) => items,
            Err(e) => {
                self.answer = Load::Failed(e.clone());
                return Err(e);
            }
        };
        self.rows = items.into_iter().map(Row::new).collect();
        self.kind_width = self
            .rows
            .iter()
            .map(|r| list::kind_width(&r.item))
            .max()
            .unwrap_or(0)
            .max(8);
        self.all_loaded = all;
        self.answer = Load::Ready(());
        self.counts = list::counts(&self.rows, now_ms);
        self.refilter(me, page);
        // Gates read every review's reports: slower, so they fill in later.
        if self.rows.is_empty() {
            return Ok(vec![]);
        }
        self.gates_loading = true;
        Ok(vec![Effect::EvaluateGates { all }])
    }

    /// The gate counts of the background evaluation, into the rows.
    pub fn gates_evaluated(&mut self, gates: Vec<(ReviewKey, ItemGates)>) {
        let by_key: HashMap<ReviewKey, ItemGates> = gates.into_iter().collect();
        for row in &mut self.rows {
            let key = ReviewKey::new(&row.item.model, &row.item.version);
            if let Some(g) = by_key.get(&key) {
                row.item.gates = Some(g.clone());
            }
        }
    }
}
