//! `crmsql scheduler` and `crmsql executor`: the nodes of a Ballista cluster that know crmsql's
//! functions, and the reading of cluster addresses.

use std::io::Write;
use std::sync::atomic::Ordering;

use crmsql_cluster::{
    ClusterError, ClusterUrl, ExecutorEvent, ExecutorOptions, SchedulerEvent, SchedulerOptions,
    UrlError,
};
use crmsql_i18n::{Arg, Localizer};

use crate::app::Settings;
use crate::args::{ExecutorArgs, SchedulerArgs};
use crate::failure::Failure;

/// Says what is wrong with a cluster address, in the user's language.
pub fn url_reason(error: &UrlError, l: &Localizer) -> String {
    match error {
        UrlError::Scheme => l.text("cluster-url-scheme"),
        UrlError::Host => l.text("cluster-url-host"),
        UrlError::User => l.text("cluster-url-user"),
        UrlError::Path => l.text("cluster-url-path"),
        UrlError::Quoted => l.text("cluster-url-quoted"),
        UrlError::Port(port) => l.format("cluster-url-port", &[("port", Arg::from(port))]),
    }
}

/// Reads the scheduler's address an executor serves.
fn scheduler_url(text: &str, l: &Localizer) -> Result<ClusterUrl, Failure> {
    ClusterUrl::parse(text).map_err(|error| {
        Failure::User(l.format(
            "scheduler-invalid",
            &[
                ("value", Arg::from(text)),
                ("reason", Arg::from(url_reason(&error, l))),
            ],
        ))
    })
}

fn is_loopback(host: &str) -> bool {
    match host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Whether the lines of a scheduler or executor start with the local time.
static STAMPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes the lines of this process start with the local time, as a server's log lines do.
/// Under systemd, whose journal records the time of each line itself, they stay as they are.
pub fn stamp_node_lines() {
    if std::env::var_os("JOURNAL_STREAM").is_none() {
        STAMPED.store(true, Ordering::Relaxed);
    }
}

/// Returns the local time and a space when lines are stamped, or nothing.
pub fn line_stamp() -> String {
    if STAMPED.load(Ordering::Relaxed) {
        chrono::Local::now()
            .format("%Y-%m-%d %H:%M:%S ")
            .to_string()
    } else {
        String::new()
    }
}

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}{text}", line_stamp());
}

/// Warns that a node listens beyond this machine, and what that exposes.
fn warn_open(host: &str, port: u16, l: &Localizer) {
    if !is_loopback(host) {
        let address = format!("{host}:{port}");
        say(&format!(
            "{}: {}",
            l.text("warning-prefix"),
            l.format("cluster-open-port", &[("address", Arg::from(address))])
        ));
    }
}

fn from_cluster(error: &ClusterError, role: &str, l: &Localizer) -> Failure {
    match error {
        ClusterError::Bind { address, source } => Failure::User(l.format(
            "cluster-bind",
            &[
                ("address", Arg::from(address)),
                ("detail", Arg::from(crmsql_i18n::io_error_text(source, l))),
            ],
        )),
        ClusterError::Address(host) => {
            Failure::User(l.format("cluster-address", &[("host", Arg::from(host))]))
        }
        ClusterError::NotScheduler(_) => Failure::User(l.format(
            "cluster-server-failed",
            &[
                ("role", Arg::from(l.text(role))),
                ("detail", Arg::from(error.to_string())),
            ],
        )),
        ClusterError::WorkDir { path, source } => {
            crate::failure::from_io(clone_io(source), &path.display().to_string(), l)
        }
        ClusterError::WorkDirTaken(path) => Failure::User(l.format(
            "executor-work-dir-taken",
            &[("path", Arg::from(path.display().to_string()))],
        )),
        // The scheduler checks that it can reach a registering executor at the name the
        // executor gives, which is `--external-host` or the address it connected from.
        ClusterError::Server(detail) if detail.contains("Failed to register executor at ") => {
            let address = detail
                .split("Failed to register executor at ")
                .nth(1)
                .and_then(|rest| rest.split(", could not connect").next())
                .unwrap_or_default();
            let reason = match crmsql_engine::unreachable_reason(detail) {
                Some(id) => l.text(id),
                None if detail.contains("dns error") => l.text("cluster-unknown-host"),
                None => detail.clone(),
            };
            Failure::User(l.format(
                "executor-unreachable",
                &[
                    ("address", Arg::from(address)),
                    ("detail", Arg::from(reason)),
                ],
            ))
        }
        ClusterError::Server(detail) => Failure::User(l.format(
            "cluster-server-failed",
            &[
                ("role", Arg::from(l.text(role))),
                ("detail", Arg::from(detail)),
            ],
        )),
    }
}

