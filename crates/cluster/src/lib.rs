//! Runs crmsql's SQL on an Apache DataFusion Ballista cluster.
//!
//! Ballista sends a plan's functions by name, never as code, so the client, the scheduler and
//! every executor must each know the CRM functions. This crate builds all three with them:
//! [`run_scheduler`], [`run_executor`] and the client session of [`connect`]. For tests,
//! [`start_in_process`] runs a scheduler and executors inside the calling program.

mod guard;
mod job;
mod stage;
mod store;

pub use job::{JobState, cancel_job, job_id, job_state};

use std::fmt;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use ballista_core::error::BallistaError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use crmsql_functions::CrmOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// The default scheduler port, the same as Ballista's.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;
/// The port on which an executor hands results and shuffle data out (Arrow Flight).
pub const DEFAULT_FLIGHT_PORT: u16 = 50051;
/// The port on which an executor takes tasks from the scheduler (gRPC).
pub const DEFAULT_GRPC_PORT: u16 = 50052;
/// The default address to listen on: loopback, so only this machine can connect.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Ballista's timeout for an executor's first connection to a scheduler that is not up yet.
// NOTE: Ballista 55 keeps retrying past it (seen for over 200 s), so executors never give up.
const SCHEDULER_CONNECT_SECONDS: u16 = 60;

/// Interval between an executor's heartbeats, and between the scheduler's checks for executors
/// whose heartbeats stopped.
const HEARTBEAT_SECONDS: u64 = 5;

/// How long the scheduler waits for an executor's heartbeat before it gives the executor's tasks
/// to others, and how long a job waits for any executor once none is left before it fails.
/// Ballista's default of 3 minutes left a query waiting that long after an executor died.
const EXECUTOR_TIMEOUT_SECONDS: u64 = 30;

/// The folder inside an executor's `--work-dir` that contains its jobs' data.
pub const JOBS_FOLDER: &str = "jobs";

/// The folder inside an executor's `--work-dir` that its tasks spill to. It is kept apart from
/// [`JOBS_FOLDER`] because that folder's cleaning would remove the spill folder of a session
/// idle for a day.
pub const SPILL_FOLDER: &str = "spill";

/// The start of the name of an executor's temporary work folder, followed by its process id.
const TEMPORARY_PREFIX: &str = "crmsql-executor-";

/// How long an executor's run may take to stop, after a signal or after losing its scheduler,
/// before crmsql stops waiting for it.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The file in an executor's `--work-dir` that the running executor locks.
const LOCK_FILE: &str = "executor.lock";

/// How often an executor looks for job data older than [`JOB_DATA_TTL_SECONDS`].
const JOB_DATA_CLEAN_SECONDS: u64 = 3600;

/// Age after which an executor removes job data by itself.
const JOB_DATA_TTL_SECONDS: u64 = 24 * 3600;

/// The zone an executor registers period functions with. Executors take the zone from each
/// plan, so this one only names the functions' default.
const EXECUTOR_ZONE: &str = "UTC";

/// The address of a cluster's scheduler, written `df://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    pub host: String,
    pub port: u16,
}

/// A fault in a cluster address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// It does not start with `df://`.
    Scheme,
    /// It names no host.
    Host,
    /// It names a user, which Ballista has no use for: it has no login.
    User,
    /// It has a path or a query after the host and port.
    Path,
    /// Its port is not a number from 1 to 65535.
    Port(String),
    /// It is in quotes, which a shell removes but the settings file keeps.
    Quoted,
}

