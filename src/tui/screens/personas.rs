//! Who acts in the demo: the persona picker (the demo console's first screen)
//! and `:as NAME`. Only a console opened on the demo registry (`modelgate
//! demo`, `--profile demo`) has personas; anywhere else `:as` refuses.

use super::Status;
use crate::demo::Persona;
use crate::demo::personas::listing;
use crate::tui::action::SignAs;
use crate::tui::widgets::list::ListState;

/// What `:as` says outside the demo.
pub const REFUSED: &str = ":as picks a demo persona; it works only on the demo registry (modelgate demo). On this registry, set identity and key_file in config.toml.";

/// The demo's personas and who of them acts.
#[derive(Debug, Clone, PartialEq)]
pub struct Personas {
    pub all: Vec<Persona>,
    /// The persona acting, once one is picked.
    pub acting: Option<usize>,
    pub list: ListState,
    /// `--readonly` as launched: a persona acts only without it.
    pub readonly: bool,
}

/// A persona picked: who the console now is.
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    pub identity: String,
    pub sign_as: SignAs,
    pub status: Status,
}

impl Personas {
    /// `acting`: the configured identity, when it is one of the personas.
    pub fn new(all: Vec<Persona>, acting: Option<&str>, readonly: bool) -> Personas {
        let acting = acting.and_then(|id| all.iter().position(|p| p.id == id));
        Personas {
            list: ListState {
                selected: acting.unwrap_or(0),
                offset: 0,
            },
            all,
            acting,
            readonly,
        }
    }

    pub fn acting(&self) -> Option<&Persona> {
        self.acting.and_then(|i| self.all.get(i))
    }

    /// The key the acting persona signs with.
    pub fn sign_as(&self) -> Option<SignAs> {
        self.acting().map(sign_as)
    }

    pub fn step(&mut self, by: isize) {
        self.list.step(by, self.all.len());
    }

    /// Acts as the persona at `i`.
    pub fn pick(&mut self, i: usize) -> Option<Switch> {
        let p = self.all.get(i)?;
        self.acting = Some(i);
        self.list.selected = i;
        let mut said = format!("You are {} ({}): {}.", p.name, p.roles.join(", "), p.can());
        if self.readonly {
            said.push_str(" --readonly is set: nothing is signed.");
        }
        Some(Switch {
            identity: p.id.clone(),
            sign_as: sign_as(p),
            status: Status::info(said),
        })
    }

    /// Acts as the persona `name` names (a roster id, or its short name).
    pub fn pick_named(&mut self, name: &str) -> Result<Switch, String> {
        let name = name.trim();
        let found = self
            .all
            .iter()
            .position(|p| p.id == name || p.short() == name)
            .ok_or_else(|| format!("No persona {name:?}. Personas: {}", listing(&self.all)))?;
        self.pick(found)
            .ok_or_else(|| format!("No persona {name:?}."))
    }
}

fn sign_as(p: &Persona) -> SignAs {
    SignAs {
        id: p.id.clone(),
        key_file: p.key_file.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Personas {
        let all = crate::demo::personas::personas(std::path::Path::new("/r"));
        Personas::new(all, Some("eli.compliance@demo.modelgate"), false)
    }

    #[test]
    fn the_configured_persona_acts_and_others_are_picked_by_name() {
        let mut p = demo();
        assert_eq!(p.acting().map(|a| a.short()), Some("eli"));
        assert_eq!(p.list.selected, p.acting.unwrap());
        let s = p.pick_named("fay").unwrap();
        assert_eq!(s.identity, "fay.sre@demo.modelgate");
        assert_eq!(
            s.sign_as.key_file,
            std::path::Path::new("/r/fay.sre@demo.modelgate.key")
        );
        assert!(
            s.status.text.contains("promote, rollback, ratify"),
            "{:?}",
            s.status
        );
        let err = p.pick_named("nobody").unwrap_err();
        assert!(err.contains("ben (validator)"), "{err}");
        assert_eq!(
            p.acting().map(|a| a.short()),
            Some("fay"),
            "a failed :as changes nothing"
        );
    }
}
