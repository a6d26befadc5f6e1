//! The console's state and its one way to change: `update(&mut App, Action)
//! -> Vec<Effect>`. No I/O and no clock here: time arrives in `Tick`, data
//! in `*Loaded` actions, so every screen can be driven and tested by hand.

use std::sync::Arc;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::action::{Action, Effect, HighlightStyle, Identity, ReviewKey};
use super::highlight::Prepared;
use super::keymap::{Command, Context, Key, KeyMap};
use super::list::{self, Filters, Row, SortKey, StateFilter};
use super::theme::{Mode, Theme};
use super::views;
use crate::review::reports::FairnessThresholds;
use crate::review::risk::Risk;
use crate::service::history::MetricHistory;
use crate::service::show::ReviewDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Review,
    /// Later issues: the screens say what they will hold.
    Audit,
    Deploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Metrics,
    Schema,
    Explainability,
    Fairness,
    Security,
    Records,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Metrics,
        Tab::Schema,
        Tab::Explainability,
        Tab::Fairness,
        Tab::Security,
        Tab::Records,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Metrics => "Metrics",
            Tab::Schema => "Schema",
            Tab::Explainability => "Explainability",
            Tab::Fairness => "Fairness",
            Tab::Security => "Security",
            Tab::Records => "Records",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    fn step(self, by: isize) -> Tab {
        let n = Tab::ALL.len() as isize;
        Tab::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// The commands of the `:` palette.
pub const PALETTE: [(&str, &str); 4] = [
    ("queue", "the review queue"),
    ("audit", "audit of signed records (not built yet)"),
    ("deploy", "promotions and rollbacks (not built yet)"),
    ("quit", "leave modelgate"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub input: String,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    Palette(Palette),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

#[derive(Debug, Clone, Default)]
pub struct QueueView {
    pub rows: Vec<Row>,
    /// Whether `rows` holds reviews in every state, not only pending ones.
    pub all_loaded: bool,
    pub loaded: bool,
    pub loading: bool,
    pub error: Option<String>,
    pub filter: String,
    /// The `/` filter has the keyboard.
    pub editing: bool,
    pub sort: SortKey,
    pub risk: Option<Risk>,
    pub state: StateFilter,
    pub mine: bool,
    /// Indices into `rows`, filtered and sorted.
    pub visible: Vec<u32>,
    pub selected: usize,
    /// First visible row of the list window.
    pub offset: usize,
    /// Pending, at risk, breached at `now`.
    pub counts: (usize, usize, usize),
    /// The background gate evaluation has not answered yet.
    pub gates_loading: bool,
    /// Rows in the chosen state, before the other filters ("12 of 40 shown").
    pub in_state: usize,
}

#[derive(Debug, Clone)]
pub struct ReviewView {
    pub key: ReviewKey,
    pub detail: Load<Arc<ReviewDetail>>,
    pub prepared: Option<Box<Prepared>>,
    pub history: Load<Vec<MetricHistory>>,
    pub tab: Tab,
    pub scroll: [usize; 7],
    /// Each tab's lines, laid out for `doc_width` when data or size changes,
    /// so a frame only copies the visible window.
    pub docs: Vec<Vec<Line<'static>>>,
    pub doc_width: u16,
}

pub struct App {
    pub now_ms: i64,
    pub size: (u16, u16),
    pub registry: String,
    pub identity_label: Option<String>,
    pub readonly: bool,
    pub theme: Theme,
    pub keymap: KeyMap,
    pub fairness: FairnessThresholds,
    pub stack: Vec<Screen>,
    pub queue: QueueView,
    pub review: Option<ReviewView>,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub identity: Identity,
    pub spinner: usize,
    /// Something changed since the last frame.
    pub dirty: bool,
}

/// What an `App` starts from.
pub struct AppOptions {
    pub registry: String,
    pub identity: Option<String>,
    pub readonly: bool,
    pub theme: Theme,
    pub keymap: KeyMap,
    pub now_ms: i64,
    pub size: (u16, u16),
}

impl App {
    pub fn new(o: AppOptions) -> App {
        App {
            now_ms: o.now_ms,
            size: o.size,
            registry: o.registry,
            identity_label: o.identity,
            readonly: o.readonly,
            theme: o.theme,
            keymap: o.keymap,
            fairness: FairnessThresholds::default(),
            stack: vec![Screen::Queue],
            queue: QueueView::default(),
            review: None,
            overlay: None,
            status: None,
            identity: Identity::Loading,
            spinner: 0,
            dirty: true,
        }
    }

    /// The first effects: the queue and who I am, both in the background.
    pub fn start(&mut self) -> Vec<Effect> {
        self.queue.loading = true;
        self.identity = Identity::Loading;
        vec![Effect::LoadQueue { all: false }, Effect::LoadIdentity]
    }

    pub fn screen(&self) -> Screen {
        self.stack.last().copied().unwrap_or(Screen::Queue)
    }

    pub fn context(&self) -> Context {
        match self.screen() {
            Screen::Queue => Context::Queue,
            Screen::Review => Context::Review,
            Screen::Audit | Screen::Deploy => Context::Placeholder,
        }
    }

    /// Whether something is loading (the spinner turns).
    pub fn busy(&self) -> bool {
        self.queue.loading
            || self.queue.gates_loading
            || matches!(self.identity, Identity::Loading)
            || self.review.as_ref().is_some_and(|r| {
                matches!(r.detail, Load::Loading)
                    || matches!(r.history, Load::Loading)
                    || (matches!(r.detail, Load::Ready(_)) && r.prepared.is_none())
            })
    }

    pub fn highlight_style(&self) -> HighlightStyle {
        HighlightStyle {
            color: self.theme.color,
            light: self.theme.mode == Mode::Light,
        }
    }

    /// The selected queue row, if any.
    pub fn selected_row(&self) -> Option<&Row> {
        self.queue
            .visible
            .get(self.queue.selected)
            .and_then(|i| self.queue.rows.get(*i as usize))
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    fn list_height(&self) -> usize {
        views::queue_list_area(self.area()).height as usize
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Info,
            text: text.into(),
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Error,
            text: text.into(),
        });
    }

    fn me(&self) -> Option<&list::Me> {
        match &self.identity {
            Identity::Known(me) => Some(me),
            _ => None,
        }
    }

    /// Recomputes the visible rows, keeping the selected review selected.
    pub fn refilter(&mut self) {
        let keep = self
            .selected_row()
            .map(|r| (r.item.model.clone(), r.item.version.clone()));
        let mine = if self.queue.mine { self.me() } else { None };
        let visible = list::visible(
            &self.queue.rows,
            &Filters {
                text: &self.queue.filter,
                risk: self.queue.risk,
                state: self.queue.state,
                mine,
            },
            self.queue.sort,
        );
        self.queue.visible = visible;
        let state = self.queue.state;
        self.queue.in_state = self
            .queue
            .rows
            .iter()
            .filter(|r| state.admits(r.item.state))
            .count();
        self.queue.selected = keep
            .and_then(|(m, v)| {
                self.queue.visible.iter().position(|i| {
                    let it = &self.queue.rows[*i as usize].item;
                    it.model == m && it.version == v
                })
            })
            .unwrap_or(0);
        self.clamp_queue();
    }

    fn clamp_queue(&mut self) {
        let n = self.queue.visible.len();
        let q = &mut self.queue;
        q.selected = q.selected.min(n.saturating_sub(1));
        let h = views::queue_list_area(Rect::new(0, 0, self.size.0, self.size.1)).height as usize;
        let h = h.max(1);
        if q.selected < q.offset {
            q.offset = q.selected;
        } else if q.selected >= q.offset + h {
            q.offset = q.selected + 1 - h;
        }
        q.offset = q.offset.min(n.saturating_sub(h));
    }

    /// Lays the review's tabs out again (new data, new width).
    pub fn rebuild_docs(&mut self) {
        let width = views::review_content_area(self.area()).width;
        let theme = self.theme.clone();
        let fairness = self.fairness;
        if let Some(r) = &mut self.review {
            r.doc_width = width;
            r.docs = views::review::build_docs(r, &theme, &fairness, width);
            let h = views::review_content_area(Rect::new(0, 0, self.size.0, self.size.1)).height
                as usize;
            for (i, doc) in r.docs.iter().enumerate() {
                r.scroll[i] = r.scroll[i].min(doc.len().saturating_sub(h));
            }
        }
    }

    fn move_selection(&mut self, by: isize) {
        let n = self.queue.visible.len();
        if n == 0 {
            return;
        }
        let s = (self.queue.selected as isize + by).clamp(0, n as isize - 1);
        self.queue.selected = s as usize;
        self.clamp_queue();
    }

    fn scroll_review(&mut self, by: isize) {
        let h = views::review_content_area(self.area()).height as usize;
        if let Some(r) = &mut self.review {
            let i = r.tab.index();
            let len = r.docs.get(i).map_or(0, Vec::len);
            let max = len.saturating_sub(h) as isize;
            r.scroll[i] = (r.scroll[i] as isize + by).clamp(0, max.max(0)) as usize;
        }
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        let Some(row) = self.selected_row() else {
            self.info("Nothing to open: the queue shows no review.");
            return vec![];
        };
        let key = (row.item.model.clone(), row.item.version.clone());
        self.stack.push(Screen::Review);
        // Reopening the review just shown keeps what was loaded.
        if self.review.as_ref().is_some_and(|r| r.key == key) {
            return vec![];
        }
        self.review = Some(ReviewView {
            key: key.clone(),
            detail: Load::Loading,
            prepared: None,
            history: Load::Loading,
            tab: Tab::Overview,
            scroll: [0; 7],
            docs: Vec::new(),
            doc_width: 0,
        });
        self.rebuild_docs();
        vec![Effect::LoadReview {
            key,
            style: self.highlight_style(),
        }]
    }

    fn reload(&mut self) -> Vec<Effect> {
        match self.screen() {
            Screen::Review => {
                let style = self.highlight_style();
                let Some(r) = &mut self.review else {
                    return vec![];
                };
                r.detail = Load::Loading;
                r.prepared = None;
                r.history = Load::Loading;
                let key = r.key.clone();
                self.rebuild_docs();
                vec![Effect::LoadReview { key, style }]
            }
            _ => {
                self.queue.loading = true;
                vec![Effect::LoadQueue {
                    all: self.queue.state.needs_all() || self.queue.all_loaded,
                }]
            }
        }
    }

    /// Runs one command of the key map.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.list_height().max(1) as isize;
        let review_page = views::review_content_area(self.area()).height.max(1) as isize;
        let on_review = self.screen() == Screen::Review;
        match cmd {
            Command::Quit => return vec![Effect::Quit],
            Command::Back => self.back(),
            Command::Help => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help) => None,
                    _ => Some(Overlay::Help),
                }
            }
            Command::Palette => self.overlay = Some(Overlay::Palette(Palette::default())),
            Command::Up | Command::Down | Command::PageUp | Command::PageDown => {
                let (step, page) = if on_review {
                    (1, review_page)
                } else {
                    (1, page)
                };
                let by = match cmd {
                    Command::Up => -step,
                    Command::Down => step,
                    Command::PageUp => -page,
                    _ => page,
                };
                if on_review {
                    self.scroll_review(by);
                } else {
                    self.move_selection(by);
                }
            }
            Command::Top | Command::Bottom => {
                let by = if cmd == Command::Top {
                    isize::MIN / 2
                } else {
                    isize::MAX / 2
                };
                if on_review {
                    self.scroll_review(by);
                } else {
                    self.move_selection(by);
                }
            }
            Command::Open => return self.open_selected(),
            Command::Filter => self.queue.editing = true,
            Command::Sort => {
                self.queue.sort = self.queue.sort.next();
                self.refilter();
                self.info(format!("Sorted by {}.", self.queue.sort.as_str()));
            }
            Command::Risk => {
                self.queue.risk = list::next_risk(self.queue.risk);
                self.refilter();
            }
            Command::State => {
                self.queue.state = self.queue.state.next();
                self.refilter();
                if self.queue.state.needs_all() && !self.queue.all_loaded {
                    self.queue.loading = true;
                    return vec![Effect::LoadQueue { all: true }];
                }
            }
            Command::Mine => match &self.identity {
                Identity::Known(_) => {
                    self.queue.mine = !self.queue.mine;
                    self.refilter();
                }
                Identity::Loading => {
                    self.info("\"mine\" waits for the roster to be read; try again in a moment.")
                }
                Identity::Unavailable(why) => {
                    let why = why.clone();
                    self.info(why)
                }
            },
            Command::Reload => return self.reload(),
            Command::NextTab | Command::PrevTab => {
                if let Some(r) = &mut self.review {
                    r.tab = r.tab.step(if cmd == Command::NextTab { 1 } else { -1 });
                }
            }
        }
        vec![]
    }

    fn back(&mut self) {
        if self.overlay.is_some() {
            self.overlay = None;
        } else if self.screen() == Screen::Queue && !self.queue.filter.is_empty() {
            self.queue.filter.clear();
            self.refilter();
        } else if self.stack.len() > 1 {
            self.stack.pop();
        } else if self.status.is_some() {
            self.status = None;
        }
    }

    /// Palette entries matching what is typed (readonly hides actions).
    pub fn palette_matches(&self, input: &str) -> Vec<(&'static str, &'static str)> {
        let typed = input.trim().trim_start_matches(':');
        PALETTE
            .into_iter()
            .filter(|(name, _)| !(self.readonly && *name == "deploy"))
            .filter(|(name, _)| name.starts_with(typed))
            .collect()
    }

    fn run_palette(&mut self, name: &str) -> Vec<Effect> {
        self.overlay = None;
        match name {
            "queue" => self.stack = vec![Screen::Queue],
            "audit" => self.stack = vec![Screen::Queue, Screen::Audit],
            "deploy" if !self.readonly => self.stack = vec![Screen::Queue, Screen::Deploy],
            "quit" => return vec![Effect::Quit],
            other => self.info(format!(
                "No command :{other}. Commands: {}",
                self.palette_matches("")
                    .iter()
                    .map(|(n, _)| format!(":{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        }
        vec![]
    }

    fn palette_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let Some(Overlay::Palette(p)) = &self.overlay else {
            return vec![];
        };
        let mut p = p.clone();
        match k.code {
            KeyCode::Esc => {
                self.overlay = None;
                return vec![];
            }
            KeyCode::Enter => {
                let matches = self.palette_matches(&p.input);
                let typed = p.input.trim().trim_start_matches(':').to_owned();
                let name = if matches.iter().any(|(n, _)| *n == typed) {
                    typed
                } else {
                    matches
                        .get(p.selected)
                        .map(|(n, _)| (*n).to_owned())
                        .unwrap_or(typed)
                };
                return self.run_palette(&name);
            }
            KeyCode::Tab => {
                // Completion: the selected match, or the longest common prefix.
                let matches = self.palette_matches(&p.input);
                if let Some((n, _)) = matches.get(p.selected.min(matches.len().saturating_sub(1))) {
                    p.input = (*n).to_owned();
                    p.selected = 0;
                }
            }
            KeyCode::Down => p.selected += 1,
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Backspace => {
                p.input.pop();
                p.selected = 0;
            }
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                p.input.push(c);
                p.selected = 0;
            }
            _ => {}
        }
        let n = self.palette_matches(&p.input).len();
        p.selected = p.selected.min(n.saturating_sub(1));
        self.overlay = Some(Overlay::Palette(p));
        vec![]
    }

    fn filter_key(&mut self, k: KeyEvent) -> Option<Vec<Effect>> {
        match k.code {
            KeyCode::Esc => {
                self.queue.editing = false;
                self.queue.filter.clear();
            }
            KeyCode::Enter => self.queue.editing = false,
            KeyCode::Backspace => {
                self.queue.filter.pop();
            }
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.queue.filter.push(c)
            }
            // Arrows still move through the rows being filtered.
            KeyCode::Up => {
                self.move_selection(-1);
                return Some(vec![]);
            }
            KeyCode::Down => {
                self.move_selection(1);
                return Some(vec![]);
            }
            _ => return None,
        }
        self.refilter();
        Some(vec![])
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return vec![];
        }
        self.dirty = true;
        if self.status.as_ref().is_some_and(|s| s.level == Level::Info) {
            self.status = None;
        }
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            return vec![Effect::Quit];
        }
        match &self.overlay {
            Some(Overlay::Palette(_)) => return self.palette_key(k),
            Some(Overlay::Help) => {
                // Any key closes help; a command key also does its work.
                self.overlay = None;
                let key = Key::from_event(&k);
                return match self.keymap.lookup(self.context(), key, self.readonly) {
                    Some(Command::Help | Command::Back) | None => vec![],
                    Some(cmd) => self.run(cmd),
                };
            }
            None => {}
        }
        if self.screen() == Screen::Queue
            && self.queue.editing
            && let Some(effects) = self.filter_key(k)
        {
            return effects;
        }
        match self
            .keymap
            .lookup(self.context(), Key::from_event(&k), self.readonly)
        {
            Some(cmd) => self.run(cmd),
            None => vec![],
        }
    }

    fn mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        let area = self.area();
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let by = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                match self.screen() {
                    Screen::Review => self.scroll_review(by),
                    Screen::Queue => self.move_selection(by),
                    _ => return vec![],
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.overlay.is_some() {
                    self.overlay = None;
                    self.dirty = true;
                    return vec![];
                }
                match self.screen() {
                    Screen::Queue => {
                        let list = views::queue_list_area(area);
                        if m.row >= list.y && m.row < list.y + list.height {
                            let i = self.queue.offset + (m.row - list.y) as usize;
                            if i < self.queue.visible.len() {
                                if i == self.queue.selected {
                                    self.dirty = true;
                                    return self.open_selected();
                                }
                                self.queue.selected = i;
                                self.clamp_queue();
                            }
                        }
                    }
                    Screen::Review => {
                        let tabs = views::review_tabs_area(area);
                        if m.row == tabs.y
                            && let Some(t) = views::review::tab_at(tabs, m.column)
                            && let Some(r) = &mut self.review
                        {
                            r.tab = t;
                        }
                    }
                    _ => return vec![],
                }
            }
            // Motion and releases change nothing: no redraw for them.
            _ => return vec![],
        }
        self.dirty = true;
        vec![]
    }
}

