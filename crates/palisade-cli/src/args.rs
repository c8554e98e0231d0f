//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "palisade",
    version,
    about = "Kubernetes security and compliance checks: the defense-in-depth checklist of regulated workloads, with the controls each finding evidences.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan manifests: files, folders (recursively), globs, or - for standard input.
    Scan(Box<ScanArgs>),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain a rule: why it matters, how to fix it, examples, controls.
    Explain {
        /// Rule ID (PSS007) or name (privileged-container).
        rule: String,
    },
    /// Ask the RBAC policy of manifests or a live cluster: who can do something, and can a given user.
    Rbac(Box<RbacArgs>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    pub fn severity(self) -> palisade_rules::Severity {
        use palisade_rules::Severity as S;
        match self {
            SeverityArg::Info => S::Info,
            SeverityArg::Low => S::Low,
            SeverityArg::Medium => S::Medium,
            SeverityArg::High => S::High,
            SeverityArg::Critical => S::Critical,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PssLevelArg {
    Baseline,
    Restricted,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Manifests to scan: files, folders, glob patterns, or - for standard input.
    #[arg(
        value_name = "PATH",
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub paths: Vec<String>,

    /// Scan the live cluster of the kubeconfig instead of files (read-only; Secrets as metadata only).
    #[arg(long)]
    pub cluster: bool,

    #[command(flatten)]
    pub cluster_args: ClusterArgs,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Run only these rules: IDs, names or areas, comma-separated (PSS007,host-namespaces,pod-security).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub rules: Vec<String>,

    /// Skip these rules: IDs, names or areas, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub skip_rules: Vec<String>,

    /// Report only findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityArg>,

    /// Exit 1 only for findings at or above this severity (default: any finding).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Run only the Pod Security checks of this level, exactly as Pod Security Admission would.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub pss_level: Option<PssLevelArg>,

    /// Pod Security Standards policy version: v1.N or latest (default: the configuration's, else latest).
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<String>,

    /// Configuration file (default: the nearest .palisade.yaml from the first PATH upward).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<std::path::PathBuf>,

    /// The paths hold the cluster's whole configuration: rules may conclude that something is absent.
    #[arg(long)]
    pub complete_inventory: bool,

    /// Ignore any .palisade.yaml: built-in defaults only.
    #[arg(long)]
    pub no_config: bool,

    /// Show the per-control compliance view: hipaa, pci-dss, soc2, cis, nsa or all (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FRAMEWORK")]
    pub framework: Vec<String>,

    /// Accept the findings recorded in this baseline file: only new findings fail.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,

    /// Record the open findings in this baseline file (adopting Palisade on an existing repository).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<std::path::PathBuf>,

    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// Only load and parse the input; report counts (used by the benchmark).
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

/// Input limits: hostile or broken input fails with an error, not by exhausting memory.
#[derive(Args, Debug)]
#[command(next_help_heading = "Input limits")]
pub struct LimitArgs {
    /// Largest file or standard input accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = palisade_loader::Limits::default().max_file_bytes)]
    pub max_file_size: u64,

    /// Largest single YAML document accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = palisade_loader::Limits::default().max_document_bytes)]
    pub max_document_size: usize,

    /// Deepest nesting accepted in a document.
    #[arg(long, value_name = "LEVELS", default_value_t = palisade_loader::Limits::default().max_depth)]
    pub max_depth: usize,

    /// Most nodes a document may expand to (bounds YAML alias bombs).
    #[arg(long, value_name = "NODES", default_value_t = palisade_loader::Limits::default().max_nodes)]
    pub max_nodes: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> palisade_loader::Limits {
        palisade_loader::Limits {
            max_file_bytes: self.max_file_size,
            max_document_bytes: self.max_document_size,
            max_depth: self.max_depth,
            max_nodes: self.max_nodes,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = CatalogFormat::Table)]
    pub format: CatalogFormat,
}

/// How to reach a live cluster (`--cluster`).
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// Kubeconfig context to use instead of the current one.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Only this namespace (cluster-scoped objects are still read).
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// All namespaces (the default).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

impl ClusterArgs {
    pub fn options(&self) -> palisade_cluster::ClusterOptions {
        palisade_cluster::ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
            ..Default::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct RbacArgs {
    #[command(subcommand)]
    pub command: RbacCommand,
}

#[derive(Subcommand, Debug)]
pub enum RbacCommand {
    /// Every user, group and service account allowed VERB on RESOURCE, with the binding and role that grant it.
    WhoCan(WhoCanArgs),
    /// Whether a user or service account may VERB RESOURCE: prints yes or no and why; exits 0 for yes, 1 for no.
    CanI(CanIArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RbacFormat {
    Table,
    Json,
}

/// What is asked: the request the authorizer would see.
#[derive(Args, Debug)]
pub struct RbacRequestArgs {
    /// The verb: get, list, watch, create, update, patch, delete, deletecollection, or another (use, bind, escalate, impersonate, *).
    #[arg(value_name = "VERB")]
    pub verb: String,

    /// As kubectl writes it: pods, deployments.apps, pods/exec, '*', or a non-resource URL (/healthz, /metrics).
    #[arg(value_name = "RESOURCE")]
    pub resource: String,

    /// The namespace of the request (default: a cluster-wide request, which only ClusterRoleBindings grant).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// The name of the object (rules with resourceNames grant only named requests).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The subresource (exec, log, status, scale...); also written RESOURCE/SUBRESOURCE.
    #[arg(long, value_name = "SUBRESOURCE")]
    pub subresource: Option<String>,
}

/// Where the roles and bindings come from.
#[derive(Args, Debug)]
pub struct RbacInputArgs {
    /// Manifests holding the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings: files, folders, globs, or - for standard input.
    #[arg(value_name = "PATH", required_unless_present = "cluster")]
    pub paths: Vec<String>,

    /// Read the roles and bindings from a live cluster instead (kubeconfig, or in-cluster config).
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,

    /// The kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// A kubeconfig context other than the current one.
    #[arg(long, value_name = "CONTEXT", requires = "cluster")]
    pub context: Option<String>,
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub request: RbacRequestArgs,

    /// Also every namespace with RoleBindings: who can do it in at least one namespace, and where.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = RbacFormat::Table)]
    pub format: RbacFormat,

    #[command(flatten)]
    pub input: RbacInputArgs,
}

#[derive(Args, Debug)]
pub struct CanIArgs {
    #[command(flatten)]
    pub request: RbacRequestArgs,

    /// Who asks, as kubectl's --as: a user name, or system:serviceaccount:NAMESPACE:NAME.
    #[arg(long = "as", value_name = "SUBJECT")]
    pub as_user: String,

    /// A group of the user (repeatable), as kubectl's --as-group. Without it a service account has its own groups.
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_groups: Vec<String>,

    /// Print nothing: the exit code is the answer.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = RbacFormat::Table)]
    pub format: RbacFormat,

    #[command(flatten)]
    pub input: RbacInputArgs,
}
