//! Runs crmsql's SQL on an Apache DataFusion Ballista cluster.
//!
//! Ballista sends a plan's functions by name, never as code, so the client, the scheduler and
//! every executor must each know the CRM functions. This crate builds all three with them:
//! [`run_scheduler`], [`run_executor`] and the client session of [`connect`]. For tests,
//! [`start_in_process`] runs a scheduler and executors inside the calling program.

mod store;

use std::fmt;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use ballista_core::error::BallistaError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use crmsql_functions::CrmOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
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
    /// Its port is not a number from 1 to 65535.
    Port(String),
}

impl ClusterUrl {
    /// Reads `df://HOST:PORT` or `df://HOST`, which means port 50050. An IPv6 host is written in
    /// brackets: `df://[::1]:50050`.
    pub fn parse(text: &str) -> Result<ClusterUrl, UrlError> {
        let text = text.trim();
        let rest = match text.get(..5) {
            Some(scheme) if scheme.eq_ignore_ascii_case("df://") => &text[5..],
            _ => return Err(UrlError::Scheme),
        };
        let rest = rest.trim_end_matches('/');
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
        if host.is_empty() || host.contains(['/', '@', ' ']) {
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
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Bind { address, source } => {
                write!(f, "cannot listen on {address}: {source}")
            }
            ClusterError::Address(address) => write!(f, "not an address to listen on: {address}"),
            ClusterError::Server(message) => f.write_str(message),
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
    SessionConfig::new_with_ballista().with_option_extension(CrmOptions::default())
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
            config
                .upgrade_for_ballista()
                .with_ballista_job_name("crmsql"),
        )
        .build();
    let ctx = SessionContext::remote_with_state(&url.to_string(), state).await?;
    // Making the state Ballista's replaces its function list, so the functions are registered
    // on the context it returns.
    crmsql_functions::register_all(&ctx, zone);
    Ok(ctx)
}

/// Returns how many executors the scheduler at `url` has, read from its readiness page, or
/// `None` when the page does not say. A scheduler without executors accepts queries and holds
/// them until one joins, so a client checks first.
pub async fn ready_executors(url: &ClusterUrl) -> std::io::Result<Option<usize>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let wait = Duration::from_secs(5);
    let timed_out = || std::io::Error::from(std::io::ErrorKind::TimedOut);
    let address = format!("{}:{}", bracketed(&url.host), url.port);
    let mut stream = tokio::time::timeout(wait, tokio::net::TcpStream::connect(&address))
        .await
        .map_err(|_| timed_out())??;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    // A scheduler that serves gRPC alone, such as one inside a test, resets the request: the
    // count is then unknown, not the scheduler unreachable.
    let mut response = Vec::new();
    let read = async {
        stream.write_all(request.as_bytes()).await?;
        stream.read_to_end(&mut response).await
    };
    match tokio::time::timeout(wait, read).await {
        Ok(Ok(_)) => Ok(executors_in(&String::from_utf8_lossy(&response))),
        Ok(Err(_)) | Err(_) => Ok(None),
    }
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

/// Runs a scheduler until the process ends.
pub async fn run_scheduler(options: &SchedulerOptions) -> Result<(), ClusterError> {
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
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await?;
    start_server(cluster, address, Arc::new(config)).await?;
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

/// Runs an executor until the process ends or the scheduler stops it. An executor keeps
/// retrying a scheduler that is still starting.
pub async fn run_executor(options: &ExecutorOptions) -> Result<(), ClusterError> {
    check_free(&options.bind_host, options.port)?;
    check_free(&options.bind_host, options.grpc_port)?;
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: options.external_host.clone(),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host.clone(),
        scheduler_port: options.scheduler.port,
        scheduler_connect_timeout_seconds: SCHEDULER_CONNECT_SECONDS,
        vcores: options.concurrency,
        work_dir: options
            .work_dir
            .as_ref()
            .map(|dir| dir.to_string_lossy().into_owned()),
        print_thread_info: false,
        memory_pool_size: options.memory_limit,
        override_config_producer: Some(Arc::new(session_config)),
        override_function_registry: Some(Arc::new(function_registry())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

/// Starts a scheduler and `executors` executors as tasks of the calling program, on ports the
/// system picks on this machine, with the same functions and settings as [`run_scheduler`] and
/// [`run_executor`]. Returns the scheduler's address. The cluster lives as long as the Tokio
/// runtime that called this.
pub async fn start_in_process(executors: usize, concurrency: usize) -> Result<ClusterUrl> {
    let external = |error: BallistaError| DataFusionError::External(Box::new(error));
    let address = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
        Arc::new(session_state),
        Arc::new(session_config),
        BallistaCodec::default(),
    )
    .await
    .map_err(external)?;
    let endpoint = format!("http://localhost:{}", address.port());
    for _ in 0..executors {
        // The scheduler may take a moment to accept connections.
        let mut attempts = 0;
        let scheduler = loop {
            match SchedulerGrpcClient::connect(endpoint.clone()).await {
                Ok(client) => break client,
                Err(error) if attempts >= 100 => {
                    return Err(DataFusionError::External(Box::new(error)));
                }
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        ballista_executor::new_standalone_executor_from_builder(
            scheduler,
            concurrency.max(1),
            Arc::new(session_config),
            Arc::new(|_: &SessionConfig| RuntimeEnvBuilder::new().build_arc()),
            BallistaCodec::default(),
            function_registry(),
        )
        .await
        .map_err(external)?;
    }
    Ok(ClusterUrl {
        host: "localhost".to_owned(),
        port: address.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(url("host:50050"), Err(UrlError::Scheme));
        assert_eq!(url("df://:50050"), Err(UrlError::Host));
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
