//! Stand-alone `rcv` command (what `skytale rcv` runs): `cargo run --example rcv --
//! --rctab-config CONFIG.json [--report-json OUT.json]`.

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: skytale_rcv::cli::RcvArgs,
}

fn main() {
    let cli = Cli::parse();
    match skytale_rcv::cli::run(&cli.args) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
