//! The console's state and its one way to change: `update(&mut App, Action)
//! -> Vec<Effect>`. No I/O and no clock here: time arrives in `Tick`, data
//! in `*Loaded` actions, so every screen can be driven and tested by hand.
//! `App` holds what the screens share and routes keys, clicks, commands and
//! answers to the screen they belong to (`screens`).

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use super::action::{Action, Effect, Identity, ReviewKey, SignFailure, Signed};
use super::highlight::HighlightStyle;
use super::keymap::{Command, Context, Key, KeyMap};
use super::layout;
use super::list::{self, Me, Row};
use super::screens::dialog::{self, DialogKey};
use super::screens::help;
use super::screens::palette::{self, PaletteKey};
use super::screens::personas::Personas;
use super::screens::queue::Click;
use super::theme::{Mode, Theme};
use crate::review::reports::FairnessThresholds;
use crate::trust::deploy::DeployFlags;

pub use super::load::Load;
pub use super::screens::audit::AuditView;
pub use super::screens::deploy::DeployView;
pub use super::screens::dialog::{Asks, Field, SignDialog, Signing};
pub use super::screens::palette::{PALETTE, Palette};
pub use super::screens::queue::QueueView;
pub use super::screens::review::{ReviewView, Tab};
pub use super::screens::stats::{StatsPeriod, StatsView};
pub use super::screens::{Level, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Review,
    Audit,
    Deploy,
    /// The demo's persona picker.
    Personas,
    /// `:stats`: the approval process in numbers.
    Stats,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    Palette(Palette),
    Sign(Box<SignDialog>),
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
    /// The decision categories and checklists configured (PROTOCOL 13).
    pub asks: Asks,
    pub stack: Vec<Screen>,
    pub queue: QueueView,
    pub review: Option<ReviewView>,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub identity: Identity,
    /// Whether signing can work, once checked.
    pub signing: Signing,
    /// A signature is being made in the background.
    pub sign_busy: bool,
    pub audit: AuditView,
    pub deploy: DeployView,
    pub stats: StatsView,
    /// Deployment flags for the queue header, once loaded.
    pub deploy_flags: Option<DeployFlags>,
    /// The demo's personas: `None` on any other registry.
    pub personas: Option<Personas>,
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
    /// The demo's personas, when the console is on the demo registry.
    pub demo: Option<Vec<crate::demo::Persona>>,
}

/// Who I am, when known.
fn me(identity: &Identity) -> Option<&Me> {
    match identity {
        Identity::Known(me) => Some(me),
        _ => None,
    }
}

impl App {
    pub fn new(o: AppOptions) -> App {
        let personas = o
            .demo
            .map(|all| Personas::new(all, o.identity.as_deref(), o.readonly));
        // The demo without a persona starts by asking who you are.
        let stack = match &personas {
            Some(p) if p.acting.is_none() => vec![Screen::Queue, Screen::Personas],
            _ => vec![Screen::Queue],
        };
        App {
            now_ms: o.now_ms,
            size: o.size,
            registry: o.registry,
            identity_label: o.identity,
            readonly: o.readonly,
            theme: o.theme,
            keymap: o.keymap,
            fairness: FairnessThresholds::default(),
            asks: Asks::default(),
            stack,
            queue: QueueView::default(),
            review: None,
            overlay: None,
            status: None,
            identity: Identity::Loading,
            signing: Signing::Checking,
            sign_busy: false,
            audit: AuditView::default(),
            deploy: DeployView::default(),
            stats: StatsView::default(),
            deploy_flags: None,
            personas,
            spinner: 0,
            dirty: true,
        }
    }

    /// The first effects: the queue, who I am and the deployment flags, in the background.
    pub fn start(&mut self) -> Vec<Effect> {
        self.queue.loading = true;
        self.identity = Identity::Loading;
        self.deploy.status = Some(Load::Loading);
        vec![
            Effect::LoadQueue { all: false },
            Effect::LoadIdentity {
                signer: self.sign_as(),
            },
            Effect::LoadDeploy,
        ]
    }

