//! Routing of the demo's personas: the picker's keys and `:as NAME`. Who acts
//! changes the identity shown, the roles loaded and the key that signs; on
//! any other registry there are no personas and `:as` refuses.

use super::{App, Effect, Identity, Screen, Signing};
use crate::tui::action::SignAs;
use crate::tui::screens::personas::{self, Personas, Switch};

impl App {
    /// The persona acting in the demo, whose key signs.
    pub(super) fn sign_as(&self) -> Option<SignAs> {
        self.personas.as_ref().and_then(Personas::sign_as)
    }

    /// A persona picked: the console is now them, and learns their roles.
    fn act_as(&mut self, switch: Switch) -> Vec<Effect> {
        self.identity_label = Some(switch.identity);
        self.identity = Identity::Loading;
        self.signing = Signing::Checking;
        self.readonly = self.personas.as_ref().is_some_and(|p| p.readonly);
        self.overlay = None;
        self.stack.retain(|s| *s != Screen::Personas);
        self.status = Some(switch.status);
        vec![Effect::LoadIdentity {
            signer: Some(switch.sign_as),
        }]
    }

    /// `enter` on the picker.
    pub(super) fn pick_selected(&mut self) -> Vec<Effect> {
        match self.personas.as_mut().and_then(|p| p.pick(p.list.selected)) {
            Some(switch) => self.act_as(switch),
            None => vec![],
        }
    }

    /// `esc` on the picker before any persona acts: browsing, read-only.
    pub(super) fn browse_without_persona(&mut self) {
        if self.personas.as_ref().is_some_and(|p| p.acting.is_none()) {
            self.readonly = true;
            self.info("Browsing read-only. :as NAME (or :as for the list) acts as a persona.");
        }
    }

    /// `:as NAME` (`:as` alone shows the picker): the demo only.
    pub(super) fn run_as(&mut self, name: &str) -> Vec<Effect> {
        let Some(p) = &mut self.personas else {
            self.error(personas::REFUSED);
            return vec![];
        };
        if name.is_empty() {
            if self.screen() != Screen::Personas {
                self.stack.push(Screen::Personas);
            }
            return vec![];
        }
        match p.pick_named(name) {
            Ok(switch) => self.act_as(switch),
            Err(why) => {
                self.error(why);
                vec![]
            }
        }
    }
}

#[cfg(test)]
mod tests;
