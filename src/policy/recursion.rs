//! Rego forbids recursion (OPA refuses it when compiling), but regorus only
//! notices it for rules: a function that calls itself, directly or through
//! other functions, recurses until the process's stack overflows, which no
//! handler can catch. A bundle is therefore checked before it is used, and a
//! cycle of function calls is refused like any other broken bundle.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Literal, Module, Query, Ref, Rule, RuleHead};

/// A function of the bundle: its package and name, as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Func {
    package: String,
    name: String,
}

/// Where a function is defined, for the error message.
struct Site {
    file: String,
    line: u32,
}

/// The first cycle of function calls found in `modules`, described as
/// "`a` (file:line) calls `b` ... calls `a`"; `None` when there is none.
pub fn find_cycle(modules: &[Ref<Module>]) -> Option<String> {
    let mut sites: BTreeMap<Func, Site> = BTreeMap::new();
    let mut calls: BTreeMap<Func, Vec<(String, String)>> = BTreeMap::new();
    let mut aliases: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for m in modules {
        let package = package_of(m);
        let imports = aliases.entry(package.clone()).or_default();
        for i in &m.imports {
            let path = i.refr.span().text().to_owned();
            let alias = match &i.r#as {
                Some(a) => a.text().to_owned(),
                None => path.rsplit('.').next().unwrap_or_default().to_owned(),
            };
            imports.insert(alias, path);
        }
        for rule in &m.policy {
            let Rule::Spec {
                head: RuleHead::Func {
                    refr, args, assign, ..
                },
                bodies,
                span,
            } = rule.as_ref()
            else {
                continue;
            };
            let f = Func {
                package: package.clone(),
                name: refr.span().text().to_owned(),
            };
            let mut found = Vec::new();
            for a in args {
                walk_expr(a, &mut found);
            }
            if let Some(a) = assign {
                walk_expr(&a.value, &mut found);
            }
            for b in bodies {
                if let Some(a) = &b.assign {
                    walk_expr(&a.value, &mut found);
                }
                walk_query(&b.query, &mut found);
            }
            sites.entry(f.clone()).or_insert(Site {
                file: span.source.file().clone(),
                line: span.line,
            });
            calls
                .entry(f)
                .or_default()
                .extend(found.into_iter().map(|callee| (package.clone(), callee)));
        }
    }
    let resolve = |package: &str, callee: &str| -> Option<Func> {
        let full = match callee.split_once('.') {
            _ if callee.starts_with("data.") => callee.to_owned(),
            Some((head, rest)) => match aliases.get(package).and_then(|a| a.get(head)) {
                Some(path) => format!("{path}.{rest}"),
                None => return local(package, callee, &sites),
            },
            None => return local(package, callee, &sites),
        };
        // `data.<package>.<name>`: the longest package prefix that defines it.
        let path = full.strip_prefix("data.")?;
        sites
            .keys()
            .filter(|f| {
                path.strip_prefix(f.package.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                    == Some(f.name.as_str())
            })
            .max_by_key(|f| f.package.len())
            .cloned()
    };
    let graph: BTreeMap<&Func, BTreeSet<Func>> = calls
        .iter()
        .map(|(f, cs)| (f, cs.iter().filter_map(|(p, c)| resolve(p, c)).collect()))
        .collect();
    // Depth-first search with an explicit stack: the call graph of a hostile
    // bundle may be deep, and this check must not overflow either.
    let mut done: BTreeSet<&Func> = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start) {
            continue;
        }
        let mut path: Vec<&Func> = vec![start];
        let mut next: Vec<std::collections::btree_set::Iter<'_, Func>> =
            vec![graph.get(start).map(|s| s.iter()).unwrap_or_default()];
        while let Some(iter) = next.last_mut() {
            match iter.next() {
                Some(callee) => {
                    if let Some(at) = path.iter().position(|f| *f == callee) {
                        return Some(describe(&path[at..], &sites));
                    }
                    if done.contains(callee) {
                        continue;
                    }
                    let Some((key, callees)) = graph.get_key_value(callee) else {
                        continue;
                    };
                    path.push(key);
                    next.push(callees.iter());
                }
                None => {
                    next.pop();
                    if let Some(f) = path.pop() {
                        done.insert(f);
                    }
                }
            }
        }
    }
    None
}

fn local(package: &str, callee: &str, sites: &BTreeMap<Func, Site>) -> Option<Func> {
    let f = Func {
        package: package.to_owned(),
        name: callee.to_owned(),
    };
    sites.contains_key(&f).then_some(f)
}

fn package_of(m: &Module) -> String {
    let text = m.package.refr.span().text();
    text.strip_prefix("data.").unwrap_or(text).to_owned()
}

fn describe(cycle: &[&Func], sites: &BTreeMap<Func, Site>) -> String {
    let name = |f: &Func| match sites.get(f) {
        Some(s) => format!("`{}` ({}:{})", f.name, s.file, s.line),
        None => format!("`{}`", f.name),
    };
    let mut out = name(cycle[0]);
    for f in &cycle[1..] {
        out.push_str(" calls ");
        out.push_str(&name(f));
    }
    out.push_str(" calls ");
    out.push_str(&format!("`{}`", cycle[0].name));
    out
}

fn walk_query(q: &Query, out: &mut Vec<String>) {
    for stmt in &q.stmts {
        for w in &stmt.with_mods {
            walk_expr(&w.refr, out);
            walk_expr(&w.r#as, out);
        }
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    walk_expr(k, out);
                }
                walk_expr(value, out);
                walk_expr(collection, out);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => walk_expr(expr, out),
            Literal::Every { domain, query, .. } => {
                walk_expr(domain, out);
                walk_query(query, out);
            }
        }
    }
}

/// Every function name called inside `e`, as written at the call.
fn walk_expr(e: &Expr, out: &mut Vec<String>) {
    // An explicit stack: expressions nest as deep as the parser allows.
    let mut stack: Vec<&Expr> = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::Number { .. }
            | Expr::Bool { .. }
            | Expr::Null { .. }
            | Expr::Var { .. } => {}
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                stack.extend(items.iter().map(|i| i.as_ref()));
            }
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                stack.push(term);
                walk_query(query, out);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                stack.push(key);
                stack.push(value);
                walk_query(query, out);
            }
            Expr::Call { fcn, params, .. } => {
                out.push(fcn.span().text().to_owned());
                stack.push(fcn);
                stack.extend(params.iter().map(|p| p.as_ref()));
            }
            Expr::UnaryExpr { expr, .. } => stack.push(expr),
            Expr::RefDot { refr, .. } => stack.push(refr),
            Expr::RefBrack { refr, index, .. } => {
                stack.push(refr);
                stack.push(index);
            }
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    stack.push(k);
                }
                stack.push(value);
                stack.push(collection);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}
