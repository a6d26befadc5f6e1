use modelgate::policy::{Bundle, Policy};
fn main() {
    unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let cold: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let fx: serde_json::Value =
        serde_json::from_str(include_str!("../assets/policies/fixtures/data.json")).unwrap();
    let docs: Vec<serde_json::Value> = fx.as_object().unwrap().values().cloned().collect();
    for _ in 0..cold {
        let p = Policy::prepare(&Bundle::embedded()).unwrap();
        std::hint::black_box(p.evaluate(docs[0].clone()));
    }
    let p = Policy::prepare(&Bundle::embedded()).unwrap();
    for i in 0..n {
        std::hint::black_box(p.evaluate(docs[i % docs.len()].clone()));
    }
}
