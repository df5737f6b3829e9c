//! viewas-server: the reference server of the viewas impersonation console.
//!
//! [`app`] builds the router (the seam tests drive with `oneshot`);
//! [`launch`] serves it on a listener the caller bound, so tests can use
//! port 0; [`run`] is the binary: configuration, database, seed, listen.

pub mod auth;
pub mod clock;
pub mod config;
pub mod http;
pub mod rules;
pub mod seed;
pub mod serve;
pub mod store;

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use http::{app, AppState, Settings};

use clock::{Clock, SystemClock};
use config::Config;
use seed::{SeedOptions, SeedSize};
use store::{sessions, Store};

/// How often the sweeper ends sessions whose time is up (they also end
/// lazily the moment anything touches them).
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// Seeds the demo data when the database is empty; returns whether it did.
pub async fn seed_if_empty(store: &Store, size: SeedSize, now: i64) -> store::DbResult<bool> {
    seed_if_empty_with(store, size.into(), now).await
}

/// [`seed_if_empty`] with options (the runs scale).
pub async fn seed_if_empty_with(
    store: &Store,
    opts: SeedOptions,
    now: i64,
) -> store::DbResult<bool> {
    let size = opts.size;
    let started = Instant::now();
    let report = store
        .write(move |c| {
            if !seed::is_empty(c)? {
                return Ok(None);
            }
            seed::seed_with(c, opts, now).map(Some)
        })
        .await?;
    match report {
        Some(r) => {
            // Before anyone is served: the seed's WAL copied back now, not
            // by the first requests' writes.
            let store = store.clone();
            let complete = tokio::task::spawn_blocking(move || store.checkpoint_blocking())
                .await
                .map_err(|e| store::DbError::Other(format!("checkpoint after the seed: {e}")))??;
            if !complete {
                tracing::warn!("the WAL after the seed was not checkpointed in full");
            }
            eprintln!(
                "viewas-server: seeded demo data ({size:?}, runs ×{}: {} orgs, {} users, {} connections, \
                 {} assignments, {} runs, {} steps) in {:.2} s",
                opts.runs_scale,
                r.orgs,
                r.users,
                r.connections,
                r.assignments,
                r.runs,
                r.steps,
                started.elapsed().as_secs_f64()
            );
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Ends every session whose time is up. Returns how many it ended.
pub async fn sweep_once(state: &AppState) -> store::DbResult<usize> {
    let now = state.now();
    let due = state.store.read(move |c| sessions::due_ids(c, now)).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let n = due.len();
    state
        .store
        .write(move |c| {
            for id in due {
                sessions::settle(c, id, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(n)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, with the
/// session sweeper running alongside and the default connection limits.
pub async fn launch(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    launch_with(listener, state, serve::Limits::default(), shutdown).await
}

/// [`launch`] with the given connection limits.
pub async fn launch_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: serve::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper_state = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            match sweep_once(&sweeper_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(ended = n, "sweeper ended sessions"),
                Err(e) => tracing::error!("sweeper: {e}"),
            }
        }
    });
    let served = serve::serve(listener, app(state), limits, shutdown).await;
    sweeper.abort();
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Adds `origin` to the partner origins unless it is there already.
pub fn with_partner_origin(mut settings: Settings, origin: &str) -> Settings {
    if !settings.partner_origins.iter().any(|o| o == origin) {
        settings.partner_origins.push(origin.to_string());
    }
    settings
}

/// The binary: open and migrate the database, seed it if asked, bind, print
/// the "listening" line(s), serve until a signal.
pub async fn run(config: Config) -> Result<(), String> {
    let store =
        Store::open(&config.db).map_err(|e| format!("cannot open {}: {e}", config.db.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if config.seed_demo() {
        seed_if_empty_with(&store, config.demo_seed(), clock.now())
            .await
            .map_err(|e| format!("seeding failed: {e}"))?;
    }
    let mut settings = Settings {
        max_session_secs: config.max_session.0,
        idle_timeout_secs: config.idle_timeout.0,
        partner_origins: config.partner_origins.clone(),
        dist: config.dist.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
    };
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(
            "{} has no index.html: the API works, the console does not (build the SPA)",
            config.dist.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    // Both sockets are bound before anything is printed or served, so the
    // portal's real origin (port 0 included) is in the console's CSP from
    // the first response.
    let portal = match config.portal_addr {
        Some(portal_addr) => {
            let l = tokio::net::TcpListener::bind(portal_addr)
                .await
                .map_err(|e| format!("cannot listen on {portal_addr} (portal): {e}"))?;
            let bound = l
                .local_addr()
                .map_err(|e| format!("cannot read the portal's bound address: {e}"))?;
            settings = with_partner_origin(settings, &config::origin_of(bound));
            Some((l, bound))
        }
        None => None,
    };
    let state = AppState::new(store, clock, settings);
    // Descriptors left for SQLite's pool, the listeners and the logs.
    let limits = serve::fit_to_descriptors(config.limits(), 128);

    // Scripts and the e2e harness wait for exactly these lines, in this order.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "viewas-server listening on http://{addr}");
    if let Some((_, bound)) = &portal {
        let _ = writeln!(out, "viewas-portal listening on http://{bound}");
    }
    let _ = out.flush();
    drop(out);

    // One signal stops both listeners.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let portal_task = portal.map(|(l, _)| {
        let p = http::portal::Portal {
            dir: config.portal_dir.clone(),
            console_origin: config::origin_of(addr),
        };
        tokio::spawn(http::portal::launch_portal_with(
            l,
            p,
            limits.clone(),
            stopped(stop_rx.clone()),
        ))
    });
    let served = launch_with(listener, state, limits, stopped(stop_rx)).await;
    if let Some(task) = portal_task {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("portal: {e}"),
            Err(e) => tracing::error!("portal task: {e}"),
        }
    }
    served.map_err(|e| format!("server error: {e}"))
}
