fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so `sideways corpus | head` would panic on the closed pipe. A
    // command-line tool should simply stop, as `cat` does: restore the default action.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    quiet_vulkan_device_select();
    sideways::cli::main()
}

/// Mesa's device-select layer, which the Vulkan loader runs implicitly, asks the Wayland
/// compositor which GPU is the default; with no `XDG_RUNTIME_DIR` (a container, a bare SSH
/// session) libwayland then prints "error: XDG_RUNTIME_DIR is invalid or not set" twice on every
/// command that looks for GPUs, though nothing is wrong. Without that folder there is no
/// compositor to ask, so the layer is turned off (its own switch, `NODEVICE_SELECT`). The
/// adapters then come in the drivers' own order rather than the layer's (which puts the
/// desktop's GPU first); `sideways devices` shows the numbering either way. Called first thing,
/// before any thread could read the environment.
fn quiet_vulkan_device_select() {
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| !d.is_empty());
    if !runtime_dir && std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}