impl ClusterUrl {
    /// Reads `df://HOST:PORT` or `df://HOST`, which means port 50050; `HOST:PORT` without the
    /// scheme will do too. An IPv6 host is written in brackets: `df://[::1]:50050`.
    pub fn parse(text: &str) -> Result<ClusterUrl, UrlError> {
        let text = text.trim();
        if text.starts_with(['"', '\'']) {
            return Err(UrlError::Quoted);
        }
        let rest = match text.get(..5) {
            Some(scheme) if scheme.eq_ignore_ascii_case("df://") => &text[5..],
            _ if text.contains("://") => return Err(UrlError::Scheme),
            // `df:/host` or `df:host` lost a slash of the scheme.
            _ if text
                .get(..3)
                .is_some_and(|start| start.eq_ignore_ascii_case("df:")) =>
            {
                return Err(UrlError::Scheme);
            }
            _ => text,
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('@') {
            return Err(UrlError::User);
        }
        if rest.contains(['/', '?', '#']) {
            return Err(UrlError::Path);
        }
        let (host, port) = match rest.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']').ok_or(UrlError::Host)?;
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if after.is_empty() => (host, None),
                    None => return Err(UrlError::Port(after.to_owned())),
                }
            }
            None => match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            },
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(UrlError::Host);
        }
        let port = match port {
            None => DEFAULT_SCHEDULER_PORT,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(UrlError::Port(port.to_owned())),
            },
        };
        Ok(ClusterUrl {
            host: host.to_owned(),
            port,
        })
    }

    /// Returns whether the scheduler is on this machine.
    pub fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1")
    }
}

impl fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "df://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "df://{}:{}", self.host, self.port)
        }
    }
}

/// An error starting a scheduler or an executor.
#[derive(Debug)]
pub enum ClusterError {
    /// A port is taken or the address does not belong to this machine.
    Bind {
        address: String,
        source: std::io::Error,
    },
    /// The host to listen on is not an address.
    Address(String),
    /// Ballista stopped with an error.
    Server(String),
    /// Another server, not a scheduler, responds at the executor's scheduler address: the status
    /// line of its HTTP response, if any.
    NotScheduler(Option<String>),
    /// The executor's folder for job data cannot be made.
    WorkDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another executor runs with this work folder, and each would delete the other's data.
    WorkDirTaken(PathBuf),
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Bind { address, source } => {
                write!(f, "cannot listen on {address}: {source}")
            }
            ClusterError::Address(address) => write!(f, "not an address to listen on: {address}"),
            ClusterError::Server(message) => f.write_str(message),
            ClusterError::NotScheduler(answer) => write!(
                f,
                "no scheduler answers at the address: {}",
                answer.as_deref().unwrap_or("no HTTP/1 answer")
            ),
            ClusterError::WorkDir { path, source } => {
                write!(f, "cannot make {}: {source}", path.display())
            }
            ClusterError::WorkDirTaken(path) => {
                write!(
                    f,
                    "another executor uses the work folder {}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for ClusterError {}

impl From<BallistaError> for ClusterError {
    fn from(error: BallistaError) -> Self {
        ClusterError::Server(error.to_string())
    }
}

/// Returns the settings every node starts a session from: Ballista's, with crmsql's own
/// `crmsql.*` settings known, so that the language and the fixed "now" of a query reach the
/// scheduler and the executors.
pub fn session_config() -> SessionConfig {
    static_planning(SessionConfig::new_with_ballista().with_option_extension(CrmOptions::default()))
}

/// Turns off Ballista's adaptive planner, which plans each stage from the statistics of the stages
/// before it.
// NOTE: after an executor died mid-query, Ballista 55's adaptive planner was seen to reset the
// lost stages and then reject their new results ("Can't find active stage to update stage
// outputs"), so the job waited forever. The scheduler now cancels such jobs first (see `guard`),
// and the static planner is the one the tests cover.
fn static_planning(config: SessionConfig) -> SessionConfig {
    config.set_bool(
        ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED,
        false,
    )
}

/// Builds the scheduler's session for a query with the client's settings `config`: DataFusion's
/// and Ballista's functions, and crmsql's, with period functions in the client's time zone.
pub fn session_state(config: SessionConfig) -> Result<SessionState> {
    let zone = config
        .options()
        .execution
        .time_zone
        .clone()
        .unwrap_or_else(|| EXECUTOR_ZONE.to_owned());
    let mut state = default_session_builder(config)?;
    // The scheduler lists the warehouse files to plan, and a file it cannot see must fail the
    // query rather than read as an empty table.
    let files = datafusion::execution::object_store::ObjectStoreUrl::local_filesystem();
    state
        .runtime_env()
        .register_object_store(files.as_ref(), Arc::new(store::WarehouseFiles::default()));
    crmsql_functions::register_functions(&mut state, &zone)?;
    Ok(state)
}

/// Returns the functions an executor resolves names with: DataFusion's, with crmsql's added and
/// crmsql's faster `lower` and `date_trunc` in place of DataFusion's.
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for function in crmsql_functions::session_scalar_functions(EXECUTOR_ZONE) {
        registry
            .scalar_functions
            .insert(function.name().to_owned(), function);
    }
    for function in crmsql_functions::aggregate_functions() {
        registry
            .aggregate_functions
            .insert(function.name().to_owned(), function);
    }
    for function in crmsql_functions::window_functions() {
        registry
            .window_functions
            .insert(function.name().to_owned(), function);
    }
    registry
}

/// Opens a client session on the cluster at `url`, with the settings `config` and crmsql's
/// functions in `zone`. Nothing is sent until a query runs, so a scheduler that is down shows up
/// at the first query.
pub async fn connect(
    url: &ClusterUrl,
    config: SessionConfig,
    zone: &str,
) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        // Ballista's own defaults are applied before the job name, which would otherwise mark
        // the settings as Ballista's already and skip them.
        .with_config(
            static_planning(
                config
                    .upgrade_for_ballista()
                    .with_ballista_job_name("crmsql"),
            )
            // The scheduler's response to a submitted query then contains the job's id, which
            // Ctrl-C needs to cancel the job. Ballista's default pushes the id with the first
            // state change, which can come seconds after the executors started on the job.
            .set_bool(ballista_core::config::BALLISTA_CLIENT_PULL, true),
        )
        .build();
    let ctx = SessionContext::remote_with_state(&url.to_string(), state).await?;
    // Making the state Ballista's replaces its function list, so the functions are registered
    // on the context it returns.
    crmsql_functions::register_all(&ctx, zone);
    Ok(ctx)
}

/// Reason why [`ready_executors`] got no executor count.
#[derive(Debug)]
pub enum ReadyError {
    /// Nothing could be reached at the address.
    Connect(std::io::Error),
    /// Another server responded: the status line of its HTTP response, or `None` without an
    /// HTTP/1 response.
    NotScheduler(Option<String>),
}

impl fmt::Display for ReadyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadyError::Connect(error) => write!(f, "{error}"),
            ReadyError::NotScheduler(Some(answer)) => write!(f, "{answer}"),
            ReadyError::NotScheduler(None) => f.write_str("no HTTP/1 response"),
        }
    }
}