/// The console's one way to change.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(k) => app.key(k),
        Action::Mouse(m) => app.mouse(m),
        Action::Resize(w, h) => {
            app.size = (w, h);
            app.clamp_queue();
            app.rebuild_docs();
            app.dirty = true;
            vec![]
        }
        Action::Tick(now) => {
            app.now_ms = now;
            app.queue.counts = list::counts(&app.queue.rows, now);
            app.dirty = true;
            vec![]
        }
        Action::Spin => {
            if app.busy() {
                app.spinner = app.spinner.wrapping_add(1);
                app.dirty = true;
            }
            vec![]
        }
        Action::Run(cmd) => {
            app.dirty = true;
            app.run(cmd)
        }
        Action::QueueLoaded { all, result } => {
            app.dirty = true;
            app.queue.loading = false;
            match result {
                Ok(items) => {
                    app.queue.rows = items.into_iter().map(Row::new).collect();
                    app.queue.all_loaded = all;
                    app.queue.loaded = true;
                    app.queue.error = None;
                    app.queue.counts = list::counts(&app.queue.rows, app.now_ms);
                    if app.status.as_ref().is_some_and(|s| s.level == Level::Error) {
                        app.status = None;
                    }
                    app.refilter();
                    // Gates read every review's reports: slower, so they fill in later.
                    if !app.queue.rows.is_empty() {
                        app.queue.gates_loading = true;
                        return vec![Effect::EvaluateGates { all }];
                    }
                }
                Err(e) => {
                    app.error(format!(
                        "✖ The queue could not be loaded: {e} ({} retries)",
                        app.keymap.label(Command::Reload)
                    ));
                    app.queue.error = Some(e);
                }
            }
            vec![]
        }
        Action::ReviewLoaded { key, result } => {
            let Some(r) = app.review.as_mut().filter(|r| r.key == key) else {
                return vec![];
            };
            app.dirty = true;
            let mut effects = vec![];
            match result {
                Ok(d) => {
                    let metrics: Vec<String> = d
                        .summary
                        .metrics
                        .iter()
                        .filter(|m| m.candidate.is_some())
                        .map(|m| m.name.clone())
                        .collect();
                    match (&d.run_id, metrics.is_empty()) {
                        (Some(run_id), false) => effects.push(Effect::LoadHistory {
                            key: key.clone(),
                            run_id: run_id.clone(),
                            metrics,
                        }),
                        _ => r.history = Load::Ready(Vec::new()),
                    }
                    r.detail = Load::Ready(d);
                }
                Err(e) => {
                    r.history = Load::Ready(Vec::new());
                    r.prepared = Some(Box::default());
                    r.detail = Load::Failed(e.clone());
                    app.error(format!("✖ The review could not be loaded: {e}"));
                }
            }
            app.rebuild_docs();
            effects
        }
        Action::Prepared { key, prepared } => {
            if let Some(r) = app.review.as_mut().filter(|r| r.key == key) {
                r.prepared = Some(prepared);
                app.rebuild_docs();
                app.dirty = true;
            }
            vec![]
        }
        Action::HistoryLoaded { key, histories } => {
            if let Some(r) = app.review.as_mut().filter(|r| r.key == key) {
                r.history = Load::Ready(histories);
                app.rebuild_docs();
                app.dirty = true;
            }
            vec![]
        }
        Action::IdentityLoaded(id) => {
            app.identity = id;
            if app.queue.mine {
                app.refilter();
            }
            app.dirty = true;
            vec![]
        }
        Action::GatesEvaluated { result } => {
            app.queue.gates_loading = false;
            match result {
                Ok(gates) => {
                    let by_key: std::collections::HashMap<ReviewKey, crate::policy::ItemGates> =
                        gates.into_iter().collect();
                    for row in &mut app.queue.rows {
                        let key = (row.item.model.clone(), row.item.version.clone());
                        if let Some(g) = by_key.get(&key) {
                            row.item.gates = Some(g.clone());
                        }
                    }
                }
                Err(e) => app.error(format!("✖ The policy gates could not be evaluated: {e}")),
            }
            app.dirty = true;
            vec![]
        }
    }
}

#[cfg(test)]
mod tests;
