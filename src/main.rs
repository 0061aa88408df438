fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so `sideways corpus | head` would panic on the closed pipe. A
    // command-line tool should simply stop, as `cat` does: restore the default action.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    sideways::cli::main()
}