/// Returns how many executors the scheduler at `url` has, read from its readiness page. A
/// scheduler without executors accepts queries and keeps them waiting until one joins, so a
/// client checks first. The page also tells a scheduler apart from another server on the port.
pub async fn ready_executors(url: &ClusterUrl) -> Result<usize, ReadyError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let wait = Duration::from_secs(5);
    let timed_out = || ReadyError::Connect(std::io::Error::from(std::io::ErrorKind::TimedOut));
    let address = format!("{}:{}", bracketed(&url.host), url.port);
    let mut stream = tokio::time::timeout(wait, tokio::net::TcpStream::connect(&address))
        .await
        .map_err(|_| timed_out())?
        .map_err(ReadyError::Connect)?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut response = Vec::new();
    let read = async {
        stream.write_all(request.as_bytes()).await?;
        stream.read_to_end(&mut response).await
    };
    // An executor's ports speak HTTP/2 alone and close the connection; a read error then still
    // leaves what arrived before it.
    let _ = tokio::time::timeout(wait, read).await;
    let page = String::from_utf8_lossy(&response);
    executors_in(&page).ok_or_else(|| {
        // An HTTP/2 server, such as an executor's port, answers with binary frames.
        let first = page
            .lines()
            .next()
            .map(str::trim)
            .filter(|line| line.starts_with("HTTP/"));
        ReadyError::NotScheduler(first.map(|line| line.chars().take(80).collect()))
    })
}

