// Records are checked on every core, each parse a few dozen small
// allocations: glibc's per-thread arenas grew by a page at a time (an
// mprotect each) and cost a fifth of `stats` on a large registry.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // regorus's Rego parser backtracks through `anyhow` errors, and with
    // RUST_BACKTRACE=1 in the environment every one of them captures a stack
    // trace: loading the policy bundle then takes twice as long. modelgate
    // prints error messages, never library backtraces, so switch those off
    // unless the user asked for them explicitly (panics keep RUST_BACKTRACE).
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: first statement of main, before any thread exists (the
        // async runtime is built later), so nothing reads the environment
        // concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("RUST_LIB_BACKTRACE", "0")
        };
    }
    modelgate::cli::main()
}
