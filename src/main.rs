fn main() -> std::process::ExitCode {
    sideways::cli::main()
}
