//! The console's state and its one way to change: `update(&mut App, Action)
//! -> Vec<Effect>`. No I/O and no clock here: time arrives in `Tick`, data
//! in `*Loaded` actions, so every screen can be driven and tested by hand.

use std::sync::Arc;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::action::{Action, AuditData, Effect, HighlightStyle, Identity, ReviewKey, SignRequest};
use super::highlight::Prepared;
use super::keymap::{Command, Context, Key, KeyMap};
use super::list::{self, Filters, Row, SortKey, StateFilter};
use super::theme::{Mode, Theme};
use super::views;
use crate::review::reports::FairnessThresholds;
use crate::review::risk::Risk;
use crate::service::audit::VerifyReport;
use crate::service::deploy::{DeployFlags, DeploymentStatus};
use crate::service::history::MetricHistory;
use crate::service::show::ReviewDetail;
use crate::trust::record::Action as RecordAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Review,
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
    ("audit", "every signed record, verification, export"),
    ("deploy", "production aliases, rollbacks, ratification"),
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
    Sign(Box<SignDialog>),
}

/// What has the keyboard in a signing dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Cancel,
    Sign,
    Role,
    Target,
    Reason,
    Incident,
    Confirm,
}

/// The dialog before anything is signed: what, as whom, why, on which evidence.
/// Focus starts on Cancel; only Enter on Sign signs.
#[derive(Debug, Clone, PartialEq)]
pub struct SignDialog {
    pub action: RecordAction,
    pub model: String,
    /// The version signed on (for a rollback: the chosen target).
    pub version: String,
    pub roles: Vec<String>,
    pub role: usize,
    pub reason: String,
    pub incident: String,
    pub confirm: String,
    /// `rollback`: earlier approved versions, newest first.
    pub targets: Vec<String>,
    pub target: usize,
    /// `rollback`: the alias and the version holding it now.
    pub alias: Option<String>,
    pub from: Option<String>,
    pub ratifies: Option<String>,
    pub evidence: Option<String>,
    /// The gate results as they will be signed: policy digest, denies, warns, error.
    pub gates: Option<crate::policy::GateResult>,
    pub waives: Vec<String>,
    pub actor: Option<String>,
    pub focus: Option<Field>,
    /// Why nothing can be signed here (configuration): the dialog explains it.
    pub problem: Option<String>,
    /// What Sign is waiting for (a reason, the model's name, ...).
    pub error: Option<String>,
}

impl SignDialog {
    /// A dialog for `action` with nothing filled in yet.
    pub fn new(action: RecordAction) -> SignDialog {
        SignDialog {
            action,
            model: String::new(),
            version: String::new(),
            roles: Vec::new(),
            role: 0,
            reason: String::new(),
            incident: String::new(),
            confirm: String::new(),
            targets: Vec::new(),
            target: 0,
            alias: None,
            from: None,
            ratifies: None,
            evidence: None,
            gates: None,
            waives: Vec::new(),
            actor: None,
            focus: None,
            problem: None,
            error: None,
        }
    }

    pub fn focus(&self) -> Field {
        self.focus.unwrap_or(Field::Cancel)
    }