    pub fn screen(&self) -> Screen {
        self.stack.last().copied().unwrap_or(Screen::Queue)
    }

    pub fn context(&self) -> Context {
        match self.screen() {
            Screen::Queue => Context::Queue,
            Screen::Review => Context::Review,
            Screen::Audit => Context::Audit,
            Screen::Deploy => Context::Deploy,
            Screen::Personas => Context::Personas,
            Screen::Stats => Context::Stats,
        }
    }

    /// Whether something is loading (the spinner turns).
    pub fn busy(&self) -> bool {
        self.queue.loading
            || self.queue.gates_loading
            || matches!(self.identity, Identity::Loading)
            || self.sign_busy
            || self.audit.busy()
            || self.deploy.busy()
            || self.stats.busy()
            || self.review.as_ref().is_some_and(ReviewView::busy)
    }

    pub fn highlight_style(&self) -> HighlightStyle {
        HighlightStyle {
            color: self.theme.color,
            light: self.theme.mode == Mode::Light,
        }
    }

    /// The selected queue row, if any.
    pub fn selected_row(&self) -> Option<&Row> {
        self.queue.selected_row()
    }

    fn area(&self) -> Rect {
        layout::screen(self.size)
    }

    /// Rows in the queue's window.
    fn queue_page(&self) -> usize {
        layout::queue_list_area(self.area()).height as usize
    }