/// Reads the executor count from `ready: 2 executors registered` or
/// `not ready: 0/1 executors registered`.
fn executors_in(page: &str) -> Option<usize> {
    let line = page
        .lines()
        .find(|line| line.ends_with("executors registered"))?;
    let count = line.split(':').nth(1)?.split_whitespace().next()?;
    count.split('/').next()?.parse().ok()
}

/// Listening address of a scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// The address to listen on.
    pub bind_host: String,
    pub port: u16,
    /// The name executors and other schedulers reach this one by; the bind address by default.
    pub external_host: Option<String>,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            bind_host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_SCHEDULER_PORT,
            external_host: None,
        }
    }
}

/// Checks that the address is free now, so that a taken port gets a plain message rather than
/// a transport error after start-up.
fn check_free(host: &str, port: u16) -> Result<SocketAddr, ClusterError> {
    let address = format!("{}:{port}", bracketed(host));
    let socket = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut found| found.next())
        .ok_or_else(|| ClusterError::Address(host.to_owned()))?;
    TcpListener::bind(socket).map_err(|source| ClusterError::Bind {
        address: address.clone(),
        source,
    })?;
    Ok(socket)
}

fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// Returns the address a scheduler with `options` listens on, after checking that it is free.
pub fn scheduler_address(options: &SchedulerOptions) -> Result<SocketAddr, ClusterError> {
    check_free(&options.bind_host, options.port)
}

/// A step of a scheduler's run, for its owner to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulerEvent {
    /// An executor registered: Ballista's id for it and the address of its task port.
    ExecutorJoined { executor: String, address: String },
    /// The scheduler removed an executor that stopped or whose heartbeats timed out.
    ExecutorLeft { executor: String, address: String },
    /// An executor left while `job` ran, so the scheduler cancelled the job, and its client
    /// gets a message to run the query again. `error` is the reason the cancellation failed.
    JobCancelled {
        executor: String,
        job: String,
        error: Option<String>,
    },
}

/// Runs a scheduler until the process gets Ctrl-C or SIGTERM. `events` is called for each job
/// cancelled because an executor left.
pub async fn run_scheduler(
    options: &SchedulerOptions,
    events: Arc<dyn Fn(SchedulerEvent) + Send + Sync>,
) -> Result<(), ClusterError> {
    let address = scheduler_address(options)?;
    let config = SchedulerConfig {
        bind_host: options.bind_host.clone(),
        bind_port: options.port,
        external_host: options
            .external_host
            .clone()
            .unwrap_or_else(|| options.bind_host.clone()),
        override_config_producer: Some(Arc::new(session_config)),
        override_session_builder: Some(Arc::new(session_state)),
        // Spreads a stage's tasks over the executors rather than filling one first, as Ballista
        // advises for a cluster with one scheduler.
        task_distribution: ballista_scheduler::config::TaskDistributionPolicy::RoundRobin,
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECONDS,
        no_executors_grace_period_seconds: EXECUTOR_TIMEOUT_SECONDS,
        // A task that cannot fetch a lost executor's output fails its job rather than roll its
        // stage back, which Ballista 55 does not do exactly (see `guard`).
        stage_max_failures: 1,
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await?;
    let mut own = address;
    if own.ip().is_unspecified() {
        own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let guarded = guard::GuardedCluster {
        inner: cluster.cluster_state(),
        jobs: cluster.job_state(),
        scheduler: ClusterUrl {
            host: own.ip().to_string(),
            port: own.port(),
        },
        events,
    };
    let cluster = BallistaCluster::new(Arc::new(guarded), cluster.job_state());
    // A scheduler started with `&` from a script inherits an ignored Ctrl-C; it stops on it
    // all the same.
    tokio::select! {
        result = start_server(cluster, address, Arc::new(config)) => result?,
        () = stop_requested() => {}
    }
    Ok(())
}

/// Settings of an executor: its addresses, its scheduler and the work it takes on.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The address to listen on.
    pub bind_host: String,
    /// The name the scheduler and clients reach this executor by. Without it, the scheduler
    /// uses the address the executor connects from.
    pub external_host: Option<String>,
    /// The Arrow Flight port, which hands results and shuffle data out.
    pub port: u16,
    /// The gRPC port, which takes tasks from the scheduler.
    pub grpc_port: u16,
    pub scheduler: ClusterUrl,
    /// Tasks run at once; 0 means one per processor core.
    pub concurrency: usize,
    /// Folder for shuffle data and spills; a temporary folder by default.
    pub work_dir: Option<PathBuf>,
    /// Bytes of memory the executor's tasks may hold before they spill.
    pub memory_limit: Option<u64>,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        ExecutorOptions {
            bind_host: DEFAULT_HOST.to_owned(),
            external_host: None,
            port: DEFAULT_FLIGHT_PORT,
            grpc_port: DEFAULT_GRPC_PORT,
            scheduler: ClusterUrl {
                host: DEFAULT_HOST.to_owned(),
                port: DEFAULT_SCHEDULER_PORT,
            },
            concurrency: 0,
            work_dir: None,
            memory_limit: None,
        }
    }
}