    /// The text and choice fields, in Tab order after Cancel and Sign.
    pub fn inputs(&self) -> Vec<Field> {
        if self.problem.is_some() {
            return vec![];
        }
        match self.action {
            RecordAction::Rollback => vec![
                Field::Target,
                Field::Reason,
                Field::Incident,
                Field::Confirm,
            ],
            _ if self.roles.len() > 1 => vec![Field::Role, Field::Reason],
            _ => vec![Field::Reason],
        }
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::Cancel];
        if self.problem.is_none() {
            f.push(Field::Sign);
        }
        f.extend(self.inputs());
        f
    }

    pub fn role(&self) -> Option<&str> {
        self.roles.get(self.role).map(String::as_str)
    }

    pub fn target(&self) -> Option<&str> {
        self.targets.get(self.target).map(String::as_str)
    }

    /// What still stops Sign, in words.
    pub fn missing(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        if self.action.needs_reason() && self.reason.trim().is_empty() {
            return Some(format!("{} needs a reason.", self.action));
        }
        if self.action == RecordAction::Rollback {
            if self.target().is_none() {
                return Some("No earlier approved version to roll back to.".into());
            }
            if self.incident.trim().is_empty() {
                return Some("A rollback needs an incident id.".into());
            }
            if self.confirm != self.model {
                return Some(format!(
                    "Type the model's name ({}) to confirm.",
                    self.model
                ));
            }
        }
        None
    }

    /// The model and version the record is signed on.
    pub fn key(&self) -> ReviewKey {
        let version = match self.action {
            RecordAction::Rollback => self.target().unwrap_or_default().to_owned(),
            _ => self.version.clone(),
        };
        ReviewKey::new(&self.model, version)
    }

    pub fn request(&self) -> SignRequest {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        SignRequest {
            action: self.action,
            role: self.role().map(str::to_owned),
            reason: text(&self.reason),
            waives: self.waives.clone(),
            expected_evidence: self.evidence.clone(),
            incident: text(&self.incident),
            ratifies: self.ratifies.clone(),
        }
    }

    /// The record's fields as they will be signed (time, nonce, parents, roster,
    /// key and signature are added when signing).
    pub fn preview(&self) -> serde_json::Value {
        let ReviewKey { model, version } = self.key();
        let mut m = serde_json::Map::new();
        m.insert("action".into(), self.action.as_str().into());
        m.insert("model".into(), model.into());
        m.insert("version".into(), version.into());
        m.insert(
            "actor".into(),
            self.actor.clone().unwrap_or_default().into(),
        );
        m.insert(
            "role".into(),
            self.role().unwrap_or("sre").to_owned().into(),
        );
        if let Some(a) = &self.alias {
            m.insert("alias".into(), a.clone().into());
            m.insert(
                "from_version".into(),
                self.from
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        if self.action == RecordAction::Rollback {
            m.insert("incident".into(), self.incident.trim().to_owned().into());
            m.insert("break_glass".into(), false.into());
        }
        if let Some(r) = &self.ratifies {
            m.insert("ratifies".into(), r.clone().into());
        }
        m.insert("reason".into(), self.reason.trim().to_owned().into());
        serde_json::Value::Object(m)
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditView {
    pub data: Option<Load<Arc<AuditData>>>,
    pub filter: String,
    pub editing: bool,
    /// Indices into the records, filtered.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub offset: usize,
    pub verify: Option<Load<Arc<VerifyReport>>>,
    pub exporting: bool,
}

impl AuditView {
    pub fn records(&self) -> &[crate::service::records::RecordView] {
        match &self.data {
            Some(Load::Ready(d)) => &d.records,
            _ => &[],
        }
    }

    pub fn selected_record(&self) -> Option<&crate::service::records::RecordView> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.records().get(*i))
    }

    /// `model:M actor:A action:X` narrow exactly; other words must appear anywhere.
    pub fn refilter(&mut self) {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let visible: Vec<usize> = self
            .records()
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let opt = |o: &Option<String>| o.clone().unwrap_or_default().to_lowercase();
                words.iter().all(|w| {
                    if let Some(m) = w.strip_prefix("model:") {
                        r.model.to_lowercase() == m
                    } else if let Some(a) = w.strip_prefix("actor:") {
                        opt(&r.actor) == a
                    } else if let Some(a) = w.strip_prefix("action:") {
                        opt(&r.action) == a
                    } else {
                        let valid = if r.valid { "valid" } else { "invalid" };
                        [
                            r.model.to_lowercase(),
                            r.version.clone(),
                            opt(&r.actor),
                            opt(&r.action),
                            opt(&r.role),
                            r.id.clone(),
                            valid.into(),
                        ]
                        .iter()
                        .any(|f| f.contains(w.as_str()))
                    }
                })
            })
            .map(|(i, _)| i)
            .collect();
        self.visible = visible;
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }
}

#[derive(Debug, Clone, Default)]
pub struct DeployView {
    pub status: Option<Load<Arc<DeploymentStatus>>>,
    pub selected: usize,
}

