//! `taller labels`: printable labels of one part or of a location's shelf, as a PDF
//! (`Session::labels_to`, `Session::labels_to_folder`): to `--out`, replaced whole or not at
//! all, or into the downloads folder under a readable name, as the desktop app does.

use crate::output::{self, fail, Failure};
use clap::Args;
use std::path::PathBuf;
use taller_client::app::{LabelFormat, LabelsInput};
use taller_client::export::downloads_dir;
use taller_client::Session;

#[derive(Args)]
pub struct LabelsArgs {
    /// The location (name or id): whose shelf, or where the part's position is read.
    #[arg(long)]
    location: String,
    /// Only this part (reference or id); otherwise every part of the location's shelf.
    #[arg(long = "part", alias = "ref")]
    part: Option<String>,
    /// Only the shelf's positions that start with this (e.g. "A-").
    #[arg(long)]
    prefix: Option<String>,
    /// sheet (A4, 3 × 8 labels of 70 × 37 mm) or roll (one 70 × 37 mm label per page).
    #[arg(long, default_value = "sheet")]
    format: String,
    /// The file to write (replaced if it exists; its folder must exist). Without it: the
    /// downloads folder, under a new name.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(session: &Session, json: bool, args: LabelsArgs) -> Result<(), Failure> {
    let format = LabelFormat::parse(&args.format)
        .ok_or_else(|| Failure::usage(format!("--format: sheet or roll, not {:?}", args.format)))?;
    let input = LabelsInput { location: args.location, part: args.part, position_prefix: args.prefix, format };
    let done = match &args.out {
        Some(out) => session.labels_to(&input, out),
        None => downloads_dir(session.lang()).and_then(|dir| session.labels_to_folder(&input, &dir)),
    }
    .map_err(|error| fail(Some(session), error))?;
    if json {
        output::typed_value(json, &done)
    } else {
        output::line(&format!("{} labels, {} pages → {}", done.labels, done.pages, done.path))
    }
}
