//! When required roles are covered (PROTOCOL 9.4): distinct approvers matched
//! to roles, and the moment a sequence of approvals first covers them all.

use std::collections::{BTreeMap, HashSet};

/// Assigns required roles to distinct approvers (a small bipartite
/// matching); `approvals` are `(actor, role)`.
pub fn assign<'a>(roles: &[String], approvals: &[(&'a str, &'a str)]) -> BTreeMap<String, String> {
    fn go<'a>(
        i: usize,
        roles: &[String],
        approvals: &[(&'a str, &'a str)],
        used: &mut HashSet<&'a str>,
        cur: &mut Vec<(String, String)>,
        best: &mut Vec<(String, String)>,
    ) {
        if cur.len() > best.len() {
            *best = cur.clone();
        }
        if i == roles.len() || best.len() == roles.len() {
            return;
        }
        for &(actor, _) in approvals.iter().filter(|(_, r)| *r == roles[i]) {
            if used.insert(actor) {
                cur.push((roles[i].clone(), actor.to_owned()));
                go(i + 1, roles, approvals, used, cur, best);
                cur.pop();
                used.remove(actor);
            }
        }
        go(i + 1, roles, approvals, used, cur, best);
    }
    let mut best = Vec::new();
    go(
        0,
        roles,
        approvals,
        &mut HashSet::new(),
        &mut Vec::new(),
        &mut best,
    );
    best.into_iter().collect()
}

/// The index into `approvals` (in the order they were signed) of the
/// approval that completed the quorum: the shortest prefix that covers every
/// role. `None` while some role is uncovered.
pub fn completion(roles: &[String], approvals: &[(&str, &str)]) -> Option<usize> {
    if roles.is_empty() {
        return None;
    }
    if assign(roles, approvals).len() < roles.len() {
        return None;
    }
    (1..=approvals.len())
        .find(|&k| assign(roles, &approvals[..k]).len() == roles.len())
        .map(|k| k - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_person_covers_one_role_and_the_quorum_completes_at_the_last_needed() {
        let r = roles(&["domain", "validator"]);
        assert_eq!(
            assign(&r, &[("ann", "domain"), ("ann", "validator")]).len(),
            1
        );
        let seq = [
            ("ann", "domain"),
            ("ann", "validator"),
            ("bob", "validator"),
            ("cy", "domain"),
        ];
        assert_eq!(completion(&r, &seq), Some(2));
        assert_eq!(completion(&r, &seq[..2]), None);
        assert_eq!(completion(&[], &seq), None, "no roles: nothing to complete");
    }
}
