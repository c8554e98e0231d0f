//! What each subcommand does: wiring the pipeline stages together, nothing more.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use palisade_loader::load_inputs;
use palisade_model::Inventory;
use palisade_pss::{Level, LevelVersion, Version};
use palisade_report::{EmitOptions, Format, Report, ScanStats, catalog, emit};
use palisade_rules::{Rule, Settings, evaluate, registry};

use crate::args::{
    CatalogFormat, Cli, ColorChoice, Command, OutputFormat, PssLevelArg, RulesArgs, ScanArgs,
};

pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(args) => rules(&args),
        Command::Explain { rule } => explain(&rule),
    }
}

/// The rules a scan runs: `--rules` (default all), narrowed to the Pod Security checks of
/// `--pss-level` when given, minus `--skip-rules`.
fn select_rules(args: &ScanArgs) -> Result<Vec<&'static Rule>, String> {
    let unknown = |keys: Vec<String>| {
        format!(
            "unknown rule, name or area: {} (see `palisade rules`)",
            keys.join(", ")
        )
    };
    let mut rules: Vec<&'static Rule> = if args.rules.is_empty() {
        registry::all().to_vec()
    } else {
        registry::select(&args.rules).map_err(unknown)?
    };
    if let Some(level) = args.pss_level {
        // Exactly the checks Pod Security Admission runs at that level; at restricted that
        // includes the baseline checks (the version decides which are overridden).
        rules.retain(|r| {
            matches!(
                (r.meta.pss_check(), level),
                (Some((_, Level::Baseline)), _)
                    | (Some((_, Level::Restricted)), PssLevelArg::Restricted)
            )
        });
    }
    if !args.skip_rules.is_empty() {
        let skip = registry::select(&args.skip_rules).map_err(unknown)?;
        rules.retain(|r| !skip.iter().any(|s| s.meta.id == r.meta.id));
    }
    Ok(rules)
}

fn output_format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    let version = Version::parse(&args.pss_version)
        .map_err(|e| format!("invalid --pss-version {:?}: {e}", args.pss_version))?;
    let level = match args.pss_level {
        Some(PssLevelArg::Baseline) => Level::Baseline,
        _ => Level::Restricted,
    };
    let rules = select_rules(&args)?;
    let settings = Settings {
        pss: LevelVersion::new(level, version),
        ..Settings::default()
    };

    // PALISADE_TIMINGS=1 prints how long each stage took (for the benchmark and profiling).
    let timings = std::env::var_os("PALISADE_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let lap = |stage: &str| {
        if timings {
            eprintln!("timing {stage}: {:.3} s", started.elapsed().as_secs_f64());
        }
    };
    let loaded = load_inputs(&args.paths, &args.limits.limits(), &mut io::stdin().lock());
    lap("load");
    let format = output_format(args.format);
    let stats = ScanStats {
        files: loaded.stats.files,
        documents: loaded.stats.documents,
        objects: loaded.stats.objects,
        skipped_documents: loaded.stats.skipped,
    };
    if args.parse_only {
        println!(
            "files {} documents {} objects {} skipped {} errors {}",
            stats.files,
            stats.documents,
            stats.objects,
            stats.skipped_documents,
            loaded.errors.len()
        );
        let code = ExitCode::from(if loaded.errors.is_empty() { 0 } else { 2 });
        std::mem::forget(loaded); // as below: exit without freeing document by document
        return Ok(code);
    }

    let objects: Vec<_> = loaded
        .objects
        .iter()
        .map(|o| (o.id.clone(), o.file_arc().cloned()))
        .collect();
    let inventory = Inventory::new(loaded.objects);
    let mut findings = evaluate(&inventory, &rules, &settings).findings;
    lap("evaluate");
    if let Some(min) = args.min_severity {
        findings.retain(|f| f.severity >= min.severity());
    }
    let fail_on = args.fail_on.map(|s| s.severity());
    let failing = findings
        .iter()
        .any(|f| fail_on.is_none_or(|threshold| f.severity >= threshold));
    let report = Report {
        findings,
        errors: loaded.errors,
        warnings: loaded.warnings,
        stats,
        rules,
        objects,
        pss_policy: settings.pss,
    };

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
            emit(&report, format, options, &mut out)
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match emit(&report, format, options, &mut out).and_then(|()| out.flush()) {
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
    }
    let code = if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process is about to exit: the OS reclaims the findings and documents at once,
    // far faster than freeing hundreds of thousands of allocations one by one.
    std::mem::forget(report);
    std::mem::forget(inventory);
    Ok(code)
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

fn write_stdout(text: &str) -> Result<ExitCode, String> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.to_string()),
    }
}