/// A step of an executor's run, for its owner to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorEvent {
    /// The scheduler does not accept connections yet; the executor waits for it.
    Waiting,
    /// The scheduler's host name does not resolve; the executor waits until it does.
    UnknownHost,
    /// The scheduler accepts connections, and the executor starts serving it.
    Starting,
    /// The executor lost its scheduler and stopped; it will start again when the scheduler is
    /// back.
    SchedulerLost,
}

/// How many 200 ms ticks pass between two checks that the scheduler accepts connections.
const WATCH_TICKS: u32 = 15;

/// Runs an executor until the process gets Ctrl-C or SIGTERM. The executor waits for a scheduler
/// that is not up yet, and starts again when it loses its scheduler, which Ballista's executor
/// treats as the end of its run. `events` hears of each step.
pub async fn run_executor(
    options: &ExecutorOptions,
    events: &(dyn Fn(ExecutorEvent) + Sync),
) -> Result<(), ClusterError> {
    check_free(&options.bind_host, options.port)?;
    check_free(&options.bind_host, options.grpc_port)?;
    // Without a work folder, Ballista would make a temporary one and leave it behind. This one
    // is removed when the executor stops.
    let (work_dir, _temporary) = match &options.work_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            // The temporary work folders of killed executors would keep their job data for good.
            remove_orphan_folders(&std::env::temp_dir(), TEMPORARY_PREFIX);
            let temporary = tempfile::Builder::new()
                .prefix(&format!("{TEMPORARY_PREFIX}{}-", std::process::id()))
                .tempdir()
                .map_err(|source| ClusterError::WorkDir {
                    path: std::env::temp_dir(),
                    source,
                })?;
            (temporary.path().to_path_buf(), Some(temporary))
        }
    };
    let _lock = lock_work_dir(&work_dir)?;
    // Ballista's cleaning removes every folder in its work folder, so it gets one of its own.
    let jobs_dir = work_dir.join(JOBS_FOLDER);
    let spill_dir = work_dir.join(SPILL_FOLDER);
    // Spill files left by an executor that was killed are read by nothing.
    if let Err(error) = std::fs::remove_dir_all(&spill_dir)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %spill_dir.display(), %error, "failed to empty the spill folder");
    }
    for dir in [&jobs_dir, &spill_dir] {
        std::fs::create_dir_all(dir).map_err(|source| ClusterError::WorkDir {
            path: dir.clone(),
            source,
        })?;
    }
    let spill = spill_dir.to_string_lossy().into_owned();
    let stopping = stop_signal();
    let config = Arc::new(ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: options.external_host.clone(),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host.clone(),
        scheduler_port: options.scheduler.port,
        scheduler_connect_timeout_seconds: SCHEDULER_CONNECT_SECONDS,
        vcores: options.concurrency,
        work_dir: Some(jobs_dir.to_string_lossy().into_owned()),
        // Job data that no scheduler requested to remove, such as after a scheduler stopped
        // mid-query, is removed after a day. All of it is removed when the executor stops.
        job_data_clean_up_interval_seconds: JOB_DATA_CLEAN_SECONDS,
        job_data_ttl_seconds: JOB_DATA_TTL_SECONDS,
        print_thread_info: false,
        memory_pool_size: options.memory_limit,
        override_config_producer: Some(Arc::new(session_config)),
        override_function_registry: Some(Arc::new(function_registry())),
        override_runtime_producer: Some(Arc::new(move |_| {
            let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
                .with_temp_file_path(spill.clone())
                .build()?;
            Ok(Arc::new(runtime))
        })),
        override_execution_engine: Some(Arc::new(stage::StageEngine::default())),
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        ..ExecutorProcessConfig::default()
    });
    loop {
        // Ballista's own wait for a scheduler logs a warning twice a second, so the executor
        // starts only once the scheduler accepts connections.
        let mut reported = None;
        while !accepts_connections(&options.scheduler).await {
            if stopping.load(Ordering::Acquire) {
                return Ok(());
            }
            let address = format!(
                "{}:{}",
                bracketed(&options.scheduler.host),
                options.scheduler.port
            );
            let event = match tokio::net::lookup_host(address).await {
                Ok(_) => ExecutorEvent::Waiting,
                Err(_) => ExecutorEvent::UnknownHost,
            };
            if reported != Some(event) {
                events(event);
                reported = Some(event);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // Another server on the port would make Ballista fail with gRPC's own words.
        if let Err(ReadyError::NotScheduler(answer)) = ready_executors(&options.scheduler).await {
            return Err(ClusterError::NotScheduler(answer));
        }
        // The previous run's servers may still be letting their ports go.
        for attempt in 0.. {
            match (
                check_free(&options.bind_host, options.port),
                check_free(&options.bind_host, options.grpc_port),
            ) {
                (Ok(_), Ok(_)) => break,
                (Err(error), _) | (_, Err(error)) if attempt >= 30 => return Err(error),
                _ => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
        events(ExecutorEvent::Starting);
        // A run that ended marked the process as shutting down, and heartbeats would still
        // report that status to the new scheduler.
        ballista_executor::executor_server::TERMINATING.store(false, Ordering::Release);
        let run = start_executor_process(Arc::clone(&config));
        tokio::pin!(run);
        let mut stopping_since = None;
        let mut stop_requested_at = None;
        // Ballista's executor keeps its run through a scheduler's restart and logs nothing, so
        // the scheduler's port is checked every few seconds for the log.
        let mut ticks: u32 = 0;
        let mut misses = 0;
        let mut lost = false;
        loop {
            tokio::select! {
                result = &mut run => {
                    result?;
                    break;
                }
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(WATCH_TICKS) && !stopping.load(Ordering::Acquire) {
                if accepts_connections(&options.scheduler).await {
                    misses = 0;
                    if std::mem::take(&mut lost) {
                        events(ExecutorEvent::Starting);
                    }
                } else {
                    misses += 1;
                    // Two misses in a row, so that one slow connection is no loss.
                    if misses == 2 && !lost {
                        lost = true;
                        events(ExecutorEvent::SchedulerLost);
                    }
                }
            }
            // Ballista's executor hears the same signals and ends its run. Before it does, it
            // waits for its running tasks, whose results a lost scheduler never takes, so a run
            // still stopping after a grace period is left behind.
            let now = std::time::Instant::now();
            if stopping.load(Ordering::Acquire) {
                let since = *stop_requested_at.get_or_insert(now);
                if now.duration_since(since) > STOP_GRACE {
                    return Ok(());
                }
            } else if ballista_executor::executor_server::TERMINATING.load(Ordering::Acquire) {
                let since = *stopping_since.get_or_insert(now);
                if now.duration_since(since) > STOP_GRACE {
                    break;
                }
            }
        }
        // Ballista's executor hears the same signal and ends its run first.
        tokio::time::sleep(Duration::from_millis(200)).await;
        if stopping.load(Ordering::Acquire) {
            return Ok(());
        }
        if !lost {
            events(ExecutorEvent::SchedulerLost);
        }
    }
}

/// Removes the folders in `temp` whose name is `prefix`, a process id and perhaps `-` and more,
/// when that process has ended. Such a folder is left behind when its process is killed.
pub fn remove_orphan_folders(temp: &std::path::Path, prefix: &str) {
    // On Linux, a running process has a folder in /proc.
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(prefix))
            .map(|rest| rest.split_once('-').map_or(rest, |(pid, _)| pid))
            .filter(|pid| pid.parse::<u32>().is_ok())
        else {
            continue;
        };
        if !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Locks the executor's work folder for this process. An executor empties its spill folder when
/// it starts and deletes its job data when it stops, so two executors on one folder would delete
/// each other's data. The lock ends with the returned file, also when the process dies.
fn lock_work_dir(work_dir: &std::path::Path) -> Result<std::fs::File, ClusterError> {
    let failed = |source| ClusterError::WorkDir {
        path: work_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(work_dir).map_err(failed)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(work_dir.join(LOCK_FILE))
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(ClusterError::WorkDirTaken(work_dir.to_path_buf()))
        }
        Err(std::fs::TryLockError::Error(source)) => Err(failed(source)),
    }
}

/// Returns a flag that turns on when the process gets Ctrl-C or SIGTERM.
fn stop_signal() -> Arc<AtomicBool> {
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stopping);
    tokio::spawn(async move {
        stop_requested().await;
        flag.store(true, Ordering::Release);
    });
    stopping
}

/// Waits until the process gets Ctrl-C or SIGTERM.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Returns whether the scheduler at `url` accepts a connection now.
async fn accepts_connections(url: &ClusterUrl) -> bool {
    let address = format!("{}:{}", bracketed(&url.host), url.port);
    let connect = tokio::net::TcpStream::connect(address);
    matches!(
        tokio::time::timeout(Duration::from_secs(5), connect).await,
        Ok(Ok(_))
    )
}

/// Starts a scheduler and `executors` executors as tasks of the calling program, with
/// [`run_scheduler`] and [`run_executor`] on free loopback ports, and waits until the scheduler
/// has them all. Each executor runs `concurrency` tasks at once. Returns the scheduler's address.
/// The cluster lives as long as the Tokio runtime that called this.
pub async fn start_in_process(executors: usize, concurrency: usize) -> Result<ClusterUrl> {
    let failed = |error: ClusterError| DataFusionError::External(Box::new(error));
    let scheduler = SchedulerOptions {
        port: free_port()?,
        ..SchedulerOptions::default()
    };
    let url = ClusterUrl {
        host: scheduler.bind_host.clone(),
        port: scheduler.port,
    };
    check_free(&scheduler.bind_host, scheduler.port).map_err(failed)?;
    tokio::spawn(async move { run_scheduler(&scheduler, Arc::new(|_| {})).await });
    for _ in 0..executors {
        let executor = ExecutorOptions {
            port: free_port()?,
            grpc_port: free_port()?,
            scheduler: url.clone(),
            concurrency: concurrency.max(1),
            ..ExecutorOptions::default()
        };
        check_free(&executor.bind_host, executor.port).map_err(failed)?;
        check_free(&executor.bind_host, executor.grpc_port).map_err(failed)?;
        tokio::spawn(async move { run_executor(&executor, &|_| {}).await });
    }
    for _ in 0..600 {
        if let Ok(ready) = ready_executors(&url).await
            && ready >= executors
        {
            return Ok(url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DataFusionError::Execution(format!(
        "the scheduler at {url} did not register {executors} executors within 30 s"
    )))
}

/// Returns a loopback port that is free now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((DEFAULT_HOST, 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphan_folders_of_ended_processes_removed() {
        let temp = tempfile::tempdir().unwrap();
        let own = std::process::id();
        for name in [
            "x-4000000000-ab".to_owned(),
            "x-4000000001".to_owned(),
            format!("x-{own}-cd"),
            format!("x-{own}"),
            "x-notapid".to_owned(),
            "y-4000000002".to_owned(),
        ] {
            std::fs::create_dir(temp.path().join(name)).unwrap();
        }
        remove_orphan_folders(temp.path(), "x-");
        let mut left: Vec<String> = std::fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![
            format!("x-{own}"),
            format!("x-{own}-cd"),
            "x-notapid".to_owned(),
            "y-4000000002".to_owned(),
        ];
        expected.sort();
        assert_eq!(left, expected);
    }

    #[test]
    fn reads_cluster_addresses() {
        let url = |text| ClusterUrl::parse(text);
        assert_eq!(
            url("df://10.0.0.5:6000"),
            Ok(ClusterUrl {
                host: "10.0.0.5".to_owned(),
                port: 6000
            })
        );
        assert_eq!(
            url("DF://sched.local/").map(|u| (u.host, u.port)),
            Ok(("sched.local".to_owned(), 50050))
        );
        assert_eq!(
            url("df://[::1]:7000").map(|u| u.to_string()),
            Ok("df://[::1]:7000".to_owned())
        );
        assert_eq!(url("http://host:1"), Err(UrlError::Scheme));
        assert_eq!(url("df:/host:1"), Err(UrlError::Scheme));
        assert_eq!(url("\"df://host:1\""), Err(UrlError::Quoted));
        assert_eq!(
            url("host:7000").map(|u| u.to_string()),
            Ok("df://host:7000".to_owned())
        );
        assert_eq!(url("df://:50050"), Err(UrlError::Host));
        assert_eq!(url("df://admin@sched:50050"), Err(UrlError::User));
        assert_eq!(url("df://sched:50050/crm"), Err(UrlError::Path));
        assert_eq!(url("df://two words"), Err(UrlError::Host));
        assert_eq!(url("df://host:0"), Err(UrlError::Port("0".to_owned())));
        assert_eq!(
            url("df://host:port"),
            Err(UrlError::Port("port".to_owned()))
        );
        assert!(url("df://localhost:1").is_ok_and(|u| u.is_loopback()));
        assert!(url("df://10.1.1.1").is_ok_and(|u| !u.is_loopback()));
    }

    #[test]
    fn readiness_page_gives_executors() {
        let page = "HTTP/1.1 200 OK\r\ncontent-length: 30\r\n\r\nready: 2 executors registered\n";
        assert_eq!(executors_in(page), Some(2));
        let page = "HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready: 0/1 executors registered\n";
        assert_eq!(executors_in(page), Some(0));
        assert_eq!(executors_in("HTTP/1.1 404 Not Found\r\n\r\n"), None);
    }

    #[test]
    fn check_free_names_taken_port() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = taken.local_addr().expect("its address").port();
        match check_free("127.0.0.1", port) {
            Err(ClusterError::Bind { address, .. }) => {
                assert_eq!(address, format!("127.0.0.1:{port}"))
            }
            other => panic!("expected a bind error, got {other:?}"),
        }
        assert!(matches!(
            check_free("no such host name", 1),
            Err(ClusterError::Address(_))
        ));
    }

    #[test]
    fn executors_know_every_crm_function() {
        let registry = function_registry();
        for function in crmsql_functions::session_scalar_functions("UTC") {
            assert!(registry.scalar_functions.contains_key(function.name()));
        }
        for function in crmsql_functions::aggregate_functions() {
            assert!(registry.aggregate_functions.contains_key(function.name()));
        }
        for function in crmsql_functions::window_functions() {
            assert!(registry.window_functions.contains_key(function.name()));
        }
        // The replacement, not DataFusion's own, runs `date_trunc`.
        let date_trunc = &registry.scalar_functions["date_trunc"];
        let date_trunc: &dyn std::any::Any = date_trunc.inner().as_ref();
        assert!(date_trunc.is::<crmsql_functions::DateTrunc>());
    }
}