    /// Lines in the review's window.
    fn review_page(&self) -> usize {
        layout::review_content_area(self.area()).height as usize
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status::info(text));
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status::error(text));
    }

    /// Recomputes the queue's visible rows, keeping the selected review selected.
    pub fn refilter(&mut self) {
        let page = self.queue_page();
        self.queue.refilter(me(&self.identity), page);
    }

    /// Lays the review's tabs out again (new data, new width).
    pub fn rebuild_docs(&mut self) {
        let area = self.area();
        if let Some(r) = &mut self.review {
            r.rebuild(&self.theme, &self.fairness, area);
        }
    }

    fn scroll_review(&mut self, by: isize) {
        let page = self.review_page();
        if let Some(r) = &mut self.review {
            r.scroll(by, page);
        }
    }

    /// Moves the selection of whichever list the screen shows.
    fn move_any(&mut self, by: isize) {
        match self.screen() {
            Screen::Audit => self.audit.step(by, layout::audit_list_height(self.area())),
            Screen::Deploy => self.deploy.step(by),
            Screen::Personas => {
                if let Some(p) = &mut self.personas {
                    p.step(by);
                }
            }
            // The figures fit the screen: nothing to move.
            Screen::Stats => {}
            _ => {
                let page = self.queue_page();
                self.queue.step(by, page);
            }
        }
    }

    /// A signing dialog, or why there is none, in the status line.
    fn open_dialog<E: Into<String>>(&mut self, d: Result<SignDialog, E>) {
        match d {
            Ok(d) => self.overlay = Some(Overlay::Sign(Box::new(d))),
            Err(why) => self.info(why),
        }
    }

    /// How often each category was chosen: across every record when
    /// `:audit` has read them, else on the review shown.
    fn categories_used(&self) -> std::collections::BTreeMap<String, usize> {
        match &self.audit.data {
            Some(Load::Ready(data)) => {
                dialog::counts(data.records.iter().map(|r| r.category.as_deref()))
            }
            _ => self
                .review
                .as_ref()
                .map(ReviewView::categories_used)
                .unwrap_or_default(),
        }
    }

    fn dialog_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let signer = self.sign_as();
        let Some(Overlay::Sign(d)) = &mut self.overlay else {
            return vec![];
        };
        match d.on_key(&k) {
            DialogKey::Stay => vec![],
            DialogKey::Close => {
                self.overlay = None;
                vec![]
            }
            DialogKey::Sign => {
                let Some((effect, what)) = d.sign(self.sign_busy, signer) else {
                    return vec![];
                };
                self.overlay = None;
                self.sign_busy = true;
                self.status = Some(what);
                vec![effect]
            }
        }
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        let Some(row) = self.selected_row() else {
            self.info("Nothing to open: the queue shows no review.");
            return vec![];
        };
        let key = ReviewKey::new(&row.item.model, &row.item.version);
        self.stack.push(Screen::Review);
        // Reopening the review just shown keeps what was loaded.
        if self.review.as_ref().is_some_and(|r| r.key == key) {
            return vec![];
        }
        self.review = Some(ReviewView::new(key.clone()));
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
                let effect = r.reload(style);
                self.rebuild_docs();
                vec![effect]
            }
            Screen::Audit => self.audit.reload(),
            Screen::Deploy => self.deploy.reload(),
            Screen::Stats => self.stats.reload(),
            _ => self.queue.reload(),
        }
    }

    /// Runs one command of the key map.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.queue_page().max(1) as isize;
        let review_page = self.review_page().max(1) as isize;
        let on_review = self.screen() == Screen::Review;
        let queue_page = self.queue_page();
        match cmd {
            Command::Quit => return vec![Effect::Quit],
            Command::Back => self.back(),
            Command::Help => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help) => None,
                    _ => Some(Overlay::Help),
                }
            }
            Command::Palette => {
                self.overlay = Some(Overlay::Palette(Palette {
                    demo: self.personas.is_some(),
                    ..Palette::default()
                }))
            }
            Command::Up | Command::Down | Command::PageUp | Command::PageDown => {
                let page = if on_review { review_page } else { page };
                let by = match cmd {
                    Command::Up => -1,
                    Command::Down => 1,
                    Command::PageUp => -page,
                    _ => page,
                };
                if on_review {
                    self.scroll_review(by);
                } else {
                    self.move_any(by);
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
                    self.move_any(by);
                }
            }
            Command::Open => return self.open_selected(),
            Command::Filter if self.screen() == Screen::Audit => self.audit.filter.editing = true,
            Command::Filter => self.queue.filter.editing = true,
            Command::Approve
            | Command::Reject
            | Command::RequestChanges
            | Command::Comment
            | Command::Withdraw
            | Command::Submit
            | Command::Revoke
            | Command::Override => {
                if let Some(action) = cmd.decision()
                    && let Some(r) = &self.review
                {
                    let used = self.categories_used();
                    let d = r.decision(action, &self.signing, &self.identity, &self.asks, &used);
                    self.open_dialog(d);
                }
            }
            Command::Reopen if self.screen() == Screen::Deploy => {
                let d = self.deploy.reopen(&self.signing, &self.identity);
                self.open_dialog(d);
            }
            Command::Reopen => {
                if let Some(r) = &self.review {
                    let used = self.categories_used();
                    let d = r.decision(
                        crate::trust::record::Action::Reopen,
                        &self.signing,
                        &self.identity,
                        &self.asks,
                        &used,
                    );
                    self.open_dialog(d);
                }
            }
            Command::Rollback => {
                let d = self.deploy.rollback(&self.signing, &self.identity);
                self.open_dialog(d);
            }
            Command::Ratify => {
                let d = self.deploy.ratify(&self.signing, &self.identity);
                self.open_dialog(d);
            }
            Command::Verify => {
                let (effects, status) = self.audit.verify();
                self.status = Some(status);
                return effects;
            }
            Command::Export => return self.audit.export(self.now_ms),
            Command::Sort => {
                let s = self.queue.sort(me(&self.identity), queue_page);
                self.status = Some(s);
            }
            Command::Risk => self.queue.risk(me(&self.identity), queue_page),
            Command::State => return self.queue.state(me(&self.identity), queue_page),
            Command::Kind => {
                let s = self.queue.kind(me(&self.identity), queue_page);
                self.status = Some(s);
            }
            Command::Mine => {
                if let Some(s) = self.queue.mine(&self.identity, queue_page) {
                    self.status = Some(s);
                }
            }
            Command::Reload | Command::Refresh => return self.reload(),
            Command::PrevPeriod | Command::NextPeriod => {
                let by = if cmd == Command::NextPeriod { 1 } else { -1 };
                return self.stats.step(by);
            }
            Command::Pick => return self.pick_selected(),
            Command::NextTab | Command::PrevTab => {
                if let Some(r) = &mut self.review {
                    r.tab = r.tab.step(if cmd == Command::NextTab { 1 } else { -1 });
                }
            }
        }
        vec![]
    }

    fn back(&mut self) {
        if self.overlay.take().is_some() {
            return;
        }
        let cleared = match self.screen() {
            Screen::Audit => self.audit.clear_filter(),
            Screen::Queue => {
                let page = self.queue_page();
                self.queue.clear_filter(me(&self.identity), page)
            }
            _ => false,
        };
        if cleared {
            return;
        }
        if self.screen() == Screen::Personas {
            self.browse_without_persona();
        }
        if self.stack.len() > 1 {
            self.stack.pop();
        } else {
            self.status = None;
        }
    }

    /// Palette entries matching what is typed (`:as` in the demo only).
    pub fn palette_matches(&self, input: &str) -> Vec<(&'static str, &'static str)> {
        palette::matches(input, self.personas.is_some())
    }

    /// Goes where a palette command says.
    pub fn run_palette(&mut self, typed: &str) -> Vec<Effect> {
        self.overlay = None;
        let (name, arg) = palette::split(typed);
        match name {
            "as" => return self.run_as(arg),
            "queue" => self.stack = vec![Screen::Queue],
            "audit" => {
                self.stack = vec![Screen::Queue, Screen::Audit];
                if !matches!(self.audit.data, Some(Load::Ready(_)) | Some(Load::Loading)) {
                    return self.audit.reload();
                }
            }
            "deploy" => {
                self.stack = vec![Screen::Queue, Screen::Deploy];
                if !matches!(
                    self.deploy.status,
                    Some(Load::Ready(_)) | Some(Load::Loading)
                ) {
                    return self.deploy.reload();
                }
            }
            "stats" => {
                self.stack = vec![Screen::Queue, Screen::Stats];
                if !matches!(self.stats.data, Some(Load::Ready(_)) | Some(Load::Loading)) {
                    return self.stats.reload();
                }
            }
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
        let Some(Overlay::Palette(p)) = &mut self.overlay else {
            return vec![];
        };
        match p.on_key(&k) {
            PaletteKey::Stay => vec![],
            PaletteKey::Close => {
                self.overlay = None;
                vec![]
            }
            PaletteKey::Run(name) => self.run_palette(&name),
        }
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
            Some(Overlay::Sign(_)) => return self.dialog_key(k),
            Some(Overlay::Palette(_)) => return self.palette_key(k),
            Some(Overlay::Help) => {
                self.overlay = None;
                let cmd = self
                    .keymap
                    .lookup(self.context(), Key::from_event(&k), self.readonly);
                return match help::after_help(cmd) {
                    Some(cmd) => self.run(cmd),
                    None => vec![],
                };
            }
            None => {}
        }
        let page = self.queue_page();
        if self.screen() == Screen::Queue
            && self.queue.filter.editing
            && self.queue.filter_key(&k, me(&self.identity), page)
        {
            return vec![];
        }
        if self.screen() == Screen::Audit
            && self.audit.filter.editing
            && self
                .audit
                .filter_key(&k, layout::audit_list_height(self.area()))
        {
            return vec![];
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
                    _ => self.move_any(by),
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
                        let list = layout::queue_list_area(area);
                        if m.row >= list.y && m.row < list.y + list.height {
                            let line = (m.row - list.y) as usize;
                            if let Click::Open = self.queue.click(line, list.height as usize) {
                                self.dirty = true;
                                return self.open_selected();
                            }
                        }
                    }
                    Screen::Review => {
                        if let Some(r) = &mut self.review {
                            r.click(area, m.column, m.row);
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

    /// A signature came back: it is said, and everything that shows records
    /// reloads, the review first.
    fn signed(&mut self, key: ReviewKey, result: Result<Signed, SignFailure>) -> Vec<Effect> {
        self.sign_busy = false;
        self.status = Some(dialog::signed_status(&key, &result));
        let mut effects = vec![];
        let style = self.highlight_style();
        if let Some(r) = self.review.as_mut().filter(|r| r.key.model == key.model) {
            effects.push(r.reload(style));
            self.rebuild_docs();
        }
        self.queue.loading = true;
        effects.push(Effect::LoadQueue {
            all: self.queue.all_loaded,
        });
        effects.extend(self.deploy.reload());
        if self.audit.data.is_some() {
            effects.extend(self.audit.reload());
        }
        // A new record moves the figures once they are shown.
        if self.stats.data.is_some() {
            effects.extend(self.stats.reload());
        }
        effects
    }
}

/// The console's one way to change.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    // Input and the spinner decide for themselves; a review's answers only
    // when they are for the review shown.
    let own = matches!(
        action,
        Action::Key(_)
            | Action::Mouse(_)
            | Action::Spin
            | Action::ReviewLoaded { .. }
            | Action::Prepared { .. }
            | Action::HistoryLoaded { .. }
    );
    if !own {
        app.dirty = true;
    }
    match action {
        Action::Key(k) => app.key(k),
        Action::Mouse(m) => app.mouse(m),
        Action::Resize(w, h) => {
            app.size = (w, h);
            let page = app.queue_page();
            app.queue.clamp(page);
            app.rebuild_docs();
            vec![]
        }
        Action::Tick(now) => {
            app.now_ms = now;
            app.queue.counts = list::counts(&app.queue.rows, now);
            vec![]
        }
        Action::Spin => {
            if app.busy() {
                app.spinner = app.spinner.wrapping_add(1);
                app.dirty = true;
            }
            vec![]
        }
        Action::Run(cmd) => app.run(cmd),
        Action::QueueLoaded { all, result } => {
            let page = app.queue_page();
            match app
                .queue
                .loaded(all, result, app.now_ms, me(&app.identity), page)
            {
                Ok(effects) => {
                    if app.status.as_ref().is_some_and(|s| s.level == Level::Error) {
                        app.status = None;
                    }
                    effects
                }
                Err(e) => {
                    app.error(format!(
                        "✖ The queue could not be loaded: {e} ({} retries)",
                        app.keymap.label(Command::Reload)
                    ));
                    vec![]
                }
            }
        }
        Action::ReviewLoaded { key, result } => {
            let Some(r) = app.review.as_mut().filter(|r| r.key == key) else {
                return vec![];
            };
            app.dirty = true;
            let effects = match r.loaded(result) {
                Ok(effects) => effects,
                Err(e) => {
                    app.error(format!("✖ The review could not be loaded: {e}"));
                    vec![]
                }
            };
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
            vec![]
        }
        Action::SigningChecked(problem) => {
            app.signing = Signing::from_problem(problem);
            vec![]
        }
        Action::Signed { key, result } => app.signed(key, result),
        Action::AuditLoaded(result) => {
            if let Some(s) = app.audit.loaded(result) {
                app.status = Some(s);
            }
            vec![]
        }
        Action::Verified(result) => {
            app.status = Some(app.audit.verified(result));
            vec![]
        }
        Action::Exported(result) => {
            app.status = Some(app.audit.exported(result));
            vec![]
        }
        Action::DeployLoaded(result) => {
            if let Ok(s) = &result {
                app.deploy_flags = Some(s.status.flags);
            }
            if let Err(e) = &result
                && app.screen() == Screen::Deploy
            {
                app.error(format!("✖ The deployments could not be loaded: {e}"));
            }
            app.deploy.loaded(result);
            vec![]
        }
        Action::StatsLoaded { period, result } => {
            if let Err(e) = &result
                && period == app.stats.period
                && app.screen() == Screen::Stats
            {
                app.error(format!("✖ The figures could not be counted: {e}"));
            }
            app.stats.loaded(period, result);
            vec![]
        }
        Action::GatesEvaluated { result } => {
            app.queue.gates_loading = false;
            match result {
                Ok(gates) => app.queue.gates_evaluated(gates),
                Err(e) => app.error(format!("✖ The policy gates could not be evaluated: {e}")),
            }
            vec![]
        }
    }
}

mod personas;
#[cfg(test)]
mod tests;
