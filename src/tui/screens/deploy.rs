//! `:deploy`: every model's production alias, the selected model, and the
//! dialogs of a rollback and of a ratification.

use std::sync::Arc;

use super::dialog::{self, Field, SignDialog, Signing};
use crate::service::deploy::{Deployments, HolderApproval};
use crate::trust::deploy::{DeploymentStatus, ModelDeployment};
use crate::trust::record::Action;
use crate::tui::action::{Effect, Identity};
use crate::tui::load::Load;
use crate::tui::widgets::list::ListState;

#[derive(Debug, Clone, Default)]
pub struct DeployView {
    /// `None` until first asked for.
    pub status: Option<Load<Arc<Deployments>>>,
    pub list: ListState,
}

impl DeployView {
    pub fn ready(&self) -> Option<&DeploymentStatus> {
        match &self.status {
            Some(Load::Ready(s)) => Some(&s.status),
            _ => None,
        }
    }

    /// The approval of the version holding `model`'s alias, once loaded.
    pub fn holder(&self, model: &str) -> Option<&HolderApproval> {
        match &self.status {
            Some(Load::Ready(s)) => s.holders.get(model),
            _ => None,
        }
    }

    pub fn busy(&self) -> bool {
        matches!(self.status, Some(Load::Loading))
    }

    pub fn reload(&mut self) -> Vec<Effect> {
        self.status = Some(Load::Loading);
        vec![Effect::LoadDeploy]
    }

    pub fn selected(&self) -> Option<&ModelDeployment> {
        self.ready().and_then(|s| s.models.get(self.list.selected))
    }

    pub fn step(&mut self, by: isize) {
        let n = self.ready().map_or(0, |s| s.models.len());
        self.list.step(by, n);
    }

    /// The deployments' answer (the `Err` string stays for the caller to say).
    pub fn loaded(&mut self, result: Result<Arc<Deployments>, String>) {
        if let Ok(s) = &result {
            self.list.clamp(s.status.models.len());
        }
        self.status = Some(Load::from_result(result));
    }

    /// The rollback dialog of the selected model, or why there is none.
    pub fn rollback(&self, signing: &Signing, identity: &Identity) -> Result<SignDialog, String> {
        let Some(m) = self.selected() else {
            return Err("No model to roll back: the deployments have not loaded.".into());
        };
        let d = SignDialog {
            model: m.model.clone(),
            version: m.holder.clone().unwrap_or_default(),
            targets: m.rollback_targets.clone(),
            alias: Some(m.alias.clone()),
            from: m.holder.clone(),
            ..SignDialog::new(Action::Rollback)
        };
        let mut d = dialog::prepare(d, signing, identity);
        if d.targets.is_empty() && d.problem.is_none() {
            d.problem = Some(format!(
                "No version of {} earlier than {} is approved. A break-glass rollback goes through the CLI: `modelgate rollback {} --to V --break-glass ...` (see docs/deploy.md).",
                m.model,
                m.holder.as_deref().unwrap_or("the holder"),
                m.model
            ));
            d.focus = Some(Field::Cancel);
        }
        Ok(d)
    }

    /// The reopen dialog for the version holding the selected model's
    /// alias (PROTOCOL 15), or why there is none.
    pub fn reopen(&self, signing: &Signing, identity: &Identity) -> Result<SignDialog, String> {
        let Some(m) = self.selected() else {
            return Err("No model to reopen: the deployments have not loaded.".into());
        };
        let Some(holder) = &m.holder else {
            return Err(format!(
                "No version of {} holds {}: nothing deployed to reopen.",
                m.model, m.alias
            ));
        };
        let d = SignDialog {
            model: m.model.clone(),
            version: holder.clone(),
            ..SignDialog::new(Action::Reopen)
        };
        Ok(dialog::prepare(d, signing, identity))
    }

    /// The ratification dialog of the selected model's waiting rollback, or why there is none.
    pub fn ratify(&self, signing: &Signing, identity: &Identity) -> Result<SignDialog, String> {
        let Some(m) = self.selected() else {
            return Err("No rollback to ratify: the deployments have not loaded.".into());
        };
        let Some(w) = m.waiting.first() else {
            return Err(format!(
                "No rollback of {} is waiting for ratification.",
                m.model
            ));
        };
        let d = SignDialog {
            model: m.model.clone(),
            version: w.version.clone(),
            ratifies: Some(w.id.clone()),
            ..SignDialog::new(Action::Ratify)
        };
        Ok(dialog::prepare(d, signing, identity))
    }
}
