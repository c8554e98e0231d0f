//! What each subcommand does: reading its arguments into a pipeline request, reading the
//! input, printing the report and choosing the exit code. The pipeline itself is
//! `palisade-pipeline`'s.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use palisade_config::{Baseline, Config};
use palisade_loader::load_inputs;
use palisade_model::InputFacts;
use palisade_pipeline::{Input, Plan, Request};
use palisade_pss::Level;
use palisade_report::{EmitOptions, Format, catalog, emit};
use palisade_rules::{Rule, registry};

use crate::args::{
    CatalogFormat, Cli, ClusterArgs, ColorChoice, Command, OutputFormat, PssLevelArg, RulesArgs,
    ScanArgs,
};

pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Rules(args) => rules(&args),
        Command::Explain { rule } => explain(&rule),
        Command::Rbac(args) => crate::rbac::run(*args),
    }
}

fn output_format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    }
}

/// The configuration: `--config`, else the nearest `.palisade.yaml` above the first path,
/// else the defaults. Its errors are fatal (exit 2): a scan under a misread policy would
/// mislead.
fn load_config(args: &ScanArgs) -> Result<Config, ExitCode> {
    if args.no_config {
        return Ok(Config::builtin());
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => {
            let first = args.paths.first().map(String::as_str).unwrap_or(".");
            let start = if first == "-" || first.contains(['*', '?', '[']) {
                std::path::Path::new(".")
            } else {
                std::path::Path::new(first)
            };
            Config::discover(start)
        }
    };
    let Some(path) = path else {
        return Ok(Config::builtin());
    };
    Config::load(&path).map_err(|errors| {
        for e in errors {
            anstream::eprintln!("error: {e}");
        }
        ExitCode::from(2)
    })
}

/// What the scan's flags ask of the pipeline.
fn request(args: &ScanArgs) -> Request {
    Request {
        rules: args.rules.clone(),
        skip_rules: args.skip_rules.clone(),
        pss_level: args.pss_level.map(|l| match l {
            PssLevelArg::Baseline => Level::Baseline,
            PssLevelArg::Restricted => Level::Restricted,
        }),
        pss_version: args.pss_version.clone(),
        frameworks: args.framework.clone(),
        complete_inventory: args.complete_inventory,
        min_severity: args.min_severity.map(|s| s.severity()),
        fail_on: args.fail_on.map(|s| s.severity()),
        baseline: None,
        write_baseline: args.write_baseline.is_some(),
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut plan = Plan::new(config, request(&args))?;
    if let Some(path) = &args.baseline {
        plan.baseline = Some(
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| Baseline::from_json(&t))
                .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?,
        );
    }

    // PALISADE_TIMINGS=1 prints how long each stage took (for the benchmark and profiling).
    let timings = std::env::var_os("PALISADE_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let lap = |stage: &str| {
        if timings {
            // With the peak resident memory so far, where the kernel reports it.
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
                })
                .unwrap_or_default();
            eprintln!(
                "timing {stage}: {:.3} s (peak RSS {peak})",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let input = if args.cluster {
        let collected = read_cluster(&args.cluster_args, &plan.settings)?;
        let facts = InputFacts {
            // A whole cluster is its whole configuration; one namespace of it is not.
            complete: args.cluster_args.namespace.is_none(),
            unlisted: collected.unlisted,
        };
        Input::from_objects(collected.objects, facts)
    } else {
        Input::from_load(load_inputs(
            &args.paths,
            &args.limits.limits(),
            &mut io::stdin().lock(),
        ))
    };
    lap("load");
    let format = output_format(args.format);
    if args.parse_only {
        let stats = &input.stats;
        println!(
            "files {} documents {} objects {} skipped {} errors {}",
            stats.files,
            stats.documents,
            stats.objects,
            stats.skipped_documents,
            input.errors.len()
        );
        let code = ExitCode::from(if input.errors.is_empty() { 0 } else { 2 });
        std::mem::forget(input); // as below: exit without freeing document by document
        return Ok(code);
    }
    if std::env::var_os("PALISADE_RULE_TIMINGS").is_some() {
        let inventory = plan.inventory(input.objects.clone(), input.facts.clone());
        for (t, id, n) in plan.time_rules(&inventory).iter().take(25) {
            eprintln!("rule {id}: {t:.3} s, {n} findings");
        }
    }
    let outcome = plan.run(input);
    lap("evaluate");
    if let (Some(path), Some(written)) = (&args.write_baseline, &outcome.written_baseline) {
        std::fs::write(path, written.to_json())
            .map_err(|e| format!("cannot write the baseline {}: {e}", path.display()))?;
    }
    let report = &outcome.report;

    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    // JSON is indented for a person at a terminal and compact for machines.
    let options = EmitOptions {
        color,
        pretty: to_terminal,
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut out = BufWriter::new(file);
            emit(report, format, options, &mut out)
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match emit(report, format, options, &mut out).and_then(|()| out.flush()) {
                Ok(()) => {}
                // `palisade scan ... | head` closes the pipe early; that is not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(format!("cannot write the report: {e}")),
            }
        }
    }
    lap("emit");
    // The table shows input problems itself; other formats carry them inside the document,
    // so say them on stderr too, where a person will see them.
    if format != Format::Table || args.output.is_some() {
        for e in &report.errors {
            anstream::eprintln!("error: {e}");
        }
        for w in &report.warnings {
            anstream::eprintln!("warning: {w}");
        }
        for n in &report.notices {
            anstream::eprintln!("warning: {n}");
        }
    }
    let code = ExitCode::from(outcome.exit_status());
    // The process is about to exit: the OS reclaims the findings and documents at once,
    // far faster than freeing hundreds of thousands of allocations one by one.
    std::mem::forget(outcome);
    Ok(code)
}