/// Checks the name other machines reach a node by: a host name or an IP address, with no
/// scheme, port or path.
fn external_host(value: Option<&String>, l: &Localizer) -> Result<Option<String>, Failure> {
    let Some(value) = value else {
        return Ok(None);
    };
    let host = value.trim();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    // 0.0.0.0 is where to listen, never an address another machine can reach.
    let unspecified = bare
        .parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.is_unspecified());
    let fits = !bare.is_empty()
        && !unspecified
        && bare.len() <= 253
        && (bare.parse::<std::net::IpAddr>().is_ok()
            || (bare.starts_with(char::is_alphanumeric)
                && bare
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')));
    if fits {
        Ok(Some(bare.to_owned()))
    } else {
        Err(Failure::User(l.format(
            "cluster-external-host",
            &[("value", Arg::from(value))],
        )))
    }
}

fn clone_io(error: &std::io::Error) -> std::io::Error {
    std::io::Error::new(error.kind(), error.to_string())
}

/// Runs a scheduler until the process is stopped.
pub async fn scheduler(args: &SchedulerArgs, l: &Localizer) -> Result<(), Failure> {
    let options = SchedulerOptions {
        bind_host: args.bind.clone(),
        port: args.port,
        external_host: external_host(args.external_host.as_ref(), l)?,
    };
    let role = "cluster-role-scheduler";
    let address = crmsql_cluster::scheduler_address(&options)
        .map_err(|error| from_cluster(&error, role, l))?;
    // On every address, clients elsewhere use this machine's name and the readiness check on
    // this machine uses loopback.
    let everywhere = address.ip().is_unspecified();
    let host = options.external_host.clone().unwrap_or_else(|| {
        if everywhere {
            l.text("value-host")
        } else {
            address.ip().to_string()
        }
    });
    let url = ClusterUrl {
        host,
        port: address.port(),
    };
    let mut readiness = address;
    if everywhere {
        readiness.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    say(&l.format(
        "scheduler-started",
        &[
            ("address", Arg::from(address.to_string())),
            ("url", Arg::from(url.to_string())),
            ("readiness", Arg::from(readiness.to_string())),
        ],
    ));
    warn_open(&options.bind_host, options.port, l);
    let lang = l.lang();
    let events = move |event: SchedulerEvent| say(&scheduler_event(event, Localizer::get(lang)));
    crmsql_cluster::run_scheduler(&options, std::sync::Arc::new(events))
        .await
        .map_err(|error| from_cluster(&error, role, l))?;
    say(&l.text("scheduler-stopped"));
    Ok(())
}

/// Describes a step of the scheduler's run, for its log.
fn scheduler_event(event: SchedulerEvent, l: &Localizer) -> String {
    match event {
        SchedulerEvent::ExecutorJoined { executor, address } => l.format(
            "scheduler-executor-joined",
            &[
                ("executor", Arg::from(executor)),
                ("address", Arg::from(address)),
            ],
        ),
        SchedulerEvent::ExecutorLeft { executor, address } => l.format(
            "scheduler-executor-left",
            &[
                ("executor", Arg::from(executor)),
                ("address", Arg::from(address)),
            ],
        ),
        SchedulerEvent::JobCancelled {
            executor,
            job,
            error,
        } => {
            let mut args = vec![("executor", Arg::from(executor)), ("job", Arg::from(job))];
            let text = match error {
                None => l.format("scheduler-job-cancelled", &args),
                Some(detail) => {
                    args.push(("detail", Arg::from(detail)));
                    l.format("scheduler-job-cancel-failed", &args)
                }
            };
            format!("{}: {text}", l.text("warning-prefix"))
        }
    }
}

/// Runs an executor until the process is stopped.
pub async fn executor(
    settings: &Settings,
    args: &ExecutorArgs,
    l: &Localizer,
) -> Result<(), Failure> {
    let scheduler = scheduler_url(&args.scheduler, l)?;
    if args.port == args.grpc_port {
        return Err(Failure::User(l.format(
            "executor-same-ports",
            &[("port", Arg::from(args.port.to_string()))],
        )));
    }
    let external = external_host(args.external_host.as_ref(), l)?;
    // Ballista's executor writes its addresses as `HOST:PORT`, which an IPv6 address breaks.
    let ipv6 = |host: &str| {
        host.trim_matches(['[', ']'])
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    };
    for (option, host) in [
        ("--bind", Some(&args.bind)),
        ("--external-host", external.as_ref()),
    ] {
        if let Some(host) = host.filter(|host| ipv6(host)) {
            return Err(Failure::User(l.format(
                "executor-ipv6",
                &[("option", Arg::from(option)), ("value", Arg::from(host))],
            )));
        }
    }
    let options = ExecutorOptions {
        bind_host: args.bind.clone(),
        external_host: external,
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler,
        concurrency: args.concurrency,
        work_dir: args.work_dir.clone(),
        memory_limit: settings.memory_limit.map(|bytes| bytes as u64),
    };
    if let Some(dir) = &options.work_dir
        && let Err(error) = std::fs::create_dir_all(dir)
    {
        return Err(crate::failure::from_io(
            error,
            &dir.display().to_string(),
            l,
        ));
    }
    let bind = if options.bind_host.contains(':') {
        format!("[{}]", options.bind_host)
    } else {
        options.bind_host.clone()
    };
    let scheduler = Arg::from(options.scheduler.to_string());
    let started = std::sync::atomic::AtomicBool::new(false);
    let events = |event: ExecutorEvent| match event {
        ExecutorEvent::Waiting => {
            say(&l.format("executor-waiting", &[("scheduler", scheduler.clone())]))
        }
        ExecutorEvent::UnknownHost => say(&l.format(
            "executor-unknown-host",
            &[
                ("scheduler", scheduler.clone()),
                ("host", Arg::from(&options.scheduler.host)),
            ],
        )),
        ExecutorEvent::Starting if !started.swap(true, Ordering::Relaxed) => {
            say(&l.format(
                "executor-started",
                &[
                    ("grpc", Arg::from(format!("{bind}:{}", options.grpc_port))),
                    ("flight", Arg::from(format!("{bind}:{}", options.port))),
                    ("scheduler", scheduler.clone()),
                ],
            ));
            if let Some(host) = &options.external_host {
                say(&l.format("executor-external-host", &[("host", Arg::from(host))]));
            }
            warn_open(&options.bind_host, options.port, l);
            warn_open(&options.bind_host, options.grpc_port, l);
        }
        ExecutorEvent::Starting => {
            say(&l.format("executor-reconnected", &[("scheduler", scheduler.clone())]))
        }
        ExecutorEvent::SchedulerLost => say(&l.format(
            "executor-scheduler-lost",
            &[("scheduler", scheduler.clone())],
        )),
    };
    let outcome = crmsql_cluster::run_executor(&options, &events)
        .await
        .map_err(|error| match &error {
            ClusterError::NotScheduler(answer) => Failure::User(
                l.format(
                    "executor-not-scheduler",
                    &[
                        ("scheduler", scheduler.clone()),
                        (
                            "answer",
                            Arg::from(
                                answer
                                    .clone()
                                    .unwrap_or_else(|| l.text("executor-no-answer")),
                            ),
                        ),
                    ],
                ),
            ),
            _ => from_cluster(&error, "cluster-role-executor", l),
        });
    if outcome.is_ok() {
        say(&l.text("executor-stopped"));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crmsql_i18n::Lang;

    #[test]
    fn executors_take_the_scheduler_with_or_without_scheme() {
        let l = Localizer::get(Lang::En);
        let url = scheduler_url("10.0.0.2:7000", l).ok();
        assert_eq!(
            url.map(|u| u.to_string()),
            Some("df://10.0.0.2:7000".to_owned())
        );
        let url = scheduler_url("df://sched", l).ok();
        assert_eq!(url.map(|u| u.port), Some(50050));
        match scheduler_url("http://sched:1", l) {
            Err(Failure::User(message)) => {
                assert!(message.contains("\"http://sched:1\""), "{message}");
                assert!(message.contains("does not start with df://"), "{message}");
            }
            other => panic!("expected a user error, got {other:?}"),
        }
    }

    #[test]
    fn scheduler_events_read_in_russian() {
        let l = Localizer::get(Lang::Ru);
        let joined = SchedulerEvent::ExecutorJoined {
            executor: "e1".to_owned(),
            address: "10.0.0.5:50052".to_owned(),
        };
        assert_eq!(
            scheduler_event(joined, l),
            "Подключился исполнитель e1, задачи на 10.0.0.5:50052."
        );
        let cancelled = SchedulerEvent::JobCancelled {
            executor: "e1".to_owned(),
            job: "038J7Y5E30000".to_owned(),
            error: None,
        };
        assert_eq!(
            scheduler_event(cancelled, l),
            "предупреждение: исполнитель e1 пропал во время задания 038J7Y5E30000; задание \
             отменено, и его клиенту предложено повторить запрос"
        );
        let failed = SchedulerEvent::JobCancelled {
            executor: "e1".to_owned(),
            job: "J".to_owned(),
            error: Some("status: Unavailable".to_owned()),
        };
        assert!(
            scheduler_event(failed, l)
                .ends_with("отменить задание не удалось: status: Unavailable")
        );
    }

    #[test]
    fn external_hosts_are_names_or_addresses() {
        let l = Localizer::get(Lang::En);
        let host = |text: &str| external_host(Some(&text.to_owned()), l).ok().flatten();
        assert_eq!(host("10.0.0.5"), Some("10.0.0.5".to_owned()));
        assert_eq!(host("[::1]"), Some("::1".to_owned()));
        assert_eq!(
            host("node-2.crm.local"),
            Some("node-2.crm.local".to_owned())
        );
        for bad in [
            "",
            "  ",
            "df://node",
            "node:50050",
            "node/x",
            "two words",
            "0.0.0.0",
            "::",
            "-",
        ] {
            assert_eq!(host(bad), None, "{bad:?}");
        }
        assert_eq!(external_host(None, l).ok(), Some(None));
    }

    #[test]
    fn only_loopback_is_private() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("10.0.0.7"));
        assert!(!is_loopback("sched.example"));
    }
}