impl DeployView {
    pub fn ready(&self) -> Option<&DeploymentStatus> {
        match &self.status {
            Some(Load::Ready(s)) => Some(s),
            _ => None,
        }
    }
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
    /// Why signing cannot work (`Some(None)`: it can; `None`: not checked yet).
    pub signing: Option<Option<String>>,
    /// A signature is being made in the background.
    pub sign_busy: bool,
    pub audit: AuditView,
    pub deploy: DeployView,
    /// Deployment flags for the queue header, once loaded.
    pub deploy_flags: Option<DeployFlags>,
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
            signing: None,
            sign_busy: false,
            audit: AuditView::default(),
            deploy: DeployView::default(),
            deploy_flags: None,
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
            Effect::LoadIdentity,
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
        }
    }

    /// Whether something is loading (the spinner turns).
    pub fn busy(&self) -> bool {
        self.queue.loading
            || self.queue.gates_loading
            || matches!(self.identity, Identity::Loading)
            || self.sign_busy
            || self.audit.exporting
            || matches!(self.audit.data, Some(Load::Loading))
            || matches!(self.audit.verify, Some(Load::Loading))
            || matches!(self.deploy.status, Some(Load::Loading))
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

    /// Moves the selection of whichever list the screen shows.
    fn move_any(&mut self, by: isize) {
        let clamp =
            |sel: usize, n: usize| (sel as isize + by).clamp(0, (n as isize - 1).max(0)) as usize;
        match self.screen() {
            Screen::Audit => {
                let n = self.audit.visible.len();
                self.audit.selected = clamp(self.audit.selected, n);
                let h = views::audit::list_height(self.area()).max(1);
                let a = &mut self.audit;
                if a.selected < a.offset {
                    a.offset = a.selected;
                } else if a.selected >= a.offset + h {
                    a.offset = a.selected + 1 - h;
                }
            }
            Screen::Deploy => {
                let n = self.deploy.ready().map_or(0, |s| s.models.len());
                self.deploy.selected = clamp(self.deploy.selected, n);
            }
            _ => self.move_selection(by),
        }
    }

    /// Who signs and as which roles; `Err` says why nothing can be signed.
    fn signing_roles(&self, allowed: Option<&[&str]>) -> Result<(String, Vec<String>), String> {
        match &self.signing {
            None => {
                return Err("The signing setup is still being read; try again in a moment.".into());
            }
            Some(Some(why)) => return Err(why.clone()),
            Some(None) => {}
        }
        let me = match &self.identity {
            Identity::Known(me) => me,
            Identity::Loading => {
                return Err("The roster is still being read; try again in a moment.".into());
            }
            Identity::Unavailable(why) => return Err(why.replace("\"mine\"", "Signing")),
        };
        let roles: Vec<String> = me
            .roles
            .iter()
            .filter(|r| allowed.is_none_or(|a| a.contains(&r.as_str())))
            .cloned()
            .collect();
        if roles.is_empty() {
            return Err(format!(
                "The roster gives {} none of the roles this needs ({}).",
                me.id,
                allowed.unwrap_or(&[]).join(", ")
            ));
        }
        Ok((me.id.clone(), roles))
    }

    fn open_dialog(&mut self, mut d: SignDialog, allowed: Option<&[&str]>) {
        match self.signing_roles(allowed) {
            Ok((actor, roles)) => {
                d.actor = Some(actor);
                // A required role nobody covers yet comes first.
                let mut roles = roles;
                roles.sort_by_key(|r| !d.roles.contains(r));
                d.roles = roles;
            }
            Err(why) => {
                d.problem = Some(why);
                d.roles.clear();
            }
        }
        d.focus = Some(Field::Cancel);
        self.overlay = Some(Overlay::Sign(Box::new(d)));
    }

    fn open_decision(&mut self, action: RecordAction) {
        let Some(r) = &self.review else { return };
        let Load::Ready(detail) = &r.detail else {
            self.info("The review is still loading; nothing to sign yet.");
            return;
        };
        let gates = match &detail.summary.gates {
            Some(crate::policy::ItemGates::Report(g)) => Some(g.result.clone()),
            _ => None,
        };
        let covered: Vec<String> = detail
            .summary
            .approvals
            .iter()
            .map(|a| a.role.clone())
            .collect();
        let open_roles: Vec<String> = detail
            .summary
            .required_roles
            .iter()
            .filter(|r| !covered.contains(r))
            .cloned()
            .collect();
        let d = SignDialog {
            model: r.key.model.clone(),
            version: r.key.version.clone(),
            roles: open_roles,
            evidence: detail.evidence.clone(),
            waives: if action == RecordAction::Override {
                gates.as_ref().map(|g| g.deny.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            gates,
            ..SignDialog::new(action)
        };
        let allowed = action.allowed_roles();
        self.open_dialog(d, allowed);
    }

    fn selected_deployment(&self) -> Option<&crate::service::deploy::ModelDeployment> {
        self.deploy
            .ready()
            .and_then(|s| s.models.get(self.deploy.selected))
    }

    fn open_rollback(&mut self) {
        let Some(m) = self.selected_deployment().cloned() else {
            self.info("No model to roll back: the deployments have not loaded.");
            return;
        };
        let mut d = SignDialog {
            model: m.model.clone(),
            version: m.holder.clone().unwrap_or_default(),
            targets: m.rollback_targets.clone(),
            alias: Some(m.alias.clone()),
            from: m.holder.clone(),
            ..SignDialog::new(RecordAction::Rollback)
        };
        self.open_dialog(d.clone(), Some(&["sre"]));
        if d.targets.is_empty()
            && let Some(Overlay::Sign(dlg)) = &mut self.overlay
            && dlg.problem.is_none()
        {
            d = (**dlg).clone();
            d.problem = Some(format!(
                "No version of {} earlier than {} is approved. A break-glass rollback goes through the CLI: `modelgate rollback {} --to V --break-glass ...` (see docs/deploy.md).",
                m.model,
                m.holder.as_deref().unwrap_or("the holder"),
                m.model
            ));
            d.focus = Some(Field::Cancel);
            self.overlay = Some(Overlay::Sign(Box::new(d)));
        }
    }

    fn open_ratify(&mut self) {
        let Some(m) = self.selected_deployment().cloned() else {
            self.info("No rollback to ratify: the deployments have not loaded.");
            return;
        };
        let Some(w) = m.waiting.first() else {
            self.info(format!(
                "No rollback of {} is waiting for ratification.",
                m.model
            ));
            return;
        };
        let d = SignDialog {
            model: m.model.clone(),
            version: w.version.clone(),
            ratifies: Some(w.id.clone()),
            ..SignDialog::new(RecordAction::Ratify)
        };
        self.open_dialog(d, Some(&["sre", "compliance"]));
    }

    /// Keys while a signing dialog is open: Tab moves focus, Enter on Cancel
    /// closes, Enter on Sign signs in the background.
    fn dialog_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let Some(Overlay::Sign(d)) = &mut self.overlay else {
            return vec![];
        };
        let fields = d.fields();
        let at = fields.iter().position(|f| *f == d.focus()).unwrap_or(0);
        let plain = !k
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match k.code {
            KeyCode::Esc => {
                self.overlay = None;
                return vec![];
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let back = k.code == KeyCode::BackTab || k.modifiers.contains(KeyModifiers::SHIFT);
                let n = fields.len() as isize;
                let i = (at as isize + if back { -1 } else { 1 }).rem_euclid(n);
                d.focus = Some(fields[i as usize]);
            }
            KeyCode::Enter => match d.focus() {
                Field::Cancel => {
                    self.overlay = None;
                    return vec![];
                }
                Field::Sign => return self.sign_dialog(),
                _ => d.focus = Some(fields[(at + 1) % fields.len()]),
            },
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if matches!(d.focus(), Field::Role | Field::Target) =>
            {
                let by: isize = if k.code == KeyCode::Left { -1 } else { 1 };
                let (i, n) = if d.focus() == Field::Role {
                    (&mut d.role, d.roles.len())
                } else {
                    (&mut d.target, d.targets.len())
                };
                if n > 0 {
                    *i = (*i as isize + by).rem_euclid(n as isize) as usize;
                }
            }
            KeyCode::Backspace => {
                if let Some(t) = text_of(d) {
                    t.pop();
                }
            }
            KeyCode::Char(c) if plain => {
                if let Some(t) = text_of(d)
                    && t.chars().count() < 4000
                {
                    t.push(c);
                }
            }
            _ => {}
        }
        if let Some(Overlay::Sign(d)) = &mut self.overlay {
            d.error = None;
        }
        vec![]
    }

    fn sign_dialog(&mut self) -> Vec<Effect> {
        let Some(Overlay::Sign(d)) = &mut self.overlay else {
            return vec![];
        };
        if let Some(why) = d.missing() {
            d.error = Some(why);
            return vec![];
        }
        if self.sign_busy {
            d.error = Some("A signature is already being made; wait for it.".into());
            return vec![];
        }
        let key = d.key();
        let request = d.request();
        let what = format!(
            "Signing {} on {} version {}…",
            d.action, key.model, key.version
        );
        let deploy = d.action == RecordAction::Rollback;
        self.overlay = None;
        self.sign_busy = true;
        self.info(what);
        if deploy {
            vec![Effect::Deploy { key, request }]
        } else {
            vec![Effect::Sign { key, request }]
        }
    }

    fn audit_filter_key(&mut self, k: KeyEvent) -> Option<Vec<Effect>> {
        match k.code {
            KeyCode::Esc => {
                self.audit.editing = false;
                self.audit.filter.clear();
            }
            KeyCode::Enter => self.audit.editing = false,
            KeyCode::Backspace => {
                self.audit.filter.pop();
            }
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.audit.filter.push(c)
            }
            KeyCode::Up => {
                self.move_any(-1);
                return Some(vec![]);
            }
            KeyCode::Down => {
                self.move_any(1);
                return Some(vec![]);
            }
            _ => return None,
        }
        self.audit.refilter();
        self.audit.offset = 0;
        Some(vec![])
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
        let key = ReviewKey::new(&row.item.model, &row.item.version);
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
            Screen::Audit => {
                self.audit.data = Some(Load::Loading);
                vec![Effect::LoadAudit]
            }
            Screen::Deploy => {
                self.deploy.status = Some(Load::Loading);
                vec![Effect::LoadDeploy]
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
            Command::Filter if self.screen() == Screen::Audit => self.audit.editing = true,
            Command::Filter => self.queue.editing = true,
            Command::Approve
            | Command::Reject
            | Command::RequestChanges
            | Command::Comment
            | Command::Withdraw
            | Command::Submit
            | Command::Revoke
            | Command::Override => {
                if let Some(action) = cmd.decision() {
                    self.open_decision(action);
                }
            }
            Command::Rollback => self.open_rollback(),
            Command::Ratify => self.open_ratify(),
            Command::Verify => {
                if matches!(self.audit.verify, Some(Load::Loading)) {
                    self.info("Verification is already running.");
                } else {
                    self.audit.verify = Some(Load::Loading);
                    self.info("Verifying every record in the background…");
                    return vec![Effect::Verify];
                }
            }
            Command::Export => {
                let stamp = chrono::DateTime::from_timestamp_millis(self.now_ms)
                    .unwrap_or_default()
                    .format("%Y%m%dT%H%M%SZ");
                self.audit.exporting = true;
                return vec![Effect::ExportAudit {
                    path: std::path::PathBuf::from(format!("modelgate-audit-{stamp}.jsonl")),
                }];
            }
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
        } else if self.screen() == Screen::Audit && !self.audit.filter.is_empty() {
            self.audit.filter.clear();
            self.audit.refilter();
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
            .filter(|(name, _)| name.starts_with(typed))
            .collect()
    }

    fn run_palette(&mut self, name: &str) -> Vec<Effect> {
        self.overlay = None;
        match name {
            "queue" => self.stack = vec![Screen::Queue],
            "audit" => {
                self.stack = vec![Screen::Queue, Screen::Audit];
                if !matches!(self.audit.data, Some(Load::Ready(_)) | Some(Load::Loading)) {
                    self.audit.data = Some(Load::Loading);
                    return vec![Effect::LoadAudit];
                }
            }
            "deploy" => {
                self.stack = vec![Screen::Queue, Screen::Deploy];
                if !matches!(
                    self.deploy.status,
                    Some(Load::Ready(_)) | Some(Load::Loading)
                ) {
                    self.deploy.status = Some(Load::Loading);
                    return vec![Effect::LoadDeploy];
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
            Some(Overlay::Sign(_)) => return self.dialog_key(k),
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
        if self.screen() == Screen::Audit
            && self.audit.editing
            && let Some(effects) = self.audit_filter_key(k)
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

/// The text field a dialog's focus is on.
fn text_of(d: &mut SignDialog) -> Option<&mut String> {
    match d.focus() {
        Field::Reason => Some(&mut d.reason),
        Field::Incident => Some(&mut d.incident),
        Field::Confirm => Some(&mut d.confirm),
        _ => None,
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
        Action::SigningChecked(problem) => {
            app.signing = Some(problem);
            app.dirty = true;
            vec![]
        }
        Action::Signed { key, result } => {
            app.sign_busy = false;
            app.dirty = true;
            match result {
                Ok(msg) => app.info(msg),
                // The effect says whether anything was stored (PROTOCOL 6).
                Err(why) => app.error(format!("✖ {why}")),
            }
            // Everything that shows records reloads; the review first.
            let mut effects = vec![];
            let style = app.highlight_style();
            if let Some(r) = app.review.as_mut().filter(|r| r.key.model == key.model) {
                r.detail = Load::Loading;
                r.prepared = None;
                r.history = Load::Loading;
                effects.push(Effect::LoadReview {
                    key: r.key.clone(),
                    style,
                });
                app.rebuild_docs();
            }
            app.queue.loading = true;
            effects.push(Effect::LoadQueue {
                all: app.queue.all_loaded,
            });
            app.deploy.status = Some(Load::Loading);
            effects.push(Effect::LoadDeploy);
            if app.audit.data.is_some() {
                app.audit.data = Some(Load::Loading);
                effects.push(Effect::LoadAudit);
            }
            effects
        }
        Action::AuditLoaded(result) => {
            app.dirty = true;
            match result {
                Ok(d) => {
                    app.audit.data = Some(Load::Ready(d));
                    app.audit.refilter();
                }
                Err(e) => {
                    app.error(format!("✖ The records could not be loaded: {e}"));
                    app.audit.data = Some(Load::Failed(e));
                }
            }
            vec![]
        }
        Action::Verified(result) => {
            app.dirty = true;
            match result {
                Ok(r) => {
                    app.info(format!(
                        "Verification done: exit {}, {} findings over {} records.",
                        r.exit_code,
                        r.findings.len(),
                        r.records
                    ));
                    app.audit.verify = Some(Load::Ready(r));
                }
                Err(e) => {
                    app.error(format!("✖ Verification failed: {e}"));
                    app.audit.verify = Some(Load::Failed(e));
                }
            }
            vec![]
        }
        Action::Exported(result) => {
            app.audit.exporting = false;
            app.dirty = true;
            match result {
                Ok(msg) => app.info(msg),
                Err(e) => app.error(format!("✖ Export failed: {e}")),
            }
            vec![]
        }
        Action::DeployLoaded(result) => {
            app.dirty = true;
            match result {
                Ok(s) => {
                    app.deploy_flags = Some(s.flags);
                    let n = s.models.len();
                    app.deploy.selected = app.deploy.selected.min(n.saturating_sub(1));
                    app.deploy.status = Some(Load::Ready(s));
                }
                Err(e) => {
                    if app.screen() == Screen::Deploy {
                        app.error(format!("✖ The deployments could not be loaded: {e}"));
                    }
                    app.deploy.status = Some(Load::Failed(e));
                }
            }
            vec![]
        }
        Action::GatesEvaluated { result } => {
            app.queue.gates_loading = false;
            match result {
                Ok(gates) => {
                    let by_key: std::collections::HashMap<ReviewKey, crate::policy::ItemGates> =
                        gates.into_iter().collect();
                    for row in &mut app.queue.rows {
                        let key = ReviewKey::new(&row.item.model, &row.item.version);
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
