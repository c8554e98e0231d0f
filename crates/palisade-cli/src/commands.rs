//! What each subcommand does: wiring the pipeline stages together, nothing more.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use palisade_config::{Baseline, Config, Date, apply_severity, apply_waivers};
use palisade_controls::Framework;
use palisade_loader::{LoadOutcome, LoadStats, load_inputs};
use palisade_model::Inventory;
use palisade_pss::{Level, Version};
use palisade_report::{EmitOptions, Format, Report, ScanStats, catalog, emit};
use palisade_rules::{Rule, Status, evaluate, registry};

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

/// The rules a scan runs: `--rules` (else the configuration's `rules.select`, else all),
/// narrowed to the Pod Security checks of `--pss-level` when given, minus the
/// configuration's `rules.ignore` and `--skip-rules`.
fn select_rules(args: &ScanArgs, config: &Config) -> Result<Vec<&'static Rule>, String> {
    let unknown = |keys: Vec<String>| {
        format!(
            "unknown rule, name or area: {} (see `palisade rules`)",
            keys.join(", ")
        )
    };
    let mut rules: Vec<&'static Rule> = if !args.rules.is_empty() {
        registry::select(&args.rules).map_err(unknown)?
    } else if !config.select.is_empty() {
        config.select.clone()
    } else {
        registry::all().to_vec()
    };
    rules.retain(|r| !config.ignore.iter().any(|i| i.meta.id == r.meta.id));
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

fn scan(args: ScanArgs) -> Result<ExitCode, String> {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut settings = config.settings();
    if let Some(v) = &args.pss_version {
        settings.pss.version =
            Version::parse(v).map_err(|e| format!("invalid --pss-version {v:?}: {e}"))?;
    }
    match args.pss_level {
        Some(PssLevelArg::Baseline) => settings.pss.level = Level::Baseline,
        Some(PssLevelArg::Restricted) => settings.pss.level = Level::Restricted,
        None => {}
    }
    if args.complete_inventory {
        settings.complete_inventory = true;
    }
    let rules = select_rules(&args, &config)?;
    let mut frameworks = Vec::new();
    for f in &args.framework {
        match (f.as_str(), Framework::parse(f)) {
            ("all", _) => frameworks = Framework::ALL.to_vec(),
            (_, Some(f)) if !frameworks.contains(&f) => frameworks.push(f),
            (_, Some(_)) => {}
            (_, None) => {
                return Err(format!(
                    "unknown framework {f:?} (expected hipaa, pci-dss, soc2, cis, nsa or all)"
                ));
            }
        }
    }
    if args.framework.is_empty() {
        frameworks = config.frameworks.clone();
    }
    let baseline = match &args.baseline {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| Baseline::from_json(&t))
                .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?,
        ),
        None => None,
    };

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
    let loaded = if args.cluster {
        let collected = read_cluster(&args.cluster_args, &settings)?;
        // A whole cluster is its whole configuration; one namespace of it is not.
        if args.cluster_args.namespace.is_none() {
            settings.complete_inventory = true;
        }
        settings.unlisted = collected.unlisted;
        let n = collected.objects.len();
        LoadOutcome {
            objects: collected.objects,
            stats: LoadStats {
                files: 0,
                documents: n,
                objects: n,
                skipped: 0,
            },
            ..Default::default()
        }
    } else {
        load_inputs(&args.paths, &args.limits.limits(), &mut io::stdin().lock())
    };
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
    if std::env::var_os("PALISADE_RULE_TIMINGS").is_some() {
        let mut times: Vec<(f64, &str, usize)> = rules
            .iter()
            .map(|r| {
                let t = std::time::Instant::now();
                let n = evaluate(&inventory, &[*r], &settings).findings.len();
                (t.elapsed().as_secs_f64(), r.meta.id, n)
            })
            .collect();
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, id, n) in times.iter().take(25) {
            eprintln!("rule {id}: {t:.3} s, {n} findings");
        }
    }
    let evaluation = evaluate(&inventory, &rules, &settings);
    lap("evaluate");
    let mut findings = evaluation.findings;
    // The decisions stage: severities, waivers, baseline (shared with every front end).
    apply_severity(&config, &mut findings);
    let outcome = apply_waivers(
        &mut findings,
        &inventory,
        &config.waivers,
        config.inline_waivers,
        Date::today(),
    );
    let notices = outcome.notices(&config.waivers);
    if let Some(path) = &args.write_baseline {
        let written = Baseline::of(&findings);
        std::fs::write(path, written.to_json())
            .map_err(|e| format!("cannot write the baseline {}: {e}", path.display()))?;
        written.apply(&mut findings);
    }
    if let Some(baseline) = &baseline {
        baseline.apply(&mut findings);
    }
    if let Some(min) = args.min_severity {
        findings.retain(|f| f.severity >= min.severity());
    }
    let fail_on = args.fail_on.map(|s| s.severity());
    let failing = findings.iter().any(|f| {
        f.status() == Status::Open && fail_on.is_none_or(|threshold| f.severity >= threshold)
    });
    let report = Report {
        findings,
        errors: loaded.errors,
        warnings: loaded.warnings,
        stats,
        rules,
        objects,
        pss_policy: settings.pss,
        runs: evaluation.runs,
        notices,
        frameworks,
        unknown_kinds: evaluation.unknown_kinds,
        unlisted: settings.unlisted.clone(),
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
        for n in &report.notices {
            anstream::eprintln!("warning: {n}");
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