/// Reads the live cluster, with a progress bar when a person watches stderr.
fn read_cluster(
    args: &ClusterArgs,
    settings: &palisade_rules::Settings,
) -> Result<palisade_cluster::Collected, String> {
    let bar = if io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} listing {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let progress = |p: palisade_cluster::Progress| match p {
        palisade_cluster::Progress::Discovered { resources } => bar.set_length(resources as u64),
        palisade_cluster::Progress::Listed {
            resource, items, ..
        } => {
            bar.inc(1);
            bar.set_message(format!("{resource} ({items})"));
        }
    };
    let collected = palisade_cluster::collect(&args.options(), &settings.locator, &progress)
        .map_err(|e| e.to_string());
    bar.finish_and_clear();
    collected
}

fn rules(args: &RulesArgs) -> Result<ExitCode, String> {
    let all = registry::all();
    let mut out = String::new();
    match args.format {
        CatalogFormat::Json => {
            let list: Vec<serde_json::Value> = all.iter().map(|r| catalog::rule_json(r)).collect();
            out = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())? + "\n";
        }
        CatalogFormat::Markdown => out = catalog::index_markdown(all),
        CatalogFormat::Table => {
            for area in palisade_rules::Area::ALL {
                let in_area: Vec<&&Rule> = all.iter().filter(|r| r.meta.area == area).collect();
                if in_area.is_empty() {
                    continue;
                }
                out.push_str(&format!("{} ({area})\n", area.title()));
                for r in in_area {
                    let m = &r.meta;
                    out.push_str(&format!(
                        "  {}  {:<8}  {:<32}  {}\n",
                        m.id,
                        m.severity.as_str(),
                        m.name,
                        m.title
                    ));
                }
                out.push('\n');
            }
        }
    }
    write_stdout(&out)
}

fn explain(key: &str) -> Result<ExitCode, String> {
    let rule = registry::find(key)
        .ok_or_else(|| format!("unknown rule {key:?} (see `palisade rules`)"))?;
    write_stdout(&catalog::rule_text(rule))
}

pub(crate) fn write_stdout(text: &str) -> Result<ExitCode, String> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.to_string()),
    }
}
